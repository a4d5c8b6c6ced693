// Hostile and malformed input: each is rejected with a precise error record (which payload,
// which field, which offset) and the notify a responder would answer with.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { loadWire } from "../../hosts/node/corefile.ts";
import type { WireError } from "../../hosts/wire.ts";

const wire = loadWire();
const INVALID_SYNTAX = 7;
const UNSUPPORTED_CRITICAL_PAYLOAD = 1;
const INVALID_MAJOR_VERSION = 5;
const PAYLOAD_MALFORMED = 16;
const INVALID_PAYLOAD_TYPE = 1;

const be16 = (v: number) => [v >> 8, v & 255];
const be32 = (v: number) => [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255];
function msg(version: 1 | 2, np: number, body: number[], opts: { exchange?: number; flags?: number; length?: number } = {}): Uint8Array {
  const len = opts.length ?? 28 + body.length;
  return new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, np, version << 4, opts.exchange ?? 34, opts.flags ?? 8, 0, 0, 0, 0, ...be32(len), ...body]);
}
const payload = (np: number, body: number[], critical = 0) => [np, critical << 7, ...be16(4 + body.length), ...body];
const nonce = (np = 0) => payload(np, new Array(32).fill(0xaa));

function rejects(bytes: Uint8Array, want: Partial<WireError>, port4500 = false): WireError {
  const d = wire.decode(bytes, { port4500 });
  expect(d.ok).toBe(false);
  const e = (d as { error: WireError }).error;
  expect(e).toMatchObject(want);
  expect(e.message.length).toBeGreaterThan(10);
  return e;
}

describe("IKEv2 header", () => {
  test("too short", () => {
    rejects(new Uint8Array(27), { code: abi.E_TRUNCATED, offset: 0, value: 27, limit: 28, notify: INVALID_SYNTAX });
  });
  test("major version 3 is answered with INVALID_MAJOR_VERSION", () => {
    const m = msg(2, 0, []);
    m[17] = 0x30;
    const e = rejects(m, { code: abi.E_VERSION, offset: 17, value: 3, notify: INVALID_MAJOR_VERSION });
    expect(e.message).toContain("major version 3");
  });
  test("length field longer than the datagram", () => {
    rejects(msg(2, 0, [], { length: 29 }), { code: abi.E_TRUNCATED, field: abi.FIELD_LENGTH, offset: 24, value: 29, limit: 28 });
  });
  test("length field shorter than the datagram (trailing bytes)", () => {
    rejects(msg(2, 0, [0], { length: 28 }), { code: abi.E_TRAILING, offset: 24 });
  });
  test("next payload announces a payload the message does not have", () => {
    rejects(msg(2, 33, []), { code: abi.E_TRUNCATED, ptype: 33, field: abi.FIELD_NEXT_PAYLOAD });
  });
  test("bytes after the last payload", () => {
    rejects(msg(2, 40, [...nonce(), 0, 0, 0, 0]), { code: abi.E_TRAILING, offset: 28, value: 4 });
  });
});

