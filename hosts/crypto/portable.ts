// The portable crypto provider: @noble/hashes, @noble/ciphers and @noble/curves (audited,
// pure JavaScript) plus BigInt for MODP groups. No node: import: it runs in any JavaScript
// runtime with WebCrypto's getRandomValues (Node, Deno, browsers, workers).
//
// MODP exponentiation here is plain BigInt arithmetic: slower than OpenSSL and not constant-time,
// so the native provider is the one to use where node:crypto is at hand.
import { cbc, ctr, gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { x448 } from "@noble/curves/ed448.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import {
  CryptoUsageError,
  counterBlock,
  GROUPS,
  MODP_GENERATOR,
  bigIntToBytes,
  checkModpPeer,
  checkModpPrivate,
  dhError,
  encrInfo,
  equalBytes,
  integInfo,
  isAllZero,
  leftPad,
  prfInfo,
  splitEncrKey,
  bytesToBigInt,
  type DhResult,
  type EncrInfo,
  type GroupInfo,
  type HashName,
} from "./algorithms.ts";
import { prfPlusOver, type CryptoProvider, type DhKeyPair } from "./provider.ts";
import { tdesCbcDecrypt, tdesCbcEncrypt } from "./des.ts";
import { xcbcMac, xcbcPrf } from "./xcbc.ts";

const HASHES = { md5, sha1, sha256, sha384, sha512 } as const;

function mac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(HASHES[hash], key, data);
}

const aes128Cbc = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array => cbc(key, iv, { disablePadding: true }).encrypt(data);

function prf(prfId: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  const h = prfInfo(prfId).hash;
  return h === "xcbc" ? xcbcPrf(aes128Cbc, key, data) : mac(h, key, data);
}

function integ(integId: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  const i = integInfo(integId);
  if (key.length !== i.keyLen) throw new CryptoUsageError(`${i.name} takes a ${i.keyLen}-byte key, not ${key.length}`);
  return (i.hash === "xcbc" ? xcbcMac(aes128Cbc, key, data) : mac(i.hash, key, data)).slice(0, i.icvLen);
}

// ---- encryption ------------------------------------------------------------------------------

interface Prepared {
  e: EncrInfo;
  cipherKey: Uint8Array;
  nonce: Uint8Array; // the IV for CBC, the counter block for CTR, salt | IV for AEAD
}

function prepare(encrId: number, key: Uint8Array, iv: Uint8Array, dataLen: number, forDecrypt: boolean, aad?: Uint8Array): Prepared | string {
  const e = encrInfo(encrId);
  const split = splitEncrKey(encrId, key);
  if (!split) return `${e.name}: a key of ${key.length} bytes does not fit`;
  if (iv.length !== e.ivLen) return `${e.name}: IV must be ${e.ivLen} bytes, not ${iv.length}`;
  if (!e.aead) {
    if (aad !== undefined && aad.length > 0) return `${e.name} takes no associated data`;
    if (dataLen % e.blockLen !== 0) return `${e.name}: data must be a multiple of ${e.blockLen} bytes, not ${dataLen}`;
    return { e, cipherKey: split.cipherKey, nonce: e.mode === "ctr" ? counterBlock(split.salt, iv) : iv };
  }
  if (forDecrypt && dataLen < e.icvLen) return `${e.name}: ${dataLen} bytes cannot hold a ${e.icvLen}-byte tag`;
  const nonce = new Uint8Array(split.salt.length + iv.length);
  nonce.set(split.salt);
  nonce.set(iv, split.salt.length);
  return { e, cipherKey: split.cipherKey, nonce };
}

function aeadCipher(p: Prepared, aad?: Uint8Array) {
  return p.e.mode === "gcm" ? gcm(p.cipherKey, p.nonce, aad) : chacha20poly1305(p.cipherKey, p.nonce, aad);
}

