// The user-space data plane (--kernel userspace): a Kernel that takes the SAs and policies the
// XFRM kernel would take and carries the ESP itself, as strongSwan's kernel-libipsec does, for
// kernels (and containers) with XFRM but no ESP. Runtime-neutral: the host brings a TUN
// device, rtnetlink for its routes, a raw IP socket for plain ESP (IP protocol 50) if it can
// have one, and the sender of its NAT-T socket (ESP in UDP, RFC 3948, port 4500).
//
//   outbound: TUN -> the "out" policy whose selector the packet matches (most specific first)
//             -> its template's newest SA (none: ACQUIRE, as the kernel raises it) -> ESP ->
//             UDP from the daemon's NAT-T socket (SAs with encap) or the raw socket
//   inbound:  UDP 4500 without the non-ESP marker, or the raw socket -> the SA of the SPI ->
//             anti-replay check -> ICV -> padding -> the inner packet checked against the
//             SA's "in" policies -> TUN
//
// Every packet dropped is counted by reason (`drops`) and logged, rate-limited: the first of a
// kind at once, then a count every 10 s. Byte and packet lifetimes raise soft and hard EXPIREs
// as XFRM does (the hard one deletes the SA first). Routes: one per out policy's destination
// prefix, through the TUN, with our address inside the source selector as the preferred source.
import { parseAddress, parsePrefix, canonicalAddress, formatAddress } from "./address.ts";
import { EspSa, ReplayWindow, espHeader, espUnsupported } from "./esp.ts";
import {
  KernelError,
  policyKey,
  saKey,
  type Kernel,
  type KernelEventHandler,
  type Lifetimes,
  type PolicyId,
  type PolicySpec,
  type SaCounters,
  type SaId,
  type SaSpec,
  type Selector,
  type SpiRequest,
} from "./kernel.ts";
import { LogLimiter } from "../hosts/log-limit.ts";

export interface TunDevice {
  readonly name: string;
  write(packet: Uint8Array): void;
  onPacket(listener: (packet: Uint8Array) => void): void;
  onError?(listener: (e: Error) => void): void;
  close(): void;
}

export interface RawEspSocket {
  send(src: string, dst: string, esp: Uint8Array): void;
  onPacket(listener: (src: string, dst: string, esp: Uint8Array) => void): void;
  close(): void;
}

export interface RouteTable {
  addRoute(prefix: string, src?: string): Promise<void>;
  delRoute(prefix: string): Promise<void>;
}

export interface UserspaceIo {
  tun: TunDevice;
  routes: RouteTable;
  /** Plain ESP, or why the host has none (then only UDP-encapsulated SAs carry traffic). */
  raw: RawEspSocket | { error: string };
  /** Milliseconds, monotonic. */
  now(): number;
  /** Seconds since the epoch (the SA's add and use times, as XFRM reports them). */
  wallSeconds(): number;
  log(line: string): void;
  /** Our own addresses (the preferred source of a route is the one inside the source selector). */
  localAddresses(): string[];
}

export type DropReason = "unknown SPI" | "bad ICV" | "replayed" | "too old" | "bad padding" | "truncated" | "outside selectors" | "no policy" | "blocked" | "no SA" | "no raw socket" | "malformed" | "send failed" | "sequence exhausted";

interface Prefix { family: number; bytes: Uint8Array; len: number }
interface CompiledSelector { src: Prefix; dst: Prefix; proto: number; sport?: number; dport?: number }

interface UsSa {
  spec: SaSpec;
  esp: EspSa;
  window: ReplayWindow;
  /** Outbound: the last sequence number sent. */
  seq: number;
  bytes: bigint;
  packets: bigint;
  addTime: bigint;
  useTime: bigint;
  softSent: boolean;
  order: number;
}

interface UsPolicy { spec: PolicySpec; sel: CompiledSelector; specificity: number; index: number; acquiredAt: number }

/** XFRM_ACQ_EXPIRES: the kernel raises one ACQUIRE per policy and flow this often at most. */
const ACQUIRE_EVERY_MS = 30_000;
const XFRM_INF = (1n << 64n) - 1n;

function prefixOf(text: string): Prefix {
  const p = parsePrefix(text);
  return { family: p.family, bytes: p.bytes, len: p.prefixLen };
}

function inPrefix(p: Prefix, family: number, addr: Uint8Array): boolean {
  if (p.family !== family) return false;
  let bits = p.len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & m) !== (p.bytes[i]! & m)) return false;
  }
  return true;
}

