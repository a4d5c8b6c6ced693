// The fuzzing engine: one dedicated core.wasm instance with a small memory cap, seeded
// structure-aware mutations written straight into the module's IN buffer, and the invariants
// checked for every input:
//   trap      the decode (or the re-encode) must not trap the instance;
//   hang      bounded work: at most 2 + len/4 tape nodes (each node but a root owns >= 4 bytes)
//             and no single call slower than 1 s (wall clock only flags, never asserts in tests);
//   growth    the instance's memory does not grow after the warm-up;
//   unstable  an accepted input re-encodes (wireEncode on the tape in place) to exactly its length
//             (less the IKEv1 padding of a chain, less the port-4500 marker), those bytes decode to
//             the same tape (kind, ptype, subtree end, length, fields, A/B bytes; pointers and
//             offsets ignored), and encoding that tape gives the same bytes again.
// Run by test/fuzz/run.ts (npm run fuzz) and by the vitest files beside it.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as abi from "../../core/abi.ts";
import { type Core, CoreTrap } from "../../hosts/core.ts";
import { loadCore } from "../../hosts/node/corefile.ts";
import { Wire } from "../../hosts/wire.ts";
import {
  type Seed, R_NP, R_CRIT, R_LEN16, R_LAST, R_COUNT8, R_COUNT16, R_SPI, R_NUM, R_TYPE8, R_TYPE16, R_U32,
  defaultCorpusDir, handBuilt, loadCorpus, makeSeed, projectRoot,
} from "./seeds.ts";

export const FUZZ_MAX_PAGES = 128; // 8 MiB: the static buffers need about 23 pages
export const HANG_MS = 1000;

// Decode modes of an input.
export const MODE_500 = 0; // wireDecode(len, 0)
export const MODE_4500 = 1; // wireDecode(len, DECODE_PORT4500): non-ESP marker first
export const MODE_CHAIN = 2; // wireDecodeChain(version, np, len)

export type FailKind = "trap" | "hang" | "unstable" | "growth";
export type Outcome = "accepted" | "rejected" | FailKind;

export interface InputMode {
  mode: number;
  version: number; // chain mode
  np: number; // chain mode
}

export interface Failure {
  kind: FailKind;
  reason: string;
  mode: InputMode;
  bytes: Uint8Array;
  file?: string;
}

// ---- seeded PRNG: sfc32, seeded through splitmix32 -------------------------------------------------

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  constructor(seed: number) {
    let s = seed >>> 0;
    const sm = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.next() < p * 4294967296;
  }
  pick<T>(a: ArrayLike<T>): T {
    return a[this.below(a.length)];
  }
}

// ---- mutators ------------------------------------------------------------------------------------

export const MUTATORS = [
  "seed", "length", "next-payload", "count", "field", "truncate", "splice", "duplicate", "drop",
  "reorder", "header", "bitflip", "insert-delete", "resize", "substructure", "interesting", "random",
  "random-body", "flood",
] as const;
const M_SEED = 0, M_LENGTH = 1, M_NEXT = 2, M_COUNT = 3, M_FIELD = 4, M_TRUNC = 5, M_SPLICE = 6,
  M_DUP = 7, M_DROP = 8, M_REORDER = 9, M_HEADER = 10, M_BITFLIP = 11, M_INSDEL = 12, M_RESIZE = 13,
  M_SUB = 14, M_INTERESTING = 15, M_RANDOM = 16, M_RANDBODY = 17, M_FLOOD = 18;
// weights out of 1024 (flood: large inputs near the tape's capacity, rare)
const WEIGHTS: [number, number][] = [
  [M_SEED, 8], [M_LENGTH, 110], [M_NEXT, 80], [M_COUNT, 80], [M_FIELD, 50], [M_TRUNC, 70],
  [M_SPLICE, 70], [M_DUP, 45], [M_DROP, 45], [M_REORDER, 45], [M_HEADER, 55], [M_BITFLIP, 70],
  [M_INSDEL, 50], [M_RESIZE, 80], [M_SUB, 70], [M_INTERESTING, 50], [M_RANDOM, 20], [M_RANDBODY, 25],
];
const PICK = new Uint8Array(1024);
{
  let i = 0;
  for (const [m, w] of WEIGHTS) for (let k = 0; k < w; k++) PICK[i++] = m;
  while (i < 1024) PICK[i++] = M_LENGTH;
}

const V2_TYPES = [33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 53, 54];
const V1_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 130, 131, 132];
const EXCHANGES = [2, 4, 5, 32, 34, 35, 36, 37, 43, 0, 255];
const INTERESTING8 = [0, 1, 2, 3, 4, 7, 8, 0x0f, 0x10, 0x1f, 0x20, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 3, 4, 7, 8, 0x10, 0x1c, 0x7f, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff];

export interface EngineOptions {
  seed?: number;
  maxPages?: number;
  corpusDirs?: string[]; // default: ../shared/corpus/pcap
  crashDir?: string | null; // where failing inputs go; null: keep them in memory only
  maxCrashFiles?: number; // per kind and run
  warmup?: number; // inputs before the memory size is taken as the baseline
  hangMs?: number; // a call slower than this is flagged as a hang (tests: Infinity, no wall clock)
  // shared with a watchdog thread: beat[0] counts inputs, meta = mode, version, np, len, and
  // input holds the bytes of the input being decoded
  shared?: { beat: Int32Array; meta: Int32Array; input: Uint8Array };
}

export interface MutatorStats {
  inputs: number;
  accepted: number;
}

export interface Stats {
  inputs: number;
  traps: number;
  hangs: number;
  accepted: number;
  rejected: number;
  unstable: number;
  growth: number;
  identical: number; // accepted inputs that re-encoded byte for byte
  maxNodes: number;
  seconds: number;
  memoryBytes: number;
  perMutator: MutatorStats[];
}

const NW = abi.NODE_WORDS;

