// leftupdown=: the script Libreswan's pluto runs as a Child SA comes and goes, run the way
// pluto 4.10 runs it (programs/pluto/kernel.c, do_command and fmt_common_shell_out): through
// the shell, PLUTO_VERB up-host/up-client/down-*/prepare-*/route-*/unroute-* (-v6 for IPv6),
// and the PLUTO_* variables that apply to this daemon, its output (stdout and stderr) logged a
// line at a time as `VERB output: LINE`, a non-zero status as `VERB command exited with status N`.
//
// Unlike pluto, which waits for the script in its only thread (popen), the script runs beside
// the event loop: one at a time per connection, in the order the connection's Child SAs came
// and went (a down never overtakes its up), at most UPDOWN_PARALLEL at once in all, each
// killed after `timeoutMs` (logged). Queues are bounded: a connection's up that has not started
// when its down comes is not run, and neither is that down (logged); past UPDOWN_QUEUE waiting
// runs in all, a new one is refused (logged). Runtime-neutral: the host spawns the process.
//
// When the verbs run, as 4.10 does: the first Child SA of a connection (no SA owning its
// policies yet) runs up, then prepare and route if the connection is not routed; a rekey's new
// Child SA takes the policies over and runs nothing, and the old one, no longer their owner,
// runs nothing as it goes; the owner's going runs down; an instance (of a template) is unrouted
// with it (unroute). whack --route runs prepare and route; --unroute and deleting a routed
// connection run unroute.
import { rangePrefix, addrText, type KernelChildOp, type KernelTs } from "./kernel-adapter.ts";

// How a script ended, as the host saw it.
export type UpdownExit = { kind: "exit"; code: number } | { kind: "signal"; signal: string } | { kind: "error"; message: string };

// A running script: its output as it comes (stdout and stderr together, as pluto's `2>&1`),
// its end, and a way to kill it (and what it started: the host kills its process group).
export interface UpdownProcess {
  output(f: (chunk: Uint8Array) => void): void;
  exited: Promise<UpdownExit>;
  kill(): void;
}
// `/bin/sh -c command` with the environment; null when it cannot even be started (the reason
// then comes through `exited`).
export type UpdownSpawn = (command: string, env: Record<string, string>) => UpdownProcess;

export const UPDOWN_PARALLEL = 4; // scripts running at once, over every connection
export const UPDOWN_QUEUE = 1024; // runs waiting, over every connection
export const UPDOWN_LINES = 64; // output lines logged per run (the rest counted)
export const UPDOWN_LINE_CHARS = 255; // a longer line is folded, as pluto's 256-byte fgets does
export const UPDOWN_TIMEOUT_MS = 30_000;

interface Run {
  key: string; // the connection (and instance peer)
  label: string; // `"conn" #5`, as the state's log lines begin
  verb: string; // up-client, ...
  base: string; // up, down, ...
  serial: number;
  command: string;
  env: Record<string, string>;
}

