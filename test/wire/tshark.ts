// tshark's decode as an oracle: `tshark -T json` output -> the normalized view of test/wire/norm.ts.
//
// tshark's JSON repeats keys inside one object (a payload list is a run of
// "isakmp.typepayload": "41", "isakmp.typepayload_tree": {...} pairs), which JSON.parse would
// collapse. parseJsonDup keeps them: every JSON object becomes a JsonObject holding its members
// as an ordered list of [key, value] pairs, duplicates and all. Arrays stay arrays, strings stay
// strings, numbers become numbers.
//
// Field names used (tshark 4.0, packet-isakmp.c), under each "isakmp.typepayload_tree":
//   header      isakmp.ispi/rspi ("aa:bb:.."), isakmp.version_tree/isakmp.mjver, exchangetype,
//               flags, messageid ("0x.."), length; the chain is typepayload/_tree pairs
//   common      isakmp.payloadlength
//   SA (33, 1)  typepayload 2 = proposal: isakmp.prop.number, prop.protoid, isakmp.spi;
//               typepayload 3 = transform: IKEv2 isakmp.tf.type + isakmp.tf.id.{encr,prf,integ,
//               dh,esn}, attrs isakmp.ike2.attr{.format,.type,.value}; IKEv1 isakmp.trans.number
//               + isakmp.trans.id, attrs isakmp.ike.attr{..} (phase 1) / isakmp.ipsec.attr{..}
//   KE          IKEv2 isakmp.key_exchange.dh_group; IKEv1 isakmp.key_exchange.data
//   ID          isakmp.id.type, (IKEv1) isakmp.id.protoid, isakmp.id.port; isakmp.id.data is a
//               tree of decoded values (isakmp.id.data.fqdn, .ipv4_addr, .ipv4_subnet, ...),
//               re-encoded here to bytes; the raw bytes are not shown
//   CERT        isakmp.cert.encoding; isakmp.cert.data is an X.509 tree: data left undefined
//   CERTREQ     isakmp.certreq.type; IKEv2 isakmp.ike.certreq.authority (one per SHA-1 key
//               hash, concatenated); IKEv1 shows a DN tree (isakmp.ike.certreq.authority.sig):
//               data left undefined
//   AUTH        isakmp.auth.method, isakmp.auth.data (after the 4-byte fixed part)
//   Nonce       isakmp.nonce          HASH isakmp.hash       SIG isakmp.sig
//   VID         isakmp.vid_bytes      NAT-D (20) isakmp.ike.nat_hash
//   N           isakmp.notify.protoid, notify.msgtype, isakmp.spi, notify.data;
//               IKEv1 also isakmp.notify.doi (not in NormPayload)
//   D           isakmp.delete.protoid, isakmp.spisize, isakmp.spinum, isakmp.delete.spi (one
//               per SPI); IKEv1 also isakmp.delete.doi (not in NormPayload)
//   TS          isakmp.ts.data (one per selector): ts.type, ts.protoid, ts.start_port,
//               ts.end_port, ts.start_ipv4/ts.end_ipv4 (or _ipv6)
//   SK (46)     isakmp.enc.decrypted/isakmp.enc.contained holds the inner chain
//   SKF (53)    isakmp.frag.number, isakmp.frag.total; on the last fragment, after
//               isakmp.fragments, the reassembled inner chain follows as typepayload pairs
//   FRAG (132)  IKEv1 (Cisco-style): isakmp.frag.packetid, frag.seq (-> frag.num; total 0),
//               frag.last; on the last fragment a nested "isakmp" object holds the
//               reassembled message
//   IKEv1 E     the decrypted chain is under isakmp.enc.data (a string when not decrypted)
//   CP (47)     isakmp.cfg.type, isakmp.cfg.attr{..}: NormPayload has no CP field
// Every hex value is checked against the payload length; a value tshark shows only in part or
// not at all stays undefined rather than being guessed.

import type { NormAttr, NormMsg, NormPayload, NormProposal, NormTransform, NormTs } from "./norm.ts";

