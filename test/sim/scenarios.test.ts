// Scenarios between two cores in the simulator: establish, rekeys, collisions, deletes,
// dead peer, restart. Each ends with the invariants of check.ts.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { pair, Sim, type Node } from "./sim.ts";
import { consistency, empty, established } from "./check.ts";
import { scenario } from "./random.ts";

function up(seed = 1, west = {}, east = {}) {
  const p = pair(seed, undefined, west, east);
  p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east"));
  p.sim.run(p.sim.now + 2000);
  return p;
}
// the same, brought up as traffic would (not supposed to be up: nothing is revived), for the
// scenarios about what goes away
function upOnDemand(seed = 1, west = {}, east = {}) {
  const p = pair(seed, undefined, west, east);
  p.sim.act(p.w, (x) => x.initiateOnDemand(p.sim.now, "west-east"));
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
const childOf = (n: Node) => ikeOf(n).children.find((c) => c.state === "ESTABLISHED_CHILD_SA")!;

describe("establish", () => {
  test("the first Child SA narrows to the configured selectors", () => {
    const { sim, w, e } = up(2);
    ok(sim, w, e);
    expect(childOf(w).tsLocal[0]).toMatchObject({ start: "c6336400", end: "c633647f" });
    expect(childOf(e).tsLocal[0]).toMatchObject({ start: "c6336480", end: "c63364ff" });
    expect(w.log(/established IKE SA/)).toHaveLength(1);
  });
  test("the responder narrows a wider request to its own selectors (the initiator has narrowing=yes)", () => {
    const wide = { rightTs: [{ start: Uint8Array.of(198, 51, 100, 0), end: Uint8Array.of(198, 51, 100, 255) }], narrowing: true };
    const { sim, w, e } = up(3, wide);
    ok(sim, w, e);
    expect(childOf(w).tsRemote[0]).toMatchObject({ start: "c6336480", end: "c63364ff" });
  });
  test("narrowing=no (Libreswan's default) on the initiator: a narrowed answer is refused", () => {
    const wide = { rightTs: [{ start: Uint8Array.of(198, 51, 100, 0), end: Uint8Array.of(198, 51, 100, 255) }] };
    const { w } = up(3, wide);
    expect(ikeOf(w).children).toHaveLength(0);
    expect(w.log(/the responder narrowed our traffic selectors to .* and narrowing=no/).length).toBe(1);
  });
  test("narrowing=no on the responder: a proposal narrower than its selectors is refused; narrowing=yes takes it", () => {
    // west asks for a /26 of its /25, east's connection says west has the /25
    const part = { leftTs: [{ start: Uint8Array.of(198, 51, 100, 0), end: Uint8Array.of(198, 51, 100, 63) }], narrowing: true };
    const refused = up(6, part);
    expect(ikeOf(refused.w).children).toHaveLength(0);
    expect(refused.e.log(/are narrower than the connection's \S+ === \S+ \(local === remote\) and narrowing=no: TS_UNACCEPTABLE/).length).toBe(1);
    const taken = up(6, part, { narrowing: true });
    ok(taken.sim, taken.w, taken.e);
    expect(childOf(taken.e).tsRemote[0]).toMatchObject({ start: "c6336400", end: "c633643f" });
  });
  test("disjoint selectors: the IKE SA comes up, the Child SA is refused with TS_UNACCEPTABLE", () => {
    const other = { rightTs: [{ start: Uint8Array.of(10, 0, 0, 0), end: Uint8Array.of(10, 0, 0, 255) }] };
    const { sim, w, e } = up(4, other);
    ok(sim, w, e);
    expect(ikeOf(w).children).toHaveLength(0);
    expect(e.log(/TS_UNACCEPTABLE/).length).toBeGreaterThan(0);
  });
  test("a wrong PSK fails authentication on the responder, and both forget the IKE SA (keyingtries=1)", () => {
    const { sim, w, e } = up(5, { keyingTries: 1 }, { psk: new TextEncoder().encode("another secret") });
    expect(e.log(/AUTHENTICATION_FAILED/).length).toBeGreaterThan(0);
    expect(w.log(/giving up after 1 keying attempt \(keyingtries=1\)/), dump(w)).toHaveLength(1);
    expect(empty(w).concat(empty(e))).toEqual([]);
    void sim;
  });
  test("INVALID_KE_PAYLOAD: the initiator retries with the group the responder wants", () => {
    const { sim, w, e } = up(6, { ike: [{ encr: [[20, 256]], prf: [5], dh: [31, 19] }] }, { ike: [{ encr: [[20, 256]], prf: [5], dh: [19] }] });
    ok(sim, w, e);
    expect(w.log(/INVALID_KE_PAYLOAD/)).toHaveLength(1);
    expect(ikeOf(w).dh).toBe(19);
  });
  test("no common proposal: NO_PROPOSAL_CHOSEN, nothing left behind", () => {
    const { w, e } = up(7, { keyingTries: 1 }, { ike: [{ encr: [[12, 128]], prf: [2], integ: [2], dh: [14] }] });
    expect(e.log(/NO_PROPOSAL_CHOSEN/)).toHaveLength(1);
    expect(empty(w).concat(empty(e))).toEqual([]);
  });
  for (const [name, ike, esp] of [
    ["AES-CBC-256/SHA2-256 with MODP2048", { encr: [[12, 256]], prf: [5], integ: [12], dh: [14] }, { encr: [[12, 256]], integ: [12], esn: [0] }],
    ["AES-CBC-128/SHA1 with ECP-256", { encr: [[12, 128]], prf: [2], integ: [2], dh: [19] }, { encr: [[12, 128]], integ: [2], esn: [0] }],
    ["ChaCha20-Poly1305 with Curve448", { encr: [[28, 0]], prf: [7], dh: [32] }, { encr: [[28, 0]], esn: [0] }],
    ["AES-GCM-128 with ECP-384 and SHA2-384", { encr: [[20, 128]], prf: [6], dh: [20] }, { encr: [[20, 128]], esn: [0] }],
  ] as const) {
    test(`suite: ${name}`, () => {
      const spec = { ike: [ike], esp: [esp] } as never;
      const { sim, w, e } = up(8, spec, spec);
      ok(sim, w, e);
      expect(established(w)).toHaveLength(1);
      expect(childOf(w)).toBeDefined();
    });
  }
});

describe("rekeying", () => {
  test("Child SA rekey: a new Child SA with new keys, the old one deleted on both sides", () => {
    const { sim, w, e } = up(10);
    const old = childOf(w);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    const now = childOf(w);
    expect(now.serial).not.toBe(old.serial);
    expect(now.encrOut).not.toBe(old.encrOut);
    expect(ikeOf(w).children).toHaveLength(1);
    expect(ikeOf(e).children).toHaveLength(1);
  });
  test("Child SA rekey with PFS", () => {
    const pfs = { pfs: true, esp: [{ encr: [[20, 256]], esn: [0], dh: [31] }] } as never;
    const { sim, w, e } = up(11, pfs, pfs);
    const old = childOf(e);
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    expect(childOf(e).dh).toBe(31);
    expect(ikeOf(e).children).toHaveLength(1);
  });
  test("IKE SA rekey from the initiator: new SPIs and keys, the Child SA moves over", () => {
    const { sim, w, e } = up(12);
    const old = ikeOf(w);
    const child = childOf(w);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, old.serial));
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    const now = ikeOf(w);
    expect(established(w)).toHaveLength(1);
    expect(now.spiI).not.toBe(old.spiI);
    expect(now.SK_d).not.toBe(old.SK_d);
    expect(now.children.map((c) => c.serial)).toEqual([child.serial]);
    expect(now.nextRequestId).toBe(0);
  });
  test("IKE SA rekey from the responder swaps the roles of the new IKE SA", () => {
    const { sim, w, e } = up(13);
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(e).serial));
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    expect(ikeOf(e).initiator).toBe(true);
    expect(ikeOf(w).initiator).toBe(false);
  });
  test("lifetimes: both SAs are rekeyed before they expire, repeatedly", () => {
    const short = { timers: { ikeLifetime: 60, childLifetime: 40, rekeyMargin: 10, rekeyFuzz: 50 } };
    const { sim, w, e } = up(14, short, short);
    sim.run(sim.now + 300_000);
    ok(sim, w, e);
    expect(w.log(/rekeying Child SA|peer.*rekey/i).length + e.log(/rekeying Child SA/).length).toBeGreaterThan(4);
    expect(established(w)).toHaveLength(1);
    expect(ikeOf(w).children).toHaveLength(1);
  });
});

