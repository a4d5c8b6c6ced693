// The corpus, decrypted: with the key tables beside the captures, every SK payload of every
// IKEv2 capture (SKF fragments reassembled) decrypts, its inner payloads decode, re-encode byte
// for byte, and equal tshark's decrypted decode. Both crypto providers give the same plaintext.
import { describe, expect, test } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import * as abi from "../../core/abi.ts";
import { loadWire } from "../../hosts/node/corefile.ts";
import { parseKeyTable, decryptSk } from "../../hosts/dump.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";
import { corpusMessages, captures, DIR } from "./corpus.ts";
import { tsharkInnerPayloads } from "./tshark.ts";
import { normPayload, hex, sameAsTshark } from "./ours.ts";

const wire = loadWire();
const v2 = captures.filter((c) => c.startsWith("ikev2-") && existsSync(new URL(`${c}.ikev2_decryption_table`, DIR)));


describe("IKEv2 corpus decrypted", () => {
  let total = 0;
  test.each(v2)("%s", (name) => {
    const keys = parseKeyTable(readFileSync(new URL(`${name}.ikev2_decryption_table`, DIR), "utf8"));
    expect(keys.errors).toEqual([]);
    const inner = tsharkInnerPayloads(readFileSync(new URL(`${name}.json`, DIR), "utf8"));
    const frags = new Map<string, { parts: Uint8Array[]; first: number; total: number }>();
    let decrypted = 0;
    for (const m of corpusMessages(name)) {
      const d = wire.decode(m.bytes);
      if (!d.ok) throw new Error(d.error.message);
      const sk = d.msg.children.find((c) => c.kind === abi.K_V2_SK || c.kind === abi.K_V2_SKF);
      if (!sk) continue;
      const key = keys.v2.get(`${hex(d.msg.a)}/${hex(d.msg.b)}`);
      expect(key, `${name} frame ${m.frame}: a key table line for its SPIs`).toBeDefined();
      const fromI = (d.msg.f[4] & 0x08) !== 0;
      const plain = decryptSk(key!, m.bytes, sk, fromI, nativeProvider);
      expect(plain, `${name} frame ${m.frame} decrypts`).not.toBeNull();
      expect(hex(decryptSk(key!, m.bytes, sk, fromI, portableProvider)!)).toBe(hex(plain!));
      // a flipped ciphertext bit is caught by the ICV / tag
      const bad = m.bytes.slice();
      bad[sk.off + sk.len - 1] ^= 1;
      expect(decryptSk(key!, bad, sk, fromI, nativeProvider)).toBeNull();
      let chain = plain!;
      let first = sk.f[1];
      if (sk.kind === abi.K_V2_SKF) {
        const id = `${hex(d.msg.a)}/${d.msg.f[5]}/${d.msg.f[4]}`;
        const f = frags.get(id) ?? { parts: [], first: 0, total: sk.f[3] };
        frags.set(id, f);
        f.parts[sk.f[2] - 1] = plain!;
        if (sk.f[2] === 1) f.first = sk.f[1];
        if (f.parts.filter(Boolean).length < f.total) continue;
        chain = Buffer.concat(f.parts);
        first = f.first;
        frags.delete(id);
      }
      const c = wire.decodeChain(2, first, chain);
      if (!c.ok) throw new Error(`${name} frame ${m.frame}: ${c.error.message}`);
      const e = wire.encode(c.msg);
      expect(e.ok && hex(e.bytes), `${name} frame ${m.frame} inner chain re-encodes`).toBe(hex(chain));
      const theirs = inner.get(m.frame);
      expect(theirs, `${name} frame ${m.frame}: tshark decrypted it too`).toBeDefined();
      const ours = c.msg.children.map((p) => normPayload(p, 2));
      expect(ours.map((p) => p.type), `${name} frame ${m.frame} inner payload order`).toEqual(theirs!.map((p) => p.type));
      ours.forEach((p, i) => sameAsTshark(p, theirs![i], `${name} frame ${m.frame} inner #${i + 1}`));
      decrypted++;
    }
    expect(frags.size, "every fragment series completed").toBe(0);
    expect(decrypted).toBe(inner.size);
    total += decrypted;
  });
  test("the corpus had SK payloads and SKF fragments to decrypt", () => {
    expect(total).toBeGreaterThan(50);
    expect(v2).toContain("ikev2-frag");
  });
});