// ---- JSON with duplicate keys --------------------------------------------------------------

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export class JsonObject {
  constructor(readonly entries: [string, JsonValue][]) {}
  /** The first value under key, or undefined. */
  get(key: string): JsonValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
  /** Every value under key, in document order. */
  all(key: string): JsonValue[] {
    const out: JsonValue[] = [];
    for (const [k, v] of this.entries) if (k === key) out.push(v);
    return out;
  }
  obj(key: string): JsonObject | undefined {
    const v = this.get(key);
    return v instanceof JsonObject ? v : undefined;
  }
  str(key: string): string | undefined {
    const v = this.get(key);
    return typeof v === "string" ? v : undefined;
  }
}

/** RFC 8259 JSON, objects as ordered [key, value] lists (duplicate keys kept). Throws on syntax errors. */
export function parseJsonDup(text: string): JsonValue {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= n) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const h = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(h, 16)); // surrogate pairs join by themselves
          i += 4;
          break;
        }
        default:
          fail("bad escape");
      }
      start = i;
    }
  };
  const value = (depth: number): JsonValue => {
    if (depth > 512) fail("nesting too deep");
    ws();
    if (i >= n) fail("unexpected end");
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: [string, JsonValue][] = [];
      ws();
      if (text[i] === "}") {
        i++;
        return new JsonObject(entries);
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const k = str();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        entries.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return new JsonObject(entries);
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail("unexpected character");
    i += m![0].length;
    return Number(m![0]);
  };
  const v = value(0);
  ws();
  if (i !== n) fail("trailing characters");
  return v;
}

// ---- value helpers -------------------------------------------------------------------------

/** "0x1f", "31" -> 31; undefined when absent or not a number. */
function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^-?[0-9]+$/.test(s)) return parseInt(s, 10);
  return undefined;
}

/** "aa:bb:cc" (or "aabbcc", or "") -> "aabbcc"; undefined when not a byte string. */
function hex(v: JsonValue | undefined): string | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.replace(/:/g, "").toLowerCase();
  return /^([0-9a-f]{2})*$/.test(s) ? s : undefined;
}

function utf8Hex(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) out += b.toString(16).padStart(2, "0");
  return out;
}

function ipv4Hex(s: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return b.map((x) => x.toString(16).padStart(2, "0")).join("");
}

function ipv6Hex(s: string): string | undefined {
  if (!s.includes(":")) return undefined;
  let tail: string[] = [];
  let text = s;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const h = ipv4Hex(v4[2]);
    if (!h) return undefined;
    tail = [h.slice(0, 4), h.slice(4)];
    text = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (x: string) => (x === "" ? [] : x.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - tail.length - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.map((g) => g.toLowerCase().padStart(4, "0")).join("") + tail.join("");
}

/** Address text as tshark shows it -> the usual text form (IPv6 re-compressed per RFC 5952). */
function addrText(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (ipv4Hex(s)) return s;
  const h = ipv6Hex(s);
  if (!h) return undefined;
  const g: number[] = [];
  for (let k = 0; k < 32; k += 4) g.push(parseInt(h.slice(k, k + 4), 16));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  }
  let at = -1;
  let len = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && g[j] === 0) j++;
    if (j - k > len) {
      at = k;
      len = j - k;
    }
    k = j;
  }
  const part = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(":");
  return at < 0 ? part(0, 8) : `${part(0, at)}::${part(at + len, 8)}`;
}

/** Hex of v if it is exactly `want` bytes long (when want is known). */
function sized(v: string | undefined, want: number | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (want !== undefined && v.length !== want * 2) return undefined;
  return v;
}

// ---- the payload chain ---------------------------------------------------------------------

