// Identity (issue 6): the same scenario with the same seed gives the same transcript, every
// datagram, log line and whack answer, byte for byte, under Node and under Deno, and with either
// crypto provider. The scenario is transcript.ts; under Deno it runs as transcript-main.ts.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { transcript } from "./transcript.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";

const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const deno = join(root, "node_modules/.bin/deno");
const wasm = join(root, "build/core.wasm");
const denoOk = existsSync(deno) && spawnSync(deno, ["--version"], { timeout: 20000 }).status === 0;
if (!denoOk) console.log("identity tests under Deno skipped: node_modules/.bin/deno cannot start");
const module = existsSync(wasm) ? new WebAssembly.Module(readFileSync(wasm)) : null;
if (!module) console.log("identity tests skipped: build/core.wasm is not built (npm run build)");

// The first line where two transcripts part, or null when they are the same bytes.
function firstDifference(a: string, b: string): string | null {
  if (a === b) return null;
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}:\n- ${x[i]?.slice(0, 300)}\n+ ${y[i]?.slice(0, 300)}`;
  }
  return `same lines, different bytes (${a.length} vs ${b.length})`;
}

function underDeno(provider: string, seed: number): string {
  const r = spawnSync(deno, ["run", "--no-prompt", `--allow-read=${root}`, "test/deno/transcript-main.ts", provider, String(seed)], {
    cwd: root, encoding: "utf8", timeout: 120000, maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`deno run transcript-main.ts exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!module)("the identity scenario", () => {
  let node = "";
  test("under Node it runs the whole schedule: handshakes, rekeys, loss, lifetimes, deletes", async () => {
    node = await transcript(module!, nativeProvider, 1);
    expect(node).toMatch(/west "cbc" #1: initiator established IKE SA/);
    expect(node).toMatch(/east "gcm" #\d+: established Child SA/);
    expect(node).toMatch(/established IKE SA \(rekey of #\d+\)/);
    expect(node).toMatch(/ LOST /);
    expect(node).toMatch(/retransmitting/);
    expect(node).toMatch(/Child SA lifetime reaches its rekey margin/);
    expect(node).toMatch(/whack not json => \{"ok":false/);
    expect(node.split("\n").filter((l) => / \d+\.\d+\.\d+\.\d+:\d+ > /.test(l)).length).toBeGreaterThan(100);
  });
  test("the portable provider gives the same transcript as the native one", async () => {
    expect(firstDifference(node, await transcript(module!, portableProvider, 1))).toBeNull();
  });
  test("another seed gives another transcript", async () => {
    expect(await transcript(module!, nativeProvider, 2)).not.toBe(node);
  });
  test.skipIf(!denoOk)("under Deno the transcript is byte-identical, with either provider", () => {
    expect(firstDifference(node + "\n", underDeno("native", 1))).toBeNull();
    expect(firstDifference(node + "\n", underDeno("portable", 1))).toBeNull();
  });
  test.skipIf(!denoOk || !existsSync(join(root, "dist/test/deno/transcript-main.js")))("node and deno, each run as a program, print the same bytes", () => {
    const r = spawnSync(process.execPath, [join(root, "dist/test/deno/transcript-main.js"), "native", "3"], { encoding: "utf8", timeout: 120000, maxBuffer: 256 << 20 });
    expect(r.status).toBe(0);
    expect(firstDifference(r.stdout, underDeno("native", 3))).toBeNull();
  });
});
