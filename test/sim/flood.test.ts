// Half-open floods (RFC 7296 2.6, Libreswan's ddos-mode / ddos-ike-threshold / max-halfopen-ike):
// an attacker that answers cookies from one address, a legitimate peer beside it, and a core
// whose memory must never reach its ceiling from network input. All on the virtual clock.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { Sim, pairConn, WEST, EAST } from "./sim.ts";
import { established } from "./check.ts";

const MALLORY = Uint8Array.of(203, 0, 113, 9);
const ep = (addr: Uint8Array, port = 500) => ({ family: 4 as const, port, addr });
const any = { family: 0 as const, port: 500, addr: new Uint8Array(4) };

// West's first IKE_SA_INIT request, as a template for the attacker's copies.
function captureInit(sim: Sim): Uint8Array {
  const p = sim.packets.find((x) => x.from === "west" && x.bytes[18] === 34 && (x.bytes[19] & 0x20) === 0);
  if (!p) throw new Error("no IKE_SA_INIT request from west");
  return p.bytes;
}

// A copy of an IKE_SA_INIT request with another initiator SPI and, when given, N(COOKIE) first.
function forge(tpl: Uint8Array, spi: number, cookie: Uint8Array | null): Uint8Array {
  const extra = cookie ? 8 + cookie.length : 0;
  const m = new Uint8Array(tpl.length + extra);
  m.set(tpl.subarray(0, 28));
  new DataView(m.buffer).setUint32(0, 0x6d616c6c); // "mall"
  new DataView(m.buffer).setUint32(4, spi >>> 0);
  if (cookie) {
    const firstNp = tpl[16];
    m[16] = 41; // N
    m[28] = firstNp;
    new DataView(m.buffer).setUint16(30, 8 + cookie.length);
    m[32] = 0; // protocol
    m[33] = 0; // SPI size
    new DataView(m.buffer).setUint16(34, 16390); // COOKIE
    m.set(cookie, 36);
  }
  m.set(tpl.subarray(28), 28 + extra);
  new DataView(m.buffer).setUint32(24, m.length); // the header's length; the message ID stays 0
  return m;
}

// The cookie in east's answer to the attacker's SPI, if east asked for one.
function cookieFor(sim: Sim, spi: number): Uint8Array | null {
  for (let i = sim.packets.length - 1; i >= 0; i--) {
    const p = sim.packets[i];
    const b = p.bytes;
    if (p.from !== "east" || b.length < 36 || b[18] !== 34) continue;
    const dv = new DataView(b.buffer, b.byteOffset);
    if (dv.getUint32(0) !== 0x6d616c6c || dv.getUint32(4) !== spi >>> 0) continue;
    if (b[16] === 41 && dv.getUint16(34) === 16390) return b.slice(36, 28 + dv.getUint16(30));
    return null;
  }
  return null;
}

function flooded(seed: number) {
  const sim = new Sim(seed);
  const w = sim.addNode("west", WEST);
  const e = sim.addNode("east", EAST);
  // east answers anyone (a road-warrior template), as a gateway on the Internet does
  sim.act(e, (x) => x.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined }));
  sim.act(w, (x) => x.addConn(0, pairConn("west")));
  return { sim, w, e };
}

describe("half-open floods", () => {
  test("a cookie-answering flood from one address takes a bounded share; a legitimate peer still gets in", () => {
    const { sim, w, e } = flooded(70);
    // a first handshake gives the template datagram and east's baseline memory
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(sim.now + 2000);
    expect(established(w)).toHaveLength(1);
    const tpl = captureInit(sim);
    // east is busy from the start (every new IKE_SA_INIT must show a cookie)
    e.engine.core.call("setDdos", abi.DDOS_BUSY, 25000, 50000);
    const mem0 = e.engine.core.memoryBytes;
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const spi = 0x1000 + i;
      e.engine.datagram(sim.now, forge(tpl, spi, null), ep(EAST), ep(MALLORY), false);
      const ck = cookieFor(sim, spi);
      expect(ck).not.toBeNull();
      e.engine.datagram(sim.now, forge(tpl, spi, ck), ep(EAST), ep(MALLORY), false);
      sim.rearm(e);
      if (i % 50 === 0) sim.run(sim.now + 10); // time moves on a little (5,000/s)
    }
    const st = e.status();
    const halfOpen = st.ike.filter((s) => s.state === "IKE_SA_INIT_R" || s.state === "IKE_SA_INIT_R0");
    // one address holds at most its share
    expect(halfOpen.length).toBeLessThanOrEqual(abi.HALF_OPEN_PER_SOURCE);
    expect(halfOpen.length).toBeGreaterThan(0);
    // what was refused is counted, not logged line by line
    expect(e.log(/dropping IKE_SA_INIT from 203\.0\.113\.9/).length).toBeLessThan(20);
    // the legitimate peer establishes another IKE SA during the flood (which, by uniqueids=yes,
    // replaces its first)
    const first = established(w)[0].spiI;
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(sim.now + 3000);
    expect(established(w).map((s) => s.spiI)).toEqual([expect.not.stringMatching(`^${first}$`)]);
    // the flood's half-open SAs expire on their schedule and memory is reused, not grown on
    sim.run(sim.now + 120_000);
    expect(e.status().ike.filter((s) => s.remote.startsWith("203.0.113.9"))).toHaveLength(0);
    expect(e.engine.core.memoryBytes).toBeLessThan(mem0 + 64 * 1024 * 1024);
    expect(e.log(/dropped [\d,]+ IKE_SA_INIT from 203\.0\.113\.9 in the last 10 s/).length).toBeGreaterThan(0);
  });
});

