// The wire codec as hosts and tests use it: decode a datagram into a tree of WireNodes, encode
// a tree back to bytes, and explain errors in words. The work happens in core.wasm; this file
// only moves bytes and tape records across and looks up names.
import * as abi from "../core/abi.ts";
import { Core } from "./core.ts";

export interface WireNode {
  kind: number; // abi.K_*
  ptype: number; // payload type on the wire (0 for substructures)
  off: number; // offset in the message (decoded nodes only)
  len: number; // length on the wire (decoded nodes only)
  f: number[]; // the kind's fields f0..f6 (see describe())
  a?: Uint8Array;
  b?: Uint8Array;
  children: WireNode[];
}

export interface WireError {
  code: number;
  kind: number;
  ptype: number;
  field: number;
  offset: number;
  value: number;
  limit: number;
  notify: number; // the notify a responder would answer with (0: none)
  version: number;
  message: string; // one sentence a user can act on
}

export type Decoded = { ok: true; msg: WireNode } | { ok: false; error: WireError };
export type Encoded = { ok: true; bytes: Uint8Array } | { ok: false; error: WireError };

export interface KindDesc {
  fields: [string, number][];
  a: string | null;
  b: string | null;
}

export class Wire {
  private descs = new Map<number, KindDesc>();
  private names = new Map<number, string>();

  constructor(readonly core: Core) {}

  static async load(bytes: BufferSource | WebAssembly.Module): Promise<Wire> {
    return new Wire(await Core.load(bytes));
  }

  // Decodes one datagram. port4500: the datagram came to port 4500 (non-ESP marker expected).
  decode(bytes: Uint8Array, opts: { port4500?: boolean } = {}): Decoded {
    if (bytes.length > abi.IN_CAP) return { ok: false, error: this.tooBig(bytes.length) };
    this.core.setInput(bytes);
    const n = this.core.call("wireDecode", bytes.length, opts.port4500 ? abi.DECODE_PORT4500 : 0);
    if (n < 0) return { ok: false, error: this.error() };
    return { ok: true, msg: this.readTape(n) };
  }

  // Decodes a decrypted payload chain whose first payload type is np.
  decodeChain(version: 1 | 2, np: number, bytes: Uint8Array): Decoded {
    if (bytes.length > abi.IN_CAP) return { ok: false, error: this.tooBig(bytes.length) };
    this.core.setInput(bytes);
    const n = this.core.call("wireDecodeChain", version, np, bytes.length);
    if (n < 0) return { ok: false, error: this.error() };
    return { ok: true, msg: this.readTape(n) };
  }

