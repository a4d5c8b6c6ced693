// The event pump (the quinn-proto pattern): the host hands in an event with the time, then
// drains commands with pollCommand() until CMD_NONE. The core keeps no clock of its own.
//
// Commands wait in a queue. A command's numbers are read with cmdArg(i); its bytes (a log
// line, a datagram) are copied into TEXT or OUT when it is polled.
//
// The queue never discards a command: a lost CMD_SEND is a Delete the peer never gets, a lost
// CMD_KERNEL an SA left in the kernel. It has no fixed size; instead the core takes no event
// while commands of an earlier one are still queued (every ev* export then returns EV_BUSY and
// changes nothing), so the queue holds at most what one event produces, and that is bounded by
// the states the event touches (terminating 10,000 IKE SAs at once: about 30,000 commands, a
// few MB). Of the two bounds an I/O-free core can offer, this one keeps every command without
// the core ever waiting on the host mid-event: a host that drains after each event (as
// hosts/engine.ts does) never sees EV_BUSY; one that does not cannot make the queue grow.
import { OUT, textOut } from "./wire/buffers";
import { Endpoint } from "./conn/conn";
import { CMD_NONE, CMD_LOG, CMD_SEND, CMD_HELPER, CMD_KERNEL, CMD_ARGS, OUT_CAP, EP_REMOTE } from "./abi";

class Command {
  constructor(
    public op: i32,
    public args: StaticArray<i32>,
    public text: string,
    public bytes: Uint8Array | null,
    public local: Endpoint | null = null,
    public remote: Endpoint | null = null,
  ) {}
}

const queue = new Array<Command>();
let head = 0;
let current: Command | null = null;

function push(c: Command): void {
  queue.push(c);
}

// Whether commands of an earlier event are still waiting: then the core takes no new event.
export function undrained(): bool {
  return head < queue.length;
}
// How many commands wait (the host's own checks and the tests).
export function queuedCommands(): i32 {
  return queue.length - head;
}

// Whether the host shows debug lines (--debug): the costly ones (each message's payloads) are
// only made then.
export let debugging: bool = false;
export function setDebugging(on: bool): void {
  debugging = on;
}

export function log(level: i32, line: string): void {
  const a = new StaticArray<i32>(CMD_ARGS);
  a[0] = level;
  push(new Command(CMD_LOG, a, line, null));
}

// A datagram to send from `local` to `remote`; natT: on port 4500, behind the non-ESP marker.
export function send(local: Endpoint, remote: Endpoint, bytes: Uint8Array, natT: bool): void {
  const a = new StaticArray<i32>(CMD_ARGS);
  a[0] = natT ? 1 : 0;
  push(new Command(CMD_SEND, a, "", bytes, local.clone(), remote.clone()));
}

// A helper job for the host: arg0 = job id, arg1 = JOB_* kind; the request blobs go to OUT.
export function helperJob(id: i32, kind: i32, request: Uint8Array): void {
  const a = new StaticArray<i32>(CMD_ARGS);
  a[0] = id;
  a[1] = kind;
  push(new Command(CMD_HELPER, a, "", request));
}

let kernelText: Uint8Array = new Uint8Array(0);
export function kernelTextPtr(): usize {
  return kernelText.dataStart;
}

// A kernel operation (core/kernel.ts): its JSON description is the command's text.
export function kernelOp(json: string): void {
  push(new Command(CMD_KERNEL, new StaticArray<i32>(CMD_ARGS), json, null));
}

// Where the endpoints of the current CMD_SEND are written (set by the engine at start).
let epOut: usize = 0;
export function setEpBuffer(p: usize): void {
  epOut = p;
}

// Returns the next command's opcode (CMD_NONE when the queue is empty) and makes it current.
export function pollCommand(): i32 {
  if (head >= queue.length) {
    queue.length = 0;
    head = 0;
    current = null;
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
  if (c.op == CMD_KERNEL) {
    // may exceed TEXT: sent through the reply buffer
    kernelText = Uint8Array.wrap(String.UTF8.encode(c.text, false));
    return kernelText.length;
  }
  const b = c.bytes;
  if (b === null) return 0;
  if (c.op == CMD_SEND && epOut != 0 && c.local !== null && c.remote !== null) {
    c.local!.write(epOut);
    c.remote!.write(epOut + EP_REMOTE);
  }
  const n = min(b.length, OUT_CAP);
  memory.copy(OUT, b.dataStart, n);
  return n;
}

