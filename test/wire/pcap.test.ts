// The capture reader (hosts/pcap.ts): the corpus against tshark's own decode, hand-built
// captures for the link types, options and fragment cases the corpus lacks, and damaged input.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAddress, readCapture } from "../../hosts/pcap.ts";
import { JsonObject, parseJsonDup } from "./tshark.ts";

const CORPUS = new URL("../../../shared/corpus/pcap/", import.meta.url);
const captures = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".pcap"))
  .map((f) => f.slice(0, -5))
  .sort();

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);

// ---- the corpus -----------------------------------------------------------------------------

describe.each(captures)("corpus %s", (name) => {
  const cap = readCapture(new Uint8Array(readFileSync(new URL(`${name}.pcap`, CORPUS))));
  const layers = (parseJsonDup(readFileSync(new URL(`${name}.json`, CORPUS), "utf8")) as JsonObject[]).map(
    (p) => p.obj("_source")!.obj("layers")!,
  );
  const frameOf = (l: JsonObject) => Number(l.obj("frame")!.str("frame.number"));

  it("parses without errors", () => {
    expect(cap.errors).toEqual([]);
  });

  it("yields one IKE datagram per frame where tshark saw isakmp", () => {
    const isakmp = new Set(layers.filter((l) => l.get("isakmp") !== undefined).map(frameOf));
    const ike = cap.packets.filter(
      (p) => [500, 4500].includes(p.sport) || [500, 4500].includes(p.dport),
    );
    const ours = ike.filter((p) => isakmp.has(p.frame));
    expect(isakmp.size).toBeGreaterThan(0);
    expect(ours.length).toBe(isakmp.size);
    expect(new Set(ours.map((p) => p.frame))).toEqual(isakmp);
  });

  it("agrees with tshark's frame, IP and UDP layers byte for byte", () => {
    const udpFrames = layers.filter((l) => l.get("udp") !== undefined);
    expect(cap.packets.length).toBe(udpFrames.length);
    cap.packets.forEach((p, i) => {
      const l = udpFrames[i];
      const udp = l.obj("udp")!;
      const ip = l.obj("ip")!;
      const [sec, frac] = l.obj("frame")!.str("frame.time_epoch")!.split(".");
      expect({
        frame: p.frame,
        ts: [p.tsSec, p.tsNsec],
        family: p.family,
        src: p.src,
        dst: p.dst,
        sport: p.sport,
        dport: p.dport,
        payload: toHex(p.payload),
      }).toEqual({
        frame: frameOf(l),
        ts: [Number(sec), Number(frac.padEnd(9, "0"))],
        family: 4,
        src: ip.str("ip.src"),
        dst: ip.str("ip.dst"),
        sport: Number(udp.str("udp.srcport")),
        dport: Number(udp.str("udp.dstport")),
        payload: udp.str("udp.payload")!.replace(/:/g, ""),
      });
    });
  });
});

// ---- builders -------------------------------------------------------------------------------

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const u16 = (v: number, le = false) => (le ? [v & 255, v >>> 8] : [v >>> 8, v & 255]);
const u32 = (v: number, le = false) => {
  const b = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return le ? b.reverse() : b;
};
const pad4 = (b: Uint8Array) => cat(b, new Uint8Array((4 - (b.length % 4)) % 4));

function ip4(a: string): number[] {
  return a.split(".").map(Number);
}
function ip6(a: string): number[] {
  // test helper: full or "::"-compressed hex groups, no embedded IPv4
  const [h, t] = a.includes("::") ? a.split("::") : [a, undefined];
  const head = h ? h.split(":") : [];
  const tail = t ? t.split(":") : [];
  const groups = [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  return groups.flatMap((g) => u16(parseInt(g, 16)));
}

function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return cat(u16(sport), u16(dport), u16(8 + payload.length), [0, 0], payload);
}
function ipv4(src: string, dst: string, proto: number, payload: Uint8Array,
  o: { id?: number; mf?: boolean; off?: number; options?: number[]; total?: number } = {}): Uint8Array {
  const opts = o.options ?? [];
  const ihl = 5 + opts.length / 4;
  const ff = (o.mf ? 0x2000 : 0) | ((o.off ?? 0) / 8);
  return cat(
    [0x40 | ihl, 0], u16(o.total ?? ihl * 4 + payload.length), u16(o.id ?? 0x1234), u16(ff), [64, proto, 0, 0],
    ip4(src), ip4(dst), opts, payload,
  );
}
function ipv6(src: string, dst: string, nh: number, payload: Uint8Array): Uint8Array {
  return cat([0x60, 0, 0, 0], u16(payload.length), [nh, 64], ip6(src), ip6(dst), payload);
}
// IPv6 extension headers: options headers (len+1)*8 bytes, the fragment header 8 bytes.
function ext6(next: number, body6: number[]): number[] {
  return [next, (body6.length + 2) / 8 - 1, ...body6];
}
function frag6(next: number, off: number, more: boolean, id: number): number[] {
  return [next, 0, ...u16(off | (more ? 1 : 0)), ...u32(id)];
}
function eth(ethertype: number, payload: Uint8Array, tags: number[] = []): Uint8Array {
  const mac = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
  return cat(mac, ...tags.flatMap((tpid, i) => [u16(tpid), u16(100 + i)]), u16(ethertype), payload);
}

