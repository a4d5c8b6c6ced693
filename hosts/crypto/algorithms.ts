// The algorithms the IKEv2 engine speaks, by their IANA "IKEv2 Transform Type" numbers, with
// the sizes every caller needs (RFC 7296 3.3.2, RFC 2403, RFC 3566, RFC 4434, RFC 4868,
// RFC 5282, RFC 5930, RFC 7634, RFC 2451, RFC 3526, RFC 5903, RFC 8031). Shared by both crypto providers and the key schedule: pure data and
// small byte helpers, no runtime-specific imports.

// ---- Transform Type 2: Pseudorandom Function ------------------------------------------------
export const PRF_HMAC_MD5 = 1;
export const PRF_HMAC_SHA1 = 2;
export const PRF_AES128_XCBC = 4;
export const PRF_HMAC_SHA2_256 = 5;
export const PRF_HMAC_SHA2_384 = 6;
export const PRF_HMAC_SHA2_512 = 7;

// ---- Transform Type 3: Integrity Algorithm ----------------------------------------------------
export const AUTH_HMAC_MD5_96 = 1;
export const AUTH_HMAC_SHA1_96 = 2;
export const AUTH_AES_XCBC_96 = 5;
export const AUTH_HMAC_SHA2_256_128 = 12;
export const AUTH_HMAC_SHA2_384_192 = 13;
export const AUTH_HMAC_SHA2_512_256 = 14;

// ---- Transform Type 1: Encryption Algorithm ---------------------------------------------------
export const ENCR_3DES = 3;
export const ENCR_AES_CBC = 12;
export const ENCR_AES_CTR = 13;
export const ENCR_AES_GCM_8 = 18;
export const ENCR_AES_GCM_12 = 19;
export const ENCR_AES_GCM_16 = 20;
export const ENCR_CHACHA20_POLY1305 = 28;

// ---- Transform Type 4: Key Exchange Method (Diffie-Hellman group) -----------------------------
export const MODP_1536 = 5;
export const MODP_2048 = 14;
export const MODP_3072 = 15;
export const MODP_4096 = 16;
export const MODP_6144 = 17;
export const MODP_8192 = 18;
export const ECP_256 = 19;
export const ECP_384 = 20;
export const ECP_521 = 21;
export const CURVE25519 = 31;
export const CURVE448 = 32;

export type HashName = "md5" | "sha1" | "sha256" | "sha384" | "sha512";

// A MAC is an HMAC over a hash, or AES-XCBC (RFC 3566), which has no hash.
export type MacName = HashName | "xcbc";

export interface PrfInfo {
  name: string;
  hash: MacName;
  outLen: number; // bytes of one prf() output
  keyLen: number; // preferred key length (RFC 7296 2.13: the output length for HMAC PRFs)
}

export const PRFS: ReadonlyMap<number, PrfInfo> = new Map([
  [PRF_HMAC_MD5, { name: "PRF_HMAC_MD5", hash: "md5", outLen: 16, keyLen: 16 }],
  [PRF_HMAC_SHA1, { name: "PRF_HMAC_SHA1", hash: "sha1", outLen: 20, keyLen: 20 }],
  // RFC 4434: any key length (the PRF fits it to 16 bytes), a 16-byte output
  [PRF_AES128_XCBC, { name: "PRF_AES128_XCBC", hash: "xcbc", outLen: 16, keyLen: 16 }],
  [PRF_HMAC_SHA2_256, { name: "PRF_HMAC_SHA2_256", hash: "sha256", outLen: 32, keyLen: 32 }],
  [PRF_HMAC_SHA2_384, { name: "PRF_HMAC_SHA2_384", hash: "sha384", outLen: 48, keyLen: 48 }],
  [PRF_HMAC_SHA2_512, { name: "PRF_HMAC_SHA2_512", hash: "sha512", outLen: 64, keyLen: 64 }],
] as const);

export interface IntegInfo {
  name: string;
  hash: MacName;
  keyLen: number; // RFC 4868 2.1.1 / RFC 2404 / RFC 2403: the key is as long as the hash output; XCBC: 16
  icvLen: number; // the truncated output carried on the wire
}

