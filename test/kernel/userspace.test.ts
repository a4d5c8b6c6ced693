// The user-space data plane (kernel-shims/userspace.ts) between two instances joined by fake
// wires: packets from one TUN come out of the other's, through plain ESP and ESP in UDP, with
// every transform; bad inbound ESP is counted, dropped and logged once per kind; ACQUIRE for a
// trap policy, soft and hard expires from packet and byte lifetimes, counters, rekeys, routes.
import { describe, expect, it } from "vitest";
import { UserspaceKernel, parseFlow, transportPacket, type RawEspSocket, type TunDevice, type UserspaceIo } from "../../kernel-shims/userspace.ts";
import type { KernelEvent, SaSpec, PolicySpec } from "../../kernel-shims/kernel.ts";

class FakeTun implements TunDevice {
  readonly written: Uint8Array[] = [];
  private listener: ((p: Uint8Array) => void) | undefined;
  constructor(readonly name: string) {}
  write(p: Uint8Array): void {
    this.written.push(p.slice());
  }
  onPacket(l: (p: Uint8Array) => void): void {
    this.listener = l;
  }
  inject(p: Uint8Array): void {
    this.listener?.(p);
  }
  close(): void {}
}

class Wire implements RawEspSocket {
  peer: Wire | undefined;
  sent: Uint8Array[] = [];
  private listener: ((src: string, dst: string, esp: Uint8Array) => void) | undefined;
  send(src: string, dst: string, esp: Uint8Array): void {
    this.sent.push(esp);
    this.peer?.listener?.(src, dst, esp);
  }
  onPacket(l: (src: string, dst: string, esp: Uint8Array) => void): void {
    this.listener = l;
  }
  deliver(src: string, dst: string, esp: Uint8Array): void {
    this.listener?.(src, dst, esp);
  }
  close(): void {}
}

interface Node { k: UserspaceKernel; tun: FakeTun; wire: Wire; logs: string[]; events: KernelEvent[]; routes: string[]; clock: { t: number } }

function node(name: string, local: string[], raw = true): Node {
  const tun = new FakeTun(name);
  const wire = new Wire();
  const logs: string[] = [];
  const routes: string[] = [];
  const clock = { t: 1000 };
  const io: UserspaceIo = {
    tun,
    routes: { addRoute: async (p, src) => void routes.push(`add ${p}${src ? ` src ${src}` : ""}`), delRoute: async (p) => void routes.push(`del ${p}`) },
    raw: raw ? wire : { error: "EPERM" },
    now: () => clock.t,
    wallSeconds: () => 1_700_000_000,
    log: (l) => logs.push(l),
    localAddresses: () => local,
  };
  const k = new UserspaceKernel(io);
  const events: KernelEvent[] = [];
  k.onEvent((e) => events.push(e));
  return { k, tun, wire, logs, events, routes, clock };
}

function pair(raw = true) {
  const west = node("ipsec0", ["192.0.2.1", "10.1.0.1"], raw);
  const east = node("ipsec0", ["192.0.2.2", "10.2.0.1"], raw);
  west.wire.peer = east.wire;
  east.wire.peer = west.wire;
  return { west, east };
}

const suites: { name: string; encr: number; key: number; integ?: number; integKey?: number }[] = [
  { name: "AES_GCM_16_128", encr: 20, key: 20 },
  { name: "AES_GCM_16_256", encr: 20, key: 36 },
  { name: "CHACHA20_POLY1305", encr: 28, key: 36 },
  { name: "AES_CBC_128-HMAC_SHA2_256_128", encr: 12, key: 16, integ: 12, integKey: 32 },
];

function keys(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
}

