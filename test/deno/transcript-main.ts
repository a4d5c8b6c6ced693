// Prints the identity scenario's transcript (transcript.ts):
//   node dist/test/deno/transcript-main.js [native|portable] [SEED]
//   deno run --allow-read test/deno/transcript-main.ts [native|portable] [SEED]
import { readFileSync } from "node:fs";
import { transcript } from "./transcript.ts";
import { loadProvider, type ProviderName } from "../../hosts/crypto/provider.ts";

const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(new URL("../../build/core.wasm", import.meta.url.replace(/\/dist\/test\//, "/test/"))));
console.log(await transcript(module, await loadProvider((argv[0] ?? "native") as ProviderName), Number(argv[1] ?? 1)));
