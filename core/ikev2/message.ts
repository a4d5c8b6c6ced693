// Building and protecting IKEv2 messages, and unprotecting received ones.
//
//   HDR, SK {inner payloads}                 RFC 7296 3.14 (CBC + HMAC), RFC 5282 (AEAD)
//   HDR, SKF {fragment n of m}               RFC 7383 2.5
// Outgoing messages are built on the tape (Builder), encoded by the codec, then protected
// here with the host's cipher and integrity functions. The tape is shared: build a message
// only after everything needed from the received one has been read.
import { newNode, closeNode, setF, setA, setB, tapeReset, tapeCount, getW, getF } from "../wire/tape";
import { OUT } from "../wire/buffers";
import { encodeTape } from "../wire/encode";
import { decodeChain } from "../wire/message";
import { copyIn, u64ToBytes } from "../bytes";
import * as C from "../crypto";
import { IkeSa } from "../sa/sa";
import {
  K_V2_HDR, K_V2_CHAIN, N_KIND, N_PTYPE, N_END, N_OFF, N_LEN, N_APTR, N_ALEN, N_BPTR, N_BLEN,
  PT2_SK, PT2_SKF, K_V2_SK, K_V2_SKF, LOG_INFO, REG_ENCR, REG_INTEG,
} from "../abi";
import { log, debugging } from "../pump";
import { nameOf } from "../names/index";
import { REG_PAYLOAD_V2, REG_NOTIFY_V2, REG_EXCHANGE_V2, LOG_DEBUG } from "../abi";

export const FLAG_I = 0x08;
export const FLAG_R = 0x20;

// ---- tape builder ----------------------------------------------------------------------------
const keep = new Array<Uint8Array>(); // byte arrays the tape points to, alive until encoded
const open = new Array<i32>();

export function beginTape(): void {
  tapeReset();
  keep.length = 0;
  open.length = 0;
}
export function node(kind: i32, ptype: i32): i32 {
  const i = newNode(kind, ptype, 0, 0);
  open.push(i);
  return i;
}
export function end(): void {
  closeNode(open.pop());
}
export function leaf(kind: i32, ptype: i32): i32 {
  const i = newNode(kind, ptype, 0, 0);
  return i;
}
export function f(i: i32, field: i32, v: u32): void {
  setF(i, field, v);
}
export function a(i: i32, b: Uint8Array): void {
  keep.push(b);
  setA(i, b.dataStart, b.length);
}
export function b(i: i32, d: Uint8Array): void {
  keep.push(d);
  setB(i, d.dataStart, d.length);
}
// Encodes the tape; returns the bytes (a copy) or null.
export function encodeBuilt(): Uint8Array | null {
  const n = encodeTape(tapeCount);
  if (n < 0) return null;
  return copyIn(OUT, n);
}

// Header of a message of this IKE SA (RFC 7296 3.1); children follow until endHeader().
export function header(sa: IkeSa, exchange: i32, response: bool, msgid: u32): i32 {
  const h = node(K_V2_HDR, 0);
  a(h, u64ToBytes(sa.spiI));
  b(h, u64ToBytes(sa.spiR));
  f(h, 1, 2);
  f(h, 3, exchange);
  f(h, 4, (sa.initiator ? FLAG_I : 0) | (response ? FLAG_R : 0));
  f(h, 5, msgid);
  return h;
}
export function beginChain(): i32 {
  return node(K_V2_CHAIN, 0);
}

// ---- protection ------------------------------------------------------------------------------
function put32(b: Uint8Array, o: i32, v: u32): void {
  b[o] = <u8>(v >> 24);
  b[o + 1] = <u8>(v >> 16);
  b[o + 2] = <u8>(v >> 8);
  b[o + 3] = <u8>v;
}

function writeHeader(sa: IkeSa, m: Uint8Array, np: i32, exchange: i32, response: bool, msgid: u32, total: i32): void {
  m.set(u64ToBytes(sa.spiI), 0);
  m.set(u64ToBytes(sa.spiR), 8);
  m[16] = <u8>np;
  m[17] = 0x20;
  m[18] = <u8>exchange;
  m[19] = <u8>((sa.initiator ? FLAG_I : 0) | (response ? FLAG_R : 0));
  put32(m, 20, msgid);
  put32(m, 24, <u32>total);
}