/** The typepayload/typepayload_tree pairs of an object, in order. */
function chainOf(o: JsonObject): { type: number; tree: JsonObject }[] {
  const out: { type: number; tree: JsonObject }[] = [];
  const e = o.entries;
  for (let k = 0; k < e.length; k++) {
    if (e[k][0] !== "isakmp.typepayload") continue;
    const type = num(e[k][1]);
    const next = e[k + 1];
    const tree = next && next[0] === "isakmp.typepayload_tree" && next[1] instanceof JsonObject ? next[1] : new JsonObject([]);
    if (type !== undefined) out.push({ type, tree });
  }
  return out;
}

function attrsOf(t: JsonObject): NormAttr[] {
  const out: NormAttr[] = [];
  for (const [k, v] of t.entries) {
    // isakmp.ike2.attr (IKEv2), isakmp.ike.attr (IKEv1 phase 1), isakmp.ipsec.attr (phase 2)
    if (!/^isakmp\.[a-z0-9]+\.attr$/.test(k) || !(v instanceof JsonObject)) continue;
    const type = num(v.get(`${k}.type`));
    const format = num(v.get(`${k}.format`));
    const value = hex(v.get(`${k}.value`));
    if (type === undefined || value === undefined) continue;
    // format 1 = TV (AF bit set): a 16-bit value; format 0 = TLV: the value bytes
    out.push({ type, value: format === 1 ? parseInt(value || "0", 16) : value });
  }
  return out;
}

function transformOf(t: JsonObject, version: number): NormTransform {
  let type: number | undefined;
  let id: number | undefined;
  if (version === 2) {
    type = num(t.get("isakmp.tf.type"));
    for (const [k, v] of t.entries) if (k.startsWith("isakmp.tf.id")) id ??= num(v);
  } else {
    type = num(t.get("isakmp.trans.number"));
    id = num(t.get("isakmp.trans.id"));
  }
  return { type: type ?? -1, id: id ?? -1, attrs: attrsOf(t) };
}

function proposalsOf(sa: JsonObject, version: number): NormProposal[] {
  return chainOf(sa)
    .filter((p) => p.type === 2)
    .map(({ tree }) => ({
      num: num(tree.get("isakmp.prop.number")) ?? -1,
      proto: num(tree.get("isakmp.prop.protoid")) ?? -1,
      spi: hex(tree.get("isakmp.spi")) ?? "",
      transforms: chainOf(tree)
        .filter((t) => t.type === 3)
        .map((t) => transformOf(t.tree, version)),
    }));
}

/** The ID data bytes, rebuilt from tshark's decoded values; undefined if that is not possible. */
function idDataOf(t: JsonObject, want: number): string | undefined {
  const d = t.get("isakmp.id.data");
  if (typeof d === "string") return sized(hex(d), want);
  if (!(d instanceof JsonObject)) return undefined;
  let out = "";
  for (const [k, v] of d.entries) {
    if (typeof v !== "string") return undefined; // e.g. a DN shown as an ASN.1 tree
    let h: string | undefined;
    if (/fqdn$/.test(k)) h = utf8Hex(v); // FQDN, USER_FQDN: the text itself
    else h = ipv4Hex(v) ?? ipv6Hex(v) ?? hex(v); // addresses, subnets, ranges; KEY_ID bytes
    if (h === undefined) return undefined;
    out += h;
  }
  return sized(out, want);
}

function tsOf(t: JsonObject): NormTs[] | undefined {
  const out: NormTs[] = [];
  for (const d of t.all("isakmp.ts.data")) {
    if (!(d instanceof JsonObject)) return undefined;
    const start = addrText(d.str("isakmp.ts.start_ipv4") ?? d.str("isakmp.ts.start_ipv6"));
    const end = addrText(d.str("isakmp.ts.end_ipv4") ?? d.str("isakmp.ts.end_ipv6"));
    const type = num(d.get("isakmp.ts.type"));
    if (start === undefined || end === undefined || type === undefined) return undefined; // e.g. TS_FC_ADDR_RANGE
    out.push({
      type,
      proto: num(d.get("isakmp.ts.protoid")) ?? -1,
      sport: num(d.get("isakmp.ts.start_port")) ?? -1,
      eport: num(d.get("isakmp.ts.end_port")) ?? -1,
      start,
      end,
    });
  }
  return out;
}

