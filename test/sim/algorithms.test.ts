// Every algorithm the proposal parser knows, one transform at a time: loaded from an ipsec.conf
// text as the daemon loads it, either refused there with a message naming the transform by its
// registry name, or used end to end in the simulator: an IKE SA and a Child SA established
// with exactly that transform and equal keys on both sides. IKE transforms run twice, native
// on both sides and native against portable (each provider then decrypts and verifies what the
// other protected, and both derive the same keys). ESP transforms are keyed here and run by the
// kernel: the Child SA shows the transform and both sides' KEYMAT agree (test/interop compares
// them with strongSwan's); a PFS group is proven by a Child SA rekey that uses it.
import { describe, expect, test } from "vitest";
import type { NormalizedConn } from "../../hosts/config/normalize.ts";
import { ianaName, parserVocabulary } from "../../hosts/config/proposals.ts";
import { cases, load, type Case } from "../config/algorithm-cases.ts";
import type { ConnSpec } from "../../hosts/engine.ts";
import type { CryptoProvider } from "../../hosts/crypto/provider.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";
import * as abi from "../../core/abi.ts";
import { EAST, Sim, WEST, pairConn } from "./sim.ts";
import { consistency } from "./check.ts";

function spec(self: "west" | "east", c: Case, n: NormalizedConn): ConnSpec {
  const over: Partial<ConnSpec> =
    c.proto === "ike"
      ? { ike: n.ike.map((p) => ({ encr: p.encr, prf: p.prf, integ: p.integ, dh: p.dh })) }
      : { esp: n.esp.map((p) => ({ encr: p.encr, integ: p.integ, esn: [0], ...(p.dh.length ? { dh: p.dh } : {}) })), pfs: n.pfs };
  return pairConn(self, over);
}

// Establishes the IKE SA and Child SA with one transform; returns what went wrong, if anything.
function establish(c: Case, n: NormalizedConn, west: CryptoProvider, east: CryptoProvider): string[] {
  const sim = new Sim(7, undefined, west);
  const w = sim.addNode("west", WEST, west);
  const e = sim.addNode("east", EAST, east);
  sim.act(w, (x) => x.addConn(0, spec("west", c, n)));
  sim.act(e, (x) => x.addConn(0, spec("east", c, n)));
  sim.act(w, (x) => x.initiate(sim.now, "west-east"));
  sim.run(10_000);
  const bad = consistency(sim, w, e);
  const ws = w.status(true).ike;
  if (ws.length !== 1 || ws[0]!.children.length !== 1) bad.push(`west has ${ws.length} IKE SAs, ${ws[0]?.children.length ?? 0} Child SAs`);
  if (bad.length === 0) {
    const s = ws[0]!;
    const ch = s.children[0]!;
    const got = c.proto === "ike" ? { encr: s.encr, prf: s.prf, integ: s.integ, dh: s.dh } : { encr: ch.encr, integ: ch.integ, dh: ch.dh };
    const pfsGroup = c.proto === "esp" && c.kind === "dh"; // not used until a rekey
    if (!pfsGroup && got[c.kind as keyof typeof got] !== c.id) bad.push(`negotiated ${c.kind} ${got[c.kind as keyof typeof got]}, not ${c.id}`);
    if (c.kind === "encr" && (c.proto === "ike" ? s.keyBits : ch.keyBits) !== c.keyBits) bad.push(`negotiated key length ${c.proto === "ike" ? s.keyBits : ch.keyBits}, not ${c.keyBits}`);
    if (c.proto === "esp" && c.kind === "dh" && c.id !== 0) {
      // the PFS group is used by CREATE_CHILD_SA (IKE_AUTH carries no KE: RFC 7296 1.2)
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, ch.serial));
      sim.run(sim.now + 10_000);
      bad.push(...consistency(sim, w, e));
      const now = w.status(true).ike[0]?.children ?? [];
      if (now.length !== 1 || now[0]!.serial === ch.serial || now[0]!.dh !== c.id) bad.push(`after the rekey: ${JSON.stringify(now.map((x) => ({ serial: x.serial, dh: x.dh })))}`);
    }
  }
  if (bad.length > 0) bad.push(...w.logs.slice(-15), "---", ...e.logs.slice(-15));
  return bad;
}

