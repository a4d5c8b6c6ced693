// One IKE SA per peer: uniqueids=yes replaces the IKE SA of a peer that reconnects with the
// same ID (a Delete to its old address), uniqueids=no keeps both, INITIAL_CONTACT (RFC 7296
// 2.4) clears a restarted peer's stale SAs at once, and two ends initiating at the same time
// keep both IKE SAs.
import { describe, expect, test } from "vitest";
import { Sim, pair, pairConn, WEST, EAST, type Node } from "./sim.ts";
import { consistency, established } from "./check.ts";
import type { ConnSpec, Endpoint } from "../../hosts/engine.ts";
import * as abi from "../../core/abi.ts";

const NORTH = Uint8Array.of(192, 0, 2, 3);
const any: Endpoint = { family: 0, port: 500, addr: new Uint8Array(4) };
const te = new TextEncoder();
const INFORMATIONAL = 37;

// east's road-warrior template, and a road warrior "west" (ID @west.example) at `addr`
function rwSetup(seed: number, east: Partial<ConnSpec> = {}): { sim: Sim; e: Node } {
  const sim = new Sim(seed);
  const e = sim.addNode("east", EAST);
  sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "rw", right: any, rightId: undefined, rightTs: undefined, ...east }));
  return { sim, e };
}
function roadwarrior(sim: Sim, node: Node, over: Partial<ConnSpec> = {}): void {
  sim.act(node, (x) => x.addConn(0, { ...pairConn("west"), left: { family: 4, port: 500, addr: node.addr }, leftTs: undefined, ...over }));
  sim.act(node, (x) => x.initiate(sim.now, "west-east"));
}
// INFORMATIONAL requests east sent for the IKE SA with this SPIi, and where to
function deletesFor(sim: Sim, spiI: string): string[] {
  return sim.packets.filter((p) => p.from === "east" && p.bytes[18] === INFORMATIONAL && (p.bytes[19] & 0x20) === 0 &&
    BigInt("0x" + Array.from(p.bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("")).toString(16) === spiI).map((p) => p.to);
}

describe("uniqueids=yes: a peer reconnecting with the same ID replaces its old IKE SA", () => {
  test("a road warrior that crashes and reconnects from the same address: one IKE SA left, the old one deleted with a Delete", () => {
    const { sim, e } = rwSetup(80);
    const w = sim.addNode("west", WEST);
    roadwarrior(sim, w, { initialContact: false }); // so that uniqueids alone does it
    sim.run(2000);
    const first = established(e);
    expect(first.map((s) => [s.conn, s.instance, s.peerId])).toEqual([["rw", 1, "@west.example"]]);
    sim.restart(w); // gone without a word: east still holds #1 and its Child SA
    sim.run(60_000);
    roadwarrior(sim, w, { initialContact: false });
    sim.run(65_000);
    const now = established(e);
    expect(now).toHaveLength(1);
    expect(now[0].spiI).not.toBe(first[0].spiI);
    expect(now[0].children).toHaveLength(1);
    expect(now[0].peerId).toBe("@west.example");
    expect(e.status().ike.map((s) => s.state)).toEqual(["ESTABLISHED_IKE_SA"]);
    expect(e.logs.join("\n")).toMatch(new RegExp(`"rw"\\[1\\] 192\\.0\\.2\\.1 #${first[0].serial}: deleted IKE SA \\(replaced by #${now[0].serial} of the same peer ID @west\\.example \\(uniqueids=yes\\)\\)`));
    expect(e.log(new RegExp(`#${first[0].children[0].serial}: deleted Child SA \\(replaced by`))).toHaveLength(1);
    // one Delete to the old peer address, not retransmitted
    expect(deletesFor(sim, first[0].spiI)).toEqual(["west"]);
    expect(consistency(sim, w, e)).toEqual([]);
  });

  test("reconnecting from another address (a new NAT mapping): a new instance, the old one goes with its SAs, the Delete to the old address", () => {
    const { sim, e } = rwSetup(81);
    const w = sim.addNode("west", WEST);
    roadwarrior(sim, w, { initialContact: false });
    sim.run(2000);
    const first = established(e)[0];
    sim.partitioned.add("west"); // the old address is gone
    const n = sim.addNode("north", NORTH);
    roadwarrior(sim, n, { initialContact: false }); // same ID @west.example, new address
    sim.run(5000);
    expect(e.status().conns.map((c) => [c.kind, c.instance, c.remote])).toEqual([["TEMPLATE", 0, "%any"], ["INSTANCE", 2, "192.0.2.3:500"]]);
    expect(established(e).map((s) => [s.instance, s.remote])).toEqual([[2, "192.0.2.3:500"]]);
    expect(deletesFor(sim, first.spiI)).toEqual(["west"]);
    expect(consistency(sim, n, e)).toEqual([]);
  });

  test("an IKE SA rekeyed before the peer restarted is replaced too (the peer ID survives the rekey)", () => {
    const { sim, e } = rwSetup(82);
    const w = sim.addNode("west", WEST);
    roadwarrior(sim, w, { initialContact: false });
    sim.run(2000);
    const serial = established(w)[0].serial;
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, serial));
    sim.run(4000);
    const rekeyed = established(e);
    expect(rekeyed).toHaveLength(1);
    expect(rekeyed[0].peerId).toBe("@west.example");
    sim.restart(w);
    roadwarrior(sim, w, { initialContact: false });
    sim.run(8000);
    expect(established(e)).toHaveLength(1);
    expect(established(e)[0].spiI).not.toBe(rekeyed[0].spiI);
    expect(consistency(sim, w, e)).toEqual([]);
  });

  test("uniqueids=no: the old IKE SA stays beside the new one, INITIAL_CONTACT notwithstanding", () => {
    const { sim, e } = rwSetup(83, { uniqueIds: false });
    const w = sim.addNode("west", WEST);
    roadwarrior(sim, w);
    sim.run(2000);
    sim.restart(w);
    roadwarrior(sim, w); // sends INITIAL_CONTACT
    sim.run(5000);
    expect(established(e).map((s) => [s.instance, s.peerId, s.children.length])).toEqual([[1, "@west.example", 1], [1, "@west.example", 1]]);
    expect(e.logs.join("\n")).not.toMatch(/deleted IKE SA/);
  });

  test("a second whack --up of a permanent connection: the new IKE SA replaces the first on both ends, and it carries no INITIAL_CONTACT", () => {
    const { sim, w, e } = pair(84);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    const first = established(w)[0];
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(5000);
    expect(e.log(/uniqueids: replacing IKE SA/)).toHaveLength(1);
    expect(e.log(/INITIAL_CONTACT/)).toEqual([]);
    // west got the Delete and answered it: both ends hold the new one only
    expect(w.log(new RegExp(`#${first.serial}: deleted IKE SA \\(deleted by the peer\\)`))).toHaveLength(1);
    expect(established(w)).toHaveLength(1);
    expect(established(e)).toHaveLength(1);
    expect(consistency(sim, w, e)).toEqual([]);
  });
});