// IKEv2 payload numbers (RFC 7296 3.2, RFC 7383)
const V2_SA = 33, V2_KE = 34, V2_IDI = 35, V2_IDR = 36, V2_CERT = 37, V2_CERTREQ = 38, V2_AUTH = 39;
const V2_NONCE = 40, V2_N = 41, V2_D = 42, V2_V = 43, V2_TSI = 44, V2_TSR = 45, V2_SK = 46, V2_SKF = 53;
// IKEv1 payload numbers (RFC 2408 3.1, RFC 3947, Cisco fragmentation)
const V1_SA = 1, V1_KE = 4, V1_ID = 5, V1_CERT = 6, V1_CR = 7, V1_HASH = 8, V1_SIG = 9, V1_NONCE = 10;
const V1_N = 11, V1_D = 12, V1_VID = 13, V1_NATD = 20, V1_NATD_DRAFT = 130, V1_FRAG = 132;

function payloadOf(type: number, t: JsonObject, version: number): NormPayload {
  const length = num(t.get("isakmp.payloadlength")) ?? -1;
  const p: NormPayload = { type, length };
  const body = length >= 4 ? length - 4 : undefined; // after the generic payload header
  const set = <K extends keyof NormPayload>(k: K, v: NormPayload[K] | undefined) => {
    if (v !== undefined) p[k] = v;
  };
  const after = (fixed: number) => (body !== undefined && body >= fixed ? body - fixed : undefined);
  const data = (key: string, fixed: number) => set("data", sized(hex(t.get(key)), after(fixed)));
  if (version === 2) {
    switch (type) {
      case V2_SA:
        p.proposals = proposalsOf(t, 2);
        break;
      case V2_KE: {
        // DH Group Num(2) RESERVED(2) data; only the group is compared for IKEv2
        const group = num(t.get("isakmp.key_exchange.dh_group"));
        if (group !== undefined) p.ke = { group };
        break;
      }
      case V2_IDI:
      case V2_IDR: {
        const idType = num(t.get("isakmp.id.type"));
        const d = idDataOf(t, after(4) ?? -1);
        if (idType !== undefined && d !== undefined) p.id = { type: idType, data: d };
        break;
      }
      case V2_CERT:
        data("isakmp.cert.data", 1); // an X.509 tree in tshark: stays undefined
        break;
      case V2_CERTREQ: {
        // Cert Encoding(1) then the CA key hashes; tshark shows each 20-byte hash separately
        const parts = t.all("isakmp.ike.certreq.authority").map(hex);
        if (parts.every((x) => x !== undefined)) set("data", sized(parts.join(""), after(1)));
        break;
      }
      case V2_AUTH:
        data("isakmp.auth.data", 4); // Auth Method(1) RESERVED(3)
        break;
      case V2_NONCE:
        data("isakmp.nonce", 0);
        break;
      case V2_N:
        notifyOf(p, t, after(4));
        break;
      case V2_D:
        deleteOf(p, t);
        break;
      case V2_V:
        data("isakmp.vid_bytes", 0);
        break;
      case V2_TSI:
      case V2_TSR:
        set("ts", tsOf(t));
        break;
      case V2_SKF: {
        const fnum = num(t.get("isakmp.frag.number"));
        const total = num(t.get("isakmp.frag.total"));
        if (fnum !== undefined && total !== undefined) p.frag = { num: fnum, total };
        break;
      }
      // SK: nothing beyond the length; its inner chain is in tsharkInnerPayloads.
      // CP, EAP, ...: no NormPayload field.
    }
  } else {
    switch (type) {
      case V1_SA: // DOI(4) Situation(4) then proposals; DOI/situation are not compared
        p.proposals = proposalsOf(t, 1);
        break;
      case V1_KE:
        data("isakmp.key_exchange.data", 0);
        break;
      case V1_ID: {
        // ID Type(1) Protocol ID(1) Port(2) data
        const idType = num(t.get("isakmp.id.type"));
        const d = idDataOf(t, after(4) ?? -1);
        if (idType !== undefined && d !== undefined) {
          p.id = { type: idType, data: d };
          const proto = num(t.get("isakmp.id.protoid"));
          const port = num(t.get("isakmp.id.port"));
          if (proto !== undefined) p.id.proto = proto;
          if (port !== undefined) p.id.port = port;
        }
        break;
      }
      case V1_CERT:
        data("isakmp.cert.data", 1); // an X.509 tree in tshark: stays undefined
        break;
      case V1_CR: // Cert Type(1) then a DN, shown as an ASN.1 tree: stays undefined unless raw
        data("isakmp.ike.certreq.authority", 1);
        break;
      case V1_HASH:
        data("isakmp.hash", 0);
        break;
      case V1_SIG:
        data("isakmp.sig", 0);
        break;
      case V1_NONCE:
        data("isakmp.nonce", 0);
        break;
      case V1_N:
        notifyOf(p, t, after(8)); // DOI(4) Protocol-ID(1) SPI Size(1) Notify Message Type(2)
        break;
      case V1_D:
        deleteOf(p, t);
        break;
      case V1_VID:
        data("isakmp.vid_bytes", 0);
        break;
      case V1_NATD:
      case V1_NATD_DRAFT:
        data("isakmp.ike.nat_hash", 0);
        break;
      case V1_FRAG: {
        // Fragment ID(2) Fragment Number(1) Flags(1). There is no total: num is the fragment
        // number and total 0, as test/wire/ours.ts does (the fragment ID is not compared).
        const seq = num(t.get("isakmp.frag.seq"));
        if (seq !== undefined) p.frag = { num: seq, total: 0 };
        break;
      }
    }
  }
  return p;
}

