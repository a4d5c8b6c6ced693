// --kernel userspace end to end: two of our Node daemons in two network namespaces (esp<pid>w,
// esp<pid>e, joined by a veth pair), each with its TUN device and plain ESP on a raw socket.
// Ping through the tunnel, a TCP transfer whose bytes are checked at the far end across a
// Child SA rekey, and a TUN that cannot be opened as a start-up error. Needs root; skips,
// saying why, otherwise. The namespaces and every process in them are removed after.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labConf, labSecrets } from "../interop/lab-conf.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const PLUTO = join(root, "dist/hosts/node/pluto.js");
const WHACK = join(root, "dist/hosts/node/whack.js");

function why(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (network namespaces and a TUN device need CAP_NET_ADMIN)";
  if (!existsSync(PLUTO)) return "dist/ is not built (npm run build)";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun";
  if (spawnSync("ip", ["netns", "list"], { stdio: "ignore" }).status !== 0) return "ip netns does not work here";
  return null;
}
const skip = why();
if (skip) console.log(`user-space ESP namespace tests skipped: ${skip}`);

const id = `${process.pid % 100000}`;
const W = `esp${id}w`;
const E = `esp${id}e`;
const dir = `/tmp/esp-${id}`;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const procs: ChildProcess[] = [];
const logs: Record<string, string> = { w: "", e: "" };

