// leftid= / rightid= as Libreswan 4.10 reads them (lib/libswan/id.c atoid,
// lib/libswan/x509dn.c atodn), into the IKEv2 ID payload's type and data (RFC 7296 3.5):
//
//   %any, 0.0.0.0          any ID (type 0 here: the core accepts whatever the peer sends)
//   text with '='          ID_DER_ASN1_DN: "C=CH, O=Example, CN=*" (a '*' value is a wildcard)
//   @~hex                  ID_DER_ASN1_DN given as its DER bytes
//   @#hex                  ID_KEY_ID from hex;  @[text]  ID_KEY_ID from text
//   @name                  ID_FQDN;  user@name  ID_RFC822_ADDR;  an address  ID_IPV4/6_ADDR
//
// %fromcert and %null need certificates and AUTH_NULL, which this daemon has not: refused.
import { parseAddress } from "./values.ts";

export const ID_IPV4_ADDR = 1;
export const ID_FQDN = 2;
export const ID_RFC822_ADDR = 3;
export const ID_IPV6_ADDR = 5;
export const ID_DER_ASN1_DN = 9;
export const ID_KEY_ID = 11;

export type IdValue = { type: number; data: Uint8Array };
export type IdResult = { ok: true; id: IdValue } | { ok: false; error: string };

const te = new TextEncoder();

export function parseId(text: string): IdResult {
  const v = text.trim();
  if (v === "%any" || v === "0.0.0.0") return { ok: true, id: { type: 0, data: new Uint8Array(0) } };
  if (v === "%fromcert") return { ok: false, error: "%fromcert needs certificates, which are not supported yet" };
  if (v === "%null") return { ok: false, error: "%null needs authby=null, which is not supported yet" };
  if (v.includes("=")) {
    const dn = atodn(v.startsWith("@") ? v.slice(1) : v);
    return dn.ok ? { ok: true, id: { type: ID_DER_ASN1_DN, data: dn.der } } : { ok: false, error: `not a DN: ${dn.error}` };
  }
  if (v.startsWith("@~") || v.startsWith("@#")) {
    const hex = v.slice(2).replace(/^0x/i, "");
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return { ok: false, error: `${v.slice(0, 2)} needs an even number of hex digits` };
    const data = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    return { ok: true, id: { type: v[1] === "~" ? ID_DER_ASN1_DN : ID_KEY_ID, data } };
  }
  if (v.startsWith("@[")) return { ok: true, id: { type: ID_KEY_ID, data: te.encode(v.slice(2).replace(/\]$/, "")) } };
  if (v.startsWith("@")) return v.length > 1 ? { ok: true, id: { type: ID_FQDN, data: te.encode(v.slice(1)) } } : { ok: false, error: "@ needs a name after it" };
  const a = parseAddress(v);
  if (a) return { ok: true, id: { type: a.family === 4 ? ID_IPV4_ADDR : ID_IPV6_ADDR, data: Uint8Array.from(a.bytes) } };
  if (/^[^@\s]+@[^@\s]+$/.test(v)) return { ok: true, id: { type: ID_RFC822_ADDR, data: te.encode(v) } };
  // Libreswan resolves a bare host name to its address; names are not resolved here, and a
  // bare name has always been taken as an FQDN ID by this daemon
  if (/^[A-Za-z0-9.-]+$/.test(v)) return { ok: true, id: { type: ID_FQDN, data: te.encode(v) } };
  return { ok: false, error: "not an ID (use %any, @fqdn, user@fqdn, an address or a DN)" };
}

// ---- DNs -------------------------------------------------------------------------------------
// The attribute names atodn knows, their OIDs and the string type of their values.
const PRINTABLE = 0x13;
const T61 = 0x14;
const IA5 = 0x16;
const at = (n: number) => [0x55, 0x04, n];
const RDNS: [string, number[], number][] = [
  ["ND", [0x02, 0x82, 0x06, 0x01, 0x0a, 0x07, 0x14], PRINTABLE],
  ["UID", [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01], PRINTABLE],
  ["DC", [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19], PRINTABLE],
  ["CN", at(0x03), PRINTABLE], ["S", at(0x04), PRINTABLE], ["SN", at(0x05), PRINTABLE],
  ["serialNumber", at(0x05), PRINTABLE], ["C", at(0x06), PRINTABLE], ["L", at(0x07), PRINTABLE],
  ["ST", at(0x08), PRINTABLE], ["O", at(0x0a), PRINTABLE], ["OU", at(0x0b), PRINTABLE],
  ["T", at(0x0c), PRINTABLE], ["D", at(0x0d), PRINTABLE], ["N", at(0x29), PRINTABLE],
  ["G", at(0x2a), PRINTABLE], ["I", at(0x2b), PRINTABLE], ["ID", at(0x2d), PRINTABLE],
  ["E", [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01], IA5],
  ["Email", [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01], IA5],
  ["emailAddress", [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01], IA5],
  ["UN", [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02], IA5],
  ["unstructuredName", [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02], IA5],
  ["TCGID", [0x2b, 0x06, 0x01, 0x04, 0x01, 0x89, 0x31, 0x01, 0x01, 0x02, 0x02, 0x4b], PRINTABLE],
];

