// The Configuration payload and address pools (RFC 7296 2.19; core/ikev2/cp.ts, core/conn/pool.ts):
// a gateway template with rightaddresspool= leases each client an address, narrows its
// selectors to it, keeps it across rekeys and for a reconnect, and refuses with
// INTERNAL_ADDRESS_FAILURE when the pool is full.
import { describe, expect, test } from "vitest";
import { Sim, Node, pairConn, WEST, EAST } from "./sim.ts";
import { consistency } from "./check.ts";
import type { ConnSpec } from "../../hosts/engine.ts";
import { statusText } from "../../hosts/daemon.ts";

const te = new TextEncoder();
const v4 = (s: string) => Uint8Array.from(s.split(".").map(Number));
const ANY = { family: 0 as const, port: 500, addr: new Uint8Array(4) };
const fqdn = (s: string) => ({ type: 2, data: te.encode(s) });

// east: the gateway, 198.51.100.128/25 behind it, a pool of `size` addresses from 10.9.0.1
function gateway(size: number, over: Partial<ConnSpec> = {}): ConnSpec {
  const last = 1 + size - 1;
  return {
    ...pairConn("east"),
    name: "rw",
    right: ANY,
    rightId: undefined,
    rightTs: [],
    rightPool: [{ start: v4("10.9.0.1"), end: v4(`10.9.0.${last}`) }],
    leftCfg: { server: true },
    rightCfg: { client: true },
    dns: [v4("10.9.0.53"), v4("192.0.2.53")],
    domains: ["corp.example"],
    ...over,
  };
}
// a client: asks for its address (leftmodecfgclient=yes), everything behind the gateway
function client(name: string, addr: Uint8Array, over: Partial<ConnSpec> = {}): ConnSpec {
  return {
    ...pairConn("west"),
    left: { family: 4, port: 500, addr },
    leftId: fqdn(`${name}.example`),
    leftTs: [],
    leftCfg: { client: true },
    ...over,
  };
}

function setup(seed: number, size: number, clients: [string, Uint8Array][], gw: Partial<ConnSpec> = {}): { sim: Sim; e: Node; cs: Node[] } {
  const sim = new Sim(seed);
  const e = sim.addNode("east", EAST);
  sim.act(e, (x) => x.addConn(0, gateway(size, gw)));
  const cs = clients.map(([name, addr]) => {
    const n = sim.addNode(name, addr);
    sim.act(n, (x) => x.addConn(0, client(name, addr)));
    return n;
  });
  return { sim, e, cs };
}
const hex = (s: string) => s.split(".").map((x) => Number(x).toString(16).padStart(2, "0")).join("");
const childOf = (n: Node) => n.status().ike.find((s) => s.state === "ESTABLISHED_IKE_SA")?.children.find((c) => c.state === "ESTABLISHED_CHILD_SA");
const leasesOf = (e: Node) => Object.fromEntries(e.status().conns.filter((c) => c.kind === "INSTANCE").map((c) => [c.remoteId, c.leases]));

