// ID_DER_ASN1_DN identities (RFC 7296 3.5: "the complete DER encoding of an ASN.1 X.500
// Distinguished Name") compared as Libreswan 4.10 compares them (lib/libswan/x509dn.c
// match_dn and match_dn_any_order_wild), without certificates:
//
//   DN  ::= SEQUENCE OF RDN;  RDN ::= SET OF SEQUENCE { OID, string value }
//
// A configured DN may hold wildcards, an RDN whose value is the single character "*"
// (rightid="C=CH, O=Example, CN=*"), which matches any value of that attribute. A peer's DN
// matches when its RDNs agree in order, count and value (case-insensitively for
// PrintableString and e-mail IA5String values); failing that, when every RDN of the configured
// DN is matched by some RDN of the peer's, in any order. The result is the number of
// wildcards used (0: an exact match, preferred over wildcard matches), or -1.
//
// The peer's DN comes from the network: every length is checked against its container, and
// a malformed DN simply matches nothing.

// One attribute (a flattened RDN): byte ranges into the DN.
class Ava {
  constructor(public oidAt: i32, public oidLen: i32, public type: i32, public valAt: i32, public valLen: i32) {}
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const PRINTABLE = 0x13;
const T61 = 0x14;
const IA5 = 0x16;
const UTF8 = 0x0c;
const BMP = 0x1e;

// A TLV at `o` within `end`: its tag, where its value starts and how long it is; false when
// it does not fit (only the definite lengths DER allows, up to 65535).
let tlvTag: i32 = 0;
let tlvAt: i32 = 0;
let tlvLen: i32 = 0;
function readTlv(b: Uint8Array, o: i32, end: i32): bool {
  if (o + 2 > end) return false;
  tlvTag = b[o];
  let n = <i32>b[o + 1];
  let at = o + 2;
  if (n == 0x81) {
    if (at + 1 > end) return false;
    n = b[at];
    at += 1;
  } else if (n == 0x82) {
    if (at + 2 > end) return false;
    n = (<i32>b[at] << 8) | b[at + 1];
    at += 2;
  } else if (n >= 0x80) {
    return false;
  }
  if (n > end - at) return false;
  tlvAt = at;
  tlvLen = n;
  return true;
}

// The attributes of a DN in order, or null when it is not a well-formed DN.
export function dnAvas(b: Uint8Array): Array<Ava> | null {
  if (!readTlv(b, 0, b.length) || tlvTag != SEQUENCE || tlvAt + tlvLen != b.length) return null;
  const out = new Array<Ava>();
  let o = tlvAt;
  const end = b.length;
  while (o < end) {
    if (!readTlv(b, o, end) || tlvTag != SET) return null;
    const setEnd = tlvAt + tlvLen;
    let a = tlvAt;
    o = setEnd;
    if (a == setEnd) return null; // an empty RDN
    while (a < setEnd) {
      if (!readTlv(b, a, setEnd) || tlvTag != SEQUENCE) return null;
      const seqEnd = tlvAt + tlvLen;
      a = seqEnd;
      if (!readTlv(b, tlvAt, seqEnd) || tlvTag != OID || tlvLen == 0) return null;
      const oidAt = tlvAt;
      const oidLen = tlvLen;
      if (!readTlv(b, oidAt + oidLen, seqEnd)) return null;
      const t = tlvTag;
      if (t != PRINTABLE && t != T61 && t != IA5 && t != UTF8 && t != BMP) return null;
      if (tlvAt + tlvLen != seqEnd) return null; // something after the value
      out.push(new Ava(oidAt, oidLen, t, tlvAt, tlvLen));
    }
  }
  return out;
}

function isWild(b: Uint8Array, v: Ava): bool {
  return v.valLen == 1 && b[v.valAt] == 0x2a;
}

export function dnHasWildcards(dn: Uint8Array): bool {
  const avas = dnAvas(dn);
  if (avas === null) return false;
  for (let i = 0; i < avas.length; i++) if (isWild(dn, avas[i])) return true;
  return false;
}

// PKCS #9 emailAddress (1.2.840.113549.1.9.1), compared ignoring case like PrintableString
const OID_EMAIL: StaticArray<u8> = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

function sameOid(a: Uint8Array, x: Ava, b: Uint8Array, y: Ava): bool {
  if (x.oidLen != y.oidLen) return false;
  for (let i = 0; i < x.oidLen; i++) if (a[x.oidAt + i] != b[y.oidAt + i]) return false;
  return true;
}
function isEmailOid(a: Uint8Array, x: Ava): bool {
  if (x.oidLen != OID_EMAIL.length) return false;
  for (let i = 0; i < x.oidLen; i++) if (a[x.oidAt + i] != OID_EMAIL[i]) return false;
  return true;
}
@inline function lower(c: u32): u32 {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

// One peer attribute `x` against one configured attribute `y` (same OID already): 1 by a
// wildcard, 0 by value, -1 not at all.
function avaMatch(a: Uint8Array, x: Ava, b: Uint8Array, y: Ava): i32 {
  if (isWild(b, y)) return 1;
  if (x.valLen != y.valLen) return -1;
  // types that treat the high bit differently, or PrintableString: no high bit at all
  if (x.type != y.type || x.type == PRINTABLE) {
    let or: u32 = 0;
    for (let i = 0; i < x.valLen; i++) or |= <u32>a[x.valAt + i] | <u32>b[y.valAt + i];
    if ((or & 0x80) != 0) return -1;
  }
  let same = true;
  for (let i = 0; i < x.valLen && same; i++) same = a[x.valAt + i] == b[y.valAt + i];
  if (same) return 0;
  if (x.type == PRINTABLE || (x.type == IA5 && isEmailOid(a, x))) {
    for (let i = 0; i < x.valLen; i++) {
      const c = <u32>a[x.valAt + i];
      if (c == 0 || lower(c) != lower(<u32>b[y.valAt + i])) return -1;
    }
    return 0;
  }
  return -1;
}

// How the peer's DN `peer` matches the configured `conf`: the wildcards used, or -1.
export function dnMatch(peer: Uint8Array, conf: Uint8Array): i32 {
  const a = dnAvas(peer);
  const b = dnAvas(conf);
  if (a === null || b === null || b.length == 0) return -1;
  // in order, the same number of attributes
  if (a.length == b.length) {
    let wild = 0;
    let i = 0;
    for (; i < a.length; i++) {
      if (!sameOid(peer, a[i], conf, b[i])) break;
      const m = avaMatch(peer, a[i], conf, b[i]);
      if (m < 0) break;
      wild += m;
    }
    if (i == a.length) return wild;
  }
  // any order: each configured attribute by one of the peer's
  let wild = 0;
  for (let k = 0; k < b.length; k++) {
    let found = -1;
    for (let i = 0; i < a.length && found < 0; i++) {
      if (sameOid(peer, a[i], conf, b[k])) found = avaMatch(peer, a[i], conf, b[k]);
    }
    if (found < 0) return -1;
    wild += found;
  }
  return wild;
}

// ---- text ------------------------------------------------------------------------------------
// The attribute names Libreswan's atodn knows, by OID (the host's parser has the same table).
function oidName(b: Uint8Array, x: Ava): string {
  if (x.oidLen == 3 && b[x.oidAt] == 0x55 && b[x.oidAt + 1] == 0x04) {
    switch (b[x.oidAt + 2]) {
      case 0x03: return "CN";
      case 0x04: return "S";
      case 0x05: return "SN";
      case 0x06: return "C";
      case 0x07: return "L";
      case 0x08: return "ST";
      case 0x0a: return "O";
      case 0x0b: return "OU";
      case 0x0c: return "T";
      case 0x0d: return "D";
      case 0x29: return "N";
      case 0x2a: return "G";
      case 0x2b: return "I";
      case 0x2d: return "ID";
    }
  }
  if (isEmailOid(b, x)) return "E";
  // dotted: the first byte holds two arcs, then base-128 with the high bit as "more"
  const first = <i32>b[x.oidAt];
  let s = first >= 80 ? "2." + (first - 80).toString() : (first / 40).toString() + "." + (first % 40).toString();
  let v: u64 = 0;
  for (let i = 1; i < x.oidLen; i++) {
    const c = b[x.oidAt + i];
    v = (v << 7) | <u64>(c & 0x7f);
    if ((c & 0x80) == 0) {
      s += "." + v.toString();
      v = 0;
    }
  }
  return s;
}

// "C=CH, O=Example, CN=*" (RFC 4514 order as written, Libreswan's separators), or "" when
// the DN is malformed or a value is not printable ASCII free of quotes and backslashes (the
// caller then shows it in hex).
export function dnText(dn: Uint8Array): string {
  const avas = dnAvas(dn);
  if (avas === null || avas.length == 0) return "";
  const parts = new Array<string>();
  for (let i = 0; i < avas.length; i++) {
    const x = avas[i];
    if (x.type == BMP) return "";
    for (let k = 0; k < x.valLen; k++) {
      const c = dn[x.valAt + k];
      if (c < 0x20 || c >= 0x7f || c == 0x22 || c == 0x5c || c == 0x2c) return "";
    }
    parts.push(oidName(dn, x) + "=" + String.UTF8.decodeUnsafe(dn.dataStart + <usize>x.valAt, <usize>x.valLen, false));
  }
  return parts.join(", ");
}
