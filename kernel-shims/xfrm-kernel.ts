// The Kernel over XFRM netlink, runtime-neutral: the host supplies datagram sockets already
// bound to NETLINK_XFRM (netlink-node.ts for Node; Deno's FFI socket later) and this file does
// the rest: sequence numbers, matching replies and acks to requests, bounded waits, errno
// decoding, the multicast events, and the list of what we created so that flushOurs deletes
// exactly that and never flushes the kernel's whole tables.

import {
  KernelError,
  policyKey,
  saKey,
  type Kernel,
  type KernelEventHandler,
  type PolicyId,
  type PolicySpec,
  type SaCounters,
  type SaId,
  type SaSpec,
  type SpiRequest,
} from "./kernel.ts";
import {
  decodeError,
  decodeEvent,
  decodeSaReply,
  encodeAllocSpi,
  encodeDelPolicy,
  encodeDelSa,
  encodeGetSa,
  encodeNewPolicy,
  encodeNewSa,
  errnoNumber,
  messageTypeName,
  NLMSG_DONE,
  NLMSG_ERROR,
  splitMessages,
  type NlMessage,
} from "./xfrm.ts";

/** A netlink datagram socket as a host provides it. Only datagrams from the kernel are delivered. */
export interface NetlinkSocket {
  /** The socket's netlink port id (nl_pid), the pid the kernel puts in its replies. */
  readonly port: number;
  send(bytes: Uint8Array): Promise<void>;
  /** Every datagram the kernel (port 0) sends to this socket. */
  onDatagram(listener: (bytes: Uint8Array) => void): void;
  /** Asynchronous socket errors, e.g. ENOBUFS when the receive buffer overflowed. */
  onError(listener: (error: { code?: string; message: string }) => void): void;
  close(): void;
}

export interface XfrmKernelOptions {
  /** Requests and their replies. */
  requests: NetlinkSocket;
  /** Joined to XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE; absent: no events. */
  events?: NetlinkSocket;
  /** Longest wait for a reply, in milliseconds (default 5000). */
  timeoutMs?: number;
  /** First sequence number (default: derived from the clock, as iproute2 does). */
  firstSeq?: number;
}

interface Pending {
  op: string;
  resolve: (m: NlMessage | undefined) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class XfrmKernel implements Kernel {
  private seq: number;
  private readonly pending = new Map<number, Pending>();
  private handler: KernelEventHandler | undefined;
  private closed = false;
  private readonly timeoutMs: number;
  /** What this object created and has not seen deleted, by saKey / policyKey. */
  readonly ours = { sas: new Map<string, SaId>(), policies: new Map<string, PolicyId>() };

  constructor(private readonly options: XfrmKernelOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.seq = (options.firstSeq ?? Math.floor(Date.now() / 1000)) >>> 0;
    options.requests.onDatagram((b) => this.onReply(b));
    options.requests.onError((e) => this.failAll(new KernelError("netlink", errnoNumber(e.code ?? "") ?? 0, e.code ?? "EIO", e.message)));
    if (options.events) {
      options.events.onDatagram((b) => this.onEventDatagram(b));
      options.events.onError((e) => this.handler?.({ kind: "lost", reason: `${e.code ?? "error"}: ${e.message}` }));
    }
  }

  private onReply(bytes: Uint8Array): void {
    let msgs: NlMessage[];
    try {
      msgs = splitMessages(bytes);
    } catch {
      return; // a malformed datagram cannot be matched to a request; the request times out
    }
    for (const m of msgs) {
      const p = this.pending.get(m.seq);
      if (!p || (m.pid !== 0 && m.pid !== this.options.requests.port)) continue;
      this.pending.delete(m.seq);
      clearTimeout(p.timer);
      if (m.type === NLMSG_ERROR) {
        const e = decodeError(m);
        if (e.errno === 0) p.resolve(undefined);
        else p.reject(new KernelError(p.op, e.errno, e.code, e.detail));
      } else if (m.type === NLMSG_DONE) {
        p.resolve(undefined);
      } else {
        p.resolve(m);
      }
    }
  }

  private onEventDatagram(bytes: Uint8Array): void {
    let msgs: NlMessage[];
    try {
      msgs = splitMessages(bytes);
    } catch (e) {
      this.handler?.({ kind: "lost", reason: `undecodable event datagram: ${(e as Error).message}` });
      return;
    }
    for (const m of msgs) {
      let ev;
      try {
        ev = decodeEvent(m);
      } catch (e) {
        this.handler?.({ kind: "lost", reason: `undecodable ${messageTypeName(m.type)}: ${(e as Error).message}` });
        continue;
      }
      if (!ev) continue;
      // The kernel deletes an SA on a hard expire: it is no longer ours to delete.
      if (ev.kind === "expire" && ev.hard) this.ours.sas.delete(saKey({ dst: ev.dst, spi: ev.spi, proto: ev.proto === "ah" ? "ah" : "esp" }));
      this.handler?.(ev);
    }
  }

  private failAll(e: Error): void {
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(seq);
      p.reject(e);
    }
  }

