// The whack protocol: newline-delimited JSON over the control socket. One request a line;
// its answer is zero or more progress lines, then one response line. Shared by the daemons and
// the whack CLI; runtime-neutral.
//
//   request   {"cmd": "status", "json": true}      {"cmd": "initiate", "name": "west-east"}
//   progress  {"log": "\"west-east\" #1: sent IKE_SA_INIT request"}   {"waitMs": 130000}
//   response  {"ok": true, "text": "...", "data": {...}}   {"ok": false, "error": "...", "code": 36}
//
// A command that waits for its outcome (initiate, terminate, delete, rekey-ike, rekey-child,
// deletestate; not with "async") streams the connection's log lines as progress while it
// waits, and first says how long it may wait (waitMs), so the client knows how long to wait.

export const WHACK_COMMANDS = [
  "add", "delete", "initiate", "terminate", "route", "unroute", "status", "briefstatus", "showstates",
  "trafficstatus", "connectionstatus", "listen", "rereadsecrets", "rereadall", "shutdown", "debug",
  "rekey-ike", "rekey-child", "ddos-busy", "ddos-unlimited", "ddos-auto", "deletestate", "replace",
] as const;
export type WhackCommand = (typeof WHACK_COMMANDS)[number];

export interface WhackRequest {
  cmd: WhackCommand;
  name?: string;
  json?: boolean;
  debug?: string;
  async?: boolean; // --asynchronous: answer once the command is started, do not wait for its outcome
  serial?: number; // --deletestate N
}

export interface WhackResponse {
  ok: boolean;
  text?: string;
  data?: unknown;
  error?: string;
  // on failure, whack's exit status: Libreswan 4.10's codes (RC_UNKNOWN_NAME 21,
  // RC_NORETRANSMISSION 31, RC_FATAL 36); absent: 1
  code?: number;
}

// A line sent before the response: a log line of the command's connection, or how long the
// daemon may take before it answers.
export interface WhackProgress {
  log?: string;
  waitMs?: number;
}

// whack's exit status for each kind of failure, Libreswan 4.10's (include/lswlog.h enum
// rc_type, whack.c takes the code of the last line that carries one as its exit status).
export const RC_UNKNOWN_NAME = 21; // connection name unknown or state number
export const RC_NORETRANSMISSION = 31; // no answer through the whole retransmission schedule
export const RC_FATAL = 36; // the negotiation failed (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN, ...)

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
    if (!["cmd", "name", "json", "debug", "async", "serial"].includes(k)) return { ok: false, error: `unknown field ${JSON.stringify(k)}` };
  }
  if (o.name !== undefined && (typeof o.name !== "string" || o.name.length === 0 || o.name.length > 256)) {
    return { ok: false, error: "name must be a non-empty string of at most 256 characters" };
  }
  if (o.json !== undefined && typeof o.json !== "boolean") return { ok: false, error: "json must be true or false" };
  if (o.debug !== undefined && typeof o.debug !== "string") return { ok: false, error: "debug must be a string" };
  if (o.async !== undefined && typeof o.async !== "boolean") return { ok: false, error: "async must be true or false" };
  if (o.serial !== undefined && (typeof o.serial !== "number" || !Number.isInteger(o.serial) || o.serial < 1 || o.serial > 0xffffffff)) {
    return { ok: false, error: "serial must be a state number from 1 to 4294967295" };
  }
  const needsName: WhackCommand[] = ["add", "delete", "initiate", "terminate", "route", "unroute", "rekey-ike", "rekey-child", "replace"];
  if (needsName.includes(o.cmd as WhackCommand) && o.name === undefined) return { ok: false, error: `${o.cmd} needs --name` };
  if (o.cmd === "deletestate" && o.serial === undefined) return { ok: false, error: "deletestate needs a state number (--deletestate N)" };
  return { ok: true, req: o as unknown as WhackRequest };
}

