// The event pump (the quinn-proto pattern): the host hands in an event with the time, then
// drains commands with pollCommand() until CMD_NONE. The core keeps no clock of its own.
//
// Commands wait in a small queue. A command's numbers are read with cmdArg(i); its bytes
// (a log line, a datagram) are copied into TEXT or OUT when it is polled.
import { IN, OUT, textOut } from "./wire/buffers";
import { tapeCount, getW, getF } from "./wire/tape";
import * as E from "./wire/error";
import { decodeMessage } from "./wire/message";
import { nameOf } from "./names/index";
import {
  CMD_NONE, CMD_LOG, CMD_SEND, CMD_ARGS, LOG_INFO, LOG_DEBUG, DECODE_PORT4500, OUT_CAP, IN_CAP,
  N_KIND, N_PTYPE, N_END, K_V1_HDR, K_V2_NOTIFY, K_V1_NOTIFY, K_V1_ENC,
  REG_EXCHANGE_V2, REG_EXCHANGE_V1, REG_PAYLOAD_V2, REG_PAYLOAD_V1, REG_NOTIFY_V2, REG_NOTIFY_V1,
  REG_ERROR, REG_KIND,
} from "./abi";

const QUEUE_MAX = 1024;

class Command {
  constructor(
    public op: i32,
    public args: StaticArray<i32>,
    public text: string,
    public bytes: Uint8Array | null,
  ) {}
}

const queue = new Array<Command>();
let head = 0;
let current: Command | null = null;
let dropped = 0;

function push(c: Command): void {
  if (queue.length - head >= QUEUE_MAX) {
    dropped++; // a host that never drains must not make the core grow without bound
    return;
  }
  queue.push(c);
}

export function log(level: i32, line: string): void {
  const a = new StaticArray<i32>(CMD_ARGS);
  a[0] = level;
  push(new Command(CMD_LOG, a, line, null));
}

export function send(peer: i32, bytes: Uint8Array): void {
  const a = new StaticArray<i32>(CMD_ARGS);
  a[0] = peer;
  push(new Command(CMD_SEND, a, "", bytes));
}

// Returns the next command's opcode (CMD_NONE when the queue is empty) and makes it current.
export function pollCommand(): i32 {
  if (head >= queue.length) {
    queue.length = 0;
    head = 0;
    current = null;
    if (dropped > 0) {
      const n = dropped;
      dropped = 0;
      log(LOG_INFO, "command queue full: " + n.toString() + " commands dropped");
      return pollCommand();
    }
    return CMD_NONE;
  }
  const c = queue[head++];
  current = c;
  return c.op;
}

export function cmdArg(i: i32): i32 {
  const c = current;
  if (c === null || i < 0 || i >= CMD_ARGS) return 0;
  return c.args[i];
}

// Copies the current command's bytes to TEXT (CMD_LOG) or OUT (CMD_SEND); returns the length.
export function cmdData(): i32 {
  const c = current;
  if (c === null) return 0;
  if (c.op == CMD_LOG) return textOut(c.text);
  const b = c.bytes;
  if (b === null) return 0;
  const n = min(b.length, OUT_CAP);
  memory.copy(OUT, b.dataStart, n);
  return n;
}

// "SA KE Nx N(NAT_DETECTION_SOURCE_IP) ..." for the payloads of the message on the tape.
function payloadList(v1: bool): string {
  let s = "";
  let i = 1;
  const n = tapeCount;
  while (i < n) {
    const k = <i32>getW(i, N_KIND);
    const pt = <i32>getW(i, N_PTYPE);
    if (s.length > 0) s += " ";
    if (k == K_V1_ENC) {
      s += "(encrypted)";
    } else {
      const name = nameOf(v1 ? REG_PAYLOAD_V1 : REG_PAYLOAD_V2, pt);
      s += name.length > 0 ? name : pt.toString();
      if (k == K_V2_NOTIFY || k == K_V1_NOTIFY) {
        const t = <i32>getF(i, 2);
        const tn = nameOf(v1 ? REG_NOTIFY_V1 : REG_NOTIFY_V2, t);
        s += "(" + (tn.length > 0 ? tn : t.toString()) + ")";
      }
    }
    i = <i32>getW(i, N_END);
  }
  return s;
}

// A datagram from peer `peer` (a host handle) arrived at time `now` (ms); its bytes are in IN.
// Returns 0 for an IKE message the core understood, -1 for one it dropped (logged once).
export function evDatagram(now: f64, len: i32, flags: i32, peer: i32): i32 {
  if (len < 0 || len > IN_CAP) {
    log(LOG_INFO, "dropping datagram of " + len.toString() + " bytes: larger than the input buffer");
    return -1;
  }
  const n = decodeMessage(IN, <usize>len, flags);
  const from = "peer " + peer.toString() + ((flags & DECODE_PORT4500) ? " (port 4500)" : "");
  if (n < 0) {
    const what = nameOf(REG_KIND, E.errKind);
    let line = "dropping malformed message from " + from + ": " + nameOf(REG_ERROR, E.errCode) + " in " + what;
    if (E.errPtype != 0) {
      const pn = nameOf(E.curVersion == 1 ? REG_PAYLOAD_V1 : REG_PAYLOAD_V2, E.errPtype);
      line += " (" + (pn.length > 0 ? pn : E.errPtype.toString()) + ")";
    }
    line += " at offset " + E.errOffset.toString() + ": value " + E.errValue.toString() + ", limit " + E.errLimit.toString();
    if (E.errNotify != 0) {
      const nn = nameOf(E.curVersion == 1 ? REG_NOTIFY_V1 : REG_NOTIFY_V2, E.errNotify);
      line += "; would answer " + (nn.length > 0 ? nn : E.errNotify.toString());
    }
    log(LOG_INFO, line);
    return -1;
  }
  const v1 = <i32>getW(0, N_KIND) == K_V1_HDR;
  const x = <i32>getF(0, 3);
  const flagsByte = getF(0, 4);
  const xn = nameOf(v1 ? REG_EXCHANGE_V1 : REG_EXCHANGE_V2, x);
  const dir = v1 ? "" : (flagsByte & 0x20) ? " response" : " request";
  log(LOG_DEBUG, "received " + (v1 ? "IKEv1 " : "IKEv2 ") + (xn.length > 0 ? xn : x.toString()) + dir +
    " (message ID " + getF(0, 5).toString() + ") from " + from + ": " + payloadList(v1));
  void now; // no timers yet: the state machines (core/ikev2) will arm them from here
  return 0;
}
