// Benchmark plumbing: one JSON line per figure, and a rate measured over repeated rounds.
export type Emit = (metric: string, value: number, unit: string) => void;

export function emitter(bench: string): Emit {
  return (metric, value, unit) => {
    const v = Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(4));
    console.log(JSON.stringify({ bench, metric, value: v, unit }));
  };
}

// Calls fn repeatedly for about `ms` milliseconds per round and returns the best calls/second
// of `rounds` rounds (the best round is the one least disturbed by the rest of the machine).
export function rate(fn: () => void, ms = 400, rounds = 3): number {
  for (let i = 0; i < 1000; i++) fn(); // warm-up: let the JIT compile both sides
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    let batch = 1;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      for (let i = 0; i < batch; i++) fn();
      n += batch;
      if (batch < 4096) batch *= 2;
      t = performance.now();
    }
    best = Math.max(best, (n * 1000) / (t - t0));
  }
  return best;
}
