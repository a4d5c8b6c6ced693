// Identities as Libreswan takes them: rightid=%any on templates and permanent connections,
// several peers with distinct IDs from one address, DN IDs with wildcards.
import { describe, expect, test } from "vitest";
import { Sim, pairConn, WEST, EAST, type Node } from "./sim.ts";
import { consistency, established } from "./check.ts";
import type { ConnSpec, Endpoint } from "../../hosts/engine.ts";
import { atodn } from "../../hosts/config/ids.ts";

const any: Endpoint = { family: 0, port: 500, addr: new Uint8Array(4) };
const te = new TextEncoder();
const ANY_ID = { type: 0, data: new Uint8Array(0) };
const fqdn = (s: string) => ({ type: 2, data: te.encode(s) });

// `n` initiators at one address (a load generator, or peers behind one NAT), each with its ID
function crowd(sim: Sim, n: number, addr: Uint8Array, over: (i: number) => Partial<ConnSpec> = () => ({})): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < n; i++) {
    const node = sim.addNode(`peer${i}`, addr);
    sim.act(node, (x) => x.addConn(0, { ...pairConn("west"), leftId: fqdn(`peer${i}.example`), leftTs: undefined, ...over(i) }));
    out.push(node);
  }
  return out;
}

describe("several peers with distinct IDs from one address", () => {
  for (const [label, east] of [
    ["a template (right=%any)", { name: "rw", right: any, rightId: undefined, rightTs: undefined }],
    ["a permanent connection with right=<address> and rightid=%any", { name: "fixed", rightId: ANY_ID, rightTs: undefined }],
  ] as const) {
    test(`${label}: every one of them establishes`, () => {
      const sim = new Sim(90);
      const e = sim.addNode("east", EAST);
      sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), ...east }));
      const peers = crowd(sim, 4, WEST);
      for (const p of peers) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
      sim.run(5000);
      expect(established(e).map((s) => s.peerId).sort()).toEqual(["@peer0.example", "@peer1.example", "@peer2.example", "@peer3.example"]);
      for (const p of peers) expect(established(p)).toHaveLength(1);
      // each peer agrees with east about its own IKE SA and Child SA
      for (const p of peers) {
        const mine = established(p)[0];
        expect(e.status(true).ike.find((s) => s.spiI === mine.spiI)?.SK_d).toBe(mine.SK_d);
        expect(mine.children).toHaveLength(1);
      }
    });
  }

  test("rightid=@one on right=<address> still takes only that ID (Libreswan: no rightid= means the address): the others fail AUTHENTICATION_FAILED", () => {
    const sim = new Sim(91);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), rightId: fqdn("peer1.example"), rightTs: undefined }));
    const peers = crowd(sim, 3, WEST);
    for (const p of peers) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(5000);
    expect(established(e).map((s) => s.peerId)).toEqual(["@peer1.example"]);
    expect(e.log(/the initiator's identity ID_FQDN '@peer0\.example' does not match the connection's rightid=@peer1\.example: AUTHENTICATION_FAILED/).length).toBeGreaterThan(0); // once per attempt (a peer told to be up tries again)
  });
});

const dn = (s: string) => {
  const r = atodn(s);
  if (!r.ok) throw new Error(r.error);
  return { type: 9, data: r.der };
};

