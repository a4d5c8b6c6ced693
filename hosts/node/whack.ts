#!/usr/bin/env node
// whack: pluto's control client. `whack --status`, `whack --up --name NAME`, ... and, as
// `ipsec auto --add|--up|--down|--delete NAME`, the Libreswan-style form (hosts/node/ipsec.ts).
import { parseWhackArgs } from "../whack-protocol.ts";
import { whackRequest } from "./whack-client.ts";

export function runWhack(argv: string[], defaultSocket = process.env.PLUTO_CTL ?? "/run/pluto/pluto.ctl"): void {
  const p = parseWhackArgs(argv);
  if (!p.ok) {
    console.error(`whack: ${p.error}`);
    process.exit(2);
  }
  const path = p.socket ?? defaultSocket;
  void whackRequest(path, p.req).then((r) => {
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
