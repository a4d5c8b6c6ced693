// IKEv2 payloads (RFC 7296 section 3, RFC 7383 for SKF). One decode function per payload
// family; each is handed the payload's body [p, end) after the generic payload header and
// validates every length against its container before reading.
import { u8at, be16, be32 } from "./buffers";
import { closeNode, setF, setA, setB } from "./tape";
import { fail, failWith, malformedNotify } from "./error";
import { node, offOf, decodeAttributes, addrLenOk } from "./common";
import {
  K_V2_HDR, K_V2_CHAIN, K_V2_UNKNOWN, K_V2_SA, K_V2_PROP, K_V2_XFORM, K_V2_KE, K_V2_ID, K_V2_CERT,
  K_V2_AUTH, K_V2_NONCE, K_V2_NOTIFY, K_V2_DELETE, K_V2_VID, K_V2_TSP, K_V2_TS, K_V2_SK, K_V2_CP,
  K_V2_CPATTR, K_V2_EAP, K_V2_SKF,
  PT2_SA, PT2_KE, PT2_IDI, PT2_IDR, PT2_CERT, PT2_CERTREQ, PT2_AUTH, PT2_NONCE, PT2_N, PT2_D,
  PT2_V, PT2_TSI, PT2_TSR, PT2_SK, PT2_CP, PT2_EAP, PT2_SKF,
  E_TRUNCATED, E_LENGTH, E_TRAILING, E_VALUE, E_DUPLICATE, E_CRITICAL, E_ORDER,
  FIELD_NONE, FIELD_NEXT_PAYLOAD, FIELD_LENGTH, FIELD_A, FIELD_COUNT,
} from "../abi";

const UNSUPPORTED_CRITICAL_PAYLOAD = 1;

// Payloads that may appear at most once in one chain (the message formats of RFC 7296 give
// each of these once; repeated CERT, CERTREQ, N, D and V are allowed).
@inline function singleton(t: u32): bool {
  return t == PT2_SA || t == PT2_KE || t == PT2_IDI || t == PT2_IDR || t == PT2_AUTH ||
    t == PT2_NONCE || t == PT2_TSI || t == PT2_TSR || t == PT2_SK || t == PT2_CP ||
    t == PT2_EAP || t == PT2_SKF;
}

// HDR: SPIi (8) | SPIr (8) | next payload | MjVer|MnVer | exchange | flags | message ID (4) | length (4)
export function decodeV2(buf: usize, len: usize): i32 {
  const mlen = be32(buf + 24);
  if (mlen < 28) return fail(E_LENGTH, K_V2_HDR, 0, FIELD_LENGTH, 24, mlen, 28);
  if (<usize>mlen > len) return fail(E_TRUNCATED, K_V2_HDR, 0, FIELD_LENGTH, 24, mlen, <u32>len);
  if (<usize>mlen < len) return fail(E_TRAILING, K_V2_HDR, 0, FIELD_LENGTH, 24, mlen, <u32>len);
  const h = node(K_V2_HDR, 0, buf, mlen);
  if (h < 0) return -1;
  setA(h, buf, 8);
  setB(h, buf + 8, 8);
  const np = u8at(buf + 16);
  const ver = u8at(buf + 17);
  setF(h, 0, np);
  setF(h, 1, ver >> 4);
  setF(h, 2, ver & 15);
  setF(h, 3, u8at(buf + 18));
  setF(h, 4, u8at(buf + 19));
  setF(h, 5, be32(buf + 20));
  if (chainV2(np, buf + 28, buf + mlen, false) < 0) return -1;
  closeNode(h);
  return 0;
}

// A decrypted SK / SKF plaintext: the payload chain starting with type np.
export function decodeChainV2(np: u32, buf: usize, len: usize): i32 {
  const h = node(K_V2_CHAIN, 0, buf, <u32>len);
  if (h < 0) return -1;
  setF(h, 0, np);
  if (chainV2(np, buf, buf + len, true) < 0) return -1;
  closeNode(h);
  return 0;
}

