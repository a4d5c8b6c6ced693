// `npm run bench -- esp` (as root): throughput through one tunnel between two network
// namespaces (esp<pid>bw, esp<pid>be), iperf3 over TCP for a few seconds, with our two Node
// daemons on --kernel userspace and then, between the same namespaces, two charons (strongSwan
// 5.9, Debian's packages) on kernel-libipsec, for AES-GCM-128, AES-GCM-256 and
// ChaCha20-Poly1305. Per suite and daemon pair: Mbit/s (iperf3's receiver), packets/s on the
// veth (both directions), CPU seconds of the two daemons per GB carried, and our figures as
// ratios to strongSwan's. Says what is missing (root, iperf3, strongSwan's kernel-libipsec,
// dist/) and installs nothing. ESP_BENCH_SECONDS (default 4) and ESP_BENCH_SUITES (names,
// comma-separated) narrow it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Emit } from "./util.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PLUTO = join(ROOT, "dist/hosts/node/pluto.js");
const WHACK = join(ROOT, "dist/hosts/node/whack.js");
const CHARON = "/usr/lib/ipsec/charon";
const SWANCTL = "/usr/sbin/swanctl";
const LIBIPSEC = "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so";
const SECONDS = Number(process.env.ESP_BENCH_SECONDS ?? 4);
const PSK = "a secret for the esp benchmark";
const W = "192.0.2.1";
const E = "192.0.2.2";
const WIN = "198.51.100.1";
const EIN = "198.51.100.129";

const SUITES = [
  { name: "aes_gcm128", ours: "aes_gcm128", ss: "aes128gcm16" },
  { name: "aes_gcm256", ours: "aes_gcm256", ss: "aes256gcm16" },
  { name: "chacha20_poly1305", ours: "chacha20_poly1305", ss: "chacha20poly1305" },
];

export function espMissing(): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push("root (network namespaces, TUN devices): run it as root");
  if (spawnSync("sh", ["-c", "command -v iperf3"], { stdio: "ignore" }).status !== 0) out.push("iperf3: apt-get install iperf3");
  if (!existsSync(CHARON) || !existsSync(SWANCTL)) out.push("strongSwan: apt-get install strongswan strongswan-swanctl");
  if (!existsSync(LIBIPSEC)) out.push("strongSwan's kernel-libipsec plugin: apt-get install libcharon-extra-plugins");
  if (!existsSync(PLUTO)) out.push(`${PLUTO}: npm run build`);
  if (!existsSync("/dev/net/tun")) out.push("/dev/net/tun");
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HZ = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / HZ;
}

class Bench {
  readonly w = `esp${process.pid % 100000}bw`;
  readonly e = `esp${process.pid % 100000}be`;
  readonly dir = mkdtempSync("/tmp/esp-bench-");
  private procs: ChildProcess[] = [];
  private run = 0; // each pair of daemons has directories of its own

