// ESP (RFC 4303) framing and per-packet crypto for the user-space data plane, shared by the Node
// and Deno hosts (Deno through its node:crypto). One EspSa is one direction of a Child SA:
//
//    0                   1                   2                   3
//   +---------------------------------------------------------------+
//   |               Security Parameters Index (SPI)                 |
//   |                      Sequence Number                          |
//   |                    IV (8 bytes for AEAD, 16 for CBC)          |
//   ~                    Payload Data (the inner packet)            ~
//   |               |     Padding (0-255 bytes: 1, 2, 3, ...)       |
//   |                               |  Pad Length   | Next Header   |
//   |         Integrity Check Value (ICV, variable)                 |
//   +---------------------------------------------------------------+
//
// Transforms: AES-GCM with an 8, 12 or 16-byte ICV (RFC 4106), ChaCha20-Poly1305 (RFC 7634),
// AES-CBC (RFC 3602) with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA2 (RFC 4868). The AEAD IV is the
// 64-bit sequence number (RFC 4106 section 3.1 lets it be a counter; it never repeats under one
// key because the sequence number does not); the CBC IV is random, as RFC 3602 asks.
//
// Sequence numbers and ESN: the AEAD AAD is SPI|Seq (8 bytes) or SPI|Seq-high|Seq-low (12 bytes
// with ESN, RFC 4106 section 5); HMAC covers SPI..ciphertext and, with ESN, Seq-high appended
// (RFC 4303 section 2.2.1). A 64-bit sequence number crosses as two 32-bit halves (hi, lo).
//
// Per-packet crypto is node:crypto (OpenSSL, with AES-NI): see README's "ESP in user space" for
// the measured alternatives.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomFillSync, timingSafeEqual, type KeyObject } from "node:crypto";

export interface EspAlgorithms {
  /** IKEv2 Transform Type 1 ID and KEYMAT's key for it (salt included). */
  encr: { id: number; key: Uint8Array };
  /** IKEv2 Transform Type 3 ID and key; absent for AEAD transforms. */
  integ?: { id: number; key: Uint8Array };
}

interface EncrSpec { name: string; kind: "gcm" | "chacha" | "cbc"; icv: number; keyLens: number[] }
const ENCR: Record<number, EncrSpec> = {
  12: { name: "AES_CBC", kind: "cbc", icv: 0, keyLens: [16, 24, 32] },
  18: { name: "AES_GCM_8", kind: "gcm", icv: 8, keyLens: [20, 28, 36] },
  19: { name: "AES_GCM_12", kind: "gcm", icv: 12, keyLens: [20, 28, 36] },
  20: { name: "AES_GCM_16", kind: "gcm", icv: 16, keyLens: [20, 28, 36] },
  28: { name: "CHACHA20_POLY1305", kind: "chacha", icv: 16, keyLens: [36] },
};
const INTEG: Record<number, { name: string; hash: string; keyLen: number; icv: number }> = {
  2: { name: "HMAC_SHA1_96", hash: "sha1", keyLen: 20, icv: 12 },
  12: { name: "HMAC_SHA2_256_128", hash: "sha256", keyLen: 32, icv: 16 },
  13: { name: "HMAC_SHA2_384_192", hash: "sha384", keyLen: 48, icv: 24 },
  14: { name: "HMAC_SHA2_512_256", hash: "sha512", keyLen: 64, icv: 32 },
};