export class FuzzEngine {
  readonly core: Core;
  readonly wire: Wire;
  readonly seeds: Seed[] = [];
  readonly dgramSeeds: Seed[] = [];
  readonly chainSeeds: Seed[] = [];
  readonly v1: Seed[] = [];
  readonly v2: Seed[] = [];
  readonly failures: Failure[] = [];
  readonly corpusFiles: number;
  readonly stats: Stats;
  private rng: Rng;
  private readonly opts: EngineOptions;
  private readonly crashDir: string | null;
  private readonly hangMs: number;
  private readonly written = new Map<FailKind, number>();

  // the current input
  private mode = MODE_500;
  private ver = 2;
  private np = 0;
  private len = 0;
  private mut = 0;
  private cur: Uint8Array; // a copy of the input (the module's IN is rewritten by the round trip)
  private meta: Int32Array;
  private beat: Int32Array;

  // views of the module's memory, rebuilt when the instance or its memory changes
  private mem!: Uint8Array;
  private words!: Uint32Array;
  private d!: Uint8Array; // IN
  private inPtr = 0;
  private outPtr = 0;
  private tapeW = 0;
  private memBase = 0; // memory size after the warm-up (0: warm-up not over; -1: take it after the next input)
  private gen = -1;
  private snap = new Uint32Array(abi.TAPE_NODES * NW);
  private slots = new Int32Array(4 * 512); // payload list edits: seed, offset, length, type
  private seedIndex = new Map<Seed, number>();

  constructor(opts: EngineOptions = {}) {
    this.opts = opts;
    this.rng = new Rng(opts.seed ?? 1);
    this.hangMs = opts.hangMs ?? HANG_MS;
    this.crashDir = opts.crashDir === undefined ? join(projectRoot(), "test", "fuzz", "crashes") : opts.crashDir;
    this.core = loadCore({
      maxPages: opts.maxPages ?? FUZZ_MAX_PAGES,
      onTrap: () => {
        this.stats.traps++; // every trap of this instance, whoever made the call
      },
    });
    this.wire = new Wire(this.core);
    this.cur = opts.shared?.input ?? new Uint8Array(abi.IN_CAP);
    this.meta = opts.shared?.meta ?? new Int32Array(4);
    this.beat = opts.shared?.beat ?? new Int32Array(1);
    this.stats = {
      inputs: 0, traps: 0, hangs: 0, accepted: 0, rejected: 0, unstable: 0, growth: 0, identical: 0,
      maxNodes: 0, seconds: 0, memoryBytes: 0, perMutator: MUTATORS.map(() => ({ inputs: 0, accepted: 0 })),
    };
    const corpus = loadCorpus(opts.corpusDirs ?? [defaultCorpusDir()]);
    this.corpusFiles = corpus.files;
    const hand = handBuilt();
    for (const s of [...corpus.datagrams, ...hand.datagrams]) {
      const version = s.bytes.length > 17 && s.bytes[17] >> 4 === 1 ? 1 : 2;
      this.addSeed(makeSeed(s.name, s.bytes, false, version, s.bytes.length > 16 ? s.bytes[16] : 0));
      // the bytes after the header of a message in the clear, as a decrypted chain would be
      if (s.bytes.length > 28 && !(version === 1 && s.bytes[19] & 1) && !(version === 2 && this.endsWithSk(s.bytes))) {
        this.addSeed(makeSeed(`${s.name}/chain`, s.bytes.slice(28), true, version, s.bytes[16]));
      }
    }
    for (const c of [...corpus.chains, ...hand.chains]) this.addSeed(makeSeed(c.name, c.bytes, true, c.version, c.np));
    this.refresh();
  }

  private endsWithSk(m: Uint8Array): boolean {
    let np = m[16];
    let p = 28;
    while (np !== 0 && p + 4 <= m.length) {
      if (np === 46 || np === 53) return true;
      const plen = (m[p + 2] << 8) | m[p + 3];
      if (plen < 4) return false;
      np = m[p];
      p += plen;
    }
    return false;
  }

  private addSeed(s: Seed): void {
    if (s.bytes.length > abi.IN_CAP) return;
    this.seedIndex.set(s, this.seeds.length);
    this.seeds.push(s);
    (s.chain ? this.chainSeeds : this.dgramSeeds).push(s);
    (s.version === 1 ? this.v1 : this.v2).push(s);
  }

  private refresh(): void {
    const c = this.core;
    const mem = c.bytes;
    if (mem === this.mem && c.generation === this.gen) return;
    if (c.generation !== this.gen && this.memBase !== 0) this.memBase = -1; // a fresh instance: take its size anew
    this.gen = c.generation;
    this.mem = mem;
    this.words = c.words;
    this.inPtr = c.inPtr;
    this.outPtr = c.outPtr;
    this.tapeW = c.node(0);
    this.d = mem.subarray(this.inPtr, this.inPtr + abi.IN_CAP);
  }

  // ---- running -----------------------------------------------------------------------------------

  // Runs `iterations` generated inputs (or until maxSeconds). onProgress is called about every
  // progressSeconds with the stats so far.
  run(iterations: number, o: { maxSeconds?: number; progressSeconds?: number; onProgress?: (s: Stats) => void } = {}): Stats {
    const t0 = performance.now();
    const limit = o.maxSeconds !== undefined ? t0 + o.maxSeconds * 1000 : Infinity;
    const every = (o.progressSeconds ?? 5) * 1000;
    const warmup = this.opts.warmup ?? Math.min(2000, Math.max(1, iterations >> 4));
    let nextReport = t0 + every;
    for (let i = 0; i < iterations; i++) {
      this.refresh();
      this.generate();
      this.check();
      if (i + 1 === warmup) this.memBase = this.core.memoryBytes;
      if ((i & 255) === 255) {
        const now = performance.now();
        if (now >= limit) break;
        if (now >= nextReport && o.onProgress) {
          nextReport = now + every;
          this.stats.seconds = (now - t0) / 1000;
          o.onProgress(this.stats);
        }
      }
    }
    this.stats.seconds = (performance.now() - t0) / 1000;
    this.stats.memoryBytes = this.core.memoryBytes;
    return this.stats;
  }

