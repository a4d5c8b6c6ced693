// Helper jobs and the helper pool: inline and worker_threads helpers give the same results; many
// jobs in flight all complete; a peer's invalid KE value is an error result; a helper that dies
// is replaced and its job fails instead of hanging; close() leaves no thread behind.
//
// The helpers run the TypeScript sources through test/crypto/ts-loader.mjs (Node 20 cannot run
// TypeScript itself; see hosts/node/helpers.ts).
import { afterEach, describe, expect, test } from "vitest";
import * as A from "../../hosts/crypto/algorithms.ts";
import { fromHex as h, hex } from "../../hosts/crypto/algorithms.ts";
import * as K from "../../hosts/crypto/ikev2-kdf.ts";
import { runJob, type DhChildKeysJob, type DhIkeKeysJob, type Job, type JobResult } from "../../hosts/crypto/jobs.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { portableProvider } from "../../hosts/crypto/portable.ts";
import { HelperPool, HelperPoolError, defaultHelperCount, type HelperPoolOptions } from "../../hosts/node/helpers.ts";

const loader = new URL("./ts-loader.mjs", import.meta.url).href;
const pools: HelperPool[] = [];
function pool(opts: HelperPoolOptions = {}): HelperPool {
  const p = new HelperPool({ execArgv: ["--import", loader], ...opts });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

// RFC 7748 6.1 keys, so that every result below is fixed.
const a = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const kb = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
const Ni = h("00112233445566778899aabbccddeeff");
const Nr = h("ffeeddccbbaa99887766554433221100");
const SPIi = h("0102030405060708");
const SPIr = h("1112131415161718");

const ikeJob: DhIkeKeysJob = {
  kind: "dh-ike-keys",
  group: A.CURVE25519,
  priv: a,
  peerPub: kb,
  prf: A.PRF_HMAC_SHA2_256,
  Ni,
  Nr,
  SPIi,
  SPIr,
  lengths: { encrKeyLen: 36, integKeyLen: 0, prfKeyLen: 32 },
};
const rekeyJob: DhIkeKeysJob = { ...ikeJob, prf: A.PRF_HMAC_SHA2_512, lengths: { encrKeyLen: 32, integKeyLen: 32, prfKeyLen: 64 }, rekey: { prfOld: A.PRF_HMAC_SHA2_256, SK_d_old: h("44".repeat(32)) } };
const childJob: DhChildKeysJob = {
  kind: "dh-child-keys",
  group: A.CURVE25519,
  priv: a,
  peerPub: kb,
  prf: A.PRF_HMAC_SHA2_256,
  SK_d: h("55".repeat(32)),
  Ni,
  Nr,
  lengths: { encrKeyLen: 20, integKeyLen: 0 },
};
const badKeJob: DhIkeKeysJob = { ...ikeJob, peerPub: new Uint8Array(32) }; // small order: all-zero secret

// Structured values compare as hex, whatever side of a thread boundary they came from.
const norm = (r: JobResult) => JSON.parse(JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? hex(v) : v)));

describe("runJob", () => {
  test("dh-ike-keys is SKEYSEED then ikeKeys over the DH secret (RFC 7748 6.1 keys)", () => {
    const r = runJob(nativeProvider, ikeJob);
    if (!r.ok) throw new Error(r.error.message);
    const prf = K.prfRef(nativeProvider, A.PRF_HMAC_SHA2_256);
    const gir = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    expect(r.keys).toEqual(K.ikeKeys(prf, K.skeyseed(prf, Ni, Nr, gir), Ni, Nr, SPIi, SPIr, ikeJob.lengths));
    const re = runJob(portableProvider, rekeyJob);
    if (!re.ok) throw new Error(re.error.message);
    const seed = K.rekeySkeyseed(prf, rekeyJob.rekey!.SK_d_old, gir, Ni, Nr);
    expect(re.keys).toEqual(K.ikeKeys(K.prfRef(nativeProvider, A.PRF_HMAC_SHA2_512), seed, Ni, Nr, SPIi, SPIr, rekeyJob.lengths));
    const c = runJob(portableProvider, childJob);
    expect(c.ok && c.keys).toEqual(K.childKeys(prf, childJob.SK_d, Ni, Nr, gir, childJob.lengths));
  });

  test("a peer's invalid KE value and a malformed job are error results, not exceptions", () => {
    for (const provider of [nativeProvider, portableProvider]) {
      const r = runJob(provider, badKeJob);
      expect(r).toMatchObject({ ok: false, kind: "dh-ike-keys", error: { code: "INVALID_KE_VALUE" } });
      expect(runJob(provider, { ...ikeJob, peerPub: kb.subarray(1) })).toMatchObject({ ok: false, error: { code: "INVALID_KE_LENGTH" } });
      expect(runJob(provider, { kind: "dh-generate", group: 99 })).toMatchObject({ ok: false, error: { code: "BAD_JOB" } });
      expect(runJob(provider, { ...ikeJob, prf: 8 })).toMatchObject({ ok: false, error: { code: "BAD_JOB", message: /PRF transform 8/ } });
      expect(runJob(provider, { kind: "no-such-job" } as unknown as Job)).toMatchObject({ ok: false, error: { code: "BAD_JOB" } });
    }
  });
});