/** Why an ESP transform cannot be run here, or null when it can. */
export function espUnsupported(a: EspAlgorithms): string | null {
  const e = ENCR[a.encr.id];
  if (!e) return `encryption transform ${a.encr.id} is not supported yet by the user-space data plane (AES_CBC, AES_GCM_8/12/16, CHACHA20_POLY1305 are)`;
  if (!e.keyLens.includes(a.encr.key.length)) return `${e.name}: a key of ${a.encr.key.length} bytes does not fit (expected ${e.keyLens.join(" or ")})`;
  if (e.kind === "cbc") {
    if (!a.integ) return `${e.name} needs an integrity transform`;
    const i = INTEG[a.integ.id];
    if (!i) return `integrity transform ${a.integ.id} is not supported yet by the user-space data plane (HMAC_SHA1_96, HMAC_SHA2_256_128/384_192/512_256 are)`;
    if (a.integ.key.length !== i.keyLen) return `${i.name}: a key of ${a.integ.key.length} bytes does not fit (expected ${i.keyLen})`;
  } else if (a.integ && a.integ.id !== 0) {
    return `${e.name} is an AEAD transform and takes no integrity transform`;
  }
  return null;
}

/** The outcome of opening an ESP packet. */
export type EspOpen =
  | { ok: true; payload: Uint8Array; nextHeader: number }
  | { ok: false; reason: "truncated" | "icv" | "padding" | "replay" | "old"; detail: string };

/** RFC 4303 3.4.3: the anti-replay window, with ESN's Seq-high inference (Appendix A2). */
export class ReplayWindow {
  /** The highest sequence number accepted (0: none yet). */
  top = 0;
  private readonly bits: Uint32Array;
  private readonly slots: number;

  constructor(readonly size: number, readonly esn: boolean) {
    if (!Number.isInteger(size) || size < 0 || size > 4096) throw new RangeError(`replay window ${size} not in 0..4096`);
    // one 32-bit block more than the window: a block is cleared as the top enters it
    this.bits = new Uint32Array(Math.ceil(size / 32) + 1);
    this.slots = this.bits.length * 32;
  }

  /**
   * The full sequence number of a packet whose 32 low bits came (RFC 4303 Appendix A2.2), or
   * the reason to drop it before its ICV is checked. The window moves only in accept(), once
   * the ICV has verified.
   */
  check(seqLow: number): { seq: number } | { reason: "replay" | "old"; detail: string } {
    let seq = seqLow;
    if (this.esn) {
      const W = Math.max(this.size, 1);
      const th = Math.floor(this.top / 2 ** 32);
      const tl = this.top % 2 ** 32;
      let sh: number;
      if (tl >= W - 1) sh = seqLow >= tl - W + 1 ? th : th + 1; // Case A: the window is in one subspace
      else sh = seqLow >= (tl - W + 1 + 2 ** 32) % 2 ** 32 ? th - 1 : th; // Case B: it spans two
      if (sh < 0) sh = 0;
      seq = sh * 2 ** 32 + seqLow;
    }
    if (seq === 0) return { reason: "old", detail: "sequence number 0 is never sent" };
    if (this.size === 0 || seq > this.top) return { seq };
    if (this.top - seq >= this.size) return { reason: "old", detail: `sequence number ${seq} is left of the window (top ${this.top}, size ${this.size})` };
    const slot = seq % this.slots;
    if (this.bits[slot >>> 5] & (1 << (slot & 31))) return { reason: "replay", detail: `sequence number ${seq} was received already` };
    return { seq };
  }

  /** Marks a verified packet's sequence number as received, moving the window if it is new. */
  accept(seq: number): void {
    if (this.size === 0) {
      if (seq > this.top) this.top = seq;
      return;
    }
    const words = this.bits.length;
    if (seq > this.top) {
      const from = Math.floor(this.top / 32);
      const to = Math.floor(seq / 32);
      const n = Math.min(to - from, words);
      for (let i = 1; i <= n; i++) this.bits[(from + i) % words] = 0;
      this.top = seq;
    }
    const slot = seq % this.slots;
    this.bits[slot >>> 5] |= 1 << (slot & 31);
  }
}

/** One direction of a Child SA: its keys and the ESP packet format for them. */
export class EspSa {
  readonly ivLen: number;
  readonly icvLen: number;
  /** The ciphertext's alignment: the cipher's block size, at least 4 (RFC 4303 2.4). */
  readonly align: number;
  private readonly kind: "gcm" | "chacha" | "cbc";
  private readonly cipher: string;
  private readonly key: KeyObject;
  private readonly salt: Uint8Array;
  private readonly hmac?: { hash: string; key: KeyObject };
  private readonly ivPool = new Uint8Array(16 * 256);
  private ivUsed = this.ivPool.length;

