// `npm run bench -- loadtest` (as root): strongSwan's load-tester (charon 5.9.8 with the
// load-tester plugin, built by ../shared/lab/00-install.sh build-lt into /opt/strongswan-lt)
// initiates N IKE SAs with a Child SA each (PSK, ESP AES-GCM-128) into, one after another,
// our Node daemon, our Deno daemon and charon itself, each the responder in a network namespace
// of its own; then our Node daemon initiates N IKE SAs into a load-tester charon, beside a
// load-tester charon initiating into the same. Our daemons run as a user runs them: default
// helpers, default logging (stderr, to a file). Per run it prints the rate (IKE SA/s, from the
// initiator's start to the N-th IKE SA established), IKE SAs per CPU-second of the measured
// daemon (utime+stime of the process, every thread), its RSS after, and each figure as a ratio
// to charon's measured in the same run.
//
// Environment: LOADTEST_N (IKE SAs per run, default 4000), LOADTEST_PROPOSALS (names, comma
// separated; default all), LOADTEST_RESPONDERS (node,deno,charon), LOADTEST_INITIATORS
// (node,charon; "none" for none), LOADTEST_MAXTIME (s per run, default 120),
// LOADTEST_PLUTO_ARGS (more arguments for our daemons, e.g. "--nhelpers 0"),
// LOADTEST_NODE_ARGS (arguments for node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// LOADTEST_KEEP (a directory: copy each run's logs there), LOADTEST_OTHER (another checkout of
// this project, built: its Node daemon responds too, as "other", between ours and charon, for
// before/after figures of a change in one run).
import { spawn, spawnSync, execFileSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readSync, rmSync, lstatSync, writeFileSync, chmodSync, fstatSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Emit } from "./util.ts";

const LT = process.env.PW_STRONGSWAN_LT ?? "/opt/strongswan-lt";
const CHARON = `${LT}/libexec/ipsec/charon`;
const SWANCTL = existsSync(`${LT}/sbin/swanctl`) ? `${LT}/sbin/swanctl` : "/usr/sbin/swanctl";
// the project's root, from bench/ or dist/bench/
const ROOT = fileURLToPath(new URL(existsSync(fileURLToPath(new URL("../package.json", import.meta.url))) ? "../" : "../../", import.meta.url));
const PLUTO = join(ROOT, "dist/hosts/node/pluto.js");
const DENO = join(ROOT, "node_modules/.bin/deno");
const DENO_PLUTO = join(ROOT, "hosts/deno/pluto.ts");

const W = "192.0.2.1"; // initiator
const E = "192.0.2.2"; // responder
const PSK = "load-test pre-shared key 0123456789";
const ESP_SS = "aes128gcm16";
const ESP_OURS = "aes_gcm128";

export interface Proposal {
  name: string;
  ss: string; // strongSwan's proposal string
  ours: string; // ipsec.conf ike= (Libreswan's syntax)
}
export const PROPOSALS: Proposal[] = [
  { name: "x25519_aes_cbc_sha256", ss: "aes128-sha256-x25519", ours: "aes128-sha2_256;dh31" },
  { name: "ecp256_aes_cbc_sha256", ss: "aes128-sha256-ecp256", ours: "aes128-sha2_256;dh19" },
  { name: "x25519_aes_gcm128", ss: "aes128gcm16-prfsha256-x25519", ours: "aes_gcm128-sha2_256;dh31" },
];

// What this benchmark needs and does not have, each with how to get it; empty when it can run.
export function loadtestMissing(): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push("root (it creates network namespaces): run it as root");
  if (!existsSync(CHARON)) out.push(`strongSwan's load-tester build ${CHARON}: run ../shared/lab/00-install.sh build-lt as root (builds strongSwan 5.9.8 with load-tester into ${LT}, ~8 min)`);
  if (!existsSync(SWANCTL)) out.push(`swanctl (${SWANCTL}): apt-get install strongswan-swanctl, or the build-lt above`);
  if (!existsSync(PLUTO)) out.push(`${PLUTO}: npm run build`);
  if (!existsSync(DENO)) out.push(`${DENO}: npm ci (the deno package)`);
  if (spawnSync("ip", ["netns", "list"], { stdio: "ignore" }).status !== 0) out.push("ip netns (iproute2): apt-get install iproute2");
  return out;
}

