// The native crypto provider: node:crypto, that is OpenSSL, in Node and in Deno's node:crypto.
// With kernel-shims/esp.ts (the user-space data plane's per-packet crypto), the only file of
// the project that imports node:crypto.
import {
  createCipheriv,
  createDecipheriv,
  createDiffieHellman,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomFillSync,
  timingSafeEqual,
  type DiffieHellman,
  type KeyObject,
  type ECDH,
} from "node:crypto";
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
  integInfo,
  isAllZero,
  leftPad,
  prfInfo,
  splitEncrKey,
  type DhResult,
  type GroupInfo,
} from "./algorithms.ts";
import { prfPlusOver, type CryptoProvider, type DhKeyPair } from "./provider.ts";
import { xcbcMac, xcbcPrf } from "./xcbc.ts";

const OPENSSL_HASH = { md5: "md5", sha1: "sha1", sha256: "sha256", sha384: "sha384", sha512: "sha512" } as const;

function hmac(hash: keyof typeof OPENSSL_HASH, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(OPENSSL_HASH[hash], key).update(data).digest());
}

function aes128Cbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-cbc", key, iv).setAutoPadding(false);
  return concat2(c.update(data), c.final());
}

function prf(prfId: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  const h = prfInfo(prfId).hash;
  return h === "xcbc" ? xcbcPrf(aes128Cbc, key, data) : hmac(h, key, data);
}

function integ(integId: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  const i = integInfo(integId);
  if (key.length !== i.keyLen) throw new CryptoUsageError(`${i.name} takes a ${i.keyLen}-byte key, not ${key.length}`);
  return (i.hash === "xcbc" ? xcbcMac(aes128Cbc, key, data) : hmac(i.hash, key, data)).subarray(0, i.icvLen);
}

// ---- encryption ------------------------------------------------------------------------------

type Sizes = { cipher: string; cipherKey: Uint8Array; iv: Uint8Array; aead: boolean; tagLen: number };

// Checks sizes; returns the complaint as a string (not a throw) so decrypt can refuse quietly.
function sizes(encrId: number, key: Uint8Array, iv: Uint8Array, dataLen: number, forDecrypt: boolean, aad?: Uint8Array): Sizes | string {
  const e = encrInfo(encrId);
  const split = splitEncrKey(encrId, key);
  if (!split) return `${e.name}: a key of ${key.length} bytes does not fit`;
  if (iv.length !== e.ivLen) return `${e.name}: IV must be ${e.ivLen} bytes, not ${iv.length}`;
  const bits = split.cipherKey.length * 8;
  if (!e.aead) {
    if (aad !== undefined && aad.length > 0) return `${e.name} takes no associated data`;
    if (dataLen % e.blockLen !== 0) return `${e.name}: data must be a multiple of ${e.blockLen} bytes, not ${dataLen}`;
    if (e.mode === "ctr") return { cipher: `aes-${bits}-ctr`, cipherKey: split.cipherKey, iv: counterBlock(split.salt, iv), aead: false, tagLen: 0 };
    return { cipher: e.cipher === "3des" ? "des-ede3-cbc" : `aes-${bits}-cbc`, cipherKey: split.cipherKey, iv, aead: false, tagLen: 0 };
  }
  if (forDecrypt && dataLen < e.icvLen) return `${e.name}: ${dataLen} bytes cannot hold a ${e.icvLen}-byte tag`;
  const nonce = new Uint8Array(split.salt.length + iv.length);
  nonce.set(split.salt);
  nonce.set(iv, split.salt.length);
  const cipher = e.mode === "gcm" ? `aes-${bits}-gcm` : "chacha20-poly1305";
  return { cipher, cipherKey: split.cipherKey, iv: nonce, aead: true, tagLen: e.icvLen };
}

