// The IKEv2 engine as a host drives it: core.wasm with its crypto imports bound to a provider,
// the event pump (events in, commands out), helper jobs, connection records and admin calls.
// Runtime-neutral: sockets, timers and helper threads are the caller's (see test/sim and the
// daemons), handed in as callbacks.
import * as abi from "../core/abi.ts";
import { Core, type CoreOptions } from "./core.ts";
import type { CryptoProvider } from "./crypto/provider.ts";
import { runJob, type Job, type JobResult } from "./crypto/jobs.ts";
import { sha1 } from "@noble/hashes/legacy.js";
import { LogLimiter } from "./log-limit.ts";

const utf8d = new TextDecoder();
const utf8e = new TextEncoder();

export interface Endpoint {
  family: 4 | 6 | 0; // 0: %any
  port: number;
  addr: Uint8Array; // 4 or 16 bytes
}

export interface SendCommand {
  local: Endpoint;
  remote: Endpoint;
  natT: boolean; // on port 4500: prefix the non-ESP marker
  bytes: Uint8Array;
}

export interface EngineCallbacks {
  send(cmd: SendCommand): void;
  log(level: number, line: string): void;
  // A helper job; call engine.helperDone(id, result) when it finishes (now or later).
  job(id: number, job: Job): void;
  // A kernel operation (core/kernel.ts; hosts/kernel-adapter.ts carries it out). An "add"
  // carries an `id`: call engine.kernelDone(id, ok, reason) once the kernel has answered (now
  // or later); until then the Child SA is not established, and as responder not answered.
  kernel?(op: unknown): void;
}

// ---- connection records (CONN_* TLVs of abi.ts) -----------------------------------------------
export interface ProposalSpec {
  encr: [number, number][]; // [transform ID, key bits (0: none)]
  prf?: number[];
  integ?: number[];
  dh?: number[];
  esn?: number[];
}
export interface TsSpec {
  type?: 7 | 8;
  proto?: number;
  sport?: number;
  eport?: number;
  start: Uint8Array;
  end: Uint8Array;
}
export interface VirtualEndSpec {
  kind: "vnet" | "vhost";
  no?: boolean; // %no: the peer's own address will do too
}
export interface ProtoportSpec {
  proto: number;
  ports?: [number, number]; // absent: any port
  wildcard?: boolean; // 17/%any: a template whose instances take the peer's port
}
// A connection as ipsec.conf has it: left and right, not yet oriented (the core does that by
// the addresses setInterfaces gave it).
export interface ConnSpec {
  name: string;
  left: Endpoint; // family 0: %any
  right: Endpoint;
  leftId?: { type: number; data: Uint8Array }; // absent: the end's address (%any: any ID)
  rightId?: { type: number; data: Uint8Array };
  psk?: Uint8Array; // the secret when left is this end (empty: none)
  pskRight?: Uint8Array; // the secret when right is this end (absent: psk either way; empty: none)
  ike: ProposalSpec[];
  esp: ProposalSpec[];
  leftTs?: TsSpec[]; // absent or empty: the end's own address
  rightTs?: TsSpec[];
  leftProtoport?: ProtoportSpec;
  rightProtoport?: ProtoportSpec;
  leftVirtual?: VirtualEndSpec; // subnet=vnet:%priv / vhost:%priv: the peer names it within virtual-private
  rightVirtual?: VirtualEndSpec;
  virtualPrivate?: { include: TsSpec[]; exclude: TsSpec[] };
  // (no dpd timeout: IKEv2 declares a peer dead when a request goes unanswered through its
  // retransmissions, and ignores dpdtimeout=, as Libreswan 4.10 does)
  timers?: Partial<{ ikeLifetime: number; childLifetime: number; rekeyMargin: number; rekeyFuzz: number; dpdDelay: number; retransmitBaseMs: number; retransmitLimit: number }>;
  dpdAction?: "hold" | "clear" | "restart"; // what a dead peer does to it (default hold)
  keyingTries?: number; // keying attempts before giving up (0 or absent: forever)
  transport?: boolean;
  fragmentation?: boolean;
  pfs?: boolean;
  initialContact?: boolean;
  uniqueIds?: boolean; // uniqueids= of config setup (default yes)
  rekey?: boolean; // rekey= (default yes); no: we never rekey, the SAs expire, no revival
  narrowing?: boolean; // narrowing=yes (Libreswan's default is no)
  auto?: number;
  fragSize?: number;
  // The Configuration payload: addresspool= of each end (one range per family), whether an end
  // asks for its address (modecfgclient=yes, sourceip=%config) or answers (modecfgserver=yes),
  // and what a CFG_REPLY tells besides the address
  leftPool?: TsSpec[];
  rightPool?: TsSpec[];
  leftCfg?: { client?: boolean; server?: boolean };
  rightCfg?: { client?: boolean; server?: boolean };
  dns?: Uint8Array[]; // modecfgdns=: 4 or 16 bytes each
  domains?: string[]; // modecfgdomains=
}

