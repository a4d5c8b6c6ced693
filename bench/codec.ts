// `npm run bench -- codec`: decode and encode rates of the Wasm codec on one core, beside the
// rate of a plain copy of the same bytes into the module (the reference for every ratio).
import { readFileSync, readdirSync } from "node:fs";
import * as abi from "../core/abi.ts";
import type { Wire, WireNode } from "../hosts/wire.ts";
import { readCapture } from "../hosts/pcap.ts";
import { type Emit, rate } from "./util.ts";

const node = (kind: number, ptype: number, f: number[], children: WireNode[] = [], a?: Uint8Array, b?: Uint8Array): WireNode =>
  ({ kind, ptype, off: 0, len: 0, f, children, a, b });

// HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
// N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS)  -->
// with three proposals as a strongSwan or Libreswan initiator offers them by default.
export function typicalIkeSaInit(wire: Wire): Uint8Array {
  const x = (type: number, id: number, keylen?: number) =>
    node(abi.K_V2_XFORM, 0, [type, id], keylen ? [node(abi.K_ATTR, 0, [14, 1, keylen])] : []);
  const prop = (num: number, xs: WireNode[]) => node(abi.K_V2_PROP, 0, [num, 1], xs, new Uint8Array(0));
  const groups = [x(4, 31), x(4, 19), x(4, 20), x(4, 14)];
  const sa = node(abi.K_V2_SA, abi.PT2_SA, [0], [
    prop(1, [x(1, 20, 256), x(1, 20, 128), x(2, 5), x(2, 6), x(2, 7), ...groups]),
    prop(2, [x(1, 12, 256), x(1, 12, 128), x(2, 5), x(2, 6), x(3, 12), x(3, 13), x(3, 14), ...groups]),
    prop(3, [x(1, 28), x(2, 5), x(2, 7), ...groups]),
  ]);
  const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
  const notify = (type: number, data: Uint8Array) => node(abi.K_V2_NOTIFY, abi.PT2_N, [0, 0, type], [], new Uint8Array(0), data);
  const msg = node(abi.K_V2_HDR, 0, [0, 2, 0, 34, 8, 0], [
    sa,
    node(abi.K_V2_KE, abi.PT2_KE, [0, 31], [], fill(32, 0x25)),
    node(abi.K_V2_NONCE, abi.PT2_NONCE, [0], [], fill(32, 0x4e)),
    notify(16388, fill(20, 0x5a)),
    notify(16389, fill(20, 0xa5)),
    notify(16430, new Uint8Array(0)),
    notify(16431, new Uint8Array([0, 2, 0, 3, 0, 4])),
  ], fill(8, 0x11), fill(8, 0));
  const e = wire.encode(msg);
  if (!e.ok) throw new Error(e.error.message);
  return e.bytes;
}

export function corpusMessages(dir: URL): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".pcap"))) {
    for (const p of readCapture(readFileSync(new URL(f, dir))).packets) {
      if (p.sport === 500 || p.dport === 500) out.push(p.payload);
      else if ((p.sport === 4500 || p.dport === 4500) && p.payload.length > 4 && !(p.payload[0] | p.payload[1] | p.payload[2] | p.payload[3])) out.push(p.payload.subarray(4));
    }
  }
  return out;
}

export function benchCodec(wire: Wire, emit: Emit, corpusDir: URL): void {
  const core = wire.core;
  const decodeFn = core.exports.wireDecode;
  const encodeFn = core.exports.wireEncode;
  const mem = () => core.bytes;
  const inPtr = core.inPtr;

  // Each measured operation copies the message into IN first, as the daemon does for each
  // datagram; the reference is that copy alone.
  const run = (name: string, msgs: Uint8Array[]) => {
    const bytes = msgs.reduce((s, m) => s + m.length, 0);
    const counts = msgs.map((m) => {
      mem().set(m, inPtr);
      const n = decodeFn(m.length, 0);
      if (n < 0) throw new Error(`${name}: a benchmark message does not decode`);
      return n;
    });
    const copy = rate(() => {
      const b = mem();
      for (const m of msgs) b.set(m, inPtr);
    });
    const decode = rate(() => {
      const b = mem();
      for (const m of msgs) {
        b.set(m, inPtr);
        decodeFn(m.length, 0);
      }
    });
    const encode = rate(() => {
      const b = mem();
      for (let i = 0; i < msgs.length; i++) {
        b.set(msgs[i], inPtr);
        decodeFn(msgs[i].length, 0);
        encodeFn(counts[i]);
      }
    });
    const perMsg = msgs.length;
    const decodePerS = decode * perMsg;
    // decode+encode minus decode: the encoder's own time per message
    const encodePerS = 1 / (1 / (encode * perMsg) - 1 / decodePerS);
    emit(name + "_copy_per_s", copy * perMsg, "msg/s");
    emit(name + "_decode_per_s", decodePerS, "msg/s");
    emit(name + "_decode_mb_s", (decode * bytes) / 1e6, "MB/s");
    emit(name + "_encode_per_s", encodePerS, "msg/s");
    emit(name + "_encode_mb_s", (encodePerS * bytes) / perMsg / 1e6, "MB/s");
    emit(name + "_decode_vs_copy", decode / copy, "ratio");
  };
  const init = typicalIkeSaInit(wire);
  emit("ike_sa_init_bytes", init.length, "bytes");
  run("ike_sa_init", [init]);
  const corpus = corpusMessages(corpusDir);
  emit("corpus_messages", corpus.length, "msg");
  run("corpus", corpus);
  void abi;
}