describe("HelperPool", () => {
  test("default helper count is the number of CPUs minus one, at least one", () => {
    expect(defaultHelperCount()).toBeGreaterThanOrEqual(1);
    expect(() => new HelperPool({ nhelpers: -1 })).toThrow(RangeError);
  });

  test("inline and two worker helpers give identical results, for both providers", async () => {
    const jobs: Job[] = [ikeJob, rekeyJob, childJob, badKeJob];
    for (const provider of ["native", "portable"] as const) {
      const inline = pool({ nhelpers: 0, provider });
      const workers = pool({ nhelpers: 2, provider });
      const x = await Promise.all(jobs.map((j) => inline.submit(j)));
      const y = await Promise.all(jobs.map((j) => workers.submit(j)));
      expect(y.map(norm)).toEqual(x.map(norm));
      expect(x[3]).toMatchObject({ ok: false, error: { code: "INVALID_KE_VALUE" } });
      // dh-generate is random: check each key pair instead
      for (const p of [inline, workers]) {
        const g = await p.submit({ kind: "dh-generate", group: A.ECP_256 });
        if (!g.ok) throw new Error(g.error.message);
        expect(hex(nativeProvider.dhPublic(A.ECP_256, g.priv))).toBe(hex(g.pub));
      }
    }
  });

  test("100 jobs in flight at once all complete, and an invalid KE value does not hurt the helper", async () => {
    const p = pool({ nhelpers: 2 });
    const groups = [A.CURVE25519, A.ECP_256, A.ECP_384, A.CURVE448, A.MODP_2048];
    const jobs: Job[] = Array.from({ length: 100 }, (_, i) =>
      i % 10 === 3 ? badKeJob : i % 10 === 7 ? childJob : { kind: "dh-generate", group: groups[i % groups.length] },
    );
    const results = await Promise.all(jobs.map((j) => p.submit(j)));
    expect(results).toHaveLength(100);
    results.forEach((r, i) => {
      expect(r.kind).toBe(jobs[i].kind);
      expect(r.ok).toBe(jobs[i] !== badKeJob);
    });
    expect(p.stats()).toMatchObject({ helpers: 2, busy: 0, queued: 0, died: 0 });
  });

  test("a helper that dies is replaced and its job fails with HELPER_DIED", async () => {
    const p = pool({ nhelpers: 1 });
    const dying = p.submit({ kind: "selftest-exit" } as unknown as Job);
    const next = p.submit(ikeJob); // queued behind the dying job
    await expect(dying).rejects.toMatchObject({ name: "HelperPoolError", code: "HELPER_DIED", message: /died \(exit code 70\).*replaced/ });
    const r = await next;
    expect(r.ok).toBe(true);
    expect(p.stats()).toMatchObject({ helpers: 1, started: 2, died: 1 });
  });

  test("the queue is bounded: a full queue refuses at once with QUEUE_FULL", async () => {
    const p = pool({ nhelpers: 1, maxQueue: 2 });
    // the helper is still starting, so every job waits in the queue
    const accepted = [p.submit(childJob), p.submit(childJob)];
    await expect(p.submit(childJob)).rejects.toThrow(/helper queue full: 2 jobs already wait for 1 helpers/);
    await expect(p.submit(childJob)).rejects.toBeInstanceOf(HelperPoolError);
    for (const r of await Promise.all(accepted)) expect(r.ok).toBe(true);
    expect((await p.submit(childJob)).ok).toBe(true); // room again
  });

  test("close() fails pending jobs with CLOSED, terminates every helper, and refuses new jobs", async () => {
    const p = new HelperPool({ nhelpers: 2, execArgv: ["--import", loader] });
    await p.submit(childJob); // helpers up
    const pending = Array.from({ length: 20 }, () => p.submit({ kind: "dh-generate", group: A.MODP_4096 }));
    const settled = Promise.allSettled(pending);
    await p.close();
    const outcomes = await settled;
    for (const o of outcomes) {
      if (o.status === "rejected") expect(o.reason).toMatchObject({ code: "CLOSED" });
    }
    expect(outcomes.some((o) => o.status === "rejected")).toBe(true);
    expect(p.stats()).toMatchObject({ helpers: 0, busy: 0, queued: 0, died: 0 });
    await expect(p.submit(childJob)).rejects.toMatchObject({ code: "CLOSED" });
    await p.close(); // twice is harmless
  });

  test("helpers that cannot start (TypeScript without a loader) fail the jobs with NO_HELPERS instead of respawning forever", async () => {
    const p = pool({ nhelpers: 1, execArgv: [] });
    await expect(p.submit(childJob)).rejects.toMatchObject({ code: "NO_HELPERS", message: /TypeScript loader/ });
    await expect(p.submit(childJob)).rejects.toMatchObject({ code: "NO_HELPERS" });
    expect(p.stats()).toMatchObject({ helpers: 0, started: 3 });
  });
});
