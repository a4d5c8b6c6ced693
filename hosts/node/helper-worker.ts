// One crypto helper thread (worker_threads), started by HelperPool (helpers.ts). It loads the
// provider named in workerData, says { ready: true }, then answers each { id, job } with
// { id, result } in order, one job at a time, as pluto's helpers do.
import { parentPort, workerData } from "node:worker_threads";
import { runJob, type Job } from "../crypto/jobs.ts";
import { loadProvider, type ProviderName } from "../crypto/provider.ts";

// A job kind only tests send: the helper exits on the spot, as if it had crashed.
const SELFTEST_EXIT = "selftest-exit";

const port = parentPort;
if (!port) throw new Error("helper-worker.ts runs as a worker_threads Worker, not on its own");

const provider = await loadProvider((workerData as { provider: ProviderName }).provider);

port.on("message", (msg: { id: number; job: Job | { kind: typeof SELFTEST_EXIT } }) => {
  if (msg.job.kind === SELFTEST_EXIT) process.exit(70);
  port.postMessage({ id: msg.id, result: runJob(provider, msg.job) });
});
port.postMessage({ ready: true });
