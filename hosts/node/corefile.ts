// Where the built core.wasm lives, seen from this file in the source tree (hosts/node/) or
// in the compiled tree (dist/hosts/node/).
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { Core, type CoreOptions } from "../core.ts";
import { Wire } from "../wire.ts";

export function coreWasmPath(variant: "release" | "debug" = "release"): string {
  const file = variant === "release" ? "core.wasm" : "core.debug.wasm";
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "build", file);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`build/${file} not found: run \`npm run build\` first`);
}

let cached: WebAssembly.Module | undefined;
export function coreModule(): WebAssembly.Module {
  cached ??= new WebAssembly.Module(readFileSync(coreWasmPath()));
  return cached;
}

export function loadCore(opts: CoreOptions = {}): Core {
  return Core.loadSync(coreModule(), opts);
}

export function loadWire(opts: CoreOptions = {}): Wire {
  return new Wire(loadCore(opts));
}
