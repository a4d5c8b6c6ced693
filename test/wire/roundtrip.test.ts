// Property tests: for generated IKEv2 and IKEv1 messages, decode(encode(m)) is m, and
// encode(decode(encode(m))) is the same bytes.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as abi from "../../core/abi.ts";
import type { WireNode } from "../../hosts/wire.ts";
import { loadWire } from "../../hosts/node/corefile.ts";

const wire = loadWire();

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bit = fc.integer({ min: 0, max: 1 });

const node = (kind: number, ptype: number, f: number[], children: WireNode[] = [], a?: Uint8Array, b?: Uint8Array): WireNode => {
  const n: WireNode = { kind, ptype, off: 0, len: 0, f: [...f, 0, 0, 0, 0, 0, 0, 0].slice(0, 7), children };
  if (a) n.a = a;
  if (b) n.b = b;
  return n;
};

const attr = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 0x7fff }), u16).map(([t, v]) => node(abi.K_ATTR, 0, [t, 1, v], [], new Uint8Array(0))),
  fc.tuple(fc.integer({ min: 0, max: 0x7fff }), bytes(0, 12)).map(([t, v]) => node(abi.K_ATTR, 0, [t, 0, 0], [], v)),
);

// ---- IKEv2 -----------------------------------------------------------------------------------
const v2Xform = fc.tuple(u8, u16, fc.array(attr, { maxLength: 3 })).map(([t, id, as]) => node(abi.K_V2_XFORM, 0, [t, id], as));
const v2Sa = fc.tuple(bit, fc.array(fc.tuple(u8, bytes(0, 8), fc.array(v2Xform, { maxLength: 6 })), { minLength: 1, maxLength: 4 }))
  .map(([c, ps]) => node(abi.K_V2_SA, abi.PT2_SA, [c], ps.map(([proto, spi, xs], i) => node(abi.K_V2_PROP, 0, [i + 1, proto], xs, spi))));
const v2Id = fc.tuple(fc.constantFrom(abi.PT2_IDI, abi.PT2_IDR), bit, u8, bytes(0, 32)).map(([pt, c, t, d]) =>
  node(abi.K_V2_ID, pt, [c, t], [], t === 1 ? d.slice(0, 4).length === 4 ? d.slice(0, 4) : new Uint8Array(4) : t === 5 ? new Uint8Array(16).fill(d[0] ?? 1) : d));
