#!/usr/bin/env node
// pluto: the IKE daemon under Node. Everything but sockets, timers, files, signals and helper
// threads is shared (hosts/daemon.ts, hosts/engine.ts, core.wasm).
import { parseArgs } from "node:util";
import dgram from "node:dgram";
import net from "node:net";
import os from "node:os";
import { readFileSync, statSync, readdirSync, mkdirSync, writeFileSync, unlinkSync, chmodSync, appendFileSync, existsSync } from "node:fs";
import { Daemon, type DaemonHost } from "../daemon.ts";
import { listenForSignals } from "../signals.ts";
import { defaultRoute } from "../config/defaultroute.ts";
import type { Endpoint } from "../engine.ts";
import { WhackServer } from "../whack-server.ts";
import { serveWhack } from "./whack-socket.ts";
import { coreModule } from "./corefile.ts";
import { nativeProvider } from "../crypto/native.ts";
import { runJob } from "../crypto/jobs.ts";
import { HelperPool } from "./helpers.ts";
import { versionLine } from "./version.ts";
import { nodeSpawnUpdown } from "./updown-spawn.ts";
import { openSyslog, syslogSocket, type Syslog } from "./syslog.ts";
import type { Kernel } from "../../kernel-shims/kernel.ts";
import { MemoryKernel } from "../../kernel-shims/memory.ts";
import { openNodeXfrmKernel } from "../../kernel-shims/netlink-node.ts";
import { openNodeUserspaceKernel } from "./tun.ts";

const localAddresses = () => Object.values(os.networkInterfaces()).flat().filter((i) => !!i).map((i) => i!.address.replace(/%.*$/, ""));

const USAGE = `usage: pluto [--config FILE] [--secrets FILE] [--rundir DIR] [--kernel xfrm|memory|userspace]
             [--tun NAME]   the TUN device of --kernel userspace (default ipsec0)
             [--nhelpers N] [--stderrlog] [--logfile F] [--syslogsocket PATH] [--debug WHAT]
             [--nofork] [--version] [--keylog FILE]
  --config     ipsec.conf (default /etc/ipsec.conf); --secrets: default secretsfile= of
               config setup, else /etc/ipsec.secrets; --rundir: default /run/pluto
  --stderrlog  log to stderr; else to --logfile, else to logfile= (plutostderrlog=) of config
               setup, else to syslog (--syslogsocket, default /dev/log) as pluto[PID]
  --keylog     append each IKE SA's keys to FILE as a Wireshark ikev2_decryption_table, and
               each Child SA's to esp_sa in the same directory (secrets! off by default)`;