describe("Configuration payload: a gateway leases addresses from its pool", () => {
  test("CFG_REQUEST in IKE_AUTH gets an address, DNS and domain; both Child SAs are narrowed to it", () => {
    const { sim, e, cs: [w] } = setup(70, 10, [["west", WEST]]);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(consistency(sim, w, e)).toEqual([]);
    const wc = childOf(w)!;
    const ec = childOf(e)!;
    // the client's side is its leased address, the gateway's its subnet
    expect(wc.tsLocal.map((t) => [t.start, t.end])).toEqual([[hex("10.9.0.1"), hex("10.9.0.1")]]);
    expect(wc.tsRemote.map((t) => [t.start, t.end])).toEqual([[hex("198.51.100.128"), hex("198.51.100.255")]]);
    expect(ec.tsRemote.map((t) => [t.start, t.end])).toEqual([[hex("10.9.0.1"), hex("10.9.0.1")]]);
    const wconn = w.status().conns[0];
    expect(wconn.vips).toEqual(["10.9.0.1"]);
    expect(wconn.dns).toEqual(["10.9.0.53", "192.0.2.53"]);
    expect(wconn.domains).toEqual(["corp.example"]);
    expect(w.log(/received address 10\.9\.0\.1, DNS 10\.9\.0\.53, 192\.0\.2\.53, domains corp\.example/)).toHaveLength(1);
    expect(e.log(/leased 10\.9\.0\.1 from addresspool 10\.9\.0\.1-10\.9\.0\.10 to @west\.example/)).toHaveLength(1);
    const st = e.status();
    expect(leasesOf(e)).toEqual({ "@west.example": ["10.9.0.1"] });
    expect(st.pools).toEqual([{ range: "10.9.0.1-10.9.0.10", size: 10, leases: 1, inUse: 1, free: 0, assigned: [{ address: "10.9.0.1", conn: '"rw"[1] 192.0.2.1' }] }]);
    // whack --status shows the lease beside the instance, as the issue has it
    const text = statusText("status", st, "memory", sim.now);
    expect(text).toMatch(/^000 "rw"\[1\] 192\.0\.2\.1: .*lease 10\.9\.0\.1/m);
    expect(text).toMatch(/^000 address pool 10\.9\.0\.1-10\.9\.0\.10: 10 addresses, 1 leases, 1 in-use, 0 free/m);
  });

  test("the address stays across Child SA and IKE SA rekeys", () => {
    const { sim, e, cs: [w] } = setup(71, 10, [["west", WEST]], { timers: { ikeLifetime: 60, childLifetime: 40, rekeyMargin: 10, rekeyFuzz: 0 } });
    // the client's own lifetimes are long: the gateway rekeys both
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(200_000);
    expect(consistency(sim, w, e)).toEqual([]);
    expect(e.log(/rekeying Child SA as/).length).toBeGreaterThanOrEqual(4);
    expect(e.log(/rekeying IKE SA as/).length).toBeGreaterThanOrEqual(2);
    // every rekey was taken: no refusal, no Child SA lost and made again
    expect([...w.log(/TS_UNACCEPTABLE|supposed to be up/), ...e.log(/TS_UNACCEPTABLE|supposed to be up/)]).toEqual([]);
    const ikeRekeys = e.status().ike.filter((s) => s.state === "ESTABLISHED_IKE_SA");
    expect(ikeRekeys).toHaveLength(1);
    expect(ikeRekeys[0].serial).toBeGreaterThan(2); // not the first IKE SA any more
    expect(childOf(w)!.tsLocal[0].start).toBe(hex("10.9.0.1"));
    expect(childOf(e)!.tsRemote[0].start).toBe(hex("10.9.0.1"));
    expect(e.log(/leased /)).toHaveLength(1); // leased once
    expect(e.status().pools[0]).toMatchObject({ inUse: 1, leases: 1 });
  });

  test("a full pool refuses the next client with INTERNAL_ADDRESS_FAILURE, naming the pool; a freed address goes to the next", () => {
    const north = Uint8Array.of(192, 0, 2, 3);
    const south = Uint8Array.of(192, 0, 2, 4);
    const { sim, e, cs: [w, n, s] } = setup(72, 2, [["west", WEST], ["north", north], ["south", south]]);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    sim.act(n, (x) => x.initiate(sim.now, "west-east"));
    sim.run(4000);
    sim.act(s, (x) => x.initiate(sim.now, "west-east"));
    sim.run(6000);
    expect(childOf(w)!.tsLocal[0].start).toBe(hex("10.9.0.1"));
    expect(childOf(n)!.tsLocal[0].start).toBe(hex("10.9.0.2"));
    expect(childOf(s)).toBeUndefined();
    expect(e.log(/"rw"\[3\] 192\.0\.2\.4 #\d+: no free address in addresspool 10\.9\.0\.1-10\.9\.0\.2 \(2 addresses, all leased\): INTERNAL_ADDRESS_FAILURE/)).toHaveLength(1);
    expect(s.log(/no Child SA: the responder answered with INTERNAL_ADDRESS_FAILURE/).length).toBeGreaterThan(0);
    expect(e.status().pools[0]).toMatchObject({ size: 2, inUse: 2 });
    // west goes: its instance goes, and with it the lease; south, trying again, gets it
    sim.act(w, (x) => x.terminate(sim.now, "west-east"));
    sim.run(8000);
    expect(e.status().pools[0]).toMatchObject({ inUse: 1, free: 1 });
    sim.act(s, (x) => x.terminate(sim.now, "west-east"));
    sim.run(9000);
    sim.act(s, (x) => x.initiate(sim.now, "west-east"));
    sim.run(12000);
    expect(childOf(s)!.tsLocal[0].start).toBe(hex("10.9.0.1"));
    expect(e.status().pools[0]).toMatchObject({ inUse: 2, free: 0 });
  });

  test("a client that restarts and reconnects from its address keeps its lease", () => {
    const north = Uint8Array.of(192, 0, 2, 3);
    const { sim, e, cs: [w, n] } = setup(73, 10, [["west", WEST], ["north", north]]);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    sim.act(n, (x) => x.initiate(sim.now, "west-east"));
    sim.run(4000);
    expect(leasesOf(e)).toEqual({ "@west.example": ["10.9.0.1"], "@north.example": ["10.9.0.2"] });
    // west crashes and comes back (no Delete reached the gateway): the instance of its address
    // takes the new IKE SA, holding its lease, and the old IKE SA is replaced (uniqueids)
    sim.restart(w);
    sim.act(w, (x) => x.addConn(sim.now, client("west", WEST)));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(8000);
    expect(childOf(w)!.tsLocal[0].start).toBe(hex("10.9.0.1"));
    expect(leasesOf(e)).toEqual({ "@west.example": ["10.9.0.1"], "@north.example": ["10.9.0.2"] });
    expect(e.status().ike.filter((s) => s.state === "ESTABLISHED_IKE_SA")).toHaveLength(2);
    expect(e.status().pools[0]).toMatchObject({ inUse: 2, leases: 2 });
  });

  test("two clients behind one NAT address with different IDs get two leases", () => {
    const { sim, e, cs: [a, b] } = setup(74, 10, [["alice", WEST], ["bob", WEST]]);
    sim.act(a, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    sim.act(b, (x) => x.initiate(sim.now, "west-east"));
    sim.run(4000);
    expect(leasesOf(e)).toEqual({ "@alice.example": ["10.9.0.1"], "@bob.example": ["10.9.0.2"] });
    expect(childOf(a)!.tsLocal[0].start).toBe(hex("10.9.0.1"));
    expect(childOf(b)!.tsLocal[0].start).toBe(hex("10.9.0.2"));
  });

  test("a pool on a connection whose peer does not ask: its own address, no lease", () => {
    const { sim, e, cs: [w] } = setup(76, 10, [["west", WEST]]);
    sim.act(w, (x) => x.deleteConn(sim.now, "west-east"));
    sim.act(w, (x) => x.addConn(sim.now, client("west", WEST, { leftCfg: undefined })));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(3000);
    expect(childOf(w)!.tsLocal[0].start).toBe(hex("192.0.2.1"));
    expect(e.status().pools[0]).toMatchObject({ inUse: 0, leases: 0 });
  });

  test("connections naming the same range share its pool; an inexact overlap is refused", () => {
    const sim = new Sim(77);
    const e = sim.addNode("east", EAST);
    sim.act(e, (x) => x.addConn(0, gateway(4)));
    sim.act(e, (x) => x.addConn(0, { ...gateway(4), name: "rw2", leftTs: [{ start: v4("203.0.113.0"), end: v4("203.0.113.255") }] }));
    expect(e.status().pools).toHaveLength(1);
    const r = e.engine.addConn(0, { ...gateway(6), name: "rw3" });
    expect(r.ok).toBe(false);
    expect(r.reply).toMatch(/"rw3": invalid addresspool: new addresspool 10\.9\.0\.1-10\.9\.0\.6 INEXACTLY OVERLAPS with existing one 10\.9\.0\.1-10\.9\.0\.4/);
    // the pool goes with the last connection that names it
    sim.act(e, (x) => x.deleteConn(0, "rw"));
    expect(e.status().pools).toHaveLength(1);
    sim.act(e, (x) => x.deleteConn(0, "rw2"));
    expect(e.status().pools).toHaveLength(0);
  });
});
