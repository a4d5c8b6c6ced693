// The package as a user gets it: `npm pack`, installed into a scratch project, every bin run
// from node_modules/.bin and through npx, and a tunnel brought up between two daemons started
// from there. Needs the npm registry for the dependencies (as any install does).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, chmodSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const built = existsSync(join(root, "dist/hosts/node/pluto.js")) && existsSync(join(root, "build/core.wasm"));
const dir = mkdtempSync(join(tmpdir(), "pluto-pack-"));
const project = join(dir, "user-project");
const bin = (name: string) => join(project, "node_modules/.bin", name);
const procs: ChildProcess[] = [];
const logs: Record<string, string> = { west: "", east: "" };
const base = 30000 + (process.pid % 10000);
let why: string | null = built ? null : "dist/ or build/core.wasm is not built (npm run build)";

beforeAll(() => {
  if (why) return;
  // the tarball, from what the test command built (no scripts: nothing is rebuilt)
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (pack.status !== 0) {
    why = `npm pack failed: ${pack.stderr}`;
    return;
  }
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", version: "1.0.0", private: true }));
  const inst = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, tarball)], { cwd: project, encoding: "utf8", timeout: 300_000 });
  if (inst.status !== 0) why = `npm install of the tarball failed (the registry must be reachable): ${inst.stderr.slice(-2000)}`;
}, 420_000);

afterAll(async () => {
  for (const p of procs) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const gone = new Promise((r) => p.once("exit", r));
    process.kill(p.pid!, "SIGTERM");
    const t = setTimeout(() => p.pid && process.kill(p.pid, "SIGKILL"), 5000);
    await gone;
    clearTimeout(t);
  }
  rmSync(dir, { recursive: true, force: true });
});

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: project, encoding: "utf8", timeout: 60_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the installed package", () => {
  test("carries the core and every bin answers --version and --help from node_modules/.bin and npx", () => {
    if (why) {
      console.log(`package test skipped: ${why}`);
      return;
    }
    expect(existsSync(join(project, "node_modules/pluto-wasm/build/core.wasm"))).toBe(true);
    for (const name of ["pluto", "whack", "ipsec", "addconn", "ikedump"]) {
      const v = run(bin(name), ["--version"]);
      expect(v.stdout.trim(), `${name} --version: ${v.stderr}`).toBe(`${name} (pluto-wasm) 0.1.0`);
      expect(v.status).toBe(0);
      const h = run(bin(name), ["--help"]);
      expect(h.status, `${name} --help: ${h.stderr}`).toBe(0);
      expect(h.stdout).toMatch(/usage/i);
    }
    const npx = run("npx", ["--no-install", "whack", "--version"]);
    expect(npx.stdout.trim()).toBe("whack (pluto-wasm) 0.1.0");
    // a usage error says so and exits 2
    const bad = run(bin("whack"), ["--no-such-option"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^whack: unknown option --no-such-option/);
  });

  test("two daemons from the installed bins bring a tunnel up with whack and ipsec auto", async () => {
    if (why) {
      console.log(`package test skipped: ${why}`);
      return;
    }
    for (const me of ["west", "east"] as const) {
      const d = join(dir, me);
      mkdirSync(d, { mode: 0o700 });
      writeFileSync(join(d, "ipsec.conf"), `config setup
	listen=${me === "west" ? "127.0.0.1" : "127.0.0.2"}

conn t
	left=127.0.0.1
	leftikeport=${base}
	leftid=@west.test
	leftsubnet=10.1.0.0/16
	right=127.0.0.2
	rightikeport=${base + 1}
	rightid=@east.test
	rightsubnet=10.2.0.0/16
	authby=secret
	auto=add
`);
      writeFileSync(join(d, "ipsec.secrets"), `@west.test @east.test : PSK "a test secret that is long enough"\n`);
      chmodSync(join(d, "ipsec.secrets"), 0o600);
      const p = spawn(bin("pluto"), ["--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--stderrlog"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
      p.stdout!.on("data", (b) => (logs[me] += b));
      p.stderr!.on("data", (b) => (logs[me] += b));
      procs.push(p);
    }
    const whack = (me: string, ...args: string[]) => run(bin("whack"), ["--rundir", join(dir, me), ...args]);
    for (let i = 0; i < 150 && !(whack("west", "--briefstatus").status === 0 && whack("east", "--briefstatus").status === 0); i++) await sleep(100);
    expect(whack("east", "--briefstatus").status, logs.east).toBe(0);
    const up = run(bin("ipsec"), ["auto", "--rundir", join(dir, "west"), "--up", "t"]);
    expect(up.status, up.stderr).toBe(0);
    let states = "";
    for (let i = 0; i < 150 && !/ESTABLISHED_CHILD_SA/.test(states); i++) {
      await sleep(100);
      states = whack("east", "--showstates").stdout;
    }
    expect(states, `${logs.west}\n${logs.east}`).toMatch(/ESTABLISHED_CHILD_SA/);
    const st = run(bin("ipsec"), ["status", "--rundir", join(dir, "west")]);
    expect(st.status, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/ESTABLISHED_IKE_SA/);
  }, 60_000);
});