// What the environment is made from: a connection, one of its Child SAs (or none: route).
export interface UpdownContext {
  conn: string;
  instance: number; // 0: not an instance
  kind: "PERMANENT" | "TEMPLATE" | "INSTANCE";
  policy: string; // PLUTO_CONN_POLICY
  command: string; // the local end's updown=
  tunnel: boolean;
  me: string; // addresses as text
  peer: string;
  myId: string;
  peerId: string;
  myClient: KernelTs | null; // null: the host itself
  peerClient: KernelTs | null;
  reqid: number;
  spiIn: number; // the Child SA's SPIs (0 without one)
  spiOut: number;
  addTime: number; // s since the epoch the Child SA came (0 without one)
  stack: string; // PLUTO_STACK: xfrm, or memory for the in-memory kernel
  iface: string; // the interface of PLUTO_ME ("NULL" when unknown)
  serial: number; // the Child SA's (0: none)
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const maskOf = (bits: number, v6: boolean) => {
  const bytes: number[] = [];
  for (let i = 0; i < (v6 ? 16 : 4); i++) bytes.push(bits >= (i + 1) * 8 ? 255 : bits <= i * 8 ? 0 : (0xff << (8 - (bits - i * 8))) & 0xff);
  return addrText(bytes.map((b) => b.toString(16).padStart(2, "0")).join(""));
};

// A selector as Libreswan's jam_selector_subnet writes it (address/bits), its network and
// mask, port and protocol; a range that is no prefix is written as its start's host prefix.
function client(ts: KernelTs | null, host: string): { subnet: string; net: string; mask: string; port: number; proto: number } {
  const v6 = host.includes(":");
  const whole = v6 ? 128 : 32;
  if (!ts) return { subnet: `${host}/${whole}`, net: host, mask: maskOf(whole, v6), port: 0, proto: 0 };
  const p = rangePrefix(ts.start, ts.end) ?? `${addrText(ts.start)}/${whole}`;
  const [net, bits] = p.split("/");
  return { subnet: p, net: net!, mask: maskOf(Number(bits), v6), port: ts.sport === ts.eport ? ts.sport : 0, proto: ts.proto };
}

// PLUTO_VERB: the verb with -host when our client is this host alone, else -client; -v6 for IPv6.
export function verbOf(base: string, x: Pick<UpdownContext, "me" | "myClient">): string {
  const c = client(x.myClient, x.me);
  const v6 = x.me.includes(":");
  const hostOnly = c.subnet === `${x.me}/${v6 ? 128 : 32}` || (c.net === x.me && c.mask === maskOf(v6 ? 128 : 32, v6));
  return `${base}${hostOnly ? "-host" : "-client"}${v6 ? "-v6" : ""}`;
}

// The variables of Libreswan 4.10's fmt_common_shell_out that apply here (no XFRMi, VTI,
// NFLOG, marks, XAUTH, MOBIKE, CAT, ModeCFG or certificates yet: those that pluto always sets
// are set to what it sets without them). SPI_IN and SPI_OUT are as 4.10 sets them: SPI_IN
// carries the SPI we send with (the peer's), SPI_OUT the one we receive on.
export function updownEnv(verb: string, x: UpdownContext): Record<string, string> {
  const my = client(x.myClient, x.me);
  const peer = client(x.peerClient, x.peer);
  return {
    PLUTO_VERB: verb,
    PLUTO_CONNECTION: x.conn,
    PLUTO_CONNECTION_TYPE: x.tunnel ? "tunnel" : "transport",
    PLUTO_VIRT_INTERFACE: "NULL",
    PLUTO_INTERFACE: x.iface,
    PLUTO_XFRMI_ROUTE: "",
    PLUTO_ME: x.me,
    PLUTO_MY_ID: x.myId,
    PLUTO_MY_CLIENT: my.subnet,
    PLUTO_MY_CLIENT_NET: my.net,
    PLUTO_MY_CLIENT_MASK: my.mask,
    PLUTO_MY_PORT: String(my.port),
    PLUTO_MY_PROTOCOL: String(my.proto),
    PLUTO_SA_REQID: String(x.reqid),
    PLUTO_SA_TYPE: x.serial ? "ESP" : "none",
    PLUTO_PEER: x.peer,
    PLUTO_PEER_ID: x.peerId,
    PLUTO_PEER_CLIENT: peer.subnet,
    PLUTO_PEER_CLIENT_NET: peer.net,
    PLUTO_PEER_CLIENT_MASK: peer.mask,
    PLUTO_PEER_PORT: String(peer.port),
    PLUTO_PEER_PROTOCOL: String(peer.proto),
    PLUTO_PEER_CA: "",
    PLUTO_STACK: x.stack,
    PLUTO_ADDTIME: String(x.addTime),
    PLUTO_CONN_POLICY: x.policy,
    PLUTO_CONN_KIND: `CK_${x.kind}`,
    PLUTO_CONN_ADDRFAMILY: x.me.includes(":") ? "ipv6" : "ipv4",
    XAUTH_FAILED: "0",
    PLUTO_IS_PEER_CISCO: "0",
    PLUTO_PEER_DNS_INFO: "",
    PLUTO_PEER_DOMAIN_INFO: "",
    PLUTO_PEER_BANNER: "",
    PLUTO_CFG_SERVER: "0",
    PLUTO_CFG_CLIENT: "0",
    VTI_IFACE: "",
    VTI_ROUTING: "no",
    VTI_SHARED: "no",
    SPI_IN: hex(x.spiOut),
    SPI_OUT: hex(x.spiIn),
  };
}

// A script's output, cut into lines (folded at UPDOWN_LINE_CHARS), at most UPDOWN_LINES of
// them handed on; the rest counted.
export class OutputLines {
  private partial = "";
  private decoder = new TextDecoder();
  logged = 0;
  dropped = 0;
  constructor(private readonly line: (l: string) => void) {}
  push(chunk: Uint8Array): void {
    this.partial += this.decoder.decode(chunk, { stream: true });
    for (;;) {
      const nl = this.partial.indexOf("\n");
      if (nl < 0 && this.partial.length < UPDOWN_LINE_CHARS) break;
      const cut = nl >= 0 && nl <= UPDOWN_LINE_CHARS ? nl : UPDOWN_LINE_CHARS;
      this.emit(this.partial.slice(0, cut));
      this.partial = this.partial.slice(nl === cut ? cut + 1 : cut);
    }
  }
  end(): void {
    this.partial += this.decoder.decode();
    if (this.partial) this.emit(this.partial);
    this.partial = "";
  }
  private emit(l: string): void {
    if (this.logged < UPDOWN_LINES) {
      this.logged++;
      this.line(l);
    } else this.dropped++;
  }
}

// The runs: per connection in order, UPDOWN_PARALLEL at once, each bounded in time.
export class UpdownRunner {
  private waiting = new Map<string, Run[]>(); // per connection, in order
  private busy = new Set<string>(); // connections with a run going
  private running = 0;
  private queued = 0;
  private idle: (() => void)[] = [];
  counts = { run: 0, failed: 0, killed: 0, skipped: 0, refused: 0 };