describe("rekey collisions (RFC 7296 2.8.1)", () => {
  // Both ends start the same rekey at the same instant; the seeds give every order of nonces.
  for (let seed = 20; seed < 28; seed++) {
    test(`Child SA rekey collision, seed ${seed}`, () => {
      const { sim, w, e } = up(seed);
      const wc = childOf(w);
      const ec = childOf(e);
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, wc.serial));
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, ec.serial));
      sim.run(sim.now + 3000);
      ok(sim, w, e);
      expect(ikeOf(w).children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"), dump(w, e)).toHaveLength(1);
      expect(w.log(/rekey collision/).length + e.log(/rekey collision/).length).toBeGreaterThan(0);
    });
    test(`IKE SA rekey collision, seed ${seed}`, () => {
      const { sim, w, e } = up(seed);
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(w).serial));
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(e).serial));
      sim.run(sim.now + 3000);
      ok(sim, w, e);
      expect(established(w), dump(w, e)).toHaveLength(1);
      expect(ikeOf(w).children).toHaveLength(1);
    });
  }
});

describe("deleting", () => {
  for (const side of ["west", "east"] as const) {
    test(`the IKE SA deleted by ${side}: both forget everything, no timer left`, () => {
      const { sim, w, e } = up(30);
      const n = side === "west" ? w : e;
      const old = ikeOf(w).serial;
      sim.act(n, (x) => x.terminate(sim.now, "west-east"));
      sim.run(sim.now + 2000);
      if (side === "east") {
        // west's connection is supposed to be up (whack --up): a Delete from the peer brings
        // it up again at once, until west takes it down
        expect(w.log(new RegExp(`IKE SA #${old} is gone \\(deleted by the peer\\); the connection is supposed to be up: keying attempt 1 of an unlimited number now`)), dump(w)).toHaveLength(1);
        ok(sim, w, e);
        expect(childOf(w)).toBeDefined();
        sim.act(w, (x) => x.terminate(sim.now, "west-east"));
        sim.run(sim.now + 2000);
      }
      expect(empty(w).concat(empty(e)), dump(w, e)).toEqual([]);
    });
    test(`a Child SA deleted by ${side}`, () => {
      const { sim, w, e } = up(31);
      const n = side === "west" ? w : e;
      const old = childOf(w).serial;
      sim.act(n, (x) => x.saOp(sim.now, abi.SAOP_DELETE_CHILD, childOf(n).serial));
      sim.run(sim.now + 2000);
      ok(sim, w, e);
      if (side === "west") {
        // deleted on purpose
        expect(ikeOf(w).children).toHaveLength(0);
        expect(ikeOf(e).children).toHaveLength(0);
      } else {
        // by the peer, on a connection that is supposed to be up: replaced (Libreswan:
        // "received Delete SA payload: replace CHILD SA now")
        expect(childOf(w).serial, dump(w, e)).not.toBe(old);
        expect(ikeOf(w).children).toHaveLength(1);
        expect(ikeOf(e).children).toHaveLength(1);
      }
    });
  }
});

