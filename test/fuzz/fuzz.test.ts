// A bounded fuzzing run (20,000 inputs, fixed seed) in its own small-memory core instance, and
// the harness's own accounting: deliberate traps are counted and survived, and a broken round
// trip or a grown memory is noticed. Wall-clock hang flagging is off here (hangMs: Infinity):
// "hang" can only mean the node-count bound.
import { describe, expect, it } from "vitest";
import { CoreTrap } from "../../hosts/core.ts";
import * as abi from "../../core/abi.ts";
import { FuzzEngine, MODE_500, MODE_CHAIN, type Failure } from "./engine.ts";

const show = (fs: Failure[]) => fs.slice(0, 5).map((f) => `${f.kind}: ${f.reason}`).join("\n");
const firstDatagram = (e: FuzzEngine) => {
  const s = e.dgramSeeds.find((x) => x.version === 2 && x.bytes.length > 100);
  if (!s) throw new Error("no IKEv2 seed");
  return s.bytes;
};

describe("fuzzing the wire codec", () => {
  it("runs 20,000 inputs without a trap, hang, unstable round trip or memory growth", () => {
    const e = new FuzzEngine({ seed: 20240601, crashDir: null, hangMs: Infinity });
    expect(e.seeds.length).toBeGreaterThan(20);
    const s = e.run(20_000);
    expect(s.inputs).toBe(20_000);
    expect(s.traps, show(e.failures)).toBe(0);
    expect(s.hangs, show(e.failures)).toBe(0);
    expect(s.unstable, show(e.failures)).toBe(0);
    expect(s.growth, show(e.failures)).toBe(0);
    expect(s.accepted + s.rejected).toBe(s.inputs);
    // the mutations reach deep (accepted) and the parser refuses what it must (rejected)
    expect(s.accepted).toBeGreaterThan(1000);
    expect(s.rejected).toBeGreaterThan(1000);
    expect(s.identical).toBeGreaterThan(0);
  });

  it("reproduces the same run from the same seed", () => {
    const a = new FuzzEngine({ seed: 99, crashDir: null, hangMs: Infinity }).run(3000);
    const b = new FuzzEngine({ seed: 99, crashDir: null, hangMs: Infinity }).run(3000);
    expect(b.accepted).toBe(a.accepted);
    expect(b.perMutator).toEqual(a.perMutator);
    expect(b.identical).toBe(a.identical);
  });

  it.each([abi.SELFTEST_ABORT, abi.SELFTEST_UNREACHABLE, abi.SELFTEST_OOB])(
    "counts a deliberate trap (selftestTrap(%i)) and decodes the next input in a fresh instance",
    (how) => {
      const e = new FuzzEngine({ seed: 5, crashDir: null, hangMs: Infinity });
      const msg = firstDatagram(e);
      expect(e.runInput(msg).outcome).toBe("accepted");
      const gen = e.core.generation;
      expect(() => e.core.call("selftestTrap", how)).toThrow(CoreTrap);
      expect(e.stats.traps).toBe(1);
      expect(e.core.generation).toBe(gen + 1);
      expect(e.runInput(msg).outcome).toBe("accepted");
      // and the fuzz loop goes on in the new instance
      const s = e.run(500);
      expect(s.traps).toBe(1);
      expect(s.accepted).toBeGreaterThan(0);
    },
  );

  it("notices a round trip that changes the message", () => {
    const e = new FuzzEngine({ seed: 6, crashDir: null, hangMs: Infinity });
    const msg = firstDatagram(e);
    const reencode = e.wire.reencodeTape.bind(e.wire);
    // corrupt the last byte the encoder writes (inside the last payload's data)
    e.wire.reencodeTape = (n: number) => {
      const m = reencode(n);
      if (m > 0) e.core.bytes[e.core.outPtr + m - 1] ^= 0x5a;
      return m;
    };
    const r = e.runInput(msg);
    expect(r.outcome).toBe("accepted");
    expect(e.stats.unstable).toBe(1);
    expect(e.failures[0].kind).toBe("unstable");
    expect(e.failures[0].bytes).toEqual(msg);
  });

  it("notices memory growth after the warm-up", () => {
    const e = new FuzzEngine({ seed: 7, crashDir: null, hangMs: Infinity, warmup: 10 });
    e.run(100);
    expect(e.stats.growth).toBe(0);
    (e.core.exports.memory as WebAssembly.Memory).grow(1);
    e.run(10);
    expect(e.stats.growth).toBe(1);
    expect(e.failures.some((f) => f.kind === "growth")).toBe(true);
  });

  it("checks inner chains through wireDecodeChain", () => {
    const e = new FuzzEngine({ seed: 8, crashDir: null, hangMs: Infinity });
    const chains = e.chainSeeds.filter((s) => s.name.includes("/SK"));
    expect(chains.length).toBeGreaterThan(0);
    for (const s of chains.slice(0, 20)) {
      expect(e.runInput(s.bytes, { mode: MODE_CHAIN, version: s.version, np: s.np }).outcome).toBe("accepted");
    }
    expect(e.runInput(new Uint8Array(3), { mode: MODE_500, version: 2, np: 0 }).outcome).toBe("rejected");
  });
});
