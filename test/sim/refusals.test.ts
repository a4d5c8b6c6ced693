// Refusals between two cores: a Child SA rekey without a KE group against pfs=yes (issue 10
// item 3), INVALID_KE_PAYLOAD naming only offered groups, and refusals by the initiator after
// IKE_AUTH reaching the responder (item 4). Each ends with the invariants of check.ts.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { pair, type Sim, type Node } from "./sim.ts";
import { consistency, empty, established } from "./check.ts";

function up(seed: number, west = {}, east = {}) {
  const p = pair(seed, undefined, west, east);
  p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east"));
  p.sim.run(p.sim.now + 2000);
  return p;
}
function dump(...nodes: Node[]): string {
  return nodes.map((n) => `== ${n.name}\n${n.logs.join("\n")}`).join("\n");
}
function ok(sim: Sim, w: Node, e: Node): void {
  const v = consistency(sim, w, e);
  if (v.length) throw new Error(v.join("\n") + "\n" + dump(w, e));
}
const ikeOf = (n: Node) => established(n)[0];
const childrenOf = (n: Node) => (ikeOf(n)?.children ?? []).filter((c) => c.state === "ESTABLISHED_CHILD_SA");

// strongSwan's usual esp_proposals = aes128gcm16: no KE group, so no KE in CREATE_CHILD_SA
const noDh = { esp: [{ encr: [[20, 128]], esn: [0] }] } as never;
// our default pfs=yes: the host adds the IKE SA's group to an esp= proposal that names none
const pfsYes = { pfs: true, esp: [{ encr: [[20, 128]], esn: [0], dh: [31] }] } as never;

describe("a Child SA rekey without a KE group against pfs=yes (as Libreswan 4.10)", () => {
  test("the responder answers NO_PROPOSAL_CHOSEN, never INVALID_KE_PAYLOAD, and both keep the Child SA", () => {
    const { sim, w, e } = up(101, noDh, pfsYes);
    const old = childrenOf(w)[0];
    expect(old).toBeDefined();
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
    sim.run(sim.now + 2000);
    expect(e.log(/pfs=yes wants a KE group of CURVE25519, the peer offers none: NO_PROPOSAL_CHOSEN/)).toHaveLength(1);
    expect(e.log(/refusing CREATE_CHILD_SA: .*\(NO_PROPOSAL_CHOSEN\)/)).toHaveLength(1);
    expect(e.log(/INVALID_KE_PAYLOAD/)).toEqual([]);
    expect(w.log(/CREATE_CHILD_SA refused with NO_PROPOSAL_CHOSEN/)).toHaveLength(1);
    // the old Child SA stays on both sides until it is replaced or expires
    ok(sim, w, e);
    expect(childrenOf(w).map((c) => c.serial)).toEqual([old.serial]);
    expect(childrenOf(e)).toHaveLength(1);
  });
  test("a new Child SA without a KE group is refused the same way", () => {
    const { sim, w, e } = up(102, noDh, pfsYes);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childrenOf(w)[0].serial));
    sim.run(sim.now + 2000);
    expect(e.log(/the peer offers none: NO_PROPOSAL_CHOSEN/)).toHaveLength(1);
    ok(sim, w, e);
  });
  test("with a KE group of ours offered, the same peers rekey with PFS", () => {
    const { sim, w, e } = up(103, pfsYes, pfsYes);
    const old = childrenOf(w)[0];
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    expect(childrenOf(w)).toHaveLength(1);
    expect(childrenOf(w)[0].serial).not.toBe(old.serial);
    expect(childrenOf(w)[0].dh).toBe(31);
  });
});

describe("INVALID_KE_PAYLOAD names only a group the request offered (RFC 7296 1.3, 3.10.1)", () => {
  test("offered ECP_256 and CURVE25519 with a KE of ECP_256, the responder wants CURVE25519: INVALID_KE_PAYLOAD naming CURVE25519", () => {
    const both = { pfs: true, esp: [{ encr: [[20, 128]], esn: [0], dh: [19, 31] }] } as never;
    const { sim, w, e } = up(104, both, pfsYes);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childrenOf(w)[0].serial));
    sim.run(sim.now + 2000);
    const refusals = e.log(/refusing CREATE_CHILD_SA: the chosen proposal has KE group (\S+), the request's KE payload has (\S+) \(INVALID_KE_PAYLOAD\)/);
    expect(refusals).toHaveLength(1);
    const [, named, sent] = /has KE group (\S+), the request's KE payload has (\S+)/.exec(refusals[0])!;
    expect(named).toBe("CURVE25519");
    expect(sent).toBe("ECP_256");
    // the group named is one the request offered: west proposed both
    expect(["ECP_256", "CURVE25519"]).toContain(named);
    ok(sim, w, e);
  });
  test("offered only a group the responder does not take: NO_PROPOSAL_CHOSEN, not INVALID_KE_PAYLOAD naming an unoffered group", () => {
    const other = { pfs: true, esp: [{ encr: [[20, 128]], esn: [0], dh: [19] }] } as never;
    const { sim, w, e } = up(105, other, pfsYes);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childrenOf(w)[0].serial));
    sim.run(sim.now + 2000);
    expect(e.log(/pfs=yes wants a KE group of CURVE25519, the peer offers ECP_256: NO_PROPOSAL_CHOSEN/)).toHaveLength(1);
    expect(e.log(/INVALID_KE_PAYLOAD/)).toEqual([]);
    ok(sim, w, e);
  });
});