const all = cases();
const loaded = all.map((c) => ({ c, r: load(c.proto, c.text) }));
const accepted = loaded.filter((x) => "conn" in x.r) as { c: Case; r: { conn: NormalizedConn } }[];
const refused = loaded.filter((x) => "error" in x.r) as { c: Case; r: { error: string } }[];
const label = (c: Case) => `${c.proto}=${c.text}`;

describe("every transform the parser knows, one at a time", () => {
  test("the enumeration covers each transform of the vocabulary, for IKE and for ESP", () => {
    // encryption, integrity and DH for both; PRF for IKE
    for (const v of parserVocabulary()) {
      for (const proto of v.kind === "prf" ? ["ike"] : ["ike", "esp"]) expect(all.some((c) => c.proto === proto && c.kind === v.kind && c.id === v.id), `${proto} ${v.kind} ${v.id}`).toBe(true);
    }
    console.log(`${accepted.length} proposals accepted at load, ${refused.length} refused:\n` + refused.map((x) => `  ${label(x.c)}: ${x.r.error}`).join("\n"));
    expect(accepted.length).toBeGreaterThan(50);
  });

  test("every alias of a transform means the same transform", () => {
    for (const v of parserVocabulary()) {
      for (const c of all.filter((x) => x.kind === v.kind && x.id === v.id)) {
        const at = (n: string) => {
          const r = load(c.proto, c.make(n));
          return "conn" in r ? JSON.stringify(c.proto === "ike" ? r.conn.ike : r.conn.esp) : r.error.replaceAll(c.make(n), c.text);
        };
        const first = at(c.name);
        // in ENCR-INTEG-PRF a name that is also a PRF's is read as the PRF, as Libreswan reads it
        const prfNames = new Set(parserVocabulary().filter((x) => x.kind === "prf").flatMap((x) => x.names));
        for (const n of v.names) if (n !== c.name && !(c.proto === "ike" && c.kind === "integ" && prfNames.has(n))) expect(at(n), `${label(c)}: ${v.kind} '${n}'`).toBe(first);
      }
    }
  });

  test("the known cases of issue 10: AES-CTR, 3DES with MD5, AES-XCBC establish; MODP_1024 (dh2) is refused at load, by name", () => {
    for (const [text, want] of [["aes_ctr256-sha2", { encr: 13, keyBits: 256 }], ["3des-md5", { encr: 3 }], ["aes128-aes_xcbc;dh19", { encr: 12, keyBits: 128 }]] as const) {
      const r = load("ike", text);
      if (!("conn" in r)) throw new Error(r.error);
      const c: Case = { proto: "ike", kind: "encr", id: want.encr, keyBits: "keyBits" in want ? want.keyBits : 0, text, name: text, make: () => text };
      expect(establish(c, r.conn, nativeProvider, portableProvider), text).toEqual([]);
    }
    expect(load("ike", "aes128-sha1;dh2")).toEqual({ error: "conn 't': ike=aes128-sha1;dh2: IKE DH algorithm MODP_1024 is not supported for IKE: Libreswan 4.10 does not accept it (RFC 8247: SHOULD NOT)" });
  });

  test("each refusal names the refused transform by its registry name", () => {
    for (const { c, r } of refused) {
      // 'none' (no integrity, no DH) is quoted as written
      const named = r.error.includes(ianaName(c.kind, c.id)) || (c.id === 0 && r.error.includes("'none'"));
      expect(named, `${label(c)}: ${r.error}`).toBe(true);
    }
  });

  // IKE: native on both sides, then native against portable
  for (const { c, r } of accepted.filter((x) => x.c.proto === "ike")) {
    test(`${label(c)}: IKE SA and Child SA, native-native and native-portable`, () => {
      expect(establish(c, r.conn, nativeProvider, nativeProvider)).toEqual([]);
      expect(establish(c, r.conn, nativeProvider, portableProvider)).toEqual([]);
    });
  }
  // ESP: the providers only run prf+ for these; native on one side and portable on the other
  for (const { c, r } of accepted.filter((x) => x.c.proto === "esp")) {
    test(`${label(c)}: IKE SA and Child SA with it${c.kind === "dh" ? ", and a Child SA rekey using the PFS group" : ""}`, () => {
      expect(establish(c, r.conn, nativeProvider, portableProvider)).toEqual([]);
    });
  }
});
