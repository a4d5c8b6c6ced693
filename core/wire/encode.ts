// Encoding: a tape (as decode leaves it, or as a host writes it) back to wire bytes in OUT.
// The encoder computes every length, next-payload chain, count and SPI size itself and writes
// zero into every RESERVED field. A malformed tape is an E_ENCODE error, never a trap: every
// node index, subtree end, field width and byte range is checked before use.
import { OUT, put8, put16, put32 } from "./buffers";
import { getW, getF } from "./tape";
import { failWith } from "./error";
import {
  OUT_CAP, N_KIND, N_PTYPE, N_END, N_APTR, N_ALEN, N_BPTR, N_BLEN, E_ENCODE, FIELD_NONE, FIELD_A,
  FIELD_B, FIELD_LENGTH, FIELD_COUNT,
  K_V2_HDR, K_V2_CHAIN, K_V2_UNKNOWN, K_V2_SA, K_V2_PROP, K_V2_XFORM, K_ATTR, K_V2_KE, K_V2_ID,
  K_V2_CERT, K_V2_AUTH, K_V2_NONCE, K_V2_NOTIFY, K_V2_DELETE, K_V2_VID, K_V2_TSP, K_V2_TS, K_V2_SK,
  K_V2_CP, K_V2_CPATTR, K_V2_EAP, K_V2_SKF,
  K_V1_HDR, K_V1_CHAIN, K_V1_ENC, K_V1_SA, K_V1_PROP, K_V1_XFORM, K_V1_DATA, K_V1_ID, K_V1_CERT,
  K_V1_NOTIFY, K_V1_DELETE, K_V1_NATOA, K_V1_FRAG,
  PT2_SA, PT2_KE, PT2_IDI, PT2_IDR, PT2_CERT, PT2_CERTREQ, PT2_AUTH, PT2_NONCE, PT2_N, PT2_D,
  PT2_V, PT2_TSI, PT2_TSR, PT2_SK, PT2_CP, PT2_EAP, PT2_SKF,
  PT1_SA, PT1_P, PT1_T, PT1_KE, PT1_ID, PT1_CERT, PT1_CR, PT1_HASH, PT1_SIG, PT1_NONCE, PT1_N,
  PT1_D, PT1_VID, PT1_NATD, PT1_NATOA, PT1_NATD_DRAFT, PT1_NATOA_DRAFT, PT1_FRAG,
} from "../abi";

let w: usize = 0; // next byte to write
let count: i32 = 0; // nodes on the tape

function bad(i: i32, field: i32, value: u32, limit: u32): i32 {
  const k = i >= 0 && i < count ? <i32>getW(i, N_KIND) : 0;
  const pt = i >= 0 && i < count ? <i32>getW(i, N_PTYPE) : 0;
  return failWith(E_ENCODE, k, pt, field, i, value, limit, 0);
}

@inline function room(n: usize): bool {
  return n <= OUT + OUT_CAP - w;
}

// The kind of node a payload type number is encoded from (0: any payload type not listed).
export function v2KindOf(pt: u32): i32 {
  switch (pt) {
    case PT2_SA: return K_V2_SA;
    case PT2_KE: return K_V2_KE;
    case PT2_IDI: case PT2_IDR: return K_V2_ID;
    case PT2_CERT: case PT2_CERTREQ: return K_V2_CERT;
    case PT2_AUTH: return K_V2_AUTH;
    case PT2_NONCE: return K_V2_NONCE;
    case PT2_N: return K_V2_NOTIFY;
    case PT2_D: return K_V2_DELETE;
    case PT2_V: return K_V2_VID;
    case PT2_TSI: case PT2_TSR: return K_V2_TSP;
    case PT2_SK: return K_V2_SK;
    case PT2_CP: return K_V2_CP;
    case PT2_EAP: return K_V2_EAP;
    case PT2_SKF: return K_V2_SKF;
  }
  return K_V2_UNKNOWN;
}
export function v1KindOf(pt: u32): i32 {
  switch (pt) {
    case PT1_SA: return K_V1_SA;
    case PT1_KE: case PT1_HASH: case PT1_SIG: case PT1_NONCE: case PT1_VID: case PT1_NATD:
    case PT1_NATD_DRAFT: return K_V1_DATA;
    case PT1_ID: return K_V1_ID;
    case PT1_CERT: case PT1_CR: return K_V1_CERT;
    case PT1_N: return K_V1_NOTIFY;
    case PT1_D: return K_V1_DELETE;
    case PT1_NATOA: case PT1_NATOA_DRAFT: return K_V1_NATOA;
    case PT1_FRAG: return K_V1_FRAG;
  }
  return 0;
}

