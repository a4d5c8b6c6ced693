// Requests that arrive while the keys they need are still being computed (issue 10 item 5):
// held and answered when the helper is done, not dropped to wait for the peer's retransmission.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { pair, type Node, type Sim } from "./sim.ts";
import { consistency, established } from "./check.ts";

const IKE_AUTH = 35;
const INFORMATIONAL = 37;

function dump(...nodes: Node[]): string {
  return nodes.map((n) => `== ${n.name}\n${n.logs.join("\n")}`).join("\n");
}
function ok(sim: Sim, w: Node, e: Node): void {
  const v = consistency(sim, w, e);
  if (v.length) throw new Error(v.join("\n") + "\n" + dump(w, e));
}
// IKE messages of one exchange on the wire, from one node, requests or responses
function sent(sim: Sim, from: string, exchange: number, response: boolean): number {
  return sim.packets.filter((p) => p.from === from && p.bytes[18] === exchange && ((p.bytes[19] & 0x20) !== 0) === response).length;
}

describe("a request that comes before its keys is held", () => {
  test("IKE_AUTH before the responder's SKEYSEED job is done: answered once, no retransmission needed", () => {
    const { sim, w, e } = pair(501);
    // east's key derivation takes 50 ms, far longer than the 5 ms the IKE_AUTH request takes
    e.jobDelay = (job) => (job.kind === "dh-ike-keys" ? 50 : 1);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(400); // less than west's first retransmission interval (500 ms)
    ok(sim, w, e);
    expect(established(w), dump(w, e)).toHaveLength(1);
    expect(established(w)[0].children, dump(w, e)).toHaveLength(1);
    expect(e.log(/holding IKE_AUTH request 1 until the keys are ready/), dump(w, e)).toHaveLength(1);
    expect(sent(sim, "west", IKE_AUTH, false)).toBe(1);
    expect(sent(sim, "east", IKE_AUTH, true)).toBe(1);
    expect(w.log(/retransmitting request/)).toEqual([]);
  });

  test("a retransmission of the held IKE_AUTH request is not processed twice", () => {
    const { sim, w, e } = pair(502);
    // slower than west's retransmission interval: west sends its IKE_AUTH request again while
    // east still holds the first copy
    e.jobDelay = (job) => (job.kind === "dh-ike-keys" ? 1200 : 1);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    ok(sim, w, e);
    expect(sent(sim, "west", IKE_AUTH, false), dump(w, e)).toBeGreaterThanOrEqual(2);
    expect(e.log(/ignoring a retransmission of IKE_AUTH request 1: held already/).length, dump(w, e)).toBeGreaterThanOrEqual(1);
    expect(sent(sim, "east", IKE_AUTH, true), dump(w, e)).toBe(1);
    expect(e.log(/established IKE SA/), dump(w, e)).toHaveLength(1);
    expect(e.log(/established Child SA/), dump(w, e)).toHaveLength(1);
  });

  test("a request on the new IKE SA of a rekey before its keys are ready: held, answered without retransmission", () => {
    const { sim, w, e } = pair(503);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(1000);
    ok(sim, w, e);
    // east rekeys the IKE SA; west's keys for the new one take 300 ms, east's 1 ms
    w.jobDelay = (job) => (job.kind === "dh-ike-keys" ? 300 : 1);
    const old = established(e)[0].serial;
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, old));
    let fresh: number | undefined;
    for (let i = 0; i < 100 && fresh === undefined; i++) {
      sim.run(sim.now + 5);
      fresh = established(e).find((s) => s.serial !== old)?.serial;
    }
    expect(fresh, dump(w, e)).toBeDefined();
    const before = sent(sim, "east", INFORMATIONAL, false);
    // a liveness check on the new IKE SA, while west is still computing its keys
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_LIVENESS, fresh!));
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    expect(w.log(/holding INFORMATIONAL request 0 until the keys are ready/).length, dump(w, e)).toBe(1);
    expect(e.log(/retransmitting request/), dump(w, e)).toEqual([]);
    // the liveness request, sent once (the Delete of the old IKE SA went before it)
    expect(sent(sim, "east", INFORMATIONAL, false) - before, dump(w, e)).toBe(1);
    expect(e.log(/liveness: /), dump(w, e)).toEqual([]);
    expect(established(w), dump(w, e)).toHaveLength(1);
    expect(established(w)[0].children, dump(w, e)).toHaveLength(1);
  });
});
