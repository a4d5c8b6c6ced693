// The simulator: two or more engines in one process, a virtual clock, seeded randomness, and
// a network that drops, duplicates, reorders and delays datagrams (quinn-proto's `Pair`,
// strongSwan's exchange_test_helper). Nothing here reads the real clock.
import * as abi from "../../core/abi.ts";
import { Engine, type ConnSpec, type Endpoint, type EngineStatus, endpointText } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import type { CryptoProvider } from "../../hosts/crypto/provider.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import type { Job } from "../../hosts/crypto/jobs.ts";
import type { KernelChildOp } from "../../hosts/kernel-adapter.ts";

// A node's kernel (off unless given to addNode): it answers each Child SA's installation after
// `delay` ms, taking it or refusing it as `decide` says (an errno name, as this machine's
// kernel refuses ESP SAs with EPROTONOSUPPORT), and records what it holds.
export class SimKernel {
  held = new Map<number, KernelChildOp>(); // by Child SA serial
  ops: KernelChildOp[] = [];
  refusals = 0;
  constructor(public decide: (op: KernelChildOp) => string | null = () => null, public delay = 1) {}
}

// sfc32: a small, fast, seedable generator
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0;
    const t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const r = (t + this.d) | 0;
    this.c = (this.c + r) | 0;
    return r >>> 0;
  }
  float(): number {
    return this.next() / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.next();
      for (let k = 0; k < 4 && i + k < n; k++) b[i + k] = (v >>> (8 * k)) & 255;
    }
    return b;
  }
}

export interface Faults {
  loss: number; // probability a datagram is dropped
  dup: number; // probability it is delivered twice
  delayMin: number; // ms
  delayMax: number; // ms (reordering comes from the spread)
}
export const NO_FAULTS: Faults = { loss: 0, dup: 0, delayMin: 5, delayMax: 5 };

type Ev = { at: number; seq: number; run: () => void };

export interface Packet {
  at: number;
  from: string;
  to: string;
  bytes: Uint8Array;
  natT: boolean;
  dropped: boolean;
}

export class Node {
  logs: string[] = [];
  engine!: Engine;
  provider!: CryptoProvider; // survives a restart
  timerSeq = 0;
  jobsRun = 0;
  jobDelay: number | ((job: Job) => number) | null = null; // this node's helper latency (ms), if not the simulator's; per job kind
  constructor(readonly sim: Sim, readonly name: string, readonly addr: Uint8Array, readonly kernel: SimKernel | null = null) {}
  status(secrets = false): EngineStatus {
    return this.engine.status(this.sim.now, secrets);
  }
  log(re: RegExp): string[] {
    return this.logs.filter((l) => re.test(l));
  }
}

export class Sim {
  now = 0;
  private seq = 0;
  private events: Ev[] = [];
  nodes: Node[] = [];
  packets: Packet[] = [];
  faults: Faults;
  partitioned = new Set<string>(); // nodes cut off from the network
  // drops chosen datagrams (hand-built scenarios): true drops it; `exchange` and `response`
  // come from the IKE header, `spiI` is the initiator's SPI in hex
  drop: ((p: { from: string; to: string; exchange: number; response: boolean; spiI: string; msgid: number }) => boolean) | null = null;
  readonly rng: Rng;

  constructor(readonly seed: number, faults: Faults = NO_FAULTS, readonly provider: CryptoProvider = nativeProvider, readonly jobDelay = 1) {
    this.rng = new Rng(seed);
    this.faults = faults;
  }

  // provider: this node's crypto provider, if not the simulator's (two providers on the two
  // sides cross-check each other: every key and every message must agree)
  addNode(name: string, addr: Uint8Array, provider: CryptoProvider = this.provider, kernel: SimKernel | null = null): Node {
    const node = new Node(this, name, addr, kernel);
    node.provider = provider;
    this.nodes.push(node);
    this.boot(node, this.seed * 31 + this.nodes.length);
    return node;
  }