describe("DN identities (ID_DER_ASN1_DN) with Libreswan's wildcards", () => {
  // east takes rightid="C=CH, O=Example, CN=*"; each peer has its own DN
  function dnRun(seed: number, peerDns: string[], east: Partial<ConnSpec> = {}) {
    const sim = new Sim(seed);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "dn", right: any, rightId: dn("C=CH, O=Example, CN=*"), rightTs: undefined, ...east }));
    const peers = crowd(sim, peerDns.length, WEST, (i) => ({ leftId: dn(peerDns[i]) }));
    for (const p of peers) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(5000);
    return { sim, e, peers };
  }

  test("a wildcard CN takes any CN under C=CH, O=Example, in order, in any order, and with PrintableString case folded", () => {
    const { e, peers } = dnRun(92, ["C=CH, O=Example, CN=alice", "CN=bob, O=Example, C=CH", "C=ch, O=EXAMPLE, CN=carol"]);
    expect(established(e).map((s) => s.peerId).sort()).toEqual(["C=CH, O=Example, CN=alice", "C=ch, O=EXAMPLE, CN=carol", "CN=bob, O=Example, C=CH"]);
    for (const p of peers) expect(established(p)).toHaveLength(1);
    // the instances take the peer's own DN; the template keeps its pattern
    expect(e.status().conns.map((c) => c.remoteId)).toEqual(["C=CH, O=Example, CN=*", "C=CH, O=Example, CN=alice", "CN=bob, O=Example, C=CH", "C=ch, O=EXAMPLE, CN=carol"]);
  });

  test("another O, a missing CN, or another ID type: AUTHENTICATION_FAILED naming both", () => {
    const sim = new Sim(93);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "dn", right: any, rightId: dn("C=CH, O=Example, CN=*"), rightTs: undefined }));
    const ids = [dn("C=CH, O=Other, CN=alice"), dn("C=CH, O=Example"), fqdn("alice.example")];
    const peers = crowd(sim, 3, WEST, (i) => ({ leftId: ids[i] }));
    for (const p of peers) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(5000);
    expect(established(e)).toEqual([]);
    expect(e.log(/the initiator's identity ID_DER_ASN1_DN 'C=CH, O=Other, CN=alice' does not match the connection's rightid=C=CH, O=Example, CN=\*: AUTHENTICATION_FAILED/).length).toBeGreaterThan(0); // once per attempt (a peer told to be up tries again)
    expect(e.log(/the initiator's identity ID_FQDN '@alice\.example' does not match the connection's rightid=C=CH, O=Example, CN=\*: AUTHENTICATION_FAILED/).length).toBeGreaterThan(0); // once per attempt (a peer told to be up tries again)
    for (const p of peers) expect(established(p)).toEqual([]);
  });

  test("an exact DN connection wins over a wildcard one, and a wildcard one over %any, whatever the order they were added in", () => {
    const sim = new Sim(94);
    const e = sim.addNode("east", EAST);
    const base = { ...pairConn("east"), rightTs: undefined };
    sim.act(e, (x) => x.addConn(0, { ...base, name: "anyone", rightId: ANY_ID }));
    sim.act(e, (x) => x.addConn(0, { ...base, name: "staff", rightId: dn("C=CH, O=Example, CN=*") }));
    sim.act(e, (x) => x.addConn(0, { ...base, name: "alice", rightId: dn("C=CH, O=Example, CN=alice") }));
    const peers = crowd(sim, 3, WEST, (i) => ({ leftId: [dn("CN=alice, O=Example, C=CH"), dn("C=CH, O=Example, CN=bob"), fqdn("guest.example")][i] }));
    for (const p of peers) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(5000);
    expect(established(e).map((s) => [s.peerId, s.conn]).sort()).toEqual([
      ["@guest.example", "anyone"],
      ["C=CH, O=Example, CN=bob", "staff"],
      ["CN=alice, O=Example, C=CH", "alice"],
    ]);
  });

  test("as initiator: a wildcard rightid sends no IDr and accepts the responder's DN that fits", () => {
    const sim = new Sim(95);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    sim.act(w, (x) => x.addConn(0, { ...pairConn("west"), rightId: dn("O=Example, CN=*") }));
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), leftId: dn("C=CH, O=Example, CN=east") }));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(established(w).map((s) => s.peerId)).toEqual(["C=CH, O=Example, CN=east"]);
    expect(consistency(sim, w, e)).toEqual([]);
  });
});

describe("rightid=%any", () => {
  test("on a permanent connection: any peer ID at that address; leftid=%any on our own end is our address", () => {
    const sim = new Sim(96);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    sim.act(w, (x) => x.addConn(0, { ...pairConn("west"), leftId: ANY_ID, rightId: ANY_ID }));
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), rightId: ANY_ID }));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(established(e).map((s) => s.peerId)).toEqual(["192.0.2.1"]);
    expect(established(w).map((s) => s.peerId)).toEqual(["@east.example"]);
    expect(e.status().conns.map((c) => [c.kind, c.remoteId])).toEqual([["PERMANENT", "%any"]]);
    expect(consistency(sim, w, e)).toEqual([]);
  });
});