function encrypt(encrId: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Uint8Array {
  const p = prepare(encrId, key, iv, data.length, false, aad);
  if (typeof p === "string") throw new CryptoUsageError(p);
  switch (p.e.mode) {
    case "cbc":
      return p.e.cipher === "3des" ? tdesCbcEncrypt(p.cipherKey, p.nonce, data) : cbc(p.cipherKey, p.nonce, { disablePadding: true }).encrypt(data);
    case "ctr":
      return ctr(p.cipherKey, p.nonce).encrypt(data);
    default: {
      // a shorter GCM tag is the first bytes of the full one (SP 800-38D 5.2.1.2)
      const sealed = aeadCipher(p, aad).encrypt(data);
      return sealed.subarray(0, data.length + p.e.icvLen);
    }
  }
}

function decrypt(encrId: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  const p = prepare(encrId, key, iv, data.length, true, aad);
  if (typeof p === "string") return null;
  try {
    switch (p.e.mode) {
      case "cbc":
        return p.e.cipher === "3des" ? tdesCbcDecrypt(p.cipherKey, p.nonce, data) : cbc(p.cipherKey, p.nonce, { disablePadding: true }).decrypt(data);
      case "ctr":
        return ctr(p.cipherKey, p.nonce).decrypt(data);
      default: {
        if (p.e.icvLen === 16) return aeadCipher(p, aad).decrypt(data); // throws when the tag does not verify
        // noble checks only whole tags: decrypt with GCM's counter mode (the counter after
        // J0 = nonce | 1), then seal the plaintext again and compare the tag's first bytes
        const ctLen = data.length - p.e.icvLen;
        const j1 = new Uint8Array(16);
        j1.set(p.nonce);
        j1[15] = 2;
        const pt = ctr(p.cipherKey, j1).decrypt(data.subarray(0, ctLen));
        const again = aeadCipher(p, aad).encrypt(pt);
        return equalBytes(again.subarray(ctLen, data.length), data.subarray(ctLen)) ? pt : null;
      }
    }
  } catch {
    return null;
  }
}

// ---- MODP ------------------------------------------------------------------------------------

// base^exp mod m, left to right with a fixed 4-bit window.
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  const table: bigint[] = [1n, base % m];
  for (let i = 2; i < 16; i++) table.push((table[i - 1] * table[1]) % m);
  const bits = exp.toString(2);
  const pad = (4 - (bits.length % 4)) % 4;
  const s = "0".repeat(pad) + bits;
  let r = 1n;
  for (let i = 0; i < s.length; i += 4) {
    if (i > 0) {
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
    }
    const w = parseInt(s.slice(i, i + 4), 2);
    if (w !== 0) r = (r * table[w]) % m;
  }
  return r;
}

// ---- elliptic curves -------------------------------------------------------------------------

const NIST = { 19: p256, 20: p384, 21: p521 } as const;
type NistId = keyof typeof NIST;

function nist(groupId: number) {
  return NIST[groupId as NistId];
}

function group(g: number): GroupInfo {
  const info = GROUPS.get(g);
  if (!info) throw new CryptoUsageError(`DH group ${g} is not supported`);
  return info;
}

function dhPublic(groupId: number, priv: Uint8Array): Uint8Array {
  const g = group(groupId);
  switch (g.kind) {
    case "modp": {
      const bad = checkModpPrivate(groupId, priv);
      if (bad) throw new CryptoUsageError(bad.message);
      return bigIntToBytes(modPow(MODP_GENERATOR, bytesToBigInt(priv), g.prime!), g.pubLen);
    }
    case "ecp": {
      const c = nist(groupId);
      if (priv.length !== g.privLen || !c.utils.isValidSecretKey(priv)) {
        throw new CryptoUsageError(`${g.name}: private key is not a ${g.privLen}-byte scalar in 1..n-1`);
      }
      return c.getPublicKey(priv, false).slice(1);
    }
    case "x25519":
    case "x448": {
      if (priv.length !== g.privLen) throw new CryptoUsageError(`${g.name}: private key must be ${g.privLen} bytes`);
      return (g.kind === "x25519" ? x25519 : x448).getPublicKey(priv);
    }
  }
}

