// The XFRM encoders and decoders against byte layouts read off <linux/xfrm.h> (offsets proven by
// layout.test.ts with gcc; the same requests are compared with iproute2's in netns.test.ts).

import { describe, expect, it } from "vitest";
import { canonicalAddress, canonicalPrefix, formatAddress, parseAddress, parsePrefix } from "../../kernel-shims/address.ts";
import type { PolicySpec, SaSpec } from "../../kernel-shims/kernel.ts";
import * as X from "../../kernel-shims/xfrm.ts";

const bytes = (n: number, from = 1) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const u16 = (b: Uint8Array, off: number) => b[off]! | (b[off + 1]! << 8);
const u32 = (b: Uint8Array, off: number) => (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
const be16 = (b: Uint8Array, off: number) => (b[off]! << 8) | b[off + 1]!;
const be32 = (b: Uint8Array, off: number) => ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
const str = (b: Uint8Array, off: number, n: number) => {
  const s = b.subarray(off, off + n);
  const z = s.indexOf(0);
  return String.fromCharCode(...s.subarray(0, z < 0 ? n : z));
};

const gcmSa: SaSpec = {
  src: "10.0.0.1",
  dst: "10.0.0.2",
  spi: 0x12345678,
  reqid: 7,
  mode: "tunnel",
  encr: { id: 20, key: bytes(20) },
  encap: { sport: 4500, dport: 4500 },
  selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" },
  replayWindow: 32,
};

describe("addresses", () => {
  it("parses and prints IPv4 and IPv6 (RFC 5952)", () => {
    expect(parseAddress("192.0.2.1")).toEqual({ family: 2, bytes: new Uint8Array([192, 0, 2, 1]) });
    const v6 = parseAddress("2001:DB8:0:0:1::1");
    expect(v6.family).toBe(10);
    expect(formatAddress(10, v6.bytes)).toBe("2001:db8::1:0:0:1");
    expect(canonicalAddress("::ffff:192.0.2.1")).toBe("::ffff:c000:201");
    expect(canonicalAddress("::")).toBe("::");
    expect(canonicalAddress("1:0:0:2:0:0:0:3")).toBe("1:0:0:2::3");
    expect(canonicalPrefix("10.1.0.0/16")).toBe("10.1.0.0/16");
    expect(canonicalPrefix("10.1.0.1/32")).toBe("10.1.0.1");
    expect(parsePrefix("2001:db8::/32").prefixLen).toBe(32);
  });

  it("refuses what is not an address", () => {
    for (const bad of ["", "10.0.0", "10.0.0.256", "01.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "10.0.0.1/33"]) {
      expect(() => parsePrefix(bad), bad).toThrow(RangeError);
    }
  });
});

describe("netlink framing", () => {
  it("pads attributes to 4 bytes; nla_len counts the header and the unpadded payload", () => {
    const a = X.nlattr(X.XFRMA_SRCADDR, bytes(5));
    expect(a.length).toBe(12);
    expect(u16(a, 0)).toBe(9);
    expect(u16(a, 2)).toBe(X.XFRMA_SRCADDR);
    expect([...a.subarray(9)]).toEqual([0, 0, 0]);
  });

  it("splits a datagram holding several messages and refuses lengths that overrun it", () => {
    const m1 = X.nlmsg({ type: X.NLMSG_DONE, flags: X.NLM_F_MULTI, seq: 5, pid: 9 }, new Uint8Array(4));
    const m2 = X.encodeDelSa({ src: "10.0.0.1", dst: "10.0.0.2", spi: 1 }, { seq: 6 });
    const both = new Uint8Array([...m1, ...m2]);
    const msgs = X.splitMessages(both);
    expect(msgs.map((m) => [m.type, m.seq, m.pid, m.payload.length])).toEqual([
      [X.NLMSG_DONE, 5, 9, 4],
      [X.XFRM_MSG_DELSA, 6, 0, m2.length - 16],
    ]);
    const bad = both.slice();
    bad[0] = 200;
    expect(() => X.splitMessages(bad)).toThrow(X.NetlinkDecodeError);
  });

  it("decodes NLMSG_ERROR: ACKs, errnos by name, extended-ack text and offset", () => {
    const req = X.encodeNewSa(gcmSa, { seq: 77 });
    const tlvs = [X.nlattr(X.NLMSGERR_ATTR_MSG, new TextEncoder().encode("Requested type not found\0")), X.nlattr(X.NLMSGERR_ATTR_OFFS, new Uint8Array([0x40, 1, 0, 0]))];
    const errnoBytes = (n: number) => new Uint8Array(new Int32Array([n]).buffer);
    // Full echo of the request (not capped), then the TLVs.
    const full = X.nlmsg({ type: X.NLMSG_ERROR, flags: X.NLM_F_ACK_TLVS, seq: 77, pid: 1 }, errnoBytes(-93), req, ...tlvs);
    expect(X.decodeError(X.splitMessages(full)[0]!)).toEqual({
      errno: 93,
      code: "EPROTONOSUPPORT",
      detail: "Requested type not found",
      badOffset: 0x140,
      request: { type: X.XFRM_MSG_NEWSA, seq: 77 },
    });
    // Capped: only the request's header is echoed.
    const capped = X.nlmsg({ type: X.NLMSG_ERROR, flags: X.NLM_F_ACK_TLVS | X.NLM_F_CAPPED, seq: 77 }, errnoBytes(-17), req.subarray(0, 16), ...tlvs);
    expect(X.decodeError(X.splitMessages(capped)[0]!)).toMatchObject({ errno: 17, code: "EEXIST", detail: "Requested type not found" });
    const ack = X.nlmsg({ type: X.NLMSG_ERROR, flags: X.NLM_F_CAPPED, seq: 77 }, errnoBytes(0), req.subarray(0, 16));
    expect(X.decodeError(X.splitMessages(ack)[0]!)).toMatchObject({ errno: 0, code: "OK" });
    expect(X.errnoName(-3)).toBe("ESRCH");
    expect(X.errnoName(4095)).toBe("E#4095");
  });
});

describe("XFRM_MSG_NEWSA", () => {
  // nlmsghdr 16 + xfrm_usersa_info 224 + ALG_AEAD (4 + 72 + 20) + ENCAP (4 + 24)
  const msg = X.encodeNewSa(gcmSa, { seq: 0x01020304, pid: 0 });
  const p = msg.subarray(16);

  it("header: length, type, REQUEST|ACK, seq", () => {
    expect(msg.length).toBe(16 + 224 + 96 + 28);
    expect(u32(msg, 0)).toBe(msg.length);
    expect(u16(msg, 4)).toBe(0x10);
    expect(u16(msg, 6)).toBe(X.NLM_F_REQUEST | X.NLM_F_ACK);
    expect(u32(msg, 8)).toBe(0x01020304);
  });

  it("xfrm_usersa_info: selector, id (SPI in network order), saddr, lifetimes, reqid, family, mode, window", () => {
    expect([...p.subarray(0, 4)]).toEqual([10, 2, 0, 0]); // sel.daddr
    expect([...p.subarray(16, 20)]).toEqual([10, 1, 0, 0]); // sel.saddr
    expect(u16(p, 40)).toBe(2); // sel.family AF_INET
    expect([p[42], p[43], p[44]]).toEqual([16, 16, 0]); // prefixlen_d, prefixlen_s, proto
    expect([...p.subarray(56, 60)]).toEqual([10, 0, 0, 2]); // id.daddr
    expect(be32(p, 72)).toBe(0x12345678); // id.spi
    expect(p[76]).toBe(50); // id.proto ESP
    expect([...p.subarray(80, 84)]).toEqual([10, 0, 0, 1]); // saddr
    expect(p.subarray(96, 128).every((x) => x === 0xff)).toBe(true); // byte and packet limits: XFRM_INF
    expect(p.subarray(128, 224 - 16).every((x) => x === 0)).toBe(true); // seconds 0, curlft, stats, seq
    expect(u32(p, 208)).toBe(7); // reqid
    expect(u16(p, 212)).toBe(2); // family
    expect([p[214], p[215], p[216]]).toEqual([1, 32, 0]); // mode tunnel, replay_window, flags
  });

  it("XFRMA_ALG_AEAD: rfc4106(gcm(aes)), key bits with salt, ICV 128; then XFRMA_ENCAP in network order", () => {
    const a = p.subarray(224);
    expect([u16(a, 0), u16(a, 2)]).toEqual([96, X.XFRMA_ALG_AEAD]);
    expect(str(a, 4, 64)).toBe("rfc4106(gcm(aes))");
    expect(u32(a, 4 + 64)).toBe(160);
    expect(u32(a, 4 + 68)).toBe(128);
    expect([...a.subarray(4 + 72, 96)]).toEqual([...gcmSa.encr.key]);
    const e = a.subarray(96);
    expect([u16(e, 0), u16(e, 2)]).toEqual([28, X.XFRMA_ENCAP]);
    expect(u16(e, 4)).toBe(X.UDP_ENCAP_ESPINUDP);
    expect([be16(e, 6), be16(e, 8)]).toEqual([4500, 4500]);
    expect(e.subarray(10, 28).every((x) => x === 0)).toBe(true); // padding, encap_oa
  });

  it("AES-CBC + HMAC-SHA2-256-128: XFRMA_ALG_CRYPT then XFRMA_ALG_AUTH_TRUNC with truncation 128", () => {
    const m = X.encodeNewSa({ ...gcmSa, encap: undefined, encr: { id: 12, key: bytes(32) }, integ: { id: 12, key: bytes(32) } } as SaSpec, { seq: 1 });
    const attrs = X.decodeAttributes(m.subarray(16), 224);
    const c = attrs.get(X.XFRMA_ALG_CRYPT)!;
    expect([str(c, 0, 64), u32(c, 64), c.length]).toEqual(["cbc(aes)", 256, 68 + 32]);
    const a = attrs.get(X.XFRMA_ALG_AUTH_TRUNC)!;
    expect([str(a, 0, 64), u32(a, 64), u32(a, 68), a.length]).toEqual(["hmac(sha256)", 256, 128, 72 + 32]);
    expect([...attrs.keys()]).toEqual([X.XFRMA_ALG_CRYPT, X.XFRMA_ALG_AUTH_TRUNC]);
  });

  it("ESN: flag set, legacy window 0, XFRMA_REPLAY_ESN_VAL without bitmap; windows over 32 need it too", () => {
    const esn = X.encodeNewSa({ ...gcmSa, esn: true, replayWindow: 128 }, { seq: 1 }).subarray(16);
    expect([esn[215], esn[216]]).toEqual([0, X.XFRM_STATE_ESN]);
    const r = X.decodeAttributes(esn, 224).get(X.XFRMA_REPLAY_ESN_VAL)!;
    expect(r.length).toBe(24);
    expect([u32(r, 0), u32(r, 20)]).toEqual([4, 128]); // bmp_len, replay_window
    const wide = X.encodeNewSa({ ...gcmSa, replayWindow: 64 }, { seq: 1 }).subarray(16);
    expect([wide[215], wide[216]]).toEqual([0, 0]);
    expect(u32(X.decodeAttributes(wide, 224).get(X.XFRMA_REPLAY_ESN_VAL)!, 20)).toBe(64);
    const narrow = X.encodeNewSa(gcmSa, { seq: 1 }).subarray(16);
    expect(X.decodeAttributes(narrow, 224).has(X.XFRMA_REPLAY_ESN_VAL)).toBe(false);
  });

  it("UPDSA differs only in the type; mark goes last", () => {
    const a = X.encodeNewSa({ ...gcmSa, mark: { value: 5, mask: 0xff } }, { seq: 1 });
    const b = X.encodeNewSa({ ...gcmSa, mark: { value: 5, mask: 0xff } }, { seq: 1 }, true);
    expect(u16(b, 4)).toBe(X.XFRM_MSG_UPDSA);
    expect(b.subarray(6)).toEqual(a.subarray(6));
    const attrs = [...X.decodeAttributes(a.subarray(16), 224).keys()];
    expect(attrs.at(-1)).toBe(X.XFRMA_MARK);
  });

  it("IPv6: 16-byte addresses, AF_INET6", () => {
    const p6 = X.encodeNewSa({ ...gcmSa, src: "2001:db8::1", dst: "2001:db8::2", selector: undefined, encap: undefined }, { seq: 1 }).subarray(16);
    expect([...p6.subarray(56, 72)]).toEqual([...parseAddress("2001:db8::2").bytes]);
    expect(u16(p6, 212)).toBe(10);
    expect(p6.subarray(0, 56).every((x) => x === 0)).toBe(true); // no selector: zeros
  });

  it("refuses specs the kernel would: key lengths, AEAD with integrity, CBC without, unknown IDs, mixed families", () => {
    const bad: [Partial<SaSpec>, RegExp][] = [
      [{ encr: { id: 20, key: bytes(16) } }, /ENCR_AES_GCM_16 needs a key of 20 or 28 or 36 bytes/],
      [{ encr: { id: 20, key: bytes(20) }, integ: { id: 12, key: bytes(32) } }, /AEAD/],
      [{ encr: { id: 12, key: bytes(16) } }, /needs an integrity transform/],
      [{ encr: { id: 12, key: bytes(16) }, integ: { id: 12, key: bytes(20) } }, /AUTH_HMAC_SHA2_256_128 needs a key of 32 bytes/],
      [{ encr: { id: 99, key: bytes(16) } }, /transform 99/],
      [{ dst: "2001:db8::1" }, /different families/],
      [{ spi: 2 ** 32 }, /SPI/],
      [{ encap: { sport: 70000, dport: 4500 } }, /port 70000/],
    ];
    for (const [patch, re] of bad) expect(() => X.encodeNewSa({ ...gcmSa, ...patch } as SaSpec, { seq: 1 }), re.source).toThrow(re);
  });

  it("maps IKEv2 transform IDs to the kernel's names", () => {
    const names = [...X.ENCR_ALGORITHMS].map(([id, a]) => `${id} ${a.kernelName} ${a.icvBits ?? "-"}`);
    expect(names).toContain("20 rfc4106(gcm(aes)) 128");
    expect(names).toContain("12 cbc(aes) -");
    expect(names).toContain("28 rfc7539esp(chacha20,poly1305) 128");
    expect(X.INTEG_ALGORITHMS.get(12)).toMatchObject({ kernelName: "hmac(sha256)", truncBits: 128 });
    expect(X.INTEG_ALGORITHMS.get(2)).toMatchObject({ kernelName: "hmac(sha1)", truncBits: 96 });
  });

  it("decodes what it encodes (xfrm_usersa_info)", () => {
    const sa: SaSpec = { ...gcmSa, lifetime: { hardBytes: 10n ** 9n, softAddSeconds: 3000n } };
    const d = X.decodeUsersaInfo(X.encodeUsersaInfo(sa));
    expect(d).toMatchObject({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      spi: 0x12345678,
      proto: "esp",
      mode: "tunnel",
      reqid: 7,
      selector: gcmSa.selector,
      lifetime: { hardBytes: 10n ** 9n, softAddSeconds: 3000n },
      replayWindow: 32,
    });
    expect(Object.keys(d.lifetime)).toHaveLength(2);
  });
});

describe("SA ids, ALLOCSPI", () => {
  it("DELSA/GETSA: xfrm_usersa_id then XFRMA_SRCADDR; GETSA asks no ACK", () => {
    const del = X.encodeDelSa({ src: "10.0.0.1", dst: "10.0.0.2", spi: 0x100 }, { seq: 3 });
    const get = X.encodeGetSa({ src: "10.0.0.1", dst: "10.0.0.2", spi: 0x100 }, { seq: 3 });
    expect(del.length).toBe(16 + 24 + 20);
    expect([u16(del, 6), u16(get, 6)]).toEqual([X.NLM_F_REQUEST | X.NLM_F_ACK, X.NLM_F_REQUEST]);
    const p = del.subarray(16);
    expect([...p.subarray(0, 4)]).toEqual([10, 0, 0, 2]);
    expect(be32(p, 16)).toBe(0x100);
    expect([u16(p, 20), p[22]]).toEqual([2, 50]);
    expect([u16(p, 24), u16(p, 26), ...p.subarray(28, 32)]).toEqual([20, X.XFRMA_SRCADDR, 10, 0, 0, 1]);
  });

  it("ALLOCSPI: xfrm_userspi_info with zero lifetimes, min and max in host order", () => {
    const m = X.encodeAllocSpi({ src: "10.0.0.1", dst: "10.0.0.2", reqid: 9, mode: "tunnel", min: 0x1000, max: 0x2000 }, { seq: 1 });
    const p = m.subarray(16);
    expect(p.length).toBe(232);
    expect(u16(m, 6)).toBe(X.NLM_F_REQUEST);
    expect(p.subarray(96, 160).every((x) => x === 0)).toBe(true);
    expect([u32(p, 208), u16(p, 212), p[214], u32(p, 224), u32(p, 228)]).toEqual([9, 2, 1, 0x1000, 0x2000]);
    expect(() => X.encodeAllocSpi({ src: "10.0.0.1", dst: "10.0.0.2", min: 5, max: 4 }, { seq: 1 })).toThrow(/min/);
  });

  it("decodes a NEWSA reply: SPI and the xfrm_lifetime_cur counters", () => {
    const info = X.encodeUsersaInfo({ ...gcmSa, spi: 0xc2000001 });
    const v = new DataView(info.buffer);
    v.setBigUint64(160, 123456789n, true); // curlft.bytes
    v.setBigUint64(168, 4242n, true); // curlft.packets
    v.setBigUint64(176, 1_700_000_000n, true); // curlft.add_time
    const reply = X.splitMessages(X.nlmsg({ type: X.XFRM_MSG_NEWSA, flags: 0, seq: 1, pid: 55 }, info))[0]!;
    const d = X.decodeSaReply(reply);
    expect(d.spi).toBe(0xc2000001);
    expect(d.counters).toEqual({ bytes: 123456789n, packets: 4242n, addTime: 1_700_000_000n, useTime: 0n });
  });
});

describe("policies", () => {
  const pol: PolicySpec = {
    selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16", proto: 6, dport: 80 },
    dir: "fwd",
    priority: 1234,
    templates: [
      { src: "10.0.0.1", dst: "10.0.0.2", mode: "tunnel", reqid: 7 },
      { mode: "transport", reqid: 8, optional: true, proto: "ah" },
    ],
  };

  it("NEWPOLICY: xfrm_userpolicy_info, then one XFRMA_TMPL holding every xfrm_user_tmpl", () => {
    const m = X.encodeNewPolicy(pol, { seq: 1 });
    const p = m.subarray(16);
    expect(m.length).toBe(16 + 168 + 4 + 2 * 64);
    expect([be16(p, 32), be16(p, 34), be16(p, 36), be16(p, 38)]).toEqual([80, 0xffff, 0, 0]); // dport, mask, sport, mask
    expect(p[44]).toBe(6);
    expect(p.subarray(56, 88).every((x) => x === 0xff)).toBe(true); // byte/packet limits
    expect(p.subarray(88, 152).every((x) => x === 0)).toBe(true); // seconds, curlft
    expect([u32(p, 152), u32(p, 156), p[160], p[161]]).toEqual([1234, 0, X.XFRM_POLICY_FWD, X.XFRM_POLICY_ALLOW]);
    const t = X.decodeAttributes(p, 168).get(X.XFRMA_TMPL)!;
    expect(t.length).toBe(128);
    expect([...t.subarray(0, 4), t[20], u16(t, 24), ...t.subarray(28, 32), u32(t, 44), t[48]]).toEqual([10, 0, 0, 2, 50, 2, 10, 0, 0, 1, 7, 1]);
    expect([u32(t, 52), u32(t, 56), u32(t, 60)]).toEqual([0xffffffff, 0xffffffff, 0xffffffff]);
    expect([t[64 + 20], u16(t, 64 + 24), t[64 + 50]]).toEqual([51, 2, 1]); // AH, family from the selector, optional
    expect(X.decodeTemplates(t)).toEqual([
      { src: "10.0.0.1", dst: "10.0.0.2", mode: "tunnel", reqid: 7, proto: "esp" },
      { mode: "transport", reqid: 8, optional: true, proto: "ah" },
    ]);
    expect(X.decodeUserpolicyInfo(p)).toMatchObject({ selector: pol.selector, dir: "fwd", priority: 1234, action: "allow" });
  });

  it("DELPOLICY: xfrm_userpolicy_id; block action", () => {
    const d = X.encodeDelPolicy({ selector: pol.selector, dir: "in" }, { seq: 1 });
    expect(d.length).toBe(16 + 64);
    expect(d[16 + 60]).toBe(X.XFRM_POLICY_IN);
    const b = X.encodeNewPolicy({ ...pol, templates: [], action: "block" }, { seq: 1 });
    expect(b[16 + 161]).toBe(X.XFRM_POLICY_BLOCK);
    expect(b.length).toBe(16 + 168);
  });
});

describe("events", () => {
  it("ACQUIRE: the flow, the policy with its templates, the template's addresses", () => {
    const policy: PolicySpec = {
      selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" },
      dir: "out",
      priority: 1000,
      templates: [{ src: "10.0.0.1", dst: "10.0.0.2", mode: "tunnel", reqid: 7 }],
    };
    const A = X.XFRM_USER_ACQUIRE;
    const b = new Uint8Array(A.size);
    const v = new DataView(b.buffer);
    b.set([10, 0, 0, 2], A.id); // id.daddr
    b[A.id + X.XFRM_ID.proto] = 50;
    b.set([10, 0, 0, 1], A.saddr);
    const flow = X.encodeUserpolicyInfo({ selector: { src: "10.1.0.1", dst: "10.2.0.5", proto: 17, dport: 9 }, dir: "out" });
    b.set(flow.subarray(0, 56), A.sel);
    const pinfo = X.encodeUserpolicyInfo(policy);
    new DataView(pinfo.buffer).setUint32(X.XFRM_USERPOLICY_INFO.index, 17, true);
    b.set(pinfo, A.policy);
    v.setUint32(A.seq, 6, true);
    const tmpl = X.splitMessages(X.encodeNewPolicy(policy, { seq: 0 }))[0]!.payload.subarray(168);
    const msg = X.nlmsg({ type: X.XFRM_MSG_ACQUIRE, flags: 0, seq: 0 }, b, tmpl);
    expect(X.decodeEvent(X.splitMessages(msg)[0]!)).toEqual({
      kind: "acquire",
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "esp",
      selector: { src: "10.1.0.1", dst: "10.2.0.5", proto: 17, dport: 9 },
      policy: { ...policy, action: "allow", index: 17, templates: [{ ...policy.templates![0], proto: "esp" }] },
      seq: 6,
    });
  });

  it("EXPIRE: soft or hard, the SA and its counters", () => {
    const b = new Uint8Array(X.XFRM_USER_EXPIRE.size);
    b.set(X.encodeUsersaInfo({ ...gcmSa, spi: 0xabcdef01 }));
    new DataView(b.buffer).setBigUint64(160 + 8, 99n, true);
    for (const hard of [0, 1]) {
      b[X.XFRM_USER_EXPIRE.hard] = hard;
      const ev = X.decodeEvent(X.splitMessages(X.nlmsg({ type: X.XFRM_MSG_EXPIRE, flags: 0, seq: 0 }, b))[0]!);
      expect(ev).toMatchObject({ kind: "expire", hard: hard === 1, spi: 0xabcdef01, dst: "10.0.0.2", reqid: 7, mode: "tunnel", counters: { packets: 99n } });
    }
  });

  it("other multicast types are not events; truncated structs are refused", () => {
    const m = X.splitMessages(X.nlmsg({ type: X.XFRM_MSG_NEWPOLICY, flags: 0, seq: 0 }, new Uint8Array(168)))[0]!;
    expect(X.decodeEvent(m)).toBeUndefined();
    const short = X.splitMessages(X.nlmsg({ type: X.XFRM_MSG_ACQUIRE, flags: 0, seq: 0 }, new Uint8Array(100)))[0]!;
    expect(() => X.decodeEvent(short)).toThrow(X.NetlinkDecodeError);
  });
});