// One encrypted datagram: HDR | SK or SKF header | [frag num | total] | IV | ciphertext | ICV
function sealOne(sa: IkeSa, exchange: i32, response: bool, msgid: u32, firstNp: i32, plain: Uint8Array, fragNum: i32, fragTotal: i32): Uint8Array {
  const encr = sa.encr;
  const aead = C.isAead(encr);
  const ivl = C.ivLen(encr);
  const icv = C.icvLen(encr, sa.integ);
  const blk = C.blockLen(encr);
  // Padding and Pad Length: the padded plaintext is a multiple of the block size (RFC 7296 3.14)
  let padLen = 0;
  if (blk > 1) padLen = (blk - ((plain.length + 1) % blk)) % blk;
  const ptLen = plain.length + padLen + 1;
  const ctLen = ptLen + (aead ? icv : 0);
  const frag = fragTotal > 0;
  const skHdr = frag ? 8 : 4;
  const payLen = skHdr + ivl + ctLen + (aead ? 0 : icv);
  const total = 28 + payLen;
  const m = new Uint8Array(total);
  writeHeader(sa, m, frag ? PT2_SKF : PT2_SK, exchange, response, msgid, total);
  m[28] = <u8>firstNp;
  m[29] = 0;
  m[30] = <u8>(payLen >> 8);
  m[31] = <u8>payLen;
  if (frag) {
    m[32] = <u8>(fragNum >> 8);
    m[33] = <u8>fragNum;
    m[34] = <u8>(fragTotal >> 8);
    m[35] = <u8>fragTotal;
  }
  const ivAt = 28 + skHdr;
  const iv = C.randomBytes(ivl);
  m.set(iv, ivAt);
  // the plaintext, its padding (zeros) and pad length go where the ciphertext will be; the host
  // reads its input before it writes its output, so it encrypts in place
  const ctAt = ivAt + ivl;
  m.set(plain, ctAt);
  m[ctAt + ptLen - 1] = <u8>padLen;
  const key = sa.skeOut;
  const n = C.encrypt(encr, key, m.dataStart + ivAt, ivl, m.dataStart, aead ? ivAt : 0, m.dataStart + ctAt, ptLen, m.dataStart + ctAt);
  if (n != ctLen) return new Uint8Array(0);
  if (!aead && C.integ(sa.integ, sa.skaOut, m.dataStart, total - icv, m.dataStart + total - icv) != icv) return new Uint8Array(0);
  return m;
}

// Encodes the inner chain built on the tape and protects it: one datagram, or fragments when
// the peer supports them and the message exceeds the connection's fragment size.
export function sealBuilt(sa: IkeSa, exchange: i32, response: bool, msgid: u32): Array<Uint8Array> | null {
  if (debugging) logPayloads(sa.conn.label + " #" + sa.serial.toString() + ": sending", exchange, response, msgid, sa.initiator, true);
  const n = encodeTape(tapeCount);
  if (n < 0) return null;
  const firstNp = tapeCount > 1 ? <i32>getW(1, N_PTYPE) : 0;
  const plain = copyIn(OUT, n);
  const out = seal(sa, exchange, response, msgid, firstNp, plain);
  for (let i = 0; i < out.length; i++) {
    if (out[i].length == 0) {
      // the host's cipher or integrity function refused (an algorithm it lacks): never send
      // an empty datagram in its place
      log(LOG_INFO, sa.conn.label + " #" + sa.serial.toString() + ": cannot protect the message: " + nameOf(REG_ENCR, sa.encr) +
        (C.isAead(sa.encr) ? "" : " with " + nameOf(REG_INTEG, sa.integ)) + " failed in the crypto provider");
      return null;
    }
  }
  return out;
}

export function seal(sa: IkeSa, exchange: i32, response: bool, msgid: u32, firstNp: i32, plain: Uint8Array): Array<Uint8Array> {
  const out = new Array<Uint8Array>();
  const ivl = C.ivLen(sa.encr);
  const icv = C.icvLen(sa.encr, sa.integ);
  const blk = C.blockLen(sa.encr);
  const whole = 28 + 4 + ivl + plain.length + blk + icv;
  const limit = sa.conn.fragSize;
  if (!sa.peerFragmentation || !sa.conn.fragmentation || whole <= limit || exchange == 34) {
    out.push(sealOne(sa, exchange, response, msgid, firstNp, plain, 0, 0));
    return out;
  }
  // RFC 7383 2.5.3: each fragment carries as much plaintext as fits
  const space = limit - 28 - 8 - ivl - icv;
  let room = blk > 1 ? (space / blk) * blk - 1 : space - 1;
  if (room < 64) room = 64;
  const total = (plain.length + room - 1) / room;
  for (let i = 0; i < total; i++) {
    const chunk = plain.subarray(i * room, min((i + 1) * room, plain.length));
    out.push(sealOne(sa, exchange, response, msgid, i == 0 ? firstNp : 0, chunk.slice(), i + 1, total));
  }
  return out;
}

