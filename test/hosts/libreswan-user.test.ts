// What a Libreswan user types, in order, against a running daemon, with the outputs and exit
// codes they expect: ipsec start, ipsec auto --up/--down, ipsec status, an ipsec.conf edited
// between commands then ipsec auto --add/--replace, the failures' exit codes, ipsec stop. Once
// with the Node daemon (ipsec start runs it), once with the Deno daemon (started as
// hosts/deno/README.md says; the same ipsec commands drive it, ipsec stop stops it by its
// pid file). The peer is a Node daemon started with ipsec start. Runs the compiled tools.
import { afterAll, describe, expect, test } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const ipsecJs = join(root, "dist/hosts/node/ipsec.js");
const deno = join(root, "node_modules/.bin/deno");
const built = existsSync(ipsecJs) && existsSync(join(root, "build/core.wasm"));
const denoOk = existsSync(deno) && spawnSync(deno, ["--version"], { timeout: 20000 }).status === 0;
if (!built) console.log("Libreswan user script skipped: dist/ is not built (npm run build)");
if (built && !denoOk) console.log("Libreswan user script under Deno skipped: node_modules/.bin/deno cannot start");

const top = mkdtempSync(join(tmpdir(), "pluto-user-"));
// a daemon that a failed test left running (ipsec start runs it in the background) is stopped
// by the PID in its pid file, then the files go
afterAll(() => {
  const pids = (dir: string): number[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? pids(join(dir, e.name)) : e.name === "pluto.pid" ? [Number(readFileSync(join(dir, e.name), "utf8").trim())] : []);
  for (const pid of existsSync(top) ? pids(top) : []) {
    try {
      if (pid > 1) process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  rmSync(top, { recursive: true, force: true });
});

// ipsec with these arguments; its output and exit status
function ipsec(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [ipsecJs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (err += b));
    p.on("close", (code) => res({ code: code ?? 1, out, err }));
  });
}

// one pair of daemons: west (the one under test) and east, on two loopback addresses of their own
function world(tag: string, n: number) {
  const dir = join(top, tag);
  const net = `127.78.${(process.pid + n) % 250}`;
  const W = `${net}.1`;
  const E = `${net}.2`;
  const port = 20000 + ((process.pid * 2 + n * 7) % 20000);
  const conn = (name: string, lnet: string, rnet: string, esp = "aes256-sha2_256") => `
conn ${name}
	left=${W}
	leftikeport=${port}
	leftid=@west.user
	leftsubnet=${lnet}
	right=${E}
	rightikeport=${port + 1}
	rightid=@east.user
	rightsubnet=${rnet}
	authby=secret
	ike=aes256-sha2_256;dh19
	esp=${esp}
	auto=add
`;
  const setup = (me: string) => `config setup\n\tlisten=${me}\n`;
  const rd = { west: join(dir, "west"), east: join(dir, "east") };
  for (const me of ["west", "east"] as const) {
    mkdirSync(rd[me], { recursive: true, mode: 0o700 });
    writeFileSync(join(rd[me], "ipsec.secrets"), `@west.user @east.user : PSK "what a Libreswan user types"\n`);
    chmodSync(join(rd[me], "ipsec.secrets"), 0o600);
  }
  writeFileSync(join(rd.west, "ipsec.conf"), setup(W) + conn("t", "10.1.0.0/16", "10.2.0.0/16"));
  writeFileSync(join(rd.east, "ipsec.conf"), setup(E) + conn("t", "10.1.0.0/16", "10.2.0.0/16") + conn("newone", "10.11.0.0/16", "10.12.0.0/16"));
  const flags = (me: "west" | "east") => ["--config", join(rd[me], "ipsec.conf"), "--secrets", join(rd[me], "ipsec.secrets"), "--rundir", rd[me], "--nhelpers", "0"];
  return { dir, rd, W, E, conn, flags };
}

