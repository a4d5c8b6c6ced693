// Two pluto daemons on loopback, driven with whack: up, status, down, and bad input of every
// kind from the control socket and the configuration, each refused with a clear error while
// the daemon keeps serving. Runs the compiled daemon (npm test builds it first).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, chmodSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pluto = join(root, "dist/hosts/node/pluto.js");
const whackJs = join(root, "dist/hosts/node/whack.js");
const ipsecJs = join(root, "dist/hosts/node/ipsec.js");
const built = existsSync(pluto) && existsSync(whackJs);
if (!built) console.log("daemon tests skipped: dist/ is not built (run npm run build)");

const dir = mkdtempSync(join(tmpdir(), "pluto-test-"));
const procs: Record<string, ChildProcess> = {};
const logs: Record<string, string> = { west: "", east: "" };
// ports from this test's pid, so parallel runs on one machine do not collide
const base = 20000 + (process.pid % 20000);

function conf(me: "west" | "east", extra = ""): string {
  return `config setup
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
	ike=aes256-sha2_256;modp2048
	esp=aes256-sha2_256
	auto=add
${extra}`;
}
const secrets = `@west.test @east.test : PSK "a test secret that is long enough"\n`;

function whack(me: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [whackJs, "--rundir", join(dir, me), ...args], { encoding: "utf8", timeout: 20000 });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}
function states(me: string): { state: string; children: { state: string }[] }[] {
  const r = whack(me, "--showstates", "--json");
  return r.code === 0 ? JSON.parse(r.out).states : [];
}
async function until(what: string, f: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n--- west\n${logs.west}\n--- east\n${logs.east}`);
}
function ask(me: string, raw: string | Buffer): Promise<string> {
  return new Promise((res) => {
    const s = net.connect(join(dir, me, "pluto.ctl"));
    let out = "";
    const t = setTimeout(() => {
      s.destroy();
      res(out);
    }, 5000);
    s.on("data", (b) => {
      out += b;
      if (out.includes("\n")) {
        clearTimeout(t);
        s.destroy();
        res(out);
      }
    });
    s.on("error", () => res(out));
    s.on("close", () => {
      clearTimeout(t);
      res(out);
    });
    s.write(raw);
  });
}

beforeAll(async () => {
  if (!built) return;
  for (const me of ["west", "east"] as const) {
    const d = join(dir, me);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(d, "ipsec.conf"), conf(me));
    writeFileSync(join(d, "ipsec.secrets"), secrets);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
    const p = spawn(process.execPath, [pluto, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--nhelpers", "1", "--stderrlog"], { stdio: ["ignore", "pipe", "pipe"] });
    p.stderr!.on("data", (b) => (logs[me] += b));
    p.stdout!.on("data", (b) => (logs[me] += b));
    procs[me] = p;
  }
  await until("both daemons", () => whack("west", "--briefstatus").code === 0 && whack("east", "--briefstatus").code === 0);
});

afterAll(async () => {
  await Promise.all(Object.values(procs).map((p) => new Promise<void>((res) => {
    if (p.exitCode !== null) return res();
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    p.once("exit", () => {
      clearTimeout(t);
      res();
    });
    p.kill("SIGTERM");
  })));
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)("pluto and whack", () => {
  test("the control socket is mode 0600", () => {
    expect(statSync(join(dir, "west", "pluto.ctl")).mode & 0o777).toBe(0o600);
  });
  test("whack --up establishes the IKE SA and the Child SA on both sides; --down removes them", async () => {
    const up = whack("west", "--up", "--name", "t");
    expect(up.code).toBe(0);
    const est = (me: string) => states(me).some((s) => s.state === "ESTABLISHED_IKE_SA" && s.children.some((c) => c.state === "ESTABLISHED_CHILD_SA"));
    await until("established on both sides", () => est("west") && est("east"));
    const st = whack("east", "--status");
    expect(st.out).toMatch(/^000 "t": 127\.0\.0\.2:\d+\.\.\.127\.0\.0\.1:\d+; kind: PERMANENT/m);
    expect(st.out).toMatch(/ESTABLISHED_IKE_SA \(responder\).*\{cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP_2048\}/);
    expect(st.out).toMatch(/ESTABLISHED_CHILD_SA; .*10\.2\.0\.0-10\.2\.255\.255 === 10\.1\.0\.0-10\.1\.255\.255/);
    expect(whack("west", "--trafficstatus").out).toMatch(/type=ESP, add_time=\d+, inBytes=0, outBytes=0/);
    // the memory kernel holds both SAs of the Child SA and its three policies
    const child = states("west")[0].children[0] as unknown as { serial: number; spiIn: string; spiOut: string };
    const k = whack("west", "--status").out;
    expect(k).toContain(`kernel: #${child.serial} ESP SA in 0x${child.spiIn.padStart(8, "0")} 127.0.0.2 -> 127.0.0.1, out 0x${child.spiOut.padStart(8, "0")} 127.0.0.1 -> 127.0.0.2`);
    expect(k).toMatch(/kernel: policy out 10\.1\.0\.0\/16 -> 10\.2\.0\.0\/16/);
    expect(k).toMatch(/kernel: policy fwd 10\.2\.0\.0\/16 -> 10\.1\.0\.0\/16/);
    expect(JSON.parse(whack("west", "--briefstatus", "--json").out)).toMatchObject({ established: 1, conns: 1 });
    expect(whack("west", "--rekey-child", "--name", "t").code).toBe(0);
    expect(whack("east", "--rekey-ike", "--name", "t").code).toBe(0);
    await until("rekeyed", () => logs.west.includes("established IKE SA (rekey of") && /rekeying Child SA/.test(logs.west));
    await until("one IKE SA each after the rekeys", () => states("west").length === 1 && states("east").length === 1);
    expect(whack("west", "--down", "--name", "t").code).toBe(0);
    await until("both forget", () => states("west").length === 0 && states("east").length === 0);
    expect(logs.west).toMatch(/"t" #\d+: initiator established IKE SA; authenticated peer using authby=secret and ID_\w+ '[^']+' \{cipher=\w+ integ=[\w/]+ prf=\w+ group=\w+\}/);
  });
  test("ipsec auto --down/--up work like whack", async () => {
    const r = spawnSync(process.execPath, [ipsecJs, "auto", "--up", "t"], { encoding: "utf8", env: { ...process.env, PLUTO_CTL: join(dir, "west", "pluto.ctl") } });
    expect(r.status).toBe(0);
    await until("up", () => states("east").some((s) => s.state === "ESTABLISHED_IKE_SA"));
    expect(spawnSync(process.execPath, [ipsecJs, "auto", "--down", "t"], { encoding: "utf8", env: { ...process.env, PLUTO_CTL: join(dir, "west", "pluto.ctl") } }).status).toBe(0);
    await until("down", () => states("east").length === 0);
    expect(spawnSync(process.execPath, [ipsecJs, "auto", "--frob", "t"], { encoding: "utf8" }).status).toBe(2);
  });
  test("whack errors: unknown connection, unknown option", () => {
    const r = whack("west", "--up", "--name", "nope");
    expect(r.code).toBe(21); // Libreswan's RC_UNKNOWN_NAME
    expect(r.err).toMatch(/no connection named "nope"/);
    expect(whack("west", "--frobnicate").code).toBe(2);
    expect(whack("west", "--add").code).toBe(2);
  });
  test("garbage, oversized and half-finished control messages are refused and the daemon keeps serving", async () => {
    expect(await ask("west", "this is not json\n")).toMatch(/"ok":false,"error":"request is not JSON/);
    expect(await ask("west", '{"cmd":"rm -rf"}\n')).toMatch(/unknown command/);
    expect(await ask("west", '{"cmd":"status","evil":1}\n')).toMatch(/unknown field/);
    expect(await ask("west", '{"cmd":"initiate"}\n')).toMatch(/needs --name/);
    expect(await ask("west", Buffer.alloc(200000, 0x41))).toMatch(/too long|^$/);
    // a client that disconnects mid-command
    const s = net.connect(join(dir, "west", "pluto.ctl"));
    await new Promise((r) => s.on("connect", r));
    s.write('{"cmd":"sta');
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(whack("west", "--briefstatus").code).toBe(0);
    expect(procs.west.exitCode).toBeNull();
    expect(logs.west).toMatch(/whack: bad request: request is not JSON/);
  });
  test("a configuration that fails to parse leaves the running set untouched; so do broken secrets", () => {
    const conf = join(dir, "west", "ipsec.conf");
    writeFileSync(conf, conf_("west") + "\tleftsubnet=not-a-subnet\n\tbogus-keyword=1\n");
    const r = whack("west", "--rereadall");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/configuration unchanged: .*ipsec\.conf:\d+:\d+/);
    writeFileSync(join(dir, "west", "ipsec.secrets"), '@a @b : PSK "unterminated\n');
    const s = whack("west", "--rereadsecrets");
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/secrets unchanged/);
    expect(s.err).not.toMatch(/a test secret/);
    writeFileSync(conf, conf_("west"));
    writeFileSync(join(dir, "west", "ipsec.secrets"), secrets);
    expect(whack("west", "--rereadall").code).toBe(0);
    expect(whack("west", "--up", "--name", "t").code).toBe(0);
  });
  test("addconn --autoall loads the auto=add connections into a running pluto", () => {
    expect(whack("east", "--delete", "--name", "t").code).toBe(0);
    expect(whack("east", "--up", "--name", "t").code).toBe(21);
    const r = spawnSync(process.execPath, [join(root, "dist/hosts/node/addconn.js"), "--config", join(dir, "east", "ipsec.conf"), "--autoall", "--rundir", join(dir, "east")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/added connection "t"/);
    expect(JSON.parse(whack("east", "--briefstatus", "--json").out)).toMatchObject({ conns: 1 });
  });
  test("secrets never appear in the logs", () => {
    expect(logs.west + logs.east).not.toContain("a test secret that is long enough");
  });
});

function conf_(me: "west" | "east"): string {
  return conf(me);
}
