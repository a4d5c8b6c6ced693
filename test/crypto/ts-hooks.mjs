// Module customization hooks (node:module register): load .ts files as ES modules after
// stripping their types. See ts-loader.mjs.
//
// Loading `typescript` costs about a second per thread, so transpiled files are cached in
// node_modules/.cache/ (where build tools keep theirs; ignored by git), keyed by path, size and
// modification time: a helper started after the first one usually never loads the compiler.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cacheDir = fileURLToPath(new URL("../../node_modules/.cache/ts-hooks/", import.meta.url));
mkdirSync(cacheDir, { recursive: true });

let ts;
async function transpile(source, fileName) {
  ts ??= (await import("typescript")).default;
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true },
  });
  return out.outputText;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const st = await stat(file);
  const key = createHash("sha256").update(`${file}\0${st.size}\0${st.mtimeMs}`).digest("hex").slice(0, 32);
  const cached = join(cacheDir, key + ".mjs");
  let source;
  try {
    source = await readFile(cached, "utf8");
  } catch {
    source = await transpile(await readFile(file, "utf8"), file);
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, source);
    await rename(tmp, cached); // atomic: a reader sees the whole file or none
  }
  return { format: "module", source, shortCircuit: true };
}
