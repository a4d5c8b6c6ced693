// core/conn: orientation by the host's addresses, templates and their instances (right=%any,
// rightprotoport=17/%any, rightsubnet=vnet:%priv / vhost:%priv within virtual-private), and
// instances going away with their last IKE SA.
import { describe, expect, test } from "vitest";
import { Sim, pairConn, WEST, EAST, type Node } from "./sim.ts";
import { established } from "./check.ts";
import type { ConnSpec, Endpoint, TsSpec } from "../../hosts/engine.ts";

const NORTH = Uint8Array.of(192, 0, 2, 3);
const any: Endpoint = { family: 0, port: 500, addr: new Uint8Array(4) };
const te = new TextEncoder();
const net = (a: number[], b: number[], extra: Partial<TsSpec> = {}): TsSpec => ({ start: Uint8Array.from(a), end: Uint8Array.from(b), ...extra });
const tsText = (t: { start: string; end: string; proto: number; sport: number; eport: number }) => `${t.start}-${t.end}:${t.proto}/${t.sport}-${t.eport}`;

// a road warrior at `addr` with its own ID, proposing `leftTs` (absent: its own address)
function roadwarrior(sim: Sim, name: string, addr: Uint8Array, over: Partial<ConnSpec> = {}): Node {
  const n = sim.addNode(name, addr);
  sim.act(n, (x) => x.addConn(0, { ...pairConn("west"), left: { family: 4, port: 500, addr }, leftId: { type: 2, data: te.encode(`${name}.example`) }, ...over }));
  return n;
}