// An endpoint in the EP layout (abi.ts): family, 0, port (u16 LE), 16 address bytes.
function putEndpoint(b: Uint8Array, at: number, e: Endpoint): void {
  b[at] = e.family;
  b[at + 1] = 0;
  b[at + 2] = e.port & 255;
  b[at + 3] = e.port >> 8;
  for (let i = 0; i < 16; i++) b[at + 4 + i] = e.addr[i] ?? 0;
}
export function endpointBytes(e: Endpoint): Uint8Array {
  const b = new Uint8Array(20);
  putEndpoint(b, 0, e);
  return b;
}

export function readEndpoint(b: Uint8Array, at: number): Endpoint {
  const family = b[at] as 0 | 4 | 6;
  const port = b[at + 2] | (b[at + 3] << 8);
  return { family, port, addr: b.slice(at + 4, at + 4 + (family === 6 ? 16 : 4)) };
}

export function endpointText(e: Endpoint): string {
  if (e.family === 0) return "%any";
  if (e.family === 4) return `${Array.from(e.addr.subarray(0, 4)).join(".")}:${e.port}`;
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((e.addr[i] << 8) | e.addr[i + 1]).toString(16));
  return `[${w.join(":")}]:${e.port}`;
}

// Writes connection records in place: loading 10,000 connections makes no small arrays.
class RecordWriter {
  buf = new Uint8Array(4096);
  dv = new DataView(this.buf.buffer);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  // a TLV whose value `body` writes; its length is filled in after
  tlv(tag: number, body: () => void): void {
    this.room(3);
    const at = this.n;
    this.buf[at] = tag;
    this.n += 3;
    body();
    const len = this.n - at - 3;
    if (len > 0xffff) throw new RangeError(`connection field ${tag} too long`);
    this.dv.setUint16(at + 1, len, true);
  }
  u8(v: number): void { this.room(1); this.buf[this.n++] = v; }
  u16(v: number): void { this.room(2); this.dv.setUint16(this.n, v, true); this.n += 2; }
  u32(v: number): void { this.room(4); this.dv.setUint32(this.n, v, true); this.n += 4; }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.n); this.n += b.length; }
  text(s: string): void { this.bytes(utf8e.encode(s)); }
  endpoint(e: Endpoint): void {
    this.room(20);
    putEndpoint(this.buf, this.n, e);
    this.n += 20;
  }
  ts(t: TsSpec): void {
    this.u8(t.type ?? (t.start.length === 16 ? 8 : 7));
    this.u8(t.proto ?? 0);
    this.u16(t.sport ?? 0);
    this.u16(t.eport ?? 65535);
    this.bytes(t.start);
    this.bytes(t.end);
  }
}

export interface SecretsSpec {
  name: string;
  psk: Uint8Array; // the secret when left is this end (empty: none)
  pskRight: Uint8Array; // the secret when right is this end (empty: none)
}

function writeSecretsRecord(w: RecordWriter, c: SecretsSpec): void {
  w.tlv(abi.CONN_NAME, () => w.text(c.name));
  w.tlv(abi.CONN_PSK, () => w.bytes(c.psk));
  w.tlv(abi.CONN_PSK_RIGHT, () => w.bytes(c.pskRight));
}