  // A fresh core for the node: what a crash and restart leaves (no connections, no SAs; its
  // timer and its helper jobs in flight come to nothing).
  restart(node: Node): void {
    node.timerSeq++;
    node.logs.push(`${(this.now / 1000).toFixed(3)}   --- ${node.name} restarted ---`);
    this.boot(node, this.seed * 31 + 1000 + this.rng.next() % 1000);
  }

  private boot(node: Node, seed: number): void {
    const nodeRng = new Rng(seed);
    const engine: Engine = new Engine(coreModule(), { provider: node.provider, random: (n) => nodeRng.bytes(n), core: { onTrap: (r) => { throw new Error(`${node.name}: core trapped: ${r.message}`); } } }, {
      send: (cmd) => { if (node.engine === engine) this.transmit(node, cmd.remote, cmd.bytes, cmd.natT); },
      log: (level, line) => node.logs.push(`${(this.now / 1000).toFixed(3)} ${level === abi.LOG_DEBUG ? "|" : " "} ${line}`),
      job: (id, job) => this.runJob(node, id, job),
      ...(node.kernel ? { kernel: (op: unknown) => this.kernelOp(node, engine, op as KernelChildOp) } : {}),
    });
    node.engine = engine;
    engine.setInterfaces(0, [ep(node.addr)]);
  }