describe("the initiator's refusals after IKE_AUTH reach the responder (RFC 7296 2.21.2)", () => {
  // (keyingtries=1: a connection supposed to be up would try again)
  const otherId = { rightId: { type: 2, data: new TextEncoder().encode("other.example") }, keyingTries: 1 } as never;
  test("an identity mismatch: N(AUTHENTICATION_FAILED) and a Delete, and no SA is left on either core", () => {
    const { w, e } = up(106, otherId);
    expect(w.log(/the responder's identity ID_FQDN '@east.example' does not match the connection's rightid=@other.example: sending AUTHENTICATION_FAILED and a Delete/)).toHaveLength(1);
    expect(e.log(/the peer reports AUTHENTICATION_FAILED/)).toHaveLength(1);
    expect(e.log(/the peer deleted the IKE SA/)).toHaveLength(1);
    expect(empty(w).concat(empty(e))).toEqual([]);
  });
  test("the same when the first INFORMATIONAL is lost: it is retransmitted", () => {
    const p = pair(107, undefined, otherId, {});
    let dropped = 0;
    p.sim.drop = (x) => x.from === "west" && x.exchange === 37 && !x.response && dropped++ === 0;
    p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east"));
    p.sim.run(p.sim.now + 10000);
    expect(dropped).toBeGreaterThan(1);
    expect(p.e.log(/the peer deleted the IKE SA/)).toHaveLength(1);
    expect(empty(p.w).concat(empty(p.e))).toEqual([]);
  });
  test("an IKE_AUTH Child SA the initiator refuses (narrowed, narrowing=no) is deleted on the responder too", () => {
    const wide = { rightTs: [{ start: Uint8Array.of(198, 51, 100, 0), end: Uint8Array.of(198, 51, 100, 255) }] };
    const { sim, w, e } = up(108, wide);
    expect(w.log(/narrowing=no/)).toHaveLength(1);
    expect(w.log(/deleting the Child SA the responder made \(ESP SPI 0x[0-9a-f]+\)/)).toHaveLength(1);
    ok(sim, w, e);
    expect(ikeOf(w).children).toHaveLength(0);
    expect(ikeOf(e).children).toHaveLength(0);
  });
});

describe("a Child SA that cannot be rekeyed with PFS survives its lifetime: reauthentication (RFC 7296 2.8.3)", () => {
  // Sampled every second over several Child SA lifetimes: each side always has an established
  // Child SA (`gaps` counts the seconds where one has none)
  function survives(seed: number, west: object, east: object, ms: number) {
    const { sim, w, e } = up(seed, west, east);
    let gaps = 0;
    const end = sim.now + ms;
    for (let t = sim.now + 1000; t <= end; t += 1000) {
      sim.run(t);
      if (childrenOf(w).length === 0 || childrenOf(e).length === 0) gaps++;
    }
    sim.run(sim.now + 5000);
    return { sim, w, e, gaps };
  }
  test("the peer's rekey without a KE group is refused: as the IKE SA's initiator we reauthenticate before its Child SA expires", () => {
    const { sim, w, e, gaps } = survives(111, { ...pfsYes as object, timers: { ikeLifetime: 3600, childLifetime: 600, rekeyMargin: 10, rekeyFuzz: 0 } },
      { ...noDh as object, timers: { ikeLifetime: 3600, childLifetime: 40, rekeyMargin: 15, rekeyFuzz: 0 } }, 200_000);
    expect(gaps).toBe(0);
    expect(w.log(/the peer rekeys Child SA #\d+ without a KE group and pfs=yes: reauthenticating/).length).toBeGreaterThanOrEqual(4);
    expect(e.log(/CREATE_CHILD_SA refused with NO_PROPOSAL_CHOSEN/).length).toBeGreaterThanOrEqual(4);
    ok(sim, w, e);
    expect(established(e)).toHaveLength(1);
    expect(childrenOf(e)).toHaveLength(1);
  });
});