  // Runs one given input through the same checks (regressions, seeds). Returns its outcome.
  runInput(bytes: Uint8Array, mode: InputMode = { mode: MODE_500, version: 2, np: 0 }): { outcome: Outcome; reason: string } {
    this.refresh();
    if (bytes.length > abi.IN_CAP) return { outcome: "rejected", reason: "larger than IN" };
    this.d.set(bytes);
    this.len = bytes.length;
    this.mode = mode.mode;
    this.ver = mode.version;
    this.np = mode.np;
    this.mut = M_SEED;
    const before = this.failures.length;
    const r = this.check();
    const f = this.failures.length > before ? this.failures[this.failures.length - 1] : undefined;
    return { outcome: r, reason: f?.reason ?? "" };
  }

  // Every seed, unmutated.
  runSeeds(): { accepted: number; rejected: number; failed: Failure[] } {
    let accepted = 0;
    let rejected = 0;
    const failed: Failure[] = [];
    for (const s of this.seeds) {
      const r = this.runInput(s.bytes, { mode: s.chain ? MODE_CHAIN : MODE_500, version: s.version, np: s.np });
      if (r.outcome === "accepted") accepted++;
      else if (r.outcome === "rejected") rejected++;
      else failed.push(this.failures[this.failures.length - 1]);
    }
    return { accepted, rejected, failed };
  }

  get failed(): number {
    return this.stats.traps + this.stats.hangs + this.stats.unstable + this.stats.growth;
  }

  // ---- the invariants ----------------------------------------------------------------------------

  private check(): Outcome {
    const st = this.stats;
    const len = this.len;
    // keep a copy for the round trip and for crash files (a trap replaces the memory)
    const cur = this.cur;
    const d = this.d;
    const clen = Math.min(Math.max(len, 0), abi.IN_CAP); // len itself may be out of range (edge)
    for (let i = 0; i < clen; i++) cur[i] = d[i];
    const meta = this.meta;
    meta[0] = this.mode;
    meta[1] = this.ver;
    meta[2] = this.np;
    meta[3] = len;
    this.beat[0]++;
    st.inputs++;
    const pm = st.perMutator[this.mut];
    pm.inputs++;
    const t0 = performance.now();
    let n: number;
    try {
      n = this.decode(len);
    } catch (e) {
      if (!(e instanceof CoreTrap)) throw e;
      this.fail("trap", `decode: ${e.report.message}`);
      return "trap";
    }
    const ms = performance.now() - t0;
    if (ms > this.hangMs) {
      st.hangs++;
      this.fail("hang", `decode took ${ms.toFixed(0)} ms`);
      return "hang";
    }
    if (n > 2 + (clen >> 2)) {
      st.hangs++;
      this.fail("hang", `decode of ${len} bytes returned ${n} tape nodes (bound ${2 + (clen >> 2)})`);
      return "hang";
    }
    if (n >= 0 && clen !== len) {
      st.accepted++;
      st.unstable++;
      this.fail("unstable", `a length of ${len}, outside [0, IN_CAP], was accepted`);
      return "accepted";
    }
    let out: Outcome;
    if (n < 0) {
      st.rejected++;
      out = "rejected";
    } else {
      st.accepted++;
      pm.accepted++;
      if (n > st.maxNodes) st.maxNodes = n;
      out = this.roundTrip(n);
      if (out === "trap") {
        st.accepted--;
        pm.accepted--;
      }
    }
    if (this.memBase === -1) {
      this.memBase = this.core.memoryBytes;
    } else if (this.memBase !== 0) {
      const m = this.core.memoryBytes;
      if (m !== this.memBase) {
        st.growth++;
        this.fail("growth", `memory grew from ${this.memBase} to ${m} bytes`);
        this.memBase = m;
        if (out === "accepted" || out === "rejected") out = "growth";
      }
    }
    return out;
  }

  private decode(len: number): number {
    if (this.mode === MODE_CHAIN) return this.core.call("wireDecodeChain", this.ver, this.np, len);
    return this.core.call("wireDecode", len, this.mode === MODE_4500 ? abi.DECODE_PORT4500 : 0);
  }

  private errText(): string {
    const c = this.core;
    return `error ${c.call("errCode")} kind ${c.call("errKind")} ptype ${c.call("errPtype")} field ${c.call("errField")} ` +
      `at ${c.call("errOffset")} value ${c.call("errValue") >>> 0} limit ${c.call("errLimit") >>> 0}`;
  }

  private unstable(reason: string): Outcome {
    this.stats.unstable++;
    this.fail("unstable", reason);
    return "accepted";
  }