// Generic payload header: next payload | C|RESERVED | payload length (2)
function chainV2(np: u32, p: usize, end: usize, inner: bool): i32 {
  let seen: u64 = 0;
  let prevAt: usize = p;
  while (np != 0) {
    if (p == end) return fail(E_TRUNCATED, K_V2_UNKNOWN, np, FIELD_NEXT_PAYLOAD, offOf(prevAt), np, 0);
    if (end - p < 4) return fail(E_TRUNCATED, K_V2_UNKNOWN, np, FIELD_NONE, offOf(p), <u32>(end - p), 4);
    const nnp = u8at(p);
    const critical = u8at(p + 1) >> 7;
    const plen = be16(p + 2);
    if (plen < 4 || <usize>plen > end - p) {
      return fail(E_LENGTH, K_V2_UNKNOWN, np, FIELD_LENGTH, offOf(p + 2), plen, <u32>(end - p));
    }
    const body = p + 4;
    const bend = p + plen;
    if (np >= 33 && np <= 96 && singleton(np)) {
      const bit: u64 = (<u64>1) << (np - 33);
      if (seen & bit) return fail(E_DUPLICATE, K_V2_UNKNOWN, np, FIELD_NONE, offOf(p), np, 0);
      seen |= bit;
    }
    let r: i32 = 0;
    let kind: i32 = 0;
    switch (np) {
      case PT2_SA: r = sa(p, body, bend, critical); break;
      case PT2_KE: kind = K_V2_KE; break;
      case PT2_IDI: case PT2_IDR: kind = K_V2_ID; break;
      case PT2_CERT: case PT2_CERTREQ: kind = K_V2_CERT; break;
      case PT2_AUTH: kind = K_V2_AUTH; break;
      case PT2_NONCE: kind = K_V2_NONCE; break;
      case PT2_N: kind = K_V2_NOTIFY; break;
      case PT2_D: kind = K_V2_DELETE; break;
      case PT2_V: kind = K_V2_VID; break;
      case PT2_TSI: case PT2_TSR: r = tsPayload(np, p, body, bend, critical); break;
      case PT2_CP: r = cp(p, body, bend, critical); break;
      case PT2_EAP: kind = K_V2_EAP; break;
      case PT2_SK: case PT2_SKF: {
        // RFC 7296 3.14 / RFC 7383 2.5: the Encrypted payload is the last one, and its Next
        // Payload names the first payload inside.
        if (inner) return fail(E_ORDER, np == PT2_SK ? K_V2_SK : K_V2_SKF, np, FIELD_NONE, offOf(p), np, 0);
        if (bend != end) return fail(E_ORDER, np == PT2_SK ? K_V2_SK : K_V2_SKF, np, FIELD_LENGTH, offOf(p + 2), plen, <u32>(end - p));
        r = encrypted(np, p, body, bend, critical, nnp);
        if (r < 0) return -1;
        return 0;
      }
      default: {
        if (critical) {
          return failWith(E_CRITICAL, K_V2_UNKNOWN, np, FIELD_NONE, offOf(p), np, 0, UNSUPPORTED_CRITICAL_PAYLOAD);
        }
        kind = K_V2_UNKNOWN;
      }
    }
    if (kind != 0) r = simple(kind, np, p, body, bend, critical);
    if (r < 0) return -1;
    prevAt = p;
    p = bend;
    np = nnp;
  }
  if (p != end) return fail(E_TRAILING, K_V2_UNKNOWN, 0, FIELD_NEXT_PAYLOAD, offOf(prevAt), <u32>(end - p), 0);
  return 0;
}