function compile(s: Selector): CompiledSelector {
  const c: CompiledSelector = { src: prefixOf(s.src), dst: prefixOf(s.dst), proto: s.proto ?? 0 };
  if (s.sport !== undefined) c.sport = s.sport;
  if (s.dport !== undefined) c.dport = s.dport;
  return c;
}

/** What a packet is, for selectors: addresses, upper-layer protocol, ports (ICMP: type, code). */
export interface Flow { family: number; src: Uint8Array; dst: Uint8Array; proto: number; sport: number; dport: number; headerLen: number }

/** An IPv4 or IPv6 packet's flow, or null when it is not one. */
export function parseFlow(p: Uint8Array): Flow | null {
  if (p.length < 20) return null;
  const version = p[0]! >> 4;
  let family: number, src: Uint8Array, dst: Uint8Array, proto: number, off: number;
  if (version === 4) {
    off = (p[0]! & 15) * 4;
    if (off < 20 || p.length < off) return null;
    family = 2;
    src = p.subarray(12, 16);
    dst = p.subarray(16, 20);
    proto = p[9]!;
    const frag = ((p[6]! & 0x1f) << 8) | p[7]!;
    if (frag !== 0) return { family, src, dst, proto, sport: 0, dport: 0, headerLen: off }; // not the first fragment: no ports
  } else if (version === 6) {
    if (p.length < 40) return null;
    family = 10;
    src = p.subarray(8, 24);
    dst = p.subarray(24, 40);
    proto = p[6]!;
    off = 40;
    // hop-by-hop, routing, destination options: skip to the upper layer
    while ((proto === 0 || proto === 43 || proto === 60) && off + 8 <= p.length) {
      const next = p[off]!;
      off += (p[off + 1]! + 1) * 8;
      proto = next;
    }
  } else {
    return null;
  }
  let sport = 0, dport = 0;
  if ((proto === 6 || proto === 17 || proto === 132) && off + 4 <= p.length) {
    sport = (p[off]! << 8) | p[off + 1]!;
    dport = (p[off + 2]! << 8) | p[off + 3]!;
  } else if ((proto === 1 || proto === 58) && off + 2 <= p.length) {
    sport = p[off]!; // XFRM selectors take the ICMP type as the source port, the code as the destination port
    dport = p[off + 1]!;
  }
  return { family, src, dst, proto, sport, dport, headerLen: off };
}

function matches(s: CompiledSelector, f: Flow): boolean {
  if (!inPrefix(s.src, f.family, f.src) || !inPrefix(s.dst, f.family, f.dst)) return false;
  if (s.proto && s.proto !== f.proto) return false;
  if (s.sport !== undefined && s.sport !== f.sport) return false;
  if (s.dport !== undefined && s.dport !== f.dport) return false;
  return true;
}

const addrText = (family: number, b: Uint8Array) => formatAddress(family, b);
const flowText = (f: Flow) => `${addrText(f.family, f.src)} -> ${addrText(f.family, f.dst)} proto ${f.proto}${f.sport || f.dport ? ` ${f.sport} -> ${f.dport}` : ""}`;

function err(op: string, code: string, errno: number, detail?: string): KernelError {
  return new KernelError(op, errno, code, detail);
}

export class UserspaceKernel implements Kernel {
  private readonly sas = new Map<string, UsSa>(); // by saKey (dst, spi)
  private readonly policies = new Map<string, UsPolicy>();
  private readonly routes = new Map<string, number>(); // prefix -> out policies using it
  private readonly routed = new Set<string>(); // the prefixes whose route is in place
  private handler: KernelEventHandler | undefined;
  private closed = false;
  private order = 0;
  private nextIndex = 8;
  private readonly limiter: LogLimiter;
  private udpSender: ((src: string, sport: number, dst: string, dport: number, bytes: Uint8Array) => void) | undefined;
  /** Packets dropped, by reason. */
  readonly drops = new Map<DropReason, number>();
  /** Packets carried: out of the TUN into ESP, and out of ESP into the TUN. */
  readonly carried = { out: 0, in: 0 };

