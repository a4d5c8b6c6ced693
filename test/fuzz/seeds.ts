// Seeds for the fuzzer: every IKE message of the capture corpus, the decrypted SK/SKF
// plaintexts of its AES-CBC IKE SAs (inner payload chains), and a few hand-built messages and
// chains that cover payloads the captures lack. Each seed carries a map of its structure (where
// its length, next-payload, count, SPI-size and type fields are) so that mutations can aim.
import { createDecipheriv } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readCapture } from "../../hosts/pcap.ts";

// Field roles in a seed's structure map.
export const R_NP = 1; // next payload byte; sstart = start of the payload it names
export const R_CRIT = 2; // critical bit / reserved byte of a generic payload header
export const R_LEN16 = 3; // 16-bit length of the structure at sstart, inside [.., cend)
export const R_LAST = 4; // last-substructure byte (proposal 0|2, transform 0|3); aux = "more"
export const R_COUNT8 = 5; // number of transforms / TSs / fragment number
export const R_COUNT16 = 6; // number of SPIs, fragment counters
export const R_SPI = 7; // SPI size
export const R_NUM = 8; // proposal / transform number
export const R_TYPE8 = 9; // type bytes: ID, TS, protocol, cert encoding, transform type
export const R_TYPE16 = 10; // 16-bit types: notify, transform ID, attribute type, DH group
export const R_U32 = 11; // DOI, situation
export const ROLES = 12;

export interface Seed {
  name: string;
  bytes: Uint8Array;
  chain: boolean; // a decrypted payload chain (decoded with wireDecodeChain) or a datagram
  version: number; // 1 or 2
  np: number; // first payload type (a datagram's is also in its byte 16)
  start: number; // where the payload chain starts (28 for datagrams, 0 for chains)
  payEnd: number; // end of the last payload the walk found (bytes after it: padding/trailing)
  rec: Int32Array; // 5 ints per field: role, offset, structure start, container end, aux
  byRole: Int32Array[]; // record indices per role
  subs: Int32Array; // 6 ints per substructure: start, len, lastMore (0: none), countOff, prevStart, 0
  bounds: Int32Array; // structure boundaries (for truncation)
  pay: Int32Array; // 3 ints per top-level payload: offset, length, type
}

// ---- the structure walk -----------------------------------------------------------------------

class Walk {
  rec: number[] = [];
  subs: number[] = [];
  bounds = new Set<number>();
  pay: number[] = [];
  constructor(readonly d: Uint8Array) {}
  be16(o: number): number {
    return o + 2 <= this.d.length ? (this.d[o] << 8) | this.d[o + 1] : 0;
  }
  be32(o: number): number {
    return o + 4 <= this.d.length ? ((this.d[o] << 24) | (this.d[o + 1] << 16) | (this.d[o + 2] << 8) | this.d[o + 3]) >>> 0 : 0;
  }
  f(role: number, off: number, sstart = 0, cend = 0, aux = -1): void {
    if (off < this.d.length) this.rec.push(role, off, sstart, cend, aux);
  }
  b(off: number): void {
    if (off >= 0 && off <= this.d.length) this.bounds.add(off);
  }

  // A payload chain starting with type np in [p, end); returns where the walk stopped.
  chain(version: number, np: number, p: number, end: number, top: boolean, npAt: number): number {
    let guard = 0;
    while (np !== 0 && p + 4 <= end && guard++ < 4096) {
      const nnp = this.d[p];
      const plen = this.be16(p + 2);
      this.f(R_NP, npAt, p, end, version);
      this.f(R_CRIT, p + 1, p, end);
      this.f(R_LEN16, p + 2, p, end);
      this.b(p);
      this.b(p + 4);
      if (plen < 4 || p + plen > end) break;
      if (top) this.pay.push(p, plen, np);
      if (version === 2) this.bodyV2(np, p + 4, p + plen);
      else this.bodyV1(np, p + 4, p + plen);
      npAt = p;
      p += plen;
      this.b(p);
      if (version === 2 && (np === 46 || np === 53)) return p;
      np = nnp;
    }
    if (np === 0 || p + 4 > end) this.f(R_NP, npAt, p, end, version);
    return p;
  }