// pcapng (RFC draft-ietf-opsawg-pcapng): type, total length, body padded to 4, total length.
function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const b = pad4(body);
  return cat(u32(type, le), u32(12 + b.length, le), b, u32(12 + b.length, le));
}
function shb(le: boolean): Uint8Array {
  return block(0x0a0d0d0a, cat(u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), [255, 255, 255, 255, 255, 255, 255, 255]), le);
}
function opt(code: number, value: number[], le: boolean): Uint8Array {
  return cat(u16(code, le), u16(value.length, le), pad4(new Uint8Array(value)));
}
function idb(linktype: number, le: boolean, options: Uint8Array[] = []): Uint8Array {
  const opts = options.length ? cat(...options, [0, 0, 0, 0]) : new Uint8Array();
  return block(1, cat(u16(linktype, le), [0, 0], u32(0, le), opts), le);
}
function epb(ifid: number, ts: bigint, data: Uint8Array, le: boolean): Uint8Array {
  const hi = Number(ts >> 32n);
  const lo = Number(ts & 0xffffffffn);
  return block(6, cat(u32(ifid, le), u32(hi, le), u32(lo, le), u32(data.length, le), u32(data.length, le), data), le);
}
function spb(data: Uint8Array, le: boolean): Uint8Array {
  return block(3, cat(u32(data.length, le), data), le);
}

// classic pcap
function pcap(le: boolean, nano: boolean, linktype: number, recs: { sec: number; frac: number; data: Uint8Array }[]): Uint8Array {
  const magic = nano ? 0xa1b23c4d : 0xa1b2c3d4;
  return cat(
    u32(magic, le), u16(2, le), u16(4, le), u32(0, le), u32(0, le), u32(65535, le), u32(linktype, le),
    ...recs.map((r) => cat(u32(r.sec, le), u32(r.frac, le), u32(r.data.length, le), u32(r.data.length, le), r.data)),
  );
}

const IKE = text("IKE message bytes!"); // 18 bytes

// ---- hand-built captures --------------------------------------------------------------------