function writeConnRecord(w: RecordWriter, c: ConnSpec): void {
  const proposal = (p: ProposalSpec) => () => {
    for (const [id, bits] of p.encr) {
      w.u16(1); w.u16(id);
      if (bits) { w.u16(14); w.u16(bits); }
    }
    for (const id of p.prf ?? []) { w.u16(2); w.u16(id); }
    for (const id of p.integ ?? []) { w.u16(3); w.u16(id); }
    for (const id of p.dh ?? []) { w.u16(4); w.u16(id); }
    for (const id of p.esn ?? []) { w.u16(5); w.u16(id); }
  };
  const id = (v: { type: number; data: Uint8Array }) => () => { w.u8(v.type); w.bytes(v.data); };
  const pp = (p: ProtoportSpec) => () => { w.u8(p.proto); w.u8(p.wildcard ? 1 : 0); w.u16(p.ports?.[0] ?? 0); w.u16(p.ports?.[1] ?? 65535); };
  const virt = (v: VirtualEndSpec) => () => w.u8((v.kind === "vhost" ? abi.VIRT_HOST : abi.VIRT_NET) | (v.no ? abi.VIRT_NO : 0));
  w.tlv(abi.CONN_NAME, () => w.text(c.name));
  w.tlv(abi.CONN_LEFT_EP, () => w.endpoint(c.left));
  w.tlv(abi.CONN_RIGHT_EP, () => w.endpoint(c.right));
  if (c.leftId) w.tlv(abi.CONN_LEFT_ID, id(c.leftId));
  if (c.rightId) w.tlv(abi.CONN_RIGHT_ID, id(c.rightId));
  if (c.psk !== undefined) w.tlv(abi.CONN_PSK, () => w.bytes(c.psk!));
  if (c.pskRight !== undefined) w.tlv(abi.CONN_PSK_RIGHT, () => w.bytes(c.pskRight!));
  for (const p of c.ike) w.tlv(abi.CONN_IKE_PROPOSAL, proposal(p));
  for (const p of c.esp) w.tlv(abi.CONN_ESP_PROPOSAL, proposal(p));
  for (const t of c.leftTs ?? []) w.tlv(abi.CONN_LEFT_TS, () => w.ts(t));
  for (const t of c.rightTs ?? []) w.tlv(abi.CONN_RIGHT_TS, () => w.ts(t));
  if (c.leftProtoport) w.tlv(abi.CONN_LEFT_PROTOPORT, pp(c.leftProtoport));
  if (c.rightProtoport) w.tlv(abi.CONN_RIGHT_PROTOPORT, pp(c.rightProtoport));
  if (c.leftVirtual) w.tlv(abi.CONN_LEFT_VIRTUAL, virt(c.leftVirtual));
  if (c.rightVirtual) w.tlv(abi.CONN_RIGHT_VIRTUAL, virt(c.rightVirtual));
  if (c.leftVirtual || c.rightVirtual) {
    for (const t of c.virtualPrivate?.include ?? []) w.tlv(abi.CONN_VP_INCLUDE, () => w.ts(t));
    for (const t of c.virtualPrivate?.exclude ?? []) w.tlv(abi.CONN_VP_EXCLUDE, () => w.ts(t));
  }
  const tm = c.timers ?? {};
  w.tlv(abi.CONN_TIMERS, () => {
    for (const v of [tm.ikeLifetime ?? 28800, tm.childLifetime ?? 28800, tm.rekeyMargin ?? 540, tm.rekeyFuzz ?? 100,
      tm.dpdDelay ?? 0, 0, tm.retransmitBaseMs ?? 500, tm.retransmitLimit ?? 10]) w.u32(v);
  });
  w.tlv(abi.CONN_REVIVAL, () => {
    w.u8(c.dpdAction === "clear" ? abi.DPD_CLEAR : c.dpdAction === "restart" ? abi.DPD_RESTART : abi.DPD_HOLD);
    w.u32(c.keyingTries ?? 0);
  });
  const flags = (c.transport ? abi.CF_TRANSPORT : 0) | (c.fragmentation ? abi.CF_FRAGMENTATION : 0) |
    (c.pfs ? abi.CF_PFS : 0) | (c.initialContact !== false ? abi.CF_INITIAL_CONTACT : 0) | (c.narrowing ? abi.CF_NARROWING : 0) |
    (c.uniqueIds !== false ? abi.CF_UNIQUEIDS : 0) | (c.rekey === false ? abi.CF_NO_REKEY : 0);
  w.tlv(abi.CONN_FLAGS, () => w.u32(flags));
  w.tlv(abi.CONN_AUTO, () => w.u8(c.auto ?? 1));
  if (c.fragSize) w.tlv(abi.CONN_FRAG_SIZE, () => w.u16(c.fragSize!));
  const pool = (t: TsSpec) => () => { w.u8(t.start.length === 16 ? 8 : 7); w.bytes(t.start); w.bytes(t.end); };
  for (const t of c.leftPool ?? []) w.tlv(abi.CONN_LEFT_POOL, pool(t));
  for (const t of c.rightPool ?? []) w.tlv(abi.CONN_RIGHT_POOL, pool(t));
  const cfg = (v: { client?: boolean; server?: boolean }) => () => w.u8((v.client ? abi.CFG_CLIENT : 0) | (v.server ? abi.CFG_SERVER : 0));
  if (c.leftCfg) w.tlv(abi.CONN_LEFT_CFG, cfg(c.leftCfg));
  if (c.rightCfg) w.tlv(abi.CONN_RIGHT_CFG, cfg(c.rightCfg));
  for (const d of c.dns ?? []) w.tlv(abi.CONN_CFG_DNS, () => w.bytes(d));
  for (const d of c.domains ?? []) w.tlv(abi.CONN_CFG_DOMAIN, () => w.text(d));
}

export function connRecord(c: ConnSpec): Uint8Array {
  const w = new RecordWriter();
  writeConnRecord(w, c);
  return w.buf.slice(0, w.n);
}

// ---- helper job blobs (abi.ts JOB_*) ---------------------------------------------------------
function blobs(b: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0; o < b.length;) {
    if (b.length - o < 4) return null;
    const n = dv.getUint32(o, true);
    if (n > b.length - o - 4) return null;
    out.push(b.slice(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return out;
}
function packBlobs(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + 4 + p.length, 0);
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) {
    dv.setUint32(o, p.length, true);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}
const num = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);

