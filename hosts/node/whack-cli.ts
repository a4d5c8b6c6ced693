// The whack command line (hosts/node/whack.ts, and `ipsec auto|whack ...` in ipsec.ts): parses
// pluto's vocabulary, sends one request, prints the answer, exits 0 on success and 1 on failure.
import { parseWhackArgs } from "../whack-protocol.ts";
import { whackRequest } from "./whack-client.ts";
import { finish, versionLine } from "./version.ts";

export const WHACK_HELP = `usage: whack [--rundir DIR | --ctlsocket PATH] COMMAND [--name NAME] [--json]
commands:
  --status | --briefstatus | --showstates | --trafficstatus | --connectionstatus
  --add | --delete | --up (--initiate) | --down (--terminate) | --route | --unroute  --name NAME
  --rekey-ike | --rekey-child  --name NAME
  --rereadsecrets | --rereadall | --listen | --shutdown | --debug [WHAT|none]
  --ddos-busy | --ddos-unlimited | --ddos-auto
  --version | --help
The control socket is PLUTO_CTL, or /run/pluto/pluto.ctl. Exit status: 0 on success, 1 when
pluto refused or failed the command, 2 on a usage error.`;

export function runWhack(argv: string[], defaultSocket = process.env.PLUTO_CTL ?? "/run/pluto/pluto.ctl"): void {
  if (argv.includes("--help") || argv.includes("-h")) return finish(WHACK_HELP, 0);
  if (argv.includes("--version")) return finish(versionLine("whack"), 0);
  const p = parseWhackArgs(argv);
  if (!p.ok) return finish(`whack: ${p.error}`, 2, process.stderr);
  const path = p.socket ?? defaultSocket;
  void whackRequest(path, p.req).then((r) => {
    if (p.req.json) {
      finish(JSON.stringify(r.ok ? (r.data ?? { ok: true, text: r.text }) : { ok: false, error: r.error }, null, 2), r.ok ? 0 : 1);
    } else if (r.ok) {
      finish(r.text ?? "", 0);
    } else {
      finish(`whack: ${r.error}`, 1, process.stderr);
    }
  });
}