describe("orientation: the core decides which end is ours by the host's addresses", () => {
  test("one connection text, loaded as it is on both hosts, is oriented by each", () => {
    const sim = new Sim(70);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    const same = pairConn("west"); // left=west, right=east on both
    sim.act(w, (x) => x.addConn(0, same));
    sim.act(e, (x) => x.addConn(0, same));
    expect(e.status().conns.map((c) => [c.local, c.remote, c.remoteId])).toEqual([["192.0.2.2:500", "192.0.2.1:500", "@west.example"]]);
    sim.act(e, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    expect(established(e)).toHaveLength(1);
    expect(established(w)).toHaveLength(1);
    expect(established(e)[0].children[0].tsLocal.map((t) => t.start + "-" + t.end)).toEqual(["c6336480-c63364ff"]);
  });

  test("the secret is the one for the orientation the core chose", () => {
    const good = te.encode("the secret both of them know");
    const bad = te.encode("a secret only one of them has");
    for (const [pskRight, ok] of [[good, true], [bad, false]] as const) {
      const sim = new Sim(71);
      const w = sim.addNode("west", WEST);
      const e = sim.addNode("east", EAST);
      sim.act(w, (x) => x.addConn(0, pairConn("west", { psk: good, pskRight: bad })));
      // east holds the same text; for east (right) the secret is pskRight
      sim.act(e, (x) => x.addConn(0, pairConn("west", { psk: bad, pskRight })));
      sim.act(w, (x) => x.initiate(sim.now, "west-east"));
      sim.run(3000);
      expect(established(w).length).toBe(ok ? 1 : 0);
    }
  });

  test("neither end, both ends, or no addresses known: a clear refusal naming the ends", () => {
    const sim = new Sim(72);
    const n = sim.addNode("north", NORTH);
    expect(n.engine.addConn(0, pairConn("west"))).toEqual({ ok: false, reply: '"west-east": neither left=192.0.2.1 nor right=192.0.2.2 is an address of this host' });
    n.engine.setInterfaces(0, [{ family: 4, port: 0, addr: WEST }, { family: 4, port: 0, addr: EAST }]);
    expect(n.engine.addConn(0, pairConn("west"))).toEqual({ ok: false, reply: '"west-east": both left=192.0.2.1 and right=192.0.2.2 are addresses of this host: cannot tell which end is ours' });
    n.engine.setInterfaces(0, []);
    expect(n.engine.addConn(0, pairConn("west")).reply).toMatch(/this host has told the core no addresses: cannot orient left=192\.0\.2\.1 and right=192\.0\.2\.2/);
    expect(n.status().conns).toEqual([]);
  });

  test("a missing secret for the chosen orientation loads the connection, which is never run with an empty key", () => {
    const sim = new Sim(73);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    // an empty secret says "none for this orientation": west's secret is not east's
    const r = e.engine.addConn(0, { ...pairConn("west"), psk: te.encode("for west only"), pskRight: new Uint8Array(0) });
    expect(r).toEqual({ ok: true, reply: 'added connection "west-east"' });
    expect(e.log(/no pre-shared key for @east\.example and @west\.example: its negotiations will fail until ipsec\.secrets has one/)).toHaveLength(1);
    // east as initiator: no AUTH from an empty key goes out
    sim.act(e, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    // (the IKE SA goes before its IKE_AUTH request is built; revival may try again, as often)
    expect(e.log(/deleted IKE SA \(no pre-shared key in ipsec\.secrets for @east\.example and @west\.example\)/).length).toBeGreaterThan(0);
    expect(e.log(/sent IKE_AUTH request/)).toEqual([]);
    // east as responder: refused before any AUTH is computed
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(6000);
    expect(e.log(/no pre-shared key in ipsec\.secrets for @east\.example and @west\.example: AUTHENTICATION_FAILED/).length).toBeGreaterThan(0);
    expect(established(w)).toHaveLength(0);
    expect(established(e)).toHaveLength(0);
  });
});

describe("instances of right=%any", () => {
  test("an instance per peer, named \"road\"[n]; it goes away with its last IKE SA", () => {
    const sim = new Sim(74);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined }));
    const w = roadwarrior(sim, "west", WEST);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    expect(e.status().conns.map((c) => [c.kind, c.instance, c.remote])).toEqual([["TEMPLATE", 0, "%any"], ["INSTANCE", 1, "192.0.2.1:500"]]);
    expect(e.status().ike.map((s) => [s.conn, s.instance])).toEqual([["road", 1]]);
    expect(e.logs.join("\n")).toMatch(/"road"\[1\] 192\.0\.2\.1 #\d+: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west\.example'/);
    sim.act(w, (x) => x.terminate(sim.now, "west-east"));
    sim.run(4000);
    expect(e.status().ike).toEqual([]);
    expect(e.status().conns.map((c) => [c.kind, c.instance])).toEqual([["TEMPLATE", 0]]);
    // a new connection from the same peer makes a new instance
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(6000);
    expect(e.status().conns.map((c) => [c.kind, c.instance])).toEqual([["TEMPLATE", 0], ["INSTANCE", 2]]);
  });

  test("whack --down of the template terminates every instance's IKE SA (with a Delete to each peer)", () => {
    const sim = new Sim(85);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined }));
    const w = roadwarrior(sim, "west", WEST);
    const n = roadwarrior(sim, "north", NORTH);
    // (as traffic would: road warriors supposed to be up would come straight back)
    sim.act(w, (x) => x.initiateOnDemand(sim.now, "west-east"));
    sim.act(n, (x) => x.initiateOnDemand(sim.now, "west-east"));
    sim.run(2000);
    expect(e.status().ike).toHaveLength(2);
    expect(sim.act(e, (x) => x.terminate(sim.now, "road"))).toBe('terminating "road": 2 IKE SA(s)');
    sim.run(5000);
    expect(established(w)).toEqual([]);
    expect(established(n)).toEqual([]);
    expect(e.status().conns.map((c) => c.kind)).toEqual(["TEMPLATE"]);
  });

  test("whack --delete of the template takes its instances and their states", () => {
    const sim = new Sim(75);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined }));
    const w = roadwarrior(sim, "west", WEST);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    expect(e.status().conns).toHaveLength(2);
    sim.act(e, (x) => x.admin(sim.now, 4 /* ADM_DELETE_CONN */, te.encode("road")));
    sim.run(5000);
    expect(e.status().conns).toEqual([]);
    expect(e.status().ike).toEqual([]);
    expect(established(w)).toEqual([]);
  });

  test("without rightsubnet the peer's subnet is its own address: a wider claim is refused", () => {
    const sim = new Sim(76);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined, rightTs: undefined }));
    // west claims 198.51.100.0/25 behind it: not its to claim
    const w = roadwarrior(sim, "west", WEST);
    // north asks only for its own address
    const n = roadwarrior(sim, "north", NORTH, { leftTs: undefined });
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.act(n, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(e.logs.join("\n")).toMatch(/"road"\[1\] 192\.0\.2\.1 #\d+: the peer's traffic selectors \S+ === 198\.51\.100\.0-198\.51\.100\.127 do not fit the connection's \S+ === 192\.0\.2\.1-192\.0\.2\.1 \(local === remote\): TS_UNACCEPTABLE/);
    expect(established(w)[0].children).toHaveLength(0);
    expect(established(n)[0].children).toHaveLength(1);
    const inst = e.status().conns.find((c) => c.remote === "192.0.2.3:500")!;
    expect(inst.remoteTs.map((t) => t.start + "-" + t.end)).toEqual(["c0000203-c0000203"]);
  });
});

