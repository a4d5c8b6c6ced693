// The package's name and version, from its package.json (found from this file in the source
// tree or in an installed package's dist/), for every tool's --version.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export function versionLine(tool: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "package.json");
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "pluto-wasm") return `${tool} (pluto-wasm) ${pkg.version}`;
      } catch {
        // not ours, or unreadable: look further up
      }
    }
    dir = dirname(dir);
  }
  return `${tool} (pluto-wasm) unknown version: package.json not found`;
}

// Writes text to stdout, then exits with `code` once it is all out: process.exit() right after
// a write would cut what a pipe has not taken yet (at 64 KiB or so).
export function finish(text: string, code: number, stream: NodeJS.WriteStream = process.stdout): void {
  if (text === "") {
    process.exitCode = code;
    return;
  }
  stream.write(text.endsWith("\n") ? text : text + "\n", () => process.exit(code));
}