describe("hand-built pcapng", () => {
  // Section 1, little-endian: an Ethernet interface (default microseconds) and a raw-IP
  // interface with nanosecond timestamps.
  const v6payload = udp(500, 4500, text("fragmented IPv6 datagram, 35 bytes"));
  const v6a = v6payload.subarray(0, 24);
  const v6b = v6payload.subarray(24);
  const s6 = "2001:db8::1";
  const d6 = "2001:db8:0:0:1::2";
  const section1 = cat(
    shb(true),
    idb(1, true),
    idb(101, true, [opt(2, Array.from(text("raw0")), true), opt(9, [9], true)]),
    // 1: VLAN-tagged IPv4 with an option (IHL 6) and Ethernet padding after the datagram
    epb(0, 1_700_000_000_123_456n, cat(eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, udp(500, 500, IKE), { options: [1, 1, 1, 0] }), [0x8100]), [0, 0, 0, 0]), true),
    // 2 and 3: IPv6 with hop-by-hop options, then a fragment header; UDP split in two
    epb(1, 1_700_000_001_000_000_001n, ipv6(s6, d6, 0, cat(ext6(44, [1, 4, 0, 0, 0, 0]), frag6(17, 0, true, 0xabcdef01), v6a)), true),
    block(4, new Uint8Array([0, 0, 0, 0]), true), // a name resolution block: skipped, not a frame
    epb(1, 1_700_000_002_999_999_999n, ipv6(s6, d6, 60, cat(ext6(44, [1, 4, 0, 0, 0, 0]), frag6(17, 24, false, 0xabcdef01), v6b)), true),
    // 4: a Simple Packet Block on interface 0, double-tagged (802.1ad + 802.1Q) IPv4
    spb(eth(0x0800, ipv4("198.51.100.1", "198.51.100.2", 17, udp(4500, 4500, IKE)), [0x88a8, 0x8100]), true),
  );
  // Section 2, big-endian: cooked captures, loopback headers, bare IP link types, a binary
  // timestamp resolution with an offset, and an IPv4 datagram in two fragments.
  const v4payload = udp(4500, 500, text("a fragmented IPv4 datagram needs more than one frame"));
  const section2 = cat(
    shb(false),
    idb(276, false, [opt(9, [0x80 | 10], false), opt(14, [0, 0, 0, 0, 0, 0, 0, 100], false)]), // SLL2, 2^-10 s, +100 s
    idb(113, false), // SLL
    idb(0, false), // NULL (host order: little-endian here)
    idb(108, false), // LOOP (network order)
    idb(228, false),
    idb(229, false),
    idb(147, false), // a user link type: not supported
    // 5, 6: IPv4 fragments over SLL2 (second fragment first is fine, too: sent in order here)
    epb(0, 1000n * 1024n + 512n, cat(u16(0x0800), [0, 0], u32(2), u16(1), [0, 6], [2, 0, 0, 0, 0, 1, 0, 0],
      ipv4("10.0.0.1", "10.0.0.2", 17, v4payload.subarray(0, 32), { id: 7, mf: true })), false),
    epb(0, 1001n * 1024n, cat(u16(0x0800), [0, 0], u32(2), u16(1), [0, 6], [2, 0, 0, 0, 0, 1, 0, 0],
      ipv4("10.0.0.1", "10.0.0.2", 17, v4payload.subarray(32), { id: 7, off: 32 })), false),
    // 7: SLL carrying IPv6
    epb(1, 5n, cat(u16(0), u16(1), u16(6), [2, 0, 0, 0, 0, 1, 0, 0], u16(0x86dd), ipv6("fe80::1", "ff02::1", 17, udp(500, 500, IKE))), false),
    // 8: NULL, AF_INET in little-endian
    epb(2, 6n, cat([2, 0, 0, 0], ipv4("127.0.0.1", "127.0.0.1", 17, udp(500, 500, IKE))), false),
    // 9: LOOP, AF_INET6 (BSD value 30) in network order
    epb(3, 7n, cat([0, 0, 0, 30], ipv6("::1", "::1", 17, udp(4500, 4500, IKE))), false),
    // 10, 11: bare IPv4 and IPv6 link types
    epb(4, 8n, ipv4("203.0.113.5", "203.0.113.6", 17, udp(500, 500, IKE)), false),
    epb(5, 9n, ipv6("::ffff:c000:209", "2001:db8::", 17, udp(500, 500, IKE)), false),
    // 12, 13: a packet of the unsupported link type (reported once), and an ESP packet (ignored)
    epb(6, 10n, new Uint8Array([1, 2, 3, 4]), false),
    epb(4, 11n, ipv4("203.0.113.5", "203.0.113.6", 50, new Uint8Array(16)), false),
  );
  const file = cat(section1, section2);
  const { packets, errors } = readCapture(file);
  const by = (frame: number) => packets.filter((p) => p.frame === frame);

  it("reads every datagram, numbering frames as tshark does", () => {
    expect(packets.map((p) => p.frame)).toEqual([1, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(errors).toEqual(["frame 12: unsupported link type 147; packets of this interface are skipped"]);
  });
  it("strips VLAN tags, IPv4 options and link padding", () => {
    expect(by(1)).toEqual([{
      frame: 1, tsSec: 1_700_000_000, tsNsec: 123_456_000, family: 4,
      src: "192.0.2.1", dst: "192.0.2.2", sport: 500, dport: 500, payload: IKE,
    }]);
  });
  it("reassembles an IPv6 datagram behind extension headers at its last fragment", () => {
    expect(by(2)).toEqual([]);
    expect(by(3)).toEqual([{
      frame: 3, tsSec: 1_700_000_002, tsNsec: 999_999_999, family: 6,
      src: "2001:db8::1", dst: "2001:db8::1:0:0:2", sport: 500, dport: 4500,
      payload: text("fragmented IPv6 datagram, 35 bytes"),
    }]);
  });
  it("reads Simple Packet Blocks and 802.1ad double tags", () => {
    expect(by(4)).toMatchObject([{ tsSec: 0, tsNsec: 0, src: "198.51.100.1", sport: 4500, payload: IKE }]);
  });
  it("reassembles IPv4 fragments; applies if_tsresol 2^-10 and if_tsoffset", () => {
    expect(by(5)).toEqual([]);
    expect(by(6)).toEqual([{
      frame: 6, tsSec: 1101, tsNsec: 0, family: 4, src: "10.0.0.1", dst: "10.0.0.2",
      sport: 4500, dport: 500, payload: text("a fragmented IPv4 datagram needs more than one frame"),
    }]);
    expect(by(5).length + by(6).length).toBe(1);
  });
  it("reads SLL, NULL, LOOP, IPv4 and IPv6 link types", () => {
    expect(by(7)).toMatchObject([{ family: 6, src: "fe80::1", dst: "ff02::1", tsSec: 0, tsNsec: 5000, payload: IKE }]);
    expect(by(8)).toMatchObject([{ family: 4, src: "127.0.0.1", payload: IKE }]);
    expect(by(9)).toMatchObject([{ family: 6, src: "::1", dst: "::1", sport: 4500, payload: IKE }]);
    expect(by(10)).toMatchObject([{ family: 4, src: "203.0.113.5", payload: IKE }]);
    expect(by(11)).toMatchObject([{ family: 6, src: "::ffff:192.0.2.9", dst: "2001:db8::", payload: IKE }]);
  });
  it("never throws on a prefix of the capture", () => {
    for (let n = 0; n < file.length; n++) {
      const r = readCapture(file.subarray(0, n));
      expect(r.packets, `prefix ${n}`).toEqual(packets.slice(0, r.packets.length));
      if (n % 4 !== 0) expect(r.errors.length, `prefix ${n}`).toBeGreaterThan(0); // never at a block boundary
    }
  });
});