  // decode -> encode the tape in place -> decode -> compare tapes -> encode -> compare bytes
  private roundTrip(n: number): Outcome {
    const len = this.len;
    const base = this.tapeW;
    const inPtr = this.inPtr;
    let words = this.words;
    // tape 1, and its byte ranges inside the input
    const snap = this.snap;
    for (let i = 0, e = n * NW; i < e; i++) snap[i] = words[base + i];
    for (let i = 0; i < n; i++) {
      const w = i * NW;
      const end = snap[w + abi.N_END];
      if (end <= i || end > n) return this.unstable(`node ${i} (kind ${snap[w]}) ends at ${end}, outside (${i}, ${n}]`);
      for (const [pw, lw] of AB) {
        const p = snap[w + pw] - inPtr;
        const l = snap[w + lw];
        if (l !== 0 && (p < 0 || p + l > len)) return this.unstable(`node ${i} (kind ${snap[w]}) has a byte range [${p}, +${l}) outside the ${len}-byte input`);
      }
    }
    const chainV1 = this.mode === MODE_CHAIN && snap[abi.N_KIND] === abi.K_V1_CHAIN;
    let m: number;
    let n2: number;
    let m2: number;
    try {
      m = this.wire.reencodeTape(n);
      if (m < 0) return this.unstable(`the decoded tape of ${n} nodes does not re-encode: ${this.errText()}`);
      const want = len - (this.mode === MODE_4500 ? 4 : 0) - (chainV1 ? snap[abi.N_F0 + 1] : 0);
      if (m !== want) return this.unstable(`re-encoded ${m} bytes from a ${len}-byte input (expected ${want})`);
      // the encoded bytes become the next input (IN is restored from `cur` for crash files)
      this.mem.copyWithin(inPtr, this.outPtr, this.outPtr + m);
      n2 = this.mode === MODE_CHAIN
        ? this.core.call("wireDecodeChain", this.ver, snap[abi.N_F0], m)
        : this.core.call("wireDecode", m, 0);
      if (n2 < 0) return this.unstable(`the re-encoded ${m} bytes do not decode: ${this.errText()}`);
    } catch (e) {
      if (!(e instanceof CoreTrap)) throw e;
      this.fail("trap", `round trip: ${e.report.message}`);
      return "trap";
    }
    if (n2 !== n) return this.unstable(`the re-encoded bytes decode to ${n2} nodes, the input to ${n}`);
    words = this.words;
    const mem = this.mem;
    const cur = this.cur;
    for (let i = 0; i < n; i++) {
      const a = i * NW;
      const b = base + a;
      const root = i === 0;
      if (snap[a] !== words[b] || snap[a + abi.N_PTYPE] !== words[b + abi.N_PTYPE] || snap[a + abi.N_END] !== words[b + abi.N_END]) {
        return this.unstable(`node ${i}: kind/ptype/end ${snap[a]}/${snap[a + 1]}/${snap[a + 2]} became ${words[b]}/${words[b + 1]}/${words[b + 2]}`);
      }
      if (!(root && chainV1) && snap[a + abi.N_LEN] !== words[b + abi.N_LEN]) {
        return this.unstable(`node ${i} (kind ${snap[a]}): length ${snap[a + abi.N_LEN]} became ${words[b + abi.N_LEN]}`);
      }
      for (let f = 0; f < abi.N_FIELDS; f++) {
        if (root && chainV1 && f === 1) continue; // the padding length: the encoder adds none
        if (snap[a + abi.N_F0 + f] !== words[b + abi.N_F0 + f]) {
          return this.unstable(`node ${i} (kind ${snap[a]}): field f${f} ${snap[a + abi.N_F0 + f]} became ${words[b + abi.N_F0 + f]}`);
        }
      }
      for (const [pw, lw] of AB) {
        const l = snap[a + lw];
        if (l !== words[b + lw]) return this.unstable(`node ${i} (kind ${snap[a]}): ${pw === abi.N_APTR ? "A" : "B"} length ${l} became ${words[b + lw]}`);
        const p1 = snap[a + pw] - inPtr;
        const p2 = words[b + pw];
        for (let k = 0; k < l; k++) {
          if (cur[p1 + k] !== mem[p2 + k]) return this.unstable(`node ${i} (kind ${snap[a]}): ${pw === abi.N_APTR ? "A" : "B"} byte ${k} differs after the round trip`);
        }
      }
    }
    try {
      m2 = this.wire.reencodeTape(n2);
    } catch (e) {
      if (!(e instanceof CoreTrap)) throw e;
      this.fail("trap", `second encode: ${e.report.message}`);
      return "trap";
    }
    if (m2 !== m) return this.unstable(`encode(decode(encode(x))) has ${m2} bytes, encode(x) ${m}`);
    const o = this.outPtr;
    for (let k = 0; k < m; k++) {
      if (mem[o + k] !== mem[inPtr + k]) return this.unstable(`encode(decode(encode(x))) differs from encode(x) at byte ${k}`);
    }
    // byte-identical to the original (reserved fields and padding were zero)?
    const off = this.mode === MODE_4500 ? 4 : 0;
    let same = true;
    for (let k = 0; k < m; k++) {
      if (mem[inPtr + k] !== cur[off + k]) {
        same = false;
        break;
      }
    }
    if (same) this.stats.identical++;
    return "accepted";
  }

  private fail(kind: FailKind, reason: string): void {
    const bytes = this.cur.slice(0, Math.min(Math.max(this.len, 0), abi.IN_CAP));
    const mode: InputMode = { mode: this.mode, version: this.ver, np: this.np };
    const f: Failure = { kind, reason, mode, bytes };
    if (this.failures.length < 1000) this.failures.push(f);
    if (!this.crashDir) return;
    const n = this.written.get(kind) ?? 0;
    if (n >= (this.opts.maxCrashFiles ?? 25)) return;
    this.written.set(kind, n + 1);
    f.file = writeCrash(this.crashDir, kind, bytes, mode, reason);
  }

  // ---- generating inputs -----------------------------------------------------------------------------

  private generate(): void {
    const r = this.rng;
    const m = r.chance(1 / 4000) ? M_FLOOD : PICK[r.below(1024)];
    this.mut = m;
    if (m === M_RANDOM) return this.genRandom();
    const s = this.pickSeed();
    this.load(s);
    switch (m) {
      case M_SEED: break;
      case M_LENGTH: this.mutLength(s); break;
      case M_NEXT: this.mutNext(s); break;
      case M_COUNT: this.mutCount(s); break;
      case M_FIELD: this.mutField(s); break;
      case M_TRUNC: this.mutTruncate(s); break;
      case M_SPLICE: this.mutPayloads(s, 0); break;
      case M_DUP: this.mutPayloads(s, 1); break;
      case M_DROP: this.mutPayloads(s, 2); break;
      case M_REORDER: this.mutPayloads(s, 3); break;
      case M_HEADER: this.mutHeader(s); break;
      case M_BITFLIP: this.bitflip(1 + r.below(8)); break;
      case M_INSDEL: this.insDel(s); break;
      case M_RESIZE: this.mutResize(s); break;
      case M_SUB: this.mutSub(s); break;
      case M_INTERESTING: this.interesting(); break;
      case M_RANDBODY: this.randomBody(s); break;
      case M_FLOOD: this.flood(s); break;
    }
    // stacked havoc on a fraction of the structural mutations
    if (m !== M_SEED && m !== M_FLOOD && r.chance(0.15)) {
      const k = r.below(3);
      if (k === 0) this.bitflip(1 + r.below(3));
      else if (k === 1) this.interesting();
      else this.insDel(s);
    }
    if (this.mode === MODE_500 && r.chance(0.06)) this.to4500();
  }

  private pickSeed(): Seed {
    const r = this.rng;
    return r.chance(0.3) && this.chainSeeds.length ? r.pick(this.chainSeeds) : r.pick(this.dgramSeeds);
  }

