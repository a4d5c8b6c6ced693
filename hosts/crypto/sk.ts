// Decrypting a captured SK / SKF payload with keys from a Wireshark ikev2_decryption_table
// (ikedump --keys, and the corpus tests). The daemon's own SK handling is in the core
// (core/ikev2/message.ts); this host-side reader is kept independent of it on purpose, so
// that each checks the other against real captures.
import type { CryptoProvider } from "./provider.ts";

export interface SkAlgorithms {
  encr: number; // IKEv2 transform ID
  keyBytes: number; // cipher key, without the AEAD salt
  integ: number; // 0 for AEAD
  icv: number;
}

// Wireshark's names for the algorithms of the ikev2_decryption_table UAT.
export function skAlgorithms(encName: string, integName: string): SkAlgorithms | null {
  const enc = encName.replace(/"/g, "").trim();
  const integ = integName.replace(/"/g, "").trim();
  let encr = 0;
  let keyBytes = 0;
  let m = /^AES-CBC-(128|192|256)\b/.exec(enc);
  if (m) {
    encr = 12;
    keyBytes = Number(m[1]) / 8;
  } else if ((m = /^AES-GCM-(128|192|256) with 16 octet ICV\b/.exec(enc))) {
    encr = 20;
    keyBytes = Number(m[1]) / 8;
  } else if (/^ChaCha20[- ]Poly1305\b/i.test(enc)) {
    encr = 28;
    keyBytes = 32;
  } else {
    return null;
  }
  const integs: Record<string, [number, number]> = {
    HMAC_SHA1_96: [2, 12],
    HMAC_SHA2_256_128: [12, 16],
    HMAC_SHA2_384_192: [13, 24],
    HMAC_SHA2_512_256: [14, 32],
    NONE: [0, 16],
  };
  const i = integs[integ.split(" ")[0]];
  if (!i) return null;
  if (encr === 12 && i[0] === 0) return null;
  return { encr, keyBytes, integ: i[0], icv: i[1] };
}

// Verifies and decrypts the SK (46) or SKF (53) payload at [off, off+len) of `message` (the
// IKE message without the non-ESP marker). Returns the plaintext chain without padding, or null.
export function skDecrypt(p: CryptoProvider, alg: SkAlgorithms, SK_e: Uint8Array, SK_a: Uint8Array, message: Uint8Array, off: number, len: number, skf: boolean): Uint8Array | null {
  const aead = alg.encr !== 12;
  const ivLen = aead ? 8 : 16;
  const hdr = skf ? 8 : 4; // generic payload header, plus Fragment Number and Total for SKF
  const body = off + hdr;
  const end = off + len;
  if (end > message.length || end - body < ivLen + alg.icv + 1) return null;
  const iv = message.subarray(body, body + ivLen);
  if (aead) {
    // RFC 5282: AAD = IKE header and the unencrypted part of the payload header
    const pt = p.decrypt(alg.encr, SK_e, iv, message.subarray(body + ivLen, end), message.subarray(0, body));
    return pt ? unpad(pt) : null;
  }
  const icvAt = end - alg.icv;
  if (!p.integVerify(alg.integ, SK_a, message.subarray(0, icvAt), message.subarray(icvAt, end))) return null;
  const ct = message.subarray(body + ivLen, icvAt);
  if (ct.length % 16 !== 0) return null;
  const pt = p.decrypt(alg.encr, SK_e, iv, ct);
  return pt ? unpad(pt) : null;
}

function unpad(pt: Uint8Array): Uint8Array | null {
  if (pt.length < 1) return null;
  const pad = pt[pt.length - 1];
  if (pad + 1 > pt.length) return null;
  return pt.subarray(0, pt.length - 1 - pad);
}
