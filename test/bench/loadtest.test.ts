// The loadtest benchmark's plumbing and the shape of what it prints (a tiny N: benchmarks are
// not tests; the figures themselves are `npm run bench -- loadtest`'s).
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cpuTicks, establishedFromStats, loadtestMissing } from "../../bench/loadtest.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("loadtest plumbing", () => {
  test("swanctl --stats: established IKE SAs are total minus half-open", () => {
    expect(establishedFromStats("uptime: 3 seconds, since Dec 02 13:27:42 2026\nworker threads: 16 total\nIKE_SAs: 4000 total, 12 half-open\n")).toBe(3988);
    expect(establishedFromStats("no such line")).toBeNull();
  });
  test("/proc/PID/stat: utime + stime, also when the command has spaces and parentheses", () => {
    const rest = "S 1 2 3 4 5 6 7 8 9 10 250 37 0 0";
    expect(cpuTicks(`123 (node) ${rest}`)).toBe(287);
    expect(cpuTicks(`123 (a (b) c) ${rest}`)).toBe(287);
  });
});

const missing = loadtestMissing();
if (missing.length) console.log(`loadtest run skipped: it needs ${missing.join("; ")}`);

describe.skipIf(missing.length > 0 || !existsSync(`${root}dist/bench/run.js`))("npm run bench -- loadtest, 4 IKE SAs", () => {
  test("one JSON line per figure, for each role and peer, with ratios to charon", () => {
    const r = spawnSync(process.execPath, [`${root}dist/bench/run.js`, "loadtest"], {
      encoding: "utf8", timeout: 100_000,
      env: { ...process.env, LOADTEST_N: "4", LOADTEST_PROPOSALS: "x25519_aes_gcm128", LOADTEST_RESPONDERS: "node,charon", LOADTEST_INITIATORS: "node,charon", LOADTEST_MAXTIME: "30" },
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { bench: string; metric: string; value: number; unit: string });
    for (const l of lines) expect(Object.keys(l)).toEqual(["bench", "metric", "value", "unit"]);
    const m = new Map(lines.map((l) => [l.metric, l]));
    for (const role of ["responder", "initiator"]) {
      for (const who of ["node", "charon"]) {
        const k = `${role}_${who}_x25519_aes_gcm128`;
        expect(m.get(`${k}_established`)?.value, k).toBe(4);
        expect(m.get(`${k}_ike_sa_per_s`)?.value).toBeGreaterThan(0);
        expect(m.get(`${k}_ike_sa_per_cpu_s`)?.value).toBeGreaterThan(0);
        expect(m.get(`${k}_rss_mib`)?.value).toBeGreaterThan(1);
      }
      expect(m.get(`${role}_node_x25519_aes_gcm128_ike_sa_per_cpu_s_vs_charon`)?.unit).toBe("ratio");
      expect(m.has(`${role}_charon_x25519_aes_gcm128_ike_sa_per_cpu_s_vs_charon`)).toBe(false);
    }
  }, 120_000);
});
