// The whack command line (hosts/node/whack.ts, and `ipsec auto|whack ...` in ipsec.ts): parses
// pluto's vocabulary, sends the request, prints the connection's log lines as pluto streams
// them while the command waits for its outcome, then the answer; the exit status is 0 on
// success and Libreswan's code for the failure otherwise.
import { AUTO_USAGE, parseAutoArgs, parseWhackArgs, type WhackRequest, type WhackResponse } from "../whack-protocol.ts";
import { whackRequest } from "./whack-client.ts";
import { finish, versionLine } from "./version.ts";

export const WHACK_HELP = `usage: whack [--rundir DIR | --ctlsocket PATH] COMMAND [--name NAME] [--json] [--asynchronous]
commands:
  --status | --briefstatus | --showstates | --trafficstatus | --connectionstatus
  --add | --replace | --delete | --up (--initiate) | --down (--terminate) | --route | --unroute  --name NAME
  --rekey-ike | --rekey-child  --name NAME
  --deletestate N
  --rereadsecrets | --rereadall | --listen | --shutdown | --debug [WHAT|none]
  --ddos-busy | --ddos-unlimited | --ddos-auto
  --version | --help
NAME is a connection, or one instance of a template: 'rw[1]' (status shows it as "rw"[1]).
--up, --down, --delete, --rekey-ike, --rekey-child and --deletestate wait for the outcome and
print the connection's log lines meanwhile; --asynchronous returns once the command is started.
The control socket is PLUTO_CTL, or /run/pluto/pluto.ctl. Exit status: 0 on success; as
Libreswan's whack: 21 no such connection or state, 31 no answer from the peer through all the
retransmissions, 36 the negotiation failed (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN,
TS_UNACCEPTABLE, ...); 1 when pluto refused or failed the command otherwise, 2 on a usage error.`;

const DEFAULT_SOCKET = () => process.env.PLUTO_CTL ?? "/run/pluto/pluto.ctl";

// One request: its progress printed as it comes (not with --json), its answer returned.
async function send(path: string, req: WhackRequest): Promise<WhackResponse> {
  return whackRequest(path, req, (p) => {
    if (p.log !== undefined && !req.json) process.stdout.write(p.log + "\n");
  });
}

function report(req: WhackRequest, r: WhackResponse): void {
  const code = r.ok ? 0 : r.code ?? 1;
  if (req.json) finish(JSON.stringify(r.ok ? (r.data ?? { ok: true, text: r.text }) : { ok: false, error: r.error, code }, null, 2), code);
  else if (r.ok) finish(r.text ?? "", 0);
  else finish(`whack: ${r.error}`, code, process.stderr);
}

export function runWhack(argv: string[], defaultSocket = DEFAULT_SOCKET()): void {
  if (argv.includes("--help") || argv.includes("-h")) return finish(WHACK_HELP, 0);
  if (argv.includes("--version")) return finish(versionLine("whack"), 0);
  const p = parseWhackArgs(argv);
  if (!p.ok) return finish(`whack: ${p.error}`, 2, process.stderr);
  void send(p.socket ?? defaultSocket, p.req).then((r) => report(p.req, r));
}

// ipsec auto: each request in turn (as Libreswan's script runs addconn, then whack), every
// answer printed, the exit status the last one's.
export function runAuto(argv: string[], defaultSocket = DEFAULT_SOCKET()): void {
  if (argv.includes("--help") || argv.includes("-h")) return finish(AUTO_USAGE, 0);
  if (argv.includes("--version")) return finish(versionLine("ipsec auto"), 0);
  const p = parseAutoArgs(argv);
  if (!p.ok) return finish(`ipsec auto: ${p.error}`, 2, process.stderr);
  const path = p.socket ?? defaultSocket;
  void (async () => {
    const last = p.reqs.length - 1;
    for (let i = 0; i < last; i++) {
      const r = await send(path, p.reqs[i]);
      if (r.ok && r.text) process.stdout.write(r.text + "\n");
      else if (!r.ok) process.stderr.write(`whack: ${r.error}\n`);
    }
    report(p.reqs[last], await send(path, p.reqs[last]));
  })();
}
