// Templates (right=%any): the responder accepts any peer and runs the IKE SA with the address
// the peer really has; several peers each get their own IKE SA from the one connection.
import { describe, expect, test } from "vitest";
import { Sim, pairConn, WEST, EAST } from "./sim.ts";
import { consistency, established } from "./check.ts";

describe("template connections", () => {
  test("right=%any accepts two different peers, each with its own IKE SA and Child SA", () => {
    const sim = new Sim(50);
    const w = sim.addNode("west", WEST);
    const n = sim.addNode("north", Uint8Array.of(192, 0, 2, 3));
    const e = sim.addNode("east", EAST);
    const any = { family: 0 as const, port: 500, addr: new Uint8Array(4) };
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined }));
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    sim.act(n, (x) => x.addConn(0, { ...pairConn("west"), left: { family: 4, port: 500, addr: n.addr }, leftId: { type: 2, data: new TextEncoder().encode("north.example") } }));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.act(n, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    const st = e.status();
    // the template, and one instance per peer with the peer's address and ID filled in
    expect(st.conns.map((c) => [c.name, c.kind, c.instance, c.local, c.remote, c.remoteId])).toEqual([
      ["road", "TEMPLATE", 0, "192.0.2.2:500", "%any", "%any"],
      ["road", "INSTANCE", 1, "192.0.2.2:500", "192.0.2.1:500", "@west.example"],
      ["road", "INSTANCE", 2, "192.0.2.2:500", "192.0.2.3:500", "@north.example"],
    ]);
    expect(st.ike.map((s) => [s.conn, s.state, s.remote]).sort()).toEqual([
      ["road", "ESTABLISHED_IKE_SA", "192.0.2.1:500"],
      ["road", "ESTABLISHED_IKE_SA", "192.0.2.3:500"],
    ]);
    expect(established(w)[0].children).toHaveLength(1);
    expect(established(n)[0].children).toHaveLength(1);
    // each peer agrees with east about its own IKE SA
    const eastIke = e.status(true).ike;
    for (const peer of [w, n]) {
      const mine = established(peer)[0];
      const theirs = eastIke.find((s) => s.spiI === mine.spiI)!;
      expect(theirs.SK_d).toBe(mine.SK_d);
    }
    void consistency;
  });
  test("a template does not initiate: there is no peer to send to", () => {
    const sim = new Sim(51);
    const e = sim.addNode("east", EAST);
    const any = { family: 0 as const, port: 500, addr: new Uint8Array(4) };
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any }));
    expect(e.engine.initiate(0, "road")).toMatchObject({ ok: false });
    expect(e.logs.join("\n")).toMatch(/cannot initiate: the peer is %any/);
  });
});

import { statusText } from "../../hosts/daemon.ts";
describe("template instances in whack --status", () => {
  test('each peer of a template shows as an instance: "road"[1] 192.0.2.1', () => {
    const sim = new Sim(52);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    const any = { family: 0 as const, port: 500, addr: new Uint8Array(4) };
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any }));
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    const text = statusText("status", e.status(), "memory", sim.now);
    expect(text).toMatch(/^000 "road": 192\.0\.2\.2:500\.\.\.%any; kind: TEMPLATE/m);
    expect(text).toMatch(/^000 #\d+: "road"\[1\] 192\.0\.2\.1:500 ESTABLISHED_IKE_SA \(responder\)/m);
    expect(text).toMatch(/^000 #\d+: "road"\[1\] 192\.0\.2\.1:500 ESTABLISHED_CHILD_SA/m);
  });
});

describe("choosing the connection at IKE_AUTH", () => {
  test("two connections of one host pair, told apart by the peer's identity", () => {
    const sim = new Sim(53);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    const te = new TextEncoder();
    // east: "first" expects @someone.else and comes first; "second" expects west.example
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "first", rightId: { type: 2, data: te.encode("someone.else") }, psk: te.encode("a different secret entirely") }));
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "second" }));
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    expect(e.logs.join("\n")).toMatch(/the identities name connection "second": switching from "first"/);
    expect(e.status().ike.map((s) => [s.conn, s.state])).toEqual([["second", "ESTABLISHED_IKE_SA"]]);
    expect(established(w)).toHaveLength(1);
  });
});

describe("choosing the connection by traffic selectors", () => {
  test("same identities and secret, different subnets: the Child SA goes to the connection whose selectors fit", () => {
    const sim = new Sim(54);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "other-net", rightTs: [{ start: Uint8Array.of(10, 9, 0, 0), end: Uint8Array.of(10, 9, 255, 255) }] }));
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "west-net" }));
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    expect(e.logs.join("\n")).toMatch(/the traffic selectors name connection "west-net": switching from "other-net"/);
    // a switch that works is not logged as a refusal first
    expect(e.logs.filter((l) => /TS_UNACCEPTABLE|do not fit/.test(l))).toEqual([]);
    expect(e.status().ike.map((s) => [s.conn, s.children.length])).toEqual([["west-net", 1]]);
    expect(established(w)[0].children).toHaveLength(1);
  });
  test("selectors no connection takes: the refusal names the first connection's selectors, once", () => {
    const sim = new Sim(55);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    const net = (a: number) => [{ start: Uint8Array.of(10, a, 0, 0), end: Uint8Array.of(10, a, 255, 255) }];
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "other-net", rightTs: net(9) }));
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "third-net", rightTs: net(8) }));
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    expect(e.log(/TS_UNACCEPTABLE/)).toHaveLength(1);
    expect(e.log(/TS_UNACCEPTABLE/)[0]).toMatch(/"other-net" #\d+: the peer's traffic selectors 198\.51\.100\.128-198\.51\.100\.255 === 198\.51\.100\.0-198\.51\.100\.127 do not fit the connection's 198\.51\.100\.128-198\.51\.100\.255 === 10\.9\.0\.0-10\.9\.255\.255/);
  });
});
