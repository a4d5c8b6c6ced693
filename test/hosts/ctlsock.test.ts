// The control socket under misbehaving clients (issue 17 item 4), against real daemons, Node's
// and Deno's, each started here and killed by its PID at the end: 1,000 clients at once that
// never finish a request, 64 clients trickling a byte at a time, and one client that asks for
// large status answers and never reads, each with a `whack --status` beside it that must be
// answered. The daemons' memory is read from /proc/PID/status. Times here are loop bounds only.
import { afterAll, describe, expect, test } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync, chmodSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WHACK_LIMITS, WhackServer } from "../../hosts/whack-server.ts";
import { serveWhack } from "../../hosts/node/whack-socket.ts";

const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const pluto = join(root, "dist/hosts/node/pluto.js");
const whackJs = join(root, "dist/hosts/node/whack.js");
const deno = join(root, "node_modules/.bin/deno");
const built = existsSync(pluto) && existsSync(whackJs);
if (!built) console.log("control socket tests skipped: dist/ is not built (run npm run build)");
const denoOk = built && existsSync(deno) && spawnSync(deno, ["--version"], { timeout: 20000 }).status === 0;
if (built && !denoOk) console.log("control socket tests under Deno skipped: node_modules/.bin/deno cannot start");

const CONNS = 500; // enough connections for a status answer of some 280 kB
const REFUSED = /^pluto is serving \d+ whack clients, the most it takes at once: try again$/;
const EVICTED = /^closing: no complete request after [\d.]+ s, and another client needed the place \(\d+ are served at once\)$/;
const DEADLINE = /^no complete request within 10 s: closing$/;

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterAll(async () => {
  for (const p of procs) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const gone = new Promise((r) => p.once("exit", r));
    process.kill(p.pid!, "SIGKILL");
    await gone;
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, f: () => boolean, log: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}\n${log().slice(-4000)}`);
}

interface Daemon {
  pid: number;
  ctl: string;
  log: () => string;
  rss: () => number; // kB
}

// A daemon of the runtime with CONNS connections on an address of its own in 127/8.
async function startDaemon(runtime: "node" | "deno", n: number): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `pluto-ctl-${runtime}-`));
  dirs.push(dir);
  const me = `127.83.${process.pid % 250}.${n}`;
  const conns = Array.from({ length: CONNS }, (_, i) => `
conn c${i}
	left=${me}
	leftid=@a.test
	leftsubnet=10.${i >> 8}.${i & 255}.0/24
	right=127.84.${i >> 8}.${(i & 255) || 1}
	rightid=@b.test
	rightsubnet=10.200.${i & 255}.0/24
	authby=secret
	auto=add
`).join("");
  writeFileSync(join(dir, "ipsec.conf"), `config setup\n\tlisten=${me}\n${conns}`);
  writeFileSync(join(dir, "ipsec.secrets"), '@a.test @b.test : PSK "a control socket test secret"\n');
  chmodSync(join(dir, "ipsec.secrets"), 0o600);
  const args = ["--config", join(dir, "ipsec.conf"), "--secrets", join(dir, "ipsec.secrets"), "--rundir", dir, "--nhelpers", "0", "--stderrlog"];
  const p = runtime === "node"
    ? spawn(process.execPath, [pluto, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(deno, ["run", "--no-prompt", "--unstable-net", `--allow-read=${root},${dir}`, `--allow-write=${dir}`, "--allow-net", join(root, "hosts/deno/pluto.ts"), ...args],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  procs.push(p);
  let log = "";
  p.stdout!.on("data", (b) => (log += b));
  p.stderr!.on("data", (b) => (log += b));
  const d: Daemon = {
    pid: p.pid!,
    ctl: join(dir, "pluto.ctl"),
    log: () => log,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))![1]),
  };
  await until(`${runtime} pluto to start`, () => log.includes(`added connection "c${CONNS - 1}"`) && existsSync(d.ctl), d.log);
  return d;
}

// whack --status, the real client, run beside the misbehaving ones.
function whackStatus(d: { ctl: string }): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [whackJs, "--ctlsocket", d.ctl, "--status"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (err += b));
    const t = setTimeout(() => p.kill("SIGKILL"), 40_000);
    p.on("close", (code) => {
      clearTimeout(t);
      res({ code, out, err });
    });
  });
}

// A raw client: what it was sent, its error code if any, whether it is closed.
interface Client {
  sock: net.Socket;
  text: string;
  error?: string;
  closed: boolean;
  lines: () => { ok: boolean; error?: string; text?: string }[];
}
function client(ctl: string, first?: string): Client {
  const c: Client = {
    sock: net.connect(ctl),
    text: "",
    closed: false,
    lines: () => c.text.split("\n").filter((l) => l).map((l) => JSON.parse(l)),
  };
  c.sock.setEncoding("utf8");
  c.sock.on("data", (b: string) => (c.text += b));
  c.sock.on("error", (e: NodeJS.ErrnoException) => (c.error = e.code ?? e.message));
  c.sock.on("close", () => (c.closed = true));
  if (first !== undefined) c.sock.on("connect", () => c.sock.write(first));
  return c;
}

const statusJson = JSON.stringify({ cmd: "status", json: true }) + "\n";
const runtimes = [["node", built], ["deno", denoOk]] as const;

describe.concurrent.each(runtimes)("%s pluto's control socket", (runtime, ok) => {
  test.skipIf(!ok)("1,000 clients at once that never finish a request: at most the limit served, the rest refused with a line, none with EPIPE; whack --status still answers", async () => {
    const d = await startDaemon(runtime, runtime === "node" ? 1 : 2);
    const flood = Array.from({ length: 1000 }, () => client(d.ctl, '{"cmd":"status"'));
    // every client past the limit hears why at once (a served one hears nothing yet)
    await until("the refusals", () => flood.filter((c) => c.text.includes("\n") || c.error).length >= flood.length - WHACK_LIMITS.maxClients, d.log);
    const served = flood.filter((c) => !c.text && !c.error);
    expect(served.length).toBeGreaterThan(0);
    expect(served.length).toBeLessThanOrEqual(WHACK_LIMITS.maxClients);
    // the served ones have stalled past the grace: an administrator takes the place of one
    await sleep(WHACK_LIMITS.graceMs + 200);
    const admin = await whackStatus(d);
    if (admin.err) console.log(d.log().split("\n").filter((l) => l.includes("whack")).join("\n"));
    expect(admin.err).toBe("");
    expect(admin.code).toBe(0);
    expect(admin.out).toMatch(/"c0"/);
    await until("every flood client closed", () => flood.every((c) => c.closed), d.log);
    const broken = flood.filter((c) => c.error).map((c) => ({ error: c.error, text: c.text }));
    if (broken.length) console.log(d.log().split("\n").filter((l) => l.includes("whack")).join("\n"));
    expect(broken).toEqual([]); // no EPIPE, no ECONNRESET
    const said = flood.map((c) => c.lines());
    expect(said.filter((l) => l.length !== 1)).toEqual([]); // each told exactly one thing
    const errors = said.map((l) => l[0].error ?? "");
    const refused = errors.filter((e) => REFUSED.test(e)).length;
    const evicted = errors.filter((e) => EVICTED.test(e)).length;
    const cut = errors.filter((e) => DEADLINE.test(e)).length;
    expect(errors.filter((e) => !REFUSED.test(e) && !EVICTED.test(e) && !DEADLINE.test(e))).toEqual([]);
    console.log(`${runtime} pluto, 1,000 clients: ${refused} refused, ${evicted} closed to make room, ${cut} cut off at the request deadline`);
    expect(refused).toBeGreaterThan(0);
    expect(evicted).toBeGreaterThanOrEqual(1); // the administrator's place
    expect(cut).toBeLessThanOrEqual(WHACK_LIMITS.maxClients);
    expect(refused + evicted + cut).toBe(1000);
    // said once, then counted
    await until("the count of refusals", () => /whack: refused [\d,]+ more clients in the last 10 s/.test(d.log()), d.log);
    expect(d.log().match(/whack: refused a client/g)!.length).toBeLessThanOrEqual(3);
    expect(d.log().match(/whack: cut off a client: no complete request/g)!.length).toBeLessThanOrEqual(3);
    // and --status says so
    const after = client(d.ctl, '{"cmd":"status"}\n');
    await until("a status answer", () => after.text.includes("\n"), d.log);
    const counts = /\n000 whack clients: 1 served \(at most 256\); since start ([\d,]+) accepted, ([\d,]+) refused, ([\d,]+) closed to make room, ([\d,]+) cut off$/.exec(after.lines()[0].text!);
    expect(counts).not.toBeNull();
    const n = counts!.slice(1).map((x) => Number(x.replace(/,/g, "")));
    expect(n[1]).toBe(refused);
    expect(n[2]).toBe(evicted);
    expect(n[3]).toBe(cut);
    expect(n[0]).toBe(1000 - refused + 2); // the flood's served ones, the administrator, this one
    after.sock.destroy();
    process.kill(d.pid, "SIGKILL");
  }, 180_000);

  test.skipIf(!ok)("64 clients trickling a byte at a time and one that asks for large answers and never reads: whack --status answers; the trickling ones are told, the non-reader is cut off, memory stays bounded", async () => {
    const d = await startDaemon(runtime, runtime === "node" ? 3 : 4);
    // the size of one answer, from a client that reads
    const probe = client(d.ctl, statusJson);
    await until("a status answer", () => probe.text.includes("\n"), d.log);
    const answer = probe.text.length;
    expect(answer).toBeGreaterThan(100_000);
    probe.sock.destroy();
    const rss0 = d.rss();

    // one byte a second of a request that would take 40 s
    const slow = Array.from({ length: 64 }, () => client(d.ctl));
    const trickle = setInterval(() => {
      for (const c of slow) if (!c.text && !c.closed && c.sock.writable) c.sock.write(" ");
    }, 1000);
    // 2,000 status requests in one go, and never a read
    const greedy = client(d.ctl);
    greedy.sock.pause();
    greedy.sock.on("connect", () => greedy.sock.write(statusJson.repeat(2000)));
    let rssMax = rss0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, d.rss())), 100);
    try {
      await sleep(1500); // both kinds connected and misbehaving
      const admin = await whackStatus(d);
      expect(admin.err).toBe("");
      expect(admin.code).toBe(0);
      expect(admin.out).toMatch(/"c0"/);
      await until("the non-reader cut off", () => /whack: cut off a client that left [\d,]+ bytes of its answer unread for 10 s/.test(d.log()), d.log);
      await until("the trickling clients told", () => slow.every((c) => c.text.includes("\n")), d.log);
    } finally {
      clearInterval(trickle);
      clearInterval(sampler);
    }
    // the non-reader got at most the one answer it never took, and then the close
    greedy.sock.resume();
    await until("the non-reader closed", () => greedy.closed, d.log);
    expect(greedy.text.length).toBeLessThan(2 * answer);
    for (const c of slow) {
      expect(c.lines()).toEqual([{ ok: false, error: "no complete request within 10 s: closing" }]);
      expect(c.error).toBeUndefined();
    }
    await until("the trickling clients closed", () => slow.every((c) => c.closed), d.log);
    // 2,000 answers of ~280 kB would be over 500 MB; one or two are a few MB
    console.log(`${runtime} pluto, a non-reader of ${answer}-byte answers: VmRSS ${rss0} kB at the start, at most ${rssMax} kB`);
    expect(rssMax - rss0).toBeLessThan(150 * 1024);
    expect(d.log().match(/whack: cut off a client: no complete request/g)!.length).toBe(1);
    expect((await whackStatus(d)).code).toBe(0);
    process.kill(d.pid, "SIGKILL");
  }, 180_000);
});

describe.skipIf(!built)("whack against a full control socket", () => {
  test("whack prints the refusal and exits 1; a close without an answer is said as such", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pluto-ctl-full-"));
    dirs.push(dir);
    const ctl = join(dir, "pluto.ctl");
    const logs: string[] = [];
    const handled: string[] = [];
    const whack = new WhackServer({
      handle: async (req) => (handled.push(req.cmd), { ok: true, text: "fine" }),
      log: (l) => logs.push(l),
      now: () => performance.now(),
      limits: { maxClients: 1, graceMs: 600_000 }, // the one place is never taken from its holder
    });
    const server = net.createServer({ allowHalfOpen: true }, (c) => serveWhack(whack, c));
    await new Promise<void>((r) => server.listen(ctl, r));
    const holder = client(ctl);
    try {
      await new Promise((r) => holder.sock.once("connect", r));
      await until("the holder served", () => whack.served.size === 1, () => logs.join("\n"));
      const r = await whackStatus({ ctl });
      expect(r.code).toBe(1);
      expect(r.err).toBe("whack: pluto is serving 1 whack clients, the most it takes at once: try again\n");
      expect(handled).toEqual([]);
      expect(logs).toEqual(["whack: refused a client: 1 clients served, the limit, none of them stalled"]);
      holder.sock.write('{"cmd":"briefstatus"}\n');
      await until("the holder answered", () => holder.text.includes("\n"), () => logs.join("\n"));
      expect(holder.lines()).toEqual([{ ok: true, text: "fine" }]);
    } finally {
      holder.sock.destroy();
      whack.disarm();
      await new Promise((r) => server.close(r));
    }
    // a socket that closes without a word
    const mute = net.createServer((c) => c.destroy());
    const ctl2 = join(dir, "mute.ctl");
    await new Promise<void>((r) => mute.listen(ctl2, r));
    try {
      const r = await whackStatus({ ctl: ctl2 });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^whack: pluto on \S+ closed the connection without an answer( \((EPIPE|ECONNRESET)\))?\n$/);
    } finally {
      await new Promise((r) => mute.close(r));
    }
  }, 60_000);
});