// whack's command line, in pluto's vocabulary.
export function parseWhackArgs(argv: string[]): { ok: true; req: WhackRequest; socket?: string } | { ok: false; error: string } {
  const flags: Record<string, WhackCommand> = {
    "--add": "add", "--delete": "delete", "--initiate": "initiate", "--up": "initiate", "--terminate": "terminate",
    "--down": "terminate", "--route": "route", "--unroute": "unroute", "--status": "status", "--briefstatus": "briefstatus",
    "--showstates": "showstates", "--trafficstatus": "trafficstatus", "--connectionstatus": "connectionstatus",
    "--listen": "listen", "--rereadsecrets": "rereadsecrets", "--rereadall": "rereadall", "--shutdown": "shutdown",
    "--debug": "debug", "--rekey-ike": "rekey-ike", "--rekey-child": "rekey-child",
    "--ddos-busy": "ddos-busy", "--ddos-unlimited": "ddos-unlimited", "--ddos-auto": "ddos-auto",
    "--deletestate": "deletestate", "--replace": "replace",
  };
  let cmd: WhackCommand | undefined;
  let name: string | undefined;
  let json = false;
  let async = false;
  let debug: string | undefined;
  let serial: number | undefined;
  let socket: string | undefined;
  const args = argv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--name") {
      name = args[++i];
      if (!name) return { ok: false, error: "--name needs a value" };
    } else if (a === "--json") {
      json = true;
    } else if (a === "--asynchronous") {
      async = true;
    } else if (a === "--ctlsocket" || a === "--rundir") {
      const v = args[++i];
      if (!v) return { ok: false, error: `${a} needs a value` };
      socket = a === "--rundir" ? `${v.replace(/\/$/, "")}/pluto.ctl` : v;
    } else if (flags[a]) {
      if (cmd && cmd !== flags[a]) return { ok: false, error: `${a} cannot be combined with --${cmd}` };
      cmd = flags[a];
      if (a === "--debug") {
        debug = args[i + 1] && !args[i + 1].startsWith("--") ? args[++i] : "all";
      } else if (a === "--deletestate") {
        const v = args[++i];
        if (!v || !/^#?\d+$/.test(v)) return { ok: false, error: `--deletestate needs a state number, not ${v === undefined ? "nothing" : JSON.stringify(v)}` };
        serial = Number(v.replace("#", ""));
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
  if (async) req.async = true;
  if (debug) req.debug = debug;
  if (serial !== undefined) req.serial = serial;
  const checked = parseRequest(JSON.stringify(req));
  if (!checked.ok) return checked;
  return { ok: true, req, socket };
}

// `ipsec auto [--asynchronous] [--rundir DIR | --ctlsocket PATH] --OP [NAME]`, as Libreswan
// 4.10's ipsec auto runs it (programs/auto/auto.in): one whack request or two in a row, and
// the exit status of the last. --start is --add then --up, --ondemand --add then --route;
// --replace is one request (the daemon deletes the connection and adds it from the file).
export const AUTO_USAGE = `usage: ipsec auto [--asynchronous] [--rundir DIR | --ctlsocket PATH] --up|--down|--add|--delete|--replace|--start|--route|--unroute|--ondemand NAME
       ipsec auto [--rundir DIR | --ctlsocket PATH] --status|--ready|--rereadall|--rereadsecrets`;
export function parseAutoArgs(argv: string[]): { ok: true; reqs: WhackRequest[]; socket?: string } | { ok: false; error: string } {
  const withName: Record<string, WhackCommand[]> = {
    "--add": ["add"], "--up": ["initiate"], "--down": ["terminate"], "--delete": ["delete"], "--route": ["route"],
    "--unroute": ["unroute"], "--replace": ["replace"], "--start": ["add", "initiate"], "--ondemand": ["add", "route"],
  };
  const alone: Record<string, WhackCommand> = { "--status": "status", "--ready": "listen", "--rereadall": "rereadall", "--rereadsecrets": "rereadsecrets" };
  let socket: string | undefined;
  let op: string | undefined;
  let async = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--rundir" || a === "--ctlsocket") {
      const v = argv[++i];
      if (!v || v.startsWith("--")) return { ok: false, error: `${a} needs a value` };
      socket = a === "--rundir" ? `${v.replace(/\/$/, "")}/pluto.ctl` : v;
    } else if (a === "--asynchronous") {
      async = true;
    } else if (a === "--config" || a === "--remote-host") {
      return { ok: false, error: `${a} is not supported yet: pluto reads the ipsec.conf it was started with (pluto --config FILE)` };
    } else if (withName[a] || alone[a]) {
      if (op) return { ok: false, error: `${a} cannot be combined with ${op}\n${AUTO_USAGE}` };
      op = a;
    } else if (a.startsWith("-")) {
      return { ok: false, error: `unknown option "${a}"\n${AUTO_USAGE}` };
    } else {
      names.push(a);
    }
  }
  if (!op) return { ok: false, error: AUTO_USAGE };
  if (alone[op]) {
    if (names.length) return { ok: false, error: `ipsec auto ${op} takes no connection name\n${AUTO_USAGE}` };
    return { ok: true, reqs: [{ cmd: alone[op] }], ...(socket ? { socket } : {}) };
  }
  if (names.length !== 1) return { ok: false, error: `ipsec auto ${op} needs one connection name\n${AUTO_USAGE}` };
  const reqs: WhackRequest[] = [];
  for (const cmd of withName[op]) {
    const req: WhackRequest = { cmd, name: names[0] };
    if (async && cmd === "initiate") req.async = true;
    const checked = parseRequest(JSON.stringify(req));
    if (!checked.ok) return checked;
    reqs.push(req);
  }
  return { ok: true, reqs, ...(socket ? { socket } : {}) };
}