  private load(s: Seed): void {
    this.d.set(s.bytes);
    this.len = s.bytes.length;
    const r = this.rng;
    if (s.chain) {
      this.mode = MODE_CHAIN;
      this.ver = s.version;
      this.np = s.np;
      if (r.chance(0.2)) this.np = this.randomType(s.version);
      if (r.chance(0.03)) this.ver = r.chance(0.5) ? 3 - s.version : r.below(256);
    } else {
      this.mode = MODE_500;
      this.ver = s.version;
      this.np = 0;
    }
  }

  private fixHeaderLength(p = 0.9): void {
    if (this.mode !== MODE_CHAIN && this.len >= 28 && this.rng.chance(p)) put32(this.d, 24, this.len);
  }

  private randomType(version: number): number {
    const r = this.rng;
    switch (r.below(8)) {
      case 0: return 0;
      case 1: case 2: return r.pick(V1_TYPES);
      case 3: return r.below(256);
      default: return version === 1 ? r.pick(V1_TYPES) : r.pick(V2_TYPES);
    }
  }

  private field(s: Seed, role: number): number {
    const l = s.byRole[role];
    return l.length ? l[this.rng.below(l.length)] : -1;
  }

  private mutLength(s: Seed): void {
    const i = this.field(s, R_LEN16);
    if (i < 0) return this.mutHeader(s);
    const r = this.rng;
    const off = s.rec[i + 1];
    const st = s.rec[i + 2];
    const cend = s.rec[i + 3];
    const v = be16(this.d, off);
    let nv: number;
    switch (r.below(14)) {
      case 0: nv = v + 1; break;
      case 1: nv = v - 1; break;
      case 2: nv = 0; break;
      case 3: nv = 3; break;
      case 4: nv = 4; break;
      case 5: nv = 0xffff; break;
      case 6: nv = r.below(0x10000); break;
      case 7: nv = cend - st; break;
      case 8: nv = cend - st + 1; break;
      case 9: nv = cend - st - 1; break;
      case 10: nv = 7 + r.below(3); break;
      case 11: nv = v + r.below(17) - 8; break;
      case 12: nv = v * 2; break;
      default: nv = v ^ (1 << r.below(16));
    }
    put16(this.d, off, nv);
  }

  private mutNext(s: Seed): void {
    const r = this.rng;
    const i = this.field(s, R_NP);
    const version = s.version;
    let off = -1;
    let next = -1; // the payload the byte names (its critical bit is at next + 1)
    if (i >= 0) {
      off = s.rec[i + 1];
      next = s.rec[i + 2];
    } else if (s.chain) {
      next = 0;
    } else return this.mutHeader(s);
    let t: number;
    const k = r.below(6);
    if (k === 0) t = 0;
    else if (k <= 2) t = r.chance(0.5) ? r.pick(V2_TYPES) : r.pick(V1_TYPES);
    else if (k === 3) t = version === 2 ? r.pick(V2_TYPES) : r.pick(V1_TYPES);
    else {
      // an unknown type, with or without the critical bit
      t = version === 2 ? (r.chance(0.5) ? 1 + r.below(32) : 55 + r.below(201)) : 22 + r.below(108);
      if (next >= 0 && next + 1 < this.len) this.d[next + 1] = r.chance(0.5) ? this.d[next + 1] | 0x80 : this.d[next + 1] & 0x7f;
    }
    if (off < 0) this.np = t;
    else this.d[off] = t;
  }

  private mutCount(s: Seed): void {
    const r = this.rng;
    const roles = [R_COUNT8, R_COUNT16, R_SPI, R_NUM, R_LAST];
    let i = -1;
    for (let k = 0; k < 4 && i < 0; k++) i = this.field(s, roles[r.below(roles.length)]);
    if (i < 0) return this.mutLength(s);
    const role = s.rec[i];
    const off = s.rec[i + 1];
    const d = this.d;
    if (role === R_COUNT16) {
      const v = be16(d, off);
      put16(d, off, r.pick([v + 1, v - 1, 0, 1, 0xffff, r.below(0x10000), v * 2]));
    } else if (role === R_LAST) {
      d[off] = r.pick([0, s.rec[i + 4], 2, 3, 1, r.below(256)]);
    } else {
      const v = d[off];
      d[off] = r.pick([v + 1, v - 1, 0, 1, 255, r.below(256), 4, 8, 16]) & 255;
    }
  }

  private mutField(s: Seed): void {
    const r = this.rng;
    const roles = [R_TYPE8, R_TYPE16, R_U32, R_CRIT];
    let i = -1;
    for (let k = 0; k < 4 && i < 0; k++) i = this.field(s, roles[r.below(roles.length)]);
    if (i < 0) return this.interesting();
    const role = s.rec[i];
    const off = s.rec[i + 1];
    const d = this.d;
    if (role === R_TYPE16) {
      const v = be16(d, off);
      put16(d, off, r.pick([v ^ 0x8000, 0, 0xffff, r.below(0x10000), v + 1, r.pick(INTERESTING16)]));
    } else if (role === R_U32) {
      if (off + 4 <= this.len) put32(d, off, r.pick([0, 1, 2, 3, 0xffffffff, r.next(), be32(d, off) ^ (1 << r.below(32))]));
    } else if (role === R_CRIT) {
      d[off] = r.pick([d[off] ^ 0x80, 0x7f, 0xff, 1, r.below(256)]);
    } else {
      d[off] = r.chance(0.5) ? r.pick(INTERESTING8) : r.below(256);
    }
  }

  private mutTruncate(s: Seed): void {
    const r = this.rng;
    let at: number;
    if (s.bounds.length && r.chance(0.85)) at = s.bounds[r.below(s.bounds.length)] + r.pick([-1, 0, 0, 0, 1, -2, 2, -4, 4]);
    else at = r.below(this.len + 1);
    this.len = Math.max(0, Math.min(this.len, at));
    this.fixHeaderLength(0.8);
  }

