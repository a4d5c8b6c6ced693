// pluto: the IKE daemon under Deno. Only the Deno calls are here (UDP, the whack socket, files,
// signals, Workers, permissions); the daemon itself is hosts/daemon.ts, as under Node.
//   deno run --no-prompt --unstable-net --allow-net --allow-read --allow-write=/run/pluto \
//     --allow-sys=networkInterfaces hosts/deno/pluto.ts --config /etc/ipsec.conf
import { parseArgs } from "deno-std/cli/parse_args.js";
import { Daemon, type DaemonHost } from "../daemon.ts";
import { listenForSignals } from "../signals.ts";
import type { Endpoint } from "../engine.ts";
import { WhackServer } from "../whack-server.ts";
import { serveWhack } from "./whack-socket.ts";
import { runJob } from "../crypto/jobs.ts";
import { formatAddress, parseAddress } from "../config/values.ts";
import { defaultRoute } from "../config/defaultroute.ts";
import { provider } from "./provider.ts";
import { WorkerPool } from "./helpers.ts";
import { denoSpawnUpdown } from "./updown-spawn.ts";
import type { Kernel } from "../../kernel-shims/kernel.ts";
import { MemoryKernel } from "../../kernel-shims/memory.ts";
import { openDenoXfrmKernel } from "../../kernel-shims/netlink-deno.ts";

const USAGE = `usage: pluto --config FILE [--secrets FILE] [--rundir DIR] [--kernel xfrm|memory]
             [--nhelpers N] [--stderrlog] [--logfile F] [--debug WHAT] [--nofork]
             [--version] [--keylog FILE]   append each IKE SA's keys to FILE as a Wireshark
                               ikev2_decryption_table, and each Child SA's to esp_sa in
                               the same directory (secrets! off by default)
(deno task pluto grants writing to /run/pluto only: for another run directory run
 deno run ... --allow-write=DIR --allow-read=DIR --allow-net hosts/deno/pluto.ts --rundir DIR,
 which says each permission it lacks)`;
const fail = (msg: string, code = 1): never => {
  console.error(`pluto: ${msg}`);
  Deno.exit(code);
};
const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const text = (e: Endpoint) => formatAddress({ family: e.family === 6 ? 6 : 4, bytes: Array.from(e.addr) });
const hostPort = (e: Endpoint) => (e.family === 6 ? `[${text(e)}]:${e.port}` : `${text(e)}:${e.port}`);

// A refused permission, said as the flag that grants it.
function needs(e: unknown, why: string): string | null {
  if (!(e instanceof Deno.errors.NotCapable)) return null;
  const m = /Requires (\w+) access to "?([^",]+)"?/.exec(e.message);
  return m ? `needs --allow-${m[1]}=${m[2]} ${why}` : `${e.message} (${why})`;
}
// Every permission known to be needed before starting, said all at once.
type Want = [Deno.PermissionDescriptor, string, string]; // what, the flag, why
function check(wants: Want[]): void {
  const missing = wants.filter(([d]) => Deno.permissions.querySync(d).state !== "granted").map(([, flag, why]) => `needs ${flag} ${why}`);
  if (missing.length) fail(missing.join("\npluto: "));
}

