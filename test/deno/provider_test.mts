// Crypto under Deno: Deno's node:crypto (the native provider) against the portable one for every
// algorithm, the Deno host's provider (native, with the groups Deno lacks from portable), and the
// helper Workers against inline runJob.
import { assert, assertEquals } from "./assert.mts";
import { nativeProvider as native } from "../../hosts/crypto/native.ts";
import { portableProvider as portable } from "../../hosts/crypto/portable.ts";
import { runJob, type Job } from "../../hosts/crypto/jobs.ts";
import { provider, portableGroups } from "../../hosts/deno/provider.ts";
import { WorkerPool } from "../../hosts/deno/helpers.ts";

const GROUPS = [14, 15, 16, 19, 20, 21, 31, 32];
const bytes = (n: number, v = 7) => new Uint8Array(n).map((_, i) => (i * 31 + v) & 255);

Deno.test("the groups node:crypto lacks under Deno are exactly those the host takes from portable", () => {
  for (const g of GROUPS) {
    let ok = true;
    try {
      native.dhGenerate(g);
    } catch {
      ok = false;
    }
    assertEquals(!ok, portableGroups.includes(g), `group ${g}`);
  }
  console.log(`groups from the portable provider under Deno ${Deno.version.deno}: ${portableGroups.join(", ") || "none"}`);
});

Deno.test("DH: the Deno host's provider and the portable one agree on public values and shared secrets", () => {
  for (const g of GROUPS) {
    const a = provider.dhGenerate(g);
    const b = portable.dhGenerate(g);
    assertEquals(provider.dhPublic(g, b.priv), b.pub, `public, group ${g}`);
    const s1 = provider.dhShared(g, a.priv, b.pub);
    const s2 = portable.dhShared(g, b.priv, a.pub);
    assert(s1.ok && s2.ok, `group ${g}`);
    assertEquals(s1.shared, s2.shared, `shared, group ${g}`);
    // a peer's value that is not one: refused as a value, never thrown
    const bad = provider.dhShared(g, a.priv, new Uint8Array(a.pub.length));
    assertEquals(bad.ok, false, `all-zero peer value, group ${g}`);
  }
});

Deno.test("PRF, integrity and encryption: Deno's node:crypto and portable agree", () => {
  for (const p of [2, 5, 6, 7]) assertEquals(native.prf(p, bytes(13), bytes(77)), portable.prf(p, bytes(13), bytes(77)));
  for (const [i, kl] of [[2, 20], [12, 32], [13, 48], [14, 64]]) assertEquals(native.integ(i, bytes(kl), bytes(99)), portable.integ(i, bytes(kl), bytes(99)));
  for (const [e, kl, ivl, aad] of [[12, 16, 16, 0], [12, 32, 16, 0], [20, 20, 8, 8], [20, 36, 8, 8], [28, 36, 8, 8]]) {
    const a = aad ? bytes(aad, 3) : undefined;
    const c = native.encrypt(e, bytes(kl), bytes(ivl), bytes(64), a);
    assertEquals(c, portable.encrypt(e, bytes(kl), bytes(ivl), bytes(64), a), `encrypt ${e}/${kl}`);
    assertEquals(native.decrypt(e, bytes(kl), bytes(ivl), c, a), bytes(64));
    c[0] ^= 1;
    assertEquals(native.decrypt(e, bytes(kl), bytes(ivl), c, a), e === 12 ? native.decrypt(e, bytes(kl), bytes(ivl), c, a) : null);
  }
});

Deno.test("helper Workers give what runJob gives inline, for every job kind, many at a time", async () => {
  const pool = new WorkerPool(2);
  try {
    const jobs: Job[] = [];
    for (const g of [14, 19, 21, 31]) {
      const a = portable.dhGenerate(g);
      const b = portable.dhGenerate(g);
      const lengths = { encrKeyLen: 36, integKeyLen: 0, prfKeyLen: 32 };
      jobs.push({ kind: "dh-ike-keys", group: g, priv: a.priv, peerPub: b.pub, prf: 5, Ni: bytes(32, 1), Nr: bytes(32, 2), SPIi: bytes(8, 3), SPIr: bytes(8, 4), lengths });
      jobs.push({ kind: "dh-child-keys", group: g, priv: a.priv, peerPub: b.pub, prf: 5, SK_d: bytes(32, 5), Ni: bytes(32, 1), Nr: bytes(32, 2), lengths: { encrKeyLen: 20, integKeyLen: 32 } });
      jobs.push({ kind: "dh-ike-keys", group: g, priv: a.priv, peerPub: new Uint8Array(b.pub.length), prf: 5, Ni: bytes(32), Nr: bytes(32), SPIi: bytes(8), SPIr: bytes(8), lengths });
    }
    const results = await Promise.all(jobs.map((j) => pool.submit(j)));
    results.forEach((r, i) => assertEquals(r, runJob(provider, jobs[i]), `job ${i} (${jobs[i].kind})`));
    const gen = await pool.submit({ kind: "dh-generate", group: 31 });
    assert(gen.ok && gen.kind === "dh-generate" && gen.pub.length === 32);
    const bad = await pool.submit({ kind: "dh-generate", group: 9999 });
    assertEquals(bad.ok, false);
  } finally {
    pool.close();
  }
  let refused = false;
  await pool.submit({ kind: "dh-generate", group: 31 }).catch(() => (refused = true));
  assert(refused, "a closed pool refuses jobs");
});
