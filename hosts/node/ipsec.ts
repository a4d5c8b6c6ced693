#!/usr/bin/env node
// ipsec: the Libreswan-style front end. `ipsec auto ...`, `ipsec whack ARGS`, `ipsec status`,
// `ipsec trafficstatus` talk to pluto over its control socket; `ipsec addconn ARGS` is addconn;
// `ipsec start|stop|restart` run pluto in the background (its pid file and control socket in
// the run directory).
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runAuto, runWhack } from "./whack-cli.ts";
import { finish, versionLine } from "./version.ts";

const USAGE = `usage: ipsec auto [--asynchronous] [--rundir DIR | --ctlsocket PATH] --up|--down|--add|--delete|--replace|--start|--route|--unroute|--ondemand NAME
       ipsec auto [--rundir DIR | --ctlsocket PATH] --status|--ready|--rereadall|--rereadsecrets
       ipsec whack ARGS              (whack --help)
       ipsec addconn ARGS            (addconn --help)
       ipsec status | ipsec trafficstatus  [--rundir DIR | --ctlsocket PATH]
       ipsec start [PLUTO OPTIONS]   start pluto in the background (pluto --help; the run
                                     directory, --rundir, default /run/pluto, gets pluto.pid and
                                     pluto.ctl) and wait until its control socket answers
       ipsec stop [--rundir DIR]     stop it (SIGTERM: it deletes its SAs with their peers) and
                                     wait until it has exited
       ipsec restart [PLUTO OPTIONS] stop, then start
       ipsec --version | --help`;

const here = dirname(fileURLToPath(import.meta.url));
const tool = (name: string) => join(here, `${name}.js`);

// how long start waits for the control socket, stop for the process to go (pluto's shutdown
// takes up to 30 s with peers that do not answer)
const START_MS = 60000;
const STOP_MS = 40000;

function rundirOf(args: string[]): string {
  const i = args.indexOf("--rundir");
  return i >= 0 && args[i + 1] ? args[i + 1].replace(/\/$/, "") : "/run/pluto";
}

function readPid(rundir: string): number | null {
  try {
    const pid = Number(readFileSync(join(rundir, "pluto.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function answers(ctl: string): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(ctl);
    s.once("connect", () => (s.destroy(), res(true)));
    s.once("error", () => res(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// pluto in the background, its own session, stdin closed; its log goes where its options say
// (--logfile, else the run directory's pluto.log). Waits for the control socket to answer.
async function start(args: string[]): Promise<number> {
  const rundir = rundirOf(args);
  const ctl = join(rundir, "pluto.ctl");
  const old = readPid(rundir);
  if (old !== null && alive(old) && (await answers(ctl))) {
    process.stderr.write(`ipsec start: pluto ${old} is already running (${join(rundir, "pluto.pid")})\n`);
    return 1;
  }
  try {
    mkdirSync(rundir, { recursive: true, mode: 0o700 });
  } catch (e) {
    process.stderr.write(`ipsec start: cannot create ${rundir}: ${(e as Error).message}\n`);
    return 1;
  }
  const logfile = args.includes("--logfile") ? null : join(rundir, "pluto.log");
  const out = openSync(logfile ?? "/dev/null", "a", 0o600);
  const child = spawn(process.execPath, [tool("pluto"), ...args, ...(logfile ? ["--stderrlog"] : [])], { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  let exited: number | null = null;
  child.on("exit", (code, sig) => (exited = code ?? (sig ? 128 : 1)));
  const end = Date.now() + START_MS;
  while (Date.now() < end) {
    if (exited !== null) {
      const tail = logfile && existsSync(logfile) ? readFileSync(logfile, "utf8").split("\n").slice(-20).join("\n") : "";
      process.stderr.write(`ipsec start: pluto exited with status ${exited} before its control socket answered${logfile ? `; the end of ${logfile}:\n${tail}` : " (see its --logfile)"}\n`);
      return 1;
    }
    if (readPid(rundir) === child.pid && (await answers(ctl))) {
      child.unref();
      process.stdout.write(`pluto ${child.pid} started (control socket ${ctl}${logfile ? `, log ${logfile}` : ""})\n`);
      return 0;
    }
    await sleep(50);
  }
  process.stderr.write(`ipsec start: pluto ${child.pid} did not answer on ${ctl} within ${START_MS / 1000} s; it is left running\n`);
  child.unref();
  return 1;
}

async function stop(args: string[]): Promise<number> {
  const rundir = rundirOf(args);
  const pid = readPid(rundir);
  if (pid === null || !alive(pid)) {
    process.stderr.write(`ipsec stop: pluto is not running (${pid === null ? `no pid in ${join(rundir, "pluto.pid")}` : `no process ${pid}`})\n`);
    return 1;
  }
  process.kill(pid, "SIGTERM");
  const end = Date.now() + STOP_MS;
  while (Date.now() < end) {
    if (!alive(pid)) {
      process.stdout.write(`stopped pluto ${pid}\n`);
      return 0;
    }
    await sleep(50);
  }
  process.stderr.write(`ipsec stop: pluto ${pid} has not exited ${STOP_MS / 1000} s after SIGTERM\n`);
  return 1;
}

// another tool with the arguments given, its exit status ours
function run(name: string, args: string[]): void {
  const r = spawnSync(process.execPath, [tool(name), ...args], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
}

const [sub, ...rest] = process.argv.slice(2);
const done = (p: Promise<number>) => void p.then((code) => (process.exitCode = code));
if (sub === "auto") runAuto(rest);
else if (sub === "whack") runWhack(rest);
else if (sub === "status" || sub === "trafficstatus") runWhack([`--${sub}`, ...rest]);
else if (sub === "addconn") run("addconn", rest);
else if (sub === "start") done(start(rest));
else if (sub === "stop") done(stop(rest));
else if (sub === "restart") done(stop(rest).then(() => start(rest)));
else if (sub === "--version" || sub === "version") finish(versionLine("ipsec"), 0);
else if (sub === "--help" || sub === "-h" || sub === "help") finish(USAGE, 0);
else finish(USAGE, 2, process.stderr);
