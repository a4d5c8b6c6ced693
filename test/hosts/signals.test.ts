// Signals at any time, to a real pluto process this test starts (and stops, by its PID): a
// SIGHUP or SIGTERM sent while a 2,000-connection ipsec.conf is still loading (it used to meet
// Node's default action: death without a log line) is handled after start-up; SIGHUP and
// SIGTERM back to back are handled in that order; each is logged when it comes. Runs the
// compiled daemon (npm test builds it first).
import { afterEach, describe, expect, test } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Signals } from "../../hosts/signals.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pluto = join(root, "dist/hosts/node/pluto.js");
const whackJs = join(root, "dist/hosts/node/whack.js");
const built = existsSync(pluto) && existsSync(whackJs);
if (!built) console.log("signal tests skipped: dist/ is not built (run npm run build)");

const N = 2000;
const base = 24000 + (process.pid % 20000);

function conf(): string {
  const out = ["config setup\n\tlisten=127.0.0.1\n"];
  for (let i = 0; i < N; i++) {
    out.push(`conn c${i}\n\tleft=127.0.0.1\n\tleftikeport=${base}\n\tleftid=@west.test\n\tleftsubnet=10.1.${i >> 8}.${i & 255}/32\n` +
      `\tright=127.0.0.2\n\trightikeport=${base + 1}\n\trightid=@east.test\n\trightsubnet=10.2.${i >> 8}.${i & 255}/32\n\tauthby=secret\n\tauto=add\n`);
  }
  return out.join("\n");
}

