#!/usr/bin/env node
// addconn: check and list the connections of an ipsec.conf, as Libreswan's `ipsec addconn`.
// The parsing is hosts/config/ (shared with the Deno host); this file supplies Node's file
// system, parses arguments and sets the exit code.
import { versionLine } from "./version.ts";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { ConfigIO } from "../config/io.ts";
import type { Diagnostic } from "../config/diagnostics.ts";
import { loadIpsecConf } from "../config/ipsecconf.ts";
import { normalizeConfig } from "../config/normalize.ts";
import { whackRequest } from "./whack-client.ts";

const USAGE =
  "usage: addconn [--config FILE] (--checkconfig | --listall | --listadd | --listroute | --liststart | --listignore | --autoall) [--json] [--normalized] [--quiet]";

const HELP = `${USAGE}

Reads an ipsec.conf in Libreswan's syntax (with its includes) and checks or lists its conns.

  --config FILE   the file to read (default /etc/ipsec.conf)
  --checkconfig   check the file: exit 0 when valid, 1 with the errors (file:line:column: message)
  --listall       print every conn name, one per line, in file order (conn %default excluded)
  --listadd       ... the conns with auto=add
  --listroute     ... the conns with auto=ondemand (or route)
  --liststart     ... the conns with auto=start (or up)
  --listignore    ... the conns with auto=ignore (or no auto=)
  --autoall       load every auto=add/ondemand/start conn into the running pluto (which must
                  have been started with the same --config), and bring up the auto=start ones;
                  --ctlsocket PATH or --rundir DIR name pluto's control socket
  --json          print {"ok","errors","warnings","conns":[{"name","auto"}]} instead
  --normalized    with --json: add "setup" and "normalized" (the connection objects for the core)
  --quiet         do not print warnings
  -h, --help      this text
  --version       the version

Errors go to stderr. Exit status: 0 when the file is valid, 1 when it has errors (or for
--autoall), 2 on a usage error.`;