  private attrs(a: number, end: number): void {
    while (a + 4 <= end) {
      const t = this.be16(a);
      this.f(R_TYPE16, a);
      this.b(a);
      if (t & 0x8000) {
        this.subs.push(a, 4, 0, -1, -1, 0);
        a += 4;
      } else {
        const n = this.be16(a + 2);
        this.f(R_LEN16, a + 2, a, end);
        if (a + 4 + n > end) return;
        this.subs.push(a, 4 + n, 0, -1, -1, 0);
        a += 4 + n;
      }
      this.b(a);
    }
  }

  // Proposals and transforms, the same shape in both versions (v1 has a transform number and
  // a one-byte transform ID where v2 has a type and a two-byte ID).
  private proposals(version: number, q: number, end: number): void {
    let prevProp = -1;
    while (q + 8 <= end) {
      const plen = this.be16(q + 2);
      const spi = this.d[q + 6];
      this.f(R_LAST, q, q, end, 2);
      this.f(R_LEN16, q + 2, q, end);
      this.f(R_NUM, q + 4);
      this.f(R_TYPE8, q + 5);
      this.f(R_SPI, q + 6, q, end);
      this.f(R_COUNT8, q + 7);
      this.b(q);
      this.b(q + 8);
      if (plen < 8 || q + plen > end) return;
      this.subs.push(q, plen, 2, -1, prevProp, 0);
      prevProp = q;
      const qend = q + plen;
      let r = q + 8 + spi;
      this.b(r);
      let prevT = -1;
      while (r + 8 <= qend) {
        const tlen = this.be16(r + 2);
        this.f(R_LAST, r, r, qend, 3);
        this.f(R_LEN16, r + 2, r, qend, q + 7);
        if (version === 2) {
          this.f(R_TYPE8, r + 4);
          this.f(R_TYPE16, r + 6);
        } else {
          this.f(R_NUM, r + 4);
          this.f(R_TYPE8, r + 5);
        }
        this.b(r);
        this.b(r + 8);
        if (tlen < 8 || r + tlen > qend) break;
        this.subs.push(r, tlen, 3, q + 7, prevT, 0);
        prevT = r;
        this.attrs(r + 8, r + tlen);
        r += tlen;
        this.b(r);
      }
      q = qend;
      this.b(q);
    }
  }

  private bodyV2(np: number, body: number, end: number): void {
    switch (np) {
      case 33: this.proposals(2, body, end); break;
      case 34: this.f(R_TYPE16, body); break;
      case 35: case 36: case 37: case 38: case 39: this.f(R_TYPE8, body); break;
      case 41: this.f(R_TYPE8, body); this.f(R_SPI, body + 1); this.f(R_TYPE16, body + 2); break;
      case 42: this.f(R_TYPE8, body); this.f(R_SPI, body + 1); this.f(R_COUNT16, body + 2); break;
      case 44: case 45: {
        this.f(R_COUNT8, body);
        let q = body + 4;
        this.b(q);
        while (q + 8 <= end) {
          const slen = this.be16(q + 2);
          this.f(R_TYPE8, q);
          this.f(R_TYPE8, q + 1);
          this.f(R_LEN16, q + 2, q, end, body);
          this.b(q + 8);
          if (slen < 8 || q + slen > end) break;
          this.subs.push(q, slen, 0, body, -1, 0);
          q += slen;
          this.b(q);
        }
        break;
      }
      case 47: {
        this.f(R_TYPE8, body);
        let q = body + 4;
        this.b(q);
        while (q + 4 <= end) {
          const n = this.be16(q + 2);
          this.f(R_TYPE16, q);
          this.f(R_LEN16, q + 2, q, end);
          if (q + 4 + n > end) break;
          this.subs.push(q, 4 + n, 0, -1, -1, 0);
          q += 4 + n;
          this.b(q);
        }
        break;
      }
      case 48: this.f(R_TYPE8, body); this.f(R_LEN16, body + 2, body, end); this.f(R_TYPE8, body + 4); break;
      case 53: this.f(R_COUNT16, body); this.f(R_COUNT16, body + 2); break;
    }
  }

  private bodyV1(np: number, body: number, end: number): void {
    switch (np) {
      case 1: {
        this.f(R_U32, body);
        this.f(R_U32, body + 4);
        this.b(body + 8);
        if (this.be32(body) === 1) this.proposals(1, body + 8, end);
        break;
      }
      case 5: this.f(R_TYPE8, body); this.f(R_TYPE8, body + 1); this.f(R_TYPE16, body + 2); break;
      case 6: case 7: case 21: case 131: this.f(R_TYPE8, body); break;
      case 11: this.f(R_U32, body); this.f(R_TYPE8, body + 4); this.f(R_SPI, body + 5); this.f(R_TYPE16, body + 6); break;
      case 12: this.f(R_U32, body); this.f(R_TYPE8, body + 4); this.f(R_SPI, body + 5); this.f(R_COUNT16, body + 6); break;
      case 132: this.f(R_TYPE16, body); this.f(R_COUNT8, body + 2); this.f(R_TYPE8, body + 3); break;
    }
  }
}

