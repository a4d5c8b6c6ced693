// `npm test` runs the Deno-specific tests (test/deno/*_test.mts, `deno test -P` with the
// permissions deno.json gives them) through node_modules/.bin/deno, and fails when they fail.
// Skips, saying why, when deno cannot start.
import { expect, test } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const deno = join(root, "node_modules/.bin/deno");
const denoOk = existsSync(deno) && spawnSync(deno, ["--version"], { timeout: 20000 }).status === 0;
if (!denoOk) console.log("deno test skipped: node_modules/.bin/deno cannot start");

test.skipIf(!denoOk)("deno test: the Deno daemon, its permissions, its crypto and helpers, the transcript under Deno", async () => {
  const r = await new Promise<{ code: number | null; out: string }>((res) => {
    const p = spawn(deno, ["test", "-P", "--no-prompt"], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (out += b));
    const t = setTimeout(() => p.kill("SIGKILL"), 280_000);
    p.on("close", (code) => {
      clearTimeout(t);
      res({ code, out });
    });
  });
  if (r.code !== 0) console.log(r.out);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/ok \| \d+ passed \| 0 failed/);
}, 300_000);
