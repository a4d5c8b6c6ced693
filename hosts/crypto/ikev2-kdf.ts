// The IKEv2 key schedule (RFC 7296 2.13-2.18, 2.15), as pure functions over a crypto provider.
//
//   SKEYSEED        = prf(Ni | Nr, g^ir)                                           2.14
//   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//                   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)                        2.14
//   KEYMAT          = prf+(SK_d, Ni | Nr)   or   prf+(SK_d, g^ir (new) | Ni | Nr) 2.17
//   SKEYSEED (new)  = prf(SK_d (old), g^ir (new) | Ni | Nr)                        2.18
//   AUTH (PSK)      = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) 2.15
//
// HMAC PRFs take Ni | Nr whole as the SKEYSEED key. RFC 7296 2.14 makes an exception for PRFs
// with a fixed key size (AES-XCBC-PRF-128 here): "only the first 64 bits of Ni and the first
// 64 bits of Nr are used in calculating SKEYSEED", so the key is Ni[0..7] | Nr[0..7].
// Nonces and SPIs are the values as sent, g^ir the fixed-length secret of the provider.
import { concatBytes, prfInfo, CryptoUsageError, PRF_AES128_XCBC } from "./algorithms.ts";
import type { CryptoProvider } from "./provider.ts";

// A negotiated PRF: the provider that computes it and its transform ID.
export interface PrfRef {
  provider: CryptoProvider;
  id: number;
}

export function prfRef(provider: CryptoProvider, id: number): PrfRef {
  prfInfo(id); // refuses unsupported PRFs now rather than at first use
  return { provider, id };
}

// Sizes of the IKE SA keys. encrKeyLen counts the salt of an AEAD cipher
// (algorithms.encrKeymatLen), integKeyLen is 0 with an AEAD cipher, prfKeyLen is the PRF's
// preferred key size (its output length for HMAC).
export interface IkeKeyLengths {
  encrKeyLen: number;
  integKeyLen: number;
  prfKeyLen: number;
}

export interface IkeKeys {
  SK_d: Uint8Array;
  SK_ai: Uint8Array;
  SK_ar: Uint8Array;
  SK_ei: Uint8Array;
  SK_er: Uint8Array;
  SK_pi: Uint8Array;
  SK_pr: Uint8Array;
}

// Sizes of one direction's keys for a Child SA.
export interface ChildKeyLengths {
  encrKeyLen: number;
  integKeyLen: number;
}

// Keys of a Child SA pair. RFC 7296 2.17: "keys are taken in the following order: encryption
// key for the SA carrying data from the initiator to the responder, integrity key for it, then
// encryption and integrity keys for the other direction".
export interface ChildKeys {
  encrI: Uint8Array; // initiator -> responder
  integI: Uint8Array;
  encrR: Uint8Array; // responder -> initiator
  integR: Uint8Array;
}

function prf(p: PrfRef, key: Uint8Array, data: Uint8Array): Uint8Array {
  return p.provider.prf(p.id, key, data);
}

function checkLengths(what: string, lengths: object): void {
  for (const [k, v] of Object.entries(lengths)) {
    if (!Number.isInteger(v) || v < 0) throw new CryptoUsageError(`${what}: ${k} must be a byte count, not ${v}`);
  }
}

// SKEYSEED = prf(Ni | Nr, g^ir)
export function skeyseed(p: PrfRef, Ni: Uint8Array, Nr: Uint8Array, gir: Uint8Array): Uint8Array {
  if (p.id === PRF_AES128_XCBC) return prf(p, concatBytes(Ni.subarray(0, 8), Nr.subarray(0, 8)), gir);
  return prf(p, concatBytes(Ni, Nr), gir);
}

// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the PRF of the old IKE SA; the keys
// of the new IKE SA then come from ikeKeys() with the new SA's PRF, Ni, Nr and SPIs.
export function rekeySkeyseed(pOld: PrfRef, SK_d_old: Uint8Array, gir: Uint8Array, Ni: Uint8Array, Nr: Uint8Array): Uint8Array {
  return prf(pOld, SK_d_old, concatBytes(gir, Ni, Nr));
}

// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) of length bytes (the DKM of SP 800-135).
export function ikeKeymat(p: PrfRef, SKEYSEED: Uint8Array, Ni: Uint8Array, Nr: Uint8Array, SPIi: Uint8Array, SPIr: Uint8Array, length: number): Uint8Array {
  return p.provider.prfPlus(p.id, SKEYSEED, concatBytes(Ni, Nr, SPIi, SPIr), length);
}

export function ikeKeys(p: PrfRef, SKEYSEED: Uint8Array, Ni: Uint8Array, Nr: Uint8Array, SPIi: Uint8Array, SPIr: Uint8Array, lengths: IkeKeyLengths): IkeKeys {
  checkLengths("ikeKeys", lengths);
  const { encrKeyLen: e, integKeyLen: a, prfKeyLen: d } = lengths;
  const km = ikeKeymat(p, SKEYSEED, Ni, Nr, SPIi, SPIr, d + 2 * a + 2 * e + 2 * d);
  let off = 0;
  const take = (n: number) => km.slice(off, (off += n));
  // order fixed by RFC 7296 2.14
  const SK_d = take(d);
  const SK_ai = take(a);
  const SK_ar = take(a);
  const SK_ei = take(e);
  const SK_er = take(e);
  const SK_pi = take(d);
  const SK_pr = take(d);
  return { SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr };
}

// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) of length bytes. g^ir is given for a CREATE_CHILD_SA
// exchange with a KE payload (PFS), omitted otherwise.
export function childKeymat(p: PrfRef, SK_d: Uint8Array, Ni: Uint8Array, Nr: Uint8Array, gir: Uint8Array | undefined, length: number): Uint8Array {
  const seed = gir === undefined ? concatBytes(Ni, Nr) : concatBytes(gir, Ni, Nr);
  return p.provider.prfPlus(p.id, SK_d, seed, length);
}

export function childKeys(p: PrfRef, SK_d: Uint8Array, Ni: Uint8Array, Nr: Uint8Array, gir: Uint8Array | undefined, lengths: ChildKeyLengths): ChildKeys {
  checkLengths("childKeys", lengths);
  const { encrKeyLen: e, integKeyLen: a } = lengths;
  const km = childKeymat(p, SK_d, Ni, Nr, gir, 2 * (e + a));
  return { encrI: km.slice(0, e), integI: km.slice(e, e + a), encrR: km.slice(e + a, 2 * e + a), integR: km.slice(2 * e + a) };
}

const KEY_PAD = new TextEncoder().encode("Key Pad for IKEv2");

// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <InitiatorSignedOctets or
// ResponderSignedOctets>) for authentication method 2 (Shared Key Message Integrity Code).
export function pskAuth(p: PrfRef, psk: Uint8Array, signed: Uint8Array): Uint8Array {
  return prf(p, prf(p, psk, KEY_PAD), signed);
}

// MACedIDForI = prf(SK_pi, RestOfInitIDPayload), MACedIDForR = prf(SK_pr, RestOfRespIDPayload):
// the ID payload body after the generic payload header (ID Type, three reserved bytes, data).
export function macedId(p: PrfRef, SK_p: Uint8Array, idPayloadBody: Uint8Array): Uint8Array {
  return prf(p, SK_p, idPayloadBody);
}

// InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
// ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
// realMessage is the whole IKE_SA_INIT message this side sent (from the IKE header on), the
// nonce is the peer's Nonce Data (the payload body).
export function signedOctets(realMessage: Uint8Array, nonceOfPeer: Uint8Array, macedIdOfThisSide: Uint8Array): Uint8Array {
  return concatBytes(realMessage, nonceOfPeer, macedIdOfThisSide);
}