export function makeSeed(name: string, bytes: Uint8Array, chain: boolean, version: number, np: number): Seed {
  const w = new Walk(bytes);
  const start = chain ? 0 : 28;
  let payEnd = start;
  if (bytes.length >= start) {
    // a datagram's first next-payload byte is at 16; a chain's is the np argument (npAt -1)
    const v1Encrypted = !chain && version === 1 && (bytes[19] & 1) !== 0;
    if (!v1Encrypted) payEnd = w.chain(version, np, start, bytes.length, true, chain ? -1 : 16);
    w.b(start);
  }
  const rec = Int32Array.from(w.rec);
  const lists: number[][] = Array.from({ length: ROLES }, () => []);
  for (let i = 0; i < rec.length; i += 5) if (rec[i + 1] >= 0) lists[rec[i]].push(i);
  return {
    name, bytes, chain, version, np, start, payEnd, rec,
    byRole: lists.map((l) => Int32Array.from(l)),
    subs: Int32Array.from(w.subs),
    bounds: Int32Array.from([...w.bounds].sort((a, b) => a - b)),
    pay: Int32Array.from(w.pay),
  };
}

// ---- the corpus ---------------------------------------------------------------------------------

// The folder that holds package.json, seen from this file in test/fuzz or dist/test/fuzz.
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("package.json not found above test/fuzz");
}

export function defaultCorpusDir(): string {
  return join(projectRoot(), "..", "shared", "corpus", "pcap");
}

interface V2Keys { ei: Buffer; er: Buffer }

function hex(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.subarray(from, to)).toString("hex");
}

// IKEv2 SAs whose SK_e is AES-CBC-256 (the captures' key tables), by "SPIi,SPIr" in hex.
function v2KeyTable(file: string): Map<string, V2Keys> {
  const m = new Map<string, V2Keys>();
  if (!existsSync(file)) return m;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const f = line.split(",");
    if (f.length < 8 || !f[4].includes("AES-CBC-256")) continue;
    m.set(`${f[0]},${f[1]}`, { ei: Buffer.from(f[2], "hex"), er: Buffer.from(f[3], "hex") });
  }
  return m;
}

// The plaintext payload chain inside an SK or SKF body (AES-CBC-256, 16-byte IV, 16-byte ICV).
function decryptCbc(key: Buffer, body: Uint8Array): Uint8Array | null {
  if (body.length < 48 || (body.length - 32) % 16 !== 0) return null;
  try {
    const d = createDecipheriv("aes-256-cbc", key, body.subarray(0, 16));
    d.setAutoPadding(false);
    const pt = Buffer.concat([d.update(body.subarray(16, body.length - 16)), d.final()]);
    const pad = pt[pt.length - 1];
    if (pad + 1 > pt.length) return null;
    return new Uint8Array(pt.subarray(0, pt.length - 1 - pad));
  } catch {
    return null;
  }
}

// Walks the outer chain of an IKEv2 message to its SK / SKF payload.
function findEncrypted(m: Uint8Array): { type: number; inner: number; body: Uint8Array } | null {
  let np = m[16];
  let p = 28;
  while (np !== 0 && p + 4 <= m.length) {
    const plen = (m[p + 2] << 8) | m[p + 3];
    if (plen < 4 || p + plen > m.length) return null;
    if (np === 46 || np === 53) return { type: np, inner: m[p], body: m.subarray(p + 4, p + plen) };
    np = m[p];
    p += plen;
  }
  return null;
}

export interface CorpusSeeds {
  datagrams: { name: string; bytes: Uint8Array }[];
  chains: { name: string; bytes: Uint8Array; version: number; np: number }[];
  files: number;
}