// Copies a node's A or B range; the range must lie inside memory (and, if want != 0, have
// exactly that length).
function range(i: i32, ptrW: i32, lenW: i32, want: i32, field: i32): i32 {
  const p = <usize>getW(i, ptrW);
  const n = <usize>getW(i, lenW);
  const memEnd = <usize>memory.size() << 16;
  if (n > memEnd || p > memEnd - n) return bad(i, field, <u32>n, 0);
  if (want >= 0 && n != <usize>want) return bad(i, field, <u32>n, <u32>want);
  if (!room(n)) return bad(i, field, <u32>n, <u32>(OUT + OUT_CAP - w));
  memory.copy(w, p, n);
  w += n;
  return 0;
}
@inline function copyA(i: i32, want: i32): i32 {
  return range(i, N_APTR, N_ALEN, want, FIELD_A);
}
@inline function copyB(i: i32, want: i32): i32 {
  return range(i, N_BPTR, N_BLEN, want, FIELD_B);
}
@inline function alen(i: i32): u32 {
  return getW(i, N_ALEN);
}

// A field that must fit in `bits` bits; returns false (with the error set) otherwise.
function fits(i: i32, f: i32, bits: u32): bool {
  const v = getF(i, f);
  if (bits < 32 && v >> bits != 0) {
    bad(i, f, v, ((<u32>1) << bits) - 1);
    return false;
  }
  return true;
}

// The subtree end of node i, which must lie in (i, limit].
function endOf(i: i32, limit: i32): i32 {
  const e = <i32>getW(i, N_END);
  if (e <= i || e > limit) return bad(i, FIELD_NONE, <u32>e, <u32>limit);
  return e;
}

// Number of children of i, each checked to be of kind k (and to end inside i's subtree).
function children(i: i32, end: i32, k: i32): i32 {
  let n = 0;
  let c = i + 1;
  while (c < end) {
    if (<i32>getW(c, N_KIND) != k) return bad(c, FIELD_NONE, getW(c, N_KIND), <u32>k);
    const e = endOf(c, end);
    if (e < 0) return -1;
    n++;
    c = e;
  }
  return n;
}

// Back-patches a 16-bit length that counts from `start`.
function patch16(i: i32, at: usize, start: usize): bool {
  const n = w - start;
  if (n > 0xffff) {
    bad(i, FIELD_LENGTH, <u32>n, 0xffff);
    return false;
  }
  put16(at, <u32>n);
  return true;
}

// Encodes the message (or inner chain) rooted at node 0 of a tape of n nodes.
// Returns the number of bytes written to OUT, or -1.
export function encodeTape(n: i32): i32 {
  count = n;
  w = OUT;
  if (n < 1) return bad(-1, FIELD_NONE, <u32>n, 1);
  const end = endOf(0, n);
  if (end < 0) return -1;
  if (end != n) return bad(0, FIELD_NONE, <u32>end, <u32>n);
  const k = <i32>getW(0, N_KIND);
  if (k == K_V2_HDR || k == K_V1_HDR) {
    if (header(k == K_V2_HDR ? 2 : 1, end) < 0) return -1;
  } else if (k == K_V2_CHAIN || k == K_V1_CHAIN) {
    if (chain(k == K_V2_CHAIN ? 2 : 1, 0, end) < 0) return -1;
  } else {
    return bad(0, FIELD_NONE, <u32>k, 0);
  }
  return <i32>(w - OUT);
}

