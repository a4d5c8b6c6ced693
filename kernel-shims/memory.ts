// The in-memory kernel: SA and policy tables in this process, the default wherever XFRM cannot be
// used (unprivileged runs, the demo, tests). It keeps the kernel's basic rules, with the errnos
// the kernel answers:
//
//   NEWSA on a taken (dst, spi, proto, mark), larval SPIs from ALLOCSPI included   EEXIST
//   UPDSA, DELSA, GETSA of a missing SA                                            ESRCH
//   NEWPOLICY on a taken (selector, dir, mark)                                     EEXIST
//   DELPOLICY of a missing policy                                                  ENOENT
//
// Requests are encoded with the real encoders first (not in a lean kernel, the daemon's: see
// MemoryKernelOptions.lean), so a spec the kernel path would refuse
// (unknown transform, wrong key length, mixed families) is refused here the same way.
// Byte and packet counters stay zero. Expire and acquire events are raised on demand.
//
// Several MemoryKernel handles can share one MemoryXfrm (as processes share a kernel), so that
// flushOurs can be shown to leave others' entries alone.

import {
  KernelError,
  policyKey,
  saKey,
  type AcquireEvent,
  type ExpireEvent,
  type Kernel,
  type KernelEvent,
  type KernelEventHandler,
  type PolicyId,
  type PolicySpec,
  type SaCounters,
  type SaId,
  type SaSpec,
  type Selector,
  type SpiRequest,
} from "./kernel.ts";
import { encodeAllocSpi, encodeDelPolicy, encodeDelSa, encodeNewPolicy, encodeNewSa, errnoNumber } from "./xfrm.ts";

export interface MemorySa {
  /** Absent while larval (allocated by allocSpi, not yet completed by updateSa), and in a lean kernel. */
  spec?: SaSpec;
  id: SaId;
  reqid: number;
  owner: MemoryKernel;
}

export interface MemoryPolicy {
  /** In a lean kernel the request itself, not a copy. */
  spec: PolicySpec;
  index: number;
  owner: MemoryKernel;
}

export type KernelOpName =
  | "addSa"
  | "updateSa"
  | "deleteSa"
  | "getSaCounters"
  | "allocSpi"
  | "addPolicy"
  | "updatePolicy"
  | "deletePolicy"
  | "flushOurs"
  | "close";

/** One entry of the operations log: what was asked, on what, and what the kernel answered. */
export interface KernelOp {
  op: KernelOpName;
  /** The SA or policy key (saKey / policyKey), or "" for flushOurs and close. */
  target: string;
  /** The request as given (cloned). */
  arg?: unknown;
  /** "OK" or the errno name. */
  result: string;
  /** allocSpi: the SPI handed out. */
  spi?: number;
}

/** The shared tables: one "kernel". */
export class MemoryXfrm {
  readonly sas = new Map<string, MemorySa>();
  readonly policies = new Map<string, MemoryPolicy>();
  /** The operations of the handles that record them, in order: the last `opsLimit`. */
  readonly ops: KernelOp[] = [];
  /** Operations recorded and then let go, the oldest first, to stay within opsLimit. */
  opsDropped = 0;
  opsLimit = 100_000;
  private nextIndex = 8; // the kernel's policy indexes are multiples of 8 plus the direction
  private rng: number;

  constructor(seed = 0x5eed) {
    this.rng = seed >>> 0 || 1;
  }