describe("liveness and failures", () => {
  test("a liveness check is answered", () => {
    const { sim, w, e } = up(40);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_LIVENESS, ikeOf(w).serial));
    sim.run(sim.now + 1000);
    ok(sim, w, e);
    expect(w.log(/liveness check/)).toHaveLength(1);
  });
  test("dead peer: with the peer cut off, the IKE SA is deleted after the timeout", () => {
    const dpd = { timers: { dpdDelay: 10, retransmitLimit: 6 } };
    const { sim, w, e } = up(41, dpd, dpd);
    sim.partitioned.add("east");
    sim.run(sim.now + 120_000);
    expect(w.log(/the peer is dead \(dpdaction=hold\)/).length, dump(w)).toBe(1);
    expect(established(w)).toEqual([]);
    // with a Delete it may still get, then, supposed to be up, west keeps trying
    expect(w.log(/sent Delete for the IKE SA to 192.0.2.2:500 \(no answer awaited\)/)).toHaveLength(1);
    expect(w.log(/keying attempt 1 of an unlimited number now/).length, dump(w)).toBe(1);
    expect(w.status().ike.map((s) => s.state)).toEqual(["IKE_SA_INIT_I"]);
    void e;
  });
  test("restart of the responder: the initiator finds it dead and the new one has no stale state", () => {
    const dpd = { timers: { dpdDelay: 10, retransmitLimit: 6 } };
    const { sim, w, e } = up(42, dpd, dpd);
    // east restarts: a fresh core with the same connection, nothing of the old IKE SA
    const e2 = sim.addNode("east", e.addr);
    sim.nodes.splice(sim.nodes.indexOf(e), 1);
    sim.act(e2, (x) => x.addConn(sim.now, (globalThis as never as { __eastConn: never }).__eastConn ?? pairEast()));
    sim.run(sim.now + 120_000);
    expect(e2.log(/no IKE SA with SPI/).length).toBeGreaterThan(0);
    expect(w.log(/the peer is dead/)).toHaveLength(1);
    // west's connection is supposed to be up: it comes back by itself with the new east
    ok(sim, w, e2);
    expect(established(w)).toHaveLength(1);
    expect(established(e2)).toHaveLength(1);
  });
  test("a lossy, duplicating, reordering network still establishes and rekeys", () => {
    const p = pair(43, { loss: 0.2, dup: 0.2, delayMin: 1, delayMax: 80 });
    p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east"));
    p.sim.run(30_000);
    ok(p.sim, p.w, p.e);
    expect(established(p.w)).toHaveLength(1);
  });
  test("fragmentation: a large IKE_AUTH is sent as SKF fragments and reassembled", () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ start: Uint8Array.of(10, i, 0, 0), end: Uint8Array.of(10, i, 0, 255) }));
    const spec = { fragmentation: true, fragSize: 576, leftTs: many } as never;
    const specE = { fragmentation: true, fragSize: 576, rightTs: many } as never;
    const { sim, w, e } = up(44, spec, specE);
    ok(sim, w, e);
    expect(w.log(/sent IKE_AUTH request \((\d+) datagrams\)/)).toHaveLength(1);
    expect(e.log(/reassembled \d+ fragments/).length).toBeGreaterThan(0);
  });
  test("cookies: above the half-open threshold the responder asks for a cookie first", () => {
    const { sim, w, e } = pair(45);
    e.engine.core.call("setDdos", abi.DDOS_BUSY, 25000, 50000);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    ok(sim, w, e);
    expect(w.log(/wants a cookie/)).toHaveLength(1);
    expect(established(w)).toHaveLength(1);
  });
});