function main(): void {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: "string" }, secrets: { type: "string" }, rundir: { type: "string" }, kernel: { type: "string" },
        nhelpers: { type: "string" }, stderrlog: { type: "boolean" }, logfile: { type: "string" }, debug: { type: "string", multiple: true },
        nofork: { type: "boolean" }, keylog: { type: "string" }, tun: { type: "string" }, syslogsocket: { type: "string" }, help: { type: "boolean", short: "h" }, version: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`pluto: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.version) {
    console.log(versionLine("pluto"));
    return;
  }
  const config = args.config ?? "/etc/ipsec.conf";
  const kernel = (args.kernel ?? "memory") as "memory" | "xfrm" | "userspace";
  if (kernel !== "memory" && kernel !== "xfrm" && kernel !== "userspace") {
    console.error(`pluto: --kernel must be xfrm, userspace or memory, not ${args.kernel}`);
    process.exit(2);
  }
  if (args.tun !== undefined && kernel !== "userspace") {
    console.error("pluto: --tun goes with --kernel userspace");
    process.exit(2);
  }
  const rundir = args.rundir ?? "/run/pluto";
  try {
    mkdirSync(rundir, { recursive: true, mode: 0o700 });
  } catch (e) {
    console.error(`pluto: cannot create run directory ${rundir}: ${(e as Error).message} (use --rundir DIR)`);
    process.exit(1);
  }
  // Where the log goes, as Libreswan's pluto decides it: --stderrlog; else --logfile, else
  // logfile= (plutostderrlog=) of config setup; else syslog. Decided once the configuration is
  // read; the lines before that wait for it (bounded).
  type Dest = { kind: "pending"; lines: string[]; dropped: number } | { kind: "stderr" } | { kind: "file"; path: string } | { kind: "syslog"; s: Syslog };
  let dest: Dest = { kind: "pending", lines: [], dropped: 0 };
  const stamped = (line: string) => `${new Date().toISOString()} ${line}\n`;
  const log = (line: string): void => {
    switch (dest.kind) {
      case "pending":
        if (dest.lines.length < 10000) dest.lines.push(stamped(line));
        else dest.dropped++;
        return;
      case "syslog":
        dest.s.write(line);
        return;
      case "file":
        try {
          appendFileSync(dest.path, stamped(line));
          return;
        } catch {
          // fall through to stderr
        }
    }
    process.stderr.write(stamped(line));
  };
  const logTo = (fromConfig: string | null, append: boolean): void => {
    if (dest.kind !== "pending") return;
    const early = dest;
    const file = args.logfile ?? fromConfig;
    const notes: string[] = [];
    if (args.stderrlog) dest = { kind: "stderr" };
    else if (file) {
      if (!append) {
        try {
          writeFileSync(file, ""); // logappend=no
        } catch (e) {
          notes.push(`pluto: cannot truncate the log file ${file}: ${(e as Error).message}`);
        }
      }
      dest = { kind: "file", path: file };
    } else {
      const socket = args.syslogsocket ?? "/dev/log";
      const why = syslogSocket(socket);
      if (why) {
        dest = { kind: "stderr" };
        notes.push(`pluto: ${why}: logging to stderr`);
      } else {
        dest = {
          kind: "syslog",
          s: openSyslog(socket, process.pid, (failed) => {
            dest = { kind: "stderr" };
            log(`pluto: ${failed}: logging to stderr from now on`);
          }),
        };
      }
    }
    // the early lines, as they were stamped (syslog stamps them itself)
    for (const l of early.lines) {
      if (dest.kind === "syslog") dest.s.write(l.slice(l.indexOf(" ") + 1));
      else if (dest.kind === "file") {
        try {
          appendFileSync(dest.path, l);
        } catch {
          process.stderr.write(l);
        }
      } else process.stderr.write(l);
    }
    if (early.dropped) log(`pluto: ${early.dropped} log line(s) from start-up not kept`);
    for (const n of notes) log(n);
  };
  let kernelImpl: Kernel;
  if (kernel === "userspace") {
    try {
      kernelImpl = openNodeUserspaceKernel(args.tun ?? "ipsec0", (l) => log(l), localAddresses);
    } catch (e) {
      console.error(`pluto: --kernel userspace: ${(e as Error).message}`);
      process.exit(1);
    }
  } else if (kernel === "xfrm") {
    try {
      kernelImpl = openNodeXfrmKernel();
    } catch (e) {
      console.error(`pluto: --kernel xfrm: ${(e as Error).message} (use --kernel memory where XFRM cannot be used)`);
      process.exit(1);
    }
  } else {
    kernelImpl = new MemoryKernel({ lean: true });
  }
  // signals before anything slow (hosts/signals.ts): a SIGHUP while a large ipsec.conf loads
  // must not meet Node's default action, death without a word; each waits for start-up
  let daemon!: Daemon;
  let stop: (code: number) => Promise<void> = async (code) => process.exit(code);
  const { signals, started } = listenForSignals(log, (sig, f) => process.on(sig, f), () => daemon, () => stop(0), `pluto ${process.pid}: reading ${config}`);

  const nhelpers = args.nhelpers === undefined ? undefined : Number(args.nhelpers);
  if (nhelpers !== undefined && (!Number.isInteger(nhelpers) || nhelpers < 0 || nhelpers > 64)) {
    console.error("pluto: --nhelpers must be a whole number from 0 to 64");
    process.exit(2);
  }
  const pool = nhelpers === 0 ? null : new HelperPool({ nhelpers, provider: "native" });

  const sockets = new Map<string, dgram.Socket>();
  const key = (e: Endpoint) => `${addrText(e)}|${e.port}`;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = 0;
  const t0 = performance.now();
  const host: DaemonHost = {
    now: () => performance.now() - t0 + 1,
    io: {
      readFile: (p) => {
        try {
          return readFileSync(p, "utf8");
        } catch {
          return null;
        }
      },
      listDir: (d) => {
        try {
          return readdirSync(d);
        } catch {
          return null;
        }
      },
    },
    fileMode: (p) => {
      try {
        return statSync(p).mode & 0o777;
      } catch {
        return null;
      }
    },
    localAddresses,
    resolveDefaultRoute: (family) => {
      const read = (p: string) => {
        try {
          return readFileSync(p, "utf8");
        } catch {
          return null;
        }
      };
      const ifaces = Object.entries(os.networkInterfaces()).flatMap(([name, list]) =>
        (list ?? []).map((i) => ({ name, address: i.address.replace(/%.*$/, ""), family: i.family === "IPv6" ? (6 as const) : (4 as const) })));
      return defaultRoute(family, read("/proc/net/route"), read("/proc/net/ipv6_route"), ifaces);
    },
    send: (local, remote, bytes, natT) => {
      const s = sockets.get(key(local));
      if (!s) {
        log(`cannot send ${bytes.length} bytes to ${addrText(remote)}:${remote.port}: no socket on ${addrText(local)}:${local.port}`);
        return;
      }
      const data = natT ? Buffer.concat([Buffer.alloc(4), bytes]) : Buffer.from(bytes);
      s.send(data, remote.port, addrText(remote), (err) => {
        if (err) log(`sending to ${addrText(remote)}:${remote.port} failed: ${err.message}`);
      });
    },
    runJob: (job) => (pool ? pool.submit(job) : Promise.resolve(runJob(nativeProvider, job))),
    setTimer: (at) => {
      if (timer && at === timerAt) return; // armed for that already (most events leave it)
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = at;
      if (at > 0) timer = setTimeout(() => {
        timer = null;
        daemon.timeout();
      }, Math.max(0, at - host.now()));
    },
    log,
    appendFile: (path, text) => {
      try {
        appendFileSync(path, text, { mode: 0o600 });
      } catch (e) {
        log(`cannot write the key log ${path}: ${(e as Error).message}`);
      }
    },
    spawnUpdown: nodeSpawnUpdown,
    interfaceOf: (address) => Object.entries(os.networkInterfaces()).find(([, l]) => (l ?? []).some((i) => i.address.replace(/%.*$/, "") === address))?.[0] ?? null,
    chmod: (path, mode) => {
      try {
        chmodSync(path, mode);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
    listen: async (eps) => {
      const errors: string[] = [];
      for (const e of eps) {
        if (sockets.has(key(e))) continue;
        const s = dgram.createSocket({ type: e.family === 6 ? "udp6" : "udp4", reuseAddr: false });
        const nattPort = daemon.config?.setup.nattPort ?? 4500;
        const port4500 = e.port === nattPort;
        const ok = await new Promise<boolean>((res) => {
          s.once("error", (err) => {
            errors.push(`cannot listen on ${addrText(e)}:${e.port}: ${err.message}`);
            res(false);
          });
          s.bind(e.port, addrText(e), () => res(true));
        });
        if (!ok) {
          s.close();
          continue;
        }
        s.on("error", (err) => log(`socket ${addrText(e)}:${e.port}: ${err.message}`));
        s.on("message", (msg, rinfo) => {
          const a = parseIp(rinfo.address);
          if (!a) return;
          const remote: Endpoint = { family: a.length === 16 ? 6 : 4, port: rinfo.port, addr: a };
          daemon.datagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), e, remote, port4500);
        });
        sockets.set(key(e), s);
        log(`listening for IKE messages on ${addrText(e)}:${e.port}${port4500 ? " (NAT-T)" : ""}`);
      }
      return errors;
    },
  };

  daemon = new Daemon(coreModule(), nativeProvider, host, { config, secrets: args.secrets, kernel, kernelImpl, debug: args.debug, keylog: args.keylog });
  // a reason to stop, logged and (wherever the log goes) said on stderr too
  function fatal(text: string, logIt = true): void {
    if (logIt) log(text);
    const d = dest as Dest; // (set by logTo)
    if (d.kind !== "stderr") process.stderr.write(text + "\n");
    void (d.kind === "syslog" ? d.s.close() : Promise.resolve()).then(() => process.exit(1));
  }
  const loaded = daemon.load();
  logTo(daemon.config?.setup.logfile ?? null, daemon.config?.setup.logappend ?? true);
  for (const w of loaded.warnings) log(`warning: ${w}`);
  if (!loaded.ok) {
    for (const e of loaded.errors) log(`error: ${e}`);
    log("pluto: configuration has errors: not starting");
    // (said on stderr too, wherever the log goes)
    fatal(`pluto: ${config} has errors: not starting\n${loaded.errors.map((e) => `error: ${e}`).join("\n")}`, false);
    return;
  }

  const ctl = `${rundir}/pluto.ctl`;
  const pidfile = `${rundir}/pluto.pid`;
  if (existsSync(ctl)) {
    // a daemon still answering on it owns it; a stale socket from a crash is removed
    const probe = net.connect(ctl);
    probe.once("connect", () => {
      fatal(`pluto: another pluto is running on ${ctl}: not starting`);
    });
    probe.once("error", () => {
      try {
        unlinkSync(ctl);
      } catch {
        // gone already
      }
      start();
    });
  } else {
    start();
  }

  function start(): void {
    const whack = new WhackServer({
      handle: (req, emit) => daemon.whack(req, emit),
      answered: (req) => {
        if (req.cmd === "shutdown") setImmediate(() => stop(0));
      },
      log,
      now: () => performance.now(),
    });
    const server = net.createServer({ allowHalfOpen: true }, (conn) => serveWhack(whack, conn));
    let listening = false;
    server.on("error", (e) => {
      if (listening) {
        whack.acceptFailed(e.message);
        return;
      }
      fatal(`pluto: cannot open the control socket ${ctl}: ${e.message}`);
    });
    // the socket is made 0600 as it is created (umask), not a moment later: no other user can
    // connect in between, whatever the run directory's mode
    const umask = process.umask(0o177);
    server.listen({ path: ctl, backlog: 1024 }, async () => {
      listening = true;
      process.umask(umask);
      chmodSync(ctl, 0o600);
      writeFileSync(pidfile, `${process.pid}\n`);
      log(`pluto ${process.pid} starting (kernel: ${kernel}, helpers: ${pool ? "pool" : "inline"})`);
      // two turns of the event loop (libuv dispatches a signal that came before the loop first
      // ran on its second): one that came while the configuration loaded is noticed (and
      // logged) now, and handled once started
      try {
        for (let i = 0; i < 2; i++) await new Promise((res) => setImmediate(res));
        const errors = await host.listen(daemon.ports());
        for (const e of errors) log(e);
        for (const line of await daemon.start()) log(line);
      } finally {
        started(); // (even when start-up failed: the signals waiting for it are handled)
      }
    });

    let stopping = false;
    stop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      signals.stopping();
      log("pluto: shutting down");
      await daemon.shutdown();
      await daemon.updownSettled(5000); // the down scripts of the Child SAs just deleted
      if (timer) clearTimeout(timer);
      for (const s of sockets.values()) s.close();
      server.close();
      whack.disarm();
      for (const f of [ctl, pidfile]) {
        try {
          unlinkSync(f);
        } catch {
          // gone already
        }
      }
      await pool?.close();
      log("pluto: stopped");
      if (dest.kind === "syslog") await dest.s.close();
      // stderr to a pipe is written asynchronously: its last lines go out before the process
      await new Promise<void>((res) => process.stderr.write("", () => res()));
      process.exit(code);
    };
  }
}

function addrText(e: Endpoint): string {
  if (e.family === 6) {
    const w: string[] = [];
    for (let i = 0; i < 16; i += 2) w.push(((e.addr[i] << 8) | e.addr[i + 1]).toString(16));
    return w.join(":");
  }
  return Array.from(e.addr.subarray(0, 4)).join(".");
}

function parseIp(s: string): Uint8Array | null {
  const m = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) return Uint8Array.of(+m[1], +m[2], +m[3], +m[4]);
  if (!s.includes(":")) return null;
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (words.length !== 8) return null;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    const v = parseInt(w, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 255;
  });
  return out;
}

main();
