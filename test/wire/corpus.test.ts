// Every IKE message in the corpus captures decodes, re-encodes byte for byte, and agrees with
// tshark's decode of the same frame (the JSON stored beside each capture).
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { loadWire } from "../../hosts/node/corefile.ts";
import * as abi from "../../core/abi.ts";
import { tsharkMessages } from "./tshark.ts";
import { normMessage } from "./ours.ts";
import type { NormMsg, NormPayload } from "./norm.ts";
import { corpusMessages, DIR, captures } from "./corpus.ts";


// Compares the properties tshark shows (undefined ones are what tshark does not show).
function sameAsTshark(ours: NormPayload, theirs: NormPayload, where: string): void {
  for (const [k, v] of Object.entries(theirs)) {
    if (v === undefined) continue;
    expect((ours as unknown as Record<string, unknown>)[k], `${where} ${k}`).toEqual(v);
  }
}

describe("corpus captures", () => {
  const wire = loadWire();
  test.each(captures)("%s: decodes, re-encodes identically, matches tshark", (name) => {
    const msgs = corpusMessages(name);
    const expected = new Map<number, NormMsg>(tsharkMessages(readFileSync(new URL(`${name}.json`, DIR), "utf8")).map((m) => [m.frame, m]));
    expect(msgs.length).toBeGreaterThan(0);
    expect(msgs.length, "messages seen by tshark").toBe(expected.size);
    for (const m of msgs) {
      const where = `${name} frame ${m.frame}`;
      // decoding with the marker still on must give the same message
      const d = wire.decode(m.bytes);
      if (!d.ok) throw new Error(`${where}: ${d.error.message}`);
      const e = wire.encode(d.msg);
      if (!e.ok) throw new Error(`${where}: encode: ${e.error.message}`);
      expect(Buffer.from(e.bytes).equals(Buffer.from(m.bytes)), `${where} re-encodes byte for byte`).toBe(true);
      const ours = normMessage(m.frame, d.msg);
      const theirs = expected.get(m.frame);
      expect(theirs, `${where} in tshark's decode`).toBeDefined();
      const { payloads: op, ...oh } = ours;
      const { payloads: tp, ...th } = theirs!;
      expect(oh, where).toEqual(th);
      expect(op.map((p) => p.type), `${where} payload order`).toEqual(tp.map((p) => p.type));
      op.forEach((p, i) => sameAsTshark(p, tp[i], `${where} payload #${i + 1} (${p.type})`));
    }
  });

  test("the corpus has both versions, all exchanges of interest, and port 4500 messages", () => {
    const all = captures.flatMap(corpusMessages);
    const decoded = all.map((m) => wire.decode(m.bytes)).filter((d) => d.ok).map((d) => (d as { msg: import("../../hosts/wire.ts").WireNode }).msg);
    expect(decoded.length).toBe(all.length);
    const kinds = new Set(decoded.flatMap(function walk(n): number[] { return [n.kind, ...n.children.flatMap(walk)]; }));
    for (const k of [abi.K_V2_SA, abi.K_V2_PROP, abi.K_V2_XFORM, abi.K_ATTR, abi.K_V2_KE, abi.K_V2_NONCE, abi.K_V2_NOTIFY, abi.K_V2_SK, abi.K_V2_SKF, abi.K_V2_CERT,
      abi.K_V1_SA, abi.K_V1_PROP, abi.K_V1_XFORM, abi.K_V1_DATA, abi.K_V1_ID, abi.K_V1_ENC, abi.K_V1_CERT]) {
      expect(kinds.has(k), `kind ${k} seen in the corpus`).toBe(true);
    }
    expect(all.some((m) => m.port4500)).toBe(true);
  });
});