import { pairConn } from "./sim.ts";
function pairEast() {
  return pairConn("east", { timers: { dpdDelay: 10, retransmitLimit: 6 } });
}

// Races between rekeys, deletes and lost datagrams, each found by the random schedules
// (random.ts) and rebuilt here by hand with chosen datagrams dropped.
const CREATE_CHILD_SA = 36;
const INFORMATIONAL = 37;
const children = (n: Node) => established(n).flatMap((s) => s.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"));

describe("races (RFC 7296 2.8, 2.8.1, 2.18, 2.25)", () => {
  for (let seed = 50; seed < 56; seed++) {
    test(`a rekey request for an IKE SA we already replaced gets TEMPORARY_FAILURE, seed ${seed}`, () => {
      // Both rekey the IKE SA. East's request is lost the first time; west's completes, and
      // west's Delete of the old IKE SA waits behind a liveness check whose request is lost.
      // East's retransmitted rekey then reaches an IKE SA that west replaced already: west
      // must not make a second replacement (the two sides would put the Child SA in different
      // IKE SAs), east keeps west's.
      const { sim, w, e } = up(seed);
      const t0 = sim.now;
      sim.drop = (p) => sim.now < t0 + 100 && p.from === "east" && p.exchange === CREATE_CHILD_SA && !p.response ||
        sim.now < t0 + 600 && p.from === "west" && p.exchange === INFORMATIONAL && !p.response;
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(w).serial));
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_LIVENESS, ikeOf(w).serial));
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(e).serial));
      sim.run(sim.now + 5000);
      sim.drop = null;
      sim.run(sim.now + 70_000);
      ok(sim, w, e);
      expect(established(w), dump(w, e)).toHaveLength(1);
      expect(children(w), dump(w, e)).toHaveLength(1);
      expect(w.log(/already replaced/).length, dump(w, e)).toBeGreaterThan(0);
    });
  }

  test("a refused IKE rekey hands the Child SAs to whatever replaced the peer's rekey meanwhile", () => {
    // Both rekey the IKE SA; west's request is lost the first time. East's completes, east
    // rekeys its new IKE SA once more and deletes the one before, while its Delete of the
    // original IKE SA is lost. West's retransmitted request gets TEMPORARY_FAILURE: the Child
    // SA, still on the original IKE SA, must go to the IKE SA that replaced the peer's rekey.
    const { sim, w, e } = up(57);
    const t0 = sim.now;
    const first = ikeOf(e).spiI;
    sim.drop = (p) => sim.now < t0 + 100 && p.from === "west" && p.exchange === CREATE_CHILD_SA && !p.response ||
      sim.now < t0 + 510 && p.from === "east" && p.exchange === INFORMATIONAL && !p.response && p.spiI === first;
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(w).serial));
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(e).serial));
    sim.run(t0 + 100);
    const second = established(e).find((s) => s.spiI !== first)!;
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, second.serial));
    sim.run(t0 + 3000);
    sim.drop = null;
    sim.run(sim.now + 70_000);
    ok(sim, w, e);
    expect(established(w), dump(w, e)).toHaveLength(1);
    expect(children(w), dump(w, e)).toHaveLength(1);
    expect(w.log(/IKE SA rekey refused/).length, dump(w, e)).toBeGreaterThan(0);
  });

  for (let seed = 70; seed < 76; seed++) {
    test(`the winner of an IKE rekey collision deletes the old IKE SA only after the peer deleted its redundant one, seed ${seed}`, () => {
      // Both rekey the IKE SA; east's answer to west is lost the first time. East's rekey
      // completes first. Were east to delete the old IKE SA now, west would forget its own
      // request (2.25.2) and never delete the IKE SA east made from it.
      const { sim, w, e } = up(seed);
      const t0 = sim.now;
      sim.drop = (p) => sim.now < t0 + 100 && p.from === "east" && p.exchange === CREATE_CHILD_SA && p.response;
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(w).serial));
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(e).serial));
      sim.run(sim.now + 5000);
      sim.drop = null;
      ok(sim, w, e);
      expect(established(w), dump(w, e)).toHaveLength(1);
      expect(established(e), dump(w, e)).toHaveLength(1);
      expect(children(e), dump(w, e)).toHaveLength(1);
    });
  }

  test("a Child SA rekey falling due while its IKE SA is being deleted does not spin the timer", () => {
    // East deletes the IKE SA while west is cut off; the Delete is retransmitted for a while,
    // and meanwhile the Child SA reaches its rekey margin. The rekey waits for an established
    // IKE SA, so the deadline must not ask for it either (seed 5097 hung on this).
    const short = { timers: { childLifetime: 50, ikeLifetime: 600, rekeyMargin: 10, rekeyFuzz: 0, retransmitLimit: 8 } };
    const { sim, w, e } = up(58, short, short);
    sim.partitioned.add("west");
    sim.act(e, (x) => x.terminate(sim.now, "west-east"));
    sim.run(sim.now + 200_000);
    expect(empty(e), dump(e)).toEqual([]);
    void w;
  });

  test("a peer answering TEMPORARY_FAILURE for minutes is out of sync: the IKE SA is closed (2.25)", () => {
    // East starts deleting the IKE SA but its Delete never gets through; it answers each of
    // west's Child SA rekeys with TEMPORARY_FAILURE. After several minutes west gives up on
    // the IKE SA instead of retrying for as long as east keeps retransmitting.
    const slow = { timers: { retransmitLimit: 30 } };
    const { sim, w, e } = upOnDemand(59, slow, slow);
    sim.drop = (p) => p.from === "east" && p.exchange === INFORMATIONAL && !p.response;
    sim.act(e, (x) => x.terminate(sim.now, "west-east"));
    sim.run(sim.now + 100);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childOf(w).serial));
    sim.run(sim.now + 400_000);
    expect(w.log(/out of sync/).length, dump(w, e)).toBeGreaterThan(0);
    expect(empty(w).concat(empty(e)), dump(w, e)).toEqual([]);
  });

  test("the peer deletes the old IKE SA while our keys for its rekey are still being computed", () => {
    // East's helpers are slow: west's rekey completes and west deletes the old IKE SA before
    // east has the keys of the new one. The new IKE SA exists on west, so east keeps it and
    // the Child SA goes there.
    const { sim, w, e } = up(66);
    e.jobDelay = 100;
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ikeOf(w).serial));
    sim.run(sim.now + 3000);
    ok(sim, w, e);
    expect(established(e), dump(w, e)).toHaveLength(1);
    expect(children(e), dump(w, e)).toHaveLength(1);
  });

  test("a rekeyed Child SA whose replacement the peer lost is deleted as a pair when it expires", () => {
    // East's helpers are slow. West answers east's PFS rekey of the Child SA and marks the
    // old one rekeyed; then west deletes the new one before east has its keys, so east's
    // rekey fails and east keeps the old Child SA. When the old one expires on west, west
    // must delete it with a Delete (1.4.1), not drop its half alone.
    const pfs = { pfs: true, esp: [{ encr: [[20, 256]], esn: [0], dh: [31] }] } as never;
    const { sim, w, e } = upOnDemand(67, pfs, pfs);
    e.jobDelay = 700;
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childOf(e).serial));
    sim.run(sim.now + 900);
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_DELETE_CHILD, childOf(w).serial));
    sim.run(sim.now + 80_000);
    ok(sim, w, e);
    expect(children(w), dump(w, e)).toHaveLength(0);
    expect(children(e), dump(w, e)).toHaveLength(0);
  });

  for (let seed = 60; seed < 66; seed++) {
    test(`a Child SA rekey collision is settled after the old Child SA is gone, seed ${seed}`, () => {
      // Both rekey the Child SA; east's answer to west is lost the first time. East's rekey
      // completes and the old Child SA is deleted before west's retransmission gets its
      // answer: west must still settle the collision (2.8.1), or a redundant pair remains.
      const { sim, w, e } = up(seed);
      const t0 = sim.now;
      sim.drop = (p) => sim.now < t0 + 100 && p.from === "east" && p.exchange === CREATE_CHILD_SA && p.response;
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childOf(w).serial));
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, childOf(e).serial));
      sim.run(sim.now + 5000);
      sim.drop = null;
      ok(sim, w, e);
      expect(children(w), dump(w, e)).toHaveLength(1);
      expect(children(e), dump(w, e)).toHaveLength(1);
    });
  }
});