export const INTEGS: ReadonlyMap<number, IntegInfo> = new Map([
  [AUTH_HMAC_MD5_96, { name: "AUTH_HMAC_MD5_96", hash: "md5", keyLen: 16, icvLen: 12 }],
  [AUTH_HMAC_SHA1_96, { name: "AUTH_HMAC_SHA1_96", hash: "sha1", keyLen: 20, icvLen: 12 }],
  [AUTH_AES_XCBC_96, { name: "AUTH_AES_XCBC_96", hash: "xcbc", keyLen: 16, icvLen: 12 }],
  [AUTH_HMAC_SHA2_256_128, { name: "AUTH_HMAC_SHA2_256_128", hash: "sha256", keyLen: 32, icvLen: 16 }],
  [AUTH_HMAC_SHA2_384_192, { name: "AUTH_HMAC_SHA2_384_192", hash: "sha384", keyLen: 48, icvLen: 24 }],
  [AUTH_HMAC_SHA2_512_256, { name: "AUTH_HMAC_SHA2_512_256", hash: "sha512", keyLen: 64, icvLen: 32 }],
] as const);

export interface EncrInfo {
  name: string;
  // the block cipher and its mode: CBC pads to blockLen, CTR is a stream (RFC 5930: a 4-byte
  // nonce from KEYMAT, the 8-byte IV, a 32-bit block counter from 1), GCM and ChaCha20-Poly1305
  // are AEAD
  cipher: "aes" | "3des" | "chacha20";
  mode: "cbc" | "ctr" | "gcm" | "poly1305";
  aead: boolean;
  keyBits: readonly number[]; // allowed cipher key sizes (the Key Length attribute)
  saltLen: number; // bytes of salt (nonce, for CTR) appended to the cipher key in KEYMAT
  ivLen: number; // bytes of IV sent with each message
  blockLen: number; // the caller pads the plaintext to a multiple of this (CBC only; 1 otherwise)
  icvLen: number; // bytes of authentication tag appended to the ciphertext (AEAD only)
}

export const ENCRS: ReadonlyMap<number, EncrInfo> = new Map([
  // RFC 2451: three DES keys (parity bits unused), 8-byte IV and blocks.
  [ENCR_3DES, { name: "ENCR_3DES", cipher: "3des", mode: "cbc", aead: false, keyBits: [192], saltLen: 0, ivLen: 8, blockLen: 8, icvLen: 0 }],
  // RFC 3602: 16-byte IV, no padding of its own (IKEv2 pads inside the SK payload).
  [ENCR_AES_CBC, { name: "ENCR_AES_CBC", cipher: "aes", mode: "cbc", aead: false, keyBits: [128, 192, 256], saltLen: 0, ivLen: 16, blockLen: 16, icvLen: 0 }],
  // RFC 5930 (after RFC 3686): KEYMAT = AES key | 4-byte nonce; counter block = nonce | IV | 1.
  [ENCR_AES_CTR, { name: "ENCR_AES_CTR", cipher: "aes", mode: "ctr", aead: false, keyBits: [128, 192, 256], saltLen: 4, ivLen: 8, blockLen: 1, icvLen: 0 }],
  // RFC 5282 (after RFC 4106): KEYMAT = AES key | 4-byte salt; nonce = salt | 8-byte IV; the
  // tag is the first 8, 12 or 16 bytes of GCM's.
  [ENCR_AES_GCM_8, { name: "ENCR_AES_GCM_8", cipher: "aes", mode: "gcm", aead: true, keyBits: [128, 192, 256], saltLen: 4, ivLen: 8, blockLen: 1, icvLen: 8 }],
  [ENCR_AES_GCM_12, { name: "ENCR_AES_GCM_12", cipher: "aes", mode: "gcm", aead: true, keyBits: [128, 192, 256], saltLen: 4, ivLen: 8, blockLen: 1, icvLen: 12 }],
  [ENCR_AES_GCM_16, { name: "ENCR_AES_GCM_16", cipher: "aes", mode: "gcm", aead: true, keyBits: [128, 192, 256], saltLen: 4, ivLen: 8, blockLen: 1, icvLen: 16 }],
  // RFC 7634: KEYMAT = 32-byte key | 4-byte salt; nonce = salt | 8-byte IV.
  [ENCR_CHACHA20_POLY1305, { name: "ENCR_CHACHA20_POLY1305", cipher: "chacha20", mode: "poly1305", aead: true, keyBits: [256], saltLen: 4, ivLen: 8, blockLen: 1, icvLen: 16 }],
] as const);