// Every IKE message in DIR/*.pcap (UDP 500, and UDP 4500 after the non-ESP marker; ESP and
// keepalives skipped), and the decrypted inner chains where DIR has AES-CBC keys for them.
// Raw *.bin files in DIR are taken as datagrams too.
export function loadCorpus(dirs: string[]): CorpusSeeds {
  const out: CorpusSeeds = { datagrams: [], chains: [], files: 0 };
  const seen = new Set<string>();
  const add = (name: string, b: Uint8Array) => {
    const k = Buffer.from(b).toString("base64");
    if (seen.has(k)) return;
    seen.add(k);
    out.datagrams.push({ name, bytes: b });
  };
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const path = join(dir, f);
      if (f.endsWith(".bin")) {
        out.files++;
        add(f, new Uint8Array(readFileSync(path)));
        continue;
      }
      if (!f.endsWith(".pcap") && !f.endsWith(".pcapng")) continue;
      out.files++;
      const keys = v2KeyTable(path.replace(/\.pcap(ng)?$/, ".ikev2_decryption_table"));
      const frags = new Map<string, Map<number, { inner: number; pt: Uint8Array; total: number }>>();
      for (const p of readCapture(new Uint8Array(readFileSync(path))).packets) {
        let m: Uint8Array;
        if (p.sport === 500 || p.dport === 500) m = p.payload;
        else if (p.sport === 4500 || p.dport === 4500) {
          const d = p.payload;
          if (d.length < 4 || d[0] | d[1] | d[2] | d[3]) continue; // ESP or keepalive
          m = d.subarray(4);
        } else continue;
        if (m.length < 28) continue;
        m = m.slice();
        add(`${f}#${p.frame}`, m);
        if (m[17] >> 4 !== 2) continue;
        const k = keys.get(`${hex(m, 0, 8)},${hex(m, 8, 16)}`);
        const enc = findEncrypted(m);
        if (!k || !enc) continue;
        const key = m[19] & 0x08 ? k.ei : k.er;
        if (enc.type === 46) {
          const pt = decryptCbc(key, enc.body);
          if (pt) out.chains.push({ name: `${f}#${p.frame}/SK`, bytes: pt, version: 2, np: enc.inner });
        } else if (enc.body.length >= 4) {
          const num = (enc.body[0] << 8) | enc.body[1];
          const total = (enc.body[2] << 8) | enc.body[3];
          const pt = decryptCbc(key, enc.body.subarray(4));
          if (!pt || num === 0 || num > total) continue;
          const id = `${hex(m, 0, 24)}`;
          let g = frags.get(id);
          if (!g) frags.set(id, (g = new Map()));
          g.set(num, { inner: enc.inner, pt, total });
          if (g.size === total) {
            const parts = [...g.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1].pt);
            const whole = new Uint8Array(Buffer.concat(parts));
            out.chains.push({ name: `${f}#${p.frame}/SKF`, bytes: whole, version: 2, np: g.get(1)?.inner ?? 0 });
            frags.delete(id);
          }
        }
      }
    }
  }
  return out;
}

// ---- hand-built messages ---------------------------------------------------------------------------

type Bytes = number[];
const u16 = (v: number): Bytes => [(v >> 8) & 255, v & 255];
const u32 = (v: number): Bytes => [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];
const fill = (n: number, v: number): Bytes => new Array(n).fill(v);
const text = (s: string): Bytes => [...Buffer.from(s, "latin1")];

interface P { t: number; body: Bytes; crit?: boolean; inner?: number }

// A payload chain; each payload's next-payload byte names the next (SK/SKF: its inner type).
function chainBytes(ps: P[]): Bytes {
  const out: Bytes = [];
  ps.forEach((p, i) => {
    const np = p.inner ?? (i + 1 < ps.length ? ps[i + 1].t : 0);
    out.push(np, p.crit ? 0x80 : 0, ...u16(4 + p.body.length), ...p.body);
  });
  return out;
}
function message(version: number, exchange: number, flags: number, ps: P[]): Uint8Array {
  const body = chainBytes(ps);
  const hdr = [...fill(8, 0x11), ...(exchange === 34 && !(flags & 0x20) ? fill(8, 0) : fill(8, 0x22)),
    ps.length ? ps[0].t : 0, version << 4, exchange, flags, ...u32(version === 2 ? 1 : 0x5a5a5a5a), ...u32(28 + body.length)];
  return new Uint8Array([...hdr, ...body]);
}
const tv = (t: number, v: number): Bytes => [...u16(0x8000 | t), ...u16(v)];
const tlv = (t: number, v: Bytes): Bytes => [...u16(t), ...u16(v.length), ...v];
const xf2 = (type: number, id: number, attrs: Bytes = [], last = false): Bytes =>
  [last ? 0 : 3, 0, ...u16(8 + attrs.length), type, 0, ...u16(id), ...attrs];
