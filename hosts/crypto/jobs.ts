// Helper jobs: the expensive crypto pluto hands to its helper threads, as plain data that
// survives structuredClone (numbers, strings, Uint8Array), so the same job runs inline, in a
// worker_threads helper (hosts/node/helpers.ts) or in a Deno Worker.
//
//   dh-generate     a fresh key pair for the KE payload we send
//   dh-ike-keys     g^ir from our private key and the peer's KE, then SKEYSEED and the seven
//                   IKE SA keys (IKE_SA_INIT, or the rekey of an IKE SA when `rekey` is given)
//   dh-child-keys   g^ir, then the Child SA KEYMAT with it (CREATE_CHILD_SA with PFS)
//
// runJob never throws: a peer's bad KE value and a malformed job both come back as
// { ok: false, error } naming what was wrong.
import { CryptoUsageError, type DhErrorCode } from "./algorithms.ts";
import {
  childKeys,
  ikeKeys,
  prfRef,
  rekeySkeyseed,
  skeyseed,
  type ChildKeyLengths,
  type ChildKeys,
  type IkeKeyLengths,
  type IkeKeys,
} from "./ikev2-kdf.ts";
import type { CryptoProvider } from "./provider.ts";

export interface DhGenerateJob {
  kind: "dh-generate";
  group: number;
}

export interface DhIkeKeysJob {
  kind: "dh-ike-keys";
  group: number;
  priv: Uint8Array; // ours, from dh-generate
  peerPub: Uint8Array; // the peer's Key Exchange Data
  prf: number; // PRF transform of the (new) IKE SA
  Ni: Uint8Array;
  Nr: Uint8Array;
  SPIi: Uint8Array;
  SPIr: Uint8Array;
  lengths: IkeKeyLengths;
  // Rekeying an IKE SA (RFC 7296 2.18): SKEYSEED = prf_old(SK_d_old, g^ir | Ni | Nr).
  rekey?: { prfOld: number; SK_d_old: Uint8Array };
}

export interface DhChildKeysJob {
  kind: "dh-child-keys";
  group: number;
  priv: Uint8Array;
  peerPub: Uint8Array;
  prf: number; // PRF of the IKE SA that SK_d belongs to
  SK_d: Uint8Array;
  Ni: Uint8Array;
  Nr: Uint8Array;
  lengths: ChildKeyLengths;
}

export type Job = DhGenerateJob | DhIkeKeysJob | DhChildKeysJob;
export type JobKind = Job["kind"];

export type JobErrorCode = DhErrorCode | "BAD_JOB";

export interface JobError {
  code: JobErrorCode;
  message: string;
}

export type DhGenerateResult = { ok: true; kind: "dh-generate"; priv: Uint8Array; pub: Uint8Array };
export type DhIkeKeysResult = { ok: true; kind: "dh-ike-keys"; keys: IkeKeys };
export type DhChildKeysResult = { ok: true; kind: "dh-child-keys"; keys: ChildKeys };
export type JobFailure = { ok: false; kind: JobKind; error: JobError };

export type JobResult = DhGenerateResult | DhIkeKeysResult | DhChildKeysResult | JobFailure;

// The result type of a given job type.
export type ResultOf<J extends Job> =
  | (J extends DhGenerateJob ? DhGenerateResult : J extends DhIkeKeysJob ? DhIkeKeysResult : DhChildKeysResult)
  | JobFailure;

function fail(kind: JobKind, code: JobErrorCode, message: string): JobFailure {
  return { ok: false, kind, error: { code, message } };
}

export function runJob<J extends Job>(provider: CryptoProvider, job: J): ResultOf<J>;
export function runJob(provider: CryptoProvider, job: Job): JobResult {
  const kind = (job as { kind?: unknown })?.kind;
  try {
    switch (job.kind) {
      case "dh-generate": {
        const { priv, pub } = provider.dhGenerate(job.group);
        return { ok: true, kind: job.kind, priv, pub };
      }
      case "dh-ike-keys": {
        const dh = provider.dhShared(job.group, job.priv, job.peerPub);
        if (!dh.ok) return fail(job.kind, dh.error.code, dh.error.message);
        const p = prfRef(provider, job.prf);
        const seed = job.rekey
          ? rekeySkeyseed(prfRef(provider, job.rekey.prfOld), job.rekey.SK_d_old, dh.shared, job.Ni, job.Nr)
          : skeyseed(p, job.Ni, job.Nr, dh.shared);
        return { ok: true, kind: job.kind, keys: ikeKeys(p, seed, job.Ni, job.Nr, job.SPIi, job.SPIr, job.lengths) };
      }
      case "dh-child-keys": {
        const dh = provider.dhShared(job.group, job.priv, job.peerPub);
        if (!dh.ok) return fail(job.kind, dh.error.code, dh.error.message);
        const p = prfRef(provider, job.prf);
        return { ok: true, kind: job.kind, keys: childKeys(p, job.SK_d, job.Ni, job.Nr, dh.shared, job.lengths) };
      }
      default:
        return fail(String(kind) as JobKind, "BAD_JOB", `unknown helper job kind ${JSON.stringify(kind)}`);
    }
  } catch (e) {
    // A malformed job (unknown group or PRF, missing field) is the sender's bug; it must not
    // take the helper down with it.
    const why = e instanceof CryptoUsageError ? e.message : `${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? String(e)}`;
    return fail(String(kind) as JobKind, "BAD_JOB", why);
  }
}
