// A two-namespace lab for interop tests: our pluto in one network namespace, a peer
// (strongSwan's charon) in the other, joined by a veth pair. Everything created here is
// removed by `down()`; processes are stopped by the PIDs recorded when they were started.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync, chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const PLUTO = join(root, "dist/hosts/node/pluto.js");
export const WHACK = join(root, "dist/hosts/node/whack.js");
export const CHARON = "/usr/lib/ipsec/charon";
export const SWANCTL = "/usr/sbin/swanctl";
// Libreswan 4.10, unpacked from Debian's .deb (it conflicts with strongSwan in apt); .ci/run
// puts it here.
export const LIBRESWAN = process.env.PW_LIBRESWAN ?? "/opt/pw-libreswan";

export function libreswanUnavailable(): string | null {
  if (!existsSync(`${LIBRESWAN}/usr/libexec/ipsec/pluto`)) return `Libreswan is not unpacked in ${LIBRESWAN} (see .ci/run)`;
  return null;
}

// Why interop tests cannot run here, or null when they can.
export function unavailable(): string | null {
  if (process.getuid?.() !== 0) return "interop tests need root (network namespaces)";
  if (!existsSync(CHARON) || !existsSync(SWANCTL)) return "strongSwan is not installed (apt-get install strongswan strongswan-swanctl libcharon-extra-plugins)";
  if (!existsSync(PLUTO)) return "dist/ is not built (npm run build)";
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
  } catch {
    return "ip netns does not work here";
  }
  return null;
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", timeout: 30000 });
const trySh = (cmd: string, args: string[]) => {
  try {
    return sh(cmd, args);
  } catch {
    return "";
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LabOptions {
  v6?: boolean;
  /** The namespaces' names begin with this (default "pwi"). */
  prefix?: string;
}

export class Lab {
  readonly w: string;
  readonly e: string;
  readonly dir: string;
  readonly wAddr: string;
  readonly eAddr: string;
  private procs: ChildProcess[] = [];
  private charonProc: ChildProcess | null = null;
  plutoLog = "";

  constructor(readonly tag: string, readonly opts: LabOptions = {}) {
    const id = `${process.pid % 100000}${tag}`;
    const prefix = opts.prefix ?? "pwi";
    this.w = `${prefix}${id}w`;
    this.e = `${prefix}${id}e`;
    this.dir = join("/tmp", `${prefix}-${id}`);
    this.wAddr = opts.v6 ? "2001:db8::1" : "192.0.2.1";
    this.eAddr = opts.v6 ? "2001:db8::2" : "192.0.2.2";
  }

  up(): void {
    this.down();
    mkdirSync(join(this.dir, "w"), { recursive: true, mode: 0o700 });
    mkdirSync(join(this.dir, "ss", "run"), { recursive: true });
    sh("ip", ["netns", "add", this.w]);
    sh("ip", ["netns", "add", this.e]);
    sh("ip", ["link", "add", "vw", "netns", this.w, "type", "veth", "peer", "name", "ve", "netns", this.e]);
    for (const [ns, dev, addr, inner] of [[this.w, "vw", this.wAddr, "198.51.100.1"], [this.e, "ve", this.eAddr, "198.51.100.129"]]) {
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      if (this.opts.v6) sh("ip", ["-n", ns, "addr", "add", `${addr}/64`, "dev", dev, "nodad"]);
      else sh("ip", ["-n", ns, "addr", "add", `${addr}/24`, "dev", dev]);
      sh("ip", ["-n", ns, "link", "set", dev, "up"]);
      sh("ip", ["-n", ns, "addr", "add", `${inner}/32`, "dev", "lo"]); // kernel-libipsec routes from here
    }
  }

  // strongSwan in the east namespace (kernel-libipsec: userspace ESP, as this kernel has none).
  // o.plugins: more crypto plugins (md5 ctr ccm xcbc cmac); o.keys: log the IKE and Child SA
  // keys (ike and chd at level 4), for tests that compare them with ours
  async charon(swanctlConf: string, o: { plugins?: string; keys?: boolean } = {}): Promise<void> {
    const d = join(this.dir, "ss");
    writeFileSync(join(d, "strongswan.conf"), `charon {
  load = random nonce openssl pem pkcs1 x509 pubkey hmac sha1 sha2 aes gcm curve25519 kdf ${o.plugins ?? ""} kernel-libipsec kernel-netlink socket-default vici updown
  filelog { main { path = ${d}/charon.log
    flush_line = yes
    default = 1
    ike = ${o.keys ? 4 : 2}${o.keys ? "\n    chd = 4" : ""} } }
  plugins { vici { socket = unix://${d}/charon.vici } }
  install_routes = yes
  retransmit_tries = 3
}
`);
    writeFileSync(join(d, "swanctl.conf"), swanctlConf);
    // charon's pid file is compiled in (/run/charon.pid): a private /run in the namespace's
    // own mount namespace keeps it from meeting any other charon
    // (a restart after kill -9: its control socket and pid file are left behind)
    rmSync(join(d, "charon.vici"), { force: true });
    rmSync(join(d, "run", "charon.pid"), { force: true });
    const p = spawn("ip", ["netns", "exec", this.e, "sh", "-c", `mount --bind '${d}/run' /run && exec env STRONGSWAN_CONF='${d}/strongswan.conf' ${CHARON}`], { stdio: "ignore" });
    this.procs.push(p);
    this.charonProc = p;
    for (let i = 0; i < 100 && !existsSync(join(d, "charon.vici")); i++) await sleep(50);
    if (!existsSync(join(d, "charon.vici"))) throw new Error("charon did not start");
    this.swanctl("--load-all", "--file", join(d, "swanctl.conf"));
  }

  // Libreswan's pluto in the east namespace, with its own NSS database. pluto hard-codes
  // /usr/libexec/ipsec/addconn, so it runs in a private mount namespace where libexec/ipsec of
  // the unpacked package is bound there.
  async libreswan(conf: string, secrets: string): Promise<void> {
    const d = join(this.dir, "ls");
    mkdirSync(join(d, "run"), { recursive: true });
    mkdirSync(join(d, "nss"), { recursive: true });
    mkdirSync(join(d, "ipsec.d"), { recursive: true });
    execFileSync(`${LIBRESWAN}/usr/sbin/ipsec`, ["initnss", "--nssdir", join(d, "nss")], { env: { ...process.env, IPSEC_EXECDIR: `${LIBRESWAN}/usr/libexec/ipsec` }, stdio: "ignore", timeout: 30000 });
    writeFileSync(join(d, "ipsec.conf"), `config setup
    logfile=${d}/pluto.log
    logappend=no
    plutodebug=none
    nssdir=${d}/nss
    ipsecdir=${d}/ipsec.d
    secretsfile=${d}/ipsec.secrets
    dumpdir=${d}/run
${conf}`);
    writeFileSync(join(d, "ipsec.secrets"), secrets);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
    const script = 'mount -t tmpfs pw-libexec /usr/libexec && mkdir /usr/libexec/ipsec && mount --bind "$0/usr/libexec/ipsec" /usr/libexec/ipsec && PATH="$0/usr/sbin:$PATH" exec /usr/libexec/ipsec/pluto "$@"';
    const p = spawn("ip", ["netns", "exec", this.e, "unshare", "-m", "--propagation", "private", "sh", "-c", script, LIBRESWAN,
      "--config", join(d, "ipsec.conf"), "--nofork", "--rundir", join(d, "run"), "--nssdir", join(d, "nss"), "--secretsfile", join(d, "ipsec.secrets"), "--ipsecdir", join(d, "ipsec.d")], { stdio: "ignore" });
    this.procs.push(p);
    for (let i = 0; i < 100 && !existsSync(join(d, "run", "pluto.ctl")); i++) await sleep(50);
    if (!existsSync(join(d, "run", "pluto.ctl"))) throw new Error(`Libreswan's pluto did not start:\n${this.libreswanLog()}`);
    for (let i = 0; i < 60 && !this.lswhack("--status").includes('"lab":'); i++) await sleep(100);
  }

  lswhack(...args: string[]): string {
    return trySh(`${LIBRESWAN}/usr/libexec/ipsec/whack`, ["--ctlsocket", join(this.dir, "ls", "run", "pluto.ctl"), ...args]);
  }

  libreswanLog(): string {
    return trySh("cat", [join(this.dir, "ls", "pluto.log")]);
  }

  // `ip xfrm ...` in our namespace
  xfrm(...args: string[]): string {
    return sh("ip", ["-n", this.w, "xfrm", ...args]);
  }

  // charon dies at once (SIGKILL to the PID we started: ip netns exec and sh exec into it),
  // telling its peer nothing.
  async killCharon(): Promise<void> {
    const p = this.charonProc;
    if (!p?.pid || p.exitCode !== null || p.signalCode !== null) throw new Error("charon is not running");
    const gone = new Promise<void>((res) => p.once("exit", () => res()));
    process.kill(p.pid, "SIGKILL");
    await gone;
    this.charonProc = null;
  }

  swanctl(...args: string[]): string {
    return sh(SWANCTL, [args[0], "--uri", `unix://${this.dir}/ss/charon.vici`, ...args.slice(1)]);
  }

  charonLog(): string {
    return trySh("cat", [join(this.dir, "ss", "charon.log")]);
  }

  // Our pluto in the west namespace.
  async pluto(conf: string, secrets: string, kernel: "memory" | "xfrm" | "userspace" = "memory", extra: string[] = []): Promise<void> {
    const d = join(this.dir, "w");
    writeFileSync(join(d, "ipsec.conf"), conf);
    writeFileSync(join(d, "ipsec.secrets"), secrets);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
    const p = spawn("ip", ["netns", "exec", this.w, process.execPath, PLUTO, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--stderrlog", "--nhelpers", "1", "--debug", "all", "--kernel", kernel, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    p.stderr!.on("data", (b) => (this.plutoLog += b));
    p.stdout!.on("data", (b) => (this.plutoLog += b));
    this.procs.push(p);
    for (let i = 0; i < 100 && !this.plutoLog.includes("added connection"); i++) await sleep(50);
    if (!this.plutoLog.includes("added connection")) throw new Error(`pluto did not start:\n${this.plutoLog}`);
  }

  whack(...args: string[]): { code: number; out: string } {
    try {
      return { code: 0, out: sh(process.execPath, [WHACK, "--rundir", join(this.dir, "w"), ...args]) };
    } catch (e) {
      const x = e as { status?: number; stdout?: string; stderr?: string };
      return { code: x.status ?? 1, out: `${x.stdout ?? ""}${x.stderr ?? ""}` };
    }
  }

  states(): { state: string; spiI: string; spiR: string; encr: number; keyBits: number; prf: number; integ: number; dh: number; children: { state: string; spiIn: string; spiOut: string; encr: number; keyBits: number; integ: number }[] }[] {
    const r = this.whack("--showstates", "--json");
    return r.code === 0 ? JSON.parse(r.out).states : [];
  }

  // Waits (bounded) until f() holds; yields to the event loop before every check, so that the
  // daemons' output read by stream events is up to date when f() looks at it.
  async until(what: string, f: () => boolean, ms = 30000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await sleep(100);
      if (f()) return;
    }
    throw new Error(`timed out waiting for ${what}\n--- pluto\n${this.plutoLog}\n--- charon\n${this.charonLog().split("\n").slice(-60).join("\n")}`);
  }

  // tshark on our side of the veth, for the test's own traffic only
  private cap: ChildProcess | null = null;
  async captureStart(file: string): Promise<void> {
    let err = "";
    this.cap = spawn("ip", ["netns", "exec", this.w, "timeout", "60", "tshark", "-q", "-i", "vw", "-f", "udp port 500 or udp port 4500", "-w", file], { stdio: ["ignore", "ignore", "pipe"] });
    this.procs.push(this.cap);
    this.cap.stderr!.on("data", (b) => (err += b));
    for (let i = 0; i < 100 && !err.includes("Capturing on"); i++) await sleep(50);
    if (!err.includes("Capturing on")) throw new Error(`tshark did not start: ${err}`);
  }
  async captureStop(): Promise<void> {
    await sleep(300);
    const c = this.cap;
    if (!c) return;
    await new Promise<void>((res) => {
      if (c.exitCode !== null) return res();
      c.once("exit", () => res());
      c.kill("SIGINT");
    });
    this.cap = null;
  }

  down(): void {
    for (const p of this.procs) {
      if (p.pid && p.exitCode === null) {
        try {
          process.kill(p.pid, "SIGTERM");
        } catch {
          // gone
        }
      }
    }
    // processes left inside our namespaces (the exec'd daemons) are ours: stop them by PID
    for (const ns of [this.w, this.e]) {
      for (const pid of trySh("ip", ["netns", "pids", ns]).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGTERM");
        } catch {
          // gone
        }
      }
    }
    const end = Date.now() + 3000;
    while (Date.now() < end && [this.w, this.e].some((ns) => trySh("ip", ["netns", "pids", ns]).trim())) execFileSync("sleep", ["0.1"]);
    for (const ns of [this.w, this.e]) {
      for (const pid of trySh("ip", ["netns", "pids", ns]).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone
        }
      }
      trySh("ip", ["netns", "del", ns]);
    }
    this.procs = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// swanctl --list-sas, parsed into what the tests compare: SPIs and algorithms.
export function parseListSas(text: string): { ike: { spiI: string; spiR: string; algs: string; state: string }[]; child: { spiIn: string; spiOut: string; algs: string; state: string }[] } {
  const ike: { spiI: string; spiR: string; algs: string; state: string }[] = [];
  const child: { spiIn: string; spiOut: string; algs: string; state: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\S+: #\d+, (\w+), IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r/.exec(lines[i]);
    if (m) {
      const algs = (lines.slice(i + 1, i + 5).find((l) => /^\s+[A-Z0-9_]+(-\d+)?\/[A-Z0-9_/-]*PRF_/.test(l)) ?? "").trim();
      ike.push({ state: m[1], spiI: m[2], spiR: m[3], algs });
    }
    const c = /^\s+\S+: #\d+, reqid \d+, (\w+), [\w-]+, ESP:(\S+)/.exec(lines[i]);
    if (c) {
      const inn = /^\s+in\s+([0-9a-f]{8})/.exec(lines[i + 2] ?? "") ?? /^\s+in\s+([0-9a-f]{8})/.exec(lines[i + 3] ?? "");
      const out = /^\s+out\s+([0-9a-f]{8})/.exec(lines[i + 3] ?? "") ?? /^\s+out\s+([0-9a-f]{8})/.exec(lines[i + 4] ?? "");
      child.push({ state: c[1], algs: c[2], spiIn: inn?.[1] ?? "", spiOut: out?.[1] ?? "" });
    }
  }
  return { ike, child };
}

export function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}