describe("classic pcap", () => {
  const frame = eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, udp(500, 500, IKE)));
  for (const le of [true, false]) {
    for (const nano of [true, false]) {
      it(`${le ? "little" : "big"}-endian, ${nano ? "nano" : "micro"}seconds`, () => {
        const file = pcap(le, nano, 1, [
          { sec: 1_600_000_000, frac: 250, data: frame },
          { sec: 1_600_000_001, frac: 0, data: eth(0x0806, new Uint8Array(28)) }, // ARP: not IP
          { sec: 1_600_000_002, frac: 1, data: frame },
        ]);
        const r = readCapture(file);
        expect(r.errors).toEqual([]);
        expect(r.packets.map((p) => [p.frame, p.tsSec, p.tsNsec])).toEqual([
          [1, 1_600_000_000, nano ? 250 : 250_000],
          [3, 1_600_000_002, nano ? 1 : 1000],
        ]);
        expect(r.packets[0].payload).toEqual(IKE);
        const ends = [24, 24 + 16 + frame.length, 24 + 2 * 16 + frame.length + 42]; // record boundaries
        for (let n = 0; n < file.length; n++) {
          const p = readCapture(file.subarray(0, n));
          expect(p.errors.length > 0, `prefix ${n}`).toBe(!ends.includes(n));
          expect(p.packets, `prefix ${n}`).toEqual(r.packets.slice(0, p.packets.length));
        }
      });
    }
  }
  it("reads RAW link type 101", () => {
    const r = readCapture(pcap(true, false, 101, [{ sec: 1, frac: 0, data: ipv6("2001:db8::5", "2001:db8::6", 17, udp(1, 2, IKE)) }]));
    expect(r.packets).toMatchObject([{ family: 6, src: "2001:db8::5", sport: 1, dport: 2, payload: IKE }]);
  });
});