  constructor(private readonly spawn: UpdownSpawn, private readonly log: (line: string) => void, readonly timeoutMs = UPDOWN_TIMEOUT_MS,
    private readonly before: () => Promise<void> = () => Promise.resolve()) {}

  enqueue(r: Run): void {
    const list = this.waiting.get(r.key) ?? [];
    // its Child SA went before its up could start: neither runs
    if (r.base === "down") {
      const i = list.findIndex((w) => w.base === "up" && w.serial === r.serial);
      if (i >= 0) {
        list.splice(i, 1);
        this.queued--;
        this.counts.skipped += 2;
        this.log(`${r.label}: ${r.verb.replace(/^down/, "up")} and ${r.verb} not run: the Child SA went before its up command could start`);
        return;
      }
    }
    if (this.queued >= UPDOWN_QUEUE) {
      this.counts.refused++;
      this.log(`${r.label}: ${r.verb} command not run: ${UPDOWN_QUEUE} updown runs are waiting already (scripts too slow?)`);
      return;
    }
    list.push(r);
    this.waiting.set(r.key, list);
    this.queued++;
    this.next();
  }

  // Resolves once nothing runs or waits (or after `maxMs`).
  settled(maxMs = 60_000): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise<void>((res) => {
      const t = setTimeout(res, maxMs);
      this.idle.push(() => {
        clearTimeout(t);
        res();
      });
    });
  }

  private next(): void {
    for (const [key, list] of this.waiting) {
      if (this.running >= UPDOWN_PARALLEL) return;
      if (this.busy.has(key) || list.length === 0) continue;
      const r = list.shift()!;
      this.queued--;
      if (list.length === 0) this.waiting.delete(key);
      this.busy.add(key);
      this.running++;
      void this.run(r).finally(() => {
        this.busy.delete(key);
        this.running--;
        this.next();
        if (this.running === 0 && this.queued === 0) for (const f of this.idle.splice(0)) f();
      });
    }
  }