export function jobFromRequest(kind: number, req: Uint8Array): Job | null {
  const b = blobs(req);
  if (!b) return null;
  switch (kind) {
    case abi.JOB_DH_GENERATE:
      return b.length >= 1 ? { kind: "dh-generate", group: num(b[0]) } : null;
    case abi.JOB_IKE_KEYS: {
      if (b.length < 11) return null;
      const job: Job = {
        kind: "dh-ike-keys", group: num(b[0]), priv: b[1], peerPub: b[2], prf: num(b[3]), Ni: b[4], Nr: b[5], SPIi: b[6], SPIr: b[7],
        lengths: { encrKeyLen: num(b[8]), integKeyLen: num(b[9]), prfKeyLen: num(b[10]) },
      };
      if (b.length >= 13) job.rekey = { prfOld: num(b[11]), SK_d_old: b[12] };
      return job;
    }
    case abi.JOB_CHILD_KEYS:
      if (b.length < 9) return null;
      return {
        kind: "dh-child-keys", group: num(b[0]), priv: b[1], peerPub: b[2], prf: num(b[3]), SK_d: b[4], Ni: b[5], Nr: b[6],
        lengths: { encrKeyLen: num(b[7]), integKeyLen: num(b[8]) },
      };
  }
  return null;
}

export function resultBlobs(r: JobResult): { status: number; bytes: Uint8Array } {
  if (!r.ok) return { status: r.error.code === "BAD_JOB" ? abi.JOB_FAILED : abi.JOB_BAD_PEER_KE, bytes: new Uint8Array(0) };
  switch (r.kind) {
    case "dh-generate": return { status: abi.JOB_OK, bytes: packBlobs([r.pub, r.priv]) };
    case "dh-ike-keys": {
      const k = r.keys;
      return { status: abi.JOB_OK, bytes: packBlobs([k.SK_d, k.SK_ai, k.SK_ar, k.SK_ei, k.SK_er, k.SK_pi, k.SK_pr]) };
    }
    case "dh-child-keys": {
      const k = r.keys;
      const keymat = new Uint8Array(k.encrI.length + k.integI.length + k.encrR.length + k.integR.length);
      let o = 0;
      for (const p of [k.encrI, k.integI, k.encrR, k.integR]) {
        keymat.set(p, o);
        o += p.length;
      }
      return { status: abi.JOB_OK, bytes: packBlobs([keymat]) };
    }
  }
}

// ---- the engine --------------------------------------------------------------------------------
export interface EngineOptions {
  provider: CryptoProvider;
  random?: (n: number) => Uint8Array; // default: the provider's (tests pass a seeded one)
  core?: CoreOptions;
}

const GC_EVENTS = 512;
const GC_SPACING = 20;

export class Engine {
  private readonly jobRefusals = new LogLimiter((l) => this.cb.log(abi.LOG_INFO, l));
  readonly core: Core;
  private pendingJobs = new Map<number, number>(); // job id -> core generation

  constructor(module: WebAssembly.Module, readonly opts: EngineOptions, private cb: EngineCallbacks) {
    const provider = opts.provider;
    // Random bytes come from a pool refilled 4 KiB at a time: the core asks for many small
    // pieces (SPIs, nonces, IVs), and each call to the platform's CSPRNG has a fixed cost.
    let pool: Uint8Array = new Uint8Array(0);
    let used = 0;
    const random = opts.random ?? ((n: number) => {
      if (n > 1024) return provider.randomBytes(n);
      if (used + n > pool.length) {
        pool = provider.randomBytes(4096);
        used = 0;
      }
      const r = pool.subarray(used, used + n);
      used += n;
      return r;
    });
    this.core = Core.loadSync(module, {
      ...opts.core,
      // a fresh instance after a trap gets this engine's settings again before anyone hears
      onTrap: (r) => {
        this.configure();
        opts.core?.onTrap?.(r);
      },
      hostImports: (core) => {
        const mem = () => core.bytes;
        // inputs are read where they lie (no import calls back into the module, so memory
        // cannot grow under them); outputs are copied in
        const view = (p: number, n: number) => mem().subarray(p, p + n);
        return {
          hostRandom: (p: number, n: number) => {
            mem().set(random(n), p);
          },
          hostPrf: (alg: number, k: number, kl: number, d: number, dl: number, out: number) => {
            try {
              const r = provider.prf(alg, view(k, kl), view(d, dl));
              mem().set(r, out);
              return r.length;
            } catch {
              return -1;
            }
          },
          hostInteg: (alg: number, k: number, kl: number, d: number, dl: number, out: number) => {
            try {
              const r = provider.integ(alg, view(k, kl), view(d, dl));
              mem().set(r, out);
              return r.length;
            } catch {
              return -1;
            }
          },
          hostEncrypt: (alg: number, k: number, kl: number, iv: number, ivl: number, aad: number, aadl: number, d: number, dl: number, out: number) => {
            try {
              const r = provider.encrypt(alg, view(k, kl), view(iv, ivl), view(d, dl), aadl ? view(aad, aadl) : undefined);
              mem().set(r, out);
              return r.length;
            } catch {
              return -1;
            }
          },
          hostDecrypt: (alg: number, k: number, kl: number, iv: number, ivl: number, aad: number, aadl: number, d: number, dl: number, out: number) => {
            try {
              const r = provider.decrypt(alg, view(k, kl), view(iv, ivl), view(d, dl), aadl ? view(aad, aadl) : undefined);
              if (!r) return -1;
              mem().set(r, out);
              return r.length;
            } catch {
              return -1;
            }
          },
          hostHash: (alg: number, d: number, dl: number, out: number) => {
            if (alg !== 1) return -1;
            const r = sha1(view(d, dl));
            mem().set(r, out);
            return r.length;
          },
        };
      },
    });
    this.ep = this.core.call("epPtr");
    this.configure();
  }
  private ep: number;