describe("rightprotoport=17/%any", () => {
  test("a template whose instance takes the port the peer proposes", () => {
    const sim = new Sim(77);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "l2tp", right: any, rightId: undefined, rightTs: undefined, transport: true, leftTs: undefined, leftProtoport: { proto: 17, ports: [1701, 1701] }, rightProtoport: { proto: 17, wildcard: true } }));
    expect(e.status().conns.map((c) => [c.kind, c.localTs.map(tsText)])).toEqual([["TEMPLATE", ["c0000202-c0000202:17/1701-1701"]]]);
    // the peer's L2TP client picked source port 49152
    const w = roadwarrior(sim, "west", WEST, { name: "l2tp", transport: true, leftTs: undefined, rightTs: undefined, leftProtoport: { proto: 17, ports: [49152, 49152] }, rightProtoport: { proto: 17, ports: [1701, 1701] } });
    sim.act(w, (x) => x.initiate(sim.now, "l2tp"));
    sim.run(2000);
    expect(established(w)[0].children).toHaveLength(1);
    const inst = e.status().conns.find((c) => c.kind === "INSTANCE")!;
    expect(inst.remoteTs.map(tsText)).toEqual(["c0000201-c0000201:17/49152-49152"]);
    expect(e.status().conns.find((c) => c.kind === "TEMPLATE")!.remoteTs).toEqual([]);
  });

  test("a permanent connection with a fixed port stays permanent", () => {
    const sim = new Sim(78);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), rightProtoport: { proto: 17, ports: [1701, 1701] } }));
    expect(e.status().conns.map((c) => c.kind)).toEqual(["PERMANENT"]);
  });
});