async function until(what: string, f: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- west\n${logs.w}\n--- east\n${logs.e}`);
    await sleep(100);
  }
}

function whack(side: "w" | "e", ...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [WHACK, "--rundir", join(dir, side), ...args], { encoding: "utf8", timeout: 20_000 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function children(side: "w" | "e"): { serial: number; state: string; spiIn: string; spiOut: string }[] {
  const r = whack(side, "--showstates", "--json");
  if (r.code !== 0) return [];
  return (JSON.parse(r.out).states as { children: { serial: number; state: string; spiIn: string; spiOut: string }[] }[]).flatMap((s) => s.children).filter((c) => c.state === "ESTABLISHED_CHILD_SA");
}

function pluto(side: "w" | "e", ns: string, extra: string[] = []): ChildProcess {
  const d = join(dir, side);
  const p = spawn("ip", ["netns", "exec", ns, process.execPath, PLUTO, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d,
    "--nhelpers", "0", "--stderrlog", "--kernel", "userspace", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  procs.push(p);
  return p;
}

function down(): void {
  for (const ns of [W, E]) {
    for (const pid of spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout?.split(/\s+/).filter(Boolean) ?? []) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone
      }
    }
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  }
  rmSync(dir, { recursive: true, force: true });
}

describe.skipIf(skip !== null)("--kernel userspace between two of our daemons", () => {
  beforeAll(async () => {
    down();
    sh("ip", ["netns", "add", W]);
    sh("ip", ["netns", "add", E]);
    sh("ip", ["link", "add", "vw", "netns", W, "type", "veth", "peer", "name", "ve", "netns", E]);
    for (const [ns, dev, addr, inner, side] of [[W, "vw", "192.0.2.1", "198.51.100.1", "w"], [E, "ve", "192.0.2.2", "198.51.100.129", "e"]] as const) {
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      sh("ip", ["-n", ns, "addr", "add", `${addr}/24`, "dev", dev]);
      sh("ip", ["-n", ns, "link", "set", dev, "up"]);
      sh("ip", ["-n", ns, "addr", "add", `${inner}/32`, "dev", "lo"]);
      const d = join(dir, side);
      mkdirSync(d, { recursive: true, mode: 0o700 });
      writeFileSync(join(d, "ipsec.conf"), labConf({ listen: addr, west: "192.0.2.1", east: "192.0.2.2", ike: "aes_gcm256-sha2_256;dh31", esp: side === "w" ? "aes_gcm128" : "aes_gcm128" }));
      writeFileSync(join(d, "ipsec.secrets"), labSecrets("a secret for user-space ESP"));
      chmodSync(join(d, "ipsec.secrets"), 0o600);
      const p = pluto(side, ns);
      p.stdout!.on("data", (b) => (logs[side] += b));
      p.stderr!.on("data", (b) => (logs[side] += b));
    }
    await until("both daemons to load", () => logs.w.includes("added connection") && logs.e.includes("added connection"));
    expect(whack("w", "--name", "lab", "--initiate").code).toBe(0);
    await until("the Child SA", () => children("w").length === 1 && children("e").length === 1 && /route 198\.51\.100\.128\/25 dev ipsec0/.test(logs.w) && /route 198\.51\.100\.0\/25 dev ipsec0/.test(logs.e));
  }, 90_000);
  afterAll(() => down());

  it("ping goes through the tunnel, both ways, counted in --trafficstatus", () => {
    const r = spawnSync("ip", ["netns", "exec", W, "ping", "-c", "3", "-i", "0.2", "-W", "3", "-I", "198.51.100.1", "198.51.100.129"], { encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    const r2 = spawnSync("ip", ["netns", "exec", E, "ping", "-c", "2", "-i", "0.2", "-W", "3", "-I", "198.51.100.129", "198.51.100.1"], { encoding: "utf8", timeout: 30_000 });
    expect(r2.stdout).toMatch(/2 packets transmitted, 2 received/);
    const t = whack("w", "--trafficstatus").out;
    const m = /inBytes=(\d+), outBytes=(\d+)/.exec(t);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(5 * 84); // 3 replies + 2 requests, 84 bytes each
    expect(Number(m![2])).toBeGreaterThanOrEqual(5 * 84);
    expect(whack("e", "--status").out).toMatch(/kernel userspace: ipsec0: \d+ packets sent through ESP, \d+ received; dropped: none/);
  });

  it("a TCP transfer arrives whole across a Child SA rekey", async () => {
    const size = 1 << 20;
    const flag = join(dir, "rekeyed");
    // the far end: take everything, say how much came and its SHA-256
    const server = spawn("ip", ["netns", "exec", E, process.execPath, "-e", `
      const h = require("node:crypto").createHash("sha256"); let n = 0;
      const s = require("node:net").createServer((c) => { c.on("data", (d) => { h.update(d); n += d.length; }); c.on("end", () => { console.log(n, h.digest("hex")); s.close(); }); });
      s.listen(5001, "198.51.100.129", () => console.log("listening"));`], { stdio: ["ignore", "pipe", "pipe"] });
    procs.push(server);
    let got = "";
    server.stdout!.on("data", (b) => (got += b));
    await until("the server", () => got.includes("listening"));
    // the near end: half, then wait for the rekey, then the rest (bytes from a fixed seed)
    const client = spawn("ip", ["netns", "exec", W, process.execPath, "-e", `
      const crypto = require("node:crypto"); const fs = require("node:fs");
      const data = Buffer.alloc(${size}); let x = 12345; for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24; }
      console.log("sha", crypto.createHash("sha256").update(data).digest("hex"));
      const c = require("node:net").connect({ port: 5001, host: "198.51.100.129", localAddress: "198.51.100.1" }, () => {
        c.write(data.subarray(0, ${size / 2}), () => { console.log("half");
          const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(flag)})) { clearInterval(t); c.end(data.subarray(${size / 2})); } }, 50); });
      });`], { stdio: ["ignore", "pipe", "pipe"] });
    procs.push(client);
    let sent = "";
    client.stdout!.on("data", (b) => (sent += b));
    client.stderr!.on("data", (b) => (sent += b));
    await until("the first half to be sent", () => sent.includes("half"), 60_000);
    const before = children("w")[0]!;
    expect(whack("w", "--name", "lab", "--rekey-child").code).toBe(0);
    await until("the rekeyed Child SA", () => {
      const c = children("w");
      return c.length === 1 && c[0]!.serial !== before.serial && children("e").length === 1;
    });
    writeFileSync(flag, "");
    await until("the far end to have it all", () => /^\d+ [0-9a-f]{64}$/m.test(got), 90_000);
    const want = /sha ([0-9a-f]{64})/.exec(sent)![1];
    expect(got.trim().split("\n").pop()).toBe(`${size} ${want}`);
    // the second half went through the new SA
    const after = children("w")[0]!;
    const t = whack("w", "--trafficstatus").out;
    const line = t.split("\n").find((l) => l.includes(`#${after.serial}:`)) ?? "";
    expect(Number(/outBytes=(\d+)/.exec(line)?.[1] ?? 0)).toBeGreaterThan(size / 2);
    expect(whack("e", "--status").out).toMatch(/dropped: (none|unknown SPI \d+)$/m); // at most the packets in flight at the switch
  }, 180_000);

  it("a TUN device that cannot be opened is a start-up error that says why", async () => {
    mkdirSync(join(dir, "w2"), { recursive: true, mode: 0o700 });
    for (const f of ["ipsec.conf", "ipsec.secrets"]) writeFileSync(join(dir, "w2", f), sh("cat", [join(dir, "w", f)]), { mode: 0o600 });
    const r = spawnSync("ip", ["netns", "exec", W, process.execPath, PLUTO, "--config", join(dir, "w2", "ipsec.conf"), "--secrets", join(dir, "w2", "ipsec.secrets"),
      "--rundir", join(dir, "w2"), "--kernel", "userspace", "--tun", "ipsec0", "--stderrlog"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/pluto: --kernel userspace: ioctl\(TUNSETIFF ipsec0\): EBUSY/);
    const r2 = spawnSync(process.execPath, [PLUTO, "--config", join(dir, "w2", "ipsec.conf"), "--kernel", "userspace", "--tun", "a-name-longer-than-15"], { encoding: "utf8", timeout: 30_000 });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/TUN device name a-name-longer-than-15 is longer than 15 bytes/);
  });
});