// Checks and decrypts the SK or SKF payload at tape node `sk` of the message [msg, msg+len).
// Returns the plaintext (without padding), or null if integrity or padding fail.
export function unseal(sa: IkeSa, msg: usize, len: i32, sk: i32): Uint8Array | null {
  const encr = sa.encr;
  const aead = C.isAead(encr);
  const ivl = C.ivLen(encr);
  const icv = C.icvLen(encr, sa.integ);
  const body = <usize>getW(sk, N_APTR);
  const blen = <i32>getW(sk, N_ALEN);
  if (blen < ivl + icv + 1) return null;
  const ctLen = blen - ivl - (aead ? 0 : icv);
  if (!aead) {
    if ((ctLen % C.blockLen(encr)) != 0) return null;
    const mac = new Uint8Array(64);
    C.integ(sa.integ, sa.skaIn, msg, len - icv, mac.dataStart);
    let diff = 0;
    for (let i = 0; i < icv; i++) diff |= mac[i] ^ load<u8>(msg + len - icv + i);
    if (diff != 0) return null;
  }
  const out = new Uint8Array(ctLen);
  const aadLen = <i32>(body - msg); // header and SK(F) payload header, up to the IV
  const n = C.decrypt(encr, sa.skeIn, body, ivl, msg, aead ? aadLen : 0, body + ivl, ctLen, out.dataStart);
  if (n < 1) return null;
  const pad = <i32>out[n - 1];
  if (pad + 1 > n) return null;
  return out.subarray(0, n - 1 - pad);
}

// The decrypted inner chain, kept alive while the tape points into it.
let plainHeld: Uint8Array = new Uint8Array(0);
export function decodeInner(np: i32, plain: Uint8Array): i32 {
  plainHeld = plain;
  return decodeChain(2, <u32>np, plain.dataStart, plain.length);
}

// ---- reading the tape ----------------------------------------------------------------------
// Index of the first top-level payload of type pt under the root, or -1.
export function find(pt: i32): i32 {
  let i = 1;
  const n = tapeCount;
  while (i < n) {
    if (<i32>getW(i, N_PTYPE) == pt) return i;
    i = <i32>getW(i, N_END);
  }
  return -1;
}
// Next top-level sibling of i with payload type pt, or -1.
export function findNext(i: i32, pt: i32): i32 {
  let j = <i32>getW(i, N_END);
  const n = tapeCount;
  while (j < n) {
    if (<i32>getW(j, N_PTYPE) == pt) return j;
    j = <i32>getW(j, N_END);
  }
  return -1;
}
// The first N payload of this notify type, or -1.
export function findNotify(type: i32): i32 {
  let i = find(41);
  while (i >= 0) {
    if (<i32>getF(i, 2) == type) return i;
    i = findNext(i, 41);
  }
  return -1;
}
export function dataA(i: i32): Uint8Array {
  return copyIn(<usize>getW(i, N_APTR), <i32>getW(i, N_ALEN));
}
export function dataB(i: i32): Uint8Array {
  return copyIn(<usize>getW(i, N_BPTR), <i32>getW(i, N_BLEN));
}
export function field(i: i32, k: i32): i32 {
  return <i32>getF(i, k);
}
export function kind(i: i32): i32 {
  return <i32>getW(i, N_KIND);
}
export function endOf(i: i32): i32 {
  return <i32>getW(i, N_END);
}
// The payload's bytes after its generic header (for ID payloads in AUTH), from the chain base.
export function payloadBody(i: i32, base: usize): Uint8Array {
  return copyIn(base + <usize>getW(i, N_OFF) + 4, <i32>getW(i, N_LEN) - 4);
}
export function heldPlainPtr(): usize {
  return plainHeld.dataStart;
}
export { K_V2_SK, K_V2_SKF };

// ---- the payloads of a message, for debug lines ------------------------------------------------
// The top-level payloads on the tape, as pluto lists them: SA,KE,Ni,N(NAT_DETECTION_SOURCE_IP)
// (the nonce as Ni or Nr by who sent it, each notify by its type).
export function payloadsText(fromInitiator: bool): string {
  let s = "";
  const n = tapeCount;
  let i = 1;
  while (i < n) {
    const pt = <i32>getW(i, N_PTYPE);
    let name: string;
    if (pt == 40) name = fromInitiator ? "Ni" : "Nr";
    else if (pt == 41) {
      const t = <i32>getF(i, 2);
      const nn = nameOf(REG_NOTIFY_V2, t);
      name = "N(" + (nn.length > 0 ? nn : t.toString()) + ")";
    } else {
      name = nameOf(REG_PAYLOAD_V2, pt);
      if (name.length == 0) name = "payload " + pt.toString();
    }
    s += (s.length > 0 ? "," : "") + name;
    i = <i32>getW(i, N_END);
  }
  return s;
}

// One debug line naming a message and its payloads: "sending IKE_AUTH request 1: SK{IDi,AUTH,...}".
export function logPayloads(who: string, exchange: i32, response: bool, msgid: u32, fromInitiator: bool, protectedChain: bool): void {
  const x = nameOf(REG_EXCHANGE_V2, exchange);
  const list = payloadsText(fromInitiator);
  log(LOG_DEBUG, who + " " + (x.length > 0 ? x : "exchange " + exchange.toString()) + (response ? " response " : " request ") + msgid.toString() + ": " +
    (protectedChain ? "SK{" + list + "}" : list));
}