function encrypt(encrId: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Uint8Array {
  const s = sizes(encrId, key, iv, data.length, false, aad);
  if (typeof s === "string") throw new CryptoUsageError(s);
  if (!s.aead) {
    const c = createCipheriv(s.cipher, s.cipherKey, s.iv).setAutoPadding(false);
    return concat2(c.update(data), c.final());
  }
  const c = createCipheriv(s.cipher as "aes-128-gcm", s.cipherKey, s.iv, { authTagLength: s.tagLen });
  if (aad !== undefined) c.setAAD(aad);
  const body = concat2(c.update(data), c.final());
  return concat2(body, c.getAuthTag());
}

function decrypt(encrId: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  const s = sizes(encrId, key, iv, data.length, true, aad);
  if (typeof s === "string") return null;
  try {
    if (!s.aead) {
      const d = createDecipheriv(s.cipher, s.cipherKey, s.iv).setAutoPadding(false);
      return concat2(d.update(data), d.final());
    }
    const tagAt = data.length - s.tagLen;
    const d = createDecipheriv(s.cipher as "aes-128-gcm", s.cipherKey, s.iv, { authTagLength: s.tagLen });
    d.setAuthTag(data.subarray(tagAt));
    if (aad !== undefined) d.setAAD(aad);
    const body = d.update(data.subarray(0, tagAt));
    return concat2(body, d.final()); // final() throws when the tag does not verify
  } catch {
    return null;
  }
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// ---- Diffie-Hellman --------------------------------------------------------------------------

function group(g: number): GroupInfo {
  const info = GROUPS.get(g);
  if (!info) throw new CryptoUsageError(`DH group ${g} is not supported`);
  return info;
}

// One DiffieHellman object per MODP group: building one runs OpenSSL's parameter check, which
// costs far more than an exponentiation. JavaScript is single-threaded here, so setting the
// private key and computing right after cannot interleave.
const modpCache = new Map<number, DiffieHellman>();
function modp(g: GroupInfo, id: number): DiffieHellman {
  let dh = modpCache.get(id);
  if (!dh) {
    dh = createDiffieHellman(Buffer.from(bigIntToBytes(g.prime!, g.pubLen)), Buffer.from([Number(MODP_GENERATOR)]));
    modpCache.set(id, dh);
  }
  return dh;
}

// RFC 7748 keys go into OpenSSL as JWK (RFC 8037), the fastest way in: a PKCS #8 import costs
// ten times more. Node checks only that a private JWK has an "x" string and derives the public
// value from "d"; should a later Node insist on "x", the PKCS #8 wrapping (RFC 8410) is the
// fallback.
const OKP = {
  x25519: { crv: "X25519", pkcs8: Buffer.from("302e020100300506032b656e04220420", "hex") },
  x448: { crv: "X448", pkcs8: Buffer.from("3046020100300506032b656f043a0438", "hex") },
} as const;

function okpPrivate(kind: "x25519" | "x448", priv: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: "OKP", crv: OKP[kind].crv, d: Buffer.from(priv).toString("base64url"), x: "" }, format: "jwk" });
  } catch {
    return createPrivateKey({ key: Buffer.concat([OKP[kind].pkcs8, priv]), format: "der", type: "pkcs8" });
  }
}

function okpPublic(kind: "x25519" | "x448", pub: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: OKP[kind].crv, x: Buffer.from(pub).toString("base64url") }, format: "jwk" });
}

// The key objects of the key pairs this process generated, until their shared secret is
// computed: importing a private key again costs OpenSSL a scalar multiplication to rebuild
// the public value (x25519 JWK import, ECDH setPrivateKey), as much as the shared secret
// itself. A key exchange's generate and shared steps run in the same process when the
// helpers are one worker (the default here) or none; elsewhere the key is imported as
// before. Bounded (oldest first), and each entry is taken out when used.
const MAX_PENDING_KEYS = 4096;
const pendingKeys = new Map<string, KeyObject | ECDH>();
const pendingKey = (groupId: number, priv: Uint8Array) => `${groupId}:${Buffer.from(priv.buffer, priv.byteOffset, priv.byteLength).toString("base64")}`;
function keepKey(groupId: number, priv: Uint8Array, k: KeyObject | ECDH): void {
  if (pendingKeys.size >= MAX_PENDING_KEYS) pendingKeys.delete(pendingKeys.keys().next().value!);
  pendingKeys.set(pendingKey(groupId, priv), k);
}
// Forgets the kept key objects (bench/dh.ts measures the path without them).
export function forgetKeptKeys(): void {
  pendingKeys.clear();
}
function takeKey(groupId: number, priv: Uint8Array): KeyObject | ECDH | undefined {
  const id = pendingKey(groupId, priv);
  const k = pendingKeys.get(id);
  if (k !== undefined) pendingKeys.delete(id);
  return k;
}

