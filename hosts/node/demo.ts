#!/usr/bin/env node
// `npm run demo`: two pluto daemons on loopback (west 127.0.0.1:5500, east 127.0.0.2:5501,
// memory kernel), an IKEv2 PSK connection brought up and down between them with whack, both
// sides' status printed, both daemons stopped. Exits 0 when all of that worked.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const pluto = join(here, "pluto.js");
const whack = join(here, "whack.js");
const dir = mkdtempSync(join(tmpdir(), "pluto-demo-"));

const conf = (me: string) => `# ${me}: written by npm run demo
config setup
	listen=${me === "west" ? "127.0.0.1" : "127.0.0.2"}

conn demo
	left=127.0.0.1
	leftikeport=5500
	leftid=@west.demo
	leftsubnet=10.1.0.0/16
	right=127.0.0.2
	rightikeport=5501
	rightid=@east.demo
	rightsubnet=10.2.0.0/16
	authby=secret
	ike=aes_gcm256-sha2_256;dh31
	esp=aes_gcm256
	auto=add
`;

const procs: ChildProcess[] = [];
const out: Record<string, string> = { west: "", east: "" };

function start(me: string): ChildProcess {
  const d = join(dir, me);
  const p = spawn(process.execPath, [pluto, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--kernel", "memory", "--nhelpers", "1", "--stderrlog"], { stdio: ["ignore", "pipe", "pipe"] });
  p.stdout!.on("data", (b) => (out[me] += b));
  p.stderr!.on("data", (b) => (out[me] += b));
  procs.push(p);
  return p;
}

function run(me: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [whack, "--rundir", join(dir, me), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b) => (stdout += b));
    p.stderr.on("data", (b) => (stderr += b));
    p.on("close", (code) => res({ code: code ?? 1, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, f: () => Promise<boolean>, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function states(me: string): Promise<{ state: string; children: { state: string }[] }[]> {
  const r = await run(me, "--showstates", "--json");
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as { states: { state: string; children: { state: string }[] }[] }).states;
}

async function main(): Promise<number> {
  for (const me of ["west", "east"]) {
    const d = join(dir, me);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(d, "ipsec.conf"), conf(me));
    writeFileSync(join(d, "ipsec.secrets"), `@west.demo @east.demo : PSK "demo secret, not for real use"\n`);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
  }
  start("west");
  start("east");
  await until("both control sockets", async () => existsSync(join(dir, "west", "pluto.ctl")) && existsSync(join(dir, "east", "pluto.ctl")));
  await until("both daemons answering", async () => (await run("west", "--briefstatus")).code === 0 && (await run("east", "--briefstatus")).code === 0);
  console.log("$ whack --up --name demo   (on west)");
  const up = await run("west", "--up", "--name", "demo");
  console.log(up.stdout.trim() || up.stderr.trim());
  if (up.code !== 0) throw new Error("whack --up failed");
  await until("the IKE SA and Child SA on both sides", async () => {
    const w = await states("west");
    const e = await states("east");
    const ok = (s: typeof w) => s.some((x) => x.state === "ESTABLISHED_IKE_SA" && x.children.some((c) => c.state === "ESTABLISHED_CHILD_SA"));
    return ok(w) && ok(e);
  });
  for (const me of ["west", "east"]) {
    console.log(`\n$ whack --status   (on ${me})`);
    console.log((await run(me, "--status")).stdout.trimEnd());
  }
  console.log("\n$ whack --down --name demo   (on west)");
  console.log((await run("west", "--down", "--name", "demo")).stdout.trim());
  await until("both sides to forget the SAs", async () => (await states("west")).length === 0 && (await states("east")).length === 0);
  console.log("both sides deleted their SAs");
  return 0;
}

async function stopAll(): Promise<void> {
  await Promise.all(procs.map((p) => new Promise<void>((res) => {
    if (p.exitCode !== null) return res();
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    p.once("exit", () => {
      clearTimeout(t);
      res();
    });
    p.kill("SIGTERM");
  })));
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  for (const me of ["west", "east"]) console.error(`--- ${me}'s log\n${out[me]}`);
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
console.log(code === 0 ? "\ndemo: ok, both daemons stopped" : "\ndemo: FAILED");
process.exit(code);
