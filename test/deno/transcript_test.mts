// The identity scenario under Deno (transcript.ts): the same with either provider, different for
// another seed, and byte-identical to Node's when node and dist/ are at hand.
import { assert, assertEquals } from "./assert.mts";
import { transcript } from "./transcript.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";

const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const module = await WebAssembly.compile(await Deno.readFile(`${root}/build/core.wasm`));
const mainJs = `${root}/dist/test/deno/transcript-main.js`;
const nodeReady = await new Deno.Command("node", { args: ["--version"], stdout: "null", stderr: "null" }).output().then((r) => r.success, () => false) &&
  (await Deno.stat(mainJs).then(() => true, () => false));
if (!nodeReady) console.log("comparison with Node skipped: node or dist/test/deno/transcript-main.js (npm run build) is missing");

const native = await transcript(module, nativeProvider, 1);

Deno.test("under Deno the transcript is the same with either provider, and another seed changes it", async () => {
  assert(/established IKE SA \(rekey of #\d+\)/.test(native));
  assertEquals(await transcript(module, portableProvider, 1), native);
  assert((await transcript(module, nativeProvider, 2)) !== native);
});

Deno.test({
  name: "under Deno the transcript is byte-identical to Node's",
  ignore: !nodeReady,
  async fn() {
    const r = await new Deno.Command("node", { args: [mainJs, "native", "1"], stdout: "piped", stderr: "piped", signal: AbortSignal.timeout(120000) }).output();
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    const node = new TextDecoder().decode(r.stdout);
    const a = node.split("\n");
    const b = (native + "\n").split("\n");
    const i = a.findIndex((l, k) => l !== b[k]);
    assertEquals(i, -1, `first difference at line ${i + 1}:\n- ${a[i]?.slice(0, 300)}\n+ ${b[i]?.slice(0, 300)}`);
    assertEquals(node, native + "\n");
  },
});
