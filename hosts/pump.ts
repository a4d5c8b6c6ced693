// The host side of the event pump: hand an event to the core, then drain its commands.
import * as abi from "../core/abi.ts";
import type { Core } from "./core.ts";

export type Command =
  | { op: "log"; level: number; line: string }
  | { op: "send"; peer: number; bytes: Uint8Array };

export class Pump {
  constructor(readonly core: Core) {}

  // A datagram from `peer` (the host's handle for an address/port) at time `now` (ms).
  datagram(now: number, bytes: Uint8Array, peer: number, port4500 = false): Command[] {
    if (bytes.length > abi.IN_CAP) {
      return [{ op: "log", level: abi.LOG_INFO, line: `dropping datagram of ${bytes.length} bytes from peer ${peer}: larger than the input buffer` }];
    }
    this.core.setInput(bytes);
    this.core.call("evDatagram", now, bytes.length, port4500 ? abi.DECODE_PORT4500 : 0, peer);
    return this.drain();
  }

  drain(): Command[] {
    const out: Command[] = [];
    const c = this.core;
    for (let op = c.call("pollCommand"); op !== abi.CMD_NONE; op = c.call("pollCommand")) {
      const n = c.call("cmdData");
      if (op === abi.CMD_LOG) out.push({ op: "log", level: c.call("cmdArg", 0), line: c.text(n) });
      else if (op === abi.CMD_SEND) out.push({ op: "send", peer: c.call("cmdArg", 0), bytes: c.out(n).slice() });
    }
    return out;
  }
}