  private async run(r: Run): Promise<void> {
    await this.before(); // the kernel's entries are in place (or gone) first
    this.counts.run++;
    const out = new OutputLines((l) => this.log(`${r.label}: ${r.verb} output: ${l}`));
    let p: UpdownProcess;
    try {
      p = this.spawn(r.command, r.env);
    } catch (e) {
      this.counts.failed++;
      this.log(`${r.label}: unable to run ${r.verb} command ${r.command}: ${(e as Error).message}`);
      return;
    }
    p.output((c) => out.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill();
    }, this.timeoutMs);
    const exit = await p.exited;
    clearTimeout(timer);
    out.end();
    if (out.dropped) this.log(`${r.label}: ${r.verb} output: ${out.dropped} more line(s) not logged`);
    if (timedOut) {
      this.counts.killed++;
      this.log(`${r.label}: ${r.verb} command ${r.command} did not finish within ${(this.timeoutMs / 1000).toFixed(1)} s: killed`);
      return;
    }
    if (exit.kind === "exit" && exit.code === 0) return;
    this.counts.failed++;
    this.log(`${r.label}: ${r.verb} command ${exit.kind === "exit" ? `exited with status ${exit.code}` : exit.kind === "signal" ? `exited with signal ${exit.signal}` : `${r.command} could not be run: ${exit.message}`}`);
  }
}

// Which verbs run when, per connection (and instance peer), as pluto 4.10 decides it: see the
// head of this file. The daemon tells it about Child SAs (the core's kernel operations) and
// routing; `context` fills in what the connection is.
export class Updown {
  private owner = new Map<string, { serial: number; ctx: UpdownContext }>(); // the Child SA owning the policies
  private routed = new Map<string, UpdownContext>(); // routed connections, as they were routed
  readonly runner: UpdownRunner;

  constructor(spawn: UpdownSpawn, log: (line: string) => void, timeoutMs: number, before: () => Promise<void>) {
    this.runner = new UpdownRunner(spawn, log, timeoutMs, before);
  }

  private run(base: string, ctx: UpdownContext, key: string): void {
    if (!ctx.command || ctx.command === "%disabled") return;
    const verb = verbOf(base, ctx);
    const label = `"${ctx.conn}"${ctx.instance ? `[${ctx.instance}] ${ctx.peer}` : ""}${ctx.serial ? ` #${ctx.serial}` : ""}`;
    this.runner.enqueue({ key, label, verb, base, serial: ctx.serial, command: ctx.command, env: updownEnv(verb, ctx) });
  }

  static key(conn: string, peer: string): string {
    return `${conn}\u0000${peer}`;
  }

  childUp(ctx: UpdownContext): void {
    const key = Updown.key(ctx.conn, ctx.peer);
    const had = this.owner.get(key);
    this.owner.set(key, { serial: ctx.serial, ctx });
    this.unrouteAfterDown.delete(key); // (taken over by a new connection of that name)
    if (had) return; // a rekey (or a second Child SA): the policies change hands
    this.run("up", ctx, key);
    if (!this.routed.has(key)) {
      this.routed.set(key, ctx);
      this.run("prepare", ctx, key);
      this.run("route", ctx, key);
    }
  }

  childDown(op: KernelChildOp): void {
    const key = Updown.key(op.conn, addrText(op.remote));
    const o = this.owner.get(key);
    if (!o || o.serial !== op.serial) return; // not the owner (replaced by its rekey)
    this.owner.delete(key);
    this.run("down", o.ctx, key);
    if (o.ctx.kind === "INSTANCE" || this.unrouteAfterDown.delete(key)) this.unrouteKey(key);
  }

  // whack --route: trap policies are in place
  route(ctx: UpdownContext): void {
    const key = Updown.key(ctx.conn, ctx.peer);
    if (this.routed.has(key)) return;
    this.routed.set(key, ctx);
    this.run("prepare", ctx, key);
    this.run("route", ctx, key);
  }

  // whack --unroute, or the connection gone (deleted, replaced, removed by a reread): what is
  // routed is unrouted, after the down of a Child SA still up (once its Delete has gone).
  unroute(conn: string): void {
    for (const key of [...this.routed.keys()]) {
      if (!key.startsWith(`${conn}\u0000`)) continue;
      if (this.owner.has(key)) this.unrouteAfterDown.add(key);
      else this.unrouteKey(key);
    }
  }
  private unrouteAfterDown = new Set<string>();
  private unrouteKey(key: string): void {
    const c = this.routed.get(key);
    if (!c) return;
    this.routed.delete(key);
    this.run("unroute", { ...c, serial: 0, spiIn: 0, spiOut: 0, addTime: 0 }, key);
  }

  // A trap in the core took every Child SA: each owner goes down.
  lostAll(): void {
    for (const [key, o] of [...this.owner]) {
      this.owner.delete(key);
      this.run("down", o.ctx, key);
    }
  }
}
