// Cheap symmetric crypto, done by the host synchronously while a message is built or read
// (DESIGN.md): PRF, integrity, ciphers and random bytes. Expensive work (DH, key derivation)
// goes to helper jobs instead. Algorithms are IKEv2 transform IDs.
@external("env", "hostRandom")
declare function hostRandom(out: usize, len: i32): void;
@external("env", "hostPrf")
declare function hostPrf(alg: i32, key: usize, keyLen: i32, data: usize, dataLen: i32, out: usize): i32;
@external("env", "hostInteg")
declare function hostInteg(alg: i32, key: usize, keyLen: i32, data: usize, dataLen: i32, out: usize): i32;
// Returns the output length (ciphertext plus tag for AEAD), or -1.
@external("env", "hostEncrypt")
declare function hostEncrypt(alg: i32, key: usize, keyLen: i32, iv: usize, ivLen: i32, aad: usize, aadLen: i32, data: usize, dataLen: i32, out: usize): i32;
// Returns the plaintext length, or -1 when the tag or the input is bad.
@external("env", "hostDecrypt")
declare function hostDecrypt(alg: i32, key: usize, keyLen: i32, iv: usize, ivLen: i32, aad: usize, aadLen: i32, data: usize, dataLen: i32, out: usize): i32;

@inline function ptr(b: Uint8Array): usize {
  return b.dataStart;
}

export function randomBytes(n: i32): Uint8Array {
  const b = new Uint8Array(n);
  if (n > 0) hostRandom(b.dataStart, n);
  return b;
}

// A random non-zero 64-bit value (IKE SPIs: zero means "not yet known").
export function randomSpi64(): u64 {
  let s: u64 = 0;
  while (s == 0) s = load<u64>(randomBytes(8).dataStart);
  return s;
}

export function randomU32(): u32 {
  const b = randomBytes(4);
  return load<u32>(b.dataStart);
}

// The sizes of every transform IKEv2 here negotiates (hosts/crypto/algorithms.ts has the same
// for the providers; what config may name is decided in hosts/config/proposals.ts). Key sizes
// of the ESP-only ones are here too: the core derives their KEYMAT, the kernel runs them.
export const PRF_HMAC_MD5 = 1;
export const PRF_HMAC_SHA1 = 2;
export const PRF_AES128_XCBC = 4;
export const PRF_HMAC_SHA2_256 = 5;
export const PRF_HMAC_SHA2_384 = 6;
export const PRF_HMAC_SHA2_512 = 7;

export function prfLen(alg: i32): i32 {
  switch (alg) {
    case PRF_HMAC_MD5: return 16;
    case PRF_AES128_XCBC: return 16; // RFC 4434: 128-bit output, and a 128-bit preferred key
    case PRF_HMAC_SHA1: return 20;
    case PRF_HMAC_SHA2_256: return 32;
    case PRF_HMAC_SHA2_384: return 48;
    case PRF_HMAC_SHA2_512: return 64;
  }
  return 0;
}

// PRF outputs land in one scratch buffer and are copied out at their exact length (one
// allocation a call: PRFs run many times per exchange).
const scratch: usize = heap.alloc(64);
function prfOut(n: i32): Uint8Array {
  const r = new Uint8Array(max(n, 0));
  if (n > 0) memory.copy(r.dataStart, scratch, <usize>n);
  return r;
}

export function prf(alg: i32, key: Uint8Array, data: Uint8Array): Uint8Array {
  return prfOut(hostPrf(alg, ptr(key), key.length, ptr(data), data.length, scratch));
}

export function prfRaw(alg: i32, key: Uint8Array, data: usize, len: i32): Uint8Array {
  return prfOut(hostPrf(alg, ptr(key), key.length, data, len, scratch));
}

// prf+ (RFC 7296 2.13): T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n)
export function prfPlus(alg: i32, key: Uint8Array, seed: Uint8Array, len: i32): Uint8Array {
  const out = new Uint8Array(len);
  const h = prfLen(alg);
  if (h == 0) return out;
  const buf = new Uint8Array(h + seed.length + 1);
  let t = new Uint8Array(0);
  let done = 0;
  let n = 1;
  while (done < len && n < 256) {
    buf.set(t, 0);
    buf.set(seed, t.length);
    buf[t.length + seed.length] = <u8>n;
    t = prf(alg, key, buf.subarray(0, t.length + seed.length + 1));
    const take = min(h, len - done);
    out.set(t.subarray(0, take), done);
    done += take;
    n++;
  }
  return out;
}

export const AUTH_HMAC_MD5_96 = 1;
export const AUTH_HMAC_SHA1_96 = 2;
export const AUTH_AES_XCBC_96 = 5;
export const AUTH_AES_CMAC_96 = 8;
export const AUTH_HMAC_SHA2_256_128 = 12;
export const AUTH_HMAC_SHA2_384_192 = 13;
export const AUTH_HMAC_SHA2_512_256 = 14;

