// MS-CHAPv2 (RFC 2759) and its keys (RFC 3079), as EAP-MSCHAPv2 uses them
// (draft-kamath-pppext-eap-mschapv2): the NT-Response the peer computes from the password, the
// authenticator response ("S=...") the server proves itself with, and the 64-byte MSK
// (MasterReceiveKey | MasterSendKey | 32 zero bytes; MS-CHAP [MS-CHAP] 3.1.5.1, and what
// strongSwan 5.9.8's eap_mschapv2 derives) that keys IKEv2's AUTH (RFC 7296 2.16).
//
// MD4 comes from hash-wasm (node:crypto on OpenSSL 3 has no MD4 without the legacy provider;
// Deno's has it, Node's does not), DES from hosts/crypto/des.ts (single DES is 3DES with one key
// thrice), SHA-1 from @noble/hashes. Runtime-neutral; initMschapv2() once before use (hash-wasm
// compiles its MD4 asynchronously).
import { createMD4, type IHasher } from "hash-wasm";
import { sha1 } from "@noble/hashes/legacy.js";
import { tdesCbcEncrypt } from "../crypto/des.ts";
import { concatBytes as cat, hex } from "../crypto/algorithms.ts";

let md4hasher: IHasher | null = null;

/** Loads MD4; every other call here needs it done. */
export async function initMschapv2(): Promise<void> {
  if (!md4hasher) md4hasher = await createMD4();
}

function md4(data: Uint8Array): Uint8Array {
  if (!md4hasher) throw new Error("MS-CHAPv2: initMschapv2() was not awaited");
  return md4hasher.init().update(data).digest("binary");
}


const ascii = (s: string) => new TextEncoder().encode(s);

/** UTF-16LE of the password (RFC 2759 8.3: a Unicode string; at most 256 characters). */
function unicode(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

export const MAX_PASSWORD = 256;

/** NtPasswordHash (RFC 2759 8.3): MD4 of the Unicode password. */
export function ntPasswordHash(password: string): Uint8Array {
  return md4(unicode(password));
}

/** HashNtPasswordHash (8.4). */
export function hashNtPasswordHash(hash: Uint8Array): Uint8Array {
  return md4(hash);
}

/** ChallengeHash (8.2): the first 8 bytes of SHA-1(PeerChallenge | AuthenticatorChallenge | UserName). */
export function challengeHash(peerChallenge: Uint8Array, authChallenge: Uint8Array, userName: string): Uint8Array {
  return sha1(cat(peerChallenge, authChallenge, ascii(stripDomain(userName)))).subarray(0, 8);
}

/** The user name without a "DOMAIN\" prefix (RFC 2759 8.2). */
export function stripDomain(userName: string): string {
  const i = userName.indexOf("\\");
  return i >= 0 ? userName.slice(i + 1) : userName;
}

// DES with a 7-byte key (RFC 2759 8.6 DesEncrypt): the 56 bits spread over 8 bytes, the low bit of
// each (parity) left 0, which DES ignores.
function desEncrypt(clear: Uint8Array, key7: Uint8Array): Uint8Array {
  const k = new Uint8Array(8);
  let bits = 0n;
  for (const b of key7) bits = (bits << 8n) | BigInt(b);
  for (let i = 0; i < 8; i++) k[i] = Number((bits >> BigInt(49 - 7 * i)) & 0x7fn) << 1;
  return tdesCbcEncrypt(cat(k, k, k), new Uint8Array(8), clear);
}

/** ChallengeResponse (8.5): three DES encryptions of the 8-byte challenge under the zero-padded hash. */
export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  const z = cat(passwordHash, new Uint8Array(21 - passwordHash.length));
  return cat(desEncrypt(challenge, z.subarray(0, 7)), desEncrypt(challenge, z.subarray(7, 14)), desEncrypt(challenge, z.subarray(14, 21)));
}

/** GenerateNTResponse (8.1): the peer's 24-byte answer. */
export function generateNtResponse(authChallenge: Uint8Array, peerChallenge: Uint8Array, userName: string, password: string): Uint8Array {
  return challengeResponse(challengeHash(peerChallenge, authChallenge, userName), ntPasswordHash(password));
}

const MAGIC_SIGN = ascii("Magic server to client signing constant");
const MAGIC_PAD = ascii("Pad to make it do more than one iteration");

/** GenerateAuthenticatorResponse (8.7): "S=" and 40 upper-case hex digits. */
export function generateAuthenticatorResponse(password: string, ntResponse: Uint8Array, peerChallenge: Uint8Array, authChallenge: Uint8Array, userName: string): string {
  const hh = hashNtPasswordHash(ntPasswordHash(password));
  const d1 = sha1(cat(hh, ntResponse, MAGIC_SIGN));
  const d2 = sha1(cat(d1, challengeHash(peerChallenge, authChallenge, userName), MAGIC_PAD));
  return "S=" + hex(d2).toUpperCase();
}

// RFC 3079 3.4
const MAGIC1 = ascii("This is the MPPE Master Key");
const MAGIC2 = ascii("On the client side, this is the send key; on the server side, it is the receive key.");
const MAGIC3 = ascii("On the client side, this is the receive key; on the server side, it is the send key.");
const SHS_PAD1 = new Uint8Array(40);
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

/** GetMasterKey (RFC 3079 3.4). */
export function getMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  return sha1(cat(passwordHashHash, ntResponse, MAGIC1)).subarray(0, 16);
}

/** GetAsymmetricStartKey (RFC 3079 3.4) for a 128-bit session key. */
export function getAsymmetricStartKey(masterKey: Uint8Array, isSend: boolean, isServer: boolean): Uint8Array {
  const magic = isSend === isServer ? MAGIC3 : MAGIC2;
  return sha1(cat(masterKey, SHS_PAD1, magic, SHS_PAD2)).subarray(0, 16);
}

/**
 * The EAP-MSCHAPv2 MSK, the same on both sides: MasterReceiveKey | MasterSendKey (the
 * authenticator's receive and send keys) | 32 zero bytes.
 */
export function mschapv2Msk(password: string, ntResponse: Uint8Array): Uint8Array {
  const master = getMasterKey(hashNtPasswordHash(ntPasswordHash(password)), ntResponse);
  return cat(getAsymmetricStartKey(master, false, true), getAsymmetricStartKey(master, true, true), new Uint8Array(32));
}
