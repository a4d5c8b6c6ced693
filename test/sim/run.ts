// `npm run sim -- --seeds N [--from S]`: N random fault schedules; ends with
// `sim: N scenarios, F failures` and exits non-zero on any failure.
import { parseArgs } from "node:util";
import { scenario } from "./random.ts";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "100" }, from: { type: "string", default: "1" }, verbose: { type: "boolean", default: false } } });
const n = Number(values.seeds);
const from = Number(values.from);
if (!Number.isInteger(n) || n < 0 || !Number.isInteger(from)) {
  console.error("usage: npm run sim -- --seeds N [--from S] [--verbose]");
  process.exit(2);
}
let failures = 0;
let packets = 0;
const t0 = Date.now();
for (let s = from; s < from + n; s++) {
  const o = scenario(s);
  packets += o.events;
  if (o.failures.length) {
    failures++;
    console.log(`seed ${s}: ${o.failures.length} violation(s)\n  ${o.failures.slice(0, 5).join("\n  ")}`);
  } else if (values.verbose) {
    console.log(`seed ${s}: ok (${o.events} datagrams)`);
  }
  if ((s - from) % 500 === 499) console.error(`sim: ${s - from + 1} scenarios, ${failures} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`sim: ${n} scenarios, ${failures} failures`);
void packets;
process.exit(failures ? 1 : 0);