// Payloads whose body is a small fixed part and then data.
function simple(kind: i32, np: u32, p: usize, body: usize, end: usize, critical: u32): i32 {
  const n = end - body;
  let fixed: usize = 0;
  switch (kind) {
    case K_V2_KE: case K_V2_ID: case K_V2_AUTH: case K_V2_NOTIFY: case K_V2_DELETE: case K_V2_EAP:
      fixed = 4; break;
    case K_V2_CERT: fixed = 1; break;
  }
  if (n < fixed) return fail(E_TRUNCATED, kind, np, FIELD_NONE, offOf(body), <u32>n, <u32>fixed);
  const i = node(kind, np, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, critical);
  const rest = body + fixed;
  const rn = <u32>(end - rest);
  switch (kind) {
    case K_V2_KE: {
      // DH Group Num (2) | RESERVED (2) | Key Exchange Data
      setF(i, 1, be16(body));
      setA(i, rest, rn);
      break;
    }
    case K_V2_ID: {
      // ID Type | RESERVED (3) | Identification Data
      const t = u8at(body);
      setF(i, 1, t);
      if (!addrLenOk(rn, t == 1 ? 4 : t == 5 ? 16 : 0)) return fail(E_LENGTH, kind, np, FIELD_A, offOf(rest), rn, t == 1 ? 4 : 16);
      setA(i, rest, rn);
      break;
    }
    case K_V2_CERT: {
      // Cert Encoding | Certificate Data  (CERTREQ: Cert Encoding | Certification Authority)
      setF(i, 1, u8at(body));
      setA(i, rest, rn);
      break;
    }
    case K_V2_AUTH: {
      // Auth Method | RESERVED (3) | Authentication Data
      setF(i, 1, u8at(body));
      setA(i, rest, rn);
      break;
    }
    case K_V2_NONCE: {
      // Nonce Data: between 16 and 256 octets (RFC 7296 3.9)
      if (rn < 16 || rn > 256) return fail(E_LENGTH, kind, np, FIELD_A, offOf(rest), rn, rn < 16 ? 16 : 256);
      setA(i, rest, rn);
      break;
    }
    case K_V2_NOTIFY: {
      // Protocol ID | SPI Size | Notify Message Type (2) | SPI | Notification Data
      const spiSize = u8at(body + 1);
      setF(i, 1, u8at(body));
      setF(i, 2, be16(body + 2));
      if (spiSize > rn) return fail(E_LENGTH, kind, np, 1, offOf(body + 1), spiSize, rn);
      setA(i, rest, spiSize);
      setB(i, rest + spiSize, rn - spiSize);
      break;
    }
    case K_V2_DELETE: {
      // Protocol ID | SPI Size | Num of SPIs (2) | SPIs
      const spiSize = u8at(body + 1);
      const count = be16(body + 2);
      setF(i, 1, u8at(body));
      setF(i, 2, spiSize);
      if (spiSize == 0 && count != 0) return fail(E_VALUE, kind, np, FIELD_COUNT, offOf(body + 2), count, 0);
      if (spiSize * count != rn) return fail(E_LENGTH, kind, np, FIELD_A, offOf(rest), rn, spiSize * count);
      setA(i, rest, rn);
      break;
    }
    case K_V2_EAP: {
      // Code | Identifier | Length (2) | Type | Type_Data   (RFC 3748 4; Length covers all of it)
      const elen = be16(body + 2);
      if (<usize>elen != n) return fail(E_LENGTH, kind, np, 3, offOf(body + 2), elen, <u32>n);
      setF(i, 1, u8at(body));
      setF(i, 2, u8at(body + 1));
      setA(i, rest, rn);
      break;
    }
    default: {
      // Vendor ID, unknown non-critical payloads: the body as it is
      setA(i, body, <u32>n);
    }
  }
  closeNode(i);
  return 0;
}