import { Engine } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import type { Job } from "../../hosts/crypto/jobs.ts";

describe("half-open state within the core's memory", () => {
  test("a flood from many addresses, with the clock frozen, stops at the memory budget and never reaches the ceiling", () => {
    const logs: string[] = [];
    const jobs: [number, Job][] = [];
    const e = new Engine(coreModule(), { provider: nativeProvider, core: { maxPages: 1024, onTrap: (r) => { throw new Error(`core trapped: ${r.message}`); } } }, {
      send: () => {},
      log: (_l, line) => logs.push(line),
      job: (id, job) => jobs.push([id, job]),
    });
    e.setInterfaces(0, [ep(EAST)]);
    e.addConn(0, { ...pairConn("east"), name: "road", right: any, rightId: undefined });
    e.setDdos(abi.DDOS_UNLIMITED); // no cookies: only the limits stand between the flood and the memory
    // an IKE_SA_INIT request to copy: west's, from a throwaway simulator
    const sim = new Sim(71);
    const w = sim.addNode("west", WEST);
    sim.addNode("east", EAST);
    sim.act(w, (x) => x.addConn(0, pairConn("west")));
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(100);
    const tpl = captureInit(sim);
    const limit = e.status(0).halfOpen.limit;
    expect(limit).toBe(Math.floor((1024 * 65536) / 4 / abi.HALF_OPEN_BYTES));
    const mem0 = e.core.memoryBytes;
    const N = limit + 500;
    for (let i = 0; i < N; i++) {
      const src = Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255);
      e.datagram(1000, forge(tpl, 0x20000 + i, null), ep(EAST), ep(src), false);
      for (const [id, job] of jobs.splice(0)) e.helperDone(1000, id, e.runInline(job));
    }
    const st = e.status(1000);
    expect(st.halfOpen.count).toBe(limit);
    expect(st.ike).toHaveLength(limit);
    // what one half-open IKE SA costs, garbage included, stays within HALF_OPEN_BYTES
    const perSa = (e.core.memoryBytes - mem0) / limit;
    console.log(`half-open flood: ${limit} half-open IKE SAs, core memory ${mem0} -> ${e.core.memoryBytes} bytes (${Math.round(perSa)} bytes each) of ${e.core.maxMemoryBytes}`);
    expect(perSa).toBeLessThan(abi.HALF_OPEN_BYTES);
    expect(e.core.memoryBytes).toBeLessThan(e.core.maxMemoryBytes * 0.75);
    expect(logs.filter((l) => /^dropping IKE_SA_INIT from 10\./.test(l)).length).toBeLessThanOrEqual(64 + 1);
    // the half-open SAs expire, and the core takes new peers again
    e.timeout(1000 + 61_000);
    expect(e.status(62_000).halfOpen.count).toBe(0);
    expect(e.status(62_000).ike).toHaveLength(0);
    e.timeout(62_000);
    expect(logs.some((l) => /^dropped [\d,]+ more datagrams|^dropped or asked for a cookie [\d,]+ more datagrams from other sources/.test(l))).toBe(true);
    e.datagram(62_000, forge(tpl, 0x9999, null), ep(EAST), ep(MALLORY), false);
    expect(e.status(62_000).halfOpen.count).toBe(1);
  });
});