type Flags = { config?: string; secrets?: string; rundir?: string; kernel?: string; nhelpers?: string; logfile?: string; keylog?: string; debug: string[]; help: boolean; version: boolean };
const args = parseArgs(Deno.args, {
  string: ["config", "secrets", "rundir", "kernel", "nhelpers", "logfile", "debug", "keylog"],
  boolean: ["stderrlog", "nofork", "help", "version"],
  collect: ["debug"],
  alias: { h: "help" },
  unknown: (a: string) => fail(`unknown option ${a}\n${USAGE}`, 2),
}) as unknown as Flags;
if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (args.version) {
  // the package's version, as the Node tools print it
  let v = "unknown version: package.json not found";
  try {
    const pkg = JSON.parse(Deno.readTextFileSync(new URL("../../package.json", import.meta.url))) as { name?: string; version?: string };
    if (pkg.name === "pluto-wasm" && pkg.version) v = pkg.version;
  } catch {
    // no package.json beside the sources
  }
  console.log(`pluto (pluto-wasm) ${v}`);
  Deno.exit(0);
}
const config: string = args.config ?? fail(`--config is required\n${USAGE}`, 2);
const kernel = (args.kernel ?? "memory") as "memory" | "xfrm";
if (kernel !== "memory" && kernel !== "xfrm") fail(`--kernel must be xfrm or memory, not ${kernel}`, 2);
const nhelpers = args.nhelpers === undefined ? Math.max(1, navigator.hardwareConcurrency - 1) : Number(args.nhelpers);
if (!Number.isInteger(nhelpers) || nhelpers < 0 || nhelpers > 64) fail("--nhelpers must be a whole number from 0 to 64", 2);
const rundir: string = args.rundir ?? "/run/pluto";
const ctl = `${rundir}/pluto.ctl`;
const pidfile = `${rundir}/pluto.pid`;
const logfile: string | undefined = args.logfile;
check([
  [{ name: "read", path: config }, `--allow-read=${config}`, "to read the configuration"],
  ...(args.secrets ? [[{ name: "read", path: args.secrets }, `--allow-read=${args.secrets}`, "to read the secrets"] as Want] : []),
  [{ name: "read", path: root }, `--allow-read=${root}`, "to read build/core.wasm and the helpers' sources"],
  [{ name: "write", path: rundir }, `--allow-write=${rundir}`, `for the run directory (pid file, control socket)${rundir === "/run/pluto" ? "" : "; deno task pluto grants /run/pluto only, run deno run with these flags instead (see --help)"}`],
  [{ name: "read", path: rundir }, `--allow-read=${rundir}`, "for the control socket"],
  [{ name: "net", host: `unix:${ctl}` }, `--allow-net=unix:${ctl}`, "for the control socket"],
  ...(logfile ? [[{ name: "write", path: logfile }, `--allow-write=${logfile}`, "for the log file"] as Want] : []),
  // the key log and, beside it, esp_sa
  ...(args.keylog ? [[{ name: "write", path: args.keylog.replace(/[^/]*$/, "") || "." }, `--allow-write=${args.keylog.replace(/[^/]*$/, "") || "."}`, "for --keylog (its file and esp_sa beside it)"] as Want] : []),
  ...(kernel === "xfrm" ? [[{ name: "ffi" }, "--allow-ffi", "for --kernel xfrm (the XFRM netlink sockets, through libc)"] as Want] : []),
]);
let kernelImpl: Kernel = new MemoryKernel({ lean: true });
if (kernel === "xfrm") {
  try {
    kernelImpl = openDenoXfrmKernel();
  } catch (e) {
    fail(needs(e, "for --kernel xfrm") ?? `--kernel xfrm: ${(e as Error).message} (use --kernel memory where XFRM cannot be used)`);
  }
}
try {
  Deno.mkdirSync(rundir, { recursive: true, mode: 0o700 });
} catch (e) {
  fail(`cannot create run directory ${rundir}: ${(e as Error).message} (use --rundir DIR)`);
}

