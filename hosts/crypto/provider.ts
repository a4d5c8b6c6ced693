// The crypto provider: the one interface through which the hosts and the key schedule reach
// cryptography, in the spirit of rustls' CryptoProvider. Two implementations, chosen by name:
//
//   native    node:crypto (OpenSSL). Node and Deno both provide node:crypto. hosts/crypto/
//             native.ts is the only file that imports it.
//   portable  @noble/hashes, @noble/ciphers, @noble/curves and BigInt; no node: import, so it
//             runs wherever JavaScript does (a browser, a Worker, the fuzzing sandbox).
//
// Everything is synchronous, byte arrays in and out, and algorithms are named by their IKEv2
// IANA transform IDs (hosts/crypto/algorithms.ts). Both implementations give byte-identical
// results for every input (test/crypto/kat.test.ts checks known answers and random inputs).
//
// Errors: a caller's mistake (unknown transform, key of the wrong size for encrypt or integ)
// throws CryptoUsageError. Anything that can come from the network is a value: decrypt returns
// null, dhShared returns { ok: false, error }.
import { CryptoUsageError, concatBytes, prfInfo, type DhResult } from "./algorithms.ts";

export type ProviderName = "native" | "portable";

export interface DhKeyPair {
  priv: Uint8Array; // the private key in the format both providers share (algorithms.ts)
  pub: Uint8Array; // the Key Exchange Data to send
}

export interface CryptoProvider {
  readonly name: ProviderName;

  // n bytes from the platform's CSPRNG.
  randomBytes(n: number): Uint8Array;

  // prf(K, S) of RFC 7296 2.13, PRF transform IDs 2, 5, 6, 7 (HMAC; any key length).
  prf(prfId: number, key: Uint8Array, data: Uint8Array): Uint8Array;
  // prf+(K, S) = T1 | T2 | ... truncated to length; T1 = prf(K, S | 0x01),
  // Tn = prf(K, Tn-1 | S | n). At most 255 blocks (RFC 7296 2.13).
  prfPlus(prfId: number, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array;

  // The truncated ICV of an integrity transform (IDs 2, 12, 13, 14); key must be keyLen bytes.
  integ(integId: number, key: Uint8Array, data: Uint8Array): Uint8Array;
  // Compares in constant time; false for any length mismatch.
  integVerify(integId: number, key: Uint8Array, data: Uint8Array, icv: Uint8Array): boolean;

  // ENCR_AES_CBC (12): key 16/24/32 bytes, iv 16, data a multiple of 16 (the caller pads);
  //   aad is not allowed.
  // ENCR_AES_GCM_16 (20), ENCR_CHACHA20_POLY1305 (28): key = cipher key | 4-byte salt, iv 8
  //   bytes, nonce = salt | iv; encrypt returns ciphertext | 16-byte tag, decrypt takes the same.
  // encrypt throws CryptoUsageError on bad sizes; decrypt returns null on a bad tag or on any
  // bad size, and never throws for what a peer can send.
  encrypt(encrId: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Uint8Array;
  decrypt(encrId: number, key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Uint8Array | null;

  // A fresh key pair for a group (14, 15, 16, 19, 20, 21, 31, 32).
  dhGenerate(group: number): DhKeyPair;
  // The public value of a private key (throws CryptoUsageError if the key does not fit).
  dhPublic(group: number, priv: Uint8Array): Uint8Array;
  // g^ir from our private key and the peer's Key Exchange Data, after validating the peer's
  // value: MODP length and 1 < y < p-1; ECP length, on the curve (hence not the identity);
  // X25519/X448 length and a non-zero result.
  dhShared(group: number, priv: Uint8Array, peerPub: Uint8Array): DhResult;
}

// prf+ over any prf (RFC 7296 2.13); both providers use it.
export function prfPlusOver(prf: (key: Uint8Array, data: Uint8Array) => Uint8Array, prfId: number, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const outLen = prfInfo(prfId).outLen;
  if (!Number.isInteger(length) || length < 0 || length > 255 * outLen) {
    throw new CryptoUsageError(`prf+ can give 0..${255 * outLen} bytes with PRF ${prfId}, not ${length}`);
  }
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let n = 1, off = 0; off < length; n++) {
    t = prf(key, concatBytes(t, seed, Uint8Array.of(n)));
    out.set(t.subarray(0, Math.min(t.length, length - off)), off);
    off += t.length;
  }
  return out;
}

// Selects an implementation by name. The import is dynamic so that asking for "portable"
// never loads node:crypto.
export async function loadProvider(name: ProviderName): Promise<CryptoProvider> {
  switch (name) {
    case "native":
      return (await import("./native.ts")).nativeProvider;
    case "portable":
      return (await import("./portable.ts")).portableProvider;
    default:
      throw new CryptoUsageError(`no crypto provider named ${JSON.stringify(name)} (native, portable)`);
  }
}

export { CryptoUsageError };
export type { DhResult };