describe("INITIAL_CONTACT (RFC 7296 2.4)", () => {
  test("after a peer restart, its stale IKE SA and Child SA go at once, without a Delete", () => {
    const { sim, w, e } = pair(85);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    const stale = established(e)[0];
    sim.restart(w);
    sim.act(w, (x) => x.addConn(sim.now, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000); // far less than any liveness or retransmission timeout
    const now = established(e);
    expect(now).toHaveLength(1);
    expect(now[0].spiI).not.toBe(stale.spiI);
    expect(e.log(new RegExp(`INITIAL_CONTACT: deleting the peer's stale IKE SA #${stale.serial} and its Child SAs`))).toHaveLength(1);
    expect(e.log(new RegExp(`#${stale.children[0].serial}: deleted Child SA \\(the peer sent INITIAL_CONTACT`))).toHaveLength(1);
    expect(deletesFor(sim, stale.spiI)).toEqual([]); // the peer has no such SA to delete
    expect(consistency(sim, w, e)).toEqual([]);
  });

  test("it clears the peer's SAs under another connection with the same two identities", () => {
    const sim = new Sim(86);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    const other = { leftTs: [{ start: Uint8Array.of(10, 1, 0, 0), end: Uint8Array.of(10, 1, 0, 255) }] };
    const otherEast = { rightTs: other.leftTs };
    sim.act(w, (x) => x.addConn(0, { ...pairConn("west", other), name: "second" }));
    sim.act(e, (x) => x.addConn(0, pairConn("east")));
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east", otherEast), name: "second" }));
    sim.act(w, (x) => x.initiate(sim.now, "second"));
    sim.run(2000);
    expect(established(e).map((s) => s.conn)).toEqual(["second"]);
    sim.restart(w);
    sim.act(w, (x) => x.addConn(sim.now, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(established(e).map((s) => s.conn)).toEqual(["west-east"]);
    expect(consistency(sim, w, e)).toEqual([]);
  });

  test("both ends initiating at the same moment keep both IKE SAs (neither is stale)", () => {
    const { sim, w, e } = pair(87);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.act(e, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(established(w)).toHaveLength(2);
    expect(established(e)).toHaveLength(2);
    expect([...w.logs, ...e.logs].join("\n")).not.toMatch(/deleted IKE SA/);
    expect(consistency(sim, w, e)).toEqual([]);
  });
});