const ts = fc.oneof(
  fc.tuple(u8, u16, u16, bytes(4, 4), bytes(4, 4)).map(([p, s, e, a, b]) => node(abi.K_V2_TS, 0, [7, p, s, e], [], a, b)),
  fc.tuple(u8, u16, u16, bytes(16, 16), bytes(16, 16)).map(([p, s, e, a, b]) => node(abi.K_V2_TS, 0, [8, p, s, e], [], a, b)),
  fc.tuple(fc.integer({ min: 9, max: 255 }), u8, u16, u16, bytes(0, 16)).map(([t, p, s, e, a]) => node(abi.K_V2_TS, 0, [t, p, s, e], [], a, new Uint8Array(0))),
);
const v2Payload = fc.oneof(
  v2Sa,
  fc.tuple(bit, u16, bytes(0, 64)).map(([c, g, d]) => node(abi.K_V2_KE, abi.PT2_KE, [c, g], [], d)),
  v2Id,
  fc.tuple(fc.constantFrom(abi.PT2_CERT, abi.PT2_CERTREQ), bit, u8, bytes(0, 40)).map(([pt, c, e, d]) => node(abi.K_V2_CERT, pt, [c, e], [], d)),
  fc.tuple(bit, u8, bytes(0, 40)).map(([c, m, d]) => node(abi.K_V2_AUTH, abi.PT2_AUTH, [c, m], [], d)),
  fc.tuple(bit, bytes(16, 64)).map(([c, d]) => node(abi.K_V2_NONCE, abi.PT2_NONCE, [c], [], d)),
  fc.tuple(bit, u8, u16, bytes(0, 8), bytes(0, 32)).map(([c, p, t, s, d]) => node(abi.K_V2_NOTIFY, abi.PT2_N, [c, p, t], [], s, d)),
  fc.tuple(bit, u8, fc.constantFrom(0, 4, 8), fc.integer({ min: 0, max: 4 }), bytes(32, 32)).map(([c, p, size, n, d]) =>
    node(abi.K_V2_DELETE, abi.PT2_D, [c, p, size], [], d.slice(0, size * n))),
  fc.tuple(bit, bytes(0, 32)).map(([c, d]) => node(abi.K_V2_VID, abi.PT2_V, [c], [], d)),
  fc.tuple(fc.constantFrom(abi.PT2_TSI, abi.PT2_TSR), bit, fc.array(ts, { maxLength: 4 })).map(([pt, c, s]) => node(abi.K_V2_TSP, pt, [c], s)),
  fc.tuple(bit, u8, fc.array(fc.tuple(fc.integer({ min: 0, max: 0x7fff }), bytes(0, 20)), { maxLength: 4 })).map(([c, t, as]) =>
    node(abi.K_V2_CP, abi.PT2_CP, [c, t], as.map(([at, v]) => node(abi.K_V2_CPATTR, 0, [at], [], v)))),
  fc.tuple(bit, u8, u8, bytes(0, 30)).map(([c, code, id, d]) => node(abi.K_V2_EAP, abi.PT2_EAP, [c, code, id], [], d)),
  fc.tuple(fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 55, max: 255 })), bytes(0, 20)).map(([pt, d]) => node(abi.K_V2_UNKNOWN, pt, [0], [], d)),
);
const SINGLE_V2 = new Set([abi.PT2_SA, abi.PT2_KE, abi.PT2_IDI, abi.PT2_IDR, abi.PT2_AUTH, abi.PT2_NONCE, abi.PT2_TSI, abi.PT2_TSR, abi.PT2_CP, abi.PT2_EAP]);
const uniq = (single: Set<number>) => (ps: WireNode[]) => ps.filter((p, i) => !single.has(p.ptype) || ps.findIndex((q) => q.ptype === p.ptype) === i);
const v2Encrypted = fc.oneof(
  fc.tuple(bit, u8, bytes(0, 64)).map(([c, np, d]) => node(abi.K_V2_SK, abi.PT2_SK, [c, np], [], d)),
  fc.tuple(bit, u8, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), bytes(0, 64)).map(([c, np, t, k, d]) =>
    node(abi.K_V2_SKF, abi.PT2_SKF, [c, np, 1 + (k % t), t], [], d)),
);
const v2Chain = fc.array(v2Payload, { maxLength: 8 }).map(uniq(SINGLE_V2));
const v2Message = fc.tuple(bytes(8, 8), bytes(8, 8), fc.integer({ min: 0, max: 15 }), u8, u8, u32, v2Chain, fc.option(v2Encrypted))
  .map(([i, r, minor, x, flags, id, ps, sk]) => {
    const children = sk ? [...ps, sk] : ps;
    return node(abi.K_V2_HDR, 0, [children[0]?.ptype ?? 0, 2, minor, x, flags, id], children, i, r);
  });

// ---- IKEv1 -----------------------------------------------------------------------------------
const v1Xform = fc.tuple(u8, u8, fc.array(attr, { maxLength: 4 })).map(([n, id, as]) => node(abi.K_V1_XFORM, abi.PT1_T, [n, id], as));
const v1Sa = fc.oneof(
  fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), u8, bytes(0, 8), fc.array(v1Xform, { maxLength: 4 })), { minLength: 1, maxLength: 3 }).map((ps) => {
    let num = 0;
    return node(abi.K_V1_SA, abi.PT1_SA, [1, 1], ps.map(([inc, proto, spi, xs]) => node(abi.K_V1_PROP, abi.PT1_P, [(num = Math.min(255, num + inc)), proto], xs, spi)));
  }),
  fc.tuple(u32.filter((d) => d !== 1), bytes(0, 16)).map(([doi, d]) => node(abi.K_V1_SA, abi.PT1_SA, [doi, 0], [], d)),
);
const v1IdLen: Record<number, number> = { 1: 4, 4: 8, 5: 16, 6: 32, 7: 8, 8: 32 };
const v1Payload = fc.oneof(
  v1Sa,
  fc.tuple(fc.constantFrom(abi.PT1_KE, abi.PT1_HASH, abi.PT1_SIG, abi.PT1_VID, abi.PT1_NATD, abi.PT1_NATD_DRAFT), bytes(0, 40)).map(([pt, d]) => node(abi.K_V1_DATA, pt, [], [], d)),
  bytes(8, 64).map((d) => node(abi.K_V1_DATA, abi.PT1_NONCE, [], [], d)),
  fc.tuple(u8, u8, u16, bytes(32, 32)).map(([t, p, port, d]) => node(abi.K_V1_ID, abi.PT1_ID, [t, p, port], [], d.slice(0, v1IdLen[t] ?? (d[0] % 32)))),
  fc.tuple(fc.constantFrom(abi.PT1_CERT, abi.PT1_CR), u8, bytes(0, 40)).map(([pt, e, d]) => node(abi.K_V1_CERT, pt, [e], [], d)),
  fc.tuple(u32, u8, u16, bytes(0, 16), bytes(0, 16)).map(([doi, p, t, s, d]) => node(abi.K_V1_NOTIFY, abi.PT1_N, [doi, p, t], [], s, d)),
  fc.tuple(u32, u8, fc.constantFrom(0, 4, 16), fc.integer({ min: 0, max: 3 }), bytes(48, 48)).map(([doi, p, size, n, d]) =>
    node(abi.K_V1_DELETE, abi.PT1_D, [doi, p, size], [], d.slice(0, size * n))),
  fc.tuple(fc.constantFrom(abi.PT1_NATOA, abi.PT1_NATOA_DRAFT), fc.constantFrom(1, 5), bytes(16, 16)).map(([pt, t, d]) => node(abi.K_V1_NATOA, pt, [t], [], d.slice(0, t === 1 ? 4 : 16))),
  fc.tuple(u16, fc.integer({ min: 1, max: 255 }), u8, bytes(0, 40)).map(([id, n, fl, d]) => node(abi.K_V1_FRAG, abi.PT1_FRAG, [id, n, fl], [], d)),
);
const v1Message = fc.tuple(bytes(8, 8), bytes(8, 8), fc.integer({ min: 0, max: 15 }), u8, u8, u32, fc.array(v1Payload, { maxLength: 8 }), u8, bytes(0, 64))
  .map(([i, r, minor, x, flags, id, ps, np, ct]) => {
    if (flags & 1) return node(abi.K_V1_HDR, 0, [np, 1, minor, x, flags, id], [node(abi.K_V1_ENC, 0, [], [], ct)], i, r);
    return node(abi.K_V1_HDR, 0, [ps[0]?.ptype ?? 0, 1, minor, x, flags, id], ps, i, r);
  });

