// The daemon's logic, shared by the Node and Deno hosts: configuration to connections, the
// engine's commands to sockets and helpers, whack requests to answers, status in pluto's
// words. The runtime supplies sockets, timers, files and helper threads (DaemonHost).
import { unsupported } from "./config/support.ts";
import * as abi from "../core/abi.ts";
import type { TrapReport } from "./core.ts";
import { Engine, type ShutdownCounts, type ConnSpec, type Endpoint, type EngineStatus, type SecretsSpec, type ProposalSpec, type ProtoportSpec, type TsSpec, endpointText } from "./engine.ts";
import type { CryptoProvider } from "./crypto/provider.ts";
import type { Job, JobResult } from "./crypto/jobs.ts";
import type { ConfigIO } from "./config/io.ts";
import { loadConfig, type NormalizedConn, type NormalizedConfig } from "./config/normalize.ts";
import { parseSecrets, findPsk, readableBy, type SecretEntry, type SecretBytes } from "./config/secrets.ts";
import { formatDiagnostic } from "./config/diagnostics.ts";
import { parseAddress, parseCidr, parseRange, parseVirtualSpec } from "./config/values.ts";
import { parseId } from "./config/ids.ts";
import { RC_UNKNOWN_NAME, type WhackProgress, type WhackRequest, type WhackResponse } from "./whack-protocol.ts";
import { Wait, gone, initiated, parseConnRef, refText, rekeyed, ikeOf, type Check, type ConnRef } from "./whack-wait.ts";
import { KernelAdapter, addrText, type KernelChildOp, type KernelUnrouteOp } from "./kernel-adapter.ts";
import type { Kernel } from "../kernel-shims/kernel.ts";
import { Updown, UPDOWN_TIMEOUT_MS, type UpdownSpawn, type UpdownContext } from "./updown.ts";
import { UserspaceKernel } from "../kernel-shims/userspace.ts";
import { parseAddress as parseKernelAddress, formatAddress, AF_INET6 } from "../kernel-shims/address.ts";

export interface DaemonHost {
  now(): number; // ms
  io: ConfigIO;
  fileMode?(path: string): number | null;
  localAddresses(): string[]; // every address of every interface
  // %defaultroute: the default route's interface address and gateway (absent: left unresolved)
  resolveDefaultRoute?(family: 4 | 6 | null): { address: string; gateway: string | null } | null;
  send(local: Endpoint, remote: Endpoint, bytes: Uint8Array, natT: boolean): void;
  runJob(job: Job): Promise<JobResult>;
  setTimer(at: number): void; // one timer; 0 = none
  log(line: string): void;
  listen(ports: Endpoint[]): Promise<string[]>; // bind these; returns errors
  appendFile?(path: string, text: string): void;
  chmod?(path: string, mode: number): string | null; // null when done, else why not
  // runs leftupdown= scripts (`/bin/sh -c`); absent: they cannot be run, and a connection
  // that has one says so when it loads
  spawnUpdown?: UpdownSpawn;
  interfaceOf?(address: string): string | null; // PLUTO_INTERFACE: the interface holding the address
}

export interface DaemonOptions {
  config: string;
  secrets?: string;
  kernel: "memory" | "xfrm" | "userspace";
  kernelImpl?: Kernel; // the kernel interface itself (default: none, nothing is installed)
  debug?: string[];
  // A Wireshark ikev2_decryption_table to append each established IKE SA's keys to (like
  // strongSwan's save-keys). Off by default: these are secrets.
  keylog?: string;
  updownTimeoutMs?: number; // a leftupdown= script still running after this is killed (30 s)
}

const LOG_NAMES = ["error", "info", "debug"];

export class Daemon {
  readonly engine: Engine;
  config: NormalizedConfig | null = null;
  secrets: SecretEntry[] = [];
  // the connections in the core, as they were given to it (their secrets stay there only)
  private loaded = new Map<string, NormalizedConn>();
  private unoriented = new Set<string>(); // auto= connections neither of whose ends was ours when loaded
  private byName = new Map<string, NormalizedConn>();
  private debugOn: boolean;
  private stopping = false;
  private wantUp = new Set<string>(); // auto=start, or brought up by whack and not taken down
  readonly kernel: KernelAdapter | null;
  readonly updown: Updown | null;
  private dataPlane: UserspaceKernel | undefined; // --kernel userspace

  constructor(module: WebAssembly.Module, readonly provider: CryptoProvider, readonly host: DaemonHost, readonly opts: DaemonOptions) {
    this.debugOn = (opts.debug ?? []).some((d) => d !== "none");
    this.kernel = opts.kernelImpl ? new KernelAdapter(opts.kernelImpl, opts.kernel, (l) => this.log(l)) : null;
    opts.kernelImpl?.onEvent((e) => this.kernelEvent(e));
    this.updown = host.spawnUpdown && this.kernel
      ? new Updown(host.spawnUpdown, (l) => this.log(l), opts.updownTimeoutMs ?? UPDOWN_TIMEOUT_MS, () => this.kernel!.settled())
      : null;
    if (opts.kernelImpl instanceof UserspaceKernel) {
      // ESP in UDP (RFC 3948) leaves from the NAT-T socket the IKE SA uses
      const dp = opts.kernelImpl;
      this.dataPlane = dp;
      dp.setUdpSender((src, sport, dst, dport, bytes) => {
        const l = parseKernelAddress(src);
        const r = parseKernelAddress(dst);
        const ep = (a: typeof l, port: number): Endpoint => ({ family: a.family === AF_INET6 ? 6 : 4, port, addr: a.bytes });
        this.host.send(ep(l, sport), ep(r, dport), bytes, false);
      });
    }
    this.engine = new Engine(module, { provider, core: { onTrap: (r) => this.trapped(r) } }, {
      send: (c) => this.host.send(c.local, c.remote, c.bytes, c.natT),
      log: (level, line) => {
        if (level <= abi.LOG_INFO || this.debugOn) this.log(level === abi.LOG_DEBUG ? `| ${line}` : line);
      },
      ...(opts.kernelImpl ? { kernel: (op: unknown) => this.kernelOp(op as KernelChildOp | KernelUnrouteOp) } : {}),
      job: (id, job) => {
        this.host.runJob(job).then(
          (r) => {
            this.during = () => `the result of helper job ${id} (${job.kind})`;
            this.afterEvent(() => this.engine.helperDone(this.host.now(), id, r));
          },
          // a job the helpers refused (their queue is full) or lost fails its state now,
          // rather than leaving it waiting for an answer that never comes
          // (the engine logs it, naming the job)
          (e) => {
            const failed: JobResult = { ok: false, kind: job.kind, error: { code: "BAD_JOB", message: (e as Error).message } };
            this.afterEvent(() => this.engine.helperDone(this.host.now(), id, failed));
          },
        );
      },
    });
    this.engine.setDebug(this.debugOn);
  }

  // Every log line goes to the host, and to the whack commands waiting on its connection.
  private readonly waits = new Set<Wait>();
  private log(line: string): void {
    this.host.log(line);
    for (const w of this.waits) w.line(line);
  }

  // Reads ipsec.conf and ipsec.secrets; a broken file changes nothing and says why. Both are
  // read before either is taken, so a bad secrets file leaves the old configuration in force too.
  load(): { ok: boolean; errors: string[]; warnings: string[] } {
    const resolve = this.host.resolveDefaultRoute;
    const cfg = loadConfig(this.opts.config, this.host.io, resolve ? { resolveDefaultRoute: (f) => resolve(f) } : {});
    const errors = cfg.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
    const warnings = cfg.diagnostics.filter((d) => d.severity === "warning").map(formatDiagnostic);
    if (this.host.io.readFile(this.opts.config) === null) return { ok: false, errors: [`cannot read ${this.opts.config}`], warnings };
    if (errors.length) return { ok: false, errors, warnings };
    const s = this.readSecrets(cfg);
    if (!s.ok) return { ok: false, errors: s.errors, warnings: [...warnings, ...s.warnings] };
    // plutodebug= of config setup, when pluto was given no --debug (read at start-up, as
    // Libreswan does; whack --debug changes it later)
    if (this.config === null && this.opts.debug === undefined) this.debugOn = cfg.setup.plutodebug.some((d) => d !== "none");
    this.config = cfg;
    this.byName = new Map(cfg.conns.map((c) => [c.name, c]));
    this.secrets = s.entries;
    const d = cfg.setup.ddos;
    this.engine.setDdos(ddosMode(d.mode), d.ikeThreshold, d.maxHalfOpen);
    if (this.opts.keylog) this.keylogReady(this.opts.keylog);
    return { ok: true, errors: [], warnings: [...warnings, ...s.warnings] };
  }