  constructor(readonly spi: number, alg: EspAlgorithms, readonly esn: boolean) {
    const why = espUnsupported(alg);
    if (why) throw new Error(why);
    const e = ENCR[alg.encr.id]!;
    this.kind = e.kind;
    const k = alg.encr.key;
    if (e.kind === "cbc") {
      this.cipher = `aes-${k.length * 8}-cbc`;
      this.key = createSecretKey(k);
      this.salt = new Uint8Array(0);
      this.ivLen = 16;
      this.align = 16;
      const i = INTEG[alg.integ!.id]!;
      this.hmac = { hash: i.hash, key: createSecretKey(alg.integ!.key) };
      this.icvLen = i.icv;
    } else {
      const keyLen = k.length - 4;
      this.cipher = e.kind === "gcm" ? `aes-${keyLen * 8}-gcm` : "chacha20-poly1305";
      this.key = createSecretKey(k.subarray(0, keyLen));
      this.salt = k.slice(keyLen);
      this.ivLen = 8;
      this.align = 4;
      this.icvLen = e.icv;
    }
  }

  /** Bytes ESP adds around a payload of `len` bytes (header, IV, padding, trailer, ICV). */
  overhead(len: number): number {
    return 8 + this.ivLen + this.padLength(len) + 2 + this.icvLen;
  }

  private padLength(len: number): number {
    return (this.align - ((len + 2) % this.align)) % this.align;
  }

  private aad(hi: number, lo: number): Uint8Array {
    const a = new Uint8Array(this.esn ? 12 : 8);
    const v = new DataView(a.buffer);
    v.setUint32(0, this.spi);
    if (this.esn) {
      v.setUint32(4, hi);
      v.setUint32(8, lo);
    } else {
      v.setUint32(4, lo);
    }
    return a;
  }

  private nonce(iv: Uint8Array): Uint8Array {
    const n = new Uint8Array(12);
    n.set(this.salt);
    n.set(iv, 4);
    return n;
  }

