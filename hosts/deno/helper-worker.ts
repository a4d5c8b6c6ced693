// One crypto helper (a Web Worker started by helpers.ts): answers each job with its result.
/// <reference lib="deno.worker" />
import { runJob, type Job } from "../crypto/jobs.ts";
import { provider } from "./provider.ts";

self.onmessage = (ev: MessageEvent<Job>) => self.postMessage(runJob(provider, ev.data));
self.postMessage("ready");
