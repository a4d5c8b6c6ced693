// ikedump's engine: a capture in, a tshark-style (`tshark -V`) tree or one JSON document out.
//
// Runtime-neutral (no node: imports): the Node CLI (hosts/node/ikedump.ts) and the Deno daemon
// both call dumpCapture(). Every datagram to or from UDP 500 or 4500 is classified (on 4500:
// IKE after the non-ESP marker, ESP, NAT keepalive), decoded by core.wasm through Wire, and
// printed field by field from the node kinds' descriptors (core/wire/describe.ts). Names come
// from Wire (core/names); a value without a name is shown as its number.
//
// Keys: `keys` is the text of a Wireshark-style key table (ikev2_decryption_table lines
// SPIi,SPIr,SK_ei,SK_er,"enc",SK_ai,SK_ar,"integ"; ikev1_decryption_table lines
// icookie,key). It is parsed and matched against each message's SPIs: IKEv2 SK/SKF payloads
// are decrypted by decryptSk() below, IKEv1 E-flag messages by hosts/ikev1-decrypt.ts, which
// follows each ISAKMP SA's IV chain through the capture (so IKEv1 needs every message in order).
// IKEv1 messages sent as Cisco-style fragments (payload 132) are reassembled and shown whole.
import * as abi from "../core/abi.ts";
import type { Wire, WireNode, WireError } from "./wire.ts";
import { readCapture, formatAddress, type CapturedUdp } from "./pcap.ts";
import type { CryptoProvider } from "./crypto/provider.ts";
import { portableProvider } from "./crypto/portable.ts";
import { skAlgorithms, skDecrypt } from "./crypto/sk.ts";
import { V1Decryptor } from "./ikev1-decrypt.ts";

// ---- public interface -------------------------------------------------------------------------

export interface DumpOptions {
  /** one JSON document instead of text */
  json?: boolean;
  /** the text of a key table (see parseKeyTable) */
  keys?: string;
  /** the capture's name, for the JSON document */
  file?: string;
}

export interface DumpStats {
  /** UDP datagrams to or from port 500 or 4500 */
  datagrams: number;
  /** datagrams read as IKE, malformed ones included */
  ike: number;
  /** IKE datagrams that failed to decode */
  malformed: number;
  esp: number;
  keepalive: number;
}

export interface DumpResult {
  /** the text tree, or the JSON document (ends with a newline; "" when fatal) */
  text: string;
  /** malformed packets (the same as stats.malformed) */
  errors: number;
  /** set when the capture could not be read at all; the caller exits with 1 */
  fatal?: string;
  stats: DumpStats;
  /** problems that do not stop the dump: damaged frames in the capture, bad key table lines */
  warnings: string[];
  /** "ikedump: 259 IKE messages, 0 malformed, 12 ESP" */
  summary: string;
}

// ---- key tables -------------------------------------------------------------------------------

/** One ikev2_decryption_table line: the keys of one IKE SA. */
export interface IkeV2Key {
  line: number;
  spiI: string; // 16 lowercase hex digits
  spiR: string;
  skEi: Uint8Array;
  skEr: Uint8Array;
  encAlg: string; // as Wireshark names it, e.g. "AES-CBC-256 [RFC3602]"
  skAi: Uint8Array; // empty for AEAD
  skAr: Uint8Array;
  integAlg: string; // e.g. "HMAC_SHA2_256_128 [RFC4868]", "NONE [RFC4306]"
}

/** One ikev1_decryption_table line: the encryption key of one ISAKMP SA. */
export interface IkeV1Key {
  line: number;
  icookie: string; // 16 lowercase hex digits
  encKey: Uint8Array;
}

export interface KeyTable {
  /** keyed by keyId(spiI, spiR) */
  v2: Map<string, IkeV2Key>;
  /** keyed by the initiator cookie (hex) */
  v1: Map<string, IkeV1Key>;
  errors: { line: number; message: string }[];
}

export function keyId(spiI: string, spiR: string): string {
  return `${spiI.toLowerCase()}/${spiR.toLowerCase()}`;
}

/**
 * Parses a Wireshark-style key table. Blank lines and lines starting with '#' are skipped.
 * IKEv2 lines have 8 fields: SPIi,SPIr,SK_ei,SK_er,"encryption algorithm",SK_ai,SK_ar,
 * "integrity algorithm" (hex without separators, an optional 0x; SK_ai/SK_ar may be empty when
 * the integrity algorithm is NONE, as with AEAD ciphers). IKEv1 lines have 2 fields: initiator
 * cookie, encryption key. A bad line is reported with its number and skipped.
 */
export function parseKeyTable(text: string): KeyTable {
  const t: KeyTable = { v2: new Map(), v1: new Map(), errors: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const bad = (message: string) => t.errors.push({ line: lineNo, message });
    const fields = splitCsv(raw);
    if (typeof fields === "string") {
      bad(fields);
      continue;
    }
    if (fields.length === 8) {
      const [spiI, spiR, ei, er, enc, ai, ar, integ] = fields;
      const why: string[] = [];
      const spi = (name: string, f: CsvField) => {
        const h = hexField(f);
        if (h === null || h.length !== 8) why.push(`${name} must be 8 bytes of hex (16 digits), found "${f.text}"`);
        return h ? toHex(h) : "";
      };
      const key = (name: string, f: CsvField, mayBeEmpty: boolean) => {
        const h = hexField(f);
        if (h === null) why.push(`${name} is not hex: "${f.text}"`);
        else if (h.length === 0 && !mayBeEmpty) why.push(`${name} is empty`);
        return h ?? new Uint8Array(0);
      };
      const i8 = spi("SPIi", spiI);
      const r8 = spi("SPIr", spiR);
      const skEi = key("SK_ei", ei, false);
      const skEr = key("SK_er", er, false);
      if (enc.text === "") why.push("the encryption algorithm is empty");
      const noInteg = /^none\b/i.test(integ.text);
      if (integ.text === "") why.push("the integrity algorithm is empty");
      const skAi = key("SK_ai", ai, noInteg);
      const skAr = key("SK_ar", ar, noInteg);
      if (why.length) {
        bad(why.join("; "));
        continue;
      }
      const id = keyId(i8, r8);
      const prev = t.v2.get(id);
      if (prev) {
        bad(`SPIs ${i8},${r8} already have keys (line ${prev.line}); this line is ignored`);
        continue;
      }
      t.v2.set(id, { line: lineNo, spiI: i8, spiR: r8, skEi, skEr, encAlg: enc.text, skAi, skAr, integAlg: integ.text });
    } else if (fields.length === 2) {
      const c = hexField(fields[0]);
      const k = hexField(fields[1]);
      if (c === null || c.length !== 8) {
        bad(`initiator cookie must be 8 bytes of hex (16 digits), found "${fields[0].text}"`);
        continue;
      }
      if (k === null || k.length === 0) {
        bad(`encryption key is ${k === null ? "not hex" : "empty"}: "${fields[1].text}"`);
        continue;
      }
      const id = toHex(c);
      const prev = t.v1.get(id);
      if (prev) {
        bad(`initiator cookie ${id} already has a key (line ${prev.line}); this line is ignored`);
        continue;
      }
      t.v1.set(id, { line: lineNo, icookie: id, encKey: k });
    } else {
      bad(
        `expected 8 fields (IKEv2: SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity") ` +
          `or 2 (IKEv1: initiator cookie,encryption key), found ${fields.length}`,
      );
    }
  }
  return t;
}