// `swanctl --stats`: "IKE_SAs: 4000 total, 12 half-open" -> established IKE SAs (total - half-open)
export function establishedFromStats(text: string): number | null {
  const m = /^IKE_SAs: (\d+) total, (\d+) half-open/m.exec(text);
  return m ? Number(m[1]) - Number(m[2]) : null;
}

// /proc/PID/stat -> utime + stime in clock ticks (the fields after the command's parentheses)
export function cpuTicks(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

const HZ = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuSeconds = (pid: number) => {
  try {
    return cpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8")) / HZ;
  } catch {
    return NaN;
  }
};
const rssMiB = (pid: number) => {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};

interface Daemon {
  proc: ChildProcess;
  pid: number;
  log: string;
  vici?: string;
  rundir?: string;
}

class Lab {
  readonly w = `perf${process.pid}w`;
  readonly e = `perf${process.pid}e`;
  readonly dir = mkdtempSync("/tmp/pw-loadtest-");
  private running: Daemon[] = [];

  up(): void {
    this.downNs();
    const sh = (...a: string[]) => execFileSync("ip", a, { stdio: "pipe", timeout: 20000 });
    sh("netns", "add", this.w);
    sh("netns", "add", this.e);
    sh("link", "add", "vw", "netns", this.w, "type", "veth", "peer", "name", "ve", "netns", this.e);
    for (const [ns, dev, addr] of [[this.w, "vw", W], [this.e, "ve", E]]) {
      sh("-n", ns, "link", "set", "lo", "up");
      sh("-n", ns, "addr", "add", `${addr}/24`, "dev", dev);
      sh("-n", ns, "link", "set", dev, "up");
    }
  }

  private downNs(): void {
    for (const ns of [this.w, this.e]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  }

  down(): void {
    for (const d of this.running) this.stop(d);
    this.downNs();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // a charon of the load-tester build in `ns`; initiators > 0 starts initiating at once
  async charon(tag: string, ns: string, lt: Record<string, string | number>): Promise<Daemon> {
    const d = join(this.dir, tag);
    mkdirSync(join(d, "run"), { recursive: true });
    const ltConf = Object.entries({
      enable: "yes", fake_kernel: "yes", initiator_auth: "psk", responder_auth: "psk", preshared_key: `"${PSK}"`,
      esp: ESP_SS, version: 2, initiator: W, responder: E, ...lt,
    }).map(([k, v]) => `      ${k} = ${v}`).join("\n");
    // as ../shared/lab/30-loadtest.sh: log level 0 (thousands of SAs logged at level 2 would
    // dominate its CPU), no DoS protection, 16 threads, a big IKE SA table
    writeFileSync(join(d, "strongswan.conf"), `charon {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey hmac sha1 sha2 aes aesni gcm curve25519 kdf load-tester kernel-netlink socket-default vici counters
  dos_protection = no
  reuse_ikesa = no
  threads = 16
  ikesa_table_size = 4096
  ikesa_table_segments = 16
  init_limit_half_open = 0
  syslog { daemon { default = -1 } }
  filelog { main { path = ${d}/charon.log
    append = no
    default = 0
  } }
  plugins {
    vici { socket = unix://${d}/charon.vici }
    load-tester {
${ltConf}
    }
  }
}
`);
    const out = openSync(join(d, "charon.stdout"), "w");
    // its pid file lives in the build's run directory: a private one in the netns' own mount
    // namespace keeps two instances apart
    const p = spawn("ip", ["netns", "exec", ns, "sh", "-c", `mount --bind '${d}/run' '${LT}/run' && exec env STRONGSWAN_CONF='${d}/strongswan.conf' '${CHARON}'`], { stdio: ["ignore", out, out] });
    closeSync(out);
    const dm: Daemon = { proc: p, pid: p.pid!, log: join(d, "charon.log"), vici: join(d, "charon.vici") };
    this.running.push(dm);
    for (let i = 0; i < 100 && !existsSync(dm.vici!); i++) await sleep(50);
    if (!existsSync(dm.vici!)) throw new Error(`charon ${tag} did not start: ${readFileSync(join(d, "charon.stdout"), "utf8")}`);
    return dm;
  }

  // our daemon (Node or Deno) in `ns`
  async pluto(tag: string, ns: string, runtime: "node" | "deno" | "other", conf: string): Promise<Daemon> {
    const d = join(this.dir, tag);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(d, "ipsec.conf"), conf);
    writeFileSync(join(d, "ipsec.secrets"), `: PSK "${PSK}"\n`);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
    const flags = ["--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, ...words(process.env.LOADTEST_PLUTO_ARGS)];
    const cmd = runtime !== "deno"
      ? [process.execPath, ...words(process.env.LOADTEST_NODE_ARGS), runtime === "other" ? join(process.env.LOADTEST_OTHER!, "dist/hosts/node/pluto.js") : PLUTO, ...flags]
      : [DENO, "run", "--no-prompt", "--unstable-net", "--allow-net", `--allow-read`, `--allow-write=${d}`, "--allow-sys=networkInterfaces", DENO_PLUTO, ...flags];
    const log = join(d, "pluto.log");
    const out = openSync(log, "w");
    const p = spawn("ip", ["netns", "exec", ns, ...cmd], { stdio: ["ignore", out, out], cwd: ROOT });
    closeSync(out);
    const dm: Daemon = { proc: p, pid: p.pid!, log, rundir: d };
    this.running.push(dm);
    for (let i = 0; i < 600 && !/listening for IKE messages on 192\.0\.2\.\d:500/.test(readFileSync(log, "utf8")); i++) {
      if (p.exitCode !== null) break;
      await sleep(50);
    }
    if (!/listening for IKE messages on 192\.0\.2\.\d:500/.test(readFileSync(log, "utf8"))) throw new Error(`${runtime} pluto did not start:\n${readFileSync(log, "utf8").slice(-2000)}`);
    // its start-up (the JIT's first work, connections loaded) is not part of the figures
    await sleep(300);
    return dm;
  }

  established(dm: Daemon): number {
    const r = spawnSync(SWANCTL, ["--stats", "--uri", `unix://${dm.vici}`], { encoding: "utf8", timeout: 20000 });
    return establishedFromStats(r.stdout ?? "") ?? 0;
  }

  stop(dm: Daemon): void {
    if (dm.proc.exitCode === null && dm.proc.signalCode === null) {
      try {
        process.kill(dm.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    this.running = this.running.filter((x) => x !== dm);
  }

  async stopAll(): Promise<void> {
    const procs = this.running.map((d) => d.proc);
    // with node arguments (a profile, say), our daemon is let go its own way (SIGTERM), so that
    // what it writes at exit is written; charon first, so its Deletes find no one to wait for
    if (process.env.LOADTEST_NODE_ARGS) {
      for (const d of this.running.filter((x) => !x.rundir)) this.stop(d);
      for (const d of this.running) {
        process.kill(d.pid, "SIGTERM");
        await Promise.race([new Promise((r) => d.proc.once("exit", r)), sleep(20000)]);
      }
    }
    for (const d of [...this.running]) this.stop(d);
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? null : new Promise((r) => p.once("exit", r)))));
  }

  keep(tag: string): void {
    const to = process.env.LOADTEST_KEEP;
    if (to) cpSync(this.dir, join(to, tag), { recursive: true, filter: (f) => !lstatSync(f).isSocket() });
  }
}

const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter(Boolean);

function responderConf(p: Proposal): string {
  return `config setup
\tlisten=${E}

conn load-test
\tleft=${E}
\tleftid=@srv.strongswan.org
\tright=${W}
\trightid=%any
\tauthby=secret
\tike=${p.ours}
\tesp=${ESP_OURS}
\tauto=add
`;
}

function initiatorConf(p: Proposal, n: number): string {
  const out = [`config setup\n\tlisten=${W}\n`, `conn %default\n\tleft=${W}\n\tright=${E}\n\trightid=@srv.strongswan.org\n\tauthby=secret\n\tike=${p.ours}\n\tesp=${ESP_OURS}\n\tauto=add\n`];
  for (let i = 1; i <= n; i++) out.push(`conn lt${i}\n\tleftid=@c${i}-r1.strongswan.org\n`);
  return out.join("\n");
}

interface Figures {
  established: number;
  seconds: number;
  cpu: number;
  rss: number;
}

// Waits until `count()` reaches n or maxtime passes; returns the elapsed seconds.
async function until(n: number, count: () => number, t0: number, maxtime: number): Promise<{ got: number; seconds: number }> {
  for (;;) {
    const got = count();
    const t = (performance.now() - t0) / 1000;
    if (got >= n || t > maxtime) return { got, seconds: t };
    await sleep(50);
  }
}

// The load-tester's initiators: 4 threads, at most 64 IKE SAs on their way. delay = 1 ms: with
// 0, a thread that meets init_limit spins (do_load_test re-reads the counts with neither sleep nor
// yield), and on this 2-core machine four spinning threads starve a slower responder of CPU.
const loadTester = (p: Proposal, n: number) => ({ proposal: p.ss, initiators: 4, iterations: Math.ceil(n / 4), init_limit: 64, delay: 1 });

async function responderRun(lab: Lab, who: "node" | "deno" | "other" | "charon", p: Proposal, n: number, maxtime: number): Promise<Figures> {
  const resp = who === "charon"
    ? await lab.charon("resp", lab.e, { proposal: p.ss, initiators: 0 })
    : await lab.pluto("resp", lab.e, who, responderConf(p));
  const c0 = cpuSeconds(resp.pid);
  const t0 = performance.now();
  const init = await lab.charon("init", lab.w, loadTester(p, n));
  const r = await until(n, () => lab.established(init), t0, maxtime);
  const cpu = cpuSeconds(resp.pid) - c0;
  const rss = rssMiB(resp.pid);
  await lab.stopAll();
  lab.keep(`responder-${who}-${p.name}`);
  return { established: r.got, seconds: r.seconds, cpu, rss };
}

async function initiatorRun(lab: Lab, who: "node" | "charon", p: Proposal, n: number, maxtime: number): Promise<Figures> {
  const resp = await lab.charon("resp", lab.e, { proposal: p.ss, initiators: 0 });
  let init: Daemon;
  let t0: number;
  let c0: number;
  if (who === "charon") {
    t0 = performance.now();
    init = await lab.charon("init", lab.w, loadTester(p, n));
    c0 = 0; // its CPU from its start, as the load-tester starts initiating at once
  } else {
    init = await lab.pluto("init", lab.w, "node", initiatorConf(p, n));
    c0 = cpuSeconds(init.pid);
    t0 = performance.now();
    void drive(init, n, 64);
  }
  const r = await until(n, () => lab.established(resp), t0, maxtime);
  const cpu = cpuSeconds(init.pid) - c0;
  const rss = rssMiB(init.pid);
  await lab.stopAll();
  lab.keep(`initiator-${who}-${p.name}`);
  return { established: r.got, seconds: r.seconds, cpu, rss };
}

// `whack --up` of lt1..ltN through one control socket connection, with at most `window` IKE
// SAs initiated and not yet established (counted from the daemon's log lines).
async function drive(dm: Daemon, n: number, window: number): Promise<void> {
  const sock = createConnection(join(dm.rundir!, "pluto.ctl"));
  await new Promise<void>((res, rej) => sock.once("connect", res).once("error", rej));
  const fd = openSync(dm.log, "r");
  let off = fstatSync(fd).size;
  let established = 0;
  let tail = "";
  const buf = Buffer.alloc(1 << 16);
  const readLog = () => {
    for (;;) {
      const k = readSync(fd, buf, 0, buf.length, off);
      if (k <= 0) return;
      off += k;
      const text = tail + buf.toString("latin1", 0, k);
      const lines = text.split("\n");
      tail = lines.pop()!;
      for (const l of lines) if (l.includes("established IKE SA")) established++;
    }
  };
  let pending = "";
  const answer = () => new Promise<string>((res) => {
    const take = () => {
      const i = pending.indexOf("\n");
      if (i < 0) return false;
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      res(line);
      return true;
    };
    if (take()) return;
    const on = (b: Buffer) => {
      pending += b.toString();
      if (take()) sock.off("data", on);
    };
    sock.on("data", on);
  });
  try {
    // the requests that fit the window go in one write: the daemon takes them one after
    // another (one at a time per client) without waiting for this process to be scheduled
    for (let sent = 0; sent < n;) {
      readLog();
      const k = Math.min(window - (sent - established), n - sent);
      if (k <= 0) {
        await sleep(2);
        continue;
      }
      const lines: string[] = [];
      for (let i = sent + 1; i <= sent + k; i++) lines.push(JSON.stringify({ cmd: "initiate", name: `lt${i}`, async: true }) + "\n"); // started, not waited for
      sock.write(lines.join(""));
      for (let i = sent + 1; i <= sent + k; i++) {
        const a = JSON.parse(await answer()) as { ok: boolean; error?: string };
        if (!a.ok) throw new Error(`whack --up lt${i}: ${a.error}`);
      }
      sent += k;
    }
  } catch (e) {
    console.error(`bench loadtest: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
    sock.destroy();
  }
}

const pick = <T extends string>(env: string | undefined, all: readonly T[]): T[] => {
  if (!env) return [...all];
  const want = env.split(",").map((s) => s.trim()).filter(Boolean);
  if (want.includes("none")) return [];
  for (const w of want) if (!all.includes(w as T)) throw new Error(`bench loadtest: unknown ${w}; known: ${all.join(", ")}`);
  return want as T[];
};

export async function benchLoadtest(emit: Emit): Promise<void> {
  const missing = loadtestMissing();
  if (missing.length) {
    console.error(`bench loadtest: cannot run here; it needs:\n  ${missing.join("\n  ")}`);
    process.exitCode = 1;
    return;
  }
  const n = Number(process.env.LOADTEST_N ?? 4000);
  const maxtime = Number(process.env.LOADTEST_MAXTIME ?? 120);
  const props = pick(process.env.LOADTEST_PROPOSALS, PROPOSALS.map((p) => p.name)).map((x) => PROPOSALS.find((p) => p.name === x)!);
  const responders = pick(process.env.LOADTEST_RESPONDERS, ["node", "deno", "other", "charon"] as const).filter((r) => r !== "other" || process.env.LOADTEST_OTHER);
  if (process.env.LOADTEST_OTHER && !existsSync(join(process.env.LOADTEST_OTHER, "dist/hosts/node/pluto.js"))) throw new Error(`bench loadtest: LOADTEST_OTHER=${process.env.LOADTEST_OTHER} has no dist/hosts/node/pluto.js (npm run build there)`);
  const initiators = pick(process.env.LOADTEST_INITIATORS, ["node", "charon"] as const);
  const lab = new Lab();
  const stop = () => {
    lab.down();
    process.exit(130);
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
  try {
    lab.up();
    emit("ike_sas_per_run", n, "IKE SA");
    const report = (role: string, runs: Map<string, Figures>, p: Proposal) => {
      const ref = runs.get("charon");
      for (const [who, f] of runs) {
        const k = `${role}_${who}_${p.name}`;
        if (f.established < n) console.error(`bench loadtest: ${k}: ${f.established} of ${n} IKE SAs established within ${maxtime} s`);
        emit(`${k}_established`, f.established, "IKE SA");
        emit(`${k}_ike_sa_per_s`, f.established / f.seconds, "IKE SA/s");
        emit(`${k}_ike_sa_per_cpu_s`, f.established / f.cpu, "IKE SA/CPU-s");
        emit(`${k}_rss_mib`, f.rss, "MiB");
        if (ref && who !== "charon") {
          emit(`${k}_ike_sa_per_s_vs_charon`, (f.established / f.seconds) / (ref.established / ref.seconds), "ratio");
          emit(`${k}_ike_sa_per_cpu_s_vs_charon`, (f.established / f.cpu) / (ref.established / ref.cpu), "ratio");
          emit(`${k}_rss_vs_charon`, f.rss / ref.rss, "ratio");
        }
      }
    };
    for (const p of props) {
      const runs = new Map<string, Figures>();
      for (const who of responders) runs.set(who, await responderRun(lab, who, p, n, maxtime));
      report("responder", runs, p);
    }
    for (const p of props) {
      const runs = new Map<string, Figures>();
      for (const who of initiators) runs.set(who, await initiatorRun(lab, who, p, n, maxtime));
      report("initiator", runs, p);
    }
  } finally {
    await lab.stopAll();
    lab.down();
    process.off("SIGINT", stop).off("SIGTERM", stop);
  }
}

// One whack request over the control socket; the answer and how long it took (ms).
async function whackOnce(rundir: string, req: object, timeoutMs = 30000): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const sock = createConnection(join(rundir, "pluto.ctl"));
  let got = "";
  return await new Promise((res) => {
    const done = () => {
      sock.destroy();
      res({ text: got, ms: performance.now() - t0 });
    };
    const timer = setTimeout(done, timeoutMs);
    sock.on("connect", () => sock.write(JSON.stringify(req) + "\n"));
    sock.on("data", (b) => {
      got += b;
      if (got.includes("\n")) {
        clearTimeout(timer);
        done();
      }
    });
    sock.on("error", () => {
      clearTimeout(timer);
      done();
    });
  });
}

// An IKE_SA_INIT request as our initiator makes it (x25519, AES-GCM-128), to be replayed by
// the flood with a new SPIi each time.
async function floodRequest(p: Proposal): Promise<Uint8Array> {
  const { Engine } = await import("../hosts/engine.ts");
  const { coreModule } = await import("../hosts/node/corefile.ts");
  const { nativeProvider } = await import("../hosts/crypto/native.ts");
  const src = { family: 4 as const, port: 500, addr: Uint8Array.of(10, 9, 0, 1) };
  const dst = { family: 4 as const, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
  let request: Uint8Array | null = null;
  const { runJob } = await import("../hosts/crypto/jobs.ts");
  const jobs: (() => void)[] = [];
  const e: InstanceType<typeof Engine> = new Engine(coreModule(), { provider: nativeProvider }, {
    send: (c) => { request ??= c.bytes.slice(); },
    log: () => {},
    job: (id, job) => jobs.push(() => e.helperDone(0, id, runJob(nativeProvider, job))),
  });
  e.setInterfaces(0, [src]);
  const te = new TextEncoder();
  const added = e.addConn(0, { name: "flood", left: src, right: dst, leftId: { type: 2, data: te.encode("flood.example") }, psk: te.encode(PSK), ike: [{ encr: [[20, 128]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 128]], esn: [0] }] });
  if (!added.ok) throw new Error(`bench flood: ${added.reply}`);
  e.initiate(0, "flood");
  for (let i = 0; i < 10 && jobs.length && !request; i++) jobs.shift()!();
  if (!request) throw new Error(`bench flood: no IKE_SA_INIT request for ${p.name}`);
  return request;
}

// `npm run bench -- flood` (root): the load-tester's legitimate initiations into our Node
// daemon, alone and then beside a spoofed IKE_SA_INIT flood from FLOOD_SOURCES (200) addresses
// of the initiator's namespace at FLOOD_RATE (3,000) per second: the legitimate rate both
// times, what the flood got back (COOKIE requests, other answers), how long a whack --status
// took during the flood, the half-open count and the responder's CPU and RSS.
export async function benchFlood(emit: Emit): Promise<void> {
  const missing = loadtestMissing();
  if (missing.length) {
    console.error(`bench flood: cannot run here; it needs:\n  ${missing.join("\n  ")}`);
    process.exitCode = 1;
    return;
  }
  const n = Number(process.env.FLOOD_N ?? 2000);
  const rate = Number(process.env.FLOOD_RATE ?? 3000);
  const nsrc = Math.min(250, Number(process.env.FLOOD_SOURCES ?? 200));
  const maxtime = Number(process.env.LOADTEST_MAXTIME ?? 120);
  const p = PROPOSALS.find((x) => x.name === "x25519_aes_gcm128")!;
  const lab = new Lab();
  const stop = () => {
    lab.down();
    process.exit(130);
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
  try {
    lab.up();
    const sources = Array.from({ length: nsrc }, (_, i) => `10.9.0.${i + 1}`);
    execFileSync("ip", ["-n", lab.w, "-batch", "-"], { input: sources.map((a) => `addr add ${a}/32 dev vw`).join("\n") + "\n" });
    execFileSync("ip", ["-n", lab.e, "route", "add", "10.9.0.0/24", "dev", "ve"]);
    const req = Buffer.from(await floodRequest(p)).toString("hex");
    // a template, so that every spoofed source is a peer it would take
    const conf = responderConf(p).replace(`\tright=${W}\n`, "\tright=%any\n");
    const run = async (flood: boolean) => {
      const resp = await lab.pluto("resp", lab.e, "node", conf);
      const c0 = cpuSeconds(resp.pid);
      let sender: ChildProcess | null = null;
      let out = "";
      if (flood) {
        const script = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./flood-sender.ts" : "./flood-sender.js", import.meta.url));
        sender = spawn("ip", ["netns", "exec", lab.w, process.execPath, script, req, E, String(rate), String(maxtime + 60), ...sources], { stdio: ["ignore", "pipe", "inherit"] });
        sender.stdout!.on("data", (b) => (out += b));
        await sleep(2000); // the flood first, then the legitimate initiators into it
      }
      const t0 = performance.now();
      const init = await lab.charon("init", lab.w, loadTester(p, n));
      let status: { text: string; ms: number } | null = null;
      const r = await until(n, () => {
        if (flood && !status && performance.now() - t0 > 3000) {
          status = { text: "", ms: -1 };
          void whackOnce(resp.rundir!, { cmd: "status" }).then((s) => (status = s));
        }
        return lab.established(init);
      }, t0, maxtime);
      const cpu = cpuSeconds(resp.pid) - c0;
      const rss = rssMiB(resp.pid);
      const st = await whackOnce(resp.rundir!, { cmd: "status" });
      const half = /half-open IKE SAs: (\d+)[^;]*; ddos-mode=\w+, cookies (required|not required)/.exec(st.text);
      let f: { sent: number; cookies: number; answers: number; seconds: number } | null = null;
      if (sender) {
        if (sender.exitCode === null && sender.signalCode === null) {
          const gone = new Promise((res) => sender!.once("exit", res));
          sender.kill("SIGTERM"); // it prints its counts and goes
          await gone;
        }
        f = out ? JSON.parse(out) : null;
      }
      const log = readFileSync(resp.log, "utf8");
      await lab.stopAll();
      lab.keep(`flood-${flood ? "on" : "off"}`);
      return { r, cpu, rss, half, st, status: status as { text: string; ms: number } | null, f, alive: /half-open IKE SAs/.test(st.text), dropped: (log.match(/dropped [\d,]+ IKE_SA_INIT/g) ?? []).length };
    };
    const quiet = await run(false);
    const loud = await run(true);
    emit("legit_ike_sas", n, "IKE SA");
    emit("legit_ike_sa_per_s", quiet.r.got / quiet.r.seconds, "IKE SA/s");
    emit("legit_established_under_flood", loud.r.got, "IKE SA");
    emit("legit_ike_sa_per_s_under_flood", loud.r.got / loud.r.seconds, "IKE SA/s");
    emit("legit_under_flood_vs_alone", (loud.r.got / loud.r.seconds) / (quiet.r.got / quiet.r.seconds), "ratio");
    emit("flood_rate_asked", rate, "1/s");
    if (loud.f) {
      emit("flood_sent_per_s", loud.f.sent / loud.f.seconds, "1/s");
      emit("flood_cookie_requests_back", loud.f.cookies, "datagrams");
      emit("flood_other_answers_back", loud.f.answers, "datagrams");
      emit("flood_sent", loud.f.sent, "datagrams");
    }
    emit("flood_sources", nsrc, "addresses");
    emit("responder_cpu_s_alone", quiet.cpu, "CPU-s");
    emit("responder_cpu_s_under_flood", loud.cpu, "CPU-s");
    emit("responder_rss_mib_under_flood", loud.rss, "MiB");
    emit("half_open_at_end", Number(loud.half?.[1] ?? -1), "IKE SA");
    emit("cookies_required_at_end", loud.half?.[2] === "required" ? 1 : 0, "bool");
    if (loud.status) emit("whack_status_ms_under_flood", loud.status.ms, "ms");
    emit("daemon_answered_status_after_flood", loud.alive ? 1 : 0, "bool");
    emit("flood_dropped_log_lines", loud.dropped, "lines");
  } finally {
    await lab.stopAll();
    lab.down();
    process.off("SIGINT", stop).off("SIGTERM", stop);
  }
}
