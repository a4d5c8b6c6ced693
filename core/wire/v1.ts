// IKEv1 / ISAKMP payloads (RFC 2408 section 3, RFC 2407 for the IPsec DOI, RFC 3947 NAT-T,
// and the Cisco-style FRAG payload 132). Same shape as v2.ts: validate, then read.
import { u8at, be16, be32 } from "./buffers";
import { closeNode, setF, setA, setB } from "./tape";
import { fail, failWith } from "./error";
import { node, offOf, decodeAttributes, addrLenOk } from "./common";
import {
  K_V1_HDR, K_V1_CHAIN, K_V1_ENC, K_V1_SA, K_V1_PROP, K_V1_XFORM, K_V1_DATA, K_V1_ID, K_V1_CERT,
  K_V1_NOTIFY, K_V1_DELETE, K_V1_NATOA, K_V1_FRAG,
  PT1_SA, PT1_P, PT1_T, PT1_KE, PT1_ID, PT1_CERT, PT1_CR, PT1_HASH, PT1_SIG, PT1_NONCE, PT1_N,
  PT1_D, PT1_VID, PT1_NATD, PT1_NATOA, PT1_NATD_DRAFT, PT1_NATOA_DRAFT, PT1_FRAG,
  E_TRUNCATED, E_LENGTH, E_TRAILING, E_VALUE, E_PAYLOAD_TYPE,
  FIELD_NONE, FIELD_NEXT_PAYLOAD, FIELD_LENGTH, FIELD_A, FIELD_COUNT,
} from "../abi";

const INVALID_PAYLOAD_TYPE = 1;
const SITUATION_NOT_SUPPORTED = 3;
const FLAG_ENCRYPTION = 1;

// HDR: Initiator Cookie (8) | Responder Cookie (8) | Next Payload | MjVer|MnVer | Exchange Type |
//      Flags | Message ID (4) | Length (4)
export function decodeV1(buf: usize, len: usize): i32 {
  const mlen = be32(buf + 24);
  if (mlen < 28) return fail(E_LENGTH, K_V1_HDR, 0, FIELD_LENGTH, 24, mlen, 28);
  if (<usize>mlen > len) return fail(E_TRUNCATED, K_V1_HDR, 0, FIELD_LENGTH, 24, mlen, <u32>len);
  if (<usize>mlen < len) return fail(E_TRAILING, K_V1_HDR, 0, FIELD_LENGTH, 24, mlen, <u32>len);
  const h = node(K_V1_HDR, 0, buf, mlen);
  if (h < 0) return -1;
  setA(h, buf, 8);
  setB(h, buf + 8, 8);
  const np = u8at(buf + 16);
  const ver = u8at(buf + 17);
  const flags = u8at(buf + 19);
  setF(h, 0, np);
  setF(h, 1, ver >> 4);
  setF(h, 2, ver & 15);
  setF(h, 3, u8at(buf + 18));
  setF(h, 4, flags);
  setF(h, 5, be32(buf + 20));
  if (flags & FLAG_ENCRYPTION) {
    // Everything after the header is ciphertext; its payloads are decoded after decryption.
    const e = node(K_V1_ENC, 0, buf + 28, mlen - 28);
    if (e < 0) return -1;
    setA(e, buf + 28, mlen - 28);
  } else if (chainV1(np, buf + 28, buf + mlen, false) < 0) {
    return -1;
  }
  closeNode(h);
  return 0;
}

// A decrypted IKEv1 body: the payload chain starting with type np, then padding (RFC 2409
// appendix B pads to the cipher's block size), whose length is kept in f1.
export function decodeChainV1(np: u32, buf: usize, len: usize): i32 {
  const h = node(K_V1_CHAIN, 0, buf, <u32>len);
  if (h < 0) return -1;
  setF(h, 0, np);
  const used = chainV1(np, buf, buf + len, true);
  if (used < 0) return -1;
  setF(h, 1, <u32>(len - <usize>used));
  closeNode(h);
  return 0;
}