// The SAs and policies of one Child SA, as hosts/kernel-adapter.ts installs them.
async function child(west: Node, east: Node, o: { spiWE: number; spiEW: number; reqid?: number; suite?: (typeof suites)[0]; esn?: boolean; encap?: boolean; lifetime?: SaSpec["lifetime"]; policies?: boolean; westSrc?: string }) {
  const s = o.suite ?? suites[0]!;
  const reqid = o.reqid ?? 1;
  const sa = (src: string, dst: string, spi: number, seed: number, inbound: boolean): SaSpec => ({
    src, dst, spi, proto: "esp", mode: "tunnel", reqid, esn: !!o.esn, replayWindow: inbound ? 32 : 0,
    encr: { id: s.encr, key: keys(s.key, seed) },
    ...(s.integ ? { integ: { id: s.integ, key: keys(s.integKey!, seed + 1) } } : {}),
    ...(o.encap ? { encap: { sport: 4500, dport: 4500 } } : {}),
    ...(o.lifetime ? { lifetime: o.lifetime } : {}),
  });
  // west -> east: keys seeded 1; east -> west: seeded 2
  await west.k.addSa(sa("192.0.2.1", "192.0.2.2", o.spiWE, 1, false));
  await east.k.addSa(sa("192.0.2.1", "192.0.2.2", o.spiWE, 1, true));
  await east.k.addSa(sa("192.0.2.2", "192.0.2.1", o.spiEW, 2, false));
  await west.k.addSa(sa("192.0.2.2", "192.0.2.1", o.spiEW, 2, true));
  if (o.policies === false) return;
  const pol = (src: string, dst: string, dir: "in" | "out" | "fwd", tsrc: string, tdst: string): PolicySpec => ({ selector: { src, dst }, dir, templates: [{ src: tsrc, dst: tdst, proto: "esp", mode: "tunnel", reqid }] });
  const wsrc = o.westSrc ?? "10.1.0.0/24";
  for (const [n, l, r, lo, re] of [[west, wsrc, "10.2.0.0/24", "192.0.2.1", "192.0.2.2"], [east, "10.2.0.0/24", "10.1.0.0/24", "192.0.2.2", "192.0.2.1"]] as const) {
    await n.k.addPolicy(pol(l, r, "out", lo, re), { update: true });
    await n.k.addPolicy(pol(r, l, "in", re, lo), { update: true });
    await n.k.addPolicy(pol(r, l, "fwd", re, lo), { update: true });
  }
}

