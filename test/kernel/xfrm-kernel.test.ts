// XfrmKernel (the runtime-neutral request/ack/event logic) over a scripted fake netlink socket:
// what it sends, how replies are matched, bounded waits, events, and flushOurs.

import { describe, expect, it } from "vitest";
import { KernelError, type KernelEvent, type PolicySpec, type SaSpec } from "../../kernel-shims/kernel.ts";
import { XfrmKernel, type NetlinkSocket } from "../../kernel-shims/xfrm-kernel.ts";
import * as X from "../../kernel-shims/xfrm.ts";

type Script = (m: X.NlMessage) => Uint8Array[] | undefined;

class FakeSocket implements NetlinkSocket {
  readonly sent: X.NlMessage[] = [];
  readonly raw: Uint8Array[] = [];
  closed = false;
  sendError: (Error & { code?: string }) | undefined;
  private dl: ((b: Uint8Array) => void)[] = [];
  private el: ((e: { code?: string; message: string }) => void)[] = [];
  constructor(
    readonly port: number,
    public script: Script = () => undefined,
    /** Deliver replies inside send(), before it resolves, as the kernel does. */
    readonly synchronous = false,
  ) {}
  async send(bytes: Uint8Array): Promise<void> {
    if (this.sendError) throw this.sendError;
    this.raw.push(bytes);
    const m = X.splitMessages(bytes)[0]!;
    this.sent.push(m);
    const out = this.script(m) ?? [];
    if (this.synchronous) out.forEach((d) => this.deliver(d));
    else setTimeout(() => out.forEach((d) => this.deliver(d)), 1);
  }
  onDatagram(l: (b: Uint8Array) => void): void {
    this.dl.push(l);
  }
  onError(l: (e: { code?: string; message: string }) => void): void {
    this.el.push(l);
  }
  deliver(b: Uint8Array): void {
    this.dl.forEach((l) => l(b));
  }
  fail(code: string): void {
    this.el.forEach((l) => l({ code, message: `${code} on the socket` }));
  }
  close(): void {
    this.closed = true;
  }
}