  /** Sends one request and waits (bounded) for its reply: a message, or undefined for an ACK. */
  private async request(op: string, encode: (seq: number) => Uint8Array): Promise<NlMessage | undefined> {
    if (this.closed) throw new KernelError(op, errnoNumber("EBADF")!, "EBADF", "kernel interface closed");
    this.seq = (this.seq + 1) >>> 0 || 1;
    const seq = this.seq;
    const bytes = encode(seq);
    const reply = new Promise<NlMessage | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new KernelError(op, errnoNumber("ETIMEDOUT")!, "ETIMEDOUT", `no reply in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(seq, { op, resolve, reject, timer });
    });
    // The kernel answers during sendmsg, so the reply can settle before send() resolves; it is
    // awaited below, but must not count as unhandled in between.
    reply.catch(() => undefined);
    try {
      await this.options.requests.send(bytes);
    } catch (e) {
      const p = this.pending.get(seq);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(seq);
      }
      const code = (e as { code?: string }).code ?? "EIO";
      throw new KernelError(op, errnoNumber(code) ?? 0, code, (e as Error).message);
    }
    return reply;
  }

  async addSa(sa: SaSpec): Promise<void> {
    await this.request("XFRM_MSG_NEWSA", (seq) => encodeNewSa(sa, { seq }));
    this.ours.sas.set(saKey(sa, sa.mark), idOf(sa));
  }

  async updateSa(sa: SaSpec): Promise<void> {
    await this.request("XFRM_MSG_UPDSA", (seq) => encodeNewSa(sa, { seq }, true));
    this.ours.sas.set(saKey(sa, sa.mark), idOf(sa));
  }

  async deleteSa(id: SaId): Promise<void> {
    try {
      await this.request("XFRM_MSG_DELSA", (seq) => encodeDelSa(id, { seq }));
    } finally {
      this.ours.sas.delete(saKey(id, id.mark));
    }
  }

  async getSaCounters(id: SaId): Promise<SaCounters> {
    const m = await this.request("XFRM_MSG_GETSA", (seq) => encodeGetSa(id, { seq }));
    if (!m) throw new KernelError("XFRM_MSG_GETSA", errnoNumber("EPROTO")!, "EPROTO", "acknowledged without the SA");
    return decodeSaReply(m).counters;
  }

  async allocSpi(req: SpiRequest): Promise<number> {
    const m = await this.request("XFRM_MSG_ALLOCSPI", (seq) => encodeAllocSpi(req, { seq }));
    if (!m) throw new KernelError("XFRM_MSG_ALLOCSPI", errnoNumber("EPROTO")!, "EPROTO", "acknowledged without the SA");
    const sa = decodeSaReply(m);
    const id: SaId = { src: req.src, dst: req.dst, spi: sa.spi, ...(req.proto ? { proto: req.proto } : {}) };
    this.ours.sas.set(saKey(id), id);
    return sa.spi;
  }

  async addPolicy(policy: PolicySpec, options: { update?: boolean } = {}): Promise<void> {
    const op = options.update ? "XFRM_MSG_UPDPOLICY" : "XFRM_MSG_NEWPOLICY";
    await this.request(op, (seq) => encodeNewPolicy(policy, { seq }, options.update));
    const id: PolicyId = { selector: policy.selector, dir: policy.dir, ...(policy.mark ? { mark: policy.mark } : {}) };
    this.ours.policies.set(policyKey(id), id);
  }

  async deletePolicy(id: PolicyId): Promise<void> {
    try {
      await this.request("XFRM_MSG_DELPOLICY", (seq) => encodeDelPolicy(id, { seq }));
    } finally {
      this.ours.policies.delete(policyKey(id));
    }
  }

  /**
   * Deletes what this object created, one DELSA / DELPOLICY each; entries already gone (ESRCH,
   * ENOENT) count as deleted. Every entry is tried; the first other failure is thrown at the end.
   */
  async flushOurs(): Promise<void> {
    let first: unknown;
    const gone = (e: unknown) => e instanceof KernelError && (e.code === "ESRCH" || e.code === "ENOENT");
    for (const id of [...this.ours.policies.values()]) {
      await this.deletePolicy(id).catch((e) => {
        if (!gone(e)) first ??= e;
      });
    }
    for (const id of [...this.ours.sas.values()]) {
      await this.deleteSa(id).catch((e) => {
        if (!gone(e)) first ??= e;
      });
    }
    if (first) throw first;
  }

  onEvent(handler: KernelEventHandler | undefined): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new KernelError("close", errnoNumber("EBADF")!, "EBADF", "kernel interface closed"));
    this.handler = undefined;
    this.options.requests.close();
    this.options.events?.close();
  }

  /** Requests waiting for their reply (for tests: must be 0 when idle). */
  get outstanding(): number {
    return this.pending.size;
  }
}

function idOf(sa: SaSpec): SaId {
  const id: SaId = { src: sa.src, dst: sa.dst, spi: sa.spi };
  if (sa.proto) id.proto = sa.proto;
  if (sa.mark) id.mark = sa.mark;
  return id;
}