function header(version: i32, end: i32): i32 {
  if (!room(28)) return bad(0, FIELD_NONE, 28, 0);
  const start = w;
  if (copyA(0, 8) < 0 || copyB(0, 8) < 0) return -1;
  if (!fits(0, 0, 8) || !fits(0, 1, 4) || !fits(0, 2, 4) || !fits(0, 3, 8) || !fits(0, 4, 8)) return -1;
  let np = getF(0, 0);
  if (end > 1) {
    const k1 = <i32>getW(1, N_KIND);
    if (k1 != K_V1_ENC) np = getW(1, N_PTYPE);
  } else {
    np = 0;
  }
  put8(w, np);
  put8(w + 1, (getF(0, 1) << 4) | getF(0, 2));
  put8(w + 2, getF(0, 3));
  put8(w + 3, getF(0, 4));
  put32(w + 4, getF(0, 5));
  w += 12;
  if (version == 1 && end > 1 && <i32>getW(1, N_KIND) == K_V1_ENC) {
    // IKEv1 with the E flag: ciphertext follows the header, nothing else
    if (endOf(1, end) != end || end != 2) return bad(1, FIELD_NONE, <u32>end, 2);
    if (copyA(1, -1) < 0) return -1;
  } else if (chain(version, 0, end) < 0) {
    return -1;
  }
  put32(start + 24, <u32>(w - start));
  return 0;
}

// The payloads that are the children of node `parent`, each with its generic header.
function chain(version: i32, parent: i32, end: i32): i32 {
  let c = parent + 1;
  while (c < end) {
    const e = endOf(c, end);
    if (e < 0) return -1;
    const kind = <i32>getW(c, N_KIND);
    const pt = getW(c, N_PTYPE);
    if (pt == 0 || pt > 255) return bad(c, FIELD_NONE, pt, 255);
    if ((version == 2 ? v2KindOf(pt) : v1KindOf(pt)) != kind) return bad(c, FIELD_NONE, <u32>kind, pt);
    let np: u32 = e < end ? getW(e, N_PTYPE) : 0;
    if (kind == K_V2_SK || kind == K_V2_SKF) {
      if (e != end) return bad(c, FIELD_NONE, <u32>e, <u32>end); // must be the last payload
      if (!fits(c, 1, 8)) return -1;
      np = getF(c, 1);
    }
    if (!room(4)) return bad(c, FIELD_NONE, 4, 0);
    const start = w;
    put8(w, np);
    if (version == 2) {
      if (!fits(c, 0, 1)) return -1;
      put8(w + 1, getF(c, 0) << 7);
    } else {
      put8(w + 1, 0);
    }
    w += 4;
    const r = version == 2 ? bodyV2(c, kind, e) : bodyV1(c, kind, pt, e);
    if (r < 0) return -1;
    if (!patch16(c, start + 2, start)) return -1;
    c = e;
  }
  return 0;
}

// Writes `n` bytes: up to four bytes of fixed header are checked for room here once.
@inline function fixed(i: i32, n: usize): bool {
  if (!room(n)) {
    bad(i, FIELD_NONE, <u32>n, 0);
    return false;
  }
  return true;
}

function noChildren(i: i32, end: i32): i32 {
  return end == i + 1 ? 0 : bad(i + 1, FIELD_NONE, <u32>end, <u32>(i + 1));
}