function dhPublic(groupId: number, priv: Uint8Array): Uint8Array {
  const g = group(groupId);
  switch (g.kind) {
    case "modp": {
      const bad = checkModpPrivate(groupId, priv);
      if (bad) throw new CryptoUsageError(bad.message);
      const dh = modp(g, groupId);
      dh.setPrivateKey(priv);
      // With a private key set, generateKeys() computes g^x from it (OpenSSL DH_generate_key);
      // the public value comes back without leading zeros. (test/crypto/kat.test.ts checks
      // 2^1, 2^2 and random keys against the portable provider.)
      return leftPad(new Uint8Array(dh.generateKeys()), g.pubLen);
    }
    case "ecp": {
      if (priv.length !== g.privLen) throw new CryptoUsageError(`${g.name}: private key must be ${g.privLen} bytes`);
      const e = createECDH(g.curve!);
      try {
        e.setPrivateKey(priv);
      } catch {
        throw new CryptoUsageError(`${g.name}: private key is not a scalar in 1..n-1`);
      }
      return new Uint8Array(e.getPublicKey(null, "uncompressed").subarray(1));
    }
    case "x25519":
    case "x448": {
      if (priv.length !== g.privLen) throw new CryptoUsageError(`${g.name}: private key must be ${g.privLen} bytes`);
      const jwk = createPublicKey(okpPrivate(g.kind, priv)).export({ format: "jwk" });
      return new Uint8Array(Buffer.from(jwk.x!, "base64url"));
    }
  }
}

function dhGenerate(groupId: number): DhKeyPair {
  const g = group(groupId);
  let priv: Uint8Array;
  if (g.kind === "ecp") {
    // OpenSSL draws the scalar uniformly in 1..n-1.
    const e = createECDH(g.curve!);
    e.generateKeys();
    priv = leftPad(new Uint8Array(e.getPrivateKey()), g.privLen);
    keepKey(groupId, priv, e);
    return { priv, pub: new Uint8Array(e.getPublicKey(null, "uncompressed").subarray(1)) };
  }
  do priv = randomBytes(g.privLen);
  while (isAllZero(priv));
  if (g.kind === "x25519" || g.kind === "x448") {
    const k = okpPrivate(g.kind, priv);
    keepKey(groupId, priv, k);
    const jwk = createPublicKey(k).export({ format: "jwk" });
    return { priv, pub: new Uint8Array(Buffer.from(jwk.x!, "base64url")) };
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
      const dh = modp(g, groupId);
      dh.setPrivateKey(priv);
      try {
        return { ok: true, shared: leftPad(new Uint8Array(dh.computeSecret(peerPub)), g.sharedLen) };
      } catch (e) {
        return dhError("INVALID_KE_VALUE", groupId, `OpenSSL refused the peer value (${(e as Error).message})`);
      }
    }
    case "ecp": {
      let e = takeKey(groupId, priv) as ECDH | undefined;
      if (e === undefined) {
        e = createECDH(g.curve!);
        try {
          if (priv.length !== g.privLen) throw new Error();
          e.setPrivateKey(priv);
        } catch {
          return dhError("INVALID_PRIVATE_KEY", groupId, "private key is not a scalar in 1..n-1");
        }
      }
      if (peerPub.length !== g.pubLen) return dhError("INVALID_KE_LENGTH", groupId, `peer value has ${peerPub.length} bytes, the group needs ${g.pubLen}`);
      try {
        // OpenSSL decodes 04|x|y, refuses coordinates >= p and points off the curve; the
        // identity has no such encoding, so it cannot get through.
        const x = e.computeSecret(Buffer.concat([Buffer.of(4), peerPub]));
        return { ok: true, shared: leftPad(new Uint8Array(x), g.sharedLen) };
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
        const mine = (takeKey(groupId, priv) as KeyObject | undefined) ?? okpPrivate(g.kind, priv);
        shared = new Uint8Array(diffieHellman({ privateKey: mine, publicKey: okpPublic(g.kind, peerPub) }));
      } catch {
        // OpenSSL fails the derivation when the result is all zero (a small-order peer value).
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
  randomFillSync(out);
  return out;
}

export const nativeProvider: CryptoProvider = {
  name: "native",
  randomBytes,
  prf,
  prfPlus: (prfId, key, seed, length) => prfPlusOver((k, d) => prf(prfId, k, d), prfId, key, seed, length),
  integ,
  integVerify(integId, key, data, icv) {
    const mine = integ(integId, key, data);
    return mine.length === icv.length && timingSafeEqual(mine, icv);
  },
  encrypt,
  decrypt,
  dhGenerate,
  dhPublic,
  dhShared,
};
