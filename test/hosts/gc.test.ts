// The core's memory under the engine's collection policy: events that leave much garbage
// behind (here: status of 2,000 connections, a few MB of text each time) in a core whose
// memory ceiling is small. The core must neither trap nor lose its states.
import { describe, expect, test } from "vitest";
import { Engine, type ConnSpec, type Endpoint } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";

const EAST: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
const te = new TextEncoder();

describe("collection policy", () => {
  test("300 status calls of 2,000 connections in a 64 MB core: no trap, memory within the ceiling", () => {
    const traps: string[] = [];
    const e = new Engine(coreModule(), { provider: nativeProvider, core: { maxPages: 1024, onTrap: (r) => traps.push(r.message) } }, { send: () => {}, log: () => {}, job: () => {} });
    e.setInterfaces(0, [EAST]);
    const specs: ConnSpec[] = [];
    for (let i = 0; i < 2000; i++) {
      specs.push({
        name: `peer-${i}`, left: EAST, right: { family: 4, port: 500, addr: Uint8Array.of(198, 18, i >> 8, i & 255) }, leftId: { type: 2, data: te.encode("gw.example") },
        psk: te.encode("gc test secret"), ike: [{ encr: [[20, 256]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 256]], esn: [0] }],
      });
    }
    expect(e.addConns(0, specs).added).toBe(2000);
    let bytes = 0;
    for (let i = 0; i < 300; i++) bytes += JSON.stringify(e.status(i)).length;
    expect(bytes).toBeGreaterThan(300 * 500_000); // each call made text enough to fill the core many times over
    expect(traps).toEqual([]);
    expect(e.core.memoryBytes).toBeLessThanOrEqual(64 << 20);
    expect(e.status(0).conns).toHaveLength(2000);
  });
});
