// The IKEv1 key schedule and phase-1/phase-2 hashes (RFC 2409 5, 5.5, Appendix B), over a
// crypto provider's PRF: the building blocks of Main, Aggressive and Quick Mode. Runtime-neutral.
//
// The PRF is the HMAC of the ISAKMP SA's Hash Algorithm (RFC 2409 Appendix A); ikev1Prf()
// names it by the IKEv2 PRF transform ID the providers take. "_b" values are payload bodies
// (the payload without its generic header), as RFC 2409 uses them.
import type { CryptoProvider } from "./provider.ts";
import { concatBytes as cat } from "./algorithms.ts";

/** The provider's PRF ID for an IKEv1 Hash Algorithm (MD5 1, SHA 2, SHA2-256 4, -384 5, -512 6), or 0. */
export function ikev1Prf(hashAlg: number): number {
  switch (hashAlg) {
    case 1: return 1; // PRF_HMAC_MD5
    case 2: return 2; // PRF_HMAC_SHA1
    case 4: return 5; // PRF_HMAC_SHA2_256
    case 5: return 6; // PRF_HMAC_SHA2_384
    case 6: return 7; // PRF_HMAC_SHA2_512
  }
  return 0;
}


export interface Phase1Keys {
  skeyid: Uint8Array;
  skeyidD: Uint8Array;
  skeyidA: Uint8Array;
  skeyidE: Uint8Array;
  /** the cipher's key, from SKEYID_e (Appendix B) */
  encKey: Uint8Array;
}

/** SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b). */
export function skeyidPsk(p: CryptoProvider, prf: number, psk: Uint8Array, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return p.prf(prf, psk, cat(niB, nrB));
}

/** SKEYID for signatures: prf(Ni_b | Nr_b, g^xy). */
export function skeyidSig(p: CryptoProvider, prf: number, niB: Uint8Array, nrB: Uint8Array, gxy: Uint8Array): Uint8Array {
  return p.prf(prf, cat(niB, nrB), gxy);
}

/**
 * SKEYID_d, _a, _e from SKEYID (RFC 2409 5) and the encryption key from SKEYID_e: its first
 * bytes when long enough, else K1 | K2 | ... with K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)
 * (Appendix B).
 */
export function phase1Keys(p: CryptoProvider, prf: number, skeyid: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, encKeyLen: number): Phase1Keys {
  const skeyidD = p.prf(prf, skeyid, cat(gxy, ckyI, ckyR, Uint8Array.of(0)));
  const skeyidA = p.prf(prf, skeyid, cat(skeyidD, gxy, ckyI, ckyR, Uint8Array.of(1)));
  const skeyidE = p.prf(prf, skeyid, cat(skeyidA, gxy, ckyI, ckyR, Uint8Array.of(2)));
  let encKey: Uint8Array;
  if (skeyidE.length >= encKeyLen) encKey = skeyidE.slice(0, encKeyLen);
  else {
    const parts: Uint8Array[] = [];
    let k = p.prf(prf, skeyidE, Uint8Array.of(0));
    let have = 0;
    for (;;) {
      parts.push(k);
      have += k.length;
      if (have >= encKeyLen) break;
      k = p.prf(prf, skeyidE, k);
    }
    encKey = cat(...parts).slice(0, encKeyLen);
  }
  return { skeyid, skeyidD, skeyidA, skeyidE, encKey };
}

/** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b). */
export function hashI(p: CryptoProvider, prf: number, skeyid: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, saiB: Uint8Array, idiiB: Uint8Array): Uint8Array {
  return p.prf(prf, skeyid, cat(gxi, gxr, ckyI, ckyR, saiB, idiiB));
}

/** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). */
export function hashR(p: CryptoProvider, prf: number, skeyid: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, saiB: Uint8Array, idirB: Uint8Array): Uint8Array {
  return p.prf(prf, skeyid, cat(gxr, gxi, ckyR, ckyI, saiB, idirB));
}

const mid = (m: number) => Uint8Array.of(m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff);

/**
 * Quick Mode HASH(1) = prf(SKEYID_a, M-ID | rest) and HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest),
 * where rest is the message's payloads after the HASH payload, generic headers included (RFC
 * 2409 5.5); also an Informational's HASH(1) (RFC 2409 5.7) with rest its N or D payload.
 */
export function qmHash1(p: CryptoProvider, prf: number, skeyidA: Uint8Array, msgid: number, rest: Uint8Array): Uint8Array {
  return p.prf(prf, skeyidA, cat(mid(msgid), rest));
}
export function qmHash2(p: CryptoProvider, prf: number, skeyidA: Uint8Array, msgid: number, niB: Uint8Array, rest: Uint8Array): Uint8Array {
  return p.prf(prf, skeyidA, cat(mid(msgid), niB, rest));
}
/** HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
export function qmHash3(p: CryptoProvider, prf: number, skeyidA: Uint8Array, msgid: number, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return p.prf(prf, skeyidA, cat(Uint8Array.of(0), mid(msgid), niB, nrB));
}

/**
 * KEYMAT for one direction of an IPsec SA: K1 | K2 | ... with K1 = prf(SKEYID_d, [g(qm)^xy |]
 * protocol | SPI | Ni_b | Nr_b) and Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b |
 * Nr_b), cut to `length` (RFC 2409 5.5). `spi` is the SPI of that direction's SA (the
 * receiver's choice); `gqmxy` the Quick Mode DH secret with PFS, else empty.
 */
export function keymat(p: CryptoProvider, prf: number, skeyidD: Uint8Array, protocol: number, spi: Uint8Array, niB: Uint8Array, nrB: Uint8Array, length: number, gqmxy: Uint8Array = new Uint8Array(0)): Uint8Array {
  const seed = cat(gqmxy, Uint8Array.of(protocol), spi, niB, nrB);
  const parts: Uint8Array[] = [];
  let have = 0;
  let k = p.prf(prf, skeyidD, seed);
  for (let i = 0; i < 255; i++) {
    parts.push(k);
    have += k.length;
    if (have >= length) break;
    k = p.prf(prf, skeyidD, cat(k, seed));
  }
  return cat(...parts).slice(0, length);
}
