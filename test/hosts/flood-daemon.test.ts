// A real pluto under a cookie-answering IKE_SA_INIT flood from one loopback address, with a
// legitimate peer beside it (issue 17: bounded state under attack). The flood is bounded in
// count; the only time bounds are loop bounds.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, chmodSync, readFileSync } from "node:fs";
import dgram from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { corpusMessages } from "../wire/corpus.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pluto = join(root, "dist/hosts/node/pluto.js");
const whackJs = join(root, "dist/hosts/node/whack.js");
const built = existsSync(pluto) && existsSync(whackJs);
if (!built) console.log("flood daemon test skipped: dist/ is not built (run npm run build)");

const dir = mkdtempSync(join(tmpdir(), "pluto-flood-"));
const procs: Record<string, ChildProcess> = {};
const logs: Record<string, string> = { west: "", east: "" };
const base = 40000 + (process.pid % 10000);
const ATTACKER = "127.0.0.3";

// West initiates to east; east, busy from the start, answers anyone (left=%any as east reads
// the file: east is the right end).
const conf = (me: "west" | "east") => `config setup
	listen=${me === "west" ? "127.0.0.1" : "127.0.0.2\n\tddos-mode=busy"}

conn t
	left=${me === "west" ? `127.0.0.1\n\tleftikeport=${base}` : "%any"}
	leftid=@west.test
	right=127.0.0.2
	rightikeport=${base + 1}
	rightid=@east.test
	ike=aes_gcm128-sha2_256;dh31,aes_gcm256-sha2_256;dh31
	authby=secret
	auto=add
`;
const secrets = `@west.test @east.test : PSK "a test secret that is long enough"\n`;

function whack(me: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [whackJs, "--rundir", join(dir, me), ...args], { encoding: "utf8", timeout: 20000 });
  return { code: r.status ?? 1, out: r.stdout + r.stderr };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, f: () => boolean, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (f()) return;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}\n--- west\n${logs.west.slice(-4000)}\n--- east\n${logs.east.slice(-4000)}`);
}
const rssKb = (p: ChildProcess) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))?.[1] ?? 0);

beforeAll(async () => {
  if (!built) return;
  for (const me of ["west", "east"] as const) {
    const d = join(dir, me);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(d, "ipsec.conf"), conf(me));
    writeFileSync(join(d, "ipsec.secrets"), secrets);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
    // as a user runs it: default helpers
    const p = spawn(process.execPath, [pluto, "--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--stderrlog"], { stdio: ["ignore", "pipe", "pipe"] });
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

// A copy of a real IKE_SA_INIT request (strongSwan's, from the corpus) with another SPIi and,
// when given, N(COOKIE) first (RFC 7296 2.6).
function forge(tpl: Uint8Array, spi: number, cookie: Uint8Array | null): Buffer {
  const extra = cookie ? 8 + cookie.length : 0;
  const m = Buffer.alloc(tpl.length + extra);
  m.set(tpl.subarray(0, 28));
  m.writeUInt32BE(0x6d616c6c, 0);
  m.writeUInt32BE(spi >>> 0, 4);
  if (cookie) {
    m[28] = tpl[16];
    m[16] = 41;
    m.writeUInt16BE(8 + cookie.length, 30);
    m.writeUInt16BE(16390, 34);
    m.set(cookie, 36);
  }
  m.set(tpl.subarray(28), 28 + extra);
  m.writeUInt32BE(m.length, 24);
  return m;
}

describe.skipIf(!built)("pluto under a half-open flood", () => {
  test("one address answering cookies gets its share and no more; a legitimate peer establishes; memory stays bounded", async () => {
    const tpl = corpusMessages("ikev2-psk-x25519-gcm")[0].bytes;
    expect(tpl[18]).toBe(34); // IKE_SA_INIT
    const east = procs.east;
    const rss0 = rssKb(east);
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, ATTACKER, () => r()));
    let cookies = 0;
    let answers = 0;
    sock.on("message", (b) => {
      answers++;
      // the cookie: send the request again with it, as an attacker that can receive does
      if (b.length >= 36 && b[16] === 41 && b.readUInt16BE(34) === 16390) {
        cookies++;
        sock.send(forge(tpl, b.readUInt32BE(4), b.subarray(36, 28 + b.readUInt16BE(30))), base + 1, "127.0.0.2");
      }
    });
    // as fast as east answers, with at most 200 requests waiting for their cookie (more would
    // only overflow the socket's buffer); bounded in count and in waiting
    const N = 3000;
    let waits = 0;
    for (let i = 0; i < N; i++) {
      sock.send(forge(tpl, 0x10000 + i, null), base + 1, "127.0.0.2");
      while (i - cookies > 200 && waits < 3000) {
        waits++;
        await sleep(10);
      }
    }
    await sleep(500);
    expect(cookies).toBeGreaterThan(N / 2);
    const during = JSON.parse(whack("east", "--briefstatus", "--json").out).halfOpen;
    expect(during.busy).toBe(true);
    expect(during.count).toBeLessThanOrEqual(during.perSource);
    expect(during.count).toBeGreaterThan(0);
    // the legitimate peer gets in while the flood's half-open SAs are there
    const up = whack("west", "--up", "--name", "t");
    expect(up.code).toBe(0);
    await until("west's IKE SA", () => /ESTABLISHED_IKE_SA/.test(whack("west", "--showstates").out));
    // the log names the flood by counts, not a line per datagram
    const lines = logs.east.split("\n").filter((l) => l.includes(ATTACKER) && !/responding to IKE_SA_INIT|deleted IKE SA/.test(l));
    expect(lines.length).toBeLessThan(50);
    const rss1 = rssKb(east);
    console.log(`flood: ${N} IKE_SA_INIT with cookies from ${ATTACKER}: ${during.count} half-open held (at most ${during.perSource}); east RSS ${rss0} -> ${rss1} kB; ${answers} answers`);
    expect(rss1 - rss0).toBeLessThan(96 * 1024);
    sock.close();
  }, 120_000);
});
