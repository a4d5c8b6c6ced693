// The IKEv1 corpus, decrypted: with the ikev1_decryption_table beside each capture (initiator
// cookie, encryption key), every message with the E flag of every IKEv1 capture (Cisco-style
// FRAG payloads reassembled) decrypts along RFC 2409 Appendix B's IV chain, its inner payloads
// decode, re-encode byte for byte, and equal tshark's decrypted decode. Both crypto providers
// give the same plaintext. A wrong key, a missing KE, or a message out of its chain is a reason,
// not an exception.
import { describe, expect, test } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import * as abi from "../../core/abi.ts";
import { loadWire } from "../../hosts/node/corefile.ts";
import { parseKeyTable } from "../../hosts/dump.ts";
import { V1Decryptor } from "../../hosts/ikev1-decrypt.ts";
import type { WireNode } from "../../hosts/wire.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";
import { captures, DIR } from "./corpus.ts";
import { wholeV1Messages } from "./ikev1-corpus.ts";
import { tsharkInnerPayloads } from "./tshark.ts";
import { normPayload, hex, sameAsTshark } from "./ours.ts";

const wire = loadWire();
const v1 = captures.filter((c) => c.startsWith("ikev1-") && existsSync(new URL(`${c}.ikev1_decryption_table`, DIR)));


const wholeMessages = (name: string) => wholeV1Messages(wire, name);

describe("IKEv1 corpus decrypted", () => {
  let total = 0;
  test.each(v1)("%s", (name) => {
    const keys = parseKeyTable(readFileSync(new URL(`${name}.ikev1_decryption_table`, DIR), "utf8"));
    expect(keys.errors).toEqual([]);
    expect(keys.v1.size).toBeGreaterThan(0);
    const inner = tsharkInnerPayloads(readFileSync(new URL(`${name}.json`, DIR), "utf8"));
    const native = new V1Decryptor(keys.v1, nativeProvider);
    const portable = new V1Decryptor(keys.v1, portableProvider);
    let decrypted = 0;
    for (const { frame, msg } of wholeMessages(name)) {
      const enc = msg.children.find((c) => c.kind === abi.K_V1_ENC);
      if (!enc) {
        native.observe(msg);
        portable.observe(msg);
        continue;
      }
      const r = native.decrypt(msg, enc);
      if (!r.ok) throw new Error(`${name} frame ${frame}: ${r.reason}`);
      const p = portable.decrypt(msg, enc);
      expect(p.ok && hex(p.plain), `${name} frame ${frame}: portable provider`).toBe(hex(r.plain));
      const c = wire.decodeChain(1, msg.f[0], r.plain);
      if (!c.ok) throw new Error(`${name} frame ${frame}: ${c.error.message}`);
      const e = wire.encode(c.msg);
      // (the encoder writes no padding: the chain keeps its length in f1)
      expect(c.msg.f[1], `${name} frame ${frame}: padding of at most a block`).toBeLessThanOrEqual(16);
      expect(e.ok && hex(e.bytes), `${name} frame ${frame} inner chain re-encodes`).toBe(hex(r.plain.subarray(0, r.plain.length - c.msg.f[1])));
      const theirs = inner.get(frame);
      expect(theirs, `${name} frame ${frame}: tshark decrypted it too`).toBeDefined();
      const ours = c.msg.children.map((n) => normPayload(n, 1));
      expect(ours.map((n) => n.type), `${name} frame ${frame} inner payload order`).toEqual(theirs!.map((n) => n.type));
      ours.forEach((n, i) => sameAsTshark(n, theirs![i], `${name} frame ${frame} inner #${i + 1}`));
      decrypted++;
    }
    expect(decrypted).toBe(inner.size);
    total += decrypted;
  });

  test("the corpus had IKEv1 messages of every exchange to decrypt", () => {
    expect(total).toBeGreaterThan(40);
    expect(v1).toEqual(expect.arrayContaining(["ikev1-ss-main-psk", "ikev1-ss-aggr-psk", "ikev1-ss-main-cert", "ikev1-ss-main-dpd", "ikev1-ls2ss"]));
  });

  test("a wrong key, a missing SA or KE, and a retransmission: reasons, and the first copy's plaintext", () => {
    const name = "ikev1-ss-main-psk";
    const keys = parseKeyTable(readFileSync(new URL(`${name}.ikev1_decryption_table`, DIR), "utf8"));
    const msgs = [...wholeMessages(name)];
    const firstEnc = msgs.findIndex((m) => m.msg.children.some((c) => c.kind === abi.K_V1_ENC));
    const encOf = (m: { msg: WireNode }) => m.msg.children.find((c) => c.kind === abi.K_V1_ENC)!;

    // nothing observed: the SA's transform is unknown
    const blind = new V1Decryptor(keys.v1);
    const r0 = blind.decrypt(msgs[firstEnc].msg, encOf(msgs[firstEnc]));
    expect(r0.ok ? "" : r0.reason).toMatch(/transform was not seen/);

    // the SA payloads but not the responder's KE
    const noKe = new V1Decryptor(keys.v1);
    for (const m of msgs.slice(0, firstEnc)) if (!m.msg.children.some((c) => c.kind === abi.K_V1_DATA && c.ptype === abi.PT1_KE && msgs.indexOf(m) === firstEnc - 1)) noKe.observe(m.msg);
    const r1 = noKe.decrypt(msgs[firstEnc].msg, encOf(msgs[firstEnc]));
    expect(r1.ok ? "" : r1.reason).toMatch(/responder's KE payload was not seen/);

    // a key of the wrong length names the line and both lengths
    const short = new Map([...keys.v1].map(([k, v]) => [k, { ...v, encKey: v.encKey.subarray(0, 20) }]));
    const wrong = new V1Decryptor(short);
    for (const m of msgs.slice(0, firstEnc)) wrong.observe(m.msg);
    const r2 = wrong.decrypt(msgs[firstEnc].msg, encOf(msgs[firstEnc]));
    expect(r2.ok ? "" : r2.reason).toMatch(/key line 1: AES-CBC takes a key of 16 or 24 or 32 bytes, the line has 20/);

    // a retransmitted copy gets the first copy's plaintext, and the chain goes on unharmed
    const d = new V1Decryptor(keys.v1);
    let plain: Uint8Array | undefined;
    let after = 0;
    for (const [i, m] of msgs.entries()) {
      const enc = m.msg.children.find((c) => c.kind === abi.K_V1_ENC);
      if (!enc) {
        d.observe(m.msg);
        continue;
      }
      const r = d.decrypt(m.msg, enc);
      expect(r.ok, `message ${i}`).toBe(true);
      if (i === firstEnc && r.ok) {
        plain = r.plain;
        const again = d.decrypt(m.msg, enc); // the same datagram once more
        expect(again.ok && again.retransmission && hex(again.plain)).toBe(hex(plain));
      } else if (r.ok && wire.decodeChain(1, m.msg.f[0], r.plain).ok) after++;
    }
    expect(plain).toBeDefined();
    expect(after).toBeGreaterThan(3);
  });
});
