// The whack protocol: newline-delimited JSON over the control socket. One request a line,
// one response a line. Shared by the daemons and the whack CLI; runtime-neutral.
//
//   request   {"cmd": "status", "json": true}      {"cmd": "initiate", "name": "west-east"}
//   response  {"ok": true, "text": "...", "data": {...}}   {"ok": false, "error": "..."}

export const WHACK_COMMANDS = [
  "add", "delete", "initiate", "terminate", "route", "unroute", "status", "briefstatus", "showstates",
  "trafficstatus", "connectionstatus", "listen", "rereadsecrets", "rereadall", "shutdown", "debug",
  "rekey-ike", "rekey-child", "ddos-busy", "ddos-unlimited", "ddos-auto", "replace",
] as const;
export type WhackCommand = (typeof WHACK_COMMANDS)[number];

export interface WhackRequest {
  cmd: WhackCommand;
  name?: string;
  json?: boolean;
  debug?: string;
}

export interface WhackResponse {
  ok: boolean;
  text?: string;
  data?: unknown;
  error?: string;
}

// The largest request line a daemon reads; longer ones are refused and the client cut off
// (hosts/whack-server.ts).
export const MAX_REQUEST = 65536;

// Checks a request line from a client; every field is checked, nothing is trusted.
export function parseRequest(line: string): { ok: true; req: WhackRequest } | { ok: false; error: string } {
  if (line.length > MAX_REQUEST) return { ok: false, error: `request of ${line.length} bytes exceeds ${MAX_REQUEST}` };
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `request is not JSON: ${(e as Error).message}` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: "request must be a JSON object" };
  const o = v as Record<string, unknown>;
  if (typeof o.cmd !== "string" || !(WHACK_COMMANDS as readonly string[]).includes(o.cmd)) {
    return { ok: false, error: `unknown command ${JSON.stringify(o.cmd)}; known: ${WHACK_COMMANDS.join(", ")}` };
  }
  for (const k of Object.keys(o)) {
    if (!["cmd", "name", "json", "debug"].includes(k)) return { ok: false, error: `unknown field ${JSON.stringify(k)}` };
  }
  if (o.name !== undefined && (typeof o.name !== "string" || o.name.length === 0 || o.name.length > 256)) {
    return { ok: false, error: "name must be a non-empty string of at most 256 characters" };
  }
  if (o.json !== undefined && typeof o.json !== "boolean") return { ok: false, error: "json must be true or false" };
  if (o.debug !== undefined && typeof o.debug !== "string") return { ok: false, error: "debug must be a string" };
  const needsName: WhackCommand[] = ["add", "replace", "delete", "initiate", "terminate", "route", "unroute", "rekey-ike", "rekey-child"];
  if (needsName.includes(o.cmd as WhackCommand) && o.name === undefined) return { ok: false, error: `${o.cmd} needs --name` };
  return { ok: true, req: o as unknown as WhackRequest };
}

// whack's command line, in pluto's vocabulary (and `ipsec auto --add|--up|--down|--delete NAME`).
export function parseWhackArgs(argv: string[]): { ok: true; req: WhackRequest; socket?: string } | { ok: false; error: string } {
  const flags: Record<string, WhackCommand> = {
    "--add": "add", "--delete": "delete", "--initiate": "initiate", "--up": "initiate", "--terminate": "terminate",
    "--down": "terminate", "--route": "route", "--unroute": "unroute", "--status": "status", "--briefstatus": "briefstatus",
    "--showstates": "showstates", "--trafficstatus": "trafficstatus", "--connectionstatus": "connectionstatus",
    "--listen": "listen", "--rereadsecrets": "rereadsecrets", "--rereadall": "rereadall", "--shutdown": "shutdown",
    "--debug": "debug", "--rekey-ike": "rekey-ike", "--rekey-child": "rekey-child",
    "--ddos-busy": "ddos-busy", "--ddos-unlimited": "ddos-unlimited", "--ddos-auto": "ddos-auto",
  };
  let cmd: WhackCommand | undefined;
  let name: string | undefined;
  let json = false;
  let debug: string | undefined;
  let socket: string | undefined;
  let args = argv;
  if (args[0] === "auto") {
    // ipsec auto [--rundir DIR | --ctlsocket PATH] --add NAME
    args = args.slice(1);
    let sock: string | undefined;
    for (const flag of ["--rundir", "--ctlsocket"]) {
      const i = args.indexOf(flag);
      if (i < 0) continue;
      const v = args[i + 1];
      if (!v || v.startsWith("--")) return { ok: false, error: `${flag} needs a value` };
      sock = flag === "--rundir" ? `${v.replace(/\/$/, "")}/pluto.ctl` : v;
      args = [...args.slice(0, i), ...args.slice(i + 2)];
    }
    const op = args.find((a) => a.startsWith("--"));
    const rest = args.filter((a) => !a.startsWith("--"));
    const map: Record<string, WhackCommand> = { "--add": "add", "--up": "initiate", "--down": "terminate", "--delete": "delete", "--route": "route", "--unroute": "unroute", "--status": "status" };
    if (!op || !map[op]) return { ok: false, error: "usage: ipsec auto --add|--up|--down|--delete|--route|--unroute NAME" };
    if (map[op] !== "status" && rest.length !== 1) return { ok: false, error: `ipsec auto ${op} needs one connection name` };
    return { ok: true, req: { cmd: map[op], ...(rest[0] ? { name: rest[0] } : {}) }, ...(sock ? { socket: sock } : {}) };
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--name") {
      name = args[++i];
      if (!name) return { ok: false, error: "--name needs a value" };
    } else if (a === "--json") {
      json = true;
    } else if (a === "--ctlsocket" || a === "--rundir") {
      const v = args[++i];
      if (!v) return { ok: false, error: `${a} needs a value` };
      socket = a === "--rundir" ? `${v.replace(/\/$/, "")}/pluto.ctl` : v;
    } else if (flags[a]) {
      if (cmd && cmd !== flags[a]) return { ok: false, error: `${a} cannot be combined with --${cmd}` };
      cmd = flags[a];
      if (a === "--debug") {
        debug = args[i + 1] && !args[i + 1].startsWith("--") ? args[++i] : "all";
      }
    } else if (!a.startsWith("--") && cmd && !name) {
      name = a; // whack --up NAME, as a convenience
    } else {
      return { ok: false, error: `unknown option ${a}` };
    }
  }
  if (!cmd) return { ok: false, error: "no command: try --status, --add --name NAME, --up --name NAME, ..." };
  const req: WhackRequest = { cmd };
  if (name) req.name = name;
  if (json) req.json = true;
  if (debug) req.debug = debug;
  const checked = parseRequest(JSON.stringify(req));
  if (!checked.ok) return checked;
  return { ok: true, req, socket };
}