describe("rightsubnet=vnet:%priv / vhost:%priv within virtual-private", () => {
  const vp = {
    include: [net([10, 0, 0, 0], [10, 255, 255, 255]), net([192, 168, 0, 0], [192, 168, 255, 255])],
    exclude: [net([192, 168, 1, 0], [192, 168, 1, 255])],
  };
  const vnetTemplate = (virt: "vnet" | "vhost", no = false): ConnSpec => ({ ...pairConn("east"), name: "vnet", right: any, rightId: undefined, rightTs: undefined, rightVirtual: { kind: virt, no }, virtualPrivate: vp });

  test("vnet: the peer's private subnet inside virtual-private becomes the instance's; excluded or outside ones are refused", () => {
    const sim = new Sim(79);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, vnetTemplate("vnet")));
    const w = roadwarrior(sim, "west", WEST, { leftTs: [net([10, 1, 2, 0], [10, 1, 2, 255])] });
    const n = roadwarrior(sim, "north", NORTH, { leftTs: [net([192, 168, 1, 0], [192, 168, 1, 255])] });
    const s = roadwarrior(sim, "south", Uint8Array.of(192, 0, 2, 4), { leftTs: [net([0, 0, 0, 0], [255, 255, 255, 255])] });
    for (const p of [w, n, s]) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(established(w)[0].children).toHaveLength(1);
    expect(established(n)[0].children).toHaveLength(0); // %v4:!192.168.1.0/24
    expect(established(s)[0].children).toHaveLength(0); // not within virtual-private
    const inst = e.status().conns.find((c) => c.remote === "192.0.2.1:500")!;
    expect(inst.kind).toBe("INSTANCE");
    expect(inst.remoteTs.map((t) => t.start + "-" + t.end)).toEqual(["0a010200-0a0102ff"]);
    expect(e.status().conns.find((c) => c.kind === "TEMPLATE")!.remoteTs).toHaveLength(2); // the virtual-private ranges
  });

  test("vhost: a single private address, not a subnet", () => {
    const sim = new Sim(80);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, vnetTemplate("vhost")));
    const w = roadwarrior(sim, "west", WEST, { leftTs: [net([10, 1, 2, 7], [10, 1, 2, 7])] });
    const n = roadwarrior(sim, "north", NORTH, { leftTs: [net([10, 1, 3, 0], [10, 1, 3, 255])] });
    for (const p of [w, n]) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(established(w)[0].children).toHaveLength(1);
    expect(established(n)[0].children).toHaveLength(0);
  });

  test("%no: the peer's own public address as its subnet, only when the connection says so", () => {
    for (const no of [false, true]) {
      const sim = new Sim(84);
      const e = sim.addNode("east", EAST);
      sim.act(e, (x) => x.addConn(0, vnetTemplate("vhost", no)));
      const w = roadwarrior(sim, "west", WEST, { leftTs: undefined }); // proposes 192.0.2.1 itself
      sim.act(w, (x) => x.initiate(sim.now, "west-east"));
      sim.run(3000);
      expect(established(w)[0].children.length).toBe(no ? 1 : 0);
    }
  });

  test("vnet: without virtual-private ranges is refused when the connection is added", () => {
    const sim = new Sim(81);
    const e = sim.addNode("east", EAST);
    expect(e.engine.addConn(0, { ...vnetTemplate("vnet"), virtualPrivate: { include: [], exclude: [] } }).reply).toMatch(/needs virtual-private=/);
  });
});

describe("the host-pair index", () => {
  test("among many connections of other host pairs, IKE_SA_INIT finds the one for this peer, and a template for others", () => {
    const sim = new Sim(82);
    const e = sim.addNode("east", EAST);
    const specs: ConnSpec[] = [];
    for (let i = 0; i < 2000; i++) {
      specs.push({ ...pairConn("east"), name: `peer-${i}`, right: { family: 4, port: 500, addr: Uint8Array.of(10, 77, i >> 8, i & 255) }, rightId: undefined });
    }
    specs.push({ ...pairConn("east"), name: "road", right: any, rightId: undefined, rightTs: undefined });
    specs.push({ ...pairConn("east"), name: "west-east" });
    expect(e.engine.addConns(0, specs)).toEqual({ added: 2002, refused: [] });
    const w = roadwarrior(sim, "west", WEST, { leftId: { type: 2, data: te.encode("west.example") } });
    const n = roadwarrior(sim, "north", NORTH, { leftTs: undefined });
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.act(n, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(e.status().ike.map((s) => [s.conn, s.instance, s.remote]).sort()).toEqual([["road", 1, "192.0.2.3:500"], ["west-east", 0, "192.0.2.1:500"]]);
  });
});

describe("instances and identities", () => {
  test("two peers behind one address (NAT) with different IDs each get their own instance", () => {
    const sim = new Sim(83);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined }));
    const w = sim.addNode("west", WEST);
    sim.act(w, (x) => x.addConn(0, { ...pairConn("west"), name: "laptop", leftId: { type: 2, data: te.encode("laptop.example") } }));
    sim.act(w, (x) => x.addConn(0, { ...pairConn("west"), name: "phone", leftId: { type: 2, data: te.encode("phone.example") } }));
    sim.act(w, (x) => x.initiate(sim.now, "laptop"));
    sim.run(2000);
    sim.act(w, (x) => x.initiate(sim.now, "phone"));
    sim.run(4000);
    expect(established(w).map((s) => [s.conn, s.children.length]).sort()).toEqual([["laptop", 1], ["phone", 1]]);
    expect(e.status().conns.map((c) => [c.kind, c.instance, c.remoteId])).toEqual([
      ["TEMPLATE", 0, "%any"], ["INSTANCE", 1, "@laptop.example"], ["INSTANCE", 2, "@phone.example"],
    ]);
  });
});

