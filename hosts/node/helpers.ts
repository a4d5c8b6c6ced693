// Crypto helpers, as pluto's: a pool of `nhelpers` worker_threads that run helper jobs
// (hosts/crypto/jobs.ts) off the main thread, one job per helper at a time, first come first
// served. nhelpers = 0 runs every job inline on the main thread (still asynchronously, so the
// caller's code path is the same).
//
//   const pool = new HelperPool({ nhelpers: 2 });
//   const r = await pool.submit({ kind: "dh-generate", group: 31 });
//   ...
//   await pool.close(); // terminates every helper it started
//
// submit() resolves with the job's result, including a job that failed on its own terms (a
// peer's invalid KE value comes back as { ok: false, error }). It rejects with HelperPoolError
// when the pool could not run the job: the queue is full, the pool is closed, the helper running
// it died (the helper is replaced; the job is not retried, since the state that asked for it
// decides what to do), or no helper can start at all.
//
// The helper script: by default helper-worker.js beside this file, which is what runs from
// dist/ (npm run build). Node 20 cannot run TypeScript by itself, so running from the source
// tree (under vitest) needs a loader in the helpers, given as execArgv; the tests use
// test/crypto/ts-loader.mjs: new HelperPool({ execArgv: ["--import", loaderUrl] }).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { runJob, type Job, type ResultOf } from "../crypto/jobs.ts";
import { loadProvider, type CryptoProvider, type ProviderName } from "../crypto/provider.ts";

export interface HelperPoolOptions {
  // Helper threads; default the number of CPUs minus one, at least one (as pluto). 0: inline.
  nhelpers?: number;
  // The crypto provider the helpers use. Default "native".
  provider?: ProviderName;
  // Jobs that may wait for a free helper before submit() refuses more. Default 1024.
  maxQueue?: number;
  // The helper script; default helper-worker.js (or .ts when this file runs from source).
  workerUrl?: URL;
  // Node options for the helpers, e.g. ["--import", <TypeScript loader>] from source.
  execArgv?: string[];
}

export type HelperPoolErrorCode = "QUEUE_FULL" | "CLOSED" | "HELPER_DIED" | "NO_HELPERS";

export class HelperPoolError extends Error {
  constructor(
    readonly code: HelperPoolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "HelperPoolError";
  }
}

export interface HelperPoolStats {
  helpers: number; // threads alive now
  busy: number; // of them running a job
  queued: number; // jobs waiting for a helper
  started: number; // threads started so far, replacements included
  died: number; // threads that exited without being asked to
}

interface Task {
  id: number;
  job: Job;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

interface Helper {
  worker: Worker;
  ready: boolean;
  task: Task | null;
  lastError?: Error;
}

// A helper that cannot even start this many times in a row means no helper will.
const MAX_START_FAILURES = 3;

export function defaultHelperCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith(".ts") ? "./helper-worker.ts" : "./helper-worker.js", here);
}

export class HelperPool {
  readonly nhelpers: number;
  readonly providerName: ProviderName;
  readonly maxQueue: number;
  private readonly workerUrl: URL;
  private readonly execArgv: string[] | undefined;
  private readonly helpers = new Set<Helper>();
  private readonly queue: Task[] = [];
  private inline: Promise<CryptoProvider> | null = null;
  private closed = false;
  private broken: HelperPoolError | null = null;
  private startFailures = 0;
  private started = 0;
  private died = 0;
  private nextId = 1;

  constructor(opts: HelperPoolOptions = {}) {
    const n = opts.nhelpers ?? defaultHelperCount();
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`nhelpers must be a whole number >= 0, not ${n}`);
    this.nhelpers = n;
    this.providerName = opts.provider ?? "native";
    if (this.providerName !== "native" && this.providerName !== "portable") {
      throw new RangeError(`no crypto provider named ${JSON.stringify(this.providerName)} (native, portable)`);
    }
    this.maxQueue = opts.maxQueue ?? 1024;
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    this.execArgv = opts.execArgv;
    if (n === 0) this.inline = loadProvider(this.providerName);
    for (let i = 0; i < n; i++) this.spawn();
  }

  submit<J extends Job>(job: J): Promise<ResultOf<J>> {
    if (this.closed) return Promise.reject(new HelperPoolError("CLOSED", "the helper pool is closed"));
    if (this.broken) return Promise.reject(this.broken);
    if (this.inline) {
      const provider = this.inline;
      return provider.then((p) => runJob(p, job));
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new HelperPoolError("QUEUE_FULL", `helper queue full: ${this.queue.length} jobs already wait for ${this.nhelpers} helpers (maxQueue ${this.maxQueue})`),
      );
    }
    return new Promise<ResultOf<J>>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve: resolve as (r: unknown) => void, reject });
      this.dispatch();
    });
  }

  stats(): HelperPoolStats {
    let busy = 0;
    for (const h of this.helpers) if (h.task) busy++;
    return { helpers: this.helpers.size, busy, queued: this.queue.length, started: this.started, died: this.died };
  }

  // Refuses new jobs, fails the waiting and running ones with CLOSED, and terminates every
  // helper; resolves once all of them have exited.
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = () => new HelperPoolError("CLOSED", "the helper pool was closed before the job finished");
    for (const t of this.queue.splice(0)) t.reject(closedError());
    const exits: Promise<number>[] = [];
    for (const h of this.helpers) {
      if (h.task) h.task.reject(closedError());
      h.task = null;
      exits.push(h.worker.terminate());
    }
    await Promise.all(exits);
    this.helpers.clear();
  }

  private spawn(): void {
    const worker = new Worker(this.workerUrl, { workerData: { provider: this.providerName }, execArgv: this.execArgv });
    const h: Helper = { worker, ready: false, task: null };
    this.helpers.add(h);
    this.started++;
    worker.on("message", (msg: { ready?: true; id?: number; result?: unknown }) => {
      if (msg.ready) {
        h.ready = true;
        this.startFailures = 0;
      } else if (h.task && h.task.id === msg.id) {
        const t = h.task;
        h.task = null;
        t.resolve(msg.result);
      }
      this.dispatch();
    });
    worker.on("error", (e) => {
      h.lastError = e;
    });
    worker.on("exit", (code) => this.onExit(h, code));
  }

  private onExit(h: Helper, code: number): void {
    if (!this.helpers.delete(h) || this.closed) return;
    this.died++;
    const why = h.lastError ? `${h.lastError.name}: ${h.lastError.message}` : `exit code ${code}`;
    if (h.task) h.task.reject(new HelperPoolError("HELPER_DIED", `the crypto helper running this ${h.task.job.kind} job died (${why}); it has been replaced`));
    if (!h.ready && ++this.startFailures >= MAX_START_FAILURES) {
      this.broken = new HelperPoolError(
        "NO_HELPERS",
        `no crypto helper could start (${why}) from ${this.workerUrl.href}` +
          (this.workerUrl.pathname.endsWith(".ts") ? ": Node needs a TypeScript loader in execArgv, or run the compiled dist/" : ""),
      );
      for (const t of this.queue.splice(0)) t.reject(this.broken);
      return;
    }
    this.spawn();
  }

  private dispatch(): void {
    if (this.queue.length === 0) return;
    for (const h of this.helpers) {
      if (!h.ready || h.task) continue;
      const t = this.queue.shift();
      if (!t) return;
      h.task = t;
      h.worker.postMessage({ id: t.id, job: t.job });
    }
  }
}