  constructor(private readonly io: UserspaceIo) {
    this.limiter = new LogLimiter(io.log);
    io.tun.onPacket((p) => this.outbound(p));
    io.tun.onError?.((e) => this.drop("send failed", `TUN ${io.tun.name}: ${e.message}`));
    if ("error" in io.raw) io.log(`kernel userspace: no raw socket for plain ESP (${io.raw.error}): only UDP-encapsulated SAs (NAT-T) carry traffic`);
    else io.raw.onPacket((src, dst, esp) => this.inbound(esp, src, dst));
  }

  /** Where ESP in UDP goes out: the daemon's NAT-T socket from `src:sport`. */
  setUdpSender(send: (src: string, sport: number, dst: string, dport: number, bytes: Uint8Array) => void): void {
    this.udpSender = send;
  }

  /** A datagram that came to the NAT-T port without the non-ESP marker: ESP in UDP (RFC 3948). */
  udpInput(bytes: Uint8Array, src: string, dst: string): void {
    this.inbound(bytes, src, dst);
  }

  private drop(reason: DropReason, line: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    this.limiter.note(reason, this.io.now(), `kernel userspace: dropped: ${line}`, (n, secs) => `kernel userspace: dropped ${n} more packets (${reason}) in the last ${secs} s`);
  }

  // ---- the data path ---------------------------------------------------------------------------

  private outbound(packet: Uint8Array): void {
    if (this.closed) return;
    const f = parseFlow(packet);
    if (!f) return this.drop("malformed", `a packet of ${packet.length} bytes from ${this.io.tun.name} that is not IPv4 or IPv6`);
    let best: UsPolicy | undefined;
    for (const p of this.policies.values()) {
      if (p.spec.dir !== "out" || !matches(p.sel, f)) continue;
      if (!best || (p.spec.priority ?? 0) < (best.spec.priority ?? 0) || ((p.spec.priority ?? 0) === (best.spec.priority ?? 0) && p.specificity > best.specificity)) best = p;
    }
    if (!best) return this.drop("no policy", `${flowText(f)}: no outbound policy covers it`);
    if (best.spec.action === "block") return this.drop("blocked", `${flowText(f)}: its policy blocks it`);
    const t = best.spec.templates?.[0];
    if (!t) return this.drop("no policy", `${flowText(f)}: its policy has no IPsec template`);
    const sa = this.outboundSa(t.reqid, t.src, t.dst);
    if (!sa) {
      const now = this.io.now();
      if (best.acquiredAt === 0 || now - best.acquiredAt >= ACQUIRE_EVERY_MS) {
        best.acquiredAt = now;
        const sel: Selector = { src: addrText(f.family, f.src), dst: addrText(f.family, f.dst) };
        if (f.proto) sel.proto = f.proto;
        this.handler?.({ kind: "acquire", src: t.src ?? sel.src, dst: t.dst ?? sel.dst, proto: t.proto ?? "esp", selector: sel, policy: { ...best.spec, index: best.index }, seq: best.index });
      }
      return this.drop("no SA", `${flowText(f)}: no SA yet for reqid ${t.reqid} (acquire raised)`);
    }
    const s = sa.spec;
    if (!s.esn && sa.seq >= 0xffff_ffff) return this.drop("sequence exhausted", `SA 0x${s.spi.toString(16)}: the 32-bit sequence number is used up`);
    const seq = ++sa.seq;
    let payload = packet;
    let nh = f.family === 2 ? 4 : 41;
    if (s.mode === "transport") {
      payload = packet.subarray(f.headerLen);
      nh = f.proto;
    }
    const esp = sa.esp.seal(Math.floor(seq / 2 ** 32), seq >>> 0, payload, nh);
    if (!this.send(s, esp)) return;
    this.carried.out++;
    this.count(sa, packet.length);
  }

  private send(s: SaSpec, esp: Uint8Array): boolean {
    try {
      if (s.encap) {
        if (!this.udpSender) {
          this.drop("send failed", `SA 0x${s.spi.toString(16)}: no NAT-T socket to send ESP in UDP from`);
          return false;
        }
        this.udpSender(s.src, s.encap.sport, s.dst, s.encap.dport, esp);
      } else if ("error" in this.io.raw) {
        this.drop("no raw socket", `SA 0x${s.spi.toString(16)} to ${s.dst}: plain ESP needs a raw socket (${this.io.raw.error}); UDP encapsulation (NAT-T) would work`);
        return false;
      } else {
        this.io.raw.send(s.src, s.dst, esp);
      }
      return true;
    } catch (e) {
      this.drop("send failed", `ESP to ${s.dst}: ${(e as Error).message}`);
      return false;
    }
  }