  at(t: number, run: () => void): void {
    this.events.push({ at: t, seq: this.seq++, run });
    this.events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  private runJob(node: Node, id: number, job: Job): void {
    const engine = node.engine;
    const result = engine.runInline(job);
    node.jobsRun++;
    const delay = typeof node.jobDelay === "function" ? node.jobDelay(job) : node.jobDelay ?? this.jobDelay;
    this.at(this.now + delay, () => {
      if (node.engine !== engine) return; // the node restarted meanwhile
      engine.helperDone(this.now, id, result);
      this.rearm(node);
    });
  }

  private kernelOp(node: Node, engine: Engine, op: KernelChildOp): void {
    const k = node.kernel!;
    k.ops.push(op);
    if (op.op === "del") {
      k.held.delete(op.serial);
      return;
    }
    if (op.op !== "add" || op.id === undefined) return;
    const id = op.id;
    const refused = k.decide(op);
    if (refused === null) k.held.set(op.serial, op);
    else k.refusals++;
    this.at(this.now + k.delay, () => {
      if (node.engine !== engine) return; // the node restarted meanwhile
      engine.kernelDone(this.now, id, refused === null, refused === null ? "" : `inbound SA 0x${op.spiIn.toString(16)}: ${refused}`);
      this.rearm(node);
    });
  }

  private transmit(from: Node, remote: Endpoint, bytes: Uint8Array, natT: boolean): void {
    // several nodes at one address (a load generator, peers behind one NAT) each get a copy;
    // each drops what is not for its SAs
    const at = this.nodes.filter((n) => n.addr.length === remote.addr.length && n.addr.every((v, i) => v === remote.addr[i]));
    if (at.length > 1) {
      for (const n of at) this.transmitTo(from, n, remote, bytes, natT);
      return;
    }
    this.transmitTo(from, at[0], remote, bytes, natT);
  }

  private transmitTo(from: Node, to: Node | undefined, remote: Endpoint, bytes: Uint8Array, natT: boolean): void {
    const f = this.faults;
    const cut = this.partitioned.has(from.name) || (to && this.partitioned.has(to.name));
    const chosen = this.drop !== null && to !== undefined && bytes.length >= 28 && this.drop({
      from: from.name, to: to.name, exchange: bytes[18], response: (bytes[19] & 0x20) !== 0,
      spiI: BigInt("0x" + Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("")).toString(16),
      msgid: ((bytes[24] << 24) | (bytes[25] << 16) | (bytes[26] << 8) | bytes[27]) >>> 0,
    });
    const dropped = !to || cut || chosen || this.rng.float() < f.loss;
    this.packets.push({ at: this.now, from: from.name, to: to?.name ?? endpointText(remote), bytes, natT, dropped });
    if (dropped || !to) return;
    const copies = this.rng.float() < f.dup ? 2 : 1;
    const local: Endpoint = { family: remote.family, port: remote.port, addr: to.addr };
    const src: Endpoint = { family: remote.family, port: natT ? 4500 : remote.port === 4500 ? 4500 : 500, addr: from.addr };
    for (let i = 0; i < copies; i++) {
      const delay = f.delayMin + this.rng.float() * (f.delayMax - f.delayMin);
      const wire = natT ? Uint8Array.of(0, 0, 0, 0, ...bytes) : bytes;
      this.at(this.now + delay, () => {
        to.engine.datagram(this.now, wire, local, src, natT);
        this.rearm(to);
      });
    }
  }

  // Arms a node's one timer at its core's next deadline.
  rearm(node: Node): void {
    const d = node.engine.nextDeadline();
    // the core's deadline heap must agree with a look at every state, after every event
    const scanned = node.engine.scanDeadline();
    if (d !== scanned) throw new Error(`${node.name}: the deadline heap says ${d}, the states say ${scanned}`);
    const seq = ++node.timerSeq;
    if (d <= 0) return;
    this.at(Math.max(d, this.now), () => {
      if (seq !== node.timerSeq) return; // re-armed since
      node.engine.timeout(this.now);
      this.rearm(node);
    });
  }

  // Runs an admin action on a node at the current time.
  act(node: Node, f: (e: Engine) => { ok: boolean; reply: string }): string {
    const r = f(node.engine);
    this.rearm(node);
    if (!r.ok) throw new Error(`${node.name}: ${r.reply}`);
    return r.reply;
  }

  // Processes events until `until` (ms) or until none are left; bounded in count.
  run(until: number, maxEvents = 200000): void {
    let n = 0;
    while (this.events.length > 0 && this.events[0].at <= until) {
      if (++n > maxEvents) throw new Error(`simulation did not settle after ${maxEvents} events`);
      const ev = this.events.shift()!;
      this.now = Math.max(this.now, ev.at);
      ev.run();
    }
    this.now = Math.max(this.now, until);
  }
}

// ---- a standard pair: west 192.0.2.1 and east 192.0.2.2 --------------------------------------
export const WEST = Uint8Array.of(192, 0, 2, 1);
export const EAST = Uint8Array.of(192, 0, 2, 2);
const fqdn = (s: string) => ({ type: 2, data: new TextEncoder().encode(s) });
const ep = (addr: Uint8Array, port = 500): Endpoint => ({ family: 4, port, addr });

export function pairConn(self: "west" | "east", over: Partial<ConnSpec> = {}): ConnSpec {
  const west = { addr: WEST, id: fqdn("west.example"), net: [Uint8Array.of(198, 51, 100, 0), Uint8Array.of(198, 51, 100, 127)] };
  const east = { addr: EAST, id: fqdn("east.example"), net: [Uint8Array.of(198, 51, 100, 128), Uint8Array.of(198, 51, 100, 255)] };
  const [me, peer] = self === "west" ? [west, east] : [east, west];
  return {
    name: "west-east",
    left: ep(me.addr),
    right: ep(peer.addr),
    leftId: me.id,
    rightId: peer.id,
    psk: new TextEncoder().encode("a shared secret of some length"),
    ike: [{ encr: [[20, 256]], prf: [5], dh: [31] }],
    esp: [{ encr: [[20, 256]], esn: [0] }],
    leftTs: [{ start: me.net[0], end: me.net[1] }],
    rightTs: [{ start: peer.net[0], end: peer.net[1] }],
    ...over,
  };
}

export function pair(seed: number, faults: Faults = NO_FAULTS, west: Partial<ConnSpec> = {}, east: Partial<ConnSpec> = {}, kernels: { west?: SimKernel; east?: SimKernel } = {}): { sim: Sim; w: Node; e: Node } {
  const sim = new Sim(seed, faults);
  const w = sim.addNode("west", WEST, undefined, kernels.west ?? null);
  const e = sim.addNode("east", EAST, undefined, kernels.east ?? null);
  sim.act(w, (x) => x.addConn(0, pairConn("west", west)));
  sim.act(e, (x) => x.addConn(0, pairConn("east", east)));
  return { sim, w, e };
}