export type GroupKind = "modp" | "ecp" | "x25519" | "x448";

export interface GroupInfo {
  name: string;
  kind: GroupKind;
  privLen: number; // bytes of the private key this engine keeps (see PRIVATE KEYS below)
  pubLen: number; // bytes of Key Exchange Data on the wire
  sharedLen: number; // bytes of g^ir
  curve?: string; // OpenSSL name, for ECP groups
  prime?: bigint; // MODP only
}

// PRIVATE KEYS. Both providers keep the same private key format, so that one private key gives
// the same shared secret in either of them:
//   MODP        the exponent x, big-endian, privLen bytes (y = g^x mod p; g = 2). The length is
//               the upper exponent size RFC 3526 section 8 lists for the group's strength.
//   ECP         the scalar d, big-endian, field length, 1 <= d < n (SEC 1).
//   X25519/X448 the 32/56 raw bytes of RFC 7748 (clamped when used, not when stored).
const MODP_14 =
  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd" +
  "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f" +
  "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
  "15728e5a8aacaa68ffffffffffffffff";
const MODP_15 =
  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd" +
  "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f" +
  "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
  "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7" +
  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200c" +
  "bbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff";
const MODP_16 =
  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd" +
  "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f" +
  "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
  "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7" +
  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200c" +
  "bbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7" +
  "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6" +
  "287c59474e6bc05d99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9" +
  "93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff";

const MODP_5 =
  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd" +
  "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f" +
  "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca237327ffffffffffffffff";
const MODP_17 =
  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd" +
  "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f" +
  "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
  "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7" +
  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200c" +
  "bbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7" +
  "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6" +
  "287c59474e6bc05d99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9" +
  "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026c1d4dcb2602646dec9751e763dba37bd" +
  "f8ff9406ad9e530ee5db382f413001aeb06a53ed9027d831179727b0865a8918da3edbebcf9b14ed44ce6cbaced4bb1b" +
  "db7f1447e6cc254b332051512bd7af426fb8f401378cd2bf5983ca01c64b92ecf032ea15d1721d03f482d7ce6e74fef6" +
  "d55e702f46980c82b5a84031900b1c9e59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aa" +
  "cc8f6d7ebf48e1d814cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76f550aa3d8a1fbff0eb19ccb1a313d55c" +
  "da56c9ec2ef29632387fe8d76e3c0468043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dcc4024ffffffffffffffff";
const MODP_18 =
  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd" +
  "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f" +
  "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510" +
  "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7" +
  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200c" +
  "bbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7" +
  "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6" +
  "287c59474e6bc05d99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9" +
  "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026c1d4dcb2602646dec9751e763dba37bd" +
  "f8ff9406ad9e530ee5db382f413001aeb06a53ed9027d831179727b0865a8918da3edbebcf9b14ed44ce6cbaced4bb1b" +
  "db7f1447e6cc254b332051512bd7af426fb8f401378cd2bf5983ca01c64b92ecf032ea15d1721d03f482d7ce6e74fef6" +
  "d55e702f46980c82b5a84031900b1c9e59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aa" +
  "cc8f6d7ebf48e1d814cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76f550aa3d8a1fbff0eb19ccb1a313d55c" +
  "da56c9ec2ef29632387fe8d76e3c0468043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dbe115974a3926f12fee5e4" +
  "38777cb6a932df8cd8bec4d073b931ba3bc832b68d9dd300741fa7bf8afc47ed2576f6936ba424663aab639c5ae4f568" +
  "3423b4742bf1c978238f16cbe39d652de3fdb8befc848ad922222e04a4037c0713eb57a81a23f0c73473fc646cea306b" +
  "4bcbc8862f8385ddfa9d4b7fa2c087e879683303ed5bdd3a062b3cf5b3a278a66d2a13f83f44f82ddf310ee074ab6a36" +
  "4597e899a0255dc164f31cc50846851df9ab48195ded7ea1b1d510bd7ee74d73faf36bc31ecfa268359046f4eb879f92" +
  "4009438b481c6cd7889a002ed5ee382bc9190da6fc026e479558e4475677e9aa9e3050e2765694dfc81f56e880b96e71" +
  "60c980dd98edd3dfffffffffffffffff";