// What decode gives back, without the wire positions (which the generator cannot know).
function strip(n: WireNode): unknown {
  return { kind: n.kind, ptype: n.ptype, f: n.f, a: n.a ? Array.from(n.a) : undefined, b: n.b ? Array.from(n.b) : undefined, children: n.children.map(strip) };
}
function withRanges(n: WireNode): WireNode {
  const d = wire.describe(n.kind);
  return { ...n, a: d.a !== null ? n.a ?? new Uint8Array(0) : undefined, b: d.b !== null ? n.b ?? new Uint8Array(0) : undefined, children: n.children.map(withRanges) };
}

function roundTrip(m: WireNode, decode: (b: Uint8Array) => ReturnType<typeof wire.decode>): void {
  const e1 = wire.encode(m);
  if (!e1.ok) throw new Error(`encode: ${e1.error.message}`);
  const d = decode(e1.bytes);
  if (!d.ok) throw new Error(`decode: ${d.error.message}`);
  expect(strip(d.msg)).toEqual(strip(withRanges(m)));
  const e2 = wire.encode(d.msg);
  expect(e2.ok && Buffer.from(e2.bytes).equals(Buffer.from(e1.bytes))).toBe(true);
}

describe("decode(encode(m)) == m", () => {
  test("IKEv2 messages", () => {
    fc.assert(fc.property(v2Message, (m) => roundTrip(m, (b) => wire.decode(b))), { numRuns: 2000, seed: 7296 });
  });
  test("IKEv1 messages", () => {
    fc.assert(fc.property(v1Message, (m) => roundTrip(m, (b) => wire.decode(b))), { numRuns: 2000, seed: 2408 });
  });
  test("IKEv2 messages behind the non-ESP marker on port 4500", () => {
    fc.assert(fc.property(v2Message, (m) => roundTrip(m, (b) => wire.decode(new Uint8Array([0, 0, 0, 0, ...b]), { port4500: true }))), { numRuns: 300, seed: 3948 });
  });
  test("decrypted IKEv2 payload chains", () => {
    fc.assert(fc.property(v2Chain, (ps) => {
      const m = node(abi.K_V2_CHAIN, 0, [ps[0]?.ptype ?? 0], ps);
      roundTrip(m, (b) => wire.decodeChain(2, ps[0]?.ptype ?? 0, b));
    }), { numRuns: 1000, seed: 7383 });
  });
  test("decrypted IKEv1 payload chains", () => {
    fc.assert(fc.property(fc.array(v1Payload, { maxLength: 6 }), (ps) => {
      const m = node(abi.K_V1_CHAIN, 0, [ps[0]?.ptype ?? 0, 0], ps);
      roundTrip(m, (b) => wire.decodeChain(1, ps[0]?.ptype ?? 0, b));
    }), { numRuns: 1000, seed: 2409 });
  });
});
