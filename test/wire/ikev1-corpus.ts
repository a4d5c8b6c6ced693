// The IKEv1 messages of a corpus capture, whole (Cisco-style fragments, payload 132,
// reassembled: each carries a piece of one whole message, header included), in order.
import * as abi from "../../core/abi.ts";
import type { Wire, WireNode } from "../../hosts/wire.ts";
import { corpusMessages } from "./corpus.ts";
import { hex } from "./ours.ts";

export interface V1Message {
  frame: number;
  bytes: Uint8Array;
  msg: WireNode;
}

export function* wholeV1Messages(wire: Wire, name: string): Generator<V1Message> {
  const frags = new Map<string, Uint8Array[]>();
  for (const m of corpusMessages(name)) {
    const d = wire.decode(m.bytes);
    if (!d.ok) throw new Error(`${name} frame ${m.frame}: ${d.error.message}`);
    if (d.msg.f[1] !== 1) continue;
    const frag = d.msg.children.find((c) => c.kind === abi.K_V1_FRAG);
    if (!frag) {
      yield { frame: m.frame, bytes: m.bytes, msg: d.msg };
      continue;
    }
    const id = `${hex(d.msg.a)}/${frag.f[0]}`;
    const parts = frags.get(id) ?? [];
    frags.set(id, parts);
    parts[frag.f[1] - 1] = frag.a!;
    if (!(frag.f[2] & 1) || parts.filter(Boolean).length < frag.f[1]) continue;
    frags.delete(id);
    const bytes = new Uint8Array(Buffer.concat(parts));
    const w = wire.decode(bytes);
    if (!w.ok) throw new Error(`${name} frame ${m.frame}: the reassembled message: ${w.error.message}`);
    yield { frame: m.frame, bytes, msg: w.msg };
  }
}