  // Payload-level edits: 0 splice from another seed, 1 duplicate, 2 drop, 3 reorder.
  // The next-payload chain and the header length are rewritten to fit (mostly).
  private mutPayloads(s: Seed, op: number): void {
    const r = this.rng;
    const S = this.slots;
    const np = s.pay.length / 3;
    const max = S.length / 4 - 4;
    let k = 0;
    const idx = this.seedIndex.get(s) ?? 0;
    for (let i = 0; i < np && k < max; i++, k++) {
      S[k * 4] = idx;
      S[k * 4 + 1] = s.pay[i * 3];
      S[k * 4 + 2] = s.pay[i * 3 + 1];
      S[k * 4 + 3] = s.pay[i * 3 + 2];
    }
    const at = (n: number) => r.below(n);
    switch (op) {
      case 0: {
        const pool = r.chance(0.8) ? (s.version === 1 ? this.v1 : this.v2) : this.seeds;
        const donor = r.pick(pool);
        const dn = donor.pay.length / 3;
        if (dn === 0) break;
        const j = r.below(dn);
        const pos = at(k + 1);
        const replace = pos < k && r.chance(0.4);
        if (!replace) {
          S.copyWithin((pos + 1) * 4, pos * 4, k * 4);
          k++;
        }
        S[pos * 4] = this.seedIndex.get(donor) ?? 0;
        S[pos * 4 + 1] = donor.pay[j * 3];
        S[pos * 4 + 2] = donor.pay[j * 3 + 1];
        S[pos * 4 + 3] = donor.pay[j * 3 + 2];
        break;
      }
      case 1: {
        if (k === 0) break;
        const i = at(k);
        const times = r.chance(0.8) ? 1 : 1 + r.below(40);
        for (let t = 0; t < times && k < max; t++) {
          S.copyWithin((i + 1) * 4, i * 4, k * 4);
          k++;
        }
        break;
      }
      case 2: {
        if (k === 0) break;
        const i = at(k);
        S.copyWithin(i * 4, (i + 1) * 4, k * 4);
        k--;
        break;
      }
      case 3: {
        if (k < 2) break;
        const i = at(k);
        let j = at(k - 1);
        if (j >= i) j++;
        for (let w = 0; w < 4; w++) {
          const t = S[i * 4 + w];
          S[i * 4 + w] = S[j * 4 + w];
          S[j * 4 + w] = t;
        }
        break;
      }
    }
    this.writePayloads(s, k, r.chance(0.9));
  }

  private writePayloads(s: Seed, k: number, fixChain: boolean): void {
    const d = this.d;
    const S = this.slots;
    let pos = s.start;
    for (let i = 0; i < k; i++) {
      const src = this.seeds[S[i * 4]].bytes;
      const off = S[i * 4 + 1];
      const l = S[i * 4 + 2];
      if (pos + l > abi.IN_CAP - 64) {
        k = i;
        break;
      }
      d.set(src.subarray(off, off + l), pos);
      if (fixChain) {
        const t = S[i * 4 + 3];
        const last = i + 1 === k;
        if (!(last && s.version === 2 && (t === 46 || t === 53))) d[pos] = last ? 0 : S[(i + 1) * 4 + 3];
      }
      pos += l;
    }
    // what followed the payloads (IKEv1 padding, trailing bytes)
    const tail = s.bytes.length - s.payEnd;
    if (tail > 0 && pos + tail <= abi.IN_CAP) {
      d.set(s.bytes.subarray(s.payEnd), pos);
      pos += tail;
    }
    this.len = pos;
    if (fixChain) {
      const first = k > 0 ? S[3] : 0;
      if (s.chain) this.np = first;
      else d[16] = first;
    }
    this.fixHeaderLength();
  }

  private mutHeader(s: Seed): void {
    const r = this.rng;
    const d = this.d;
    if (this.mode === MODE_CHAIN) {
      // a chain has no header: its version and first payload type are the arguments
      if (r.chance(0.5)) this.np = this.randomType(this.ver);
      else this.ver = r.chance(0.7) ? 3 - s.version : r.below(256);
      return;
    }
    if (this.len < 28) return this.bitflip(2);
    switch (r.below(10)) {
      case 0: d[17] = (r.below(16) << 4) | (d[17] & 15); break; // major
      case 1: d[17] = (d[17] & 0xf0) | r.below(16); break; // minor
      case 2: d[17] = r.pick([0x10, 0x20, 0x21, 0x2f, 0x30, 0x00, 0xf0, 0x1f]); break;
      case 3: put32(d, 24, this.len + r.pick([-1, 1, -4, 4, -28, 28])); break;
      case 4: put32(d, 24, r.pick([0, 27, 28, 29, 0xffffffff, r.next(), 0x80000000 + this.len])); break;
      case 5: d[18] = r.chance(0.7) ? r.pick(EXCHANGES) : r.below(256); break;
      case 6: d[19] = r.chance(0.5) ? d[19] ^ (1 << r.below(8)) : r.below(256); break;
      case 7: d[16] = this.randomType(s.version); break;
      case 8: for (let k = 0; k < 8; k++) d[r.below(24)] = r.below(256); break; // SPIs, message ID
      default: this.len = r.below(28); break;
    }
  }

  private bitflip(k: number): void {
    const r = this.rng;
    if (this.len === 0) return;
    for (let i = 0; i < k; i++) {
      const at = r.chance(0.3) ? r.below(Math.min(this.len, 64)) : r.below(this.len);
      this.d[at] ^= 1 << r.below(8);
    }
  }

