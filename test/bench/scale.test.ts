// The scale benchmark's shape with a tiny N (its figures are `npm run bench -- scale`'s): it
// brings up, deletes and churns IKE SAs, and every one it brought up is gone afterwards.
import { expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const run = fileURLToPath(new URL("../../dist/bench/run.js", import.meta.url));

test.skipIf(!existsSync(run))("npm run bench -- scale, 16 IKE SAs and 16 more churned", () => {
  const r = spawnSync(process.execPath, [run, "scale"], { encoding: "utf8", timeout: 100_000, env: { ...process.env, SCALE_N: "16", SCALE_CHURN: "16" } });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { bench: string; metric: string; value: number; unit: string });
  const m = new Map(lines.map((l) => [l.metric, l.value]));
  for (const l of lines) expect(l.bench).toBe("scale");
  expect(m.get("ike_sas")).toBe(16);
  expect(m.get("ike_sas_with_child_sa_held")).toBe(16);
  expect(m.get("after_delete_ike_sas_held")).toBe(0);
  expect(m.get("after_churn_ike_sas_held")).toBe(0);
  for (const k of ["core_bytes_per_ike_sa", "rss_bytes_per_ike_sa", "rss_mib", "churn_core_growth_bytes", "churn_rss_growth_mib", "after_delete_rss_vs_start"]) expect(m.has(k), k).toBe(true);
}, 120_000);