// SA: one or more Proposal substructures (RFC 7296 3.3.1)
//   Last Substruc (0|2) | RESERVED | Proposal Length (2) | Proposal Num | Protocol ID |
//   SPI Size | Num Transforms | SPI | Transforms
function sa(p: usize, body: usize, end: usize, critical: u32): i32 {
  const s = node(K_V2_SA, PT2_SA, p, <u32>(end - p));
  if (s < 0) return -1;
  setF(s, 0, critical);
  if (body == end) return fail(E_VALUE, K_V2_SA, PT2_SA, FIELD_COUNT, offOf(body), 0, 1);
  let q = body;
  let expect: u32 = 0;
  while (q < end) {
    const left = end - q;
    if (left < 8) return fail(E_TRUNCATED, K_V2_PROP, 0, FIELD_NONE, offOf(q), <u32>left, 8);
    const last = u8at(q);
    const plen = be16(q + 2);
    if (last != 0 && last != 2) return fail(E_VALUE, K_V2_PROP, 0, 0, offOf(q), last, 2);
    if (plen < 8 || <usize>plen > left) return fail(E_LENGTH, K_V2_PROP, 0, FIELD_LENGTH, offOf(q + 2), plen, <u32>left);
    const num = u8at(q + 4);
    // RFC 7296 3.3.1: numbered 1, 2, ... in a request; an accepted proposal keeps the number it
    // had in the request, so a response's single proposal may carry any number from 1 up.
    if (expect == 0 ? num == 0 : num != expect) return fail(E_VALUE, K_V2_PROP, 0, 0, offOf(q + 4), num, expect == 0 ? 1 : expect);
    const spiSize = u8at(q + 6);
    const nx = u8at(q + 7);
    const qend = q + plen;
    if (<usize>spiSize > <usize>plen - 8) return fail(E_LENGTH, K_V2_PROP, 0, FIELD_A, offOf(q + 6), spiSize, plen - 8);
    const pi = node(K_V2_PROP, 0, q, plen);
    if (pi < 0) return -1;
    setF(pi, 0, num);
    setF(pi, 1, u8at(q + 5));
    setA(pi, q + 8, spiSize);
    // Transforms: Last Substruc (0|3) | RESERVED | Transform Length (2) | Transform Type |
    //             RESERVED | Transform ID (2) | Transform Attributes
    let r = q + 8 + spiSize;
    let count: u32 = 0;
    while (r < qend) {
      const tl = qend - r;
      if (tl < 8) return fail(E_TRUNCATED, K_V2_XFORM, 0, FIELD_NONE, offOf(r), <u32>tl, 8);
      const tlast = u8at(r);
      const tlen = be16(r + 2);
      if (tlast != 0 && tlast != 3) return fail(E_VALUE, K_V2_XFORM, 0, FIELD_NONE, offOf(r), tlast, 3);
      if (tlen < 8 || <usize>tlen > tl) return fail(E_LENGTH, K_V2_XFORM, 0, FIELD_LENGTH, offOf(r + 2), tlen, <u32>tl);
      if ((tlast == 0) != (<usize>tlen == tl)) return fail(E_VALUE, K_V2_XFORM, 0, FIELD_NONE, offOf(r), tlast, tlast == 0 ? 3 : 0);
      const ti = node(K_V2_XFORM, 0, r, tlen);
      if (ti < 0) return -1;
      setF(ti, 0, u8at(r + 4));
      setF(ti, 1, be16(r + 6));
      if (decodeAttributes(r + 8, r + tlen) < 0) return -1;
      closeNode(ti);
      count++;
      r += tlen;
    }
    if (count != nx) return fail(E_VALUE, K_V2_PROP, 0, FIELD_COUNT, offOf(q + 7), nx, count);
    closeNode(pi);
    q = qend;
    if ((last == 0) != (q == end)) return fail(E_VALUE, K_V2_PROP, 0, FIELD_NONE, offOf(q - plen), last, last == 0 ? 2 : 0);
    expect = num + 1;
  }
  closeNode(s);
  return 0;
}