  // Encodes a tree (a message rooted at a header, or a chain); lengths, next-payload fields,
  // counts and SPI sizes are computed by the encoder.
  encode(root: WireNode): Encoded {
    const nodes: WireNode[] = [];
    const flat = (n: WireNode) => {
      nodes.push(n);
      n.children.forEach(flat);
    };
    flat(root);
    if (nodes.length > abi.TAPE_NODES) return { ok: false, error: this.localError(`${nodes.length} nodes exceed the tape's ${abi.TAPE_NODES}`) };
    let blob = this.core.inPtr;
    const blobEnd = blob + abi.IN_CAP;
    const mem = this.core.bytes;
    const words = this.core.words;
    const ends: number[] = new Array(nodes.length);
    const endOf = (n: WireNode, i: number): number => {
      let j = i + 1;
      for (const c of n.children) j = endOf(c, j);
      ends[i] = j;
      return j;
    };
    endOf(root, 0);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const w = this.core.node(i);
      words.fill(0, w, w + abi.NODE_WORDS);
      words[w + abi.N_KIND] = n.kind;
      words[w + abi.N_PTYPE] = n.ptype;
      words[w + abi.N_END] = ends[i];
      for (let k = 0; k < abi.N_FIELDS; k++) words[w + abi.N_F0 + k] = (n.f[k] ?? 0) >>> 0;
      for (const [data, pw, lw] of [[n.a, abi.N_APTR, abi.N_ALEN], [n.b, abi.N_BPTR, abi.N_BLEN]] as const) {
        if (!data) continue;
        if (blob + data.length > blobEnd) return { ok: false, error: this.localError("message data exceeds the input buffer") };
        mem.set(data, blob);
        words[w + pw] = blob;
        words[w + lw] = data.length;
        blob += data.length;
      }
    }
    const len = this.core.call("wireEncode", nodes.length);
    if (len < 0) return { ok: false, error: this.error() };
    return { ok: true, bytes: this.core.out(len).slice() };
  }

  // Decodes without building a tree (benchmarks, fuzzing): node count or -1.
  decodeCount(bytes: Uint8Array, flags = 0): number {
    this.core.setInput(bytes);
    return this.core.call("wireDecode", bytes.length, flags);
  }

  // Re-encodes what the last decode left on the tape (n nodes); the byte count or -1.
  reencodeTape(n: number): number {
    return this.core.call("wireEncode", n);
  }

  classify4500(bytes: Uint8Array): number {
    this.core.setInput(bytes.subarray(0, Math.min(bytes.length, 8)));
    return this.core.call("wireClassify4500", bytes.length);
  }

  describe(kind: number): KindDesc {
    let d = this.descs.get(kind);
    if (!d) {
      const n = this.core.call("wireDescribe", kind);
      d = n > 0 ? (JSON.parse(this.core.text(n)) as KindDesc) : { fields: [], a: null, b: null };
      this.descs.set(kind, d);
    }
    return d;
  }

  // The printable name of a value in one of core/names' registries ("" if it has none).
  name(reg: number, value: number): string {
    const key = reg * 0x100000000 + (value >>> 0);
    let s = this.names.get(key);
    if (s === undefined) {
      s = this.text("nameOf", reg, value);
      this.names.set(key, s);
    }
    return s;
  }
  transformIdName(type: number, id: number): string {
    return this.text("transformIdName", type, id);
  }
  v1TransformIdName(protocol: number, id: number): string {
    return this.text("v1TransformIdName", protocol, id);
  }
  v1AttrValueName(phase: number, type: number, value: number): string {
    return this.text("v1AttrValueName", phase, type, value);
  }
  kindName(kind: number): string {
    return this.name(abi.REG_KIND, kind) || `kind ${kind}`;
  }

  private text(fn: "nameOf" | "transformIdName" | "v1TransformIdName" | "v1AttrValueName", ...args: number[]): string {
    if (typeof this.core.exports[fn] !== "function") return "";
    const n = this.core.call(fn, ...args);
    return n > 0 ? this.core.text(n) : "";
  }

  private readTape(n: number): WireNode {
    const words = this.core.words;
    const mem = this.core.bytes;
    const nodes: WireNode[] = new Array(n);
    const stack: number[] = [];
    for (let i = 0; i < n; i++) {
      const w = this.core.node(i);
      const node: WireNode = {
        kind: words[w + abi.N_KIND],
        ptype: words[w + abi.N_PTYPE],
        off: words[w + abi.N_OFF],
        len: words[w + abi.N_LEN],
        f: Array.from(words.subarray(w + abi.N_F0, w + abi.N_F0 + abi.N_FIELDS)),
        children: [],
      };
      const d = this.describe(node.kind);
      if (d.a !== null) node.a = mem.slice(words[w + abi.N_APTR], words[w + abi.N_APTR] + words[w + abi.N_ALEN]);
      if (d.b !== null) node.b = mem.slice(words[w + abi.N_BPTR], words[w + abi.N_BPTR] + words[w + abi.N_BLEN]);
      nodes[i] = node;
      while (stack.length && words[this.core.node(stack[stack.length - 1]) + abi.N_END] <= i) stack.pop();
      if (stack.length) nodes[stack[stack.length - 1]].children.push(node);
      stack.push(i);
    }
    return nodes[0];
  }

  private error(): WireError {
    const c = this.core;
    const e: WireError = {
      code: c.call("errCode"),
      kind: c.call("errKind"),
      ptype: c.call("errPtype"),
      field: c.call("errField"),
      offset: c.call("errOffset"),
      value: c.call("errValue") >>> 0,
      limit: c.call("errLimit") >>> 0,
      notify: c.call("errNotify"),
      version: 2,
      message: "",
    };
    e.version = e.code === abi.E_ENCODE ? (e.kind >= abi.K_V1_HDR ? 1 : 2) : c.call("errVersion");
    e.message = this.explain(e);
    return e;
  }

  private tooBig(len: number): WireError {
    return this.localError(`datagram of ${len} bytes exceeds the ${abi.IN_CAP}-byte input buffer`);
  }

  private localError(message: string): WireError {
    return { code: abi.E_LIMIT, kind: 0, ptype: 0, field: -1, offset: 0, value: 0, limit: 0, notify: 0, version: 2, message };
  }

  fieldName(kind: number, field: number): string {
    const d = this.describe(kind);
    switch (field) {
      case abi.FIELD_NONE: return "";
      case abi.FIELD_NEXT_PAYLOAD: return "next payload";
      case abi.FIELD_LENGTH: return "length";
      case abi.FIELD_A: return d.a ?? "data";
      case abi.FIELD_B: return d.b ?? "data";
      case abi.FIELD_COUNT: return "count";
    }
    return d.fields[field]?.[0]?.replace(/_/g, " ") ?? `field ${field}`;
  }

  // One sentence: what, where, which field, what was found, what was allowed, and the notify.
  explain(e: WireError): string {
    const v = e.version === 1 ? "IKEv1" : "IKEv2";
    const pname = e.ptype ? this.name(e.version === 1 ? abi.REG_PAYLOAD_V1 : abi.REG_PAYLOAD_V2, e.ptype) || `type ${e.ptype}` : "";
    let what = `${v} ${this.kindName(e.kind)}`;
    if (e.kind === abi.K_V2_UNKNOWN || e.kind === abi.K_V1_DATA) what = `${v} payload ${pname}`;
    else if (pname) what += ` (${pname})`;
    const at = `at offset ${e.offset}`;
    const field = this.fieldName(e.kind, e.field);
    const f = field ? ` ${field}` : "";
    let s: string;
    switch (e.code) {
      case abi.E_TRUNCATED: s = `${what} ${at} is truncated: ${e.value} bytes where ${e.limit} are needed`; break;
      case abi.E_LENGTH: s = `${what} ${at}:${f} ${e.value} does not fit (${e.limit} allowed)`; break;
      case abi.E_TRAILING: s = `${what} ${at}: ${e.value} bytes follow the last payload`; break;
      case abi.E_VALUE: s = `${what} ${at}:${f} is ${e.value}, expected ${e.limit}`; break;
      case abi.E_DUPLICATE: s = `${what} ${at} appears more than once`; break;
      case abi.E_CRITICAL: s = `payload type ${e.ptype} ${at} is unknown and marked critical`; break;
      case abi.E_VERSION: s = `major version ${e.value} is not supported`; break;
      case abi.E_PAYLOAD_TYPE: s = `${v} payload type ${e.ptype} ${at} is unknown`; break;
      case abi.E_LIMIT: s = `${what} ${at}: too many structures for one message`; break;
      case abi.E_ORDER: s = `${what} ${at} must be the last payload, outside any encrypted payload`; break;
      case abi.E_ENCODE: s = `cannot encode ${what} (node ${e.offset}):${f} ${e.value} (limit ${e.limit})`; break;
      case abi.E_NOT_IKE: s = e.value === abi.DG_ESP ? "not IKE: ESP on port 4500" : e.value === abi.DG_KEEPALIVE ? "not IKE: NAT keepalive" : `not IKE (${e.value} bytes)`; break;
      default: s = `error ${e.code}`;
    }
    if (e.notify) {
      const n = this.name(e.version === 1 ? abi.REG_NOTIFY_V1 : abi.REG_NOTIFY_V2, e.notify) || `notify ${e.notify}`;
      s += ` (answer: ${n})`;
    }
    return s;
  }
}