  private inbound(esp: Uint8Array, src: string, dst: string): void {
    if (this.closed) return;
    const h = espHeader(esp);
    if (!h) return this.drop("truncated", `ESP of ${esp.length} bytes from ${src}: shorter than its 8-byte header`);
    const sa = this.sas.get(saKey({ dst, spi: h.spi }));
    if (!sa) return this.drop("unknown SPI", `ESP from ${src} to ${dst}: no SA with SPI 0x${h.spi.toString(16).padStart(8, "0")}`);
    const spiText = `SA 0x${h.spi.toString(16).padStart(8, "0")} from ${src}`;
    const c = sa.window.check(h.seqLow);
    if ("reason" in c) return this.drop(c.reason === "replay" ? "replayed" : "too old", `${spiText}: ${c.detail}`);
    const o = sa.esp.open(esp, Math.floor(c.seq / 2 ** 32));
    if (!o.ok) return this.drop(o.reason === "icv" ? "bad ICV" : o.reason === "padding" ? "bad padding" : "truncated", `${spiText}: ${o.detail}`);
    sa.window.accept(c.seq);
    if (o.nextHeader === 59) return this.drop("malformed", `${spiText}: a dummy packet (next header 59, RFC 4303 2.6)`);
    let inner: Uint8Array;
    if (sa.spec.mode === "tunnel") {
      if (o.nextHeader !== 4 && o.nextHeader !== 41) return this.drop("malformed", `${spiText}: next header ${o.nextHeader} in tunnel mode, expected 4 (IPv4) or 41 (IPv6)`);
      inner = o.payload;
    } else {
      inner = transportPacket(sa.spec.src, sa.spec.dst, o.nextHeader, o.payload);
    }
    const f = parseFlow(inner);
    if (!f) return this.drop("malformed", `${spiText}: the inner packet is not IPv4 or IPv6`);
    if (!this.inboundAllowed(sa.spec.reqid, f)) return this.drop("outside selectors", `${spiText}: ${flowText(f)} is outside the Child SA's traffic selectors`);
    this.count(sa, inner.length);
    this.carried.in++;
    this.io.tun.write(inner);
  }

  private inboundAllowed(reqid: number, f: Flow): boolean {
    for (const p of this.policies.values()) {
      if (p.spec.dir === "out" || !matches(p.sel, f)) continue;
      if (p.spec.templates?.some((t) => t.reqid === reqid || t.reqid === 0)) return true;
    }
    return false;
  }

  private outboundSa(reqid: number, src?: string, dst?: string): UsSa | undefined {
    let best: UsSa | undefined;
    const s = src ? canonicalAddress(src) : undefined;
    const d = dst ? canonicalAddress(dst) : undefined;
    for (const sa of this.sas.values()) {
      if (sa.spec.reqid !== reqid) continue;
      if (d ? canonicalAddress(sa.spec.dst) !== d : this.isLocal(sa.spec.dst)) continue;
      if (s && canonicalAddress(sa.spec.src) !== s) continue;
      if (!best || sa.order > best.order) best = sa; // the newest: a rekey switches at once
    }
    return best;
  }

  private isLocal(addr: string): boolean {
    const a = canonicalAddress(addr);
    return this.io.localAddresses().some((x) => {
      try {
        return canonicalAddress(x) === a;
      } catch {
        return false;
      }
    });
  }

  private count(sa: UsSa, bytes: number): void {
    sa.bytes += BigInt(bytes);
    sa.packets++;
    if (sa.useTime === 0n) sa.useTime = BigInt(this.io.wallSeconds());
    const l: Lifetimes = sa.spec.lifetime ?? {};
    const over = (n: bigint, limit?: bigint) => limit !== undefined && limit !== XFRM_INF && limit > 0n && n >= limit;
    if (over(sa.bytes, l.hardBytes) || over(sa.packets, l.hardPackets)) {
      this.removeSa(saKey(sa.spec, sa.spec.mark));
      this.expire(sa, true);
    } else if (!sa.softSent && (over(sa.bytes, l.softBytes) || over(sa.packets, l.softPackets))) {
      sa.softSent = true;
      this.expire(sa, false);
    }
  }

  private expire(sa: UsSa, hard: boolean): void {
    const s = sa.spec;
    this.handler?.({ kind: "expire", hard, src: s.src, dst: s.dst, spi: s.spi, proto: s.proto ?? "esp", reqid: s.reqid, mode: s.mode, counters: this.countersOf(sa) });
  }

