// Triple DES (FIPS 46-3, SP 800-67; ENCR_3DES of RFC 2451) in CBC mode for the portable
// provider: @noble/ciphers has no DES. Written for clarity, not speed: IKE runs 3DES over a few
// kilobytes per exchange. test/crypto/kat.test.ts checks it against FIPS 81 / SP 800-67 vectors
// and against OpenSSL (the native provider) on random inputs.
//
// Tables are FIPS 46-3's, 1-based bit numbers with bit 1 the most significant.
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
  57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const S = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
    4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
    0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
    13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
    10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
    4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
    9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
    1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
    7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];
export const DES_TABLES = { S }; // for the tests' sanity checks

// bits: an array of 0/1, index 0 = bit 1
const bitsOf = (b: Uint8Array): number[] => Array.from({ length: b.length * 8 }, (_, i) => (b[i >> 3] >> (7 - (i & 7))) & 1);
const permute = (bits: number[], table: number[]): number[] => table.map((n) => bits[n - 1]);
function bytesOf(bits: number[]): Uint8Array {
  const out = new Uint8Array(bits.length / 8);
  bits.forEach((v, i) => (out[i >> 3] |= v << (7 - (i & 7))));
  return out;
}
const FP = IP.map((_, i) => IP.indexOf(i + 1) + 1); // the inverse of IP
// E: each 4-bit group with the neighbouring bit on either side (32 1 2 3 4 5 4 5 6 ... 32 1)
const E = Array.from({ length: 48 }, (_, i) => ((Math.floor(i / 6) * 4 + (i % 6) + 31) % 32) + 1);

// The 16 round keys of one DES key (8 bytes; the parity bits are not used).
function roundKeys(key: Uint8Array): number[][] {
  const cd = permute(bitsOf(key), PC1);
  let c = cd.slice(0, 28), d = cd.slice(28);
  return SHIFTS.map((s) => {
    c = c.slice(s).concat(c.slice(0, s));
    d = d.slice(s).concat(d.slice(0, s));
    return permute(c.concat(d), PC2);
  });
}

function feistel(r: number[], k: number[]): number[] {
  const x = permute(r, E).map((v, i) => v ^ k[i]);
  const out: number[] = [];
  for (let s = 0; s < 8; s++) {
    const b = x.slice(s * 6, s * 6 + 6);
    const v = S[s][((b[0] << 1) | b[5]) * 16 + ((b[1] << 3) | (b[2] << 2) | (b[3] << 1) | b[4])];
    out.push((v >> 3) & 1, (v >> 2) & 1, (v >> 1) & 1, v & 1);
  }
  return permute(out, P);
}

function desBlock(keys: number[][], block: number[], decrypt: boolean): number[] {
  const ip = permute(block, IP);
  let l = ip.slice(0, 32), r = ip.slice(32);
  for (let i = 0; i < 16; i++) {
    const f = feistel(r, keys[decrypt ? 15 - i : i]);
    [l, r] = [r, l.map((v, j) => v ^ f[j])];
  }
  return permute(r.concat(l), FP);
}

// EDE: C = E_K3(D_K2(E_K1(P))), P = D_K1(E_K2(D_K3(C))) (SP 800-67 3.2); the 24-byte key is K1|K2|K3.
function tdesBlock(ks: number[][][], block: number[], decrypt: boolean): number[] {
  return decrypt
    ? desBlock(ks[0], desBlock(ks[1], desBlock(ks[2], block, true), false), true)
    : desBlock(ks[2], desBlock(ks[1], desBlock(ks[0], block, false), true), false);
}

function schedule(key: Uint8Array): number[][][] {
  if (key.length !== 24) throw new RangeError(`3DES takes a 24-byte key, not ${key.length}`);
  return [0, 8, 16].map((o) => roundKeys(key.subarray(o, o + 8)));
}

// CBC over whole 8-byte blocks (the caller pads), 8-byte IV.
export function tdesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const ks = schedule(key);
  const out = new Uint8Array(data.length);
  let prev = bitsOf(iv);
  for (let o = 0; o < data.length; o += 8) {
    const x = bitsOf(data.subarray(o, o + 8)).map((v, i) => v ^ prev[i]);
    prev = tdesBlock(ks, x, false);
    out.set(bytesOf(prev), o);
  }
  return out;
}

export function tdesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const ks = schedule(key);
  const out = new Uint8Array(data.length);
  let prev = bitsOf(iv);
  for (let o = 0; o < data.length; o += 8) {
    const c = bitsOf(data.subarray(o, o + 8));
    out.set(bytesOf(tdesBlock(ks, c, true).map((v, i) => v ^ prev[i])), o);
    prev = c;
  }
  return out;
}