function bodyV2(i: i32, kind: i32, end: i32): i32 {
  switch (kind) {
    case K_V2_SA: return proposalsV2(i, end);
    case K_V2_TSP: return selectors(i, end);
    case K_V2_CP: {
      if (!fits(i, 1, 8) || !fixed(i, 4)) return -1;
      put8(w, getF(i, 1));
      put8(w + 1, 0);
      put16(w + 2, 0);
      w += 4;
      const n = children(i, end, K_V2_CPATTR);
      if (n < 0) return -1;
      let c = i + 1;
      while (c < end) {
        if (!fits(c, 0, 15) || !fixed(c, 4)) return -1;
        const l = alen(c);
        if (l > 0xffff) return bad(c, FIELD_A, l, 0xffff);
        put16(w, getF(c, 0));
        put16(w + 2, l);
        w += 4;
        if (<i32>getW(c, N_END) != c + 1) return bad(c, FIELD_NONE, getW(c, N_END), <u32>(c + 1));
        if (copyA(c, -1) < 0) return -1;
        c++;
      }
      return 0;
    }
  }
  if (noChildren(i, end) < 0) return -1;
  switch (kind) {
    case K_V2_KE: {
      if (!fits(i, 1, 16) || !fixed(i, 4)) return -1;
      put16(w, getF(i, 1));
      put16(w + 2, 0);
      w += 4;
      return copyA(i, -1);
    }
    case K_V2_ID: case K_V2_AUTH: {
      if (!fits(i, 1, 8) || !fixed(i, 4)) return -1;
      const t = getF(i, 1);
      put8(w, t);
      put8(w + 1, 0);
      put16(w + 2, 0);
      w += 4;
      if (kind == K_V2_ID && (t == 1 || t == 5)) return copyA(i, t == 1 ? 4 : 16);
      return copyA(i, -1);
    }
    case K_V2_CERT: {
      if (!fits(i, 1, 8) || !fixed(i, 1)) return -1;
      put8(w, getF(i, 1));
      w += 1;
      return copyA(i, -1);
    }
    case K_V2_NONCE: {
      const l = alen(i);
      if (l < 16 || l > 256) return bad(i, FIELD_A, l, l < 16 ? 16 : 256);
      return copyA(i, -1);
    }
    case K_V2_NOTIFY: {
      const spi = alen(i);
      if (spi > 255) return bad(i, FIELD_A, spi, 255);
      if (!fits(i, 1, 8) || !fits(i, 2, 16) || !fixed(i, 4)) return -1;
      put8(w, getF(i, 1));
      put8(w + 1, spi);
      put16(w + 2, getF(i, 2));
      w += 4;
      if (copyA(i, -1) < 0) return -1;
      return copyB(i, -1);
    }
    case K_V2_DELETE: return deletePayload(i, 2);
    case K_V2_EAP: {
      if (!fits(i, 1, 8) || !fits(i, 2, 8) || !fixed(i, 4)) return -1;
      const l = alen(i);
      if (l > 0xffff - 4) return bad(i, FIELD_A, l, 0xffff - 4);
      put8(w, getF(i, 1));
      put8(w + 1, getF(i, 2));
      put16(w + 2, l + 4);
      w += 4;
      return copyA(i, -1);
    }
    case K_V2_SKF: {
      if (!fits(i, 2, 16) || !fits(i, 3, 16) || !fixed(i, 4)) return -1;
      const num = getF(i, 2);
      const total = getF(i, 3);
      if (num == 0 || num > total) return bad(i, 2, num, total);
      put16(w, num);
      put16(w + 2, total);
      w += 4;
      return copyA(i, -1);
    }
    case K_V2_SK: case K_V2_VID: case K_V2_UNKNOWN:
      return copyA(i, -1);
  }
  return bad(i, FIELD_NONE, <u32>kind, 0);
}

// Proposal substructures of an IKEv2 SA (RFC 7296 3.3.1): consecutive numbers from f0 of the
// first, which is 1 in a request and the accepted proposal's number in a response.
function proposalsV2(i: i32, end: i32): i32 {
  const n = children(i, end, K_V2_PROP);
  if (n < 0) return -1;
  if (n == 0) return bad(i, FIELD_COUNT, 0, 1);
  let c = i + 1;
  let num: u32 = getF(i + 1, 0); // the first may be any number from 1 up (an accepted proposal)
  if (num == 0 || num > 255) return bad(i + 1, 0, num, 255);
  while (c < end) {
    const e = <i32>getW(c, N_END);
    if (getF(c, 0) != num || num > 255) return bad(c, 0, getF(c, 0), num);
    if (!fits(c, 1, 8) || !fixed(c, 8)) return -1;
    const spi = alen(c);
    if (spi > 255) return bad(c, FIELD_A, spi, 255);
    const nx = children(c, e, K_V2_XFORM);
    if (nx < 0) return -1;
    if (nx > 255) return bad(c, FIELD_COUNT, <u32>nx, 255);
    const start = w;
    put8(w, e < end ? 2 : 0);
    put8(w + 1, 0);
    put8(w + 4, num);
    put8(w + 5, getF(c, 1));
    put8(w + 6, spi);
    put8(w + 7, <u32>nx);
    w += 8;
    if (copyA(c, -1) < 0) return -1;
    let t = c + 1;
    while (t < e) {
      const te = <i32>getW(t, N_END);
      if (!fits(t, 0, 8) || !fits(t, 1, 16) || !fixed(t, 8)) return -1;
      const ts = w;
      put8(w, te < e ? 3 : 0);
      put8(w + 1, 0);
      put8(w + 4, getF(t, 0));
      put8(w + 5, 0);
      put16(w + 6, getF(t, 1));
      w += 8;
      if (attributes(t, te) < 0) return -1;
      if (!patch16(t, ts + 2, ts)) return -1;
      t = te;
    }
    if (!patch16(c, start + 2, start)) return -1;
    c = e;
    num++;
  }
  return 0;
}