  private interesting(): void {
    const r = this.rng;
    const d = this.d;
    if (this.len < 4) return this.bitflip(1);
    const at = r.below(this.len - 3);
    switch (r.below(3)) {
      case 0: d[at] = r.pick(INTERESTING8); break;
      case 1: put16(d, at, r.pick(INTERESTING16)); break;
      default: put32(d, at, r.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, this.len, this.len - 28, 0x10000])); break;
    }
  }

  private insDel(s: Seed): void {
    const r = this.rng;
    const d = this.d;
    const len = this.len;
    const at = r.below(len + 1);
    if (r.chance(0.5) || len === 0) {
      const k = Math.min(1 + r.below(r.chance(0.8) ? 8 : 64), abi.IN_CAP - len);
      d.copyWithin(at + k, at, len);
      const copy = r.chance(0.3) && len > k;
      const from = copy ? r.below(len - k) : 0;
      for (let i = 0; i < k; i++) d[at + i] = copy ? d[from + i < at ? from + i : from + i + k] : r.below(256);
      this.len = len + k;
    } else {
      const k = Math.min(1 + r.below(r.chance(0.8) ? 8 : 64), len - at);
      d.copyWithin(at, at + k, len);
      this.len = len - k;
    }
    if (s.start > 0) this.fixHeaderLength(0.6);
  }

  // Inserts k bytes at `at` (random, or `times` copies of the k/times bytes at `from` < at), or
  // deletes -k bytes there when k < 0.
  private shift(at: number, k: number, from = -1, times = 1): boolean {
    const d = this.d;
    const len = this.len;
    if (k > 0) {
      if (len + k > abi.IN_CAP) return false;
      d.copyWithin(at + k, at, len);
      const unit = k / times;
      if (from >= 0) for (let t = 0; t < times; t++) d.copyWithin(at + t * unit, from, from + unit);
      else for (let i = 0; i < k; i++) d[at + i] = this.rng.below(256);
    } else {
      d.copyWithin(at, at - k, len);
    }
    this.len = len + k;
    return true;
  }

  // After shift(at, k): adjusts every length that encloses the spot (as the seed had it), except
  // that of the structure starting at `skip`, and mostly the header's.
  private adjust(s: Seed, at: number, k: number, skip: number): void {
    const d = this.d;
    const l16 = s.byRole[R_LEN16];
    const src = s.bytes;
    for (let j = 0; j < l16.length; j++) {
      const i = l16[j];
      const st = s.rec[i + 2];
      if (st === skip) continue;
      const L = (src[s.rec[i + 1]] << 8) | src[s.rec[i + 1] + 1];
      const inside = k > 0 ? st + 4 <= at && at <= st + L : st + 4 <= at && at - k <= st + L;
      if (inside) put16(d, s.rec[i + 1], L + k);
    }
    if (s.start > 0) this.fixHeaderLength(0.95);
  }

  private resize(s: Seed, at: number, k: number): void {
    if (this.shift(at, k)) this.adjust(s, at, k, -1);
  }

  // Grows or shrinks the data of one structure, keeping every enclosing length right.
  private mutResize(s: Seed): void {
    const r = this.rng;
    const i = this.field(s, R_LEN16);
    if (i < 0) return this.insDel(s);
    const st = s.rec[i + 2];
    const L = be16(s.bytes, s.rec[i + 1]);
    if (L < 4 || st + L > s.bytes.length) return this.mutLength(s);
    const end = st + L;
    const pickK = () => r.pick([1, 2, 3, 4, 8, 16, 1 + r.below(64), 1 + r.below(300)]);
    if (r.chance(0.5)) {
      const at = r.chance(0.7) ? end : st + 4 + r.below(L - 3);
      this.resize(s, at, pickK());
    } else {
      const room = L - 4;
      if (room <= 0) return this.resize(s, end, pickK());
      const k = Math.min(room, pickK());
      const at = r.chance(0.6) ? end - k : st + 4 + r.below(room - k + 1);
      this.resize(s, at, -k);
    }
  }

  // Duplicates or drops one substructure (proposal, transform, attribute, TS, CP attribute),
  // fixing enclosing lengths, the parent's count and the last-substructure bytes (mostly).
  private mutSub(s: Seed): void {
    const r = this.rng;
    const n = s.subs.length / 6;
    if (n === 0) return this.mutPayloads(s, 1);
    const j = r.below(n) * 6;
    const st = s.subs[j];
    const L = s.subs[j + 1];
    const more = s.subs[j + 2];
    const countOff = s.subs[j + 3];
    const prev = s.subs[j + 4];
    const fix = r.chance(0.9);
    const d = this.d;
    if (r.chance(0.6)) {
      const times = r.chance(0.85) ? 1 : 2 + r.below(30);
      if (!this.shift(st + L, L * times, st, times)) return;
      this.adjust(s, st + L, L * times, st);
      if (fix) {
        if (more) for (let t = 0; t < times; t++) d[st + t * L] = more;
        if (countOff >= 0) d[countOff] = (s.bytes[countOff] + times) & 255;
      }
    } else {
      this.resize(s, st + L, -L);
      if (fix) {
        if (more && s.bytes[st] === 0 && prev >= 0) d[prev] = 0;
        if (countOff >= 0) d[countOff] = (s.bytes[countOff] - 1) & 255;
      }
    }
  }

  private genRandom(): void {
    const r = this.rng;
    const len = r.below(2001);
    const d = this.d;
    for (let i = 0; i < len; i += 4) {
      const v = r.next();
      d[i] = v;
      d[i + 1] = v >>> 8;
      d[i + 2] = v >>> 16;
      d[i + 3] = v >>> 24;
    }
    this.len = len;
    const k = r.below(10);
    this.mode = k < 7 ? MODE_500 : k < 9 ? MODE_CHAIN : MODE_4500;
    this.ver = 1 + r.below(2);
    this.np = this.randomType(this.ver);
    if (this.mode === MODE_4500 && len >= 4 && r.chance(0.7)) put32(d, 0, 0);
  }

  // A valid header (from a seed) followed by random bytes.
  private randomBody(s: Seed): void {
    const r = this.rng;
    if (s.chain || s.bytes.length < 28) return this.genRandom();
    const d = this.d;
    const blen = r.below(2001);
    for (let i = 0; i < blen; i++) d[28 + i] = r.below(256);
    this.len = 28 + blen;
    if (r.chance(0.5)) d[16] = this.randomType(s.version);
    if (r.chance(0.5) && blen >= 4) {
      // a generic payload header that fits, at least
      d[28] = r.chance(0.5) ? 0 : this.randomType(s.version);
      d[29] &= 0x7f;
      put16(d, 30, blen);
    }
    this.fixHeaderLength(0.9);
  }

  // Inputs at the limits: a message with one node more or less than the tape holds (small
  // payloads, or attributes filling an SA and a CP), a message of exactly IN_CAP bytes, and
  // lengths out of range in the call itself.
  private flood(s: Seed): void {
    const r = this.rng;
    const d = this.d;
    const kind = r.below(4);
    const v2 = kind !== 0 || (s.chain ? s.version === 2 : r.chance(0.5));
    const hdr = r.pick(v2 ? this.v2 : this.v1);
    if (kind === 3) {
      this.len = r.pick([abi.IN_CAP + 1, -1, 0x7fffffff, -0x80000000, abi.IN_CAP * 2]);
      const k = r.below(3);
      this.mode = k === 0 ? MODE_500 : k === 1 ? MODE_4500 : MODE_CHAIN;
      return;
    }
    this.mode = MODE_500;
    if (hdr.chain || hdr.bytes.length < 28) d.set(this.v2.find((x) => !x.chain)!.bytes.subarray(0, 28));
    else d.set(hdr.bytes.subarray(0, 28));
    d[17] = v2 ? 0x20 : 0x10;
    d[19] &= 0xfe;
    const target = abi.TAPE_NODES + r.pick([-1, 0, 0, 1, 2]);
    let p = 28;
    const gen = (at: number, np: number, len: number) => {
      d[at] = np;
      d[at + 1] = 0;
      put16(d, at + 2, len);
    };
    if (kind === 0) {
      // header + (target - 1) payloads of 4 bytes
      const t = v2 ? 200 : 13; // an unknown non-critical IKEv2 payload / an empty IKEv1 Vendor ID
      const count = target - 1;
      d[16] = t;
      for (let i = 0; i < count; i++, p += 4) gen(p, i + 1 < count ? t : 0, 4);
    } else if (kind === 1) {
      // header + SA(prop(xform(a attributes))) + CP(c attributes) = 5 + a + c nodes
      const lo = Math.max(0, target - 5 - 16381);
      const hi = Math.min(16376, target - 5);
      const a = lo + r.below(hi - lo + 1);
      const c = target - 5 - a;
      const saFirst = r.chance(0.5);
      const sa = () => {
        gen(p, saFirst ? 47 : 0, 4 + 16 + 4 * a);
        d.set([0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 12], p + 4);
        put16(d, p + 6, 16 + 4 * a);
        put16(d, p + 14, 8 + 4 * a);
        p += 20;
        for (let i = 0; i < a; i++, p += 4) put32(d, p, 0x800e0100);
      };
      const cp = () => {
        gen(p, saFirst ? 0 : 33, 8 + 4 * c);
        put32(d, p + 4, 0x01000000);
        p += 8;
        for (let i = 0; i < c; i++, p += 4) put32(d, p, (1 + (i & 15)) << 16);
      };
      d[16] = saFirst ? 33 : 47;
      if (saFirst) {
        sa();
        cp();
      } else {
        cp();
        sa();
      }
    } else {
      // exactly IN_CAP bytes: two big unknown payloads
      d[16] = 200;
      gen(28, 201, 65535);
      gen(28 + 65535, 0, abi.IN_CAP - 28 - 65535);
      for (let i = 32; i < abi.IN_CAP; i++) d[i] = i & 255;
      d[28 + 65535] = 0;
      d[28 + 65536] = 0;
      put16(d, 28 + 65537, abi.IN_CAP - 28 - 65535);
      p = abi.IN_CAP;
    }
    this.len = p;
    put32(d, 24, p);
  }

  // The same datagram as it arrives on port 4500: the non-ESP marker first (or not quite).
  private to4500(): void {
    const r = this.rng;
    const d = this.d;
    const len = this.len;
    if (len + 4 > abi.IN_CAP) return;
    d.copyWithin(4, 0, len);
    const k = r.below(20);
    put32(d, 0, k < 17 ? 0 : r.next() | 1);
    this.len = k === 19 ? r.below(5) : len + 4;
    if (k === 18) {
      d[0] = 0xff;
      this.len = 1;
    }
    this.mode = MODE_4500;
  }
}