// TSi / TSr: Number of TSs | RESERVED (3) | Traffic Selectors (RFC 7296 3.13.1)
//   TS Type | IP Protocol ID | Selector Length (2) | Start Port (2) | End Port (2) |
//   Starting Address | Ending Address
function tsPayload(np: u32, p: usize, body: usize, end: usize, critical: u32): i32 {
  if (end - body < 4) return fail(E_TRUNCATED, K_V2_TSP, np, FIELD_NONE, offOf(body), <u32>(end - body), 4);
  const t = node(K_V2_TSP, np, p, <u32>(end - p));
  if (t < 0) return -1;
  setF(t, 0, critical);
  const want = u8at(body);
  let q = body + 4;
  let count: u32 = 0;
  while (q < end) {
    const left = end - q;
    if (left < 8) return fail(E_TRUNCATED, K_V2_TS, 0, FIELD_NONE, offOf(q), <u32>left, 8);
    const type = u8at(q);
    const slen = be16(q + 2);
    if (slen < 8 || <usize>slen > left) return fail(E_LENGTH, K_V2_TS, 0, FIELD_LENGTH, offOf(q + 2), slen, <u32>left);
    const alen: u32 = type == 7 ? 4 : type == 8 ? 16 : 0;
    if (alen != 0 && slen != 8 + 2 * alen) return fail(E_LENGTH, K_V2_TS, 0, FIELD_LENGTH, offOf(q + 2), slen, 8 + 2 * alen);
    const s = node(K_V2_TS, 0, q, slen);
    if (s < 0) return -1;
    setF(s, 0, type);
    setF(s, 1, u8at(q + 1));
    setF(s, 2, be16(q + 4));
    setF(s, 3, be16(q + 6));
    if (alen != 0) {
      setA(s, q + 8, alen);
      setB(s, q + 8 + alen, alen);
    } else {
      setA(s, q + 8, slen - 8); // other TS types (e.g. TS_SECLABEL) kept whole
    }
    count++;
    q += slen;
  }
  if (count != want) return fail(E_VALUE, K_V2_TSP, np, FIELD_COUNT, offOf(body), want, count);
  closeNode(t);
  return 0;
}

// CP: CFG Type | RESERVED (3) | Configuration Attributes (RFC 7296 3.15)
//   R|Attribute Type (2) | Length (2) | Value
function cp(p: usize, body: usize, end: usize, critical: u32): i32 {
  if (end - body < 4) return fail(E_TRUNCATED, K_V2_CP, PT2_CP, FIELD_NONE, offOf(body), <u32>(end - body), 4);
  const c = node(K_V2_CP, PT2_CP, p, <u32>(end - p));
  if (c < 0) return -1;
  setF(c, 0, critical);
  setF(c, 1, u8at(body));
  let q = body + 4;
  while (q < end) {
    const left = end - q;
    if (left < 4) return fail(E_TRUNCATED, K_V2_CPATTR, 0, FIELD_NONE, offOf(q), <u32>left, 4);
    const n = be16(q + 2);
    if (<usize>n > left - 4) return fail(E_LENGTH, K_V2_CPATTR, 0, FIELD_LENGTH, offOf(q + 2), n, <u32>(left - 4));
    const a = node(K_V2_CPATTR, 0, q, 4 + n);
    if (a < 0) return -1;
    setF(a, 0, be16(q) & 0x7fff);
    setA(a, q + 4, n);
    q += 4 + n;
  }
  closeNode(c);
  return 0;
}

// SK: Initialization Vector | Encrypted IKE Payloads | Padding | Pad Length | Integrity Checksum
// SKF: Fragment Number (2) | Total Fragments (2) | IV | Encrypted content | ... (RFC 7383 2.5)
function encrypted(np: u32, p: usize, body: usize, end: usize, critical: u32, inner: u32): i32 {
  const kind = np == PT2_SK ? K_V2_SK : K_V2_SKF;
  const n = end - body;
  const i = node(kind, np, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, critical);
  setF(i, 1, inner);
  if (kind == K_V2_SKF) {
    if (n < 4) return fail(E_TRUNCATED, kind, np, FIELD_NONE, offOf(body), <u32>n, 4);
    const num = be16(body);
    const total = be16(body + 2);
    if (num == 0 || num > total) return fail(E_VALUE, kind, np, 2, offOf(body), num, total);
    setF(i, 2, num);
    setF(i, 3, total);
    setA(i, body + 4, <u32>(n - 4));
  } else {
    setA(i, body, <u32>n);
  }
  closeNode(i);
  return 0;
}

export { malformedNotify };
