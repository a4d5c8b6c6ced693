// The loader: traps are caught, reported with context, and the instance replaced; memory is
// capped; names and descriptors come from the one source in the core.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { CoreTrap, type TrapReport } from "../../hosts/core.ts";
import { Wire } from "../../hosts/wire.ts";
import { loadCore, loadWire } from "../../hosts/node/corefile.ts";

const sample = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 34, 8, 0, 0, 0, 0, 0, 0, 0, 28]);

describe("trap recovery", () => {
  for (const [how, what] of [[abi.SELFTEST_ABORT, "selftest abort"], [abi.SELFTEST_UNREACHABLE, "unreachable"], [abi.SELFTEST_OOB, "out of bounds"]] as const) {
    test(`a trap (${what}) is reported and the instance replaced`, () => {
      const reports: TrapReport[] = [];
      const core = loadCore({ onTrap: (r) => reports.push(r) });
      const wire = new Wire(core);
      const gen = core.generation;
      expect(() => core.call("selftestTrap", how)).toThrow(CoreTrap);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ call: "selftestTrap", args: [how], traps: 1 });
      expect(reports[0].message).toContain(what);
      if (how === abi.SELFTEST_ABORT) expect(reports[0].abort).toMatchObject({ file: "core/index.ts", line: 1 });
      expect(core.generation).toBe(gen + 1);
      // the new instance works
      const d = wire.decode(sample);
      expect(d.ok).toBe(true);
    });
  }
  test("memory is capped by the host", () => {
    const core = loadCore({ maxPages: 80 });
    expect(core.memoryBytes).toBeLessThanOrEqual(80 * 65536);
    expect(() => loadCore({ maxPages: 1 })).toThrow();
  });
});

describe("names and descriptors", () => {
  const wire = loadWire();
  test("registry names reach the host", () => {
    expect(wire.name(abi.REG_EXCHANGE_V2, 34)).toBe("IKE_SA_INIT");
    expect(wire.name(abi.REG_NOTIFY_V2, 14)).toBe("NO_PROPOSAL_CHOSEN");
    expect(wire.name(abi.REG_NOTIFY_V2, 16388)).toBe("NAT_DETECTION_SOURCE_IP");
    expect(wire.name(abi.REG_DH, 31)).toBe("CURVE25519");
    expect(wire.transformIdName(1, 20)).toBe("ENCR_AES_GCM_16");
    expect(wire.name(abi.REG_NOTIFY_V2, 99999)).toBe("");
  });
  test("error messages name the notify to answer with", () => {
    const m = sample.slice();
    m[16] = 40; // announces a Nonce that is not there
    const d = wire.decode(m);
    expect(!d.ok && d.error.message).toMatch(/Nx.*truncated.*\(answer: INVALID_SYNTAX\)/);
  });
  test("every kind has a descriptor whose registries exist", () => {
    for (let k = 1; k < abi.K_MAX; k++) {
      const d = wire.describe(k);
      const name = wire.kindName(k);
      if (d.fields.length === 0 && d.a === null) continue; // unused kind numbers
      expect(name, `kind ${k}`).not.toMatch(/^kind /);
      for (const [f, reg] of d.fields) {
        expect(reg === 0 || (reg > 0 && reg < abi.REG_MAX) || (reg >= abi.REG_BY_XFORM_TYPE && reg <= abi.REG_BY_ATTR_TYPE), `${name}.${f}`).toBe(true);
      }
    }
    // spot checks that the descriptor numbers are the registries their fields need
    expect(wire.describe(abi.K_V2_KE).fields[1]).toEqual(["group", abi.REG_DH]);
    expect(wire.describe(abi.K_V2_NOTIFY).fields[2]).toEqual(["type", abi.REG_NOTIFY_V2]);
    expect(wire.describe(abi.K_V1_NOTIFY).fields[2]).toEqual(["type", abi.REG_NOTIFY_V1]);
    expect(wire.describe(abi.K_V2_HDR).fields[3]).toEqual(["exchange", abi.REG_EXCHANGE_V2]);
    expect(wire.describe(abi.K_V1_HDR).fields[3]).toEqual(["exchange", abi.REG_EXCHANGE_V1]);
    expect(wire.describe(abi.K_V2_TS).fields[0]).toEqual(["type", abi.REG_TS_TYPE]);
    expect(wire.describe(abi.K_V2_CPATTR).fields[0]).toEqual(["type", abi.REG_CP_ATTR]);
    expect(wire.describe(abi.K_V1_ID).fields[0]).toEqual(["type", abi.REG_ID_V1]);
  });
});