const AB: [number, number][] = [[abi.N_APTR, abi.N_ALEN], [abi.N_BPTR, abi.N_BLEN]];

function be16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}
function be32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}
function put16(d: Uint8Array, o: number, v: number): void {
  d[o] = (v >>> 8) & 255;
  d[o + 1] = v & 255;
}
function put32(d: Uint8Array, o: number, v: number): void {
  d[o] = (v >>> 24) & 255;
  d[o + 1] = (v >>> 16) & 255;
  d[o + 2] = (v >>> 8) & 255;
  d[o + 3] = v & 255;
}

// ---- crash files ---------------------------------------------------------------------------------------

export function describeMode(m: InputMode): string {
  if (m.mode === MODE_CHAIN) return `mode=chain v=${m.version} np=${m.np}`;
  return m.mode === MODE_4500 ? "mode=port4500" : "mode=port500";
}

export function parseMode(line: string): InputMode {
  const c = /mode=chain v=(\d+) np=(\d+)/.exec(line);
  if (c) return { mode: MODE_CHAIN, version: Number(c[1]), np: Number(c[2]) };
  return { mode: /mode=port4500/.test(line) ? MODE_4500 : MODE_500, version: 2, np: 0 };
}

// test/fuzz/crashes/<kind>-<sha256 prefix>.bin and .txt ("mode=...: reason", one line).
export function writeCrash(dir: string, kind: FailKind, bytes: Uint8Array, mode: InputMode, reason: string): string {
  mkdirSync(dir, { recursive: true });
  const h = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const base = join(dir, `${kind}-${h}`);
  if (!existsSync(`${base}.bin`)) {
    writeFileSync(`${base}.tmp`, bytes);
    renameSync(`${base}.tmp`, `${base}.bin`);
    writeFileSync(`${base}.txt`, `${describeMode(mode)}: ${reason.replace(/\s+/g, " ")}\n`);
  }
  return `${base}.bin`;
}

export function readCrash(bin: string): { bytes: Uint8Array; mode: InputMode; line: string } {
  const txt = bin.replace(/\.bin$/, ".txt");
  const line = existsSync(txt) ? readFileSync(txt, "utf8").split("\n")[0] : "";
  return { bytes: new Uint8Array(readFileSync(bin)), mode: parseMode(line), line };
}
