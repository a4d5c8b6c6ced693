// Our decode in the normalized view of norm.ts, for comparison with tshark's.
import * as abi from "../../core/abi.ts";
import type { WireNode } from "../../hosts/wire.ts";
import { formatAddress } from "../../hosts/pcap.ts";
import { expect } from "vitest";
import type { NormMsg, NormPayload, NormProposal } from "./norm.ts";

export const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString("hex") : "");

/** Every field tshark shows equals ours (fields tshark leaves undefined are not compared). */
export function sameAsTshark(ours: NormPayload, theirs: NormPayload, where: string): void {
  for (const [k, v] of Object.entries(theirs)) {
    if (v === undefined) continue;
    expect((ours as unknown as Record<string, unknown>)[k], `${where} ${k}`).toEqual(v);
  }
}

function proposals(sa: WireNode): NormProposal[] {
  return sa.children.map((p) => ({
    num: p.f[0],
    proto: p.f[1],
    spi: hex(p.a),
    transforms: p.children.map((t) => ({
      type: t.f[0],
      id: t.f[1],
      attrs: t.children.map((a) => ({ type: a.f[0], value: a.f[1] ? a.f[2] : hex(a.a) })),
    })),
  }));
}

export function normPayload(n: WireNode, version: number): NormPayload {
  const p: NormPayload = { type: n.ptype, length: n.len };
  switch (n.kind) {
    case abi.K_V2_SA: case abi.K_V1_SA: p.proposals = n.kind === abi.K_V1_SA && n.f[0] !== 1 ? [] : proposals(n); break;
    case abi.K_V2_NOTIFY: p.notify = { proto: n.f[1], type: n.f[2], spi: hex(n.a), data: hex(n.b) }; break;
    case abi.K_V1_NOTIFY: p.notify = { proto: n.f[1], type: n.f[2], spi: hex(n.a), data: hex(n.b) }; break;
    case abi.K_V2_ID: p.id = { type: n.f[1], data: hex(n.a) }; break;
    case abi.K_V1_ID: p.id = { type: n.f[0], data: hex(n.a), proto: n.f[1], port: n.f[2] }; break;
    case abi.K_V2_TSP:
      p.ts = n.children.map((t) => ({
        type: t.f[0], proto: t.f[1], sport: t.f[2], eport: t.f[3],
        start: t.a && (t.f[0] === 7 || t.f[0] === 8) ? formatAddress(t.a) : hex(t.a),
        end: t.b && (t.f[0] === 7 || t.f[0] === 8) ? formatAddress(t.b) : hex(t.b),
      }));
      break;
    case abi.K_V2_KE: p.ke = { group: n.f[1] }; p.data = hex(n.a); break;
    case abi.K_V2_DELETE: case abi.K_V1_DELETE: {
      const size = n.f[2];
      const spis: string[] = [];
      for (let o = 0; size && n.a && o < n.a.length; o += size) spis.push(hex(n.a.subarray(o, o + size)));
      p.del = { proto: n.f[1], spiSize: size, spis };
      break;
    }
    case abi.K_V2_SKF: p.frag = { num: n.f[2], total: n.f[3] }; p.data = hex(n.a); break;
    case abi.K_V1_FRAG: p.frag = { num: n.f[1], total: 0 }; p.data = hex(n.a); break;
    default: p.data = hex(n.a);
  }
  void version;
  return p;
}

export function normMessage(frame: number, msg: WireNode): NormMsg {
  const version = msg.kind === abi.K_V1_HDR ? 1 : 2;
  return {
    frame,
    version,
    exchange: msg.f[3],
    msgid: msg.f[5],
    flags: msg.f[4],
    ispi: hex(msg.a),
    rspi: hex(msg.b),
    length: msg.len,
    payloads: msg.children.filter((c) => c.kind !== abi.K_V1_ENC).map((c) => normPayload(c, version)),
  };
}