  // Parses the secrets file (the permission warning included); takes nothing.
  private readSecrets(cfg: NormalizedConfig | null): { ok: boolean; errors: string[]; warnings: string[]; entries: SecretEntry[] } {
    const path = this.opts.secrets ?? cfg?.setup.secretsfile ?? "/etc/ipsec.secrets";
    if (this.host.io.readFile(path) === null) {
      if (this.opts.secrets) return { ok: false, errors: [`cannot read ${path}`], warnings: [], entries: [] };
      return { ok: true, errors: [], warnings: [`no secrets file ${path}`], entries: [] };
    }
    const mode = this.host.fileMode?.(path);
    const r = parseSecrets(path, this.host.io, mode === null || mode === undefined ? {} : { mode });
    const errors = r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
    const warnings = r.diagnostics.filter((d) => d.severity === "warning").map(formatDiagnostic);
    return { ok: errors.length === 0, errors, warnings, entries: r.entries };
  }

  // Every loaded connection takes the secrets just read. Libreswan looks a PSK up each time it
  // authenticates; here the core holds each connection's copy, so a reread hands it the new
  // one: new negotiations (re-authentication included) use it, established SAs keep their keys
  // until they rekey or re-authenticate. Returns what the core refused.
  private applySecrets(): { set: number; refused: string[] } {
    const list: SecretsSpec[] = [];
    const none = new Uint8Array(0);
    for (const [name, c] of this.loaded) {
      const k = this.psks(c);
      list.push({ name, psk: k.left ? secretBytes(k.left) : none, pskRight: k.right ? secretBytes(k.right) : none });
    }
    return this.engine.setSecrets(this.host.now(), list);
  }

  // The reply to a reread that took new secrets: what was read, how many loaded connections
  // took them, the warnings.
  private secretsTaken(what: string, warnings: string[]): WhackResponse {
    const a = this.applySecrets();
    for (const l of a.refused) this.log(`secrets not applied: ${l}`);
    const text = [`${what}; ${a.set} loaded connection${a.set === 1 ? "" : "s"} use them for new negotiations`, ...a.refused, ...warnings.map((w) => `warning: ${w}`)].join("\n");
    return a.refused.length ? { ok: false, error: text } : { ok: true, text };
  }

  // The key log holds every IKE SA's keys: like the secrets file, it is for its owner only. A
  // file that others can read is made 0600, and the log says so; one that cannot be is not
  // written to (said once for each mode met).
  private keylogRefused = "";
  private keylogReady(path: string): boolean {
    const mode = this.host.fileMode?.(path);
    const who = mode === null || mode === undefined ? null : readableBy(mode);
    if (who === null) return true; // absent (appendFile creates it 0600) or private
    const m = (mode! & 0o777).toString(8).padStart(4, "0");
    const err = this.host.chmod ? this.host.chmod(path, 0o600) : "this host cannot change a file's mode";
    if (err === null) {
      this.log(`key log ${path} was mode ${m}, readable by ${who}: changed it to 0600`);
      return true;
    }
    if (this.keylogRefused !== `${path} ${m}`) this.log(`not writing keys to ${path}: it is mode ${m}, readable by ${who}, and cannot be made 0600: ${err}`);
    this.keylogRefused = `${path} ${m}`;
    return false;
  }

  // The secret for either orientation of a connection: the core picks by which end is ours.
  private psks(c: NormalizedConn): { left: SecretBytes | undefined; right: SecretBytes | undefined } {
    return { left: findPsk(this.secrets, endIdText(c.left), endIdText(c.right))?.secret, right: findPsk(this.secrets, endIdText(c.right), endIdText(c.left))?.secret };
  }

  // The UDP endpoints to listen on: the IKE port of each end that is one of ours, and the
  // NAT-T port, on the listen= address or on every local address.
  ports(): Endpoint[] {
    const setup = this.config?.setup;
    const addrs = this.interfaceAddresses();
    const mine = new Set(addrs.map(canon));
    const ports = new Set<number>([setup?.ikePort ?? 500, setup?.nattPort ?? 4500]);
    for (const c of this.config?.conns ?? []) {
      for (const e of [c.left, c.right]) if (e.ikeport !== null && e.host !== null && mine.has(canon(e.host))) ports.add(e.ikeport);
    }
    const out: Endpoint[] = [];
    for (const a of addrs) {
      const p = parseAddress(a);
      if (!p) continue;
      for (const port of ports) out.push({ family: p.family, port, addr: Uint8Array.from(p.bytes) });
    }
    return out;
  }

  // ---- connections ----------------------------------------------------------------------------
  // This host's addresses as the core orients connections by them: the listen= address, or
  // every address of every interface (as pluto does).
  interfaceAddresses(): string[] {
    const list = this.config?.setup.listen ? [this.config.setup.listen] : this.host.localAddresses();
    return list.filter((a) => parseAddress(a) !== null);
  }
  private interfacesSent: string | null = null;
  private syncInterfaces(force = false): void {
    const addrs = this.interfaceAddresses();
    const key = addrs.join(" ");
    if (!force && key === this.interfacesSent) return;
    this.interfacesSent = key;
    this.engine.setInterfaces(this.host.now(), addrs.map((a) => {
      const p = parseAddress(a)!;
      return { family: p.family, port: 0, addr: Uint8Array.from(p.bytes) };
    }));
  }

  // The connection as the core takes it: both ends as written (the core orients them), the
  // secret for either orientation, proposals, timers.
  spec(c: NormalizedConn): { ok: true; spec: ConnSpec } | { ok: false; error: string } {
    // what the daemon cannot do yet (the same words addconn --checkconfig warns with)
    const cannot = unsupported(c);
    const refused = cannot.find((u) => u.refused);
    if (refused) return { ok: false, error: `"${c.name}": ${refused.message}` };
    for (const u of cannot) this.log(`"${c.name}": ${u.message}`);
    for (const [side, e] of [["left", c.left], ["right", c.right]] as const) {
      if (e.updown && e.updown !== "%disabled" && !this.updown) this.log(`"${c.name}": ${side}updown=${e.updown}: this daemon cannot run updown scripts (${this.kernel ? "not allowed to run /bin/sh: under Deno, add --allow-run=/bin/sh" : "no kernel interface"}); ignored`);
    }
    type End = NormalizedConn["left"];
    const hostOf = (e: End, side: string): { ok: true; a: ReturnType<typeof parseAddress> } | { ok: false; error: string } => {
      if (e.host === null || e.host.startsWith("%any")) return { ok: true, a: null };
      if (e.hostKind === "defaultroute") return { ok: false, error: `"${c.name}": ${side}=%defaultroute: this host has no default route to take the address from` };
      const a = parseAddress(e.host);
      return a ? { ok: true, a } : { ok: false, error: `"${c.name}": ${side}=${e.host} is not an address (host names are not resolved yet)` };
    };
    const lh = hostOf(c.left, "left");
    if (!lh.ok) return lh;
    const rh = hostOf(c.right, "right");
    if (!rh.ok) return rh;
    const ep = (a: ReturnType<typeof parseAddress>, port: number | null): Endpoint =>
      a ? { family: a.family, port: port ?? 500, addr: Uint8Array.from(a.bytes) } : { family: 0, port: port ?? 500, addr: new Uint8Array(4) };
    // id= as Libreswan reads it (hosts/config/ids.ts); unset, the core takes the end's address
    // (or any ID for %any); id=%any on the peer's end takes any ID, on ours it is our address
    const leftId = c.left.id === null ? undefined : parseId(c.left.id);
    if (leftId && !leftId.ok) return { ok: false, error: `"${c.name}": leftid=${c.left.id}: ${leftId.error}` };
    const rightId = c.right.id === null ? undefined : parseId(c.right.id);
    if (rightId && !rightId.ok) return { ok: false, error: `"${c.name}": rightid=${c.right.id}: ${rightId.error}` };
    // none for either orientation: loaded all the same (the core says so); a reread may bring one
    const { left: pskLeft, right: pskRight } = this.psks(c);
    const cidrTs = (list: string[]): TsSpec[] => {
      const out: TsSpec[] = [];
      for (const n of list) {
        const r = parseCidr(n);
        if (!r.ok) continue;
        out.push({ ...cidrRange(r.value.bytes, r.value.prefix), type: r.value.family === 4 ? 7 : 8 });
      }
      return out;
    };
    const protoport = (e: End): ProtoportSpec | undefined =>
      e.protoport ? { proto: e.protoport.protocol, ...(e.protoport.ports ? { ports: e.protoport.ports } : {}), ...(e.protoport.wildcard ? { wildcard: true } : {}) } : undefined;
    // vnet:/vhost: (normalize checked the text): the ranges the peer's subnet may lie in are
    // virtual-private's for %priv, everything for %all, and the spec's own
    const vp = this.config?.setup.virtualPrivate ?? { include: [], exclude: [] };
    const virtual = (e: End) => {
      const v = e.virtual ? parseVirtualSpec(e.virtual) : null;
      if (!v?.ok) return undefined;
      const include = [...(v.value.priv ? vp.include : []), ...(v.value.all ? ["0.0.0.0/0", "::/0"] : []), ...v.value.include];
      return { spec: { kind: v.value.kind, ...(v.value.no ? { no: true } : {}) }, include, exclude: [...vp.exclude, ...v.value.exclude] };
    };
    const lv = virtual(c.left);
    const rv = virtual(c.right);
    const esn = c.esn === "yes" ? [1] : c.esn === "no" ? [0] : [1, 0];
    const ikeDh = c.ike.flatMap((p) => p.dh);
    const lpp = protoport(c.left);
    const rpp = protoport(c.right);
    const spec: ConnSpec = {
      name: c.name,
      left: ep(lh.a, c.left.ikeport),
      right: ep(rh.a, c.right.ikeport),
      ...(leftId?.ok ? { leftId: leftId.id } : {}),
      ...(rightId?.ok ? { rightId: rightId.id } : {}),
      // both orientations' secrets, an empty one where ipsec.secrets has none for it
      psk: pskLeft ? secretBytes(pskLeft) : new Uint8Array(0),
      pskRight: pskRight ? secretBytes(pskRight) : new Uint8Array(0),
      ike: c.ike.map((p): ProposalSpec => ({ encr: p.encr, prf: p.prf, integ: p.integ, dh: p.dh })),
      esp: c.esp.map((p): ProposalSpec => ({ encr: p.encr, integ: p.integ, esn, ...(c.pfs ? { dh: p.dh.length ? p.dh : ikeDh.slice(0, 1) } : {}) })),
      leftTs: cidrTs(c.left.subnets),
      rightTs: cidrTs(c.right.subnets),
      ...(lpp ? { leftProtoport: lpp } : {}),
      ...(rpp ? { rightProtoport: rpp } : {}),
      ...(lv ? { leftVirtual: lv.spec } : {}),
      ...(rv ? { rightVirtual: rv.spec } : {}),
      ...(lv || rv ? { virtualPrivate: { include: cidrTs((rv ?? lv)!.include), exclude: cidrTs((rv ?? lv)!.exclude) } } : {}),
      timers: {
        ikeLifetime: Math.round(c.lifetimes.ikeLifetimeMs / 1000),
        childLifetime: Math.round(c.lifetimes.ipsecLifetimeMs / 1000),
        rekeyMargin: Math.round(c.lifetimes.rekeyMarginMs / 1000),
        rekeyFuzz: c.lifetimes.rekeyFuzzPercent,
        dpdDelay: Math.round(c.dpd.delayMs / 1000),
        retransmitBaseMs: c.retransmit.intervalMs,
        retransmitLimit: retransmits(c.retransmit.intervalMs, c.retransmit.timeoutMs),
      },
      transport: c.type === "transport",
      fragmentation: c.fragmentation !== "no",
      pfs: c.pfs,
      initialContact: c.initialContact,
      uniqueIds: this.config?.setup.uniqueids ?? true,
      rekey: c.lifetimes.rekey,
      narrowing: c.narrowing,
      auto: c.auto === "start" ? 3 : c.auto === "ondemand" ? 2 : c.auto === "ignore" ? 0 : 1,
      // as Libreswan 4.10 takes them for IKEv2: dpdaction= only with dpddelay= (else hold)
      dpdAction: c.dpd.delayMs > 0 ? c.dpd.action : "hold",
      keyingTries: c.keyingTries,
      ...cfgSpec(c),
    };
    return { ok: true, spec };
  }