describe("damaged input", () => {
  const ok = eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, udp(500, 500, IKE)));
  const rec = (data: Uint8Array) => ({ sec: 1, frac: 0, data });
  const run = (...frames: Uint8Array[]) => readCapture(pcap(true, false, 1, frames.map(rec)));

  it("reports non-captures", () => {
    expect(readCapture(new Uint8Array()).errors).toHaveLength(1);
    expect(readCapture(text("GIF89a, not a capture")).errors[0]).toMatch(/not a pcap or pcapng file/);
    expect(readCapture(cat(shb(true).subarray(0, 8), u32(0xdeadbeef, true), new Uint8Array(20))).errors[0]).toMatch(/byte-order magic/);
  });
  it("reports a malformed frame and reads on", () => {
    const v4 = ipv4("192.0.2.1", "192.0.2.2", 17, udp(500, 500, IKE));
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(10), /truncated Ethernet header/],
      [eth(0x0800, v4.subarray(0, 12)), /truncated IPv4 header/],
      [eth(0x0800, cat([0x44], v4.subarray(1))), /IPv4 header length 16 < 20/],
      [eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, udp(500, 500, IKE), { total: 200 })), /truncated IPv4 packet/],
      [eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, new Uint8Array(5))), /truncated UDP header/],
      [eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, cat(u16(1), u16(2), u16(99), u16(0)))), /truncated UDP datagram/],
      [eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, cat(u16(1), u16(2), u16(4), u16(0)))), /UDP length 4 < 8/],
      [eth(0x86dd, ipv6("::1", "::2", 0, new Uint8Array([17, 9, 0, 0]))), /truncated IPv6 extension header/],
      [eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, new Uint8Array(12), { mf: true })), /multiple of 8/],
      [eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, new Uint8Array(16), { mf: true, off: 65528 })), /exceed 65535/],
      [eth(0x8100, new Uint8Array(1)), /truncated VLAN tag/],
    ];
    for (const [bad, why] of cases) {
      const r = run(ok, bad, ok);
      expect(r.packets.map((p) => p.frame), String(why)).toEqual([1, 3]);
      expect(r.errors, String(why)).toHaveLength(1);
      expect(r.errors[0], String(why)).toMatch(new RegExp(`^frame 2: .*${why.source}`));
    }
  });
  it("reports datagrams whose fragments never all arrive", () => {
    const first = eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, udp(500, 500, new Uint8Array(16)), { id: 9, mf: true }));
    const r = run(ok, first, ok);
    expect(r.packets.map((p) => p.frame)).toEqual([1, 3]);
    expect(r.errors).toEqual([expect.stringMatching(/^frame 2: incomplete IPv4 datagram from 192\.0\.2\.1 to 192\.0\.2\.2/)]);
  });
  it("keeps at most 64 datagrams pending", () => {
    const frags = Array.from({ length: 70 }, (_, i) =>
      eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, new Uint8Array(8), { id: i, mf: true })));
    const r = run(...frags);
    expect(r.errors).toHaveLength(70);
    expect(r.errors.filter((e) => /64 pending/.test(e))).toHaveLength(6);
    expect(r.errors[0]).toMatch(/^frame 1: /); // the oldest is dropped first
  });
  it("drops a datagram whose overlapping fragments disagree", () => {
    const whole = udp(500, 500, new Uint8Array(16).fill(7));
    const f = (off: number, data: Uint8Array, mf: boolean) =>
      eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 17, data, { id: 3, off, mf }));
    const same = run(f(0, whole.subarray(0, 16), true), f(8, whole.subarray(8, 16), true), f(16, whole.subarray(16), false));
    expect(same.errors).toEqual([]);
    expect(same.packets).toMatchObject([{ frame: 3, payload: new Uint8Array(16).fill(7) }]);
    const changed = cat(whole.subarray(8, 16));
    changed[0] ^= 1;
    const bad = run(f(0, whole.subarray(0, 16), true), f(8, changed, true), f(16, whole.subarray(16), false));
    expect(bad.packets).toEqual([]);
    expect(bad.errors[0]).toMatch(/^frame 3: .*overlapping fragments disagree/);
  });
  it("never throws on random bytes or on mutated captures", () => {
    const sample = readFileSync(new URL("ikev2-frag.pcap", CORPUS));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        readCapture(b);
        readCapture(cat(shb(true), b));
        readCapture(cat(pcap(true, false, 1, []), b));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (edits) => {
        const b = new Uint8Array(sample);
        for (const [at, v] of edits) b[at] = v;
        const r = readCapture(b);
        expect(Array.isArray(r.errors)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("formatAddress", () => {
  const cases: [string, number[]][] = [
    ["192.0.2.1", [192, 0, 2, 1]],
    ["::", ip6("::")],
    ["::1", ip6("::1")],
    ["2001:db8::1", ip6("2001:db8:0:0:0:0:0:1")],
    ["2001:db8:0:1:1:1:1:1", ip6("2001:db8:0:1:1:1:1:1")], // one zero group is not compressed
    ["2001:db8::1:0:0:1", ip6("2001:db8:0:0:1:0:0:1")], // the first of two equal runs
    ["2001:0:0:1::1", ip6("2001:0:0:1:0:0:0:1")], // the longest run
    ["fe80::abcd:ef", ip6("fe80::abcd:ef")],
    ["1::", ip6("1::")],
    ["::ffff:192.0.2.128", ip6("::ffff:c000:280")],
  ];
  it.each(cases)("%s", (want, bytes) => {
    expect(formatAddress(new Uint8Array(bytes))).toBe(want);
  });
});