async function script(w: ReturnType<typeof world>, startWest: () => Promise<void>, westLog: () => string): Promise<void> {
  const west = ["--rundir", w.rd.west];
  const why = () => `\n--- west's log\n${westLog()}\n--- east's log\n${existsSync(join(w.rd.east, "pluto.log")) ? readFileSync(join(w.rd.east, "pluto.log"), "utf8") : ""}`;
  // ipsec start: pluto in the background, answering once the command returns
  const e = await ipsec("start", ...w.flags("east"));
  expect(e.code, e.err).toBe(0);
  expect(e.out).toMatch(/^pluto \d+ started \(control socket .*east\/pluto\.ctl, log .*east\/pluto\.log\)$/m);
  const again = await ipsec("start", ...w.flags("east"));
  expect(again.code).toBe(1);
  expect(again.err).toMatch(/^ipsec start: pluto \d+ is already running/);
  await startWest();

  // ipsec auto --up: the progress as it happens, exit 0 once the tunnel is up
  const up = await ipsec("auto", ...west, "--up", "t");
  expect(up.code, up.err + why()).toBe(0);
  expect(up.out).toMatch(/^"t" #1: initiating IKEv2 connection to .*\n"t" #1: sent IKE_SA_INIT request\n/);
  expect(up.out).toMatch(/^"t" #1: (initiator )?established IKE SA; authenticated peer using authby=secret/m);
  expect(up.out).toMatch(/^"t" #2: established Child SA tunnel mode 10\.1\.0\.0-10\.1\.255\.255 === 10\.2\.0\.0-10\.2\.255\.255/m);
  expect(up.out.trimEnd().split("\n").at(-1)).toBe('"t" #1: IKE SA established, Child SA #2 established');

  const st = await ipsec("status", ...west);
  expect(st.code).toBe(0);
  expect(st.out).toMatch(/^000 #2: "t":\d+ ESTABLISHED_CHILD_SA;/m);
  const tr = await ipsec("trafficstatus", ...west);
  expect(tr.out).toMatch(/^000 #2: "t", type=ESP, /m);

  // ipsec auto --down: exit 0 once the states are gone
  const down = await ipsec("auto", ...west, "--down", "t");
  expect(down.code, down.err).toBe(0);
  expect(down.out).toMatch(/"t" #1: deleted IKE SA/);
  expect(down.out.trimEnd().split("\n").at(-1)).toBe('"t": terminated');
  expect((await ipsec("status", ...west)).out).not.toMatch(/ESTABLISHED/);

  // a conn appended to ipsec.conf, then ipsec auto --add (which reads the file as it is now),
  // --up; a conn's text changed, then ipsec auto --replace: the next --up uses it (east
  // refuses its ESP proposal)
  appendFileSync(join(w.rd.west, "ipsec.conf"), w.conn("newone", "10.11.0.0/16", "10.12.0.0/16"));
  const conf = readFileSync(join(w.rd.west, "ipsec.conf"), "utf8");
  writeFileSync(join(w.rd.west, "ipsec.conf"), conf.replace("esp=aes256-sha2_256", "esp=aes128-sha1"));
  const add = await ipsec("auto", ...west, "--add", "newone");
  expect(add.code, add.err).toBe(0);
  expect(add.out).toMatch(/added connection "newone"/);
  const up2 = await ipsec("auto", ...west, "--up", "newone");
  expect(up2.code, up2.err + why()).toBe(0);
  expect(up2.out).toMatch(/"newone" #\d+: established Child SA tunnel mode 10\.11\.0\.0-10\.11\.255\.255 === 10\.12\.0\.0-10\.12\.255\.255/);
  const rep = await ipsec("auto", ...west, "--replace", "t");
  expect(rep.code, rep.err).toBe(0);
  expect(rep.out).toMatch(/added connection "t"/);
  const refused = await ipsec("auto", ...west, "--up", "t");
  expect(refused.code, refused.out).toBe(36); // Libreswan's RC_FATAL
  expect(refused.err).toMatch(/^whack: "t" #\d+: no Child SA: the responder answered with NO_PROPOSAL_CHOSEN/m);
  expect(refused.out).toMatch(/"t" #\d+: (initiator )?established IKE SA/);
  expect((await ipsec("auto", ...west, "--down", "t")).code).toBe(0);

  // a name that is not there: RC_UNKNOWN_NAME; a usage error: 2
  const nope = await ipsec("auto", ...west, "--up", "nope");
  expect(nope.code).toBe(21);
  expect(nope.err).toMatch(/no connection named "nope"/);
  expect((await ipsec("auto", ...west, "--frob", "t")).code).toBe(2);
  expect((await ipsec("auto", ...west, "--up")).code).toBe(2);

  // ipsec stop: returns once pluto has gone, its pid file and socket with it
  for (const me of ["west", "east"] as const) {
    const pid = Number(readFileSync(join(w.rd[me], "pluto.pid"), "utf8"));
    const s = await ipsec("stop", "--rundir", w.rd[me]);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toBe(`stopped pluto ${pid}\n`);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(join(w.rd[me], "pluto.ctl"))).toBe(false);
  }
  const gone = await ipsec("status", ...west);
  expect(gone.code).toBe(1);
  expect(gone.err).toMatch(/cannot talk to pluto on .*west\/pluto\.ctl/);
  const stopped = await ipsec("stop", "--rundir", w.rd.west);
  expect(stopped.code).toBe(1);
  expect(stopped.err).toMatch(/^ipsec stop: pluto is not running/);
}

describe.skipIf(!built)("a Libreswan user's session", () => {
  test("with the Node daemon: ipsec start, auto --up/--down, status, edits with --add/--replace, stop", async () => {
    const w = world("node", 0);
    await script(w, async () => {
      const s = await ipsec("start", ...w.flags("west"));
      expect(s.code, s.err).toBe(0);
    }, () => (existsSync(join(w.rd.west, "pluto.log")) ? readFileSync(join(w.rd.west, "pluto.log"), "utf8") : ""));
  }, 60000);

  test.skipIf(!denoOk)("with the Deno daemon (the peer a Node daemon)", async () => {
    const w = world("deno", 1);
    const log = join(w.rd.west, "pluto.log");
    await script(w, async () => {
      const p = spawn(deno, [
        "run", "--no-prompt", "--unstable-net", `--allow-read=${root},${w.rd.west}`, `--allow-write=${w.rd.west}`,
        `--allow-net=${w.W},${w.E},unix:${w.rd.west}/pluto.ctl`, join(root, "hosts/deno/pluto.ts"), ...w.flags("west"), "--logfile", log,
      ], { stdio: "ignore", cwd: root, detached: true });
      p.unref();
      const end = Date.now() + 30000;
      while (Date.now() < end && (await ipsec("status", "--rundir", w.rd.west)).code !== 0) await new Promise((r) => setTimeout(r, 200));
    }, () => (existsSync(log) ? readFileSync(log, "utf8") : ""));
  }, 90000);
});