  up(): void {
    this.downNs();
    const ip = (...a: string[]) => execFileSync("ip", a, { stdio: "pipe", timeout: 20000 });
    ip("netns", "add", this.w);
    ip("netns", "add", this.e);
    ip("link", "add", "vw", "netns", this.w, "type", "veth", "peer", "name", "ve", "netns", this.e);
    for (const [ns, dev, addr, inner] of [[this.w, "vw", W, WIN], [this.e, "ve", E, EIN]] as const) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", `${addr}/24`, "dev", dev);
      ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "addr", "add", `${inner}/32`, "dev", "lo");
    }
  }

  private downNs(): void {
    for (const ns of [this.w, this.e]) {
      for (const pid of spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout?.split(/\s+/).filter(Boolean) ?? []) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone
        }
      }
      spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    }
  }

  stopAll(): void {
    for (const p of this.procs) if (p.pid && p.exitCode === null) p.kill("SIGKILL");
    this.procs = [];
  }

  down(): void {
    this.stopAll();
    this.downNs();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnIn(ns: string, cmd: string[], logFile: string): ChildProcess {
    const p = spawn("ip", ["netns", "exec", ns, ...cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const add = (b: Buffer) => {
      log += b;
      try {
        writeFileSync(logFile, log);
      } catch {
        // the bench is over and its directory gone
      }
    };
    p.stdout!.on("data", add);
    p.stderr!.on("data", add);
    this.procs.push(p);
    return p;
  }

  async ours(esp: string): Promise<number[]> {
    const pids: number[] = [];
    const tag = `p${++this.run}`;
    for (const [side, ns, addr] of [["w", this.w, W], ["e", this.e, E]] as const) {
      const d = join(this.dir, `${tag}${side}`);
      mkdirSync(d, { recursive: true, mode: 0o700 });
      writeFileSync(join(d, "ipsec.conf"), `config setup\n\tlisten=${addr}\nconn b\n\tleft=${W}\n\tleftsubnet=198.51.100.0/25\n\tright=${E}\n\trightsubnet=198.51.100.128/25\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh31\n\tesp=${esp}\n\tauto=add\n`);
      writeFileSync(join(d, "ipsec.secrets"), `: PSK "${PSK}"\n`);
      chmodSync(join(d, "ipsec.secrets"), 0o600);
      const p = this.spawnIn(ns, [process.execPath, PLUTO, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--nhelpers", "0", "--stderrlog", "--kernel", "userspace"], join(d, "log"));
      pids.push(p.pid!);
    }
    const log = (s: string) => (existsSync(join(this.dir, s, "log")) ? readFileSync(join(this.dir, s, "log"), "utf8") : "");
    await this.until("our daemons to load", () => log(`${tag}w`).includes("added connection") && log(`${tag}e`).includes("added connection"));
    spawnSync(process.execPath, [WHACK, "--rundir", join(this.dir, `${tag}w`), "--name", "b", "--initiate"], { timeout: 20000, stdio: "ignore" });
    await this.until("our tunnel", () => /route 198\.51\.100\.128\/25 dev ipsec0/.test(log(`${tag}w`)) && /route 198\.51\.100\.0\/25 dev ipsec0/.test(log(`${tag}e`)), 30000, () => log(`${tag}w`) + log(`${tag}e`));
    return pids;
  }

  async strongswan(esp: string): Promise<number[]> {
    const pids: number[] = [];
    const tag = `s${++this.run}`;
    for (const [side, ns, addr, peer, lts, rts] of [["w", this.w, W, E, "198.51.100.0/25", "198.51.100.128/25"], ["e", this.e, E, W, "198.51.100.128/25", "198.51.100.0/25"]] as const) {
      const d = join(this.dir, `${tag}${side}`);
      mkdirSync(join(d, "run"), { recursive: true });
      writeFileSync(join(d, "strongswan.conf"), `charon {
  load = random nonce openssl pem pkcs1 x509 pubkey hmac sha1 sha2 aes gcm chapoly curve25519 kdf kernel-libipsec kernel-netlink socket-default vici
  filelog { main { path = ${d}/charon.log
    default = 1 } }
  plugins { vici { socket = unix://${d}/charon.vici } }
  install_routes = yes
}
`);
      writeFileSync(join(d, "swanctl.conf"), `connections { b { version = 2
  local_addrs = ${addr}
  remote_addrs = ${peer}
  proposals = aes256gcm16-prfsha256-x25519
  local { auth = psk
          id = ${addr} }
  remote { auth = psk
           id = ${peer} }
  children { net { local_ts = ${lts}
                   remote_ts = ${rts}
                   esp_proposals = ${esp} } } } }
secrets { ike-b { id-a = ${W}
                  id-b = ${E}
                  secret = "${PSK}" } }
`);
      const p = this.spawnIn(ns, ["sh", "-c", `mount --bind '${d}/run' /run && exec env STRONGSWAN_CONF='${d}/strongswan.conf' ${CHARON}`], join(d, "stdout"));
      pids.push(p.pid!);
      await this.until(`charon in ${ns}`, () => existsSync(join(d, "charon.vici")));
      execFileSync(SWANCTL, ["--load-all", "--uri", `unix://${d}/charon.vici`, "--file", join(d, "swanctl.conf")], { stdio: "ignore", timeout: 20000 });
    }
    execFileSync(SWANCTL, ["--initiate", "--uri", `unix://${join(this.dir, `${tag}w`)}/charon.vici`, "--child", "net", "--timeout", "20"], { stdio: "ignore", timeout: 30000 });
    await sleep(500);
    return pids;
  }

  async until(what: string, f: () => boolean, ms = 30000, why: () => string = () => ""): Promise<void> {
    const end = Date.now() + ms;
    while (!f()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${why().slice(-3000)}`);
      await sleep(100);
    }
  }

  private vethPackets(): number {
    const j = JSON.parse(execFileSync("ip", ["-n", this.w, "-s", "-j", "link", "show", "vw"], { encoding: "utf8" }))[0];
    return Number(j.stats64.rx.packets) + Number(j.stats64.tx.packets);
  }

  // iperf3 from west's inner address to east's for SECONDS: Mbit/s, packets/s, CPU-s per GB
  async measure(pids: number[]): Promise<{ mbps: number; pps: number; cpuPerGB: number }> {
    const server = this.spawnIn(this.e, ["iperf3", "-s", "-1", "-B", EIN], join(this.dir, "iperf-s.log"));
    await sleep(700);
    const cpu0 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
    const pk0 = this.vethPackets();
    const t0 = performance.now();
    const r = spawnSync("ip", ["netns", "exec", this.w, "iperf3", "-c", EIN, "-B", WIN, "-t", String(SECONDS), "-J"], { encoding: "utf8", timeout: (SECONDS + 30) * 1000 });
    const secs = (performance.now() - t0) / 1000;
    const cpu = pids.reduce((a, p) => a + cpuSeconds(p), 0) - cpu0;
    const pk = this.vethPackets() - pk0;
    server.kill("SIGKILL");
    const j = JSON.parse(r.stdout || "{}");
    if (!j.end?.sum_received) throw new Error(`iperf3 failed: ${j.error ?? r.stderr}`);
    const bytes = Number(j.end.sum_received.bytes);
    return { mbps: Number(j.end.sum_received.bits_per_second) / 1e6, pps: pk / secs, cpuPerGB: cpu / (bytes / 1e9) };
  }
}

export async function benchEsp(emit: Emit): Promise<void> {
  const missing = espMissing();
  if (missing.length) {
    console.error(`bench esp: cannot run; missing:\n${missing.map((m) => `  - ${m}`).join("\n")}`);
    process.exitCode = 1;
    return;
  }
  const b = new Bench();
  try {
    const only = process.env.ESP_BENCH_SUITES?.split(",");
    for (const s of SUITES.filter((x) => !only || only.includes(x.name))) {
      b.up();
      const ours = await b.measure(await b.ours(s.ours));
      b.stopAll();
      b.up();
      const theirs = await b.measure(await b.strongswan(s.ss));
      b.stopAll();
      emit(`${s.name} ours Mbit/s`, ours.mbps, "Mbit/s");
      emit(`${s.name} strongSwan kernel-libipsec Mbit/s`, theirs.mbps, "Mbit/s");
      emit(`${s.name} ours packets/s`, ours.pps, "packets/s");
      emit(`${s.name} strongSwan kernel-libipsec packets/s`, theirs.pps, "packets/s");
      emit(`${s.name} ours CPU-s per GB`, ours.cpuPerGB, "s/GB");
      emit(`${s.name} strongSwan kernel-libipsec CPU-s per GB`, theirs.cpuPerGB, "s/GB");
      emit(`${s.name} throughput ours/strongSwan`, ours.mbps / theirs.mbps, "ratio");
      emit(`${s.name} throughput per CPU-second ours/strongSwan`, theirs.cpuPerGB / ours.cpuPerGB, "ratio");
    }
  } catch (e) {
    console.error(`bench esp: ${(e as Error).message}`);
    process.exitCode = 1;
  } finally {
    b.down();
  }
}