  // ---- ipsec.conf as the running source --------------------------------------------------------
  // whack --add and --replace read ipsec.conf as it is now, as Libreswan's addconn does (a
  // process of its own for each command, reading the file afresh); --rereadall and SIGHUP
  // bring the running connections in line with it (rereadAll).

  // The connection as the file has it now: an error when the file cannot be read or parsed, or
  // the connection is not in it or has errors (the other connections' errors do not matter).
  private connNow(name: string): { ok: true; conn: NormalizedConn } | { ok: false; error: string } {
    const path = this.opts.config;
    if (this.host.io.readFile(path) === null) return { ok: false, error: `cannot read ${path}` };
    const resolve = this.host.resolveDefaultRoute;
    const cfg = loadConfig(path, this.host.io, resolve ? { resolveDefaultRoute: (f) => resolve(f) } : {});
    const fileErrors = cfg.diagnostics.filter((d) => d.severity === "error" && d.conn === undefined);
    if (fileErrors.length) return { ok: false, error: `${path} has errors: ${fileErrors.map(formatDiagnostic).join("; ")}` };
    const c = cfg.conns.find((x) => x.name === name);
    if (c) return { ok: true, conn: c };
    const mine = cfg.diagnostics.filter((d) => d.severity === "error" && d.conn === name);
    if (mine.length) return { ok: false, error: `"${name}": the connection has errors in ${path}: ${mine.map(formatDiagnostic).join("; ")}` };
    return { ok: false, error: `no connection named "${name}" in ${path}` };
  }

  // whack --add / ipsec auto --add NAME: the connection as the file has it now. One that is
  // loaded already stays as it is (Libreswan's words: attempt to redefine connection).
  add(name: string, rearm = true): WhackResponse {
    if (this.loaded.has(name)) return { ok: false, error: `attempt to redefine connection "${name}"` };
    const n = this.connNow(name);
    if (!n.ok) return { ok: false, error: n.error };
    const s = this.spec(n.conn);
    if (!s.ok) return { ok: false, error: s.error };
    const r = this.addSpec(n.conn, s.spec);
    if (rearm) this.rearm();
    return r;
  }

  private addSpec(c: NormalizedConn, spec: ConnSpec): WhackResponse {
    this.syncInterfaces();
    const r = this.engine.addConn(this.host.now(), spec);
    if (r.ok) {
      this.loaded.set(c.name, c);
      this.byName.set(c.name, c);
      this.unoriented.delete(c.name);
    }
    return r.ok ? { ok: true, text: r.reply } : { ok: false, error: r.reply };
  }

