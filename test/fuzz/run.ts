// npm run fuzz -- --iterations N --seed S [--max-seconds T] [--corpus DIR]...
//
// The engine (test/fuzz/engine.ts) runs in a worker thread; this thread is a watchdog: the
// worker counts inputs in shared memory and keeps a copy of the input being decoded there, so
// a call that never returns is written out as a hang and the run ends instead of stalling.
// Progress goes to stderr (about every 5 s); stdout gets a few stat lines and, last, exactly:
//   fuzz: N inputs, T traps, H hangs, A accepted, R rejected
// Exit code 0 only when there was no trap, hang, unstable round trip or memory growth.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { join } from "node:path";
import * as abi from "../../core/abi.ts";
import { FuzzEngine, MUTATORS, type Stats, writeCrash, describeMode, MODE_CHAIN } from "./engine.ts";
import { projectRoot } from "./seeds.ts";

interface Args {
  iterations: number;
  seed: number;
  maxSeconds?: number;
  corpus: string[];
  stallSeconds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { iterations: 100_000, seed: 1, corpus: [], stallSeconds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = () => {
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n)) throw new Error(`${k} needs a number`);
      i++;
      return n;
    };
    switch (k) {
      case "--iterations": a.iterations = num(); break;
      case "--seed": a.seed = num(); break;
      case "--max-seconds": a.maxSeconds = num(); break;
      case "--stall-seconds": a.stallSeconds = num(); break;
      case "--corpus":
        if (v === undefined) throw new Error("--corpus needs a folder");
        a.corpus.push(v);
        i++;
        break;
      case "--help": case "-h":
        process.stdout.write("usage: npm run fuzz -- --iterations N --seed S [--max-seconds T] [--corpus DIR]...\n");
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  return a;
}

interface Shared {
  beat: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  input: SharedArrayBuffer;
}

const final = (s: { inputs: number; traps: number; hangs: number; accepted: number; rejected: number }) =>
  `fuzz: ${s.inputs} inputs, ${s.traps} traps, ${s.hangs} hangs, ${s.accepted} accepted, ${s.rejected} rejected`;

function progressLine(s: Stats): string {
  const rate = s.seconds > 0 ? Math.round(s.inputs / s.seconds) : 0;
  return `fuzz: ${s.seconds.toFixed(0)} s, ${s.inputs} inputs (${rate}/s), ${s.accepted} accepted, ${s.traps} traps, ` +
    `${s.hangs} hangs, ${s.unstable} unstable, ${s.growth} growth\n`;
}

function statLines(e: FuzzEngine, s: Stats, seedLine: string): string[] {
  const lines = [seedLine];
  const rate = s.seconds > 0 ? Math.round(s.inputs / s.seconds) : 0;
  lines.push(`fuzz: ${s.seconds.toFixed(2)} s, ${rate} inputs/s, ${s.unstable} unstable, ${s.growth} growth, ` +
    `memory ${s.memoryBytes / 65536} pages, ${s.identical} re-encoded byte for byte, most nodes ${s.maxNodes}`);
  const per = s.perMutator.map((m, i) => `${MUTATORS[i]} ${m.accepted}/${m.inputs}`).filter((_, i) => s.perMutator[i].inputs > 0);
  lines.push(`fuzz: accepted/inputs per mutator: ${per.join(", ")}`);
  for (const f of e.failures.slice(0, 10)) lines.push(`fuzz: ${f.kind}: ${describeMode(f.mode)}: ${f.reason}${f.file ? ` -> ${f.file}` : ""}`);
  return lines;
}

function worker(): void {
  const { args, shared } = workerData as { args: Args; shared: Shared };
  const engine = new FuzzEngine({
    seed: args.seed,
    corpusDirs: args.corpus.length ? args.corpus : undefined,
    shared: { beat: new Int32Array(shared.beat), meta: new Int32Array(shared.meta), input: new Uint8Array(shared.input) },
  });
  const seedLine = `fuzz: ${engine.seeds.length} seeds (${engine.dgramSeeds.length} datagrams, ${engine.chainSeeds.length} chains) from ${engine.corpusFiles} corpus files`;
  process.stderr.write(`${seedLine}\n`);
  const s = engine.run(args.iterations, {
    maxSeconds: args.maxSeconds,
    onProgress: (st) => parentPort?.postMessage({ progress: st }),
  });
  parentPort?.postMessage({ stats: s, lines: statLines(engine, s, seedLine), failed: engine.failed });
}

function main(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const shared: Shared = {
    beat: new SharedArrayBuffer(4),
    meta: new SharedArrayBuffer(16),
    input: new SharedArrayBuffer(abi.IN_CAP),
  };
  const beat = new Int32Array(shared.beat);
  const meta = new Int32Array(shared.meta);
  const w = new Worker(new URL(import.meta.url), { workerData: { args, shared } });
  let done = false;
  let lastStats: Stats | undefined;
  let last = -1;
  let since = Date.now();
  const dog = setInterval(() => {
    const b = Atomics.load(beat, 0);
    if (b !== last) {
      last = b;
      since = Date.now();
      return;
    }
    if (b === 0 || Date.now() - since < args.stallSeconds * 1000) return; // still loading seeds
    // one call has not returned for stallSeconds: write the input out and stop
    done = true;
    clearInterval(dog);
    const len = meta[3];
    const mode = { mode: meta[0], version: meta[1], np: meta[2] };
    const bytes = new Uint8Array(shared.input).slice(0, len);
    const reason = `a call did not return within ${args.stallSeconds} s (${mode.mode === MODE_CHAIN ? "wireDecodeChain" : "wireDecode"} or the round trip)`;
    const file = writeCrash(join(projectRoot(), "test", "fuzz", "crashes"), "hang", bytes, mode, reason);
    void w.terminate();
    process.stdout.write(`fuzz: hang: ${describeMode(mode)}: ${reason} -> ${file}\n`);
    // the counts of the last progress report, the hang, and every input begun
    const p = lastStats ?? { traps: 0, hangs: 0, accepted: 0, rejected: 0 };
    process.stdout.write(`${final({ inputs: b, traps: p.traps, hangs: p.hangs + 1, accepted: p.accepted, rejected: p.rejected })}\n`);
    process.exitCode = 1;
  }, 1000);
  w.on("message", (m: { progress?: Stats; stats: Stats; lines: string[]; failed: number }) => {
    if (done) return;
    if (m.progress) {
      lastStats = m.progress;
      process.stderr.write(progressLine(m.progress));
      return;
    }
    done = true;
    clearInterval(dog);
    for (const l of m.lines) process.stdout.write(`${l}\n`);
    process.stdout.write(`${final(m.stats)}\n`);
    process.exitCode = m.failed > 0 ? 1 : 0;
  });
  w.on("error", (e) => {
    if (done) return;
    done = true;
    clearInterval(dog);
    process.stderr.write(`fuzz: worker failed: ${e.stack ?? e}\n`);
    process.stdout.write(`${final({ inputs: Atomics.load(beat, 0), traps: 0, hangs: 0, accepted: 0, rejected: 0 })}\n`);
    process.exitCode = 2;
  });
  w.on("exit", () => clearInterval(dog));
}

if (isMainThread) main();
else worker();