export function integKeyLen(alg: i32): i32 {
  switch (alg) {
    case AUTH_HMAC_MD5_96: return 16;
    case AUTH_AES_XCBC_96: return 16;
    case AUTH_AES_CMAC_96: return 16;
    case AUTH_HMAC_SHA1_96: return 20;
    case AUTH_HMAC_SHA2_256_128: return 32;
    case AUTH_HMAC_SHA2_384_192: return 48;
    case AUTH_HMAC_SHA2_512_256: return 64;
  }
  return 0;
}
export function integLen(alg: i32): i32 {
  switch (alg) {
    case AUTH_HMAC_MD5_96: return 12;
    case AUTH_AES_XCBC_96: return 12;
    case AUTH_AES_CMAC_96: return 12;
    case AUTH_HMAC_SHA1_96: return 12;
    case AUTH_HMAC_SHA2_256_128: return 16;
    case AUTH_HMAC_SHA2_384_192: return 24;
    case AUTH_HMAC_SHA2_512_256: return 32;
  }
  return 0;
}

// Integrity checksum of [data, data+len) into out; returns its length.
export function integ(alg: i32, key: Uint8Array, data: usize, len: i32, out: usize): i32 {
  return hostInteg(alg, ptr(key), key.length, data, len, out);
}

export const ENCR_3DES = 3;
export const ENCR_NULL = 11;
export const ENCR_AES_CBC = 12;
export const ENCR_AES_CTR = 13;
export const ENCR_AES_CCM_8 = 14;
export const ENCR_AES_CCM_12 = 15;
export const ENCR_AES_CCM_16 = 16;
export const ENCR_AES_GCM_8 = 18;
export const ENCR_AES_GCM_12 = 19;
export const ENCR_AES_GCM_16 = 20;
export const ENCR_NULL_AUTH_AES_GMAC = 21;
export const ENCR_CAMELLIA_CBC = 23;
export const ENCR_CAMELLIA_CTR = 24;
export const ENCR_CHACHA20_POLY1305 = 28;

@inline export function isAead(encr: i32): bool {
  return (encr >= ENCR_AES_CCM_8 && encr <= ENCR_AES_CCM_16) || (encr >= ENCR_AES_GCM_8 && encr <= ENCR_NULL_AUTH_AES_GMAC) ||
    encr == ENCR_CHACHA20_POLY1305;
}
// Key material taken from prf+ for the cipher: the key plus the salt or nonce that follows it
// (RFC 3686 and 5930 for CTR: 4; RFC 4309 for CCM: 3; RFC 4106, 4543 and 5282 for GCM and
// GMAC: 4; RFC 7634: 4); 3DES takes 24 bytes (RFC 2451), NULL none.
export function encrKeyLen(encr: i32, keyBits: i32): i32 {
  switch (encr) {
    case ENCR_3DES: return 24;
    case ENCR_NULL: return 0;
    case ENCR_CHACHA20_POLY1305: return 36;
    case ENCR_AES_CBC: case ENCR_CAMELLIA_CBC: return keyBits / 8;
    case ENCR_AES_CCM_8: case ENCR_AES_CCM_12: case ENCR_AES_CCM_16: return keyBits / 8 + 3;
  }
  return keyBits / 8 + 4;
}
export function ivLen(encr: i32): i32 {
  return encr == ENCR_AES_CBC || encr == ENCR_CAMELLIA_CBC ? 16 : 8;
}
export function blockLen(encr: i32): i32 {
  if (encr == ENCR_AES_CBC || encr == ENCR_CAMELLIA_CBC) return 16;
  return encr == ENCR_3DES ? 8 : 1;
}
// The ICV: the AEAD tag (8, 12 or 16 bytes by the transform), or the integrity checksum
export function icvLen(encr: i32, integAlg: i32): i32 {
  if (encr == ENCR_AES_CCM_8 || encr == ENCR_AES_GCM_8) return 8;
  if (encr == ENCR_AES_CCM_12 || encr == ENCR_AES_GCM_12) return 12;
  return isAead(encr) ? 16 : integLen(integAlg);
}

export function encrypt(alg: i32, key: Uint8Array, iv: usize, ivLen: i32, aad: usize, aadLen: i32, data: usize, len: i32, out: usize): i32 {
  return hostEncrypt(alg, ptr(key), key.length, iv, ivLen, aad, aadLen, data, len, out);
}
export function decrypt(alg: i32, key: Uint8Array, iv: usize, ivLen: i32, aad: usize, aadLen: i32, data: usize, len: i32, out: usize): i32 {
  return hostDecrypt(alg, ptr(key), key.length, iv, ivLen, aad, aadLen, data, len, out);
}

// DH public value lengths (RFC 7296 3.4: the KE data has the group's exact length)
export function dhLen(group: i32): i32 {
  switch (group) {
    case 5: return 192;
    case 14: return 256;
    case 15: return 384;
    case 16: return 512;
    case 17: return 768;
    case 18: return 1024;
    case 19: return 64;
    case 20: return 96;
    case 21: return 132;
    case 31: return 32;
    case 32: return 56;
  }
  return 0;
}

// Plain digests (NAT_DETECTION_*_IP is SHA-1 of SPIs, address and port: RFC 7296 2.23).
@external("env", "hostHash")
declare function hostHash(alg: i32, data: usize, len: i32, out: usize): i32;
export const HASH_SHA1 = 1;
export function sha1(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  hostHash(HASH_SHA1, data.dataStart, data.length, out.dataStart);
  return out;
}
