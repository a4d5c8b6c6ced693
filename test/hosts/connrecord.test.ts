// The core's connection records (abi.ts CONN_*) under hostile bytes: truncated, mutated and
// random records are refused with a reason or taken, never trap the core, and leave it whole
// (its status still reads, a good connection still loads after them).
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as abi from "../../core/abi.ts";
import { Engine, connRecord, type ConnSpec, type Endpoint } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";

const EAST: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
const te = new TextEncoder();
const good = (name: string): ConnSpec => ({
  name, left: EAST, right: { family: 0, port: 500, addr: new Uint8Array(4) }, leftId: { type: 2, data: te.encode("east.example") },
  psk: te.encode("record test secret"), ike: [{ encr: [[20, 256]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 256]], esn: [0] }],
  rightProtoport: { proto: 17, wildcard: true }, rightVirtual: { kind: "vnet" },
  virtualPrivate: { include: [{ start: Uint8Array.of(10, 0, 0, 0), end: Uint8Array.of(10, 255, 255, 255) }], exclude: [] },
});

function engine(): Engine {
  const e = new Engine(coreModule(), { provider: nativeProvider }, { send: () => {}, log: () => {}, job: () => {} });
  e.setInterfaces(0, [EAST]);
  return e;
}

describe("connection records from a host gone wrong", () => {
  test("truncations, byte flips, and random TLVs: a reply each time, no trap, the core still whole", () => {
    const e = engine();
    const base = connRecord(good("base"));
    let taken = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          // a prefix of a good record
          fc.integer({ min: 0, max: base.length }).map((n) => base.slice(0, n)),
          // a good record with some bytes changed
          fc.array(fc.tuple(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
            const b = base.slice();
            for (const [i, v] of flips) b[i] = v;
            return b;
          }),
          // TLVs of any tag and length, values of any bytes
          fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 12 }).map((tlvs) => {
            const parts: number[] = [];
            for (const [tag, v] of tlvs) parts.push(tag, v.length & 255, v.length >> 8, ...v);
            return Uint8Array.from(parts);
          }),
        ),
        (bytes) => {
          // a unique name where the record has one, so that an accepted one does not block the next
          const r = e.admin(0, abi.ADM_ADD_CONN, bytes);
          expect(typeof r.reply).toBe("string");
          expect(r.reply.length).toBeGreaterThan(0);
          if (r.ok) {
            taken++;
            const name = /added connection "(.*)"$/s.exec(r.reply)?.[1];
            expect(name).toBeDefined();
            e.admin(0, abi.ADM_DELETE_CONN, te.encode(name!));
          } else refused++;
        },
      ),
      { numRuns: 3000, seed: 20261127 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(taken).toBeGreaterThan(0);
    // still whole: status reads, a good connection loads, and nothing was left behind
    expect(e.status(0).conns).toEqual([]);
    expect(e.addConn(0, good("after")).ok).toBe(true);
    expect(e.status(0).conns.map((c) => [c.name, c.kind])).toEqual([["after", "TEMPLATE"]]);
  });

  test("names: UTF-8 with quotes and backslashes is kept and escaped in status; control characters and broken UTF-8 are refused", () => {
    const e = engine();
    for (const name of ['say "hi"', "back\\slash", "größe", "日本"]) {
      expect(e.addConn(0, good(name))).toEqual({ ok: true, reply: `added connection "${name}"` });
    }
    expect(e.status(0).conns.map((c) => c.name)).toEqual(['say "hi"', "back\\slash", "größe", "日本"]);
    const withName = (bytes: number[]) => {
      const rec = connRecord(good("x"));
      // the name TLV comes first: tag, length, "x"
      return Uint8Array.from([rec[0]!, bytes.length, 0, ...bytes, ...rec.subarray(4)]);
    };
    expect(e.admin(0, abi.ADM_ADD_CONN, withName([0x61, 0x0a, 0x62])).reply).toBe("connection name: control character 0xa at byte 1");
    expect(e.admin(0, abi.ADM_ADD_CONN, withName([0x61, 0xc3])).reply).toBe("connection name: not UTF-8 at byte 1");
    expect(e.admin(0, abi.ADM_ADD_CONN, withName([0xff])).reply).toBe("connection name: not UTF-8 at byte 0");
    expect(e.admin(0, abi.ADM_ADD_CONN, withName([0xe6, 0x97, 0x41])).reply).toBe("connection name: not UTF-8 at byte 2");
    expect(e.status(0).conns).toHaveLength(4);
  });

  test("interface lists of any length and bytes are taken as whole 20-byte records only", () => {
    const e = engine();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = e.admin(0, abi.ADM_INTERFACES, bytes);
        expect(r.ok).toBe(true);
        expect(r.reply).toMatch(/^\d+ interface addresses/);
      }),
      { numRuns: 500, seed: 7 },
    );
    e.setInterfaces(0, [EAST]);
    expect(e.addConn(0, good("after")).ok).toBe(true);
  });
});