// Generic payload header: Next Payload | RESERVED | Payload Length (2).
// Returns the number of bytes the chain used, or -1.
function chainV1(np: u32, start: usize, end: usize, padded: bool): i32 {
  let p = start;
  let prevAt = p;
  while (np != 0) {
    if (p == end) return fail(E_TRUNCATED, K_V1_DATA, np, FIELD_NEXT_PAYLOAD, offOf(prevAt), np, 0);
    if (end - p < 4) return fail(E_TRUNCATED, K_V1_DATA, np, FIELD_NONE, offOf(p), <u32>(end - p), 4);
    const nnp = u8at(p);
    const plen = be16(p + 2);
    if (plen < 4 || <usize>plen > end - p) {
      return fail(E_LENGTH, K_V1_DATA, np, FIELD_LENGTH, offOf(p + 2), plen, <u32>(end - p));
    }
    const body = p + 4;
    const bend = p + plen;
    let r: i32 = 0;
    switch (np) {
      case PT1_SA: r = sa(p, body, bend); break;
      case PT1_KE: case PT1_HASH: case PT1_SIG: case PT1_VID: case PT1_NATD: case PT1_NATD_DRAFT:
        r = data(np, p, body, bend); break;
      case PT1_NONCE: {
        // RFC 2409 5: the nonce is between 8 and 256 bytes
        const n = <u32>(bend - body);
        if (n < 8 || n > 256) return fail(E_LENGTH, K_V1_DATA, np, FIELD_A, offOf(body), n, n < 8 ? 8 : 256);
        r = data(np, p, body, bend);
        break;
      }
      case PT1_ID: r = id(p, body, bend); break;
      case PT1_CERT: case PT1_CR: r = cert(np, p, body, bend); break;
      case PT1_N: r = notify(p, body, bend); break;
      case PT1_D: r = del(p, body, bend); break;
      case PT1_NATOA: case PT1_NATOA_DRAFT: r = natoa(np, p, body, bend); break;
      case PT1_FRAG: r = frag(p, body, bend); break;
      default:
        // ISAKMP has no critical bit: a payload we cannot parse cannot be skipped safely.
        return failWith(E_PAYLOAD_TYPE, K_V1_DATA, np, FIELD_NONE, offOf(p), np, 0, INVALID_PAYLOAD_TYPE);
    }
    if (r < 0) return -1;
    prevAt = p;
    p = bend;
    np = nnp;
  }
  if (p != end && !padded) return fail(E_TRAILING, K_V1_DATA, 0, FIELD_NEXT_PAYLOAD, offOf(prevAt), <u32>(end - p), 0);
  return <i32>(p - start);
}

function data(np: u32, p: usize, body: usize, end: usize): i32 {
  const i = node(K_V1_DATA, np, p, <u32>(end - p));
  if (i < 0) return -1;
  setA(i, body, <u32>(end - body));
  closeNode(i);
  return 0;
}