const encoder = new TextEncoder();
const log = (line: string) => {
  const t = `${new Date().toISOString()} ${line}\n`;
  try {
    if (logfile) return Deno.writeTextFileSync(logfile, t, { append: true });
  } catch {
    // fall through to stderr
  }
  Deno.stderr.writeSync(encoder.encode(t));
};
const said = new Set<string>();
const hint = (e: unknown, why: string): boolean => {
  const h = needs(e, why);
  if (h && !said.has(h)) log(`pluto: ${h}`);
  if (h) said.add(h);
  return h !== null;
};
// signals before anything slow (hosts/signals.ts): a SIGHUP while a large ipsec.conf loads
// must not meet the default action, death without a word; each waits for start-up
const { signals, started } = listenForSignals(log, (sig, f) => Deno.addSignalListener(sig, f), () => daemon, () => stop(0), `pluto ${Deno.pid}: reading ${config}`);
const pool = nhelpers === 0 ? null : new WorkerPool(nhelpers);
const sockets = new Map<string, Deno.DatagramConn>();
let timer: ReturnType<typeof setTimeout> | undefined;
let timerAt = 0;
let stopping = false;
const t0 = performance.now();
const host: DaemonHost = {
  now: () => performance.now() - t0 + 1,
  io: {
    readFile: (p) => {
      try {
        return Deno.readTextFileSync(p);
      } catch (e) {
        hint(e, `to read ${p}`);
        return null;
      }
    },
    listDir: (d) => {
      try {
        return [...Deno.readDirSync(d)].map((x) => x.name);
      } catch (e) {
        hint(e, `to read the directory ${d}`);
        return null;
      }
    },
  },
  fileMode: (p) => {
    try {
      return (Deno.statSync(p).mode ?? 0) & 0o777;
    } catch {
      return null;
    }
  },
  localAddresses: () => {
    try {
      return Deno.networkInterfaces().map((i) => i.address.replace(/%.*$/, ""));
    } catch (e) {
      if (!hint(e, "to find the local addresses (or set listen= in config setup)")) log(`cannot list local addresses: ${(e as Error).message}`);
      return [];
    }
  },
  resolveDefaultRoute: (family) => {
    const read = (p: string) => {
      try {
        return Deno.readTextFileSync(p);
      } catch (e) {
        hint(e, "to resolve %defaultroute");
        return null;
      }
    };
    let ifaces: { name: string; address: string; family: 4 | 6 }[] = [];
    try {
      ifaces = Deno.networkInterfaces().map((i) => ({ name: i.name, address: i.address.replace(/%.*$/, ""), family: i.family === "IPv6" ? 6 : 4 }));
    } catch (e) {
      if (!hint(e, "to resolve %defaultroute")) log(`cannot list local addresses: ${(e as Error).message}`);
    }
    return defaultRoute(family, read("/proc/net/route"), read("/proc/net/ipv6_route"), ifaces);
  },
  send: (local, remote, bytes, natT) => {
    const s = sockets.get(hostPort(local));
    if (!s) return log(`cannot send ${bytes.length} bytes to ${hostPort(remote)}: no socket on ${hostPort(local)}`);
    const data = natT ? Uint8Array.of(0, 0, 0, 0, ...bytes) : bytes;
    s.send(data, { transport: "udp", hostname: text(remote), port: remote.port }).catch((e) => {
      if (!hint(e, `to send to the peer ${hostPort(remote)}`)) log(`sending to ${hostPort(remote)} failed: ${(e as Error).message}`);
    });
  },
  runJob: (job) => (pool ? pool.submit(job) : Promise.resolve(runJob(provider, job))),
  setTimer: (at) => {
    if (timer !== undefined && at === timerAt) return; // armed for that already (most events leave it)
    clearTimeout(timer);
    timerAt = at;
    timer = at > 0 ? setTimeout(() => {
      timer = undefined;
      daemon.timeout();
    }, Math.max(0, at - host.now())) : undefined;
  },
  log,
  // leftupdown= scripts, when allowed to run /bin/sh (--allow-run=/bin/sh: what the script
  // runs is then the operator's business, as with Libreswan)
  ...(Deno.permissions.querySync({ name: "run", command: "/bin/sh" }).state === "granted" ? { spawnUpdown: denoSpawnUpdown } : {}),
  listen: async (eps) => {
    const errors: string[] = [];
    for (const e of eps) {
      if (sockets.has(hostPort(e))) continue;
      let s: Deno.DatagramConn;
      try {
        s = Deno.listenDatagram({ transport: "udp", hostname: text(e), port: e.port });
      } catch (err) {
        errors.push(needs(err, `to listen on ${hostPort(e)}`) ?? `cannot listen on ${hostPort(e)}: ${(err as Error).message}`);
        continue;
      }
      const port4500 = e.port === (daemon.config?.setup.nattPort ?? 4500);
      sockets.set(hostPort(e), s);
      log(`listening for IKE messages on ${hostPort(e)}${port4500 ? " (NAT-T)" : ""}`);
      (async () => {
        for (;;) {
          const [data, addr] = await s.receive();
          const a = parseAddress((addr as Deno.NetAddr).hostname.replace(/^::ffff:(?=\d+\.)/, ""));
          if (a) daemon.datagram(data, e, { family: a.family, port: (addr as Deno.NetAddr).port, addr: Uint8Array.from(a.bytes) }, port4500);
        }
      })().catch((err) => stopping || log(`socket ${hostPort(e)}: ${(err as Error).message}`));
    }
    return errors;
  },
  appendFile: (path, text) => {
    try {
      Deno.writeTextFileSync(path, text, { append: true, mode: 0o600 });
    } catch (e) {
      if (!hint(e, `to write the key log ${path}`)) log(`cannot write the key log ${path}: ${(e as Error).message}`);
    }
  },
  chmod: (path, mode) => {
    try {
      Deno.chmodSync(path, mode);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  },
};

const daemon = new Daemon(await WebAssembly.compile(await Deno.readFile(`${root}/build/core.wasm`)), provider, host, { config, secrets: args.secrets, kernel, kernelImpl, debug: args.debug, ...(args.keylog ? { keylog: args.keylog } : {}) });
const loaded = daemon.load();
for (const w of loaded.warnings) log(`warning: ${w}`);
if (!loaded.ok) {
  for (const e of loaded.errors) log(`error: ${e}`);
  fail("configuration has errors: not starting");
}
check([
  ...daemon.ports().map((e): Want => [{ name: "net", host: hostPort(e) }, `--allow-net=${hostPort(e)}`, "to listen for IKE messages"]),
  ...(daemon.config?.setup.listen ? [] : [[{ name: "sys", kind: "networkInterfaces" }, "--allow-sys=networkInterfaces", "to find the local addresses (or set listen= in config setup)"] as Want]),
]);

// a daemon still answering on the socket owns it; a stale socket from a crash is removed
if (await Deno.connect({ transport: "unix", path: ctl }).then((c) => (c.close(), true), () => false)) fail(`another pluto is running on ${ctl}: not starting`);
try {
  Deno.removeSync(ctl);
} catch {
  // none
}
let listener!: Deno.Listener;
try {
  listener = Deno.listen({ transport: "unix", path: ctl });
  Deno.chmodSync(ctl, 0o600);
  Deno.writeTextFileSync(pidfile, `${Deno.pid}\n`);
} catch (e) {
  fail(needs(e, "for the control socket") ?? `cannot open the control socket ${ctl}: ${(e as Error).message}`);
}
log(`pluto ${Deno.pid} starting (kernel: ${kernel}, helpers: ${pool ? "pool" : "inline"})`);
// a turn of the event loop: a signal that came while the configuration loaded is noticed (and
// logged) now, and handled once started
await new Promise((res) => setTimeout(res, 0));
for (const e of await host.listen(daemon.ports())) log(e);
for (const line of await daemon.start()) log(line);
started();

const whack = new WhackServer({
  handle: (req, emit) => daemon.whack(req, emit),
  answered: (req) => {
    if (req.cmd === "shutdown") setTimeout(() => stop(0), 0);
  },
  log,
  now: () => performance.now(),
});
(async () => {
  for (;;) {
    let c: Deno.Conn;
    try {
      c = await listener.accept();
    } catch (e) {
      if (stopping || e instanceof Deno.errors.BadResource) return;
      whack.acceptFailed((e as Error).message);
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    serveWhack(whack, c);
  }
})();

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  signals.stopping();
  log("pluto: shutting down");
  await daemon.shutdown();
  await daemon.updownSettled(5000); // the down scripts of the Child SAs just deleted
  clearTimeout(timer);
  for (const s of sockets.values()) s.close();
  listener.close();
  whack.disarm();
  for (const f of [ctl, pidfile]) {
    try {
      Deno.removeSync(f);
    } catch {
      // gone already
    }
  }
  pool?.close();
  log("pluto: stopped");
  Deno.exit(code);
}