import { daemonPair } from "../hosts/daemon-pair.ts";
describe("ddos-mode, ddos-ike-threshold and max-halfopen-ike from ipsec.conf and whack", () => {
  const conn = (setup: string) => `config setup\n${setup}\nconn net\n\tleft=192.0.2.1\n\tleftid=@west.test\n\tright=192.0.2.2\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`;
  const secrets = `@west.test @east.test : PSK "a test secret that is long enough"\n`;
  test("the config's mode and limits reach the core; whack --ddos-* switches the mode; status says so", async () => {
    const { daemons, settle, logs } = daemonPair({
      west: conn("\tlisten=192.0.2.1"),
      east: conn("\tlisten=192.0.2.2\n\tddos-mode=busy\n\tddos-ike-threshold=100\n\tmax-halfopen-ike=200"),
    }, secrets, ["192.0.2.1", "192.0.2.2"]);
    await daemons.west.start();
    await daemons.east.start();
    const h = daemons.east.engine.status(1).halfOpen;
    expect(h).toEqual({ count: 0, limit: 200, perSource: 50, ddosMode: "busy", busy: true });
    expect((await daemons.east.whack({ cmd: "status" })).text).toMatch(/^000 half-open IKE SAs: 0 \(at most 200, 50 from one address\); ddos-mode=busy, cookies required$/m);
    // busy: west must come back with a cookie, and still gets in
    await daemons.west.whack({ cmd: "initiate", name: "net", async: true });
    await settle();
    expect(daemons.west.engine.status(2).ike.map((s) => s.state)).toEqual(["ESTABLISHED_IKE_SA"]);
    expect(logs.west.filter((l) => /wants a cookie/.test(l))).toHaveLength(1);
    const r = await daemons.east.whack({ cmd: "ddos-unlimited" });
    expect(r).toEqual({ ok: true, text: "ddos-mode=unlimited: 0 half-open IKE SAs, cookies not required" });
    expect(daemons.east.engine.status(3).halfOpen.busy).toBe(false);
    expect((await daemons.east.whack({ cmd: "ddos-auto" })).text).toMatch(/^ddos-mode=auto: /);
  });
});

describe("helper jobs the helpers refuse", () => {
  test("a job refused (helper queue full) fails its state at once instead of leaving it half-open", async () => {
    const conn = `config setup\n\tlisten=%s\nconn net\n\tleft=192.0.2.1\n\tleftid=@west.test\n\tright=192.0.2.2\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`;
    const { daemons, settle, logs } = daemonPair({ west: conn.replace("%s", "192.0.2.1"), east: conn.replace("%s", "192.0.2.2") },
      `@west.test @east.test : PSK "a test secret that is long enough"\n`, ["192.0.2.1", "192.0.2.2"]);
    await daemons.west.start();
    await daemons.east.start();
    const host = daemons.east.host as unknown as { runJob: (j: unknown) => Promise<unknown> };
    const runJob = host.runJob;
    host.runJob = () => Promise.reject(new Error("helper queue full: 1024 jobs already wait for 1 helpers (maxQueue 1024)"));
    await daemons.west.whack({ cmd: "initiate", name: "net", async: true });
    await settle();
    expect(logs.east.some((l) => /^helper job \d+ \(dh-generate\) failed: helper queue full/.test(l))).toBe(true);
    // counted, not a line per IKE SA; and cookies asked for from then on (a flood that fills
    // the queue never reaches the half-open threshold: each refused job deletes its IKE SA)
    expect(logs.east.some((l) => /^dropping IKE_SA_INIT from 192\.0\.2\.1: "net": the helpers refused its KE job \(their queue is full\)/.test(l)), logs.east.join("\n")).toBe(true);
    expect(logs.east.filter((l) => /the helpers refuse jobs \(their queue is full\): asking new IKE_SA_INITs for cookies until none is refused for 10 s/.test(l)), logs.east.join("\n")).toHaveLength(1);
    expect(daemons.east.engine.status(100).ike).toHaveLength(0);
    expect(daemons.east.engine.status(100).halfOpen.count).toBe(0);
    expect(daemons.east.engine.status(100).halfOpen.busy).toBe(true);
    // the helpers take jobs again: west's next try is asked for a cookie and gets in
    host.runJob = runJob;
    await daemons.west.whack({ cmd: "initiate", name: "net", async: true });
    await settle();
    expect(logs.west.some((l) => /wants a cookie/.test(l)), logs.west.join("\n")).toBe(true);
    expect(daemons.west.engine.status(200).ike.map((s) => s.state)).toContain("ESTABLISHED_IKE_SA");
  });
});