// One daemon: its log lines as they come, bounded waits for them, its exit.
class Pluto {
  readonly dir = mkdtempSync(join(tmpdir(), "pluto-signals-"));
  readonly proc: ChildProcess;
  log = "";
  readonly exited: Promise<number | null>;
  constructor() {
    mkdirSync(join(this.dir, "run"), { mode: 0o700 });
    writeFileSync(join(this.dir, "ipsec.conf"), conf());
    writeFileSync(join(this.dir, "ipsec.secrets"), `@west.test @east.test : PSK "a signal test secret, long enough"\n`);
    chmodSync(join(this.dir, "ipsec.secrets"), 0o600);
    this.proc = spawn(process.execPath, [pluto, "--config", join(this.dir, "ipsec.conf"), "--secrets", join(this.dir, "ipsec.secrets"),
      "--rundir", join(this.dir, "run"), "--nhelpers", "0", "--stderrlog"], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stderr!.on("data", (b) => (this.log += b));
    this.proc.stdout!.on("data", (b) => (this.log += b));
    this.exited = new Promise((res) => this.proc.once("close", (code) => res(code))); // (after the last of its output)
  }
  async until(re: RegExp, ms = 30000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (re.test(this.log)) return;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`waiting for ${re}: ${this.proc.signalCode ? `killed by ${this.proc.signalCode}` : this.proc.exitCode !== null ? `exited ${this.proc.exitCode}` : "timed out"}\n${this.log}`);
  }
  signal(sig: NodeJS.Signals): void {
    // (in the log too, for whoever reads it after a failure)
    this.log += `${new Date().toISOString()} (test: sending ${sig})\n`;
    process.kill(this.proc.pid!, sig);
  }
  whack(...args: string[]): { code: number; out: string } {
    const r = spawnSync(process.execPath, [whackJs, "--rundir", join(this.dir, "run"), ...args], { encoding: "utf8", timeout: 20000 });
    return { code: r.status ?? 1, out: r.stdout + r.stderr };
  }
  // the log without the 4,000 lines of connections added
  brief(): string {
    return this.log.split("\n").filter((l) => !/added (IKEv2 )?connection/.test(l)).join("\n");
  }
  // the log lines matching each pattern, in the order given, each after the one before
  inOrder(...res: RegExp[]): boolean {
    const lines = this.log.split("\n").filter((l) => !/added (IKEv2 )?connection/.test(l) || /c1999/.test(l));
    let at = -1;
    for (const re of res) {
      const i = lines.findIndex((l, k) => k > at && re.test(l));
      if (i < 0) return false;
      at = i;
    }
    return true;
  }
  async close(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 10000);
      this.proc.kill("SIGTERM");
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let daemon: Pluto | null = null;
afterEach(async () => {
  await daemon?.close();
  daemon = null;
});

describe.skipIf(!built)("signals to a running pluto", () => {
  test(`SIGHUP while ${N} connections load: handled once started; SIGHUP then SIGTERM: reread, then shutdown`, async () => {
    const d = (daemon = new Pluto());
    await d.until(/reading .*ipsec\.conf/);
    d.signal("SIGHUP");
    await d.until(/SIGHUP: reread .*ipsec\.conf: 0 added, 0 replaced, 0 removed, 2000 unchanged connection/);
    // (it comes while the connections load unless this test was too slow to send it then; it
    // is handled after start-up either way)
    expect(d.inOrder(/received SIGHUP( during start-up)?: rereading/, /pluto: SIGHUP: reread .*: 0 added, 0 replaced, 0 removed, 2000 unchanged/), d.brief()).toBe(true);
    expect(d.inOrder(/added connection "c1999"/, /pluto: SIGHUP: reread /), d.brief()).toBe(true);
    expect(d.whack("--briefstatus").out).toMatch(/connections: 2000/);
    // a reread, and a shutdown asked for while it runs
    // (two signals sent within microseconds may reach the process in either order: the kernel
    // keeps pending signals as a set, not a queue; so SIGTERM goes once SIGHUP was received)
    d.signal("SIGHUP");
    await d.until(/received SIGHUP[^\n]*\n[\s\S]*received SIGHUP: rereading/);
    d.signal("SIGTERM");
    expect(await d.exited).toBe(0);
    const reread = /SIGHUP: reread .*: 0 added, 0 replaced, 0 removed, 2000 unchanged/g;
    expect(d.log.match(reread)).toHaveLength(2);
    expect(d.inOrder(/received SIGHUP/, /pluto: SIGHUP: reread /, /received SIGHUP: rereading/, /pluto: SIGHUP: reread /, /pluto: shutting down/, /pluto: stopped/), d.brief()).toBe(true);
    expect(d.log).toMatch(/received SIGTERM: shutting down/);
    expect(existsSync(join(d.dir, "run", "pluto.ctl"))).toBe(false);
  }, 120000);

  test(`SIGTERM while ${N} connections load: the daemon starts, then stops cleanly`, async () => {
    const d = (daemon = new Pluto());
    await d.until(/reading .*ipsec\.conf/);
    d.signal("SIGTERM");
    expect(await d.exited).toBe(0);
    expect(d.inOrder(/received SIGTERM( during start-up)?: shutting down/, /pluto: shutting down/, /pluto: stopped/), d.brief()).toBe(true);
    expect(d.inOrder(/added connection "c1999"/, /pluto: shutting down/), d.brief()).toBe(true);
    for (const f of ["pluto.ctl", "pluto.pid"]) expect(existsSync(join(d.dir, "run", f)), f).toBe(false);
  }, 120000);
});

// The order itself, with actions that take their time: what comes during a reread waits for
// it; what comes during a shutdown changes nothing and says so.
describe("signal order", () => {
  test("start-up first, then each signal in turn; nothing after a shutdown", async () => {
    const log: string[] = [];
    const done: string[] = [];
    const rereads: (() => void)[] = [];
    let finishStart!: () => void;
    const flush = () => new Promise((r) => setTimeout(r, 0));
    const s = new Signals((l) => log.push(l), {
      reread: () => new Promise<string>((res) => {
        done.push("reread");
        rereads.push(() => res("reread done"));
      }),
      stop: async () => {
        done.push("stop");
      },
    });
    s.starting(new Promise<void>((res) => (finishStart = res)));
    s.deliver("SIGHUP");
    s.deliver("SIGHUP");
    await flush();
    expect(done).toEqual([]); // start-up is not over
    finishStart();
    await flush();
    expect(done).toEqual(["reread"]);
    // during the reread: a shutdown is asked for; what comes after it changes nothing
    s.deliver("SIGINT");
    s.deliver("SIGHUP");
    s.deliver("SIGTERM");
    rereads[0]();
    await flush();
    expect(done).toEqual(["reread", "reread"]); // the SIGHUP that came before SIGINT
    rereads[1]();
    await flush();
    expect(done).toEqual(["reread", "reread", "stop"]);
    expect(log).toEqual([
      "pluto: received SIGHUP during start-up: rereading the configuration and secrets once started",
      "pluto: received SIGHUP during start-up: rereading the configuration and secrets once started",
      "pluto: received SIGINT: shutting down",
      "pluto: received SIGHUP while shutting down: ignored",
      "pluto: received SIGTERM while shutting down: ignored",
      "pluto: SIGHUP: reread done",
      "pluto: SIGHUP: reread done",
    ]);
  });
});