  // A loaded connection goes with its states: its IKE SAs are deleted with their peers (a Delete
  // each), its trap policies and routing (updown) with it. Returns what it did, in a line.
  private async removeConn(name: string): Promise<string> {
    const now = this.host.now();
    const st = this.engine.status(now, false, name);
    const children = st.ike.reduce((a, s) => a + s.children.length, 0);
    const x = this.engine.admin(now, abi.ADM_DELETE_CONN, new TextEncoder().encode(name));
    this.loaded.delete(name);
    this.wantUp.delete(name);
    this.unoriented.delete(name);
    this.updown?.unroute(name);
    if (this.kernel) await this.kernel.unroute(name);
    if (!x.ok) return x.reply;
    return `"${name}": deleted${st.ike.length ? ` with ${st.ike.length} IKE SA(s) (#${st.ike.map((s) => s.serial).join(", #")}) and ${children} Child SA(s), Deletes sent` : ""}`;
  }

  // What its auto= (or having been up) asks of a connection just added again: initiated
  // (auto=start, or up before), or routed (auto=ondemand).
  private async act(c: NormalizedConn, wasUp: boolean): Promise<string[]> {
    if (c.auto === "start" || wasUp) {
      this.wantUp.add(c.name);
      const x = this.engine.initiate(this.host.now(), c.name);
      return [x.reply];
    }
    if (c.auto === "ondemand" && this.kernel) {
      const x = await this.route(c.name, true);
      return [x.ok ? x.text! : x.error!];
    }
    return [];
  }

  // ipsec auto --replace NAME: the loaded connection (and its states) goes and the file's text
  // of it comes, brought up again when it is auto=start or was up, routed when auto=ondemand.
  // (Libreswan 4.10's ipsec auto --replace is whack --delete then addconn: it deletes the
  // states too, but adds the connection only.) A text that cannot be loaded changes nothing.
  async replace(name: string): Promise<WhackResponse> {
    const n = this.connNow(name);
    if (!n.ok) return { ok: false, error: `"${name}" not replaced: ${n.error}` };
    const s = this.spec(n.conn);
    if (!s.ok) return { ok: false, error: `"${name}" not replaced: ${s.error}` };
    const wasUp = this.wantUp.has(name);
    const lines = this.loaded.has(name) ? [await this.removeConn(name)] : [];
    const a = this.addSpec(n.conn, s.spec);
    if (!a.ok) return { ok: false, error: [...lines, a.error].join("\n") };
    lines.push(a.text!, ...(await this.act(n.conn, wasUp)));
    for (const l of lines) this.log(l);
    this.rearm();
    return { ok: true, text: lines.join("\n") };
  }

  // --rereadall and SIGHUP: ipsec.conf and ipsec.secrets read again; connections new in the
  // file are added and act on their auto= as at start-up (auto=ignore ones are not added),
  // changed ones replaced (their states deleted, brought up again as replace does), deleted
  // ones removed with their states (Deletes sent), unchanged ones (auto=ignore ones added by
  // whack --add included) and
  // their states left alone; every loaded connection takes the new secrets. A file that does
  // not load changes nothing. (Libreswan 4.10's --rereadall rereads secrets and certificates
  // only, and its pluto ignores SIGHUP.) Logs a line per connection it changed and a summary.
  private async rereadAll(): Promise<WhackResponse> {
    const before = new Map(this.loaded);
    const oldSetup = this.config?.setup;
    const l = this.load(); // changes nothing when it fails
    for (const w of l.warnings) this.log(`warning: ${w}`);
    if (!l.ok) return { ok: false, error: [`configuration unchanged: ${l.errors.join("; ")}`, ...l.warnings].join("\n") };
    const setup = this.config!.setup;
    const lines: string[] = [];
    const n = { added: 0, replaced: 0, removed: 0, unchanged: 0, refused: 0 };
    for (const [name, old] of before) {
      const now = this.byName.get(name);
      if (!now) {
        lines.push(`${await this.removeConn(name)}: no longer in ${this.opts.config}`);
        n.removed++;
        continue;
      }
      if (connText(old, oldSetup) === connText(now, setup)) {
        n.unchanged++;
        continue;
      }
      const s = this.spec(now);
      if (!s.ok) {
        lines.push(`"${name}": changed, but not replaced: ${s.error}; the connection as it was stays`);
        this.byName.set(name, old);
        n.refused++;
        continue;
      }
      const wasUp = this.wantUp.has(name);
      const gone = await this.removeConn(name);
      const a = this.addSpec(now, s.spec);
      if (!a.ok) {
        lines.push(`${gone}; its new text was refused: ${a.error}`);
        n.removed++;
        continue;
      }
      lines.push(`"${name}": replaced: ${gone.replace(/^"[^"]*": /, "old one ")}`, ...(await this.act(now, wasUp)));
      n.replaced++;
    }
    const fresh = new Set(this.config!.conns.filter((c) => c.auto !== "ignore" && !before.has(c.name)).map((c) => c.name));
    if (fresh.size) {
      const out = await this.start(fresh);
      n.added += out.filter((o) => /^added connection "/.test(o)).length;
      n.refused += fresh.size - out.filter((o) => /^added connection "/.test(o)).length;
      lines.push(...out);
    }
    for (const e of await this.host.listen(this.ports())) lines.push(e);
    const summary = `reread ${this.opts.config}: ${n.added} added, ${n.replaced} replaced, ${n.removed} removed, ${n.unchanged} unchanged` +
      (n.refused ? `, ${n.refused} refused` : "") + ` connection(s); ${this.secrets.length} secrets entries`;
    for (const x of [...lines, summary]) this.log(x);
    const r = this.secretsTaken(summary, l.warnings);
    const text = [r.ok ? r.text! : r.error!, ...lines].join("\n");
    return r.ok ? { ok: true, text } : { ok: false, error: text };
  }

  // Loads every connection with auto=add/ondemand/start, and starts the auto=start ones.
  // With `only`, just those (whack --listen retries the connections that could not be oriented
  // because neither end's address was up yet).
  async start(only?: Set<string>): Promise<string[]> {
    const out: string[] = [];
    // the connections' descriptions go into the core a few hundred at a time (few calls, and
    // no description of 10,000 connections held at once)
    this.syncInterfaces();
    const names: string[] = [];
    const refused: string[] = [];
    let batch: ConnSpec[] = [];
    const flush = () => {
      refused.push(...this.engine.addConns(this.host.now(), batch).refused);
      for (const s of batch) names.push(s.name);
      batch = [];
    };
    for (const c of this.config?.conns ?? []) {
      if (c.auto === "ignore" || this.loaded.has(c.name) || (only && !only.has(c.name))) continue;
      const s = this.spec(c);
      if (!s.ok) out.push(s.error);
      else if (batch.push(s.spec) >= 256) flush();
    }
    flush();
    out.push(...refused);
    const refusedNames = new Set(refused.map((l) => /"([^"]+)"/.exec(l)?.[1]).filter(Boolean));
    for (const l of refused) {
      const name = /"([^"]+)"/.exec(l)?.[1];
      if (name && /is an address of this host|told the core no addresses/.test(l)) this.unoriented.add(name);
    }
    const added = new Set<string>();
    for (const name of names) {
      if (refusedNames.has(name)) continue;
      this.loaded.set(name, this.byName.get(name)!);
      this.unoriented.delete(name);
      added.add(name);
      out.push(`added connection "${name}"`);
    }
    for (const c of this.config?.conns ?? []) {
      if (!added.has(c.name)) continue;
      if (c.auto === "start") {
        this.wantUp.add(c.name);
        this.engine.initiate(this.host.now(), c.name);
      }
      if (c.auto === "ondemand" && this.kernel) {
        const x = await this.route(c.name, true);
        out.push(x.ok ? x.text! : x.error!);
      }
    }
    this.rearm();
    return out;
  }

  // ---- traps in the core ---------------------------------------------------------------------
  // A trap replaces the core's instance with a fresh one (hosts/core.ts), which knows nothing:
  // it gets back this host's addresses, every connection that was loaded (with today's
  // secrets), and the connections that should be up are initiated again; the kernel's entries
  // of the states the trap took are removed first. Logged with the context, counted in
  // whack --status.
  private traps = { count: 0, last: "", at: 0, restoring: false, retryMs: 0 };
  private during: () => string = () => "start-up";

  private trapped(r: TrapReport): void {
    const where = r.abort ? ` at ${r.abort.file}:${r.abort.line}:${r.abort.column}` : "";
    this.traps.count++;
    this.traps.last = `${r.call}(${r.args.join(", ")}) during ${this.during()}: ${r.message}${where}`;
    this.traps.at = this.host.now();
    this.log(`core trapped in ${this.traps.last} (trap ${this.traps.count}); the core was restarted, its IKE SAs and Child SAs are lost: restoring its connections`);
    if (this.traps.restoring) {
      // it trapped again while being restored: try again later, not in a loop
      this.traps.retryMs = Math.min(Math.max(this.traps.retryMs * 2, 1000), 60000);
      setTimeout(() => this.restore(), this.traps.retryMs);
      return;
    }
    queueMicrotask(() => this.restore());
  }

  private restore(): void {
    if (this.traps.restoring) return;
    this.traps.restoring = true;
    try {
      const now = this.host.now();
      this.syncInterfaces(true);
      const specs: ConnSpec[] = [];
      const refused: string[] = [];
      for (const c of this.loaded.values()) {
        // the connection as it was loaded, with the secrets of now
        const s = this.spec(c);
        if (s.ok) specs.push(s.spec);
        else refused.push(s.error);
      }
      const added = this.engine.addConns(now, specs);
      refused.push(...added.refused);
      void this.kernel?.forgetChildren().then((n) => n && this.log(`kernel: removed the ${n} Child SA(s) the trap took`));
      this.updown?.lostAll();
      let initiated = 0;
      for (const name of this.wantUp) {
        if (this.loaded.has(name) && !this.stopping && this.engine.initiate(now, name).ok) initiated++;
      }
      this.log(`core restored after trap ${this.traps.count}: ${added.added} connection(s) loaded again, ${initiated} initiated again` +
        (refused.length ? `; refused: ${refused.join("; ")}` : ""));
      this.traps.retryMs = 0;
    } catch (e) {
      this.log(`restoring the core failed: ${(e as Error).message}`);
    } finally {
      this.traps.restoring = false;
    }
    this.rearm();
  }

  private trapsText(now: number): string {
    if (this.traps.count === 0) return "core traps: 0";
    return `core traps: ${this.traps.count}; the last ${secsText(now - this.traps.at)} ago, in ${this.traps.last}`;
  }

  // ---- events from the host -------------------------------------------------------------------
  datagram(bytes: Uint8Array, local: Endpoint, remote: Endpoint, port4500: boolean): void {
    // on the NAT-T port, RFC 3948 2.2: a single 0xff is a NAT-keepalive, and a datagram whose
    // first four bytes are not the non-ESP marker is ESP, for the user-space data plane
    if (port4500 && this.dataPlane) {
      if (bytes.length === 1 && bytes[0] === 0xff) return;
      if (bytes.length >= 4 && (bytes[0]! | bytes[1]! | bytes[2]! | bytes[3]!) !== 0) {
        const text = (e: Endpoint) => formatAddress(e.family === 6 ? AF_INET6 : 2, e.addr.subarray(0, e.family === 6 ? 16 : 4));
        this.dataPlane.udpInput(bytes, text(remote), text(local));
        return;
      }
    }
    this.during = () => `a datagram of ${bytes.length} bytes from ${endpointText(remote)} to ${endpointText(local)}`;
    this.afterEvent(() => this.engine.datagram(this.host.now(), bytes, local, remote, port4500));
  }

  timeout(): void {
    this.during = () => "a timer event";
    this.afterEvent(() => this.engine.timeout(this.host.now()));
  }

  private afterEvent(f: () => unknown): void {
    try {
      f();
      if (this.stopping) this.shutdownStep(); // the next Deletes, as answers to earlier ones come
    } catch (e) {
      this.log(`event failed: ${(e as Error).message}`);
    }
    if (this.opts.keylog) this.logKeys();
    this.rearm();
    this.settleWaits();
  }

  // The waiting whack commands look at their connection's states after each event.
  private settleWaits(): void {
    if (this.waits.size === 0) return;
    const now = this.host.now();
    const byName = new Map<string, EngineStatus>();
    for (const w of [...this.waits]) {
      let st = byName.get(w.ref.name);
      if (!st) byName.set(w.ref.name, (st = this.engine.status(now, false, w.ref.name)));
      w.settle(st, now);
    }
  }

  // A whack command that waits for its outcome: `start` does it (its log lines are streamed
  // from before it runs); an immediate failure is the answer, else what `check` decides, within
  // the time the connection's retransmissions take (`exchanges` of them).
  private async waitFor(ref: ConnRef, emit: (p: WhackProgress) => void, exchanges: number, wait: boolean,
    start: () => { ok: boolean; reply: string; check?: Check }): Promise<WhackResponse> {
    if (!wait) {
      const x = start(); // --asynchronous: answered once started
      return x.ok ? { ok: true, text: x.reply } : { ok: false, error: x.reply };
    }
    const c = this.byName.get(ref.name);
    const waitMs = exchanges * (c?.retransmit.timeoutMs ?? 60000) + 10000;
    const now = this.host.now();
    const w = new Wait(ref, emit, now + waitMs, waitMs, (x) => this.waits.delete(x));
    this.waits.add(w);
    const x = start();
    if (!x.ok || !x.check) {
      w.finish({ ok: true });
      return x.ok ? { ok: true, text: x.reply } : { ok: false, error: x.reply };
    }
    w.check = x.check;
    this.rearm();
    this.settleWaits();
    return w.result;
  }

  private keysLogged = new Set<string>();
  private logKeys(): void {
    // the ESP SAs go to Wireshark's other table, esp_sa, in the same directory
    const espSa = this.opts.keylog!.replace(/[^/]*$/, "esp_sa");
    for (const s of this.engine.status(this.host.now(), true).ike) {
      if (s.state !== "ESTABLISHED_IKE_SA") continue;
      const id = `${s.spiI}/${s.spiR}`;
      if (!this.keysLogged.has(id)) {
        this.keysLogged.add(id);
        const line = keylogLine(s);
        if (line && this.keylogReady(this.opts.keylog!)) this.host.appendFile?.(this.opts.keylog!, line + "\n");
      }
      for (const c of s.children) {
        const cid = `${id}/${c.spiIn}/${c.spiOut}`;
        if (c.state !== "ESTABLISHED_CHILD_SA" || this.keysLogged.has(cid)) continue;
        this.keysLogged.add(cid);
        const lines = espKeylogLines(s, c);
        if (lines.length > 0 && this.keylogReady(espSa)) for (const line of lines) this.host.appendFile?.(espSa, line + "\n");
      }
    }
  }

  private rearm(): void {
    this.host.setTimer(this.engine.nextDeadline());
  }

  // ---- whack ----------------------------------------------------------------------------------
  async whack(req: WhackRequest, emit: (p: WhackProgress) => void = () => {}): Promise<WhackResponse> {
    const r = await this.whackCommand(req, emit);
    this.rearm();
    // a connection or state that is not there: Libreswan's RC_UNKNOWN_NAME
    if (!r.ok && r.code === undefined && /^no connection named|^no established state|^no state #|is not loaded/.test(r.error ?? "")) r.code = RC_UNKNOWN_NAME;
    return r;
  }

  private async whackCommand(req: WhackRequest, emit: (p: WhackProgress) => void): Promise<WhackResponse> {
    const now = this.host.now();
    this.during = () => `whack --${req.cmd}${req.name ? ` ${req.name}` : ""}`;
    const name = req.name ?? "";
    const ref = parseConnRef(name);
    const wait = !req.async;
    // the serials of the connection's states now
    const serials = () => {
      const set = new Set<number>();
      for (const s of ikeOf(this.engine.status(this.host.now(), false, ref.name), ref)) {
        set.add(s.serial);
        for (const c of s.children) set.add(c.serial);
      }
      return set;
    };
    const reply = (x: { ok: boolean; reply: string }): WhackResponse => (x.ok ? { ok: true, text: x.reply } : { ok: false, error: x.reply });
    let r: WhackResponse;
    switch (req.cmd) {
      case "add": {
        r = this.add(name);
        break;
      }
      case "delete": {
        if (ref.instance === null && !this.loaded.has(name)) {
          r = { ok: false, error: `no connection named "${name}" is loaded` };
          break;
        }
        const before = serials();
        r = await this.waitFor(ref, emit, 1, wait, () => {
          const x = this.engine.admin(this.host.now(), abi.ADM_DELETE_CONN, new TextEncoder().encode(name));
          if (x.ok && ref.instance === null) {
            this.loaded.delete(name);
            this.wantUp.delete(name);
            this.updown?.unroute(name);
          }
          return { ...x, ...(x.ok && before.size ? { check: gone(before, x.reply) } : {}) };
        });
        break;
      }
      case "initiate": {
        r = await this.waitFor(ref, emit, 2, wait, () => {
          const x = this.engine.initiate(this.host.now(), name);
          if (x.ok && ref.instance === null) this.wantUp.add(name);
          const serial = Number(/#(\d+):/.exec(x.reply)?.[1] ?? 0);
          return { ...x, ...(x.ok && serial ? { check: initiated(ref, serial) } : {}) };
        });
        break;
      }
      case "terminate": {
        const before = serials();
        r = await this.waitFor(ref, emit, 1, wait, () => {
          const x = this.engine.terminate(this.host.now(), name);
          if (ref.instance === null) this.wantUp.delete(name);
          return { ...x, ...(x.ok && before.size ? { check: gone(before, `${refText(ref)}: terminated`) } : {}) };
        });
        break;
      }
      case "rekey-ike": case "rekey-child": {
        const ike = ikeOf(this.engine.status(now, false, ref.name), ref).find((s) => s.state === "ESTABLISHED_IKE_SA");
        const child = ike?.children.find((c) => c.state === "ESTABLISHED_CHILD_SA");
        const serial = req.cmd === "rekey-ike" ? ike?.serial : child?.serial;
        if (serial === undefined || !ike) {
          const known = this.loaded.has(ref.name);
          r = { ok: false, error: known ? `${refText(ref)}: no established ${req.cmd === "rekey-ike" ? "IKE" : "Child"} SA to rekey` : `no connection named "${name}" is loaded` };
          break;
        }
        const before = serials();
        const kind = req.cmd === "rekey-ike" ? "IKE" : "Child";
        r = await this.waitFor(ref, emit, 1, wait, () => {
          const x = this.engine.saOp(this.host.now(), kind === "IKE" ? abi.SAOP_REKEY_IKE : abi.SAOP_REKEY_CHILD, serial);
          return { ...x, ...(x.ok ? { check: rekeyed(ref, kind, serial, ike.serial, before) } : {}) };
        });
        break;
      }
      case "deletestate": {
        const n = req.serial ?? 0;
        const st = this.engine.status(now);
        const ike = st.ike.find((s) => s.serial === n || s.children.some((c) => c.serial === n));
        if (!ike) {
          r = { ok: false, error: `no state #${n}` };
          break;
        }
        const of: ConnRef = { name: ike.conn, instance: ike.instance || null };
        const isIke = ike.serial === n;
        r = await this.waitFor(of, emit, 1, wait, () => {
          const x = this.engine.saOp(this.host.now(), isIke ? abi.SAOP_DELETE_IKE : abi.SAOP_DELETE_CHILD, n);
          return { ...x, ...(x.ok ? { check: gone(new Set([n]), `#${n}: deleted`) } : {}) };
        });
        break;
      }
      case "route": case "unroute":
        r = await this.route(name, req.cmd === "route");
        break;
      case "status": case "briefstatus": case "showstates": case "trafficstatus": case "connectionstatus": {
        const st = this.engine.status(now);
        await this.kernel?.settled();
        let text = statusText(req.cmd, st, this.opts.kernel, now);
        if (req.cmd === "trafficstatus" && this.kernel) {
          const lines: string[] = [];
          for (const s of st.ike) {
            for (const c of s.children) {
              if (c.state !== "ESTABLISHED_CHILD_SA") continue;
              const k = await this.kernel.counters(c.serial);
              lines.push(`000 #${c.serial}: "${s.conn}", type=ESP, add_time=${k.in?.addTime ?? 0}, inBytes=${k.in?.bytes ?? 0}, outBytes=${k.out?.bytes ?? 0}, id='${s.remote}'`);
            }
          }
          text = lines.join("\n");
        }
        if (req.cmd === "status" && this.kernel) text += "\n" + this.kernel.holdings().map((l) => `000 ${l}`).join("\n");
        if (req.cmd === "status" && this.dataPlane) text += "\n" + this.dataPlane.statusLines().map((l) => `000 ${l}`).join("\n");
        if (req.cmd === "status") text += `\n000 ${this.trapsText(now)}`;
        r = { ok: true, text, ...(req.json ? { data: { ...(statusData(req.cmd, st) as object), traps: this.traps.count } } : {}) };
        break;
      }
      case "listen": {
        // the host's addresses again (pluto's --listen): sockets for them, and the
        // connections that could not be oriented before
        this.syncInterfaces(true);
        const errs = await this.host.listen(this.ports());
        const loaded = this.unoriented.size ? await this.start(new Set(this.unoriented)) : [];
        const text = ["listening for IKE messages", ...loaded].join("\n");
        r = errs.length ? { ok: false, error: [...errs, ...loaded].join("\n") } : { ok: true, text };
        break;
      }
      case "rereadsecrets": {
        const s = this.readSecrets(this.config);
        for (const w of s.warnings) this.log(`warning: ${w}`); // as at start-up
        if (!s.ok) {
          r = { ok: false, error: [`secrets unchanged: ${s.errors.join("; ")}`, ...s.warnings].join("\n") };
          break;
        }
        this.secrets = s.entries;
        r = this.secretsTaken(`reread secrets: ${this.secrets.length} entries`, s.warnings);
        break;
      }
      case "rereadall":
        r = await this.rereadAll();
        break;
      case "replace":
        r = await this.replace(name);
        break;
      case "debug":
        this.debugOn = req.debug !== "none";
        this.engine.setDebug(this.debugOn);
        r = { ok: true, text: `debugging ${this.debugOn ? "on" : "off"}` };
        break;
      case "ddos-busy": case "ddos-unlimited": case "ddos-auto": {
        // Libreswan's whack --ddos-*: the mode until the next --ddos-* or rereadall
        const mode = req.cmd.slice(5) as "busy" | "unlimited" | "auto";
        const d = this.config?.setup.ddos ?? { ikeThreshold: abi.DDOS_IKE_THRESHOLD, maxHalfOpen: abi.MAX_HALFOPEN_IKE };
        if (this.config) this.config.setup.ddos.mode = mode;
        this.engine.setDdos(ddosMode(mode), d.ikeThreshold, d.maxHalfOpen);
        const h = this.engine.status(now).halfOpen;
        r = { ok: true, text: `ddos-mode=${h.ddosMode}: ${h.count} half-open IKE SAs, cookies ${h.busy ? "required" : "not required"}` };
        this.log(r.text!);
        break;
      }
      case "shutdown":
        r = { ok: true, text: "shutting down" };
        break;
      default:
        r = { ok: false, error: `unknown command ${(req as WhackRequest).cmd}` };
    }
    return r;
  }

  // whack --route / --unroute: trap policies for a connection, so that traffic brings it up.
  async route(name: string, on: boolean): Promise<WhackResponse> {
    if (!this.kernel) return { ok: false, error: "no kernel interface: routing needs --kernel xfrm, userspace or memory" };
    if (!this.loaded.has(name)) return { ok: false, error: `no connection named "${name}" is loaded (whack --add first)` };
    if (!on) {
      const n = await this.kernel.unroute(name);
      this.updown?.unroute(name);
      return { ok: true, text: `"${name}": unrouted (${n} trap policies removed)` };
    }
    // the connection as the core oriented it
    const c = this.engine.status(this.host.now(), false, name).conns.find((x) => x.kind !== "INSTANCE");
    if (!c) return { ok: false, error: `no connection named "${name}" is loaded (whack --add first)` };
    if (c.kind === "TEMPLATE") return { ok: false, error: `"${name}": a template (${c.remote === "%any" ? "right=%any" : "its peer's subnet or port is open"}) cannot be routed: there is no peer to start` };
    const local = endpointOfText(c.local);
    const remote = endpointOfText(c.remote);
    if (!local || !remote) return { ok: false, error: `"${name}": cannot read the connection's endpoints ${c.local}...${c.remote}` };
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const ts = (list: typeof c.localTs) => list.map((t) => ({ proto: t.proto, sport: t.sport, eport: t.eport, start: t.start, end: t.end }));
    try {
      const n = await this.kernel.route(name, {
        conn: name, family: local.family as 4 | 6, local: hex(local.addr), remote: hex(remote.addr), localPort: local.port, remotePort: remote.port,
        natT: false, mode: c.transport ? "transport" : "tunnel", encr: 0, keyBits: 0, integ: 0, esn: false,
        tsLocal: ts(c.localTs), tsRemote: ts(c.remoteTs),
      });
      const ctx = this.updownContext(name, { local: hex(local.addr), remote: hex(remote.addr), tsLocal: ts(c.localTs), tsRemote: ts(c.remoteTs), mode: c.transport ? "transport" : "tunnel", reqid: 0, serial: 0, spiIn: 0, spiOut: 0 });
      if (ctx) this.updown?.route(ctx);
      return { ok: true, text: `"${name}": routed (${n} trap policies); traffic will bring it up` };
    } catch (e) {
      return { ok: false, error: `"${name}": the kernel refused the trap policy: ${(e as Error).message}` };
    }
  }

  // ---- leftupdown= (hosts/updown.ts) -----------------------------------------------------------
  // The core's kernel operations are its Child SAs coming and going; the updown verbs follow
  // from them once the event that made them is over (the context reads the core's status).
  private updownOps: (KernelChildOp | KernelUnrouteOp)[] = [];
  private updownOp(op: KernelChildOp | KernelUnrouteOp): void {
    if (!this.updown) return;
    if (this.updownOps.push(op) === 1) queueMicrotask(() => this.updownFlush());
  }
  private updownFlush(): void {
    const ops = this.updownOps.splice(0);
    for (const op of ops) {
      try {
        if (op.op === "unroute") this.updown!.unroute(op.conn);
        else if (op.op === "del") this.updown!.childDown(op);
        else {
          const ctx = this.updownContext(op.conn, op);
          if (ctx) this.updown!.childUp(ctx);
        }
      } catch (e) {
        this.log(`"${op.conn}": updown: ${(e as Error).message}`);
      }
    }
  }

  // What a connection's updown script is told (PLUTO_*), for one of its Child SAs or (serial 0)
  // for its trap policies; null when the connection is not loaded.
  private updownContext(name: string, x: { local: string; remote: string; tsLocal: KernelChildOp["tsLocal"]; tsRemote: KernelChildOp["tsRemote"]; mode: "tunnel" | "transport"; reqid: number; serial: number; spiIn: number; spiOut: number }): UpdownContext | null {
    const c = this.loaded.get(name);
    if (!c) return null;
    const me = addrText(x.local);
    const peer = addrText(x.remote);
    // the local end is the one whose address is ours (left when both or neither are)
    const rightIsMe = c.right.host !== null && canon(c.right.host) === canon(me) && !(c.left.host !== null && canon(c.left.host) === canon(me));
    const [mine, theirs] = rightIsMe ? [c.right, c.left] : [c.left, c.right];
    const st = this.engine.status(this.host.now(), false, name);
    const ike = x.serial ? st.ike.find((s) => s.children.some((ch) => ch.serial === x.serial)) : undefined;
    const instance = ike?.instance ?? 0;
    const cs = st.conns.find((k) => k.instance === instance) ?? st.conns[0];
    return {
      conn: name, instance, kind: cs?.kind ?? "PERMANENT", policy: cs ? policy(cs) : "", command: mine.updown ?? "",
      tunnel: x.mode === "tunnel", me, peer,
      myId: mine.id ?? me, peerId: ike?.peerId || (theirs.id && theirs.id !== "%any" ? theirs.id : peer),
      myClient: x.tsLocal[0] ?? null, peerClient: x.tsRemote[0] ?? null,
      reqid: x.reqid, spiIn: x.spiIn, spiOut: x.spiOut, serial: x.serial,
      addTime: x.serial ? Math.floor(Date.now() / 1000) : 0,
      stack: this.opts.kernel, iface: this.host.interfaceOf?.(me) ?? "NULL",
    };
  }

  // Resolves once no updown script runs or waits (at most `maxMs`): shutting down waits for
  // the downs its Deletes brought.
  async updownSettled(maxMs?: number): Promise<void> {
    await Promise.resolve(); // (the last event's verbs are queued in a microtask)
    await this.updown?.runner.settled(maxMs);
  }

  // ACQUIRE: traffic hit a trap policy: start its connection. EXPIRE: a Child SA's lifetime in
  // A kernel operation of the core; the outcome of an "add" goes back to it as an event.
  private kernelOp(op: KernelChildOp | KernelUnrouteOp): void {
    if (op.op !== "add" || op.id === undefined) {
      this.kernel?.apply(op);
      this.updownOp(op);
      return;
    }
    const id = op.id;
    this.kernel?.apply(op, (refused) => {
      if (refused === null) this.updownOp(op); // (a Child SA the kernel refused never comes up)
      this.during = () => `the kernel's answer for Child SA #${id}`;
      this.afterEvent(() => this.engine.kernelDone(this.host.now(), id, refused === null, refused ?? ""));
    });
  }

  // the kernel ran out: soft, rekey it; hard, it is gone (delete it with the peer).
  private kernelEvent(e: import("../kernel-shims/kernel.ts").KernelEvent): void {
    if (!this.kernel) return;
    if (e.kind === "acquire") {
      const reqid = e.policy.templates?.[0]?.reqid ?? 0;
      const conn = this.kernel.connOfTrap(reqid);
      if (!conn) return;
      const busy = this.engine.status(this.host.now()).ike.some((s) => s.conn === conn);
      this.log(`"${conn}": acquire for ${e.selector.src} -> ${e.selector.dst}${busy ? ": already negotiating or up" : ": initiating"}`);
      if (!busy) this.afterEvent(() => this.engine.initiateOnDemand(this.host.now(), conn));
    } else if (e.kind === "expire") {
      const serial = this.kernel.childOfSpi(e.spi);
      if (serial === null) return;
      this.log(`#${serial}: kernel ${e.hard ? "hard" : "soft"} expire of ESP SPI 0x${e.spi.toString(16)}: ${e.hard ? "deleting" : "rekeying"}`);
      this.afterEvent(() => this.engine.saOp(this.host.now(), e.hard ? abi.SAOP_DELETE_CHILD : abi.SAOP_REKEY_CHILD, serial));
    } else {
      this.log(`kernel: ${e.reason}`);
    }
  }

  // Shutting down (SIGTERM, SIGINT, whack --shutdown): every IKE SA is deleted with its peer,
  // SHUTDOWN_WINDOW Deletes in flight at a time (the next goes as one is answered, see
  // core/ikev2/shutdown.ts), until none is left, nothing was sent or answered for `quietMs`,
  // or `maxMs` passed; then what is left is deleted without an answer and every kernel entry
  // of ours removed. A second call waits for the first. Logs and returns what it did.
  shutdown(bound: { quietMs?: number; maxMs?: number } = {}): Promise<ShutdownReport> {
    this.stopped ??= this.runShutdown(bound.quietMs ?? 2000, bound.maxMs ?? 30000);
    return this.stopped;
  }
  private stopped: Promise<ShutdownReport> | null = null;

  private shutdownStep(last = false): ShutdownCounts {
    const c = this.engine.shutdownStep(this.host.now(), SHUTDOWN_WINDOW, SHUTDOWN_PATIENCE_MS, last);
    this.rearm();
    return c;
  }

  private async runShutdown(quietMs: number, maxMs: number): Promise<ShutdownReport> {
    const t0 = this.host.now();
    this.stopping = true;
    let c = this.shutdownStep();
    let quietSince = t0;
    this.log(`shutting down: deleting ${c.left} IKE SA(s) with their peers, at most ${SHUTDOWN_WINDOW} Deletes in flight`);
    while (c.left > 0) {
      // Deletes go out as answers come in (afterEvent); this only watches the bound
      await new Promise((res) => setTimeout(res, 20));
      const before = c;
      c = this.shutdownStep();
      const t = this.host.now();
      if (c.sent !== before.sent || c.answered !== before.answered || c.left !== before.left) quietSince = t;
      if (c.left > 0 && (t - quietSince >= quietMs || t - t0 >= maxMs)) {
        this.log(`shutting down: ${c.left} IKE SA(s) left after ${secsText(t - t0)}${t - t0 >= maxMs ? "" : ` (no answer for ${secsText(t - quietSince)})`}: deleting them without an answer`);
        break;
      }
    }
    c = this.shutdownStep(true);
    await this.kernel?.close();
    const ms = this.host.now() - t0;
    const report: ShutdownReport = { sent: c.sent, answered: c.answered, peerFirst: c.peerFirst, unanswered: c.unanswered, abandoned: c.abandoned, ms };
    this.log(`shutdown: sent ${c.sent} Deletes, ${c.answered} answered, ${c.peerFirst} crossed by the peer's own Delete, ` +
      `${c.unanswered} IKE SA(s) deleted without an answer, ${c.abandoned} not yet established deleted alone; kernel entries removed; ${secsText(ms)}`);
    return report;
  }
}

// What a shutdown did (Daemon.shutdown): Deletes sent and answered (or crossed by the peer's
// own), IKE SAs deleted without an answer, half-open ones deleted alone, and how long it took.
export interface ShutdownReport { sent: number; answered: number; peerFirst: number; unanswered: number; abandoned: number; ms: number }
// At most this many Deletes in flight while shutting down, each holding its place until it is
// answered or has waited SHUTDOWN_PATIENCE_MS: answered at once (a few ms of round trip),
// 10,000 IKE SAs go in a second or two; with every peer gone, at 1,280 a second (8 s), and no
// socket buffer or peer sees more than 128 at a time.
const SHUTDOWN_WINDOW = 128;
const SHUTDOWN_PATIENCE_MS = 100;
const secsText = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// "192.0.2.1:500" or "[2001:db8::1]:500", as the core prints endpoints
function endpointOfText(t: string): Endpoint | null {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(t);
  const a = m ? parseAddress(m[1]!) : null;
  return a && m ? { family: a.family, port: Number(m[2]), addr: Uint8Array.from(a.bytes) } : null;
}

// A connection as compared by a reread: everything the daemon takes from it (its place in the
// file aside) and the config setup keywords that go into it.
function connText(c: NormalizedConn, setup: NormalizedConfig["setup"] | undefined): string {
  return JSON.stringify([{ ...c, file: "", line: 0 }, setup?.uniqueids, setup?.virtualPrivate]);
}

function canon(h: string): string {
  const a = parseAddress(h);
  if (!a) return h;
  return a.family === 4 ? a.bytes.join(".") : a.bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The ID an end's secret is looked up by: its id=, else its address, else any.
function endIdText(e: NormalizedConn["left"]): string {
  return e.id ?? e.host ?? "%any";
}

function secretBytes(s: SecretBytes): Uint8Array {
  return s.reveal();
}

function cidrRange(bytes: number[], prefix: number): { start: Uint8Array; end: Uint8Array } {
  const start = Uint8Array.from(bytes);
  const end = Uint8Array.from(bytes);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    start[i] = bytes[i] & mask;
    end[i] = (bytes[i] & mask) | (~mask & 0xff);
  }
  return { start, end };
}

function retransmits(intervalMs: number, timeoutMs: number): number {
  let n = 0;
  let t = 0;
  let d = Math.max(intervalMs, 1);
  while (t + d <= timeoutMs && n < 30) {
    t += d;
    d = Math.min(d * 2, intervalMs * 64);
    n++;
  }
  return Math.max(n, 1);
}

// One line of Wireshark's ikev2_decryption_table for an IKE SA, or null for a cipher Wireshark
// cannot decrypt. An integrity algorithm it does not know (AES-XCBC-96) goes in as "ANY
// 96-bits of Authentication [No Checking]", with its keys.
export function keylogLine(s: EngineStatus["ike"][0]): string | null {
  const gcmIcv: Record<number, number> = { 18: 8, 19: 12, 20: 16 };
  const enc = s.encr === 12 ? `"AES-CBC-${s.keyBits} [RFC3602]"` : s.encr === 13 ? `"AES-CTR-${s.keyBits} [RFC5930]"` : s.encr === 3 ? `"3DES [RFC2451]"`
    : gcmIcv[s.encr] ? `"AES-GCM-${s.keyBits} with ${gcmIcv[s.encr]} octet ICV [RFC5282]"` : null;
  const integ = s.integ === 0 ? `"NONE [RFC4306]"` : ({ 1: `"HMAC_MD5_96 [RFC2403]"`, 2: `"HMAC_SHA1_96 [RFC2404]"`, 5: `"ANY 96-bits of Authentication [No Checking]"`, 12: `"HMAC_SHA2_256_128 [RFC4868]"`, 13: `"HMAC_SHA2_384_192 [RFC4868]"`, 14: `"HMAC_SHA2_512_256 [RFC4868]"` } as Record<number, string>)[s.integ];
  if (!enc || !integ) return null;
  return [s.spiI.padStart(16, "0"), s.spiR.padStart(16, "0"), s.SK_ei, s.SK_er, enc, s.SK_ai ?? "", s.SK_ar ?? "", integ].join(",");
}

// The two lines of Wireshark's esp_sa table for a Child SA (inbound, outbound), or none for a
// cipher Wireshark cannot decrypt; an integrity algorithm it does not know is written as
// "ANY n bit authentication [no checking]" with its key, so the keys are all there.
export function espKeylogLines(s: EngineStatus["ike"][0], c: EngineStatus["ike"][0]["children"][0]): string[] {
  const gcmIcv: Record<number, number> = { 18: 8, 19: 12, 20: 16 };
  const enc = ({ 3: "TripleDES-CBC [RFC2451]", 11: "NULL", 12: "AES-CBC [RFC3602]", 13: "AES-CTR [RFC3686]" } as Record<number, string>)[c.encr] ??
    (gcmIcv[c.encr] ? `AES-GCM with ${gcmIcv[c.encr]} octet ICV [RFC4106]` : undefined);
  const icvBits: Record<number, number> = { 1: 96, 2: 96, 5: 96, 8: 96, 12: 128, 13: 192, 14: 256 };
  const auth = c.integ === 0 ? "NULL" : ({ 1: "HMAC-MD5-96 [RFC2403]", 2: "HMAC-SHA-1-96 [RFC2404]", 12: "HMAC-SHA-256-128 [RFC4868]", 13: "HMAC-SHA-384-192 [RFC4868]", 14: "HMAC-SHA-512-256 [RFC4868]" } as Record<number, string>)[c.integ] ??
    `ANY ${icvBits[c.integ] ?? 96} bit authentication [no checking]`;
  if (!enc || c.encrIn === undefined || c.encrOut === undefined) return [];
  const host = (ep: string) => ep.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  const [local, remote] = [host(s.local), host(s.remote)];
  const family = local.includes(":") ? "IPv6" : "IPv4";
  const line = (src: string, dst: string, spi: string, ek: string, ak: string | undefined) =>
    [family, src, dst, `0x${spi.padStart(8, "0")}`, enc, `0x${ek}`, auth, ak ? `0x${ak}` : ""].map((f) => `"${f}"`).join(",");
  return [line(remote, local, c.spiIn, c.encrIn, c.integIn), line(local, remote, c.spiOut, c.encrOut, c.integOut)];
}

// The Configuration payload's part of a connection: pools, who asks, what a reply tells.
function cfgSpec(c: NormalizedConn): Partial<ConnSpec> {
  const pools = (e: NormalizedConn["left"]): TsSpec[] => e.addresspool.flatMap((text) => {
    const r = parseRange(text);
    return r.ok ? [{ start: Uint8Array.from(r.value.start), end: Uint8Array.from(r.value.end) }] : [];
  });
  const cfg = (e: NormalizedConn["left"]) => ({
    ...(e.modecfgclient ? { client: true } : {}),
    ...(e.modecfgserver ? { server: true } : {}),
  });
  const out: Partial<ConnSpec> = {};
  const lp = pools(c.left);
  const rp = pools(c.right);
  if (lp.length) out.leftPool = lp;
  if (rp.length) out.rightPool = rp;
  const lc = cfg(c.left);
  const rc = cfg(c.right);
  if (Object.keys(lc).length) out.leftCfg = lc;
  if (Object.keys(rc).length) out.rightCfg = rc;
  const dns = c.modecfg.dns.flatMap((a) => {
    const p = parseAddress(a);
    return p ? [Uint8Array.from(p.bytes)] : [];
  });
  if (dns.length) out.dns = dns;
  if (c.modecfg.domains.length) out.domains = c.modecfg.domains;
  return out;
}

// ---- status, in pluto's words --------------------------------------------------------------
// pluto's way of listing a connection's policy bits
function policy(c: EngineStatus["conns"][0]): string {
  return ["IKEv2", "PSK", "ENCRYPT", c.transport ? "TRANSPORT" : "TUNNEL", ...(c.pfs ? ["PFS"] : []), ...(c.fragmentation ? ["IKE_FRAG_ALLOW"] : []), ...(c.narrowing ? ["IKEV2_ALLOW_NARROWING"] : [])].join("+");
}

// {cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_256 group=CURVE25519}, as the log says it
function ikeAlgs(s: EngineStatus["ike"][0]): string {
  const a = s.algs;
  return a ? `{cipher=${a.cipher} integ=${a.integ} prf=${a.prf} group=${a.group}}` : "";
}
// AES_GCM_16_256-NONE[-CURVE25519], pluto's xfrm= of a Child SA
function childAlgs(c: EngineStatus["ike"][0]["children"][0]): string {
  const a = c.algs;
  return a ? `xfrm=${a.cipher}-${a.integ}${a.group ? "-" + a.group : ""}` : "";
}

function secs(t: number, now: number): string {
  return `${Math.max(0, Math.round((t - now) / 1000))}s`;
}
function hexTs(t: { start: string; end: string; proto?: number; sport?: number; eport?: number }): string {
  const addr = (h: string) => {
    if (h.length === 8) {
      const v = parseInt(h, 16);
      return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    }
    return h.match(/..../g)!.join(":");
  };
  const pp = t.proto || (t.sport ?? 0) !== 0 || (t.eport ?? 65535) !== 65535 ? `:${t.proto ?? 0}/${t.sport ?? 0}-${t.eport ?? 65535}` : "";
  return `${addr(t.start)}-${addr(t.end)}${pp}`;
}

function ddosMode(m: "auto" | "busy" | "unlimited"): number {
  return m === "busy" ? abi.DDOS_BUSY : m === "unlimited" ? abi.DDOS_UNLIMITED : abi.DDOS_AUTO;
}

export function statusText(cmd: string, st: EngineStatus, kernel: string, now: number): string {
  const lines: string[] = [];
  // an instance of a template is "name"[N] peer, as pluto says
  const label = (name: string, instance: number, remote: string) => (instance ? `"${name}"[${instance}] ${remote.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1")}` : `"${name}"`);
  // connections and their IKE SAs by name and instance number, found once (10,000 of each
  // must not cost 10,000 x 10,000 comparisons)
  const key = (name: string, instance: number) => `${name}\u0000${instance}`;
  const conns = new Map(st.conns.map((c) => [key(c.name, c.instance), c]));
  const sasOf = new Map<string, number>();
  for (const s of st.ike) sasOf.set(key(s.conn, s.instance), (sasOf.get(key(s.conn, s.instance)) ?? 0) + 1);
  const connOf = (s: EngineStatus["ike"][0]) => label(s.conn, s.instance, conns.get(key(s.conn, s.instance))?.remote ?? s.remote);
  const ike = (s: EngineStatus["ike"][0]) =>
    `#${s.serial}: ${connOf(s)}:${s.remote.split(":").pop()} ${s.state} (${s.initiator ? "initiator" : "responder"}); ` +
    (s.rekeyAt ? `REKEY in ${secs(s.rekeyAt, now)}; ` : "") + (s.expireAt ? `REPLACE in ${secs(s.expireAt, now)}; ` : "") +
    (s.outstanding ? "RETRANSMIT pending; " : "") + `SPIs ${s.spiI.padStart(16, "0")}:${s.spiR.padStart(16, "0")}; ` +
    ikeAlgs(s);
  const child = (s: EngineStatus["ike"][0], c: EngineStatus["ike"][0]["children"][0]) =>
    `#${c.serial}: ${connOf(s)}:${s.remote.split(":").pop()} ${c.state}; ` + (c.rekeyAt ? `REKEY in ${secs(c.rekeyAt, now)}; ` : "") +
    (c.expireAt ? `EXPIRE in ${secs(c.expireAt, now)}; ` : "") + `IKE SA #${s.serial}; ${c.transport ? "transport" : "tunnel"} mode; ` +
    `ESP SPIs out 0x${c.spiOut.padStart(8, "0")} in 0x${c.spiIn.padStart(8, "0")}; ${childAlgs(c)}; ` +
    `${c.tsLocal.map(hexTs).join(",")} === ${c.tsRemote.map(hexTs).join(",")}`;
  const h = st.halfOpen;
  const halfOpenLine = `half-open IKE SAs: ${h.count} (at most ${h.limit}, ${h.perSource} from one address); ddos-mode=${h.ddosMode}, cookies ${h.busy ? "required" : "not required"}`;
  if (cmd === "status" || cmd === "connectionstatus") {
    lines.push(`using kernel interface: ${kernel}`);
    lines.push(halfOpenLine);
    for (const c of st.conns) {
      lines.push(`${label(c.name, c.instance, c.remote)}: ${c.local}...${c.remote}; kind: ${c.kind}; policy: ${policy(c)}; ` +
        `${c.localTs.map(hexTs).join(",")} === ${c.remoteTs.map(hexTs).join(",") || "(the instance's peer)"}; ${sasOf.get(key(c.name, c.instance)) ?? 0} IKE SA(s)` +
        (c.leases?.length ? `; lease ${c.leases.join(", ")}` : "") + (c.vips?.length ? `; virtual IP ${c.vips.join(", ")}${c.dns?.length ? ` DNS ${c.dns.join(", ")}` : ""}` : ""));
    }
    // as Libreswan's show_addresspool_status
    for (const p of st.pools ?? []) {
      lines.push(`address pool ${p.range}: ${p.size} addresses, ${p.leases} leases, ${p.inUse} in-use, ${p.free} free`);
      for (const a of p.assigned) lines.push(`    ${a.address} assigned to ${a.conn}`);
    }
  }
  if (cmd === "status" || cmd === "showstates") {
    for (const s of st.ike) {
      lines.push(ike(s));
      for (const c of s.children) lines.push(child(s, c));
    }
  }
  if (cmd === "briefstatus") {
    const est = st.ike.filter((s) => s.state === "ESTABLISHED_IKE_SA");
    lines.push(`IKE SAs: total(${st.ike.length}), established(${est.length}); Child SAs: total(${st.ike.reduce((a, s) => a + s.children.length, 0)})`);
    lines.push(`connections: ${st.conns.length}`);
    lines.push(halfOpenLine);
  }
  if (cmd === "trafficstatus") {
    for (const s of st.ike) {
      for (const c of s.children) if (c.state === "ESTABLISHED_CHILD_SA") lines.push(`#${c.serial}: ${connOf(s)}, type=ESP, add_time=0, inBytes=0, outBytes=0, id='${s.remote}'`);
    }
  }
  return lines.map((l) => `000 ${l}`).join("\n");
}

export function statusData(cmd: string, st: EngineStatus): unknown {
  if (cmd === "briefstatus") {
    return { ike: st.ike.length, established: st.ike.filter((s) => s.state === "ESTABLISHED_IKE_SA").length, conns: st.conns.length, halfOpen: st.halfOpen };
  }
  return { conns: st.conns, states: st.ike, pools: st.pools };
}

export { LOG_NAMES, endpointText };
