// Every input the fuzzer saved in test/fuzz/crashes/ (<kind>-<sha256 prefix>.bin, the decode
// mode and the reason in the .txt beside it) must now pass the same invariant check: decoded or
// refused, without trap, hang, unstable round trip or memory growth. With no saved inputs, the
// seeds themselves (corpus, decrypted inner chains, hand-built messages) are checked instead.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FuzzEngine, readCrash } from "./engine.ts";
import { projectRoot } from "./seeds.ts";

const dir = join(projectRoot(), "test", "fuzz", "crashes");
const bins = readdirSync(dir).filter((f) => f.endsWith(".bin")).sort();

describe("fuzz regressions", () => {
  if (bins.length > 0) {
    const e = new FuzzEngine({ crashDir: null, hangMs: Infinity, warmup: 1 });
    it.each(bins)("%s passes the invariants", (f) => {
      const c = readCrash(join(dir, f));
      const r = e.runInput(c.bytes, c.mode);
      expect(["accepted", "rejected"], `${f} (${c.line}): ${r.reason}`).toContain(r.outcome);
    });
  } else {
    it("has no saved crashes, so every seed passes the invariants", () => {
      const e = new FuzzEngine({ crashDir: null, hangMs: Infinity });
      const r = e.runSeeds();
      expect(r.failed.map((f) => `${f.kind}: ${f.reason}`)).toEqual([]);
      expect(r.accepted).toBeGreaterThan(20);
      expect(r.accepted + r.rejected).toBe(e.seeds.length);
    });
  }
});