// X.680 PrintableString: letters, digits, space and '()+,-./:=?
const printable = (b: number[]) => b.every((c) => /[A-Za-z0-9 '()+,\-./:=?]/.test(String.fromCharCode(c)));

function tlv(tag: number, body: number[]): number[] {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...body];
}

function oidBytes(dotted: string): number[] | null {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0) || arcs[0] > 2 || arcs[1] >= 40) return null;
  const out = [arcs[0] * 40 + arcs[1]];
  for (const a of arcs.slice(2)) {
    const b: number[] = [a & 0x7f];
    for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  }
  return out;
}

// LDAP-style text to DER, as atodn reads it: RDNs separated by ',', '/' or spaces; a name
// from the table (any case) or a dotted OID with a #hex BER value; values up to ',' or '/',
// with \XX and \c escapes, trailing spaces dropped; PrintableString when the value allows it,
// else T61String. (atodn's branch for doubled ",," and "//" cannot be reached in 4.10: its
// loop stops at the first ',' or '/', and so does this one.)
export function atodn(src: string): { ok: true; der: Uint8Array } | { ok: false; error: string } {
  const bytes = Array.from(te.encode(src));
  const rdns: number[] = [];
  let i = 0;
  const ch = (k: number) => (k < bytes.length ? String.fromCharCode(bytes[k]) : "");
  while (true) {
    while (i < bytes.length && " /,".includes(ch(i))) i++;
    if (i >= bytes.length) break;
    let oid: number[] | null;
    let type = PRINTABLE;
    let numeric = false;
    let j = i;
    while (j < bytes.length && ch(j) !== " " && ch(j) !== "=") j++;
    const name = new TextDecoder().decode(Uint8Array.from(bytes.slice(i, j)));
    if (/^[0-9]/.test(name)) {
      oid = oidBytes(name);
      if (!oid) return { ok: false, error: `bad numeric OID '${name}'` };
      numeric = true;
    } else {
      const r = RDNS.find(([n]) => n.toLowerCase() === name.toLowerCase());
      if (!r) return { ok: false, error: `unknown attribute '${name}' (known: ${RDNS.map(([n]) => n).join(", ")})` };
      oid = r[1];
      type = r[2];
    }
    i = j;
    while (ch(i) === " ") i++;
    if (ch(i) !== "=") return { ok: false, error: `missing '=' after '${name}'` };
    i++;
    while (ch(i) === " ") i++;
    let value: number[];
    if (ch(i) === "#") {
      i++;
      value = [];
      while (/[0-9a-fA-F]/.test(ch(i)) && /[0-9a-fA-F]/.test(ch(i + 1))) {
        value.push(parseInt(ch(i) + ch(i + 1), 16));
        i += 2;
      }
    } else if (ch(i) === '"') {
      return { ok: false, error: "obsolete RFC 1779 quoting with '\"' is not supported (as in Libreswan)" };
    } else {
      if (numeric) return { ok: false, error: `numeric OID '${name}' needs a #hex BER value` };
      const v: number[] = [];
      let kept = 0; // escaped characters are never trimmed
      while (i < bytes.length && ch(i) !== "," && ch(i) !== "/") {
        if (ch(i) === "\\" && /[0-9a-fA-F]/.test(ch(i + 1)) && /[0-9a-fA-F]/.test(ch(i + 2))) {
          v.push(parseInt(ch(i + 1) + ch(i + 2), 16));
          i += 3;
          kept = v.length;
        } else if (ch(i) === "\\" && i + 1 < bytes.length) {
          v.push(bytes[i + 1]);
          i += 2;
          kept = v.length;
        } else {
          v.push(bytes[i]);
          i++;
        }
      }
      while (v.length > kept && v[v.length - 1] === 0x20) v.pop();
      const t = type === PRINTABLE && !printable(v) ? T61 : type;
      value = tlv(t, v);
    }
    rdns.push(...tlv(0x31, tlv(0x30, [...tlv(0x06, oid), ...value])));
  }
  const der = tlv(0x30, rdns);
  if (der.length > 0xffff) return { ok: false, error: "DN too long" };
  return { ok: true, der: Uint8Array.from(der) };
}
