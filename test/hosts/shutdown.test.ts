// Shutting down with thousands of IKE SAs: every one gets a Delete (at most a window of them in
// flight), the peer ends with none, and both kernels hold nothing of ours; a peer that does not
// answer costs a bounded wait, after which everything is deleted here alone. Two daemons in one
// process, wired back to back, on the virtual clock of test/hosts/daemon-pair.ts.
import { describe, expect, test } from "vitest";
import { daemonPair } from "./daemon-pair.ts";

const N = 2000;

// n connections between the same two hosts, one host address each way per connection
function conf(me: "west" | "east", n: number): string {
  const lines = [`config setup\n\tlisten=${me === "west" ? "192.0.2.1" : "192.0.2.2"}\n`];
  for (let i = 0; i < n; i++) {
    const host = (a: number) => `10.${a}.${i >> 8}.${i & 255}/32`;
    lines.push(`conn c${i}\n\tleft=192.0.2.1\n\tleftid=@west.test\n\tleftsubnet=${host(1)}\n\tright=192.0.2.2\n\trightid=@east.test\n\trightsubnet=${host(2)}\n` +
      `\tauthby=secret\n\tike=aes256-sha2_256;dh19\n\tesp=aes256-sha2_256\n\tauto=add\n`);
  }
  return lines.join("\n");
}

async function established(n: number) {
  const pair = daemonPair({ west: conf("west", n), east: conf("east", n) }, `@west.test @east.test : PSK "shutdown test secret 0123456789"\n`);
  await pair.daemons.east.start();
  await pair.daemons.west.start();
  // a few hundred at a time: east takes at most 1,024 half-open IKE SAs from one address
  for (let i = 0; i < n; i++) {
    await pair.daemons.west.whack({ cmd: "initiate", name: `c${i}`, async: true });
    if (i % 500 === 499) await pair.settle();
  }
  await pair.settle();
  for (const me of ["west", "east"] as const) {
    const up = pair.daemons[me].engine.status(1).ike.filter((s) => s.state === "ESTABLISHED_IKE_SA" && s.children.length === 1);
    expect(up, me).toHaveLength(n);
    expect(pair.kernels[me].xfrm.sas.size, me).toBe(2 * n);
  }
  return pair;
}

describe("shutdown", () => {
  test(`with ${N} IKE SAs: a Delete for each, a window at a time; the peer and both kernels end empty`, async () => {
    const { daemons, kernels, logs, settle } = await established(N);
    // Delete requests west has sent that east has not answered yet
    let inFlight = 0;
    let most = 0;
    let requests = 0;
    for (const me of ["west", "east"] as const) {
      const send = daemons[me].host.send;
      daemons[me].host.send = (local, remote, bytes, natT) => {
        if (bytes[18] === 37) { // INFORMATIONAL
          const response = (bytes[19] & 0x20) !== 0;
          if (me === "west" && !response) {
            requests++;
            most = Math.max(most, ++inFlight);
          }
          if (me === "east" && response) inFlight--;
        }
        send(local, remote, bytes, natT);
      };
    }
    const done = daemons.west.shutdown();
    for (let i = 0; i < 20 && daemons.west.engine.status(1).ike.length > 0; i++) await settle();
    const report = await done;
    expect(report).toMatchObject({ sent: N, answered: N, peerFirst: 0, unanswered: 0, abandoned: 0 });
    expect(requests).toBe(N);
    expect(most).toBeLessThanOrEqual(128);
    expect(most).toBeGreaterThan(1);
    expect(daemons.east.engine.status(1).ike).toHaveLength(0);
    for (const me of ["west", "east"] as const) {
      expect(kernels[me].xfrm.sas.size, me).toBe(0);
      expect(kernels[me].xfrm.policies.size, me).toBe(0);
    }
    expect(logs.west.join("\n")).toMatch(new RegExp(`shutdown: sent ${N} Deletes, ${N} answered, 0 crossed by the peer's own Delete, 0 IKE SA\\(s\\) deleted without an answer`));
    expect(logs.east.filter((l) => /the peer deleted the IKE SA/.test(l))).toHaveLength(N);
    // nothing is started once shutting down
    expect((await daemons.west.whack({ cmd: "initiate", name: "c0", async: true })).ok).toBe(false);
  }, 300000);

  test("a peer that does not answer: after the quiet bound every IKE SA is deleted here alone, with the kernel's entries", async () => {
    const n = 300;
    const { daemons, kernels, logs, settle } = await established(n);
    daemons.east.datagram = () => {}; // east is gone
    const done = daemons.west.shutdown({ quietMs: 500, maxMs: 5000 });
    let report: Awaited<typeof done> | null = null;
    void done.then((r) => (report = r));
    // the virtual clock moves as the pair settles
    for (let i = 0; i < 500 && report === null; i++) await settle();
    expect(report).toMatchObject({ sent: n, answered: 0, peerFirst: 0, unanswered: n, abandoned: 0 });
    expect(daemons.west.engine.status(1).ike).toHaveLength(0);
    expect(kernels.west.xfrm.sas.size).toBe(0);
    expect(kernels.west.xfrm.policies.size).toBe(0);
    expect(logs.west.join("\n")).toMatch(new RegExp(`shutting down: ${n} IKE SA\\(s\\) left after .* \\(no answer for .*\\): deleting them without an answer`));
  }, 300000);

  test("both sides shutting down at once: every Delete is answered or crossed by the peer's, nothing is left", async () => {
    const n = 100;
    const { daemons, kernels, settle } = await established(n);
    const done = [daemons.west.shutdown(), daemons.east.shutdown()];
    for (let i = 0; i < 20 && (daemons.west.engine.status(1).ike.length > 0 || daemons.east.engine.status(1).ike.length > 0); i++) await settle();
    for (const [i, report] of (await Promise.all(done)).entries()) {
      expect(report.sent, String(i)).toBe(n);
      expect(report.answered + report.peerFirst, String(i)).toBe(n);
      expect(report.unanswered, String(i)).toBe(0);
    }
    for (const me of ["west", "east"] as const) {
      expect(daemons[me].engine.status(1).ike, me).toHaveLength(0);
      expect(kernels[me].xfrm.sas.size, me).toBe(0);
    }
  }, 300000);
});