  private icvOf(packetUpToIcv: Uint8Array, hi: number): Uint8Array {
    const h = createHmac(this.hmac!.hash, this.hmac!.key).update(packetUpToIcv);
    if (this.esn) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, hi);
      h.update(b);
    }
    return new Uint8Array(h.digest().subarray(0, this.icvLen));
  }

  /**
   * An ESP packet carrying `payload` (an inner packet, or a transport-mode upper layer) as
   * sequence number hi:lo (hi is sent only in the ICV or AAD, with ESN). `iv` replaces the
   * sequence number (AEAD) or random IV (CBC), for known-answer tests; `padExtra` adds padding
   * (a multiple of the alignment), as RFC 4303 2.4 allows for hiding lengths.
   */
  seal(hi: number, lo: number, payload: Uint8Array, nextHeader: number, opts: { iv?: Uint8Array; padExtra?: number } = {}): Uint8Array {
    const pad = this.padLength(payload.length) + (opts.padExtra ?? 0);
    if (pad > 255) throw new RangeError(`padding of ${pad} bytes is more than 255`);
    const plainLen = payload.length + pad + 2;
    const out = new Uint8Array(8 + this.ivLen + plainLen + this.icvLen);
    const v = new DataView(out.buffer);
    v.setUint32(0, this.spi);
    v.setUint32(4, lo);
    const iv = out.subarray(8, 8 + this.ivLen);
    const plain = new Uint8Array(plainLen);
    plain.set(payload);
    for (let i = 0; i < pad; i++) plain[payload.length + i] = i + 1; // RFC 4303 2.4: 1, 2, 3, ...
    plain[plainLen - 2] = pad;
    plain[plainLen - 1] = nextHeader;
    const body = 8 + this.ivLen;
    if (opts.iv) iv.set(opts.iv.subarray(0, this.ivLen));
    if (this.kind === "cbc") {
      if (opts.iv) {
        // given
      } else if (this.ivUsed + 16 > this.ivPool.length) {
        randomFillSync(this.ivPool);
        this.ivUsed = 0;
      }
      if (!opts.iv) {
        iv.set(this.ivPool.subarray(this.ivUsed, this.ivUsed + 16));
        this.ivUsed += 16;
      }
      const c = createCipheriv(this.cipher, this.key, iv).setAutoPadding(false);
      const n = c.update(plain);
      out.set(n, body);
      out.set(c.final(), body + n.length);
      out.set(this.icvOf(out.subarray(0, body + plainLen), hi), body + plainLen);
      return out;
    }
    if (!opts.iv) {
      v.setUint32(8, hi);
      v.setUint32(12, lo);
    }
    const c = createCipheriv(this.cipher as "aes-128-gcm", this.key, this.nonce(iv), { authTagLength: this.icvLen });
    c.setAAD(this.aad(hi, lo));
    const n = c.update(plain);
    out.set(n, body);
    c.final();
    out.set(c.getAuthTag(), body + plainLen);
    return out;
  }

  /**
   * Verifies and decrypts an ESP packet whose sequence number's high half is `hi` (from
   * ReplayWindow.check; it counts only with ESN), and checks its padding.
   */
  open(packet: Uint8Array, hi: number): EspOpen {
    const body = 8 + this.ivLen;
    const cipherLen = packet.length - body - this.icvLen;
    if (cipherLen < this.align || cipherLen % this.align !== 0) {
      return { ok: false, reason: "truncated", detail: `${packet.length} bytes: expected 8 + ${this.ivLen} IV + a multiple of ${this.align} (at least ${this.align}) + ${this.icvLen} ICV` };
    }
    const iv = packet.subarray(8, body);
    const ct = packet.subarray(body, body + cipherLen);
    const icv = packet.subarray(body + cipherLen);
    let plain: Uint8Array;
    if (this.kind === "cbc") {
      const want = this.icvOf(packet.subarray(0, body + cipherLen), hi);
      if (!timingSafeEqual(want, icv)) return { ok: false, reason: "icv", detail: "integrity check value does not match" };
      const d = createDecipheriv(this.cipher, this.key, iv).setAutoPadding(false);
      const a = d.update(ct);
      const b = d.final();
      plain = b.length ? concat(a, b) : a;
    } else {
      try {
        const d = createDecipheriv(this.cipher as "aes-128-gcm", this.key, this.nonce(iv), { authTagLength: this.icvLen });
        d.setAAD(this.aad(hi, new DataView(packet.buffer, packet.byteOffset + 4, 4).getUint32(0)));
        d.setAuthTag(icv);
        plain = d.update(ct);
        d.final();
      } catch {
        return { ok: false, reason: "icv", detail: "integrity check value does not match" };
      }
    }
    const padLen = plain[plain.length - 2]!;
    const nextHeader = plain[plain.length - 1]!;
    const end = plain.length - 2 - padLen;
    if (end < 0) return { ok: false, reason: "padding", detail: `pad length ${padLen} is more than the ${plain.length - 2} bytes before it` };
    for (let i = 0; i < padLen; i++) {
      if (plain[end + i] !== i + 1) return { ok: false, reason: "padding", detail: `padding byte ${i + 1} is ${plain[end + i]}, expected ${i + 1} (RFC 4303 2.4)` };
    }
    return { ok: true, payload: plain.subarray(0, end), nextHeader };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** SPI and the 32 low bits of the sequence number of an ESP packet, or null if it is shorter than 8 bytes. */
export function espHeader(packet: Uint8Array): { spi: number; seqLow: number } | null {
  if (packet.length < 8) return null;
  const v = new DataView(packet.buffer, packet.byteOffset, 8);
  return { spi: v.getUint32(0), seqLow: v.getUint32(4) };
}