  private countersOf(sa: UsSa): SaCounters {
    return { bytes: sa.bytes, packets: sa.packets, addTime: sa.addTime, useTime: sa.useTime };
  }

  // ---- the Kernel interface ---------------------------------------------------------------------

  private install(op: string, sa: SaSpec, replace: boolean): void {
    if (this.closed) throw err(op, "EBADF", 9, "kernel interface closed");
    if ((sa.proto ?? "esp") !== "esp") throw err(op, "EPROTONOSUPPORT", 93, "the user-space data plane carries ESP only");
    const alg = { encr: sa.encr, ...(sa.integ ? { integ: sa.integ } : {}) };
    const why = espUnsupported(alg);
    if (why) throw err(op, "EPROTONOSUPPORT", 93, why);
    const key = saKey(sa, sa.mark);
    const old = this.sas.get(key);
    if (old && !replace) throw err(op, "EEXIST", 17);
    if (!old && replace && !this.larval.has(key)) throw err(op, "ESRCH", 3);
    this.larval.delete(key);
    const rec: UsSa = {
      spec: structuredClone(sa),
      esp: new EspSa(sa.spi, alg, !!sa.esn),
      window: new ReplayWindow(Math.min(sa.replayWindow ?? 0, 4096), !!sa.esn),
      seq: 0,
      bytes: old?.bytes ?? 0n,
      packets: old?.packets ?? 0n,
      addTime: old?.addTime ?? BigInt(this.io.wallSeconds()),
      useTime: old?.useTime ?? 0n,
      softSent: false,
      order: ++this.order,
    };
    this.sas.set(key, rec);
  }

  private readonly larval = new Set<string>();

  async addSa(sa: SaSpec): Promise<void> {
    this.install("XFRM_MSG_NEWSA", sa, false);
  }

  async updateSa(sa: SaSpec): Promise<void> {
    this.install("XFRM_MSG_UPDSA", sa, true);
  }

  private removeSa(key: string): boolean {
    const sa = this.sas.get(key);
    if (!sa) return false;
    this.sas.delete(key);
    return true;
  }

  async deleteSa(id: SaId): Promise<void> {
    const key = saKey(id, id.mark);
    if (!this.removeSa(key) && !this.larval.delete(key)) throw err("XFRM_MSG_DELSA", "ESRCH", 3);
  }

  async getSaCounters(id: SaId): Promise<SaCounters> {
    const sa = this.sas.get(saKey(id, id.mark));
    if (!sa) throw err("XFRM_MSG_GETSA", "ESRCH", 3);
    return this.countersOf(sa);
  }

  async allocSpi(req: SpiRequest): Promise<number> {
    const min = req.min ?? 0x100;
    const max = req.max ?? 0xffff_ffff;
    for (let i = 0; i < 4096; i++) {
      const spi = (min + Math.floor(Math.random() * (max - min + 1))) >>> 0;
      const key = saKey({ dst: req.dst, spi, ...(req.proto ? { proto: req.proto } : {}) });
      if (this.sas.has(key) || this.larval.has(key)) continue;
      this.larval.add(key);
      return spi;
    }
    throw err("XFRM_MSG_ALLOCSPI", "ENOENT", 2);
  }

  async addPolicy(policy: PolicySpec, options: { update?: boolean } = {}): Promise<void> {
    const op = options.update ? "XFRM_MSG_UPDPOLICY" : "XFRM_MSG_NEWPOLICY";
    if (this.closed) throw err(op, "EBADF", 9, "kernel interface closed");
    const key = policyKey(policy);
    const old = this.policies.get(key);
    if (old && !options.update) throw err(op, "EEXIST", 17);
    let sel: CompiledSelector;
    try {
      sel = compile(policy.selector);
    } catch (e) {
      throw err(op, "EINVAL", 22, (e as Error).message);
    }
    const dir = policy.dir === "in" ? 0 : policy.dir === "out" ? 1 : 2;
    this.policies.set(key, { spec: structuredClone(policy), sel, specificity: sel.src.len + sel.dst.len + (sel.proto ? 1 : 0), index: old?.index ?? this.nextIndex + dir, acquiredAt: 0 });
    if (!old) this.nextIndex += 8;
    if (policy.dir === "out" && !old) await this.routeAdd(policy);
  }

