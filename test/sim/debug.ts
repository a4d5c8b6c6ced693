// `node dist/test/sim/debug.js SEED`: one random scenario with both sides' logs.
import { scenarioWithLogs } from "./random.ts";
const seed = Number(process.argv[2] ?? 1);
const { outcome, logs } = scenarioWithLogs(seed);
console.log(logs);
console.log(outcome.failures.join("\n"));