  // What the core is told once, at start and again in a fresh instance after a trap.
  private configure(): void {
    if (this.cb.kernel) this.core.call("setKernelOps", 1);
    // half-open IKE SAs may take a quarter of the core's ceiling, so that no flood can bring
    // the core near it (core/ikev2/ddos.ts refuses new half-open state first)
    this.core.call("setHalfOpenMemory", Math.floor(this.core.maxMemoryBytes / 4 / 1024));
    if (this.ddos) this.core.call("setDdos", ...this.ddos);
    if (this.debugging) this.core.call("setDebug", 1);
  }
  private ddos: [number, number, number] | null = null;
  private debugging = false;

  // Debug lines wanted (--debug): the core then also logs each message's payloads.
  setDebug(on: boolean): void {
    this.debugging = on;
    if (typeof this.core.exports.setDebug === "function") this.core.call("setDebug", on ? 1 : 0);
  }

  // Libreswan's ddos-mode (abi.DDOS_*), ddos-ike-threshold and max-halfopen-ike.
  setDdos(mode: number, ikeThreshold = abi.DDOS_IKE_THRESHOLD, maxHalfOpen = abi.MAX_HALFOPEN_IKE): void {
    this.ddos = [mode, Math.min(ikeThreshold, 0x7fffffff), Math.min(maxHalfOpen, 0x7fffffff)];
    this.core.call("setDdos", ...this.ddos);
  }

  // A datagram arrived (port4500: it came to port 4500 and still has the non-ESP marker).
  datagram(now: number, bytes: Uint8Array, local: Endpoint, remote: Endpoint, port4500: boolean): number {
    if (bytes.length > abi.IN_CAP) {
      this.cb.log(abi.LOG_INFO, `dropping datagram of ${bytes.length} bytes from ${endpointText(remote)}: larger than the input buffer`);
      return -1;
    }
    const r = this.event(() => {
      this.core.setInput(bytes);
      const m = this.core.bytes;
      m.set(endpointBytes(local), this.ep);
      m.set(endpointBytes(remote), this.ep + abi.EP_REMOTE);
      return this.core.call("evDatagram", now, bytes.length, port4500 ? abi.DECODE_PORT4500 : 0);
    });
    this.drain();
    return r;
  }

  timeout(now: number): void {
    this.event(() => this.core.call("evTimeout", now));
    this.drain();
  }

  // Hands an event in (`give` sets its input and calls the export). The core takes none while
  // commands of an earlier one wait (EV_BUSY, core/pump.ts): this engine drains after every
  // event, so that means a drain cut short; drain, and hand the event in again.
  private event(give: () => number): number {
    const r = give();
    if (r !== abi.EV_BUSY) return r;
    this.drain();
    return give();
  }

  // When the core wants its next evTimeout (ms on the caller's clock), 0 for never.
  nextDeadline(): number {
    return this.core.call("nextDeadline");
  }
  // The same found by looking at every state (tests check the two agree).
  scanDeadline(): number {
    return this.core.call("scanDeadline");
  }

  // The kernel took Child SA `id` (ok), or refused it: `reason` says what it refused and why,
  // by the kernel's error name ("inbound SA 0xc0ffee01: EPROTONOSUPPORT").
  kernelDone(now: number, id: number, ok: boolean, reason = ""): void {
    const gen = this.pendingKernel.get(id);
    this.pendingKernel.delete(id);
    if (gen !== this.core.generation) return; // the instance that asked is gone
    const bytes = utf8e.encode(reason);
    this.event(() => {
      this.core.setInput(bytes);
      return this.core.call("evKernel", now, id, ok ? 1 : 0, bytes.length);
    });
    this.drain();
  }
  private pendingKernel = new Map<number, number>(); // Child SA serial -> core generation

  helperDone(now: number, id: number, result: JobResult): void {
    const gen = this.pendingJobs.get(id);
    this.pendingJobs.delete(id);
    if (gen !== this.core.generation) return; // the instance that asked is gone
    // the core knows only that the job failed; its reason (which algorithm, which check) is here
    if (!result.ok) {
      const line = `helper job ${id} (${result.kind}) failed: ${result.error.message}`;
      // a full queue is what a flood makes many of: said once, then counted
      if (/^helper queue full/.test(result.error.message)) {
        this.jobRefusals.note("queue-full", now, line, (n, s) => `helper queue full: ${n.toLocaleString("en-US")} more jobs refused in the last ${s} s`);
      } else this.cb.log(abi.LOG_INFO, line);
    }
    const { status, bytes } = resultBlobs(result);
    this.event(() => {
      this.core.setInput(bytes);
      return this.core.call("evHelper", now, id, status, bytes.length);
    });
    this.drain();
  }