/** The kernel's answer to `m`: NLMSG_ERROR with errno (0: ACK), header echoed, optional text. */
function answer(m: X.NlMessage, errno = 0, detail?: string, pid = 4242): Uint8Array {
  const e = new Uint8Array(4);
  new DataView(e.buffer).setInt32(0, -errno, true);
  const echo = X.nlmsg({ type: m.type, flags: m.flags, seq: m.seq, pid: m.pid });
  echo.set(new Uint8Array(new Uint32Array([16 + m.payload.length]).buffer), 0);
  const tlvs = detail ? [X.nlattr(X.NLMSGERR_ATTR_MSG, new TextEncoder().encode(detail + "\0"))] : [];
  const flags = X.NLM_F_CAPPED | (detail ? X.NLM_F_ACK_TLVS : 0);
  return X.nlmsg({ type: X.NLMSG_ERROR, flags, seq: m.seq, pid }, e, echo, ...tlvs);
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);
const sa: SaSpec = { src: "10.0.0.1", dst: "10.0.0.2", spi: 0x1234, reqid: 7, mode: "tunnel", encr: { id: 28, key: bytes(36) } };
const policy: PolicySpec = { selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" }, dir: "out", templates: [{ src: "10.0.0.1", dst: "10.0.0.2", mode: "tunnel", reqid: 7 }] };

async function refusal(p: Promise<unknown>): Promise<KernelError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("XfrmKernel", () => {
  it("sends exactly the encoder's bytes with a fresh sequence number, and an ACK resolves", async () => {
    const s = new FakeSocket(4242, (m) => [answer(m)]);
    const k = new XfrmKernel({ requests: s, firstSeq: 100 });
    await k.addSa(sa);
    await k.addPolicy(policy);
    expect(s.sent.map((m) => m.seq)).toEqual([101, 102]);
    expect(s.raw[0]).toEqual(X.encodeNewSa(sa, { seq: 101 }));
    expect(s.raw[1]).toEqual(X.encodeNewPolicy(policy, { seq: 102 }));
    expect([...k.ours.sas.keys()]).toEqual(["esp:10.0.0.2:0x00001234"]);
    expect(k.ours.policies.size).toBe(1);
    expect(k.outstanding).toBe(0);
  });

  it("a refusal becomes a KernelError with the errno name and the extended-ack text, even when it arrives before send() resolves", async () => {
    const s = new FakeSocket(4242, (m) => [answer(m, 93, "Requested type not found")], true);
    const k = new XfrmKernel({ requests: s });
    const e = await refusal(k.addSa(sa));
    expect([e.op, e.errno, e.code, e.detail]).toEqual(["XFRM_MSG_NEWSA", 93, "EPROTONOSUPPORT", "Requested type not found"]);
    expect(e.message).toBe("XFRM_MSG_NEWSA: EPROTONOSUPPORT (Requested type not found)");
    expect(k.ours.sas.size).toBe(0);
  });

  it("ignores replies for another port or sequence number; the wait is bounded (ETIMEDOUT)", async () => {
    const s = new FakeSocket(4242, (m) => [answer(m, 0, undefined, 999), answer({ ...m, seq: m.seq + 50 })]);
    const k = new XfrmKernel({ requests: s, timeoutMs: 60 });
    const t0 = Date.now();
    const e = await refusal(k.deletePolicy(policy));
    expect(e.code).toBe("ETIMEDOUT");
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(k.outstanding).toBe(0);
  });

  it("ALLOCSPI and GETSA read the XFRM_MSG_NEWSA reply", async () => {
    const s = new FakeSocket(4242, (m) => {
      const info = X.encodeUsersaInfo({ ...sa, spi: 0xc0de0001 });
      new DataView(info.buffer).setBigUint64(X.XFRM_USERSA_INFO.curlft + 8, 31n, true);
      return [X.nlmsg({ type: X.XFRM_MSG_NEWSA, flags: 0, seq: m.seq, pid: 4242 }, info)];
    });
    const k = new XfrmKernel({ requests: s });
    expect(await k.allocSpi({ src: "10.0.0.1", dst: "10.0.0.2" })).toBe(0xc0de0001);
    expect(k.ours.sas.has("esp:10.0.0.2:0xc0de0001")).toBe(true);
    expect((await k.getSaCounters({ ...sa, spi: 0xc0de0001 })).packets).toBe(31n);
    expect(s.sent.map((m) => X.messageTypeName(m.type))).toEqual(["XFRM_MSG_ALLOCSPI", "XFRM_MSG_GETSA"]);
  });

  it("a failing send is an error of that request, and nothing stays pending", async () => {
    const s = new FakeSocket(4242);
    s.sendError = Object.assign(new Error("sendmsg failed"), { code: "ENOBUFS" });
    const k = new XfrmKernel({ requests: s });
    expect((await refusal(k.addSa(sa))).code).toBe("ENOBUFS");
    expect(k.outstanding).toBe(0);
  });

  it("events: ACQUIRE and EXPIRE reach the handler; a hard expire forgets our SA; overflow is a 'lost' event", async () => {
    const req = new FakeSocket(4242, (m) => [answer(m)]);
    const ev = new FakeSocket(4343);
    const k = new XfrmKernel({ requests: req, events: ev });
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await k.addSa(sa);
    const exp = new Uint8Array(X.XFRM_USER_EXPIRE.size);
    exp.set(X.encodeUsersaInfo(sa));
    ev.deliver(X.nlmsg({ type: X.XFRM_MSG_EXPIRE, flags: 0, seq: 0 }, exp));
    expect(k.ours.sas.size).toBe(1); // soft
    exp[X.XFRM_USER_EXPIRE.hard] = 1;
    ev.deliver(X.nlmsg({ type: X.XFRM_MSG_EXPIRE, flags: 0, seq: 0 }, exp));
    expect(k.ours.sas.size).toBe(0);
    ev.deliver(X.nlmsg({ type: X.XFRM_MSG_ACQUIRE, flags: 0, seq: 0 }, new Uint8Array(X.XFRM_USER_ACQUIRE.size)));
    ev.deliver(X.nlmsg({ type: X.XFRM_MSG_ACQUIRE, flags: 0, seq: 0 }, new Uint8Array(10)));
    ev.fail("ENOBUFS");
    expect(events.map((e) => (e.kind === "expire" ? `expire ${e.hard ? "hard" : "soft"} 0x${e.spi.toString(16)}` : e.kind))).toEqual([
      "expire soft 0x1234",
      "expire hard 0x1234",
      "acquire",
      "lost",
      "lost",
    ]);
  });

  it("flushOurs deletes each entry we created, counts ESRCH/ENOENT as gone, tries all and throws the first other error", async () => {
    const s = new FakeSocket(4242, (m) => {
      if (m.type === X.XFRM_MSG_DELPOLICY) return [answer(m, 2)]; // ENOENT: already gone
      if (m.type === X.XFRM_MSG_DELSA && new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(16) === 0x2) return [answer(m, 1)]; // EPERM
      return [answer(m)];
    });
    const k = new XfrmKernel({ requests: s });
    await k.addPolicy(policy);
    await k.addSa(sa);
    await k.addSa({ ...sa, spi: 2 });
    await k.addSa({ ...sa, spi: 3 });
    const e = await refusal(k.flushOurs());
    expect(e.code).toBe("EPERM");
    const dels = s.sent.filter((m) => m.type === X.XFRM_MSG_DELSA || m.type === X.XFRM_MSG_DELPOLICY);
    expect(dels.map((m) => X.messageTypeName(m.type))).toEqual(["XFRM_MSG_DELPOLICY", "XFRM_MSG_DELSA", "XFRM_MSG_DELSA", "XFRM_MSG_DELSA"]);
    expect(k.ours.sas.size + k.ours.policies.size).toBe(0);
    // No FLUSHSA / FLUSHPOLICY is ever sent.
    expect(s.sent.some((m) => m.type === X.XFRM_MSG_FLUSHSA || m.type === X.XFRM_MSG_FLUSHPOLICY)).toBe(false);
  });

  it("close fails what is pending with EBADF, closes both sockets, and refuses later calls", async () => {
    const req = new FakeSocket(4242); // never answers
    const ev = new FakeSocket(4343);
    const k = new XfrmKernel({ requests: req, events: ev, timeoutMs: 10_000 });
    const p = refusal(k.addPolicy(policy));
    await new Promise((r) => setTimeout(r, 5));
    await k.close();
    expect((await p).code).toBe("EBADF");
    expect([req.closed, ev.closed]).toEqual([true, true]);
    expect((await refusal(k.deleteSa(sa))).code).toBe("EBADF");
  });
});