// A random schedule with one side's helpers slower than the simulator's default.
function slowScenario(seed: number, who: "west" | "east" | "both", ms: number) {
  const add = Sim.prototype.addNode;
  Sim.prototype.addNode = function (this: Sim, name: string, addr: Uint8Array) {
    const n = add.call(this, name, addr);
    if (who === "both" || name === who) n.jobDelay = ms;
    return n;
  };
  try {
    return scenario(seed);
  } finally {
    Sim.prototype.addNode = add;
  }
}

describe("random schedules with slow helpers that once failed", () => {
  // 6165: the peer's Delete by SPI of a Child SA whose creation was cut short arrived before
  // our answer made it (responder side); 9046, 9285: a rekeyed Child SA whose replacement the
  // peer lost expired on one side only.
  for (const [seed, who, ms] of [[6165, "both", 100], [9046, "east", 700], [9285, "east", 700]] as const) {
    test(`seed ${seed}, ${who} ${ms} ms`, () => {
      expect(slowScenario(seed, who, ms).failures).toEqual([]);
    });
  }
});

describe("random schedules that once failed (random.ts)", () => {
  // 3454: a Delete queued on an IKE SA whose Child SAs had moved to its replacement was lost;
  // 5097: a Child SA rekey due on an IKE SA being deleted spun the timer; 7116: the Delete of
  // a Child SA whose creation was cut short was lost with a queue; 4651, 5266, 5609, 12430, 49:
  // IKE and Child SA rekey collisions with lost and late datagrams.
  for (const seed of [49, 3454, 4651, 5097, 5266, 5609, 7116, 12430]) {
    test(`seed ${seed}`, () => {
      expect(scenario(seed).failures).toEqual([]);
    });
  }
});