// An ICMP echo request (IPv4), with a body of `n` bytes
function ping(src: string, dst: string, n = 56, id = 1): Uint8Array {
  const p = new Uint8Array(28 + n);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  p[8] = 64;
  p[9] = 1;
  p.set(src.split(".").map(Number), 12);
  p.set(dst.split(".").map(Number), 16);
  p[20] = 8;
  v.setUint16(24, id);
  for (let i = 0; i < n; i++) p[28 + i] = i;
  return p;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("user-space data plane", () => {
  for (const suite of suites) {
    it(`carries packets both ways with ${suite.name}, plain ESP and ESP in UDP, counting them`, async () => {
      for (const encap of [false, true]) {
        const { west, east } = pair();
        if (encap) {
          west.k.setUdpSender((src, sport, dst, dport, b) => {
            expect([src, sport, dst, dport]).toEqual(["192.0.2.1", 4500, "192.0.2.2", 4500]);
            east.k.udpInput(b, src, dst);
          });
          east.k.setUdpSender((src, _sp, dst, _dp, b) => west.k.udpInput(b, src, dst));
        }
        await child(west, east, { spiWE: 0xc0000001, spiEW: 0xc0000002, suite, encap, esn: suite.encr === 28 });
        const pkts = [ping("10.1.0.1", "10.2.0.1", 56, 1), ping("10.1.0.1", "10.2.0.7", 1400, 2), ping("10.1.0.5", "10.2.0.1", 0, 3)];
        for (const p of pkts) west.tun.inject(p);
        expect(east.tun.written.map(hex)).toEqual(pkts.map(hex));
        expect(west.wire.sent.length).toBe(encap ? 0 : 3);
        const reply = ping("10.2.0.1", "10.1.0.1", 100, 9);
        east.tun.inject(reply);
        expect(west.tun.written.map(hex)).toEqual([hex(reply)]);
        const c = await east.k.getSaCounters({ src: "192.0.2.1", dst: "192.0.2.2", spi: 0xc0000001 });
        expect(c.packets).toBe(3n);
        expect(c.bytes).toBe(BigInt(pkts.reduce((a, p) => a + p.length, 0)));
        expect(east.k.drops.size).toBe(0);
      }
    });
  }

  it("drops bad inbound ESP, counting each reason, logging each kind once per 10 s", async () => {
    const { west, east } = pair();
    await child(west, east, { spiWE: 0x1001, spiEW: 0x1002 });
    west.tun.inject(ping("10.1.0.1", "10.2.0.1"));
    const good = west.wire.sent[0]!;
    west.wire.peer = undefined;
    west.tun.inject(ping("10.1.0.1", "10.2.0.1"));
    const second = west.wire.sent[1]!; // not delivered
    const feed = (b: Uint8Array) => east.wire.deliver("192.0.2.1", "192.0.2.2", b);
    feed(good); // replayed
    const bad = second.slice();
    bad[bad.length - 1]! ^= 1;
    feed(bad); // bad ICV
    const unknown = good.slice();
    unknown[3]! ^= 0x40;
    feed(unknown); // unknown SPI
    feed(good.subarray(0, 6)); // shorter than the header
    feed(second.subarray(0, 20)); // truncated body
    for (let i = 0; i < 5; i++) feed(good);
    expect(Object.fromEntries(east.k.drops)).toEqual({ replayed: 6, "bad ICV": 1, "unknown SPI": 1, truncated: 2 });
    expect(east.tun.written.length).toBe(1);
    const dropLines = east.logs.filter((l) => l.includes("dropped"));
    expect(dropLines.length).toBe(4); // one per kind
    expect(dropLines.find((l) => l.includes("received already"))).toMatch(/SA 0x00001001 from 192\.0\.2\.1: sequence number 1 was received already/);
    east.clock.t += 10_001;
    feed(good);
    expect(east.logs.some((l) => /dropped 5 more packets \(replayed\) in the last 10 s/.test(l))).toBe(true);
  });

  it("drops an inner packet outside the Child SA's selectors", async () => {
    const { west, east } = pair();
    await child(west, east, { spiWE: 0x2001, spiEW: 0x2002, westSrc: "10.0.0.0/8" }); // west sends more than east takes
    west.tun.inject(ping("10.9.0.1", "10.2.0.1"));
    expect(east.tun.written.length).toBe(0);
    expect(east.k.drops.get("outside selectors")).toBe(1);
    expect(east.logs.join("\n")).toMatch(/10\.9\.0\.1 -> 10\.2\.0\.1 proto 1 8 -> 0 is outside the Child SA's traffic selectors/);
  });

  it("raises one ACQUIRE for traffic to a trap policy without an SA, again after 30 s", async () => {
    const { west } = pair();
    await west.k.addPolicy({ selector: { src: "10.1.0.0/24", dst: "10.2.0.0/24" }, dir: "out", templates: [{ src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", mode: "tunnel", reqid: 0x7f000000 }] }, { update: true });
    expect(west.routes).toEqual(["add 10.2.0.0/24 src 10.1.0.1"]);
    west.tun.inject(ping("10.1.0.1", "10.2.0.3"));
    west.tun.inject(ping("10.1.0.1", "10.2.0.3"));
    expect(west.events.length).toBe(1);
    expect(west.events[0]).toMatchObject({ kind: "acquire", src: "192.0.2.1", dst: "192.0.2.2", selector: { src: "10.1.0.1", dst: "10.2.0.3", proto: 1 }, policy: { templates: [{ reqid: 0x7f000000 }] } });
    expect(west.k.drops.get("no SA")).toBe(2);
    west.clock.t += 30_000;
    west.tun.inject(ping("10.1.0.1", "10.2.0.3"));
    expect(west.events.length).toBe(2);
  });

  it("raises soft and hard expires from packet and byte lifetimes; the hard one removes the SA", async () => {
    const { west, east } = pair();
    await child(west, east, { spiWE: 0x3001, spiEW: 0x3002, lifetime: { softPackets: 2n, hardPackets: 4n } });
    for (let i = 0; i < 5; i++) west.tun.inject(ping("10.1.0.1", "10.2.0.1"));
    const ex = west.events.filter((e) => e.kind === "expire");
    expect(ex.map((e) => e.kind === "expire" && [e.hard, e.spi])).toEqual([[false, 0x3001], [true, 0x3001]]);
    expect(west.k.drops.get("no SA")).toBe(1); // the fifth: its SA is gone
    await expect(west.k.getSaCounters({ src: "192.0.2.1", dst: "192.0.2.2", spi: 0x3001 })).rejects.toThrow(/ESRCH/);
    const { west: w2, east: e2 } = pair();
    await child(w2, e2, { spiWE: 0x3101, spiEW: 0x3102, lifetime: { softBytes: 200n, hardBytes: 10_000n } });
    for (let i = 0; i < 3; i++) w2.tun.inject(ping("10.1.0.1", "10.2.0.1"));
    expect(w2.events.map((e) => e.kind === "expire" && e.hard)).toEqual([false]);
  });

  it("a rekey switches outbound to the new SA at once; inbound takes both until the old one goes", async () => {
    const { west, east } = pair();
    await child(west, east, { spiWE: 0x4001, spiEW: 0x4002 });
    west.tun.inject(ping("10.1.0.1", "10.2.0.1"));
    const old = west.wire.sent[0]!;
    await child(west, east, { spiWE: 0x4011, spiEW: 0x4012, policies: false, suite: suites[2] });
    west.tun.inject(ping("10.1.0.1", "10.2.0.1", 10));
    expect(new DataView(west.wire.sent[1]!.buffer).getUint32(0)).toBe(0x4011);
    const late = old.slice();
    // a packet of the old SA still in flight (sealed before the switch) is taken
    west.k.deleteSa({ src: "192.0.2.1", dst: "192.0.2.2", spi: 0x4001 });
    expect(east.tun.written.length).toBe(2);
    await east.k.deleteSa({ src: "192.0.2.1", dst: "192.0.2.2", spi: 0x4001 });
    east.wire.deliver("192.0.2.1", "192.0.2.2", late);
    expect(east.k.drops.get("unknown SPI")).toBe(1);
  });

  it("says when plain ESP has no raw socket, and why", async () => {
    const { west, east } = pair(false);
    expect(west.logs[0]).toMatch(/no raw socket for plain ESP \(EPERM\): only UDP-encapsulated SAs/);
    await child(west, east, { spiWE: 0x5001, spiEW: 0x5002 });
    west.tun.inject(ping("10.1.0.1", "10.2.0.1"));
    expect(west.k.drops.get("no raw socket")).toBe(1);
  });

  it("refuses SAs it cannot carry, by name", async () => {
    const { west } = pair();
    await expect(west.k.addSa({ src: "192.0.2.1", dst: "192.0.2.2", spi: 1, mode: "tunnel", reqid: 1, encr: { id: 14, key: new Uint8Array(20) } })).rejects.toThrow(/EPROTONOSUPPORT.*encryption transform 14 is not supported yet/);
  });

  it("routes each out policy's destination through the TUN, once; none for a prefix that holds the peer", async () => {
    const { west } = pair();
    const pol = (dst: string, reqid: number): PolicySpec => ({ selector: { src: "10.1.0.0/24", dst }, dir: "out", templates: [{ src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", mode: "tunnel", reqid }] });
    await west.k.addPolicy(pol("10.2.0.0/24", 1));
    await west.k.addPolicy({ ...pol("10.2.0.0/24", 1), selector: { src: "10.1.0.0/24", dst: "10.2.0.0/24", proto: 6 } });
    await west.k.addPolicy(pol("192.0.2.0/24", 2));
    await west.k.deletePolicy({ selector: { src: "10.1.0.0/24", dst: "10.2.0.0/24" }, dir: "out" });
    expect(west.routes).toEqual(["add 10.2.0.0/24 src 10.1.0.1"]);
    expect(west.logs.join("\n")).toMatch(/no route for 192\.0\.2\.0\/24 through ipsec0: it holds the peer 192\.0\.2\.2 itself/);
    await west.k.flushOurs();
    expect(west.routes).toEqual(["add 10.2.0.0/24 src 10.1.0.1", "del 10.2.0.0/24"]);
  });

  it("transport mode: the IP header is rebuilt from the SA's addresses", () => {
    const p = transportPacket("192.0.2.1", "192.0.2.2", 17, Uint8Array.of(0, 53, 0, 53, 0, 8, 0, 0));
    const f = parseFlow(p)!;
    expect([f.proto, f.sport, f.dport, p.length]).toEqual([17, 53, 53, 28]);
    // the header checksum verifies
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
  });
});