describe("IKEv2 payloads", () => {
  test("payload length beyond the message", () => {
    const body = nonce();
    body[3] += 1;
    rejects(msg(2, 40, body), { code: abi.E_LENGTH, ptype: 40, field: abi.FIELD_LENGTH, offset: 30, value: 37, limit: 36, notify: INVALID_SYNTAX });
  });
  test("payload length below the generic header", () => {
    rejects(msg(2, 43, [0, 0, 0, 3]), { code: abi.E_LENGTH, ptype: 43, value: 3 });
  });
  test("unknown payload with the critical bit is UNSUPPORTED_CRITICAL_PAYLOAD", () => {
    const e = rejects(msg(2, 200, payload(0, [1, 2], 1)), { code: abi.E_CRITICAL, ptype: 200, offset: 28, notify: UNSUPPORTED_CRITICAL_PAYLOAD });
    expect(e.message).toContain("critical");
  });
  test("unknown payload without the critical bit is kept", () => {
    const d = wire.decode(msg(2, 200, payload(40, [1, 2], 0).concat(nonce())));
    expect(d.ok && d.msg.children.map((c) => [c.kind, c.ptype])).toEqual([[abi.K_V2_UNKNOWN, 200], [abi.K_V2_NONCE, 40]]);
  });
  test("a second Nonce payload is a duplicate", () => {
    rejects(msg(2, 40, [...nonce(40), ...nonce()]), { code: abi.E_DUPLICATE, ptype: 40, offset: 64 });
  });
  test("several N payloads are fine", () => {
    const n = (np: number) => payload(np, [0, 0, 0x40, 0x04]);
    expect(wire.decode(msg(2, 41, [...n(41), ...n(41), ...n(0)])).ok).toBe(true);
  });
  test("nonce shorter than 16 bytes", () => {
    rejects(msg(2, 40, payload(0, new Array(15).fill(1))), { code: abi.E_LENGTH, kind: abi.K_V2_NONCE, field: abi.FIELD_A, value: 15, limit: 16 });
  });
  test("SK must be the last payload", () => {
    rejects(msg(2, 46, [...payload(40, [1, 2, 3]), ...nonce()]), { code: abi.E_ORDER, kind: abi.K_V2_SK, ptype: 46 });
  });
  test("SK inside a decrypted chain", () => {
    const d = wire.decodeChain(2, 46, new Uint8Array(payload(0, [1, 2, 3])));
    expect(d.ok).toBe(false);
    expect((d as { error: WireError }).error).toMatchObject({ code: abi.E_ORDER, ptype: 46 });
  });
  test("SKF fragment number above the total", () => {
    rejects(msg(2, 53, payload(0, [0, 3, 0, 2, 9, 9])), { code: abi.E_VALUE, kind: abi.K_V2_SKF, field: 2, value: 3, limit: 2 });
  });
  const prop = (last: number, num: number, nx: number, xforms: number[]) => [last, 0, ...be16(8 + xforms.length), num, 1, 0, nx, ...xforms];
  const xform = (last: number, type: number, id: number, attrs: number[] = []) => [last, 0, ...be16(8 + attrs.length), type, 0, ...be16(id), ...attrs];
  test("a valid SA decodes with its proposal, transforms and attributes", () => {
    const sa = payload(0, prop(0, 1, 2, [...xform(3, 1, 20, [0x80, 14, 1, 0]), ...xform(0, 4, 31)]));
    const d = wire.decode(msg(2, 33, sa));
    expect(d.ok).toBe(true);
    const p = d.ok ? d.msg.children[0].children[0] : undefined;
    expect(p?.children.map((t) => [t.f[0], t.f[1], t.children.map((a) => [a.f[0], a.f[2]])])).toEqual([[1, 20, [[14, 256]]], [4, 31, []]]);
  });
  test("SA without proposals", () => {
    rejects(msg(2, 33, payload(0, [])), { code: abi.E_VALUE, kind: abi.K_V2_SA, field: abi.FIELD_COUNT });
  });
  test("proposals must be numbered 1, 2, ...", () => {
    rejects(msg(2, 33, payload(0, [...prop(2, 1, 0, []), ...prop(0, 3, 0, [])])), { code: abi.E_VALUE, kind: abi.K_V2_PROP, field: 0, value: 3, limit: 2, offset: 44 });
  });
  test("last-substructure flag says more, but none follows", () => {
    rejects(msg(2, 33, payload(0, prop(2, 1, 0, []))), { code: abi.E_VALUE, kind: abi.K_V2_PROP });
  });
  test("number of transforms disagrees with the transforms present", () => {
    rejects(msg(2, 33, payload(0, prop(0, 1, 2, xform(0, 1, 12)))), { code: abi.E_VALUE, kind: abi.K_V2_PROP, field: abi.FIELD_COUNT, value: 2, limit: 1 });
  });
  test("transform length beyond its proposal", () => {
    const x = xform(0, 1, 12);
    x[3] = 9;
    rejects(msg(2, 33, payload(0, prop(0, 1, 1, x))), { code: abi.E_LENGTH, kind: abi.K_V2_XFORM, field: abi.FIELD_LENGTH });
  });
  test("TLV attribute longer than its transform", () => {
    rejects(msg(2, 33, payload(0, prop(0, 1, 1, xform(0, 1, 12, [0, 14, 0, 5, 1, 1])))), { code: abi.E_LENGTH, kind: abi.K_ATTR, value: 5, limit: 2 });
  });
  test("ID_IPV4_ADDR with 5 bytes", () => {
    rejects(msg(2, 35, payload(0, [1, 0, 0, 0, 192, 0, 2, 1, 0])), { code: abi.E_LENGTH, kind: abi.K_V2_ID, field: abi.FIELD_A, value: 5, limit: 4 });
  });
  test("notify SPI size larger than the payload", () => {
    rejects(msg(2, 41, payload(0, [3, 8, 0x40, 0x04, 1, 2])), { code: abi.E_LENGTH, kind: abi.K_V2_NOTIFY, value: 8, limit: 2 });
  });
  test("delete: SPIs disagree with SPI size times count", () => {
    rejects(msg(2, 42, payload(0, [3, 4, 0, 2, 1, 2, 3, 4])), { code: abi.E_LENGTH, kind: abi.K_V2_DELETE, value: 4, limit: 8 });
  });
  test("TS count disagrees with the selectors", () => {
    const sel = [7, 0, 0, 16, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255];
    rejects(msg(2, 44, payload(0, [2, 0, 0, 0, ...sel])), { code: abi.E_VALUE, kind: abi.K_V2_TSP, field: abi.FIELD_COUNT, value: 2, limit: 1 });
  });
  test("TS_IPV4_ADDR_RANGE with IPv6-sized length", () => {
    const sel = [7, 0, 0, 40, 0, 0, 255, 255, ...new Array(32).fill(0)];
    rejects(msg(2, 44, payload(0, [1, 0, 0, 0, ...sel])), { code: abi.E_LENGTH, kind: abi.K_V2_TS, value: 40, limit: 16 });
  });
  test("EAP length disagrees with the payload", () => {
    rejects(msg(2, 48, payload(0, [1, 1, 0, 9, 1])), { code: abi.E_LENGTH, kind: abi.K_V2_EAP, value: 9, limit: 5 });
  });
});