function dhGenerate(groupId: number): DhKeyPair {
  const g = group(groupId);
  let priv: Uint8Array;
  if (g.kind === "ecp") {
    // noble draws half again as many random bytes as the scalar has and reduces them into 1..n-1,
    // which leaves a negligible bias.
    priv = leftPad(nist(groupId).utils.randomSecretKey(), g.privLen);
  } else {
    do priv = randomBytes(g.privLen);
    while (isAllZero(priv));
  }
  return { priv, pub: dhPublic(groupId, priv) };
}

function dhShared(groupId: number, priv: Uint8Array, peerPub: Uint8Array): DhResult {
  const g = GROUPS.get(groupId);
  if (!g) return dhError("UNSUPPORTED_GROUP", groupId, "not a supported group");
  switch (g.kind) {
    case "modp": {
      const bad = checkModpPrivate(groupId, priv);
      if (bad) return { ok: false, error: bad };
      const peer = checkModpPeer(groupId, peerPub);
      if (!peer.ok) return peer;
      return { ok: true, shared: bigIntToBytes(modPow(peer.y, bytesToBigInt(priv), g.prime!), g.sharedLen) };
    }
    case "ecp": {
      const c = nist(groupId);
      if (priv.length !== g.privLen || !c.utils.isValidSecretKey(priv)) return dhError("INVALID_PRIVATE_KEY", groupId, "private key is not a scalar in 1..n-1");
      if (peerPub.length !== g.pubLen) return dhError("INVALID_KE_LENGTH", groupId, `peer value has ${peerPub.length} bytes, the group needs ${g.pubLen}`);
      const sec1 = new Uint8Array(1 + peerPub.length);
      sec1[0] = 4;
      sec1.set(peerPub, 1);
      try {
        // noble decodes 04|x|y, refuses coordinates >= p, points off the curve and the identity.
        const point = c.getSharedSecret(priv, sec1, true);
        return { ok: true, shared: point.slice(1) };
      } catch {
        return dhError("INVALID_KE_VALUE", groupId, "peer value is not a point on the curve");
      }
    }
    case "x25519":
    case "x448": {
      if (priv.length !== g.privLen) return dhError("INVALID_PRIVATE_KEY", groupId, `private key must be ${g.privLen} bytes`);
      if (peerPub.length !== g.pubLen) return dhError("INVALID_KE_LENGTH", groupId, `peer value has ${peerPub.length} bytes, the group needs ${g.pubLen}`);
      let shared: Uint8Array;
      try {
        // noble refuses the small-order u values (those that give the all-zero result) before
        // running the ladder.
        shared = (g.kind === "x25519" ? x25519 : x448).getSharedSecret(priv, peerPub);
      } catch {
        return dhError("INVALID_KE_VALUE", groupId, "peer value gives the all-zero shared secret (RFC 7748 6)");
      }
      if (isAllZero(shared)) return dhError("INVALID_KE_VALUE", groupId, "peer value gives the all-zero shared secret (RFC 7748 6)");
      return { ok: true, shared };
    }
  }
}

// ---- randomness ------------------------------------------------------------------------------

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes a call.
  for (let off = 0; off < n; off += 65536) globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

export const portableProvider: CryptoProvider = {
  name: "portable",
  randomBytes,
  prf,
  prfPlus: (prfId, key, seed, length) => prfPlusOver((k, d) => prf(prfId, k, d), prfId, key, seed, length),
  integ,
  integVerify: (integId, key, data, icv) => equalBytes(integ(integId, key, data), icv),
  encrypt,
  decrypt,
  dhGenerate,
  dhPublic,
  dhShared,
};