function attributes(t: i32, end: i32): i32 {
  if (children(t, end, K_ATTR) < 0) return -1;
  let a = t + 1;
  while (a < end) {
    if (<i32>getW(a, N_END) != a + 1) return bad(a, FIELD_NONE, getW(a, N_END), <u32>(a + 1));
    if (!fits(a, 0, 15) || !fits(a, 1, 1) || !fixed(a, 4)) return -1;
    if (getF(a, 1)) {
      if (!fits(a, 2, 16)) return -1;
      put16(w, 0x8000 | getF(a, 0));
      put16(w + 2, getF(a, 2));
      w += 4;
    } else {
      const l = alen(a);
      if (l > 0xffff) return bad(a, FIELD_A, l, 0xffff);
      put16(w, getF(a, 0));
      put16(w + 2, l);
      w += 4;
      if (copyA(a, -1) < 0) return -1;
    }
    a++;
  }
  return 0;
}

function selectors(i: i32, end: i32): i32 {
  const n = children(i, end, K_V2_TS);
  if (n < 0) return -1;
  if (n > 255) return bad(i, FIELD_COUNT, <u32>n, 255);
  if (!fixed(i, 4)) return -1;
  put8(w, <u32>n);
  put8(w + 1, 0);
  put16(w + 2, 0);
  w += 4;
  let c = i + 1;
  while (c < end) {
    if (noChildren(c, <i32>getW(c, N_END)) < 0) return -1;
    if (!fits(c, 0, 8) || !fits(c, 1, 8) || !fits(c, 2, 16) || !fits(c, 3, 16) || !fixed(c, 8)) return -1;
    const type = getF(c, 0);
    const start = w;
    put8(w, type);
    put8(w + 1, getF(c, 1));
    put16(w + 4, getF(c, 2));
    put16(w + 6, getF(c, 3));
    w += 8;
    if (type == 7 || type == 8) {
      const al: i32 = type == 7 ? 4 : 16;
      if (copyA(c, al) < 0 || copyB(c, al) < 0) return -1;
    } else if (copyA(c, -1) < 0) {
      return -1;
    }
    if (!patch16(c, start + 2, start)) return -1;
    c++;
  }
  return 0;
}

// D (both versions): [DOI (4), v1 only] | Protocol ID | SPI Size | Num of SPIs (2) | SPIs
function deletePayload(i: i32, version: i32): i32 {
  if (!fits(i, version == 2 ? 1 : 0, version == 2 ? 8 : 32)) return -1;
  if (version == 1 && !fits(i, 1, 8)) return -1;
  if (!fits(i, 2, 8) || !fixed(i, 8)) return -1;
  const spiSize = getF(i, 2);
  const l = alen(i);
  let num: u32 = 0;
  if (spiSize == 0) {
    if (l != 0) return bad(i, FIELD_A, l, 0);
  } else {
    if (l % spiSize != 0) return bad(i, FIELD_A, l, spiSize);
    num = l / spiSize;
    if (num > 0xffff) return bad(i, FIELD_A, l, 0xffff * spiSize);
  }
  if (version == 1) {
    put32(w, getF(i, 0));
    w += 4;
  }
  put8(w, getF(i, 1));
  put8(w + 1, spiSize);
  put16(w + 2, num);
  w += 4;
  return copyA(i, -1);
}