// SA: DOI (4) | Situation (4, IPsec DOI) | Proposal payloads (RFC 2408 3.4, RFC 2407 4.6.1)
function sa(p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 4) return fail(E_TRUNCATED, K_V1_SA, PT1_SA, FIELD_NONE, offOf(body), <u32>n, 4);
  const s = node(K_V1_SA, PT1_SA, p, <u32>(end - p));
  if (s < 0) return -1;
  const doi = be32(body);
  setF(s, 0, doi);
  if (doi != 1) {
    setA(s, body + 4, <u32>(n - 4)); // another DOI: kept as it is
    closeNode(s);
    return 0;
  }
  if (n < 8) return fail(E_TRUNCATED, K_V1_SA, PT1_SA, 1, offOf(body + 4), <u32>n, 8);
  const sit = be32(body + 4);
  setF(s, 1, sit);
  // SIT_SECRECY / SIT_INTEGRITY would add labeled-domain fields that no one sends
  if (sit & ~1) return failWith(E_VALUE, K_V1_SA, PT1_SA, 1, offOf(body + 4), sit, 1, SITUATION_NOT_SUPPORTED);
  let q = body + 8;
  if (q == end) return fail(E_VALUE, K_V1_SA, PT1_SA, FIELD_COUNT, offOf(q), 0, 1);
  // Proposal: Next Payload (2|0) | RESERVED | Payload Length (2) | Proposal # | Protocol-Id |
  //           SPI Size | # of Transforms | SPI | Transform payloads
  let prevNum: u32 = 0;
  while (q < end) {
    const left = end - q;
    if (left < 8) return fail(E_TRUNCATED, K_V1_PROP, PT1_P, FIELD_NONE, offOf(q), <u32>left, 8);
    const pnp = u8at(q);
    const plen = be16(q + 2);
    if (pnp != 0 && pnp != PT1_P) return fail(E_VALUE, K_V1_PROP, PT1_P, FIELD_NEXT_PAYLOAD, offOf(q), pnp, PT1_P);
    if (plen < 8 || <usize>plen > left) return fail(E_LENGTH, K_V1_PROP, PT1_P, FIELD_LENGTH, offOf(q + 2), plen, <u32>left);
    const num = u8at(q + 4);
    // RFC 2408 4.2: proposal numbers increase; equal numbers join protocols into one suite
    if (num < prevNum) return fail(E_VALUE, K_V1_PROP, PT1_P, 0, offOf(q + 4), num, prevNum);
    prevNum = num;
    const spiSize = u8at(q + 6);
    const nx = u8at(q + 7);
    const qend = q + plen;
    if (<u32>spiSize > plen - 8) return fail(E_LENGTH, K_V1_PROP, PT1_P, FIELD_A, offOf(q + 6), spiSize, plen - 8);
    const pi = node(K_V1_PROP, PT1_P, q, plen);
    if (pi < 0) return -1;
    setF(pi, 0, num);
    setF(pi, 1, u8at(q + 5));
    setA(pi, q + 8, spiSize);
    // Transform: Next Payload (3|0) | RESERVED | Payload Length (2) | Transform # |
    //            Transform-Id | RESERVED2 (2) | SA Attributes
    let r = q + 8 + spiSize;
    let count: u32 = 0;
    while (r < qend) {
      const tl = qend - r;
      if (tl < 8) return fail(E_TRUNCATED, K_V1_XFORM, PT1_T, FIELD_NONE, offOf(r), <u32>tl, 8);
      const tnp = u8at(r);
      const tlen = be16(r + 2);
      if (tnp != 0 && tnp != PT1_T) return fail(E_VALUE, K_V1_XFORM, PT1_T, FIELD_NEXT_PAYLOAD, offOf(r), tnp, PT1_T);
      if (tlen < 8 || <usize>tlen > tl) return fail(E_LENGTH, K_V1_XFORM, PT1_T, FIELD_LENGTH, offOf(r + 2), tlen, <u32>tl);
      if ((tnp == 0) != (<usize>tlen == tl)) return fail(E_VALUE, K_V1_XFORM, PT1_T, FIELD_NEXT_PAYLOAD, offOf(r), tnp, tnp == 0 ? PT1_T : 0);
      const ti = node(K_V1_XFORM, PT1_T, r, tlen);
      if (ti < 0) return -1;
      setF(ti, 0, u8at(r + 4));
      setF(ti, 1, u8at(r + 5));
      if (decodeAttributes(r + 8, r + tlen) < 0) return -1;
      closeNode(ti);
      count++;
      r += tlen;
    }
    if (count != nx) return fail(E_VALUE, K_V1_PROP, PT1_P, FIELD_COUNT, offOf(q + 7), nx, count);
    closeNode(pi);
    q = qend;
    if ((pnp == 0) != (q == end)) return fail(E_VALUE, K_V1_PROP, PT1_P, FIELD_NEXT_PAYLOAD, offOf(q - plen), pnp, pnp == 0 ? PT1_P : 0);
  }
  closeNode(s);
  return 0;
}

// The address length each IKEv1 ID type implies (RFC 2407 4.6.2.1); 0 = variable.
function v1IdAddrLen(t: u32): u32 {
  switch (t) {
    case 1: return 4; // ID_IPV4_ADDR
    case 4: return 8; // ID_IPV4_ADDR_SUBNET
    case 5: return 16; // ID_IPV6_ADDR
    case 6: return 32; // ID_IPV6_ADDR_SUBNET
    case 7: return 8; // ID_IPV4_ADDR_RANGE
    case 8: return 32; // ID_IPV6_ADDR_RANGE
  }
  return 0;
}

// ID: ID Type | Protocol ID | Port (2) | Identification Data   (IPsec DOI, RFC 2407 4.6.2)
function id(p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 4) return fail(E_TRUNCATED, K_V1_ID, PT1_ID, FIELD_NONE, offOf(body), <u32>n, 4);
  const t = u8at(body);
  const want = v1IdAddrLen(t);
  if (!addrLenOk(n - 4, want)) return fail(E_LENGTH, K_V1_ID, PT1_ID, FIELD_A, offOf(body + 4), <u32>(n - 4), want);
  const i = node(K_V1_ID, PT1_ID, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, t);
  setF(i, 1, u8at(body + 1));
  setF(i, 2, be16(body + 2));
  setA(i, body + 4, <u32>(n - 4));
  closeNode(i);
  return 0;
}

