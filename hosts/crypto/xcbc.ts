// AES-XCBC-MAC (RFC 3566), the integrity transform AUTH_AES_XCBC_96, and AES-XCBC-PRF-128
// (RFC 4434), the PRF transform PRF_AES128_XCBC, over a provider's AES-128-CBC, so that both
// providers share one construction and differ only in the block cipher under it.
import { CryptoUsageError } from "./algorithms.ts";

// AES-128-CBC without padding: data is a multiple of 16 bytes.
export type AesCbc = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array;

const ZERO = new Uint8Array(16);
const fill = (v: number) => new Uint8Array(16).fill(v);
const K1_SEED = fill(1), K2_SEED = fill(2), K3_SEED = fill(3);

function xor16(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = a[i] ^ b[i] ^ c[i];
  return out;
}

// RFC 3566 2.3: K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..); E[0] = 0; each block
// but the last: E[i] = E(K1, M[i] ^ E[i-1]); the last, if whole: E(K1, M[n] ^ E[n-1] ^ K2),
// else padded with 10* to 16 bytes: E(K1, M[n] ^ E[n-1] ^ K3). The full 16-byte result.
export function xcbcMac(cbc: AesCbc, key: Uint8Array, msg: Uint8Array): Uint8Array {
  if (key.length !== 16) throw new CryptoUsageError(`AES-XCBC-MAC takes a 16-byte key, not ${key.length}`);
  const K1 = cbc(key, ZERO, K1_SEED);
  // the last block is the final 1..16 bytes (an empty message has one empty, padded block)
  const lastLen = msg.length === 0 ? 0 : ((msg.length - 1) % 16) + 1;
  const head = msg.subarray(0, msg.length - lastLen);
  const e = head.length > 0 ? cbc(K1, ZERO, head).subarray(head.length - 16) : ZERO;
  const last = new Uint8Array(16);
  last.set(msg.subarray(msg.length - lastLen));
  let k: Uint8Array;
  if (lastLen === 16) k = cbc(key, ZERO, K2_SEED);
  else {
    last[lastLen] = 0x80;
    k = cbc(key, ZERO, K3_SEED);
  }
  return cbc(K1, ZERO, xor16(last, e, k));
}

// RFC 4434 2: a key of 16 bytes is used as it is, a shorter one is padded with zeros, a longer
// one is replaced by AES-XCBC-MAC(0^16, key). (IKEv2's SKEYSEED keys it with Ni[0..7] | Nr[0..7]:
// RFC 7296 2.14; the key schedule does that.)
export function xcbcPrf(cbc: AesCbc, key: Uint8Array, msg: Uint8Array): Uint8Array {
  let k = key;
  if (key.length < 16) {
    k = new Uint8Array(16);
    k.set(key);
  } else if (key.length > 16) k = xcbcMac(cbc, ZERO, key);
  return xcbcMac(cbc, k, msg);
}