function bodyV1(i: i32, kind: i32, pt: u32, end: i32): i32 {
  if (kind == K_V1_SA) return saV1(i, end);
  if (noChildren(i, end) < 0) return -1;
  switch (kind) {
    case K_V1_DATA: {
      if (pt == PT1_NONCE) {
        const l = alen(i);
        if (l < 8 || l > 256) return bad(i, FIELD_A, l, l < 8 ? 8 : 256);
      }
      return copyA(i, -1);
    }
    case K_V1_ID: {
      if (!fits(i, 0, 8) || !fits(i, 1, 8) || !fits(i, 2, 16) || !fixed(i, 4)) return -1;
      const t = getF(i, 0);
      put8(w, t);
      put8(w + 1, getF(i, 1));
      put16(w + 2, getF(i, 2));
      w += 4;
      const want: i32 = t == 1 ? 4 : t == 4 ? 8 : t == 5 ? 16 : t == 6 ? 32 : t == 7 ? 8 : t == 8 ? 32 : -1;
      return copyA(i, want);
    }
    case K_V1_CERT: {
      if (!fits(i, 0, 8) || !fixed(i, 1)) return -1;
      put8(w, getF(i, 0));
      w += 1;
      return copyA(i, -1);
    }
    case K_V1_NOTIFY: {
      const spi = alen(i);
      if (spi > 255) return bad(i, FIELD_A, spi, 255);
      if (!fits(i, 1, 8) || !fits(i, 2, 16) || !fixed(i, 8)) return -1;
      put32(w, getF(i, 0));
      put8(w + 4, getF(i, 1));
      put8(w + 5, spi);
      put16(w + 6, getF(i, 2));
      w += 8;
      if (copyA(i, -1) < 0) return -1;
      return copyB(i, -1);
    }
    case K_V1_DELETE: return deletePayload(i, 1);
    case K_V1_NATOA: {
      const t = getF(i, 0);
      if (t != 1 && t != 5) return bad(i, 0, t, 5);
      if (!fixed(i, 4)) return -1;
      put8(w, t);
      put8(w + 1, 0);
      put16(w + 2, 0);
      w += 4;
      return copyA(i, t == 1 ? 4 : 16);
    }
    case K_V1_FRAG: {
      if (!fits(i, 0, 16) || !fits(i, 1, 8) || !fits(i, 2, 8) || !fixed(i, 4)) return -1;
      if (getF(i, 1) == 0) return bad(i, 1, 0, 1);
      put16(w, getF(i, 0));
      put8(w + 2, getF(i, 1));
      put8(w + 3, getF(i, 2));
      w += 4;
      return copyA(i, -1);
    }
  }
  return bad(i, FIELD_NONE, <u32>kind, 0);
}

// IKEv1 SA: DOI | Situation | Proposal payloads, each with Transform payloads (RFC 2408 3.4-3.6)
function saV1(i: i32, end: i32): i32 {
  if (!fixed(i, 8)) return -1;
  const doi = getF(i, 0);
  put32(w, doi);
  w += 4;
  if (doi != 1) {
    if (noChildren(i, end) < 0) return -1;
    return copyA(i, -1);
  }
  if (getF(i, 1) & ~1) return bad(i, 1, getF(i, 1), 1);
  put32(w, getF(i, 1));
  w += 4;
  const n = children(i, end, K_V1_PROP);
  if (n < 0) return -1;
  if (n == 0) return bad(i, FIELD_COUNT, 0, 1);
  let c = i + 1;
  let prev: u32 = 0;
  while (c < end) {
    const e = <i32>getW(c, N_END);
    if (!fits(c, 0, 8) || !fits(c, 1, 8) || !fixed(c, 8)) return -1;
    const num = getF(c, 0);
    if (num < prev) return bad(c, 0, num, prev);
    prev = num;
    const spi = alen(c);
    if (spi > 255) return bad(c, FIELD_A, spi, 255);
    const nx = children(c, e, K_V1_XFORM);
    if (nx < 0) return -1;
    if (nx > 255) return bad(c, FIELD_COUNT, <u32>nx, 255);
    const start = w;
    put8(w, e < end ? PT1_P : 0);
    put8(w + 1, 0);
    put8(w + 4, num);
    put8(w + 5, getF(c, 1));
    put8(w + 6, spi);
    put8(w + 7, <u32>nx);
    w += 8;
    if (copyA(c, -1) < 0) return -1;
    let t = c + 1;
    while (t < e) {
      const te = <i32>getW(t, N_END);
      if (!fits(t, 0, 8) || !fits(t, 1, 8) || !fixed(t, 8)) return -1;
      const ts = w;
      put8(w, te < e ? PT1_T : 0);
      put8(w + 1, 0);
      put8(w + 4, getF(t, 0));
      put8(w + 5, getF(t, 1));
      put16(w + 6, 0);
      w += 8;
      if (attributes(t, te) < 0) return -1;
      if (!patch16(t, ts + 2, ts)) return -1;
      t = te;
    }
    if (!patch16(c, start + 2, start)) return -1;
    c = e;
  }
  return 0;
}