  admin(now: number, op: number, data: Uint8Array = new Uint8Array(0)): { ok: boolean; reply: string } {
    const r = this.event(() => {
      this.core.setInput(data);
      return this.core.call("evAdmin", now, op, data.length);
    });
    const n = this.core.call("replyLen");
    const p = this.core.call("replyPtr");
    const reply = utf8d.decode(this.core.bytes.subarray(p, p + n));
    this.drain();
    return { ok: r === abi.ADM_OK, reply };
  }

  addConn(now: number, c: ConnSpec): { ok: boolean; reply: string } {
    return this.admin(now, abi.ADM_ADD_CONN, connRecord(c));
  }
  // Adds many connections in as few calls as the input buffer allows; returns the refusals.
  // Records are written straight into the batch (each behind its u32 LE length).
  addConns(now: number, cs: ConnSpec[]): { added: number; refused: string[] } {
    const r = this.records(now, abi.ADM_ADD_CONNS, cs, writeConnRecord, "connection");
    return { added: r.count, refused: r.refused };
  }
  // A reread of ipsec.secrets: each loaded connection named takes the secret of its
  // orientation (an empty one: none); its established SAs keep theirs.
  setSecrets(now: number, list: SecretsSpec[]): { set: number; refused: string[] } {
    const r = this.records(now, abi.ADM_SET_SECRETS, list, writeSecretsRecord, "secrets record of");
    return { set: r.count, refused: r.refused };
  }
  // Records for an admin operation that takes many, each behind its length, as many per call as
  // the core's input buffer holds. Each reply is a line with a count, then one line per refusal.
  private records<T extends { name: string }>(now: number, op: number, items: T[], write: (w: RecordWriter, item: T) => void, what: string): { count: number; refused: string[] } {
    let count = 0;
    const refused: string[] = [];
    const w = new RecordWriter();
    let done = 0; // the end of the last whole record in w
    const flush = (upTo: number) => {
      if (upTo === 0) return;
      const x = this.admin(now, op, w.buf.subarray(0, upTo));
      const lines = x.reply.split("\n").filter(Boolean);
      count += Number(/(\d+)/.exec(lines[0] ?? "")?.[1] ?? 0);
      refused.push(...lines.slice(1));
      // keep what follows (a record that did not fit)
      w.buf.copyWithin(0, upTo, w.n);
      w.n -= upTo;
    };
    for (const c of items) {
      const at = w.n;
      w.u32(0);
      write(w, c);
      w.dv.setUint32(at, w.n - at - 4, true);
      if (w.n > abi.IN_CAP) {
        flush(done);
        done = 0;
        if (w.n > abi.IN_CAP) throw new RangeError(`${what} "${c.name}" does not fit the core's input buffer`);
      }
      done = w.n;
    }
    flush(done);
    return { count, refused };
  }
  // whack --up / auto=start: the connection is supposed to be up from now on (revived when it
  // goes down, until terminate)
  initiate(now: number, name: string): { ok: boolean; reply: string } {
    return this.admin(now, abi.ADM_INITIATE, utf8e.encode(name));
  }
  // traffic hit its trap policy (a kernel ACQUIRE): up for now, not revived
  initiateOnDemand(now: number, name: string): { ok: boolean; reply: string } {
    return this.admin(now, abi.ADM_ONDEMAND, utf8e.encode(name));
  }
  terminate(now: number, name: string): { ok: boolean; reply: string } {
    return this.admin(now, abi.ADM_TERMINATE, utf8e.encode(name));
  }
  // whack --delete: the connection, its instances and their SAs go
  deleteConn(now: number, name: string): { ok: boolean; reply: string } {
    return this.admin(now, abi.ADM_DELETE_CONN, utf8e.encode(name));
  }
  // Rekey, delete or check the liveness of state #serial (abi.SAOP_*).
  saOp(now: number, op: number, serial: number): { ok: boolean; reply: string } {
    const b = new Uint8Array(5);
    b[0] = op;
    new DataView(b.buffer).setUint32(1, serial, true);
    return this.admin(now, abi.ADM_SA_OP, b);
  }
  // A step of shutting down (core/ikev2/shutdown.ts): Deletes until `window` are in flight
  // (one unanswered for `patienceMs` no longer counts); with `last`, every IKE SA left is
  // deleted without waiting for its peer.
  shutdownStep(now: number, window: number, patienceMs: number, last: boolean): ShutdownCounts {
    const b = new Uint8Array(9);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, window, true);
    dv.setUint32(4, patienceMs, true);
    b[8] = last ? 1 : 0;
    const r = this.admin(now, abi.ADM_SHUTDOWN, b);
    if (!r.ok) throw new Error(`shutdown step refused: ${r.reply}`);
    return JSON.parse(r.reply) as ShutdownCounts;
  }
  // The core's view of connections and states; withSecrets adds the keys (tests, key logging).
  // Connections and states; with a name, only that connection (and its instances) and its states.
  status(now: number, withSecrets = false, only?: string): EngineStatus {
    const name = only ? utf8e.encode(only) : new Uint8Array(0);
    const req = new Uint8Array(1 + name.length);
    req[0] = withSecrets ? 1 : 0;
    req.set(name, 1);
    const st = JSON.parse(this.admin(now, abi.ADM_STATUS, req).reply) as EngineStatus;
    // the transforms by the core's names (core/names), as pluto prints them
    for (const s of st.ike) {
      s.algs = { cipher: this.xformText(1, s.encr, s.keyBits), integ: s.integ ? this.xformText(3, s.integ, 0) : "n/a", prf: this.xformText(2, s.prf, 0), group: this.xformText(4, s.dh, 0) };
      for (const c of s.children) {
        c.algs = { cipher: this.xformText(1, c.encr, c.keyBits), integ: this.xformText(3, c.integ, 0), group: c.dh ? this.xformText(4, c.dh, 0) : "" };
      }
    }
    return st;
  }

  // An IKEv2 transform as pluto prints it, by core/names (AES_GCM_16_256, HMAC_SHA2_256, CURVE25519).
  private xformNames = new Map<string, string>();
  xformText(type: number, id: number, keyBits = 0): string {
    const key = `${type}/${id}/${keyBits}`;
    let s = this.xformNames.get(key);
    if (s === undefined) {
      const n = this.core.call("xformText", type, id, keyBits);
      s = n > 0 ? this.core.text(n) : `${type}/${id}`;
      if (this.xformNames.size < 4096) this.xformNames.set(key, s);
    }
    return s;
  }

  // This host's addresses: the core orients every connection added afterwards by them.
  setInterfaces(now: number, addrs: Endpoint[]): { ok: boolean; reply: string } {
    const b = new Uint8Array(20 * addrs.length);
    addrs.forEach((a, i) => putEndpoint(b, 20 * i, a));
    return this.admin(now, abi.ADM_INTERFACES, b);
  }

  // Runs a job on the calling thread (helpers = 0).
  runInline(job: Job): JobResult {
    return runJob(this.opts.provider, job);
  }

  // The core's memory manager is AssemblyScript's "minimal" runtime: garbage is collected
  // only when the host asks, between events. That spares the message path the incremental
  // collector's per-allocation work (about 6% of a handshake). A collection marks the whole
  // heap, so its cost grows with what the core holds (10,000 connections: tens of ms); one
  // comes after at least GC_EVENTS events once GC_SPACING times its last duration has passed,
  // so it takes at most about 1/GC_SPACING of the time. The garbage left meanwhile is bounded
  // by a collection whenever memory grows past a quarter of its ceiling (the free space ran
  // out), and by a most-events limit that shrinks as memory nears the ceiling (65,536 under a
  // quarter, 8,192 under half, 64 under three quarters, then every event: slow, but a core
  // that lives keeps its states).
  private gcEvents = 0;
  private gcDone = 0;
  private gcCost = 0;
  private gcMemory = 0;
  private drain(): void {
    const c = this.core;
    // (growth while under a quarter of the ceiling is harmless: loading 10,000 connections
    // grows it several times, and a collection each time would cost more than the loading)
    const mem = c.memoryBytes;
    const used = mem / c.maxMemoryBytes;
    const grown = mem > this.gcMemory && used > 0.25;
    const most = used > 0.75 ? 1 : used > 0.5 ? 64 : used > 0.25 ? 8192 : 65536;
    if (grown || ++this.gcEvents >= most || (this.gcEvents >= GC_EVENTS && performance.now() - this.gcDone >= GC_SPACING * this.gcCost)) {
      const t = performance.now();
      this.gcEvents = 0;
      c.guard("__collect", (x) => x.__collect());
      this.gcDone = performance.now();
      this.gcCost = this.gcDone - t;
      this.gcMemory = c.memoryBytes;
    }
    const cmds: { op: number; n: number; a0: number; a1: number; data: Uint8Array | string | null }[] = [];
    // read every command first (one guarded pass), then act on them: an action may call back
    // into the core (a helper job run inline), which must not happen between polls
    c.guard("pollCommand", (x) => {
      for (let op = x.pollCommand(); op !== abi.CMD_NONE; op = x.pollCommand()) {
        const n = x.cmdData();
        const a0 = x.cmdArg(0);
        const a1 = x.cmdArg(1);
        let data: Uint8Array | string | null = null;
        if (op === abi.CMD_LOG) data = c.text(n);
        else if (op === abi.CMD_KERNEL) {
          const p = x.kernelTextPtr();
          data = utf8d.decode(c.bytes.subarray(p, p + n));
        } else if (op === abi.CMD_SEND) {
          const m = c.bytes;
          cmds.push({ op, n, a0, a1, data: c.out(n).slice() });
          (cmds[cmds.length - 1] as { local?: Endpoint; remote?: Endpoint }).local = readEndpoint(m, this.ep);
          (cmds[cmds.length - 1] as { local?: Endpoint; remote?: Endpoint }).remote = readEndpoint(m, this.ep + abi.EP_REMOTE);
          continue;
        } else if (op === abi.CMD_HELPER) data = c.out(n).slice();
        cmds.push({ op, n, a0, a1, data });
      }
    });
    for (const cmd of cmds) {
      switch (cmd.op) {
        case abi.CMD_LOG:
          this.cb.log(cmd.a0, cmd.data as string);
          break;
        case abi.CMD_KERNEL:
          try {
            const op = JSON.parse(cmd.data as string) as { op: string; id?: number };
            if (op.op === "add" && typeof op.id === "number") this.pendingKernel.set(op.id, c.generation);
            this.cb.kernel?.(op);
          } catch (err) {
            this.cb.log(abi.LOG_ERROR, `kernel operation failed: ${(err as Error).message}`);
          }
          break;
        case abi.CMD_SEND: {
          const s = cmd as unknown as { local: Endpoint; remote: Endpoint };
          this.cb.send({ local: s.local, remote: s.remote, natT: cmd.a0 === 1, bytes: cmd.data as Uint8Array });
          break;
        }
        case abi.CMD_HELPER: {
          const job = jobFromRequest(cmd.a1, cmd.data as Uint8Array);
          this.pendingJobs.set(cmd.a0, c.generation);
          if (job) this.cb.job(cmd.a0, job);
          else this.cb.log(abi.LOG_ERROR, `core asked for a malformed helper job ${cmd.a0}`);
          break;
        }
      }
    }
  }
}