const hexBig = (h: string): bigint => BigInt("0x" + h);

export const GROUPS: ReadonlyMap<number, GroupInfo> = new Map<number, GroupInfo>([
  [MODP_1536, { name: "MODP_1536", kind: "modp", privLen: 30, pubLen: 192, sharedLen: 192, prime: hexBig(MODP_5) }],
  [MODP_2048, { name: "MODP_2048", kind: "modp", privLen: 40, pubLen: 256, sharedLen: 256, prime: hexBig(MODP_14) }],
  [MODP_3072, { name: "MODP_3072", kind: "modp", privLen: 53, pubLen: 384, sharedLen: 384, prime: hexBig(MODP_15) }],
  [MODP_4096, { name: "MODP_4096", kind: "modp", privLen: 60, pubLen: 512, sharedLen: 512, prime: hexBig(MODP_16) }],
  [MODP_6144, { name: "MODP_6144", kind: "modp", privLen: 68, pubLen: 768, sharedLen: 768, prime: hexBig(MODP_17) }],
  [MODP_8192, { name: "MODP_8192", kind: "modp", privLen: 78, pubLen: 1024, sharedLen: 1024, prime: hexBig(MODP_18) }],
  // RFC 5903 section 7: KE data is x | y (no point-format octet); g^ir is the x coordinate.
  [ECP_256, { name: "ECP_256", kind: "ecp", privLen: 32, pubLen: 64, sharedLen: 32, curve: "prime256v1" }],
  [ECP_384, { name: "ECP_384", kind: "ecp", privLen: 48, pubLen: 96, sharedLen: 48, curve: "secp384r1" }],
  [ECP_521, { name: "ECP_521", kind: "ecp", privLen: 66, pubLen: 132, sharedLen: 66, curve: "secp521r1" }],
  // RFC 8031: KE data is the RFC 7748 public value; g^ir is the X25519/X448 output.
  [CURVE25519, { name: "CURVE25519", kind: "x25519", privLen: 32, pubLen: 32, sharedLen: 32 }],
  [CURVE448, { name: "CURVE448", kind: "x448", privLen: 56, pubLen: 56, sharedLen: 56 }],
]);

// The MODP generator of RFC 3526 (every group there uses g = 2).
export const MODP_GENERATOR = 2n;

// ---- errors --------------------------------------------------------------------------------

// A caller's mistake (unknown transform, key of the wrong size): a bug in the host or core,
// never a property of network input, so it is thrown.
export class CryptoUsageError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "CryptoUsageError";
  }
}

// What a peer's Key Exchange Data can be wrong with; returned as a value, never thrown.
export type DhErrorCode =
  | "UNSUPPORTED_GROUP" // not a group this engine implements
  | "INVALID_PRIVATE_KEY" // our own private key does not fit the group (a host bug)
  | "INVALID_KE_LENGTH" // the peer's value has the wrong length for the group
  | "INVALID_KE_VALUE"; // the peer's value is out of range, off the curve, or gives a degenerate secret

export interface DhError {
  code: DhErrorCode;
  group: number;
  message: string;
}

export type DhResult = { ok: true; shared: Uint8Array } | { ok: false; error: DhError };

export function dhError(code: DhErrorCode, group: number, message: string): { ok: false; error: DhError } {
  return { ok: false, error: { code, group, message: `${groupName(group)}: ${message}` } };
}

// ---- lookups ---------------------------------------------------------------------------------

export function groupName(group: number): string {
  return GROUPS.get(group)?.name ?? `DH group ${group}`;
}

export function prfInfo(id: number): PrfInfo {
  const p = PRFS.get(id);
  if (!p) throw new CryptoUsageError(`PRF transform ${id} is not supported`);
  return p;
}

export function integInfo(id: number): IntegInfo {
  const i = INTEGS.get(id);
  if (!i) throw new CryptoUsageError(`integrity transform ${id} is not supported`);
  return i;
}