// CERT: Cert Encoding | Certificate Data;  CR: Cert Type | Certificate Authority
function cert(np: u32, p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 1) return fail(E_TRUNCATED, K_V1_CERT, np, FIELD_NONE, offOf(body), 0, 1);
  const i = node(K_V1_CERT, np, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, u8at(body));
  setA(i, body + 1, <u32>(n - 1));
  closeNode(i);
  return 0;
}

// N: DOI (4) | Protocol-ID | SPI Size | Notify Message Type (2) | SPI | Notification Data
function notify(p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 8) return fail(E_TRUNCATED, K_V1_NOTIFY, PT1_N, FIELD_NONE, offOf(body), <u32>n, 8);
  const spiSize = u8at(body + 5);
  if (<usize>spiSize > n - 8) return fail(E_LENGTH, K_V1_NOTIFY, PT1_N, FIELD_A, offOf(body + 5), spiSize, <u32>(n - 8));
  const i = node(K_V1_NOTIFY, PT1_N, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, be32(body));
  setF(i, 1, u8at(body + 4));
  setF(i, 2, be16(body + 6));
  setA(i, body + 8, spiSize);
  setB(i, body + 8 + spiSize, <u32>(n - 8 - spiSize));
  closeNode(i);
  return 0;
}

// D: DOI (4) | Protocol-Id | SPI Size | # of SPIs (2) | SPIs
function del(p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 8) return fail(E_TRUNCATED, K_V1_DELETE, PT1_D, FIELD_NONE, offOf(body), <u32>n, 8);
  const spiSize = u8at(body + 5);
  const count = be16(body + 6);
  if (spiSize == 0 && count != 0) return fail(E_VALUE, K_V1_DELETE, PT1_D, FIELD_COUNT, offOf(body + 6), count, 0);
  if (<usize>(spiSize * count) != n - 8) return fail(E_LENGTH, K_V1_DELETE, PT1_D, FIELD_A, offOf(body + 8), <u32>(n - 8), spiSize * count);
  const i = node(K_V1_DELETE, PT1_D, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, be32(body));
  setF(i, 1, u8at(body + 4));
  setF(i, 2, spiSize);
  setA(i, body + 8, <u32>(n - 8));
  closeNode(i);
  return 0;
}

// NAT-OA: ID Type | RESERVED | RESERVED (2) | IPv4 (4) or IPv6 (16) address (RFC 3947 5.2)
function natoa(np: u32, p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 4) return fail(E_TRUNCATED, K_V1_NATOA, np, FIELD_NONE, offOf(body), <u32>n, 4);
  const t = u8at(body);
  if (t != 1 && t != 5) return fail(E_VALUE, K_V1_NATOA, np, 0, offOf(body), t, 1);
  const want: u32 = t == 1 ? 4 : 16;
  if (n - 4 != <usize>want) return fail(E_LENGTH, K_V1_NATOA, np, FIELD_A, offOf(body + 4), <u32>(n - 4), want);
  const i = node(K_V1_NATOA, np, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, t);
  setA(i, body + 4, want);
  closeNode(i);
  return 0;
}

// FRAG (132): Fragment ID (2) | Fragment Number | Flags (LAST = 1) | Fragment Data
function frag(p: usize, body: usize, end: usize): i32 {
  const n = end - body;
  if (n < 4) return fail(E_TRUNCATED, K_V1_FRAG, PT1_FRAG, FIELD_NONE, offOf(body), <u32>n, 4);
  const num = u8at(body + 2);
  if (num == 0) return fail(E_VALUE, K_V1_FRAG, PT1_FRAG, 1, offOf(body + 2), 0, 1);
  const i = node(K_V1_FRAG, PT1_FRAG, p, <u32>(end - p));
  if (i < 0) return -1;
  setF(i, 0, be16(body));
  setF(i, 1, num);
  setF(i, 2, u8at(body + 3));
  setA(i, body + 4, <u32>(n - 4));
  closeNode(i);
  return 0;
}