// IKEv2: Protocol ID(1) SPI Size(1) Notify Message Type(2) SPI data; IKEv1 has DOI(4) first.
// `rest` is the body length after that fixed part.
function notifyOf(p: NormPayload, t: JsonObject, rest: number | undefined): void {
  const proto = num(t.get("isakmp.notify.protoid"));
  const type = num(t.get("isakmp.notify.msgtype"));
  const spiSize = num(t.get("isakmp.spisize")) ?? 0;
  const spi = spiSize === 0 ? "" : sized(hex(t.get("isakmp.spi")), spiSize);
  const dlen = rest !== undefined && rest >= spiSize ? rest - spiSize : undefined;
  const raw = t.get("isakmp.notify.data");
  const data = raw === undefined && dlen === 0 ? "" : sized(hex(raw), dlen);
  if (proto === undefined || type === undefined || spi === undefined || data === undefined) return;
  p.notify = { proto, type, spi, data };
}

function deleteOf(p: NormPayload, t: JsonObject): void {
  const proto = num(t.get("isakmp.delete.protoid"));
  const spiSize = num(t.get("isakmp.spisize"));
  const count = num(t.get("isakmp.spinum"));
  const spis = t.all("isakmp.delete.spi").map(hex);
  if (proto === undefined || spiSize === undefined) return;
  if (spis.some((s) => s === undefined || s.length !== spiSize * 2)) return;
  if (count !== undefined && count !== spis.length) return; // tshark did not list them all
  p.del = { proto, spiSize, spis: spis as string[] };
}

function chainPayloads(o: JsonObject, version: number): NormPayload[] {
  return chainOf(o).map(({ type, tree }) => payloadOf(type, tree, version));
}

// ---- messages ------------------------------------------------------------------------------

export interface TsharkDecode {
  /** One entry per isakmp layer, in frame order. */
  msgs: NormMsg[];
  /** Decrypted (SK, IKEv1 E) or reassembled (SKF, IKEv1 FRAG) inner chains, by frame. */
  inner: Map<number, NormPayload[]>;
}

