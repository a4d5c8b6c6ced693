// The key schedule's shape: which bytes of prf+ become which key, in RFC 7296's order, with the
// salt counted in AEAD keys; the PSK AUTH value; a whole IKE_SA_INIT + CREATE_CHILD_SA keying
// between two parties that end with the same keys (both providers).
import { describe, expect, test } from "vitest";
import * as A from "../../hosts/crypto/algorithms.ts";
import { concatBytes, fromHex as h, hex } from "../../hosts/crypto/algorithms.ts";
import * as K from "../../hosts/crypto/ikev2-kdf.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";
import type { CryptoProvider } from "../../hosts/crypto/provider.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

describe.each([nativeProvider, portableProvider] as CryptoProvider[])("$name provider", (p) => {
  const prf = K.prfRef(p, A.PRF_HMAC_SHA2_256);
  const Ni = h("00112233445566778899aabbccddeeff");
  const Nr = h("ffeeddccbbaa99887766554433221100");
  const SPIi = h("0102030405060708");
  const SPIr = h("1112131415161718");

  test("ikeKeys takes SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr from prf+ in that order", () => {
    const seed = K.skeyseed(prf, Ni, Nr, h("abcdef"));
    expect(hex(seed)).toBe(hex(p.prf(A.PRF_HMAC_SHA2_256, concatBytes(Ni, Nr), h("abcdef"))));
    const lengths = { encrKeyLen: A.encrKeymatLen(A.ENCR_AES_CBC, 128), integKeyLen: 32, prfKeyLen: 32 };
    const keys = K.ikeKeys(prf, seed, Ni, Nr, SPIi, SPIr, lengths);
    const km = p.prfPlus(A.PRF_HMAC_SHA2_256, seed, concatBytes(Ni, Nr, SPIi, SPIr), 32 + 64 + 32 + 64);
    expect(hex(concatBytes(keys.SK_d, keys.SK_ai, keys.SK_ar, keys.SK_ei, keys.SK_er, keys.SK_pi, keys.SK_pr))).toBe(hex(km));
    expect([keys.SK_d, keys.SK_ai, keys.SK_ar, keys.SK_ei, keys.SK_er, keys.SK_pi, keys.SK_pr].map((k) => k.length)).toEqual([32, 32, 32, 16, 16, 32, 32]);
  });

  test("with an AEAD cipher the SK_a keys are empty and SK_e keys carry the salt", () => {
    const lengths = { encrKeyLen: A.encrKeymatLen(A.ENCR_AES_GCM_16, 256), integKeyLen: 0, prfKeyLen: 48 };
    expect(lengths.encrKeyLen).toBe(36);
    expect(A.encrKeymatLen(A.ENCR_CHACHA20_POLY1305)).toBe(36);
    const keys = K.ikeKeys(K.prfRef(p, A.PRF_HMAC_SHA2_384), h("01"), Ni, Nr, SPIi, SPIr, lengths);
    expect(keys.SK_ai.length + keys.SK_ar.length).toBe(0);
    expect(keys.SK_ei.length).toBe(36);
    expect(keys.SK_pr.length).toBe(48);
  });

  test("childKeys: initiator's encr, integ, then the responder's; with PFS g^ir leads the seed", () => {
    const SK_d = h("5a".repeat(32));
    const lengths = { encrKeyLen: 20, integKeyLen: 0 };
    const plain = K.childKeys(prf, SK_d, Ni, Nr, undefined, lengths);
    const km = p.prfPlus(A.PRF_HMAC_SHA2_256, SK_d, concatBytes(Ni, Nr), 40);
    expect(hex(plain.encrI)).toBe(hex(km.subarray(0, 20)));
    expect(hex(plain.encrR)).toBe(hex(km.subarray(20, 40)));
    const gir = h("77".repeat(32));
    const pfs = K.childKeys(prf, SK_d, Ni, Nr, gir, { encrKeyLen: 16, integKeyLen: 32 });
    const km2 = p.prfPlus(A.PRF_HMAC_SHA2_256, SK_d, concatBytes(gir, Ni, Nr), 96);
    expect(hex(concatBytes(pfs.encrI, pfs.integI, pfs.encrR, pfs.integR))).toBe(hex(km2));
    expect(pfs.integI.length).toBe(32);
  });

  test("pskAuth = prf(prf(psk, \"Key Pad for IKEv2\"), SignedOctets)", () => {
    const psk = ascii("a shared secret");
    const SK_pi = h("33".repeat(32));
    const idBody = h("01000000c0000201"); // ID_IPV4_ADDR, reserved, 192.0.2.1
    const maced = K.macedId(prf, SK_pi, idBody);
    const signed = K.signedOctets(h("aabbcc"), Nr, maced);
    expect(hex(signed)).toBe("aabbcc" + hex(Nr) + hex(maced));
    const padded = p.prf(A.PRF_HMAC_SHA2_256, psk, ascii("Key Pad for IKEv2"));
    expect(hex(K.pskAuth(prf, psk, signed))).toBe(hex(p.prf(A.PRF_HMAC_SHA2_256, padded, signed)));
  });

  test("prf+ refuses more than 255 blocks, and bad lengths", () => {
    expect(p.prfPlus(A.PRF_HMAC_SHA1, h("00"), h(""), 255 * 20).length).toBe(5100);
    expect(() => p.prfPlus(A.PRF_HMAC_SHA1, h("00"), h(""), 255 * 20 + 1)).toThrow(A.CryptoUsageError);
    expect(() => K.ikeKeys(prf, h("00"), Ni, Nr, SPIi, SPIr, { encrKeyLen: -1, integKeyLen: 0, prfKeyLen: 32 })).toThrow(A.CryptoUsageError);
    expect(() => K.prfRef(p, 8)).toThrow(/PRF transform 8/); // AES128_CMAC: not supported
  });

  test("two parties: IKE_SA_INIT, then a CREATE_CHILD_SA with PFS and an IKE SA rekey, end with equal keys", () => {
    const group = A.CURVE25519;
    const i = p.dhGenerate(group);
    const r = p.dhGenerate(group);
    const gir = (mine: { priv: Uint8Array }, theirs: { pub: Uint8Array }) => {
      const s = p.dhShared(group, mine.priv, theirs.pub);
      if (!s.ok) throw new Error(s.error.message);
      return s.shared;
    };
    const lengths = { encrKeyLen: 36, integKeyLen: 0, prfKeyLen: 32 };
    const keysI = K.ikeKeys(prf, K.skeyseed(prf, Ni, Nr, gir(i, r)), Ni, Nr, SPIi, SPIr, lengths);
    const keysR = K.ikeKeys(prf, K.skeyseed(prf, Ni, Nr, gir(r, i)), Ni, Nr, SPIi, SPIr, lengths);
    expect(keysI).toEqual(keysR);
    // Child SA with PFS: new KE pair, new nonces
    const i2 = p.dhGenerate(group);
    const r2 = p.dhGenerate(group);
    const Ni2 = p.randomBytes(32);
    const Nr2 = p.randomBytes(32);
    const childI = K.childKeys(prf, keysI.SK_d, Ni2, Nr2, gir(i2, r2), { encrKeyLen: 36, integKeyLen: 0 });
    const childR = K.childKeys(prf, keysR.SK_d, Ni2, Nr2, gir(r2, i2), { encrKeyLen: 36, integKeyLen: 0 });
    expect(childI).toEqual(childR);
    expect(hex(childI.encrI)).not.toBe(hex(childI.encrR));
    // IKE SA rekey: the new SA's keys from the old SK_d, the new secret and the new nonces
    const reI = K.rekeySkeyseed(prf, keysI.SK_d, gir(i2, r2), Ni2, Nr2);
    const reR = K.rekeySkeyseed(prf, keysR.SK_d, gir(r2, i2), Ni2, Nr2);
    expect(hex(reI)).toBe(hex(reR));
    expect(hex(reI)).not.toBe(hex(K.skeyseed(prf, Ni2, Nr2, gir(i2, r2))));
  });
});
