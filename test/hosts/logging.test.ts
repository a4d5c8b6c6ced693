// Where pluto logs, as Libreswan's pluto decides it: --stderrlog; else --logfile, else
// logfile= (plutostderrlog=) of config setup; else syslog, `<84>... pluto[PID]: ...` datagrams
// on /dev/log (--syslogsocket here); and plutodebug= of config setup. Runs the compiled daemon;
// the syslog socket is a Unix datagram socket held by Deno (Node has none).
import { afterAll, describe, expect, test } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pluto = join(root, "dist/hosts/node/pluto.js");
const whackJs = join(root, "dist/hosts/node/whack.js");
const deno = join(root, "node_modules/.bin/deno");
const logger = spawnSync("logger", ["--version"]).status === 0;
const built = existsSync(pluto) && existsSync(whackJs);
if (!built) console.log("logging tests skipped: dist/ is not built (run npm run build)");
if (!logger || !existsSync(deno)) console.log("the syslog test is skipped: it needs logger(1) (util-linux) and deno (npm ci)");

const dir = mkdtempSync(join(tmpdir(), "pluto-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const procs: ChildProcess[] = [];
afterAll(() => procs.forEach((p) => p.exitCode === null && p.kill("SIGKILL")));

// an address of its own on loopback (port 500 and 4500 on it are free)
const ME = `127.0.${100 + (process.pid % 100)}.${1 + (process.pid % 250)}`;
const conf = (setup: string) => `config setup
	listen=${ME}
${setup}
conn t
	left=${ME}
	leftid=@west.test
	right=127.0.0.2
	rightid=@east.test
	authby=secret
	auto=add
`;

// runs pluto in its own directory until `until` is in what `read` returns; then shuts it down
// and waits for it to stop
async function run(name: string, setup: string, args: string[], read: (d: string, stderr: string) => string, until: RegExp): Promise<{ dir: string; stderr: string; pid: number }> {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, "ipsec.conf"), conf(setup));
  writeFileSync(join(d, "ipsec.secrets"), `@west.test @east.test : PSK "a logging test secret"\n`, { mode: 0o600 });
  const p = spawn(process.execPath, [pluto, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--nhelpers", "0", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  procs.push(p);
  let stderr = "";
  p.stderr!.on("data", (c) => (stderr += c));
  const end = Date.now() + 15000;
  while (!until.test(read(d, stderr))) {
    if (Date.now() > end || p.exitCode !== null) throw new Error(`timed out waiting for ${until} in ${name}:\n${read(d, stderr)}\n--- stderr\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  spawnSync(process.execPath, [whackJs, "--rundir", d, "--shutdown"], { timeout: 10000 });
  await new Promise((r) => (p.exitCode !== null ? r(0) : p.once("exit", r)));
  await new Promise((r) => setTimeout(r, 100)); // (what logger(1) or a pipe still held)
  return { dir: d, stderr, pid: p.pid! };
}

const file = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "");

describe.skipIf(!built)("where pluto logs", () => {
  test("logfile= of config setup takes the log (stderr stays quiet); plutodebug= adds the debug lines", async () => {
    const r = await run("logfile", `\tlogfile=${join(dir, "logfile", "pluto.log")}\n\tplutodebug=all`, [], (d) => file(join(d, "pluto.log")), /added connection "t"/);
    const log = file(join(r.dir, "pluto.log"));
    expect(log).toMatch(/reading .*ipsec\.conf/); // the lines before the configuration was read too
    expect(log).toMatch(/added connection "t"/);
    expect(log).toMatch(/^\S+ \| /m); // debugging lines
    expect(r.stderr).toBe("");
  });

  test("--logfile wins over logfile=, --stderrlog over both; without plutodebug= no debug lines", async () => {
    const r = await run("flags", `\tlogfile=${join(dir, "flags", "setup.log")}`, ["--logfile", join(dir, "flags", "flag.log")], (d) => file(join(d, "flag.log")), /added connection "t"/);
    expect(file(join(r.dir, "flag.log"))).toMatch(/added connection "t"/);
    expect(file(join(r.dir, "flag.log"))).not.toMatch(/^\S+ \| /m);
    expect(existsSync(join(r.dir, "setup.log"))).toBe(false);
    const s = await run("stderr", `\tlogfile=${join(dir, "stderr", "setup.log")}`, ["--stderrlog", "--logfile", join(dir, "stderr", "flag.log")], (_d, e) => e, /added connection "t"/);
    expect(s.stderr).toMatch(/added connection "t"/);
    expect(existsSync(join(s.dir, "setup.log")) || existsSync(join(s.dir, "flag.log"))).toBe(false);
  });

  test.skipIf(!logger || !existsSync(deno))("neither: syslog, as pluto[PID] at authpriv.warning in RFC 3164 form", async () => {
    const sock = join(dir, "log.sock");
    const got = join(dir, "syslog.txt");
    // a syslog daemon's socket: every datagram, one a line
    writeFileSync(join(dir, "recv.ts"), `const s = Deno.listenDatagram({ transport: "unixpacket", path: ${JSON.stringify(sock)} });
for await (const [b] of s) Deno.writeTextFileSync(${JSON.stringify(got)}, new TextDecoder().decode(b).replace(/\\n$/, "") + "\\n", { append: true });
`);
    const recv = spawn(deno, ["run", "--unstable-net", `--allow-net=unix:${sock}`, `--allow-read=${dir}`, `--allow-write=${dir}`, join(dir, "recv.ts")], { stdio: "ignore" });
    procs.push(recv);
    for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
    const r = await run("syslog", "", ["--syslogsocket", sock], () => file(got), /added connection "t"/);
    recv.kill();
    const lines = file(got).split("\n").filter(Boolean);
    expect(lines.find((l) => l.includes("added connection"))).toMatch(new RegExp(`^<84>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d pluto\\[${r.pid}\\]: added connection "t"$`));
    expect(lines.some((l) => /pluto\[\d+\]: pluto \d+: reading /.test(l))).toBe(true); // the lines before the configuration was read too
    expect(r.stderr).toBe("");
  });

  test("no syslog socket: stderr, saying why", async () => {
    const r = await run("nosyslog", "", ["--syslogsocket", join(dir, "nowhere.sock")], (_d, e) => e, /added connection "t"/);
    expect(r.stderr).toMatch(/no syslog socket .*nowhere\.sock \(ENOENT\): logging to stderr/);
    expect(r.stderr).toMatch(/added connection "t"/);
  });
});