const prop2 = (num: number, proto: number, spi: Bytes, xs: Bytes[], last = false): Bytes => {
  const body = xs.flatMap((x, i) => (i === xs.length - 1 ? [0, ...x.slice(1)] : x));
  return [last ? 0 : 2, 0, ...u16(8 + spi.length + body.length), num, proto, spi.length, xs.length, ...spi, ...body];
};
const xf1 = (num: number, id: number, attrs: Bytes, last = false): Bytes => [last ? 0 : 3, 0, ...u16(8 + attrs.length), num, id, 0, 0, ...attrs];
const prop1 = (num: number, proto: number, spi: Bytes, xs: Bytes[], last = false): Bytes => {
  const body = xs.flatMap((x, i) => (i === xs.length - 1 ? [0, ...x.slice(1)] : x));
  return [last ? 0 : 2, 0, ...u16(8 + spi.length + body.length), num, proto, spi.length, xs.length, ...spi, ...body];
};
const ts = (type: number, proto: number, sp: number, ep: number, a: Bytes, b: Bytes): Bytes =>
  [type, proto, ...u16(8 + a.length + b.length), ...u16(sp), ...u16(ep), ...a, ...b];

export function handBuilt(): { datagrams: { name: string; bytes: Uint8Array }[]; chains: { name: string; bytes: Uint8Array; version: number; np: number }[] } {
  const ikeSa = [
    prop2(1, 1, [], [xf2(1, 12, tv(14, 256)), xf2(2, 5), xf2(3, 12), xf2(4, 19), xf2(4, 31)]),
    prop2(2, 1, [], [xf2(1, 20, tv(14, 128)), xf2(2, 7), xf2(4, 14)], true),
  ].flat();
  const espSa = [
    prop2(1, 3, [1, 2, 3, 4], [xf2(1, 12, tv(14, 256)), xf2(3, 12), xf2(5, 0), xf2(5, 1)]),
    prop2(2, 2, [5, 6, 7, 8], [xf2(3, 14), xf2(5, 0)], true),
  ].flat();
  const v2init: P[] = [
    { t: 33, body: ikeSa }, { t: 34, body: [...u16(19), 0, 0, ...fill(64, 0x4b)] }, { t: 40, body: fill(32, 0x4e) },
    { t: 41, body: [0, 0, ...u16(16388), ...fill(20, 0x5a)] }, { t: 41, body: [3, 4, ...u16(16393), 9, 9, 9, 9] },
    { t: 38, body: [4, ...fill(20, 0xc4)] }, { t: 43, body: fill(16, 0x56) }, { t: 222, body: [1, 2, 3, 4, 5] },
  ];
  const v2auth: P[] = [
    { t: 35, body: [2, 0, 0, 0, ...text("west.lab.example")] }, { t: 37, body: [4, ...fill(40, 0x30)] },
    { t: 36, body: [1, 0, 0, 0, 192, 0, 2, 2] }, { t: 39, body: [14, 0, 0, 0, ...fill(32, 0xa7)] },
    { t: 47, body: [1, 0, 0, 0, ...tlv(1, []), ...tlv(3, []), ...tlv(8, []), ...tlv(0x7f01, [10, 0, 0, 1])] },
    { t: 33, body: espSa },
    { t: 44, body: [3, 0, 0, 0, ...ts(7, 0, 0, 65535, [198, 51, 100, 0], [198, 51, 100, 127]),
      ...ts(8, 17, 500, 500, fill(16, 0x20), fill(16, 0x2f)), ...ts(10, 0, 0, 0, text("sec_label\0"), [])] },
    { t: 45, body: [1, 0, 0, 0, ...ts(7, 6, 80, 443, [198, 51, 100, 128], [198, 51, 100, 255])] },
    { t: 41, body: [0, 0, ...u16(16384)] }, { t: 42, body: [3, 4, ...u16(2), 1, 1, 1, 1, 2, 2, 2, 2] },
    { t: 42, body: [1, 0, 0, 0] }, { t: 48, body: [2, 7, ...u16(10), 1, ...text("alice")] }, { t: 43, body: [] },
  ];
  const v1sa = (doi: number) => doi !== 1 ? [...u32(doi), 1, 2, 3] : [...u32(1), ...u32(1), ...prop1(1, 1, [], [
    xf1(1, 1, [...tv(1, 7), ...tv(14, 256), ...tv(2, 4), ...tv(3, 1), ...tv(4, 14), ...tv(11, 1), ...tlv(12, u32(28800))]),
    xf1(2, 1, [...tv(1, 5), ...tv(2, 2), ...tv(3, 3), ...tv(4, 2)]),
  ], true)];
  const v1qsa = [...u32(1), ...u32(1), ...prop1(1, 3, [0xca, 0xfe, 0, 1], [xf1(1, 12, [...tv(4, 1), ...tv(5, 12), ...tv(6, 256), ...tv(1, 1), ...tlv(2, u32(3600))])]),
    ...prop1(1, 4, [0, 0, 0x12, 0x34], [xf1(1, 2, tv(4, 1))], true)];
  const v1id = (t: number, a: Bytes): Bytes => [t, 17, ...u16(500), ...a];
  const datagrams = [
    { name: "hand:v2-init", bytes: message(2, 34, 0x08, v2init) },
    { name: "hand:v2-sk", bytes: message(2, 35, 0x08, [{ t: 46, inner: 35, body: fill(64, 0xe5) }]) },
    { name: "hand:v2-skf", bytes: message(2, 35, 0x08, [{ t: 53, inner: 35, body: [...u16(1), ...u16(3), ...fill(48, 0xe6)] }]) },
    { name: "hand:v2-info-clear", bytes: message(2, 37, 0x20, [{ t: 41, body: [1, 8, ...u16(11), ...fill(8, 0x33)] }, { t: 42, body: [1, 0, 0, 0] }]) },
    { name: "hand:v2-empty", bytes: message(2, 37, 0x28, []) },
    { name: "hand:v1-main1", bytes: message(1, 2, 0, [{ t: 1, body: v1sa(1) }, { t: 13, body: fill(16, 0x76) }, { t: 13, body: fill(8, 0x77) }]) },
    { name: "hand:v1-aggr", bytes: message(1, 4, 0, [{ t: 1, body: v1sa(1) }, { t: 4, body: fill(128, 0x4b) }, { t: 10, body: fill(16, 0x4e) },
      { t: 5, body: v1id(2, text("west.lab.example")) }, { t: 8, body: fill(32, 0x48) }, { t: 20, body: fill(32, 0x20) }, { t: 130, body: fill(20, 0x82) }]) },
    { name: "hand:v1-doi2", bytes: message(1, 2, 0, [{ t: 1, body: v1sa(2) }]) },
    { name: "hand:v1-cert", bytes: message(1, 2, 0, [{ t: 6, body: [4, ...fill(40, 0x30)] }, { t: 7, body: [4] }, { t: 9, body: fill(64, 0x51) },
      { t: 132, body: [...u16(7), 1, 1, ...fill(24, 0xf0)] }]) },
    { name: "hand:v1-enc", bytes: message(1, 32, 1, [{ t: 8, body: fill(44, 0xee) }]) },
  ];
  const chains = [
    { name: "hand:v2-auth-inner", bytes: new Uint8Array(chainBytes(v2auth)), version: 2, np: 35 },
    { name: "hand:v1-quick-inner", bytes: new Uint8Array([...chainBytes([{ t: 8, body: fill(32, 0x48) }, { t: 1, body: v1qsa }, { t: 10, body: fill(16, 0x4e) },
      { t: 4, body: fill(64, 0x4b) }, { t: 5, body: v1id(4, [198, 51, 100, 0, 255, 255, 255, 128]) }, { t: 5, body: v1id(8, fill(32, 0x61)) },
      { t: 21, body: [1, 0, 0, 0, 192, 0, 2, 1] }, { t: 131, body: [5, 0, 0, 0, ...fill(16, 0x66)] }]), 0, 0, 0, 0, 0, 0, 7]), version: 1, np: 8 },
    { name: "hand:v1-info-inner", bytes: new Uint8Array(chainBytes([{ t: 8, body: fill(32, 0x48) },
      { t: 11, body: [...u32(1), 1, 16, ...u16(24578), ...fill(16, 0x11), ...u32(0xdeadbeef)] },
      { t: 12, body: [...u32(1), 3, 4, ...u16(2), 1, 2, 3, 4, 5, 6, 7, 8] }, { t: 12, body: [...u32(1), 1, 0, 0, 0] }])), version: 1, np: 8 },
  ];
  return { datagrams, chains };
}