function usage(msg: string): never {
  process.stderr.write(`addconn: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

const nodeIO: ConfigIO = {
  readFile(path: string): string | null {
    try {
      if (!statSync(path).isFile()) return null;
      return readFileSync(path, "utf8");
    } catch {
      return null;
    }
  },
  listDir(dir: string): string[] | null {
    try {
      return readdirSync(dir);
    } catch {
      return null;
    }
  },
};

/** %defaultroute from /proc/net/route and the interface's address (IPv4 only). */
function defaultRoute(family: 4 | 6 | null): { address: string; gateway: string | null } | null {
  if (family === 6) return null;
  try {
    for (const line of readFileSync("/proc/net/route", "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 3 || f[1] !== "00000000") continue;
      const gw = Number.parseInt(f[2]!, 16);
      const gateway = gw === 0 ? null : [gw & 255, (gw >>> 8) & 255, (gw >>> 16) & 255, gw >>> 24].join(".");
      const addr = networkInterfaces()[f[0]!]?.find((a) => a.family === "IPv4");
      if (addr !== undefined) return { address: addr.address, gateway };
    }
  } catch {
    /* no /proc: cannot resolve */
  }
  return null;
}

type Mode = "checkconfig" | "listall" | "listadd" | "listroute" | "liststart" | "listignore" | "autoall";

function main(argv: string[]): number | Promise<number> {
  let config = "/etc/ipsec.conf";
  let mode: Mode | null = null;
  let json = false;
  let normalized = false;
  let quiet = false;
  let ctl = process.env.PLUTO_CTL ?? "/run/pluto/pluto.ctl";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [name, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    switch (name) {
      case "--config": {
        const v = inline ?? argv[++i];
        if (v === undefined || v === "") usage("--config needs a file name");
        config = v;
        break;
      }
      case "--checkconfig":
      case "--listall":
      case "--listadd":
      case "--listroute":
      case "--liststart":
      case "--listignore":
      case "--autoall":
        if (mode !== null && mode !== name.slice(2)) usage(`--${mode} and ${name} cannot be combined`);
        mode = name.slice(2) as Mode;
        break;
      case "--json":
        json = true;
        break;
      case "--ctlsocket":
      case "--rundir": {
        const v = inline ?? argv[++i];
        if (v === undefined || v === "") usage(`${name} needs a value`);
        ctl = name === "--rundir" ? `${v.replace(/\/$/, "")}/pluto.ctl` : v;
        break;
      }
      case "--normalized":
        normalized = true;
        break;
      case "--quiet":
        quiet = true;
        break;
      case "-h":
      case "--help":
        process.stdout.write(HELP + "\n");
        return 0;
      case "--version":
        process.stdout.write(versionLine("addconn") + "\n");
        return 0;
      default:
        usage(`unknown option '${a}'`);
    }
  }
  if (mode === null) usage("nothing to do: give --checkconfig, --listall, --listadd, --listroute, --liststart or --autoall");
  const loaded = loadIpsecConf(config, nodeIO);
  const result = normalizeConfig(loaded, { resolveDefaultRoute: defaultRoute });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const warnings = result.diagnostics.filter((d) => d.severity === "warning");
  const ok = errors.length === 0;

  const line = (d: Diagnostic) =>
    d.severity === "error" ? `${d.file}:${d.line}:${d.column}: ${d.message}` : `${d.file}:${d.line}:${d.column}: warning: ${d.message}`;

  const listed = loaded.conns.filter((c) => {
    switch (mode) {
      case "listadd":
        return c.auto === "add";
      case "listroute":
        return c.auto === "ondemand";
      case "liststart":
        return c.auto === "start";
      case "listignore":
        return c.auto === "ignore";
      default:
        return true;
    }
  });

  if (json) {
    const doc: Record<string, unknown> = {
      ok,
      errors,
      warnings,
      conns: (mode === "checkconfig" ? loaded.conns : listed).map((c) => ({ name: c.name, auto: c.auto })),
    };
    if (normalized) {
      doc.setup = result.setup;
      doc.normalized = result.conns;
    }
    process.stdout.write(JSON.stringify(doc, null, 1) + "\n");
    return ok ? 0 : 1;
  }

  for (const d of errors) process.stderr.write(`${line(d)}\n`);
  if (!quiet) for (const d of warnings) process.stderr.write(`${line(d)}\n`);
  if (mode === "autoall") return autoall(loaded.conns.filter((c) => c.auto === "add" || c.auto === "ondemand" || c.auto === "start"), ctl);
  if (mode !== "checkconfig" && loaded.ok) {
    process.stdout.write(listed.map((c) => `${c.name}\n`).join(""));
  }
  return ok ? 0 : 1;
}

// Loads each conn into pluto over whack (and initiates auto=start ones); exit 1 if any failed.
async function autoall(conns: { name: string; auto: string }[], ctl: string): Promise<number> {
  {
    let failed = 0;
    for (const c of conns) {
      const r = await whackRequest(ctl, { cmd: "add", name: c.name });
      process.stdout.write(r.ok ? `${r.text}\n` : "");
      if (!r.ok) {
        failed++;
        process.stderr.write(`addconn: ${c.name}: ${r.error}\n`);
        if (/cannot talk to pluto/.test(r.error ?? "")) return 1;
        continue;
      }
      if (c.auto === "start") {
        // started, not waited for, as Libreswan's addconn does (whack_async)
        const u = await whackRequest(ctl, { cmd: "initiate", name: c.name, async: true });
        if (!u.ok) {
          failed++;
          process.stderr.write(`addconn: ${c.name}: ${u.error}\n`);
        } else process.stdout.write(`${u.text}\n`);
      }
    }
    return failed ? 1 : 0;
  }
}

const rc = main(process.argv.slice(2)) as number | Promise<number>;
if (typeof rc === "number") process.exitCode = rc;
else void rc.then((c) => (process.exitCode = c));