describe("IKEv1", () => {
  test("unknown payload type is INVALID_PAYLOAD_TYPE (ISAKMP has no critical bit)", () => {
    rejects(msg(1, 99, payload(0, [1]), { exchange: 2, flags: 0 }), { code: abi.E_PAYLOAD_TYPE, ptype: 99, version: 1, notify: INVALID_PAYLOAD_TYPE });
  });
  test("malformed payloads are PAYLOAD_MALFORMED", () => {
    rejects(msg(1, 10, payload(0, [1, 2, 3]), { exchange: 2, flags: 0 }), { code: abi.E_LENGTH, ptype: 10, version: 1, notify: PAYLOAD_MALFORMED });
  });
  test("SA with labeled-domain situation is SITUATION_NOT_SUPPORTED", () => {
    rejects(msg(1, 1, payload(0, [...be32(1), ...be32(2)]), { exchange: 2, flags: 0 }), { code: abi.E_VALUE, kind: abi.K_V1_SA, field: 1, notify: 3 });
  });
  test("proposal numbers may repeat (AH+ESP suites) but not decrease", () => {
    const p = (np: number, num: number) => [np, 0, 0, 8, num, 3, 0, 0];
    const ok = wire.decode(msg(1, 1, payload(0, [...be32(1), ...be32(1), ...p(2, 1), ...p(2, 1), ...p(0, 2)]), { exchange: 32, flags: 0 }));
    expect(ok.ok).toBe(true);
    rejects(msg(1, 1, payload(0, [...be32(1), ...be32(1), ...p(2, 2), ...p(0, 1)]), { exchange: 32, flags: 0 }), { code: abi.E_VALUE, kind: abi.K_V1_PROP, value: 1, limit: 2 });
  });
  test("an encrypted message keeps its ciphertext whole", () => {
    const d = wire.decode(msg(1, 8, [1, 2, 3, 4, 5, 6, 7, 8], { exchange: 32, flags: 1 }));
    expect(d.ok && d.msg.children.map((c) => [c.kind, Array.from(c.a!)])).toEqual([[abi.K_V1_ENC, [1, 2, 3, 4, 5, 6, 7, 8]]]);
  });
  test("a decrypted body may end in padding", () => {
    const d = wire.decodeChain(1, 8, new Uint8Array([...payload(0, [9, 9, 9, 9]), 0, 0, 0, 3]));
    expect(d.ok && d.msg.f[1]).toBe(4);
  });
});

describe("port 4500", () => {
  test("ESP and keepalives are recognised, not decoded as IKE", () => {
    expect(wire.classify4500(new Uint8Array([0xff]))).toBe(abi.DG_KEEPALIVE);
    expect(wire.classify4500(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 1]))).toBe(abi.DG_ESP);
    expect(wire.classify4500(new Uint8Array([0, 0, 0, 0, 1]))).toBe(abi.DG_IKE);
    expect(wire.classify4500(new Uint8Array([0, 0]))).toBe(abi.DG_INVALID);
    const e = rejects(new Uint8Array([0xc0, 1, 2, 3, 0, 0, 0, 1]), { code: abi.E_NOT_IKE, value: abi.DG_ESP }, true);
    expect(e.message).toContain("ESP");
  });
  test("offsets count from the IKE header, after the marker", () => {
    const body = nonce();
    body[3] += 1;
    rejects(new Uint8Array([0, 0, 0, 0, ...msg(2, 40, body)]), { code: abi.E_LENGTH, offset: 30 }, true);
  });
});

describe("bounded work", () => {
  test("a datagram packed with empty payloads fills the tape only up to its limit", () => {
    // 16,383 four-byte unknown payloads plus header: under the tape's node limit
    const n = 20000;
    const body: number[] = [];
    for (let i = 0; i < n; i++) body.push(i === n - 1 ? 0 : 200, 0, 0, 4);
    rejects(msg(2, 200, body), { code: abi.E_LIMIT });
  });
  test("datagrams larger than the input buffer are refused before they reach the core", () => {
    rejects(new Uint8Array(abi.IN_CAP + 1), { code: abi.E_LIMIT });
  });
});
