// pluto's crypto helpers as Web Workers: `n` workers running hosts/crypto/jobs.ts runJob, one
// job each at a time, first come first served. A worker that dies fails its job and is replaced;
// three that die before saying "ready" mean none will start, and every job fails with why.
import type { Job, JobResult } from "../crypto/jobs.ts";

type Task = { job: Job; resolve: (r: JobResult) => void; reject: (e: Error) => void };

export class WorkerPool {
  private idle: Worker[] = [];
  private busy = new Map<Worker, Task | null>(); // null: not ready yet
  private queue: Task[] = [];
  private broken: Error | null = null;
  private failures = 0;
  private closed = false;

  constructor(n: number, private readonly maxQueue = 1024) {
    for (let i = 0; i < n; i++) this.spawn();
  }

  submit(job: Job): Promise<JobResult> {
    if (this.closed || this.broken) return Promise.reject(this.broken ?? new Error("the helper pool is closed"));
    if (this.queue.length >= this.maxQueue) return Promise.reject(new Error(`helper queue full (${this.maxQueue} jobs wait)`));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.next();
    });
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.idle, ...this.busy.keys()]) w.terminate();
    for (const t of [...this.queue.splice(0), ...this.busy.values()]) t?.reject(new Error("the helper pool was closed"));
    this.idle = [];
    this.busy.clear();
  }

  private spawn(): void {
    const w = new Worker(new URL("./helper-worker.ts", import.meta.url).href, { type: "module" });
    this.busy.set(w, null);
    w.onmessage = (ev: MessageEvent<JobResult | "ready">) => {
      const t = this.busy.get(w);
      this.busy.delete(w);
      if (ev.data === "ready") this.failures = 0;
      else t?.resolve(ev.data);
      this.idle.push(w);
      this.next();
    };
    w.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      w.terminate();
      const starting = this.busy.has(w) && this.busy.get(w) === null;
      const t = this.busy.get(w);
      this.busy.delete(w);
      this.idle = this.idle.filter((x) => x !== w);
      t?.reject(new Error(`the crypto helper died (${ev.message}); it has been replaced`));
      if (this.closed) return;
      if (starting && ++this.failures >= 3) {
        this.broken = new Error(`no crypto helper could start: ${ev.message}`);
        for (const q of this.queue.splice(0)) q.reject(this.broken);
        return;
      }
      this.spawn();
    };
  }

  private next(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.shift()!;
      const t = this.queue.shift()!;
      this.busy.set(w, t);
      w.postMessage(t.job);
    }
  }
}