describe("many connections of one host pair", () => {
  test("IKE_AUTH finds the one whose selectors fit among 600, without the core's memory growing with the search", () => {
    const sim = new Sim(86);
    const w = sim.addNode("west", WEST);
    const e = sim.addNode("east", EAST);
    const net = (a: number, i: number) => ({ start: Uint8Array.of(10, a, i >> 8, i & 255), end: Uint8Array.of(10, a, i >> 8, i & 255) });
    const specs = Array.from({ length: 600 }, (_, i) => pairConn("west", { name: `net-${i}`, leftTs: [net(1, i)], rightTs: [net(2, i)] }));
    expect(w.engine.addConns(0, specs).added).toBe(600);
    expect(e.engine.addConns(0, specs).added).toBe(600);
    // each IKE_AUTH reaches east on net-0 first (by addresses and IDs) and is moved on by its selectors
    for (let i = 0; i < 600; i += 3) sim.act(w, (x) => x.initiate(sim.now, `net-${i}`));
    sim.run(20000, 2_000_000);
    const st = e.status();
    expect(st.ike.filter((s) => s.state === "ESTABLISHED_IKE_SA" && s.children.length === 1)).toHaveLength(200);
    expect(new Set(st.ike.map((s) => s.conn)).size).toBe(200);
    expect(e.engine.core.memoryBytes).toBeLessThan(64 << 20);
  });
});

describe("per-user connections", () => {
  test("3,000 templates of one address told apart by rightid: each peer lands on its own, in load order where IDs tie", () => {
    const sim = new Sim(87);
    const e = sim.addNode("east", EAST);
    const specs: ConnSpec[] = [];
    for (let i = 0; i < 3000; i++) specs.push({ ...pairConn("east"), name: `user-${i}`, right: any, rightId: { type: 2, data: te.encode(`user-${i}.example`) } });
    specs.push({ ...pairConn("east"), name: "anyone", right: any, rightId: undefined });
    specs.push({ ...pairConn("east"), name: "user-7-again", right: any, rightId: { type: 2, data: te.encode("user-7.example") } });
    expect(e.engine.addConns(0, specs).added).toBe(3002);
    const peers = [
      roadwarrior(sim, "p0", WEST, { leftId: { type: 2, data: te.encode("user-2999.example") } }),
      roadwarrior(sim, "p1", NORTH, { leftId: { type: 2, data: te.encode("user-7.example") } }),
      roadwarrior(sim, "p2", Uint8Array.of(192, 0, 2, 4), { leftId: { type: 2, data: te.encode("stranger.example") } }),
    ];
    for (const p of peers) sim.act(p, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(e.status().ike.map((s) => [s.conn, s.remote, s.children.length]).sort()).toEqual([
      ["anyone", "192.0.2.4:500", 1],
      ["user-2999", "192.0.2.1:500", 1],
      ["user-7", "192.0.2.3:500", 1], // the first of the two naming user-7, as added
    ]);
  });
});