  /** xorshift32: deterministic "random" SPIs, as the kernel picks them at random. */
  nextRandom(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  allocIndex(dir: number): number {
    const i = this.nextIndex + dir;
    this.nextIndex += 8;
    return i;
  }
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

function err(op: string, code: string): KernelError {
  return new KernelError(op, errnoNumber(code) ?? 0, code);
}

export interface MemoryKernelOptions {
  /** Share tables with other handles; a private MemoryXfrm by default. */
  xfrm?: MemoryXfrm;
  /**
   * Keep an operations log (`ops`, for tests; the default). A daemon keeps none: it never reads
   * the log, which would otherwise hold a copy of every request, keys included.
   */
  record?: boolean;
  /**
   * Keep only what the tables' rules and events need (each SA's id, reqid and owner, not its
   * keys; each policy as given, not a copy) and encode nothing in netlink first. A
   * daemon's kernel (pluto --kernel memory), where the core makes the requests and
   * `whack --status` reads what hosts/kernel-adapter.ts keeps; that encoding and those copies
   * were a third of a responder's CPU per IKE SA. Implies record: false.
   */
  lean?: boolean;
  /**
   * Refuse SAs, as a kernel without ESP refuses them (XFRM_MSG_NEWSA: EPROTONOSUPPORT here):
   * the errno name for every SA, or a function of the SA giving it (null: take that one).
   * For tests of what the daemon does when its kernel refuses; can be changed at any time.
   */
  refuseSa?: string | ((sa: SaSpec) => string | null);
}

export class MemoryKernel implements Kernel {
  readonly xfrm: MemoryXfrm;
  private handler: KernelEventHandler | undefined;
  private closed = false;

  private readonly record: boolean;
  private readonly lean: boolean;
  refuseSa: MemoryKernelOptions["refuseSa"];
  constructor(options: MemoryKernelOptions = {}) {
    this.xfrm = options.xfrm ?? new MemoryXfrm();
    this.lean = options.lean ?? false;
    this.record = !this.lean && (options.record ?? true);
    this.refuseSa = options.refuseSa;
  }

  /** This handle's log: the shared log's entries made through this handle. */
  get ops(): readonly KernelOp[] {
    return this.xfrm.ops.filter((o) => this.mine.has(o));
  }
  private readonly mine = new WeakSet<KernelOp>();

  private log(entry: KernelOp): void {
    const x = this.xfrm;
    x.ops.push(entry);
    this.mine.add(entry);
    // bounded: let the oldest half go at once (one splice per limit/2 operations)
    if (x.ops.length > x.opsLimit) {
      const n = x.ops.length - Math.floor(x.opsLimit / 2);
      x.ops.splice(0, n);
      x.opsDropped += n;
    }
  }

  private run<T>(op: KernelOpName, target: string, arg: unknown, f: () => T, extra?: (r: T) => Partial<KernelOp>): T {
    if (this.closed) throw err(op, "EBADF");
    try {
      const r = f();
      if (this.record) this.log({ op, target, arg: arg === undefined ? undefined : clone(arg), result: "OK", ...(extra ? extra(r) : {}) });
      return r;
    } catch (e) {
      if (this.record) this.log({ op, target, arg: arg === undefined ? undefined : clone(arg), result: e instanceof KernelError ? e.code : "EINVAL" });
      throw e;
    }
  }

  async addSa(sa: SaSpec): Promise<void> {
    const key = saKey(sa, sa.mark);
    this.run("addSa", key, sa, () => {
      if (!this.lean) encodeNewSa(sa, { seq: 0 });
      const refused = typeof this.refuseSa === "function" ? this.refuseSa(sa) : this.refuseSa;
      if (refused) throw err("XFRM_MSG_NEWSA", refused);
      if (this.xfrm.sas.has(key)) throw err("XFRM_MSG_NEWSA", "EEXIST");
      this.xfrm.sas.set(key, { ...(this.lean ? {} : { spec: clone(sa) }), id: idOf(sa, this.lean), reqid: sa.reqid, owner: this });
    });
  }

  async updateSa(sa: SaSpec): Promise<void> {
    const key = saKey(sa, sa.mark);
    this.run("updateSa", key, sa, () => {
      if (!this.lean) encodeNewSa(sa, { seq: 0 }, true);
      const old = this.xfrm.sas.get(key);
      if (!old) throw err("XFRM_MSG_UPDSA", "ESRCH");
      this.xfrm.sas.set(key, { ...(this.lean ? {} : { spec: clone(sa) }), id: idOf(sa, this.lean), reqid: sa.reqid, owner: old.owner });
    });
  }

  async deleteSa(id: SaId): Promise<void> {
    const key = saKey(id, id.mark);
    this.run("deleteSa", key, id, () => {
      if (!this.lean) encodeDelSa(id, { seq: 0 });
      if (!this.xfrm.sas.delete(key)) throw err("XFRM_MSG_DELSA", "ESRCH");
    });
  }

  async getSaCounters(id: SaId): Promise<SaCounters> {
    const key = saKey(id, id.mark);
    return this.run("getSaCounters", key, id, () => {
      if (!this.xfrm.sas.has(key)) throw err("XFRM_MSG_GETSA", "ESRCH");
      return { bytes: 0n, packets: 0n, addTime: 0n, useTime: 0n };
    });
  }

  async allocSpi(req: SpiRequest): Promise<number> {
    return this.run(
      "allocSpi",
      `${req.proto ?? "esp"}:${req.dst}`,
      req,
      () => {
        if (!this.lean) encodeAllocSpi(req, { seq: 0 });
        const min = req.min ?? 0x100;
        const max = req.max ?? 0xffff_ffff;
        const span = max - min + 1;
        // Like the kernel: random tries, then give up with ENOENT.
        for (let i = 0; i < Math.min(span, 4096) * 2; i++) {
          const spi = span === 1 ? min : min + (this.xfrm.nextRandom() % span);
          const id: SaId = { src: req.src, dst: req.dst, spi, ...(req.proto ? { proto: req.proto } : {}) };
          const key = saKey(id);
          if (this.xfrm.sas.has(key)) continue;
          this.xfrm.sas.set(key, { id, reqid: req.reqid ?? 0, owner: this });
          return spi;
        }
        throw err("XFRM_MSG_ALLOCSPI", "ENOENT");
      },
      (spi) => ({ spi }),
    );
  }

  async addPolicy(policy: PolicySpec, options: { update?: boolean } = {}): Promise<void> {
    const key = policyKey(policy);
    this.run(options.update ? "updatePolicy" : "addPolicy", key, policy, () => {
      if (!this.lean) encodeNewPolicy(policy, { seq: 0 }, options.update);
      const old = this.xfrm.policies.get(key);
      if (old && !options.update) throw err("XFRM_MSG_NEWPOLICY", "EEXIST");
      const dir = policy.dir === "in" ? 0 : policy.dir === "out" ? 1 : 2;
      this.xfrm.policies.set(key, { spec: this.lean ? policy : clone(policy), index: old?.index ?? this.xfrm.allocIndex(dir), owner: old?.owner ?? this });
    });
  }

  async deletePolicy(id: PolicyId): Promise<void> {
    const key = policyKey(id);
    this.run("deletePolicy", key, id, () => {
      if (!this.lean) encodeDelPolicy(id, { seq: 0 });
      if (!this.xfrm.policies.delete(key)) throw err("XFRM_MSG_DELPOLICY", "ENOENT");
    });
  }

  async flushOurs(): Promise<void> {
    this.run("flushOurs", "", undefined, () => {
      for (const [k, sa] of this.xfrm.sas) if (sa.owner === this) this.xfrm.sas.delete(k);
      for (const [k, p] of this.xfrm.policies) if (p.owner === this) this.xfrm.policies.delete(k);
    });
  }

  onEvent(handler: KernelEventHandler | undefined): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.run("close", "", undefined, () => undefined);
    this.closed = true;
    this.handler = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // For tests and the demo: events on demand (delivered synchronously to the handler).

  /**
   * Raises an EXPIRE for an SA, as its soft or hard limit would. A hard expire deletes the SA,
   * as the kernel does before it tells us. Throws ESRCH if there is no such SA.
   */
  raiseExpire(id: SaId, hard: boolean): ExpireEvent {
    const key = saKey(id, id.mark);
    const sa = this.xfrm.sas.get(key);
    if (!sa) throw err("expire", "ESRCH");
    if (hard) this.xfrm.sas.delete(key);
    const ev: ExpireEvent = {
      kind: "expire",
      hard,
      src: sa.id.src,
      dst: sa.id.dst,
      spi: sa.id.spi,
      proto: sa.id.proto ?? "esp",
      reqid: sa.reqid,
      mode: sa.spec?.mode ?? "transport",
      counters: { bytes: 0n, packets: 0n, addTime: 0n, useTime: 0n },
    };
    this.emit(ev);
    return ev;
  }

  /**
   * Raises an ACQUIRE as outbound traffic `flow` matching an "out" policy with templates and no
   * SA would. Throws ENOENT if no such policy, EINVAL if it has no template.
   */
  raiseAcquire(policy: PolicyId, flow: Selector, seq = 1): AcquireEvent {
    const p = this.xfrm.policies.get(policyKey(policy));
    if (!p) throw err("acquire", "ENOENT");
    const t = p.spec.templates?.[0];
    if (!t) throw err("acquire", "EINVAL");
    const ev: AcquireEvent = {
      kind: "acquire",
      src: t.src ?? flow.src.split("/")[0]!,
      dst: t.dst ?? flow.dst.split("/")[0]!,
      proto: t.proto ?? "esp",
      selector: clone(flow),
      policy: { ...clone(p.spec), index: p.index },
      seq,
    };
    this.emit(ev);
    return ev;
  }

  /** Delivers an event to the handler, if any (events with no handler are dropped, as unread). */
  emit(ev: KernelEvent): void {
    this.handler?.(ev);
  }
}

function idOf(sa: SaSpec, lean = false): SaId {
  const id: SaId = { src: sa.src, dst: sa.dst, spi: sa.spi };
  if (sa.proto) id.proto = sa.proto;
  if (sa.mark) id.mark = lean ? { ...sa.mark } : clone(sa.mark);
  return id;
}