export interface TsStatus { type: number; proto: number; sport: number; eport: number; start: string; end: string }
export interface ChildStatus {
  serial: number; state: string; spiIn: string; spiOut: string; encr: number; keyBits: number; integ: number; dh: number;
  transport: boolean; rekeyAt: number; expireAt: number;
  tsLocal: TsStatus[];
  tsRemote: TsStatus[];
  encrIn?: string; integIn?: string; encrOut?: string; integOut?: string;
  algs?: { cipher: string; integ: string; group: string }; // by name (Engine.status)
}
export interface IkeStatus {
  serial: number; conn: string; instance: number; state: string; initiator: boolean; spiI: string; spiR: string;
  encr: number; keyBits: number; prf: number; integ: number; dh: number; nextRequestId: number; expectRequestId: number;
  outstanding: boolean; queued: number; local: string; remote: string; rekeyAt: number; expireAt: number; retransmitAt: number;
  peerId: string; // the peer's authenticated ID ("" before IKE_AUTH)
  SK_d?: string; SK_ai?: string; SK_ar?: string; SK_ei?: string; SK_er?: string; SK_pi?: string; SK_pr?: string;
  algs?: { cipher: string; integ: string; prf: string; group: string }; // by name (Engine.status)
  children: ChildStatus[];
}
export interface ConnStatus {
  name: string; kind: "PERMANENT" | "TEMPLATE" | "INSTANCE"; instance: number; local: string; remote: string; remoteId: string;
  transport: boolean; pfs: boolean; fragmentation: boolean; narrowing: boolean; localTs: TsStatus[]; remoteTs: TsStatus[];
  // revival: supposed to be up, failed keying attempts since it was last up, the next revival
  // (0: none) and the wait the one after that will have (ms)
  up: boolean; attempts: number; reviveAt: number; reviveDelay: number;
  // the Configuration payload: as server, the pools it leases from and the addresses it holds;
  // as client, what the server gave
  pools?: string[]; leases?: string[];
  vips?: string[]; dns?: string[]; domains?: string[];
}
// An address pool (core/conn/pool.ts): its range, size, leases made, in use, free, and who holds what
export interface PoolStatus { range: string; size: number; leases: number; inUse: number; free: number; assigned: { address: string; conn: string }[] }
// left: IKE SAs not gone yet; inFlight: asked to go; sent: Deletes asked for; answered: by the
// peer; peerFirst: sent a Delete, but the peer's own Delete came first; unanswered: deleted at
// the time bound; abandoned: not established, deleted alone
export interface ShutdownCounts { left: number; inFlight: number; sent: number; answered: number; peerFirst: number; unanswered: number; abandoned: number }
export interface EngineStatus {
  now: number;
  // half-open IKE SAs and the limits on them (core/ikev2/ddos.ts)
  halfOpen: { count: number; limit: number; perSource: number; ddosMode: "auto" | "busy" | "unlimited"; busy: boolean };
  conns: ConnStatus[];
  ike: IkeStatus[];
  pools: PoolStatus[];
}
