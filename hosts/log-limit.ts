// Log lines that a flood could make many, said once and then counted: the first of a kind is
// logged at once, the rest of that window only as a count when the window ends
// ("whack: refused 743 more clients in the last 10 s ..."). Runtime-neutral: the caller brings
// the time and calls flush() now and then (each note() flushes what is due, too).
export class LogLimiter {
  private kinds = new Map<string, { since: number; count: number; many: (n: number, secs: number) => string }>();
  constructor(
    private readonly log: (line: string) => void,
    private readonly windowMs = 10_000,
  ) {}

  // One event of a kind: `line` if none of that kind was logged in the current window,
  // otherwise counted, and said as many(count, window in seconds) when the window ends.
  note(kind: string, now: number, line: string, many: (n: number, secs: number) => string): void {
    this.flush(now);
    const k = this.kinds.get(kind);
    if (k) {
      k.count++;
      k.many = many;
      return;
    }
    this.kinds.set(kind, { since: now, count: 0, many });
    this.log(line);
  }

  // Says the counts of the windows that have ended; a kind that was quiet through its window
  // is forgotten, so its next event is logged at once again.
  flush(now: number): void {
    for (const [kind, k] of this.kinds) {
      if (now - k.since < this.windowMs) continue;
      if (k.count === 0) {
        this.kinds.delete(kind);
        continue;
      }
      this.log(k.many(k.count, Math.round(this.windowMs / 1000)));
      k.since = now;
      k.count = 0;
    }
  }

  // Whether counts are waiting for their window to end (the caller keeps its clock running).
  get pending(): boolean {
    return this.kinds.size > 0;
  }
}