export function encrInfo(id: number): EncrInfo {
  const e = ENCRS.get(id);
  if (!e) throw new CryptoUsageError(`encryption transform ${id} is not supported`);
  return e;
}

// Bytes of KEYMAT an encryption transform takes: the cipher key plus, for AEAD, the salt
// (RFC 5282 7.1, RFC 7634 2). keyBits is the negotiated Key Length attribute (ChaCha20 has none).
export function encrKeymatLen(id: number, keyBits?: number): number {
  const e = encrInfo(id);
  const bits = keyBits ?? (e.keyBits.length === 1 ? e.keyBits[0] : undefined);
  if (bits === undefined || !e.keyBits.includes(bits)) {
    throw new CryptoUsageError(`${e.name} takes a key of ${e.keyBits.join("/")} bits, not ${keyBits ?? "(none)"}`);
  }
  return bits / 8 + e.saltLen;
}

// Splits an encryption KEYMAT into the cipher key and the salt, checking its length.
export function splitEncrKey(id: number, key: Uint8Array): { cipherKey: Uint8Array; salt: Uint8Array } | null {
  const e = encrInfo(id);
  const cipherLen = key.length - e.saltLen;
  if (!e.keyBits.includes(cipherLen * 8)) return null;
  return { cipherKey: key.subarray(0, cipherLen), salt: key.subarray(cipherLen) };
}

// The first AES-CTR counter block of RFC 3686 4 (RFC 5930 for IKEv2): the 4-byte nonce from
// KEYMAT, the 8-byte IV of the message, a 32-bit big-endian block counter starting at 1.
export function counterBlock(nonce: Uint8Array, iv: Uint8Array): Uint8Array {
  const b = new Uint8Array(16);
  b.set(nonce);
  b.set(iv, 4);
  b[15] = 1;
  return b;
}

// ---- byte helpers ----------------------------------------------------------------------------

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// Constant-time for equal lengths (the lengths themselves are public: ICV sizes).
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function isAllZero(a: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i];
  return d === 0;
}

export function bytesToBigInt(b: Uint8Array): bigint {
  let hex = "";
  for (let i = 0; i < b.length; i++) hex += b[i].toString(16).padStart(2, "0");
  return hex.length === 0 ? 0n : BigInt("0x" + hex);
}

export function bigIntToBytes(v: bigint, len: number): Uint8Array {
  const hex = v.toString(16);
  if (hex.length > len * 2) throw new CryptoUsageError(`integer does not fit in ${len} bytes`);
  const padded = hex.padStart(len * 2, "0");
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(padded.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// Left-pads with zeros to len (RFC 7296 2.14: g^ir "padded with zeros if necessary to make it
// the length of the modulus"); never truncates.
export function leftPad(b: Uint8Array, len: number): Uint8Array {
  if (b.length >= len) return b;
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
}

export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new CryptoUsageError(`not hex: ${s.slice(0, 40)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// ---- checks both providers make before any arithmetic ----------------------------------------

// The peer's MODP value: right length, then 1 < y < p-1 (RFC 6989). The primes of RFC 3526
// are safe primes, whose only small subgroups are {1} and {1, p-1}: the range check already
// excludes them, so the optional y^q = 1 test is not made.
export function checkModpPeer(group: number, peerPub: Uint8Array): { ok: true; y: bigint } | { ok: false; error: DhError } {
  const g = GROUPS.get(group)!;
  if (peerPub.length !== g.pubLen) return dhError("INVALID_KE_LENGTH", group, `peer value has ${peerPub.length} bytes, the group needs ${g.pubLen}`);
  const y = bytesToBigInt(peerPub);
  if (y <= 1n || y >= g.prime! - 1n) return dhError("INVALID_KE_VALUE", group, "peer value is not in 1 < y < p-1");
  return { ok: true, y };
}

export function checkModpPrivate(group: number, priv: Uint8Array): DhError | null {
  const g = GROUPS.get(group)!;
  if (priv.length !== g.privLen || isAllZero(priv)) {
    return { code: "INVALID_PRIVATE_KEY", group, message: `${g.name}: private key must be ${g.privLen} bytes, not zero` };
  }
  return null;
}
