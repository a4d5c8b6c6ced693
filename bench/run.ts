// `npm run bench -- NAME...`: runs the named benchmarks (all when none is named). Each prints
// one JSON line per figure: {"bench":..,"metric":..,"value":..,"unit":..}. loadtest, scale and
// esp run only when named (minutes; esp as root).
import { loadWire } from "../hosts/node/corefile.ts";
import { benchCodec } from "./codec.ts";
import { benchHandshake } from "./handshake.ts";
import { benchConfig } from "./config.ts";
import { benchTimers } from "./timers.ts";
import { benchDh } from "./dh.ts";
import { benchLoadtest, benchFlood } from "./loadtest.ts";
import { benchEsp } from "./esp.ts";
import { benchScale } from "./scale.ts";
import { emitter } from "./util.ts";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const benches: Record<string, () => void | Promise<void>> = {
  config: () => benchConfig(emitter("config")),
  handshake: () => benchHandshake(emitter("handshake")),
  timers: () => benchTimers(emitter("timers")),
  dh: () => benchDh(emitter("dh")),
  loadtest: () => benchLoadtest(emitter("loadtest")),
  esp: () => benchEsp(emitter("esp")),
  scale: () => benchScale(emitter("scale")),
  flood: () => benchFlood(emitter("flood")),
  codec: () => {
    // The corpus lives in ../shared beside the project (from dist/bench/ or bench/).
    let corpus = new URL("../../shared/corpus/pcap/", import.meta.url);
    if (!existsSync(fileURLToPath(corpus))) corpus = new URL("../../../shared/corpus/pcap/", import.meta.url);
    benchCodec(loadWire(), emitter("codec"), corpus);
  },
};

const names = process.argv.slice(2);
for (const n of names) {
  if (!benches[n]) {
    console.error(`bench: unknown benchmark ${n}; known: ${Object.keys(benches).join(", ")}`);
    process.exit(2);
  }
}
// the ones that need root and minutes run only when named
const onlyNamed = new Set(["loadtest", "scale", "flood", "esp"]);
for (const n of names.length ? names : Object.keys(benches).filter((b) => !onlyNamed.has(b))) await benches[n]();
