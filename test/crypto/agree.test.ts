// Property tests: for random inputs, native (OpenSSL) and portable (noble) give identical
// outputs for every primitive, and identical verdicts (accept, or the same error code) for
// random and corrupted peer values.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import * as A from "../../hosts/crypto/algorithms.ts";
import { hex } from "../../hosts/crypto/algorithms.ts";
import { nativeProvider as N } from "../../hosts/crypto/native.ts";
import { portableProvider as P } from "../../hosts/crypto/portable.ts";
import type { DhResult } from "../../hosts/crypto/provider.ts";

const bytes = (max: number, min = 0) => fc.uint8Array({ minLength: min, maxLength: max });
const exact = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const show = (r: Uint8Array | null) => (r === null ? "null" : hex(r));
const verdict = (r: DhResult) => (r.ok ? `ok ${hex(r.shared)}` : r.error.code);

describe("native and portable agree", () => {
  test("prf and prf+", () => {
    fc.assert(
      fc.property(fc.constantFrom(...A.PRFS.keys()), bytes(200), bytes(300), fc.nat(600), (id, key, data, len) => {
        expect(hex(P.prf(id, key, data))).toBe(hex(N.prf(id, key, data)));
        const n = Math.min(len, 255 * A.PRFS.get(id)!.outLen);
        const a = N.prfPlus(id, key, data, n);
        expect(a.length).toBe(n);
        expect(hex(P.prfPlus(id, key, data, n))).toBe(hex(a));
      }),
      { numRuns: 300 },
    );
  });

  test("integ and integVerify", () => {
    fc.assert(
      fc.property(fc.constantFrom(...A.INTEGS.keys()), bytes(300), fc.integer(), (id, data, seed) => {
        const key = Uint8Array.from({ length: A.INTEGS.get(id)!.keyLen }, (_, i) => (seed >> i % 24) ^ i);
        const icv = N.integ(id, key, data);
        expect(icv.length).toBe(A.INTEGS.get(id)!.icvLen);
        expect(hex(P.integ(id, key, data))).toBe(hex(icv));
        expect(P.integVerify(id, key, data, icv)).toBe(true);
        expect(N.integVerify(id, key, data, icv)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("AES-CBC: same ciphertext, round trip, same answer for random ciphertext", () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 24, 32), fc.nat(), exact(16), fc.nat(12), bytes(12 * 16), (klen, ks, iv, blocks, raw) => {
        const key = Uint8Array.from({ length: klen }, (_, i) => (ks * 31 + i * 7) & 0xff);
        const data = new Uint8Array(blocks * 16);
        data.set(raw.subarray(0, data.length));
        const c = N.encrypt(A.ENCR_AES_CBC, key, iv, data);
        expect(hex(P.encrypt(A.ENCR_AES_CBC, key, iv, data))).toBe(hex(c));
        expect(show(P.decrypt(A.ENCR_AES_CBC, key, iv, c))).toBe(hex(data));
        expect(show(N.decrypt(A.ENCR_AES_CBC, key, iv, raw))).toBe(show(P.decrypt(A.ENCR_AES_CBC, key, iv, raw)));
      }),
      { numRuns: 300 },
    );
  });

  for (const [encr, keyLens] of [
    [A.ENCR_AES_GCM_16, [20, 28, 36]],
    [A.ENCR_CHACHA20_POLY1305, [36]],
  ] as const) {
    test(`${A.ENCRS.get(encr)!.name}: same output, round trip, same verdict on tampering`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...keyLens),
          exact(36),
          exact(8),
          bytes(200),
          fc.option(bytes(64), { nil: undefined }),
          fc.nat(),
          (klen, keyBytes, iv, data, aad, flip) => {
            const key = keyBytes.subarray(0, klen);
            const c = N.encrypt(encr, key, iv, data, aad);
            expect(c.length).toBe(data.length + 16);
            expect(hex(P.encrypt(encr, key, iv, data, aad))).toBe(hex(c));
            expect(show(P.decrypt(encr, key, iv, c, aad))).toBe(hex(data));
            expect(show(N.decrypt(encr, key, iv, c, aad))).toBe(hex(data));
            const bad = c.slice();
            bad[flip % bad.length] ^= 1 << flip % 8;
            expect(N.decrypt(encr, key, iv, bad, aad)).toBeNull();
            expect(P.decrypt(encr, key, iv, bad, aad)).toBeNull();
            // random bytes of any length: both refuse, neither throws
            expect(N.decrypt(encr, key, iv, data, aad)).toBeNull();
            expect(P.decrypt(encr, key, iv, data, aad)).toBeNull();
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  const curves = [A.ECP_256, A.ECP_384, A.ECP_521, A.CURVE25519, A.CURVE448];
  for (const group of curves) {
    const g = A.GROUPS.get(group)!;
    test(`${g.name}: random private keys and peer values, the same verdict and secret`, () => {
      fc.assert(
        fc.property(exact(g.privLen), exact(g.pubLen), fc.nat(), fc.constantFrom("valid", "random", "flipped", "short"), (privRaw, junk, flip, kind) => {
          // a generated private key, or (ECP, one run in four) random bytes that may be out of range
          const priv = g.kind === "ecp" && flip % 4 === 0 ? privRaw : N.dhGenerate(group).priv;
          const peer = N.dhGenerate(group).pub;
          let pub: Uint8Array;
          if (kind === "valid") pub = peer;
          else if (kind === "random") pub = junk;
          else if (kind === "flipped") {
            pub = peer.slice();
            pub[flip % pub.length] ^= 1 << flip % 8;
          } else pub = peer.subarray(0, flip % g.pubLen);
          const n = N.dhShared(group, priv, pub);
          expect(verdict(P.dhShared(group, priv, pub))).toBe(verdict(n));
          if (kind === "valid" && (g.kind !== "ecp" || flip % 4 !== 0)) expect(n.ok).toBe(true);
        }),
        { numRuns: g.kind === "ecp" ? 60 : 100 },
      );
    });
  }

  for (const group of curves) {
    const g = A.GROUPS.get(group)!;
    test(`${g.name}: the shared secret from the key object kept since generation equals the one from an import, and noble's`, () => {
      for (let i = 0; i < 20; i++) {
        const mine = N.dhGenerate(group);
        const peer = P.dhGenerate(group);
        const kept = N.dhShared(group, mine.priv, peer.pub); // the key object generation kept
        const imported = N.dhShared(group, mine.priv, peer.pub); // taken out by then: imported again
        const noble = P.dhShared(group, peer.priv, mine.pub);
        expect(kept.ok && imported.ok && noble.ok).toBe(true);
        if (kept.ok && imported.ok && noble.ok) {
          expect(hex(kept.shared)).toBe(hex(noble.shared));
          expect(hex(imported.shared)).toBe(hex(noble.shared));
        }
        // a bad peer value after a kept key still gets the import path's verdict
        const bad = N.dhGenerate(group);
        expect(verdict(N.dhShared(group, bad.priv, peer.pub.subarray(1)))).toBe(verdict(P.dhShared(group, bad.priv, peer.pub.subarray(1))));
      }
    });
  }

  for (const group of [A.MODP_2048, A.MODP_3072, A.MODP_4096]) {
    const g = A.GROUPS.get(group)!;
    test(`${g.name}: random private keys and peer values, the same verdict and secret`, () => {
      fc.assert(
        fc.property(exact(g.privLen), exact(g.privLen), exact(g.pubLen), fc.boolean(), (a, b, junk, useJunk) => {
          const pubB = N.dhPublic(group, b);
          expect(hex(P.dhPublic(group, b))).toBe(hex(pubB));
          const peer = useJunk ? junk : pubB;
          expect(verdict(P.dhShared(group, a, peer))).toBe(verdict(N.dhShared(group, a, peer)));
        }),
        { numRuns: group === A.MODP_2048 ? 12 : 4 },
      );
    });
  }
});