  async deletePolicy(id: PolicyId): Promise<void> {
    const key = policyKey(id);
    const p = this.policies.get(key);
    if (!p) throw err("XFRM_MSG_DELPOLICY", "ENOENT", 2);
    this.policies.delete(key);
    if (p.spec.dir === "out") await this.routeDel(p.spec);
  }

  private async routeAdd(policy: PolicySpec): Promise<void> {
    const dst = canonicalPrefixText(policy.selector.dst);
    const n = this.routes.get(dst) ?? 0;
    this.routes.set(dst, n + 1);
    if (n > 0) return;
    const peer = policy.templates?.[0]?.dst;
    if (peer && inPrefix(prefixOf(dst), parseAddress(peer).family, parseAddress(peer).bytes)) {
      this.io.log(`kernel userspace: no route for ${dst} through ${this.io.tun.name}: it holds the peer ${peer} itself, whose ESP would go into the tunnel (traffic to ${dst} is not carried)`);
      return;
    }
    const src = this.preferredSource(policy.selector.src);
    try {
      await this.io.routes.addRoute(dst, src);
      this.routed.add(dst);
      this.io.log(`kernel userspace: route ${dst} dev ${this.io.tun.name}${src ? ` src ${src}` : ""}`);
    } catch (e) {
      this.io.log(`kernel userspace: cannot add the route ${dst} dev ${this.io.tun.name}: ${(e as Error).message}`);
    }
  }

  private async routeDel(policy: PolicySpec): Promise<void> {
    const dst = canonicalPrefixText(policy.selector.dst);
    const n = this.routes.get(dst) ?? 0;
    if (n > 1) {
      this.routes.set(dst, n - 1);
      return;
    }
    this.routes.delete(dst);
    if (!this.routed.delete(dst)) return;
    try {
      await this.io.routes.delRoute(dst);
    } catch {
      // not installed (it held the peer), or gone with the device
    }
  }

  private preferredSource(srcSelector: string): string | undefined {
    let p: Prefix;
    try {
      p = prefixOf(srcSelector);
    } catch {
      return undefined;
    }
    for (const a of this.io.localAddresses()) {
      try {
        const x = parseAddress(a);
        if (inPrefix(p, x.family, x.bytes)) return a;
      } catch {
        // not an address
      }
    }
    return undefined;
  }

  async flushOurs(): Promise<void> {
    this.sas.clear();
    this.larval.clear();
    for (const p of [...this.policies.values()]) {
      this.policies.delete(policyKey(p.spec));
      if (p.spec.dir === "out") await this.routeDel(p.spec);
    }
  }

  onEvent(handler: KernelEventHandler | undefined): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.limiter.flush(Number.MAX_SAFE_INTEGER);
    this.handler = undefined;
    this.io.tun.close();
    if (!("error" in this.io.raw)) this.io.raw.close();
  }

  /** One line per drop reason and the packets carried (whack --status). */
  statusLines(): string[] {
    const drops = [...this.drops].map(([r, n]) => `${r} ${n}`).join(", ");
    return [`kernel userspace: ${this.io.tun.name}: ${this.carried.out} packets sent through ESP, ${this.carried.in} received; dropped: ${drops || "none"}`];
  }
}

function canonicalPrefixText(text: string): string {
  const p = parsePrefix(text);
  return `${formatAddress(p.family, p.bytes)}/${p.prefixLen}`;
}

/** Transport mode, inbound: the IP packet again, from the SA's addresses and the upper layer. */
export function transportPacket(src: string, dst: string, proto: number, upper: Uint8Array): Uint8Array {
  const s = parseAddress(src);
  const d = parseAddress(dst);
  if (s.family === 2) {
    const out = new Uint8Array(20 + upper.length);
    const v = new DataView(out.buffer);
    out[0] = 0x45;
    v.setUint16(2, out.length);
    out[8] = 64;
    out[9] = proto;
    out.set(s.bytes, 12);
    out.set(d.bytes, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    v.setUint16(10, ~sum & 0xffff);
    out.set(upper, 20);
    return out;
  }
  const out = new Uint8Array(40 + upper.length);
  const v = new DataView(out.buffer);
  out[0] = 0x60;
  v.setUint16(4, upper.length);
  out[6] = proto;
  out[7] = 64;
  out.set(s.bytes, 8);
  out.set(d.bytes, 24);
  out.set(upper, 40);
  return out;
}