function headerOf(o: JsonObject, frame: number): NormMsg {
  const vt = o.obj("isakmp.version_tree");
  const ver = num(vt?.get("isakmp.mjver")) ?? (num(o.get("isakmp.version")) ?? 0) >> 4;
  return {
    frame,
    version: ver,
    exchange: num(o.get("isakmp.exchangetype")) ?? -1,
    msgid: num(o.get("isakmp.messageid")) ?? -1,
    flags: num(o.get("isakmp.flags")) ?? -1,
    ispi: hex(o.get("isakmp.ispi")) ?? "",
    rspi: hex(o.get("isakmp.rspi")) ?? "",
    length: num(o.get("isakmp.length")) ?? -1,
    payloads: [],
  };
}

// The decrypted or reassembled chain that tshark shows for this message, if any.
function innerOf(o: JsonObject, msg: NormMsg): NormPayload[] | undefined {
  if (msg.version === 2) {
    for (const { type, tree } of chainOf(o)) {
      if (type === V2_SK) {
        const dec = tree.obj("isakmp.enc.decrypted");
        if (!dec) return undefined; // no keys
        const contained = dec.obj("isakmp.enc.contained");
        return contained ? chainPayloads(contained, 2) : []; // an empty SK (e.g. DPD)
      }
      if (type === V2_SKF) {
        // Only the fragment that completes the message carries the reassembled chain.
        if (!tree.get("isakmp.fragments")) return undefined;
        return chainPayloads(tree, 2);
      }
    }
    return undefined;
  }
  if (msg.flags & 1) {
    const enc = o.get("isakmp.enc.data");
    return enc instanceof JsonObject ? chainPayloads(enc, 1) : undefined;
  }
  for (const { type, tree } of chainOf(o)) {
    if (type !== V1_FRAG) continue;
    const whole = tree.obj("isakmp");
    if (!whole) return undefined;
    const wmsg = headerOf(whole, msg.frame);
    if (wmsg.flags & 1) {
      const enc = whole.get("isakmp.enc.data");
      return enc instanceof JsonObject ? chainPayloads(enc, 1) : undefined;
    }
    return chainPayloads(whole, 1);
  }
  return undefined;
}

/** Both views at once (one parse). */
export function tsharkDecode(jsonText: string): TsharkDecode {
  const root = parseJsonDup(jsonText);
  const msgs: NormMsg[] = [];
  const inner = new Map<number, NormPayload[]>();
  if (!Array.isArray(root)) throw new Error("tshark JSON: expected an array of packets");
  for (const pkt of root) {
    if (!(pkt instanceof JsonObject)) continue;
    const layers = pkt.obj("_source")?.obj("layers");
    if (!layers) continue;
    const frame = num(layers.obj("frame")?.get("frame.number"));
    if (frame === undefined) continue;
    // In the corpus each frame holds at most one isakmp layer; several would all be listed.
    for (const layer of layers.all("isakmp")) {
      if (!(layer instanceof JsonObject)) continue;
      const msg = headerOf(layer, frame);
      // IKEv1 with the E flag: the body is ciphertext, not payloads.
      msg.payloads = msg.version === 1 && msg.flags & 1 ? [] : chainPayloads(layer, msg.version);
      msgs.push(msg);
      const inn = innerOf(layer, msg);
      if (inn && !inner.has(frame)) inner.set(frame, inn);
    }
  }
  return { msgs, inner };
}

/** One NormMsg per isakmp layer: the header and the outer payload chain (up to SK / SKF). */
export function tsharkMessages(jsonText: string): NormMsg[] {
  return tsharkDecode(jsonText).msgs;
}

/**
 * The inner chain per frame: the decrypted payloads of SK, the reassembled payloads at the
 * last SKF fragment, the decrypted payloads of an IKEv1 message with the E flag, and those of a
 * reassembled IKEv1 FRAG message. Frames whose contents tshark could not show are absent; an
 * empty SK maps to [].
 */
export function tsharkInnerPayloads(jsonText: string): Map<number, NormPayload[]> {
  return tsharkDecode(jsonText).inner;
}
