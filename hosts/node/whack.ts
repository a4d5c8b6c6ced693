#!/usr/bin/env node
// whack: pluto's control client. `whack --status`, `whack --up --name NAME`, ... and, as
// `ipsec auto --add|--up|--down|--delete NAME`, the Libreswan-style form (hosts/node/ipsec.ts).
import net from "node:net";
import { parseWhackArgs, type WhackResponse } from "../whack-protocol.ts";

export function runWhack(argv: string[], defaultSocket = process.env.PLUTO_CTL ?? "/run/pluto/pluto.ctl"): void {
  const p = parseWhackArgs(argv);
  if (!p.ok) {
    console.error(`whack: ${p.error}`);
    process.exit(2);
  }
  const path = p.socket ?? defaultSocket;
  const sock = net.connect(path);
  let buf = "";
  const timer = setTimeout(() => {
    console.error(`whack: no answer from pluto on ${path} within 30 s`);
    process.exit(1);
  }, 30000);
  sock.setEncoding("utf8");
  sock.on("connect", () => sock.write(JSON.stringify(p.req) + "\n"));
  sock.on("error", (e) => {
    console.error(`whack: cannot talk to pluto on ${path}: ${e.message} (is pluto running? --ctlsocket PATH or --rundir DIR)`);
    process.exit(1);
  });
  sock.on("data", (chunk: string) => {
    buf += chunk;
    const i = buf.indexOf("\n");
    if (i < 0) return;
    clearTimeout(timer);
    let r: WhackResponse;
    try {
      r = JSON.parse(buf.slice(0, i)) as WhackResponse;
    } catch {
      console.error("whack: pluto sent something that is not JSON");
      process.exit(1);
    }
    sock.end();
    if (p.req.json) {
      console.log(JSON.stringify(r.ok ? (r.data ?? { ok: true, text: r.text }) : { ok: false, error: r.error }, null, 2));
    } else if (r.ok) {
      if (r.text) console.log(r.text);
    } else {
      console.error(`whack: ${r.error}`);
    }
    process.exit(r.ok ? 0 : 1);
  });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/whack.js")) runWhack(process.argv.slice(2));