interface CsvField {
  text: string;
  quoted: boolean;
}

// Splits one line of a Wireshark UAT file: comma-separated, strings in double quotes (a quote
// inside doubled or backslash-escaped), everything else bare.
function splitCsv(line: string): CsvField[] | string {
  const out: CsvField[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    let text = "";
    let quoted = false;
    if (line[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= line.length) return `unterminated quoted string in field ${out.length + 1}`;
        const ch = line[i];
        if (ch === "\\" && i + 1 < line.length) {
          text += line[i + 1];
          i += 2;
        } else if (ch === '"') {
          if (line[i + 1] === '"') {
            text += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          text += ch;
          i++;
        }
      }
      while (line[i] === " " || line[i] === "\t") i++;
      if (i < line.length && line[i] !== ",") return `unexpected text after the quoted string in field ${out.length + 1}`;
    } else {
      const j = line.indexOf(",", i);
      text = (j < 0 ? line.slice(i) : line.slice(i, j)).trim();
      i = j < 0 ? line.length : j;
    }
    out.push({ text, quoted });
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function hexField(f: CsvField): Uint8Array | null {
  let s = f.text.replace(/[:\s]/g, "");
  if (/^0x/i.test(s)) s = s.slice(2);
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}

// ---- decryption hooks (the crypto work fills these in) ---------------------------------------

/**
 * Decrypts and verifies an IKEv2 SK (46) or SKF (53) payload.
 *   key           the IKE SA's key table entry
 *   message       the whole IKE message (after the non-ESP marker on port 4500): the header and
 *                 the SK/SKF generic header are the AEAD associated data / integrity input
 *   sk            the SK or SKF node (sk.off, sk.len locate it in `message`; sk.a is
 *                 IV | ciphertext | ICV)
 *   fromInitiator the I flag of the header: SK_ei/SK_ai if set, SK_er/SK_ar if not
 * Returns the plaintext payload chain (padding and pad length removed), whose first payload
 * type is sk.f[1], or null when it cannot (unknown algorithm, bad ICV or tag).
 */
export function decryptSk(key: IkeV2Key, message: Uint8Array, sk: WireNode, fromInitiator: boolean, provider: CryptoProvider = portableProvider): Uint8Array | null {
  const alg = skAlgorithms(key.encAlg, key.integAlg);
  if (!alg) return null;
  const SK_e = fromInitiator ? key.skEi : key.skEr;
  const SK_a = fromInitiator ? key.skAi : key.skAr;
  return skDecrypt(provider, alg, SK_e, SK_a, message, sk.off, sk.len, sk.kind === abi.K_V2_SKF);
}

// ---- the dump ---------------------------------------------------------------------------------

const IKE_PORT = 500;
const NATT_PORT = 4500;

export function dumpCapture(wire: Wire, capture: Uint8Array, opts: DumpOptions = {}): DumpResult {
  const stats: DumpStats = { datagrams: 0, ike: 0, malformed: 0, esp: 0, keepalive: 0 };
  const warnings: string[] = [];
  const keys = opts.keys !== undefined ? parseKeyTable(opts.keys) : undefined;
  for (const e of keys?.errors ?? []) warnings.push(`keys line ${e.line}: ${e.message}`);

  const cap = readCapture(capture);
  if (cap.packets.length === 0 && cap.errors.some((e) => e.startsWith("file:"))) {
    const fatal = cap.errors.find((e) => e.startsWith("file:"))!.replace(/^file: /, "");
    return { text: "", errors: 0, fatal, stats, warnings, summary: `ikedump: ${fatal}` };
  }
  for (const e of cap.errors) warnings.push(`capture: ${e}`);

  const d = new Dumper(wire, keys);
  const out: string[] = [];
  const jsonMessages: unknown[] = [];
  for (const p of cap.packets) {
    if (!isIkePort(p)) continue;
    stats.datagrams++;
    const r = d.datagram(p);
    if (r.what === "esp") stats.esp++;
    else if (r.what === "keepalive") stats.keepalive++;
    else {
      stats.ike++;
      if (r.what === "malformed") stats.malformed++;
    }
    if (opts.json) jsonMessages.push(r.json);
    else out.push(...r.lines);
  }

  let summary = `ikedump: ${stats.ike} IKE messages, ${stats.malformed} malformed, ${stats.esp} ESP`;
  if (stats.keepalive) summary += `, ${stats.keepalive} NAT-keepalive`;
  let text: string;
  if (opts.json) {
    const doc: Record<string, unknown> = {
      file: opts.file ?? null,
      messages: jsonMessages,
      summary: { ike: stats.ike, malformed: stats.malformed, esp: stats.esp, keepalive: stats.keepalive },
      capture_errors: cap.errors,
    };
    if (keys) doc.key_errors = keys.errors;
    text = JSON.stringify(doc, null, 1) + "\n";
  } else {
    text = out.length ? out.join("\n") + "\n" : "";
  }
  return { text, errors: stats.malformed, stats, warnings, summary };
}

function isIkePort(p: CapturedUdp): boolean {
  return p.sport === IKE_PORT || p.dport === IKE_PORT || p.sport === NATT_PORT || p.dport === NATT_PORT;
}

// A datagram on 4500 carries the non-ESP marker; one between 4500 and 500 (a NAT-mapped peer
// talking to port 500) does not.
function isPort4500(p: CapturedUdp): boolean {
  return p.dport === NATT_PORT || (p.sport === NATT_PORT && p.dport !== IKE_PORT);
}

function endpoint(addr: string, port: number): string {
  return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}

function hex32(v: number): string {
  return "0x" + (v >>> 0).toString(16).padStart(8, "0");
}

function bigEndian(b: Uint8Array): number {
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

// Text for identity data: printable ASCII as is, anything else as hex.
function printable(b: Uint8Array): string | null {
  let s = "";
  for (const x of b) {
    if (x < 0x20 || x > 0x7e) return null;
    s += String.fromCharCode(x);
  }
  return s;
}

type Json = Record<string, unknown>;

interface Ctx {
  version: 1 | 2;
  /** IKEv1: 1 inside a PROTO_ISAKMP proposal, 2 otherwise */
  phase: number;
  /** IKEv1: the proposal's protocol */
  protocol: number;
  /** the whole IKE message, for decryption */
  message: Uint8Array;
  hdr: WireNode;
}

interface Rendered {
  what: "ike" | "malformed" | "esp" | "keepalive";
  lines: string[];
  json: Json;
}

// Kinds whose payload types share one node kind: the title adds the payload's short name.
const SHARED_KINDS = new Set([abi.K_V2_ID, abi.K_V2_CERT, abi.K_V2_TSP, abi.K_V1_CERT, abi.K_V1_NATOA]);
// Kinds with no title of their own: the payload's short name is the title.
const GENERIC_KINDS = new Set([abi.K_V2_UNKNOWN, abi.K_V1_DATA, abi.K_V2_CHAIN, abi.K_V1_CHAIN, abi.K_V1_ENC]);

// Labels of descriptor fields (core/wire/describe.ts) as tshark words them; kind-specific first.
const FIELD_LABEL: Record<string, string> = {
  number: "Number",
  protocol: "Protocol ID",
  spi: "SPI",
  spi_size: "SPI Size",
  spis: "SPIs",
  type: "Type",
  id: "ID",
  group: "DH Group",
  encoding: "Certificate Encoding",
  method: "Auth Method",
  ip_protocol: "IP Protocol ID",
  start_port: "Start Port",
  end_port: "End Port",
  start: "Starting Address",
  end: "Ending Address",
  cfg_type: "CFG Type",
  code: "Code",
  identifier: "Identifier",
  fragment_number: "Fragment Number",
  total_fragments: "Total Fragments",
  fragment_id: "Fragment ID",
  doi: "Domain of interpretation",
  situation: "Situation",
  flags: "Flags",
  port: "Port",
  padding: "Padding",
  data: "Data",
  value: "Value",
  address: "Original Address",
};
const KIND_FIELD_LABEL: Record<string, string> = {
  [`${abi.K_V2_PROP}:number`]: "Proposal number",
  [`${abi.K_V1_PROP}:number`]: "Proposal number",
  [`${abi.K_V2_XFORM}:type`]: "Transform Type",
  [`${abi.K_V1_XFORM}:number`]: "Transform number",
  [`${abi.K_V1_XFORM}:id`]: "Transform ID",
  [`${abi.K_V2_KE}:data`]: "Key Exchange Data",
  [`${abi.K_V2_ID}:type`]: "ID type",
  [`${abi.K_V1_ID}:type`]: "ID type",
  [`${abi.K_V1_NATOA}:type`]: "ID type",
  [`${abi.K_V2_ID}:data`]: "Identification Data",
  [`${abi.K_V1_ID}:data`]: "Identification Data",
  [`${abi.K_V2_CERT}:data`]: "Certificate Data",
  [`${abi.K_V1_CERT}:data`]: "Certificate Data",
  [`${abi.K_V2_AUTH}:data`]: "Authentication Data",
  [`${abi.K_V2_NONCE}:data`]: "Nonce DATA",
  [`${abi.K_V2_NOTIFY}:type`]: "Notify Message Type",
  [`${abi.K_V1_NOTIFY}:type`]: "Notify Message Type",
  [`${abi.K_V2_NOTIFY}:data`]: "Notification DATA",
  [`${abi.K_V1_NOTIFY}:data`]: "Notification DATA",
  [`${abi.K_V2_VID}:data`]: "Vendor ID",
  [`${abi.K_V2_TS}:type`]: "Traffic Selector Type",
  [`${abi.K_V2_CPATTR}:type`]: "Attribute Type",
  [`${abi.K_V2_CPATTR}:value`]: "Attribute Value",
  [`${abi.K_V2_EAP}:data`]: "Type-Data",
  [`${abi.K_V1_FRAG}:data`]: "Fragment Data",
};
// Data of IKEv1 "data" payloads (K_V1_DATA), by payload type.
const V1_DATA_LABEL: Record<number, string> = {
  [abi.PT1_KE]: "Key Exchange Data",
  [abi.PT1_HASH]: "Hash DATA",
  [abi.PT1_SIG]: "Signature DATA",
  [abi.PT1_NONCE]: "Nonce DATA",
  [abi.PT1_VID]: "Vendor ID",
  [abi.PT1_NATD]: "HASH of the address and port",
  [abi.PT1_NATD_DRAFT]: "HASH of the address and port",
};
// Keys under which a node's children appear in JSON.
const CHILD_KEY: Record<number, string> = {
  [abi.K_V2_HDR]: "payloads",
  [abi.K_V1_HDR]: "payloads",
  [abi.K_V2_CHAIN]: "payloads",
  [abi.K_V1_CHAIN]: "payloads",
  [abi.K_V2_SA]: "proposals",
  [abi.K_V1_SA]: "proposals",
  [abi.K_V2_PROP]: "transforms",
  [abi.K_V1_PROP]: "transforms",
  [abi.K_V2_XFORM]: "attributes",
  [abi.K_V1_XFORM]: "attributes",
  [abi.K_V2_TSP]: "selectors",
  [abi.K_V2_CP]: "attributes",
};

const PROTO_ISAKMP = 1;
// IKEv2 ID types (RFC 7296 3.5) and IKEv1 ones (RFC 2407 4.6.2.1)
const ID2_IPV4 = 1, ID2_FQDN = 2, ID2_RFC822 = 3, ID2_IPV6 = 5, ID2_KEY_ID = 11;
const ID1_IPV4 = 1, ID1_FQDN = 2, ID1_USER_FQDN = 3, ID1_IPV4_SUBNET = 4, ID1_IPV6 = 5, ID1_IPV6_SUBNET = 6;
const ID1_IPV4_RANGE = 7, ID1_IPV6_RANGE = 8, ID1_KEY_ID = 11;
// IKEv2 CP attribute types holding addresses (RFC 7296 3.15.1)
const CP_V4_ADDRS = new Set([1, 2, 3, 4, 6]); // INTERNAL_IP4_ADDRESS/NETMASK/DNS/NBNS/DHCP
const CP_V6_ADDRS = new Set([10, 12]); // INTERNAL_IP6_DNS/DHCP
const CP_V6_PREFIX = new Set([8, 15]); // INTERNAL_IP6_ADDRESS/SUBNET: address + prefix length
const CP_V4_SUBNET = 13; // INTERNAL_IP4_SUBNET: address + netmask
const EAP_REQUEST = 1, EAP_RESPONSE = 2;

class Dumper {
  private lines: string[] = [];
  private depth = 0;
  /** malformed inner chains found while rendering (a decrypted chain that failed to decode) */
  private innerErrors = 0;
  private frags = new Map<string, { total: number; parts: (Uint8Array | undefined)[]; first: number }>();
  /** IKEv1: each ISAKMP SA's transform, KE values and IV chain, as the capture goes */
  private readonly v1: V1Decryptor;
  /** IKEv1 fragments (payload 132) by initiator cookie and fragment ID, until the last one */
  private readonly v1frags = new Map<string, (Uint8Array | undefined)[]>();
  static readonly MAX_V1_FRAGS = 64;

  constructor(private readonly wire: Wire, private readonly keys: KeyTable | undefined) {
    this.v1 = new V1Decryptor(keys?.v1 ?? new Map());
  }

  datagram(p: CapturedUdp): Rendered {
    const port4500 = isPort4500(p);
    const head = `Frame ${p.frame}: ${endpoint(p.src, p.sport)} -> ${endpoint(p.dst, p.dport)}`;
    const json: Json = {
      frame: p.frame,
      time: Number(`${p.tsSec}.${String(p.tsNsec).padStart(9, "0")}`),
      src: p.src,
      sport: p.sport,
      dst: p.dst,
      dport: p.dport,
      port4500,
    };
    if (port4500) {
      const c = this.wire.classify4500(p.payload);
      if (c === abi.DG_ESP) {
        const spi = bigEndian(p.payload.subarray(0, 4));
        const seq = p.payload.length >= 8 ? bigEndian(p.payload.subarray(4, 8)) : null;
        json.esp = { spi, seq, length: p.payload.length };
        const seqText = seq === null ? "(truncated)" : `seq ${seq}`;
        return { what: "esp", lines: [`${head} ESP SPI ${hex32(spi)} ${seqText}`], json };
      }
      if (c === abi.DG_KEEPALIVE) {
        json.keepalive = true;
        return { what: "keepalive", lines: [`${head} NAT-keepalive`], json };
      }
    }
    let decoded;
    try {
      decoded = this.wire.decode(p.payload, { port4500 });
    } catch (e) {
      // core.wasm trapped (Core replaced the instance): report it like a malformed packet.
      const error = { code: -1, notify: 0, offset: 0, message: `internal error: ${(e as Error).message}` };
      json.error = error;
      return { what: "malformed", lines: [`Frame ${p.frame}: malformed: ${error.message}`], json };
    }
    if (!decoded.ok) {
      json.error = this.errorJson(decoded.error);
      return { what: "malformed", lines: [`Frame ${p.frame}: malformed: ${decoded.error.message}`], json };
    }
    const msg = decoded.msg;
    const message = port4500 ? p.payload.subarray(4) : p.payload;
    this.lines = [`${head} (${p.payload.length} bytes${port4500 ? ", after a non-ESP marker" : ""})`];
    this.depth = 0;
    this.innerErrors = 0;
    json.ike = this.header(msg, message);
    if (msg.kind === abi.K_V1_HDR) this.v1Fragment(msg, json);
    const lines = this.lines;
    this.lines = [];
    return { what: this.innerErrors ? "malformed" : "ike", lines, json };
  }

  // An IKEv1 fragment (payload 132): kept until the one with the last-fragment flag, then the
  // whole message they carry (header and all) is decoded and shown, and decrypted in its turn.
  private v1Fragment(msg: WireNode, json: Json): void {
    const frag = msg.children.find((c) => c.kind === abi.K_V1_FRAG);
    if (!frag || !frag.a) return;
    const id = `${toHex(msg.a ?? new Uint8Array(0))}/${frag.f[0]}`;
    let parts = this.v1frags.get(id);
    if (!parts) {
      if (this.v1frags.size >= 1024) {
        const old = this.v1frags.keys().next().value!;
        this.v1frags.delete(old);
        this.line(`(fragments of ${old} let go: more than 1,024 fragmented messages incomplete)`);
      }
      parts = [];
      this.v1frags.set(id, parts);
    }
    const n = frag.f[1];
    if (n < 1 || n > Dumper.MAX_V1_FRAGS) {
      this.line(`Fragment number ${n}: not reassembled (1 to ${Dumper.MAX_V1_FRAGS} expected)`);
      return;
    }
    parts[n - 1] = frag.a.slice();
    if (!(frag.f[2] & 1)) return;
    const missing: number[] = [];
    for (let i = 0; i < n; i++) if (!parts[i]) missing.push(i + 1);
    if (missing.length) {
      this.line(`Last fragment ${n}: fragments ${missing.join(", ")} not seen, the message is not reassembled`);
      json.reassembly_missing = missing;
      return;
    }
    this.v1frags.delete(id);
    const whole = new Uint8Array(parts.reduce((a, x) => a + x!.length, 0));
    let o = 0;
    for (const x of parts) {
      whole.set(x!, o);
      o += x!.length;
    }
    const d = this.wire.decode(whole);
    if (!d.ok) {
      this.innerErrors++;
      this.line(`Reassembled message (${n} fragments, ${whole.length} bytes): malformed: ${d.error.message}`);
      json.reassembled = { fragments: n, length: whole.length, error: this.errorJson(d.error) };
      return;
    }
    this.line(`Reassembled message (${n} fragments, ${whole.length} bytes):`);
    this.depth++;
    json.reassembled = { fragments: n, length: whole.length, ike: this.header(d.msg, whole) };
    this.depth--;
  }

  private errorJson(e: WireError): Json {
    const j: Json = { code: e.code };
    const cn = this.wire.name(abi.REG_ERROR, e.code);
    if (cn) j.code_name = cn;
    j.notify = e.notify;
    const nn = e.notify ? this.wire.name(e.version === 1 ? abi.REG_NOTIFY_V1 : abi.REG_NOTIFY_V2, e.notify) : "";
    if (nn) j.notify_name = nn;
    j.offset = e.offset;
    j.kind = e.kind;
    j.ptype = e.ptype;
    j.message = e.message;
    return j;
  }

  // ---- text helpers ----

  private line(s: string): void {
    this.lines.push("    ".repeat(this.depth) + s);
  }
  private nested(title: string, body: () => void): void {
    this.line(title);
    this.depth++;
    body();
    this.depth--;
  }

  /** "NAME (n)" or "n" */
  private named(name: string, v: number): string {
    return name ? `${name} (${v})` : `${v}`;
  }

  private kindTitle(kind: number): string {
    if (GENERIC_KINDS.has(kind)) return "";
    return this.wire.name(abi.REG_KIND, kind).replace(/^IKEv1 /, "");
  }

  private payloadName(version: 1 | 2, ptype: number): string {
    return this.wire.name(version === 1 ? abi.REG_PAYLOAD_V1 : abi.REG_PAYLOAD_V2, ptype);
  }

  /** The title of a payload type: the node kind's name where one is known, else the short name. */
  private ptypeTitle(version: 1 | 2, ptype: number, kind?: number): string {
    const short = this.payloadName(version, ptype);
    const kt = kind === undefined ? "" : this.kindTitle(kind);
    if (kt && short && SHARED_KINDS.has(kind!)) return `${kt} - ${short}`;
    return kt || short;
  }

  // ---- the header ----

  private header(h: WireNode, message: Uint8Array): Json {
    const v2 = h.kind === abi.K_V2_HDR;
    const version: 1 | 2 = v2 ? 2 : 1;
    const [np, major, minor, exchange, flags, msgid] = h.f;
    const ctx: Ctx = { version, phase: 0, protocol: 0, message, hdr: h };
    const exName = this.wire.name(v2 ? abi.REG_EXCHANGE_V2 : abi.REG_EXCHANGE_V1, exchange);
    const flagNames = this.flagNames(version, flags);
    const first = h.children[0];
    const npKind = first && first.ptype === np ? first.kind : undefined;

    this.nested("Internet Security Association and Key Management Protocol", () => {
      this.line(`${v2 ? "Initiator SPI" : "Initiator Cookie"}: ${toHex(h.a ?? new Uint8Array(0))}`);
      this.line(`${v2 ? "Responder SPI" : "Responder Cookie"}: ${toHex(h.b ?? new Uint8Array(0))}`);
      this.line(`Next payload: ${this.named(this.ptypeTitle(version, np, npKind), np)}`);
      this.line(`Version: ${major}.${minor}`);
      this.line(`Exchange type: ${this.named(exName, exchange)}`);
      this.line(`Flags: 0x${flags.toString(16).padStart(2, "0")}${flagNames.length ? ` (${flagNames.join(", ")})` : ""}`);
      this.line(`Message ID: ${hex32(msgid)}`);
      this.line(`Length: ${h.len}`);
    });
    const j: Json = { kind: this.wire.kindName(h.kind), kind_id: h.kind, offset: h.off, length: h.len };
    this.fieldsJson(h, ctx, j);
    j.flags_names = flagNames;
    if (!v2 && !h.children.some((c) => c.kind === abi.K_V1_ENC)) this.v1.observe(h);
    this.depth++;
    j.payloads = this.chain(h.children, ctx);
    this.depth--;
    return j;
  }

  private flagNames(version: 1 | 2, flags: number): string[] {
    if (version === 2) {
      return [
        flags & 0x08 ? "Initiator" : "Responder",
        flags & 0x10 ? "Higher version" : "No higher version",
        flags & 0x20 ? "Response" : "Request",
      ];
    }
    const n: string[] = [];
    if (flags & 0x01) n.push("Encryption");
    if (flags & 0x02) n.push("Commit");
    if (flags & 0x04) n.push("Authentication");
    return n;
  }

  // ---- payload chains ----

  private chain(nodes: WireNode[], ctx: Ctx): Json[] {
    return nodes.map((n, i) => this.payload(n, nodes[i + 1], ctx));
  }

  private payload(n: WireNode, next: WireNode | undefined, ctx: Ctx): Json {
    const v = ctx.version;
    const d = this.wire.describe(n.kind);
    const j: Json = { kind: this.wire.kindName(n.kind), kind_id: n.kind, ptype: n.ptype };
    const pn = this.payloadName(v, n.ptype);
    if (pn) j.payload = pn;

    if (n.kind === abi.K_V1_ENC) {
      // Not a payload: the encrypted rest of an IKEv1 message.
      j.offset = n.off;
      j.length = n.len;
      this.fieldsJson(n, ctx, j);
      this.encrypted(n, ctx, j);
      return j;
    }

    // The generic header's next payload: SK/SKF carry the inner chain's first type.
    const hasNp = d.fields.some(([f]) => f === "next_payload");
    const np = hasNp ? n.f[d.fields.findIndex(([f]) => f === "next_payload")] : next ? next.ptype : 0;
    const npKind = hasNp ? undefined : next?.kind;
    if (!hasNp) {
      j.next_payload = np;
      const npn = this.payloadName(v, np);
      if (npn) j.next_payload_name = npn;
    }
    j.offset = n.off;
    j.length = n.len;

    this.nested(`Payload: ${this.named(this.ptypeTitle(v, n.ptype, n.kind), n.ptype)}`, () => {
      this.line(`Next payload: ${this.named(this.ptypeTitle(v, np, npKind), np)}`);
      const ci = d.fields.findIndex(([f]) => f === "critical");
      if (ci >= 0) this.line(`Critical Bit: ${n.f[ci] ? "Critical" : "Not critical"}`);
      this.line(`Payload length: ${n.len}`);
      this.body(n, ctx, j);
    });
    return j;
  }

  /** Fields, data and children of a node (after its title and generic header). */
  private body(n: WireNode, ctx: Ctx, j: Json): void {
    const d = this.wire.describe(n.kind);
    this.fieldsJson(n, ctx, j);
    const spiSize = n.a?.length ?? 0;
    d.fields.forEach(([name, reg], i) => {
      if (name === "critical" || name === "next_payload") return;
      this.line(`${this.label(n.kind, name, n)}: ${this.fieldText(n, name, reg, n.f[i], ctx)}`);
      // values the wire holds but the tape implies
      if (name === "protocol" && (n.kind === abi.K_V2_PROP || n.kind === abi.K_V1_PROP || n.kind === abi.K_V2_NOTIFY || n.kind === abi.K_V1_NOTIFY)) {
        this.line(`SPI Size: ${spiSize}`);
        if (n.kind === abi.K_V2_PROP || n.kind === abi.K_V1_PROP) this.line(`Proposal transforms: ${n.children.length}`);
      }
      if (name === "spi_size") this.line(`Number of SPIs: ${n.f[i] ? Math.floor(spiSize / n.f[i]) : 0}`);
      if (name === "type" && n.kind === abi.K_V2_TS) this.line(`Selector Length: ${n.len}`);
      if (name === "type" && n.kind === abi.K_V2_CPATTR) this.line(`Attribute Length: ${n.a?.length ?? 0}`);
    });
    if (n.kind === abi.K_V2_TSP) this.line(`Number of TSs: ${n.children.length}`);
    if (d.a !== null && n.a) this.data(n, d.a, n.a, ctx, j, "a");
    if (d.b !== null && n.b) this.data(n, d.b, n.b, ctx, j, "b");
    this.children(n, ctx, j);
  }

  private label(kind: number, name: string, n: WireNode): string {
    if (kind === abi.K_V2_XFORM && name === "id") {
      const tn = this.wire.name(abi.REG_TRANSFORM_TYPE, n.f[0]);
      return `Transform ID (${tn || n.f[0]})`;
    }
    if (kind === abi.K_V1_DATA && name === "data") return V1_DATA_LABEL[n.ptype] ?? "Data";
    if (kind === abi.K_V1_CERT && name === "data" && n.ptype === abi.PT1_CR) return "Certificate Authority";
    if (kind === abi.K_V2_CERT && name === "data" && n.ptype === abi.PT2_CERTREQ) return "Certification Authority";
    return KIND_FIELD_LABEL[`${kind}:${name}`] ?? FIELD_LABEL[name] ?? name.replace(/_/g, " ");
  }

  /** The name of a field's value (registry, or one of the context-dependent pseudo-registries). */
  private valueName(n: WireNode, reg: number, v: number, ctx: Ctx): string {
    switch (reg) {
      case 0:
        return "";
      case abi.REG_BY_XFORM_TYPE:
        return this.wire.transformIdName(n.f[0], v);
      case abi.REG_BY_PROTOCOL:
        return this.wire.v1TransformIdName(ctx.protocol, v);
      case abi.REG_BY_ATTR_CONTEXT:
        return this.wire.name(this.attrReg(ctx), v);
      case abi.REG_BY_ATTR_TYPE:
        return ctx.version === 1 ? this.wire.v1AttrValueName(ctx.phase, n.f[0], v) : "";
    }
    return this.wire.name(reg, v);
  }

  private attrReg(ctx: Ctx): number {
    if (ctx.version === 2) return abi.REG_XFORM_ATTR_V2;
    return ctx.phase === 1 ? abi.REG_OAKLEY_ATTR : abi.REG_IPSEC_ATTR;
  }

  private fieldText(n: WireNode, name: string, reg: number, v: number, ctx: Ctx): string {
    if (reg === 0) {
      if (name === "situation") return hex32(v);
      if (name === "flags") return `0x${v.toString(16).padStart(2, "0")}${n.kind === abi.K_V1_FRAG && v & 1 ? " (Last fragment)" : ""}`;
      return `${v}`;
    }
    if (name === "situation") {
      const sn = this.wire.name(reg, v);
      return sn ? `${hex32(v)} (${sn})` : hex32(v);
    }
    return this.named(this.valueName(n, reg, v, ctx), v);
  }

  // JSON of a node's descriptor fields and byte ranges: numbers, "<field>_name" where a name
  // exists, bytes as lowercase hex, "<field>_text" where the bytes read as text or an address.
  private fieldsJson(n: WireNode, ctx: Ctx, j: Json): void {
    const d = this.wire.describe(n.kind);
    d.fields.forEach(([name, reg], i) => {
      const v = n.f[i];
      j[name] = v;
      const nm = this.valueName(n, reg, v, ctx);
      if (nm) j[`${name}_name`] = nm;
    });
    for (const [which, label, bytes] of [["a", d.a, n.a], ["b", d.b, n.b]] as const) {
      if (label === null || !bytes) continue;
      j[label] = toHex(bytes);
      const t = this.dataText(n, which, bytes);
      if (t !== null) j[`${label}_text`] = t;
    }
  }

  // ---- data ----

  /** Bytes shown as text (an address, an identity) where the node says how to read them. */
  private dataText(n: WireNode, which: "a" | "b", b: Uint8Array): string | null {
    if (n.kind === abi.K_V2_TS) return b.length === 4 || b.length === 16 ? formatAddress(b) : null;
    if (which !== "a") return null;
    switch (n.kind) {
      case abi.K_V1_NATOA:
        return b.length === 4 || b.length === 16 ? formatAddress(b) : null;
      case abi.K_V2_ID:
        return this.idText(2, n.f[1], b);
      case abi.K_V1_ID:
        return this.idText(1, n.f[0], b);
      case abi.K_V2_CPATTR:
        return this.cpText(n.f[0], b);
    }
    return null;
  }

  private idText(version: 1 | 2, type: number, b: Uint8Array): string | null {
    if (version === 2) {
      if ((type === ID2_IPV4 && b.length === 4) || (type === ID2_IPV6 && b.length === 16)) return formatAddress(b);
      if (type === ID2_FQDN || type === ID2_RFC822 || type === ID2_KEY_ID) return printable(b);
      return null;
    }
    if ((type === ID1_IPV4 && b.length === 4) || (type === ID1_IPV6 && b.length === 16)) return formatAddress(b);
    if (type === ID1_FQDN || type === ID1_USER_FQDN || type === ID1_KEY_ID) return printable(b);
    if (type === ID1_IPV4_SUBNET && b.length === 8) return `${formatAddress(b.subarray(0, 4))}/${formatAddress(b.subarray(4))}`;
    if (type === ID1_IPV6_SUBNET && b.length === 32) return `${formatAddress(b.subarray(0, 16))}/${formatAddress(b.subarray(16))}`;
    if (type === ID1_IPV4_RANGE && b.length === 8) return `${formatAddress(b.subarray(0, 4))}-${formatAddress(b.subarray(4))}`;
    if (type === ID1_IPV6_RANGE && b.length === 32) return `${formatAddress(b.subarray(0, 16))}-${formatAddress(b.subarray(16))}`;
    return null;
  }

  private cpText(type: number, b: Uint8Array): string | null {
    if (CP_V4_ADDRS.has(type) && b.length === 4) return formatAddress(b);
    if (CP_V6_ADDRS.has(type) && b.length === 16) return formatAddress(b);
    if (CP_V6_PREFIX.has(type) && b.length === 17) return `${formatAddress(b.subarray(0, 16))}/${b[16]}`;
    if (type === CP_V4_SUBNET && b.length === 8) return `${formatAddress(b.subarray(0, 4))}/${formatAddress(b.subarray(4))}`;
    return null;
  }

  private data(n: WireNode, label: string, b: Uint8Array, ctx: Ctx, j: Json, which: "a" | "b"): void {
    if (n.kind === abi.K_V2_SK || n.kind === abi.K_V2_SKF) {
      this.encrypted(n, ctx, j);
      return;
    }
    if (b.length === 0) return;
    const shown = this.label(n.kind, label, n);
    if (n.kind === abi.K_V2_DELETE || n.kind === abi.K_V1_DELETE) {
      const size = n.f[2];
      if (size > 0 && b.length % size === 0) {
        for (let i = 0; i < b.length; i += size) this.line(`SPI: ${toHex(b.subarray(i, i + size))}`);
        return;
      }
    }
    if (n.kind === abi.K_V2_EAP && (n.f[1] === EAP_REQUEST || n.f[1] === EAP_RESPONSE)) {
      this.line(`Type: ${this.named(this.wire.name(abi.REG_EAP_TYPE, b[0]), b[0])}`);
      if (b.length > 1) this.line(`${shown}: ${toHex(b.subarray(1))}`);
      return;
    }
    const text = this.dataText(n, which, b);
    this.line(`${shown}: ${text ?? toHex(b)}`);
  }

  /** An SK/SKF payload's or an IKEv1 message's encrypted data; decrypted where keys allow. */
  private encrypted(n: WireNode, ctx: Ctx, j: Json): void {
    const len = n.a?.length ?? 0;
    let note = "";
    let plain: Uint8Array | null = null;
    let first = 0;
    if (ctx.version === 2) {
      const k = this.keys?.v2.get(keyId(toHex(ctx.hdr.a ?? new Uint8Array(0)), toHex(ctx.hdr.b ?? new Uint8Array(0))));
      if (k) {
        j.keys = { line: k.line, encryption: k.encAlg, integrity: k.integAlg };
        plain = decryptSk(k, ctx.message, n, (ctx.hdr.f[4] & 0x08) !== 0);
        first = n.f[1];
        if (!plain) note = ` [keys known: ${k.encAlg} / ${k.integAlg}; integrity check or decryption failed]`;
      }
    } else {
      const k = this.keys?.v1.get(toHex(ctx.hdr.a ?? new Uint8Array(0)));
      if (k) {
        j.keys = { line: k.line };
        const r = this.v1.decrypt(ctx.hdr, n);
        first = ctx.hdr.f[0];
        if (r.ok) {
          plain = r.plain;
          j.keys = { line: k.line, encryption: r.cipher };
          if (r.retransmission) {
            j.retransmission = true;
            note = " [a retransmission: decrypted as its first copy]";
          }
        } else {
          note = ` [key line ${k.line}: not decrypted: ${r.reason}]`;
          j.decrypt_error = r.reason;
        }
      }
    }
    this.line(`Encrypted Data (${len} bytes)${note}`);
    if (j.keys) j.decrypted = plain !== null;
    if (!plain) return;
    if (n.kind === abi.K_V2_SKF) {
      // One fragment of the inner chain (RFC 7383): it decodes once all fragments are here.
      this.line(`Decrypted fragment ${n.f[2]}/${n.f[3]} (${plain.length} bytes)`);
      j.plaintext = toHex(plain);
      const id = `${toHex(ctx.hdr.a ?? new Uint8Array(0))}/${toHex(ctx.hdr.b ?? new Uint8Array(0))}/${ctx.hdr.f[5]}/${ctx.hdr.f[4] & 0x28}`;
      let f = this.frags.get(id);
      if (!f || f.total !== n.f[3]) {
        f = { total: n.f[3], parts: new Array(n.f[3]).fill(undefined), first: 0 };
        this.frags.set(id, f);
      }
      f.parts[n.f[2] - 1] = plain.slice();
      if (n.f[2] === 1) f.first = n.f[1];
      if (f.parts.some((x) => x === undefined)) return;
      this.frags.delete(id);
      const whole = new Uint8Array(f.parts.reduce((a, x) => a + x!.length, 0));
      let o = 0;
      for (const x of f.parts) {
        whole.set(x!, o);
        o += x!.length;
      }
      plain = whole;
      first = f.first;
      j.reassembled = true;
    }
    const inner = this.wire.decodeChain(ctx.version, first, plain);
    if (!inner.ok) {
      this.innerErrors++;
      this.line(`Decrypted Data (${plain.length} bytes): malformed: ${inner.error.message}`);
      j.plaintext = toHex(plain);
      j.inner_error = this.errorJson(inner.error);
      return;
    }
    this.nested(`${j.reassembled ? "Reassembled " : ""}Decrypted Data (${plain.length} bytes)`, () => {
      j.inner = this.chain(inner.msg.children, ctx);
    });
  }

  // ---- substructures ----

  private children(n: WireNode, ctx: Ctx, j: Json): void {
    if (!n.children.length) return;
    const key = CHILD_KEY[n.kind] ?? "children";
    const out: Json[] = [];
    n.children.forEach((c, i) => out.push(this.sub(c, n.children[i + 1], ctx)));
    j[key] = out;
  }

  private sub(n: WireNode, next: WireNode | undefined, outer: Ctx): Json {
    const j: Json = { kind: this.wire.kindName(n.kind), kind_id: n.kind, offset: n.off, length: n.len };
    const ctx: Ctx = { ...outer };
    switch (n.kind) {
      case abi.K_V2_PROP:
      case abi.K_V1_PROP:
      case abi.K_V2_XFORM:
      case abi.K_V1_XFORM: {
        const prop = n.kind === abi.K_V2_PROP || n.kind === abi.K_V1_PROP;
        if (n.kind === abi.K_V1_PROP) {
          ctx.protocol = n.f[1];
          ctx.phase = n.f[1] === PROTO_ISAKMP ? 1 : 2;
        }
        // "last substructure": 2 before another proposal, 3 before another transform, else 0
        const own = prop ? abi.PT1_P : abi.PT1_T;
        const np = next ? own : 0;
        j.next_payload = np;
        const word = prop ? "Proposal" : "Transform";
        const numbered = prop || n.kind === abi.K_V1_XFORM;
        const title = `Payload: ${word} (${own})${numbered ? ` # ${n.f[0]}` : ""}`;
        this.nested(title, () => {
          this.line(`Next payload: ${np ? `${word} (${np})` : this.named(this.payloadName(ctx.version, 0), 0)}`);
          this.line(`Payload length: ${n.len}`);
          this.body(n, ctx, j);
        });
        return j;
      }
      case abi.K_ATTR:
        this.attribute(n, ctx, j);
        return j;
      case abi.K_V2_TS: {
        const addr = (b: Uint8Array | undefined, w: "a" | "b") => (b ? this.dataText(n, w, b) ?? toHex(b) : "");
        const title = `Traffic Selector: ${addr(n.a, "a")}-${addr(n.b, "b")} ports ${n.f[2]}-${n.f[3]} protocol ${this.named(this.wire.name(abi.REG_IP_PROTO, n.f[1]), n.f[1])}`;
        this.nested(title, () => this.body(n, ctx, j));
        return j;
      }
      case abi.K_V2_CPATTR: {
        const tn = this.wire.name(abi.REG_CP_ATTR, n.f[0]);
        const len = n.a?.length ?? 0;
        const val = n.a && len ? `: ${this.dataText(n, "a", n.a) ?? toHex(n.a)}` : "";
        this.nested(`Configuration Attribute (t=${n.f[0]},l=${len}): ${tn || n.f[0]}${val}`, () => this.body(n, ctx, j));
        return j;
      }
    }
    this.nested(this.kindTitle(n.kind) || `kind ${n.kind}`, () => this.body(n, ctx, j));
    return j;
  }

  private attribute(n: WireNode, ctx: Ctx, j: Json): void {
    const [type, tv, tvValue] = n.f;
    const typeName = this.wire.name(this.attrReg(ctx), type);
    j.type = type;
    if (typeName) j.type_name = typeName;
    j.tv = tv;
    const a = n.a ?? new Uint8Array(0);
    let value: number | null = tv ? tvValue : a.length <= 6 ? bigEndian(a) : null;
    if (!tv && a.length === 0) value = null;
    const valueName = value !== null && ctx.version === 1 ? this.wire.v1AttrValueName(ctx.phase, type, value) : "";
    if (!tv) {
      j.value_length = a.length; // "length" is the attribute's length on the wire, header included
      j.data = toHex(a);
    }
    if (value !== null) j.value = value;
    if (valueName) j.value_name = valueName;

    const len = tv ? 2 : a.length;
    const shown = value !== null ? this.named(valueName, value) : toHex(a);
    const what = ctx.version === 2 ? "Transform Attribute" : ctx.phase === 1 ? "IKE Attribute" : "IPsec Attribute";
    this.nested(`${what} (t=${type},l=${len}): ${typeName || type}: ${shown}`, () => {
      this.line(`Attribute Format: ${tv ? "Type/Value (TV)" : "Type/Length/Value (TLV)"}`);
      this.line(`Attribute Type: ${this.named(typeName, type)}`);
      if (!tv) this.line(`Attribute Length: ${a.length}`);
      this.line(`Attribute Value: ${shown}`);
    });
  }
}
