// Lets a worker_threads helper run the TypeScript sources under Node 20, which cannot run
// TypeScript by itself: new HelperPool({ execArgv: ["--import", <this file's URL>] }).
// Vitest transforms the test files it runs, but a Worker is a fresh Node thread that vitest
// never sees, so it needs its own loader. The hooks strip types with the project's own
// `typescript` (transpileModule: no type checking, no bundling, imports left as written).
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
