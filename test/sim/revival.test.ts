// Liveness that only declares a dead peer dead, and revival of connections that are supposed to
// be up (Libreswan 4.10's IKEv2 behaviour), on the simulator's virtual clock.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import type { ConnSpec } from "../../hosts/engine.ts";
import { pair, type Node, type Sim } from "./sim.ts";
import { consistency, empty, established } from "./check.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

function dump(...nodes: Node[]): string {
  return nodes.map((n) => `== ${n.name}\n${n.logs.join("\n")}`).join("\n");
}
function ok(sim: Sim, w: Node, e: Node): void {
  const v = [...consistency(sim, w, e), ...consistency(sim, e, w)];
  if (v.length) throw new Error(v.join("\n") + "\n" + dump(w, e));
}
const children = (n: Node) => established(n).flatMap((s) => s.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"));
const tunnelUp = (n: Node) => established(n).length > 0 && children(n).length > 0;
const conn = (n: Node) => n.status().conns.find((c) => c.name === "west-east")!;

// Brings west-east up from west (whack --up: supposed to be up from then on).
function up(seed: number, west: Partial<ConnSpec> = {}, east: Partial<ConnSpec> = {}) {
  const p = pair(seed, undefined, west, east);
  p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east"));
  p.sim.run(p.sim.now + 2000);
  expect(tunnelUp(p.w)).toBe(true);
  return p;
}

// Runs until `until`, checking every `step` ms that west's tunnel is up and nothing was
// declared dead; returns how many checks were made.
function staysUp(sim: Sim, w: Node, e: Node, until: number, step = 60_000): number {
  let n = 0;
  while (sim.now < until) {
    sim.run(Math.min(sim.now + step, until));
    if (!tunnelUp(w) || !tunnelUp(e)) throw new Error(`tunnel down at ${sim.now / 1000} s\n` + dump(w, e));
    n++;
  }
  return n;
}

// Runs until the predicate holds (checked every `step` ms) or `limit` ms pass; returns the time.
function until(sim: Sim, f: () => boolean, limit: number, step = 250): number | null {
  const end = sim.now + limit;
  while (sim.now < end) {
    if (f()) return sim.now;
    sim.run(sim.now + step);
  }
  return f() ? sim.now : null;
}

describe("liveness: only a dead peer is declared dead", () => {
  test("idle tunnels with default settings stay up for three days, rekeyed along the way", () => {
    const { sim, w, e } = up(100);
    staysUp(sim, w, e, 3 * DAY, 10 * 60_000);
    ok(sim, w, e);
    expect(w.log(/dead|giving up|is gone/).concat(e.log(/dead|giving up|is gone/)), dump(w, e)).toEqual([]);
    // 8 h lifetimes: each side rekeyed both SAs several times in three days
    const rekeys = [...w.log(/rekeying (IKE|Child) SA as/), ...e.log(/rekeying (IKE|Child) SA as/)];
    expect(rekeys.length, dump(w, e)).toBeGreaterThanOrEqual(12);
  });

  test("requests after long idle (whack --rekey-child after 92 s, --rekey-ike after 2 h) are answered, not fatal", () => {
    const { sim, w, e } = up(101);
    sim.run(sim.now + 92_000);
    const child = children(w)[0];
    sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, child.serial));
    sim.run(sim.now + 5000);
    expect(children(w).map((c) => c.serial), dump(w, e)).not.toContain(child.serial);
    sim.run(sim.now + 2 * HOUR);
    const ike = established(e)[0];
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, ike.serial));
    sim.run(sim.now + 5000);
    expect(established(e).map((s) => s.serial)).not.toContain(ike.serial);
    ok(sim, w, e);
    expect(tunnelUp(w)).toBe(true);
    expect(w.log(/dead/).concat(e.log(/dead/))).toEqual([]);
  });

  // dpddelay= shorter and longer than the 60 s retransmit-timeout, on both sides at once
  for (const delay of [10, 59, 60, 70, 300]) {
    test(`dpddelay=${delay}s on both sides: probes every ${delay} s for a day, none fatal while the peer answers`, () => {
      const dpd = { timers: { dpdDelay: delay, retransmitLimit: 6 } };
      const { sim, w, e } = up(102 + delay, dpd, dpd);
      staysUp(sim, w, e, DAY, 15 * 60_000);
      ok(sim, w, e);
      expect(w.log(/dead/).concat(e.log(/dead/)), dump(w, e)).toEqual([]);
      // a probe only after that long without a message from the peer (each side's probes
      // are answered, which quiets the other's)
      const probes = w.log(/liveness check$/).length + e.log(/liveness check$/).length;
      expect(probes).toBeGreaterThan(DAY / (delay * 1000) / 2 - 10);
      expect(probes).toBeLessThanOrEqual(2 * DAY / (delay * 1000) + 10);
    });
  }

  test("a peer that vanishes is declared dead a whole retransmission schedule after our first unanswered request", () => {
    // no dpddelay=: nothing is sent until a request is due (the Child SA rekey here)
    const short = { timers: { childLifetime: 600, rekeyMargin: 60, rekeyFuzz: 0, retransmitLimit: 6 } };
    const { sim, w, e } = up(110, { ...short, keyingTries: 1 }, short);
    sim.partitioned.add("east");
    sim.run(sim.now + 1000 * 1000);
    const rekey = w.logs.find((l) => /rekeying Child SA as/.test(l));
    const dead = w.logs.find((l) => /the peer is dead/.test(l));
    expect(rekey && dead, dump(w)).toBeTruthy();
    const t = (l: string) => Number(l.trim().split(" ")[0]);
    // 0.5 + 1 + 2 + 4 + 8 + 16 + 32 s: six retransmissions, then 32 s more for the last answer
    expect(t(dead!) - t(rekey!)).toBeCloseTo(63.5, 1);
    expect(dead).toMatch(/no answer to request \d+ after 6 retransmissions over 63.5 s: the peer is dead \(dpdaction=hold\)/);
    expect(established(w)).toEqual([]);
  });

  test("with dpddelay=, a vanished peer is found dead dpddelay + the retransmission schedule after its last message", () => {
    const dpd = { timers: { dpdDelay: 30, retransmitLimit: 6 }, keyingTries: 1 };
    const { sim, w } = up(111, dpd, dpd);
    sim.partitioned.add("east");
    const cut = sim.now;
    const at = until(sim, () => w.log(/the peer is dead/).length > 0, 200_000);
    expect(at, dump(w)).not.toBeNull();
    // the last message from east came at establishment (< 2 s before the cut)
    expect(at! - cut).toBeGreaterThan(30_000 + 63_500 - 2500);
    expect(at! - cut).toBeLessThanOrEqual(30_000 + 63_500 + 500);
  });
});

describe("revival: a connection that is supposed to be up comes back", () => {
  test("auto=start with the peer down: attempts forever (keyingtries=0), one after the other, until the peer is there", () => {
    const p = pair(120, undefined, { timers: { retransmitLimit: 6 } });
    const { sim, w, e } = p;
    sim.partitioned.add("east");
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(10 * 60_000);
    const waits = w.logs.filter((l) => /keying attempt/.test(l)).map((l) => /attempt (\d+) of an unlimited number (?:in ([\d.]+) s|now)/.exec(l)!);
    // attempt 1 is the initiate itself; each takes its retransmissions (63.5 s) and is followed
    // by the next at once, as Libreswan's keying attempts are
    expect(waits.length, dump(w)).toBe(9);
    expect(waits.map((m) => [Number(m[1]), Number(m[2] ?? 0)])).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => [n, 0]));
    sim.partitioned.delete("east");
    const back = until(sim, () => tunnelUp(w), 120_000);
    expect(back, dump(w, e)).not.toBeNull();
    ok(sim, w, e);
    expect(conn(w)).toMatchObject({ up: true, attempts: 0, reviveAt: 0 });
  });

  test("keyingtries=3: three attempts, then it gives up and nothing is left", () => {
    const { sim, w } = pair(121, undefined, { keyingTries: 3, timers: { retransmitLimit: 4 } });
    sim.partitioned.add("east");
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(30 * 60_000);
    expect(w.log(/initiating IKEv2 connection/), dump(w)).toHaveLength(3);
    expect(w.log(/keying attempt \d of at most 3/)).toHaveLength(2);
    expect(w.log(/giving up after 3 keying attempts \(keyingtries=3\)/)).toHaveLength(1);
    expect(empty(w)).toEqual([]);
    expect(conn(w).up).toBe(false);
  });

  test("a peer that vanishes for 10 minutes and returns: the tunnel is back within one backoff period of its return", () => {
    const dpd = { timers: { dpdDelay: 10, retransmitLimit: 6 } };
    const { sim, w, e } = up(122, dpd, dpd);
    sim.run(sim.now + 10 * 60_000); // up for a while first
    sim.partitioned.add("east");
    sim.run(sim.now + 10 * 60_000);
    expect(tunnelUp(w)).toBe(false);
    expect(w.log(/the peer is dead/)).toHaveLength(1);
    // what is in force when east returns: a revival due, or an attempt retransmitting
    const c = conn(w);
    const pending = c.reviveAt > 0 ? c.reviveAt - sim.now : 0;
    expect(pending).toBe(0); // attempts follow one another while the peer is away
    const backoff = 32_000; // the longest gap between retransmissions (500 ms doubled up to 64 x)
    const ret = sim.now;
    sim.partitioned.delete("east");
    const back = until(sim, () => tunnelUp(w) && tunnelUp(e), 400_000);
    expect(back, dump(w, e)).not.toBeNull();
    expect(back! - ret, dump(w)).toBeLessThanOrEqual(backoff + 1000);
    // east found west dead too meanwhile: no stale SA on either side
    sim.run(sim.now + 2000);
    ok(sim, w, e);
    expect(established(e)).toHaveLength(1);
  });

  test("a peer that deletes every IKE SA as soon as it is up cannot make us spin: the waits grow to 300 s", () => {
    const { sim, w, e } = up(123);
    // east deletes whatever IKE SA west brings up, a moment after it is up
    let deletes = 0;
    const end = sim.now + 3 * HOUR;
    while (sim.now < end) {
      sim.run(sim.now + 1000);
      const s = established(e)[0];
      if (s) {
        e.engine.saOp(sim.now, abi.SAOP_DELETE_IKE, s.serial);
        sim.rearm(e);
        deletes++;
      }
    }
    const attempts = w.log(/initiating IKEv2 connection/).length;
    // 0 + 5 + 10 + ... + 300 s between them (9,150 s), then 300 s each: about 66 in three
    // hours, not thousands
    expect(attempts, dump(w)).toBeLessThanOrEqual(70);
    expect(attempts).toBeGreaterThanOrEqual(62);
    expect(deletes).toBe(attempts);
    const waits = w.logs.filter((l) => /keying attempt/.test(l)).map((l) => Number(/in ([\d.]+) s/.exec(l)?.[1] ?? 0));
    expect(Math.max(...waits)).toBe(300);
    // one line per attempt, with the reason
    expect(w.log(/IKE SA #\d+ is gone \(deleted by the peer\); the connection is supposed to be up: keying attempt 1/)).toHaveLength(attempts);
  });

  test("the wait starts again from 0 once the tunnel has stayed up for 300 s", () => {
    const { sim, w, e } = up(124);
    for (let i = 0; i < 3; i++) {
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_DELETE_IKE, established(e)[0].serial));
      expect(until(sim, () => tunnelUp(e), 60_000)).not.toBeNull();
    }
    expect(conn(w).reviveDelay).toBe(15_000);
    sim.run(sim.now + 301_000);
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_DELETE_IKE, established(e)[0].serial));
    sim.run(sim.now + 100);
    expect(w.log(/keying attempt/).at(-1), dump(w)).toMatch(/deleted by the peer\); the connection is supposed to be up: keying attempt 1 of an unlimited number now$/);
    expect(conn(w).reviveDelay).toBe(5000);
  });

  test("whack --down stops revival: no attempt after it, nothing left", () => {
    const dpd = { timers: { dpdDelay: 10, retransmitLimit: 6 } };
    const { sim, w } = up(125, dpd, dpd);
    sim.partitioned.add("east");
    sim.run(sim.now + 200_000);
    expect(w.log(/keying attempt/).length, dump(w)).toBeGreaterThan(0);
    sim.act(w, (x) => x.terminate(sim.now, "west-east"));
    const n = w.log(/initiating IKEv2 connection/).length;
    sim.run(sim.now + 30 * 60_000);
    expect(w.log(/initiating IKEv2 connection/)).toHaveLength(n);
    expect(empty(w)).toEqual([]);
    expect(conn(w)).toMatchObject({ up: false, reviveAt: 0 });
  });

  test("a connection brought up by traffic (on demand) is not revived", () => {
    const p = pair(126);
    const { sim, w, e } = p;
    sim.act(w, (x) => x.initiateOnDemand(sim.now, "west-east"));
    sim.run(2000);
    expect(tunnelUp(w)).toBe(true);
    sim.act(e, (x) => x.terminate(sim.now, "west-east"));
    sim.run(sim.now + 60_000);
    expect(w.log(/keying attempt/)).toEqual([]);
    expect(empty(w).concat(empty(e))).toEqual([]);
  });

  test("the responder (auto=add) does not revive; with dpdaction=restart it brings the connection up itself", () => {
    for (const action of ["hold", "restart"] as const) {
      const dpd = { timers: { dpdDelay: 10, retransmitLimit: 6 } };
      const p = pair(127, undefined, { ...dpd, keyingTries: 1 }, { ...dpd, dpdAction: action });
      const { sim, w, e } = p;
      sim.act(w, (x) => x.initiateOnDemand(sim.now, "west-east"));
      sim.run(2000);
      sim.partitioned.add("west");
      sim.run(sim.now + 120_000);
      expect(e.log(new RegExp(`the peer is dead \\(dpdaction=${action}\\)`)), dump(e)).toHaveLength(1);
      sim.partitioned.delete("west");
      sim.run(sim.now + 300_000);
      if (action === "hold") {
        expect(established(e)).toEqual([]);
        expect(conn(e).up).toBe(false);
      } else {
        expect(e.log(/dpdaction=restart: the peer 192.0.2.1 is dead; the connection is supposed to be up/), dump(e)).toHaveLength(1);
        expect(established(e)[0]?.initiator, dump(w, e)).toBe(true);
        expect(tunnelUp(w)).toBe(true);
        ok(sim, w, e);
        expect(conn(e).up).toBe(true);
      }
    }
  });
});

describe("a Child SA that cannot be rekeyed is replaced before its hard expiry", () => {
  test("every rekey refused (PFS groups that do not meet): a new CREATE_CHILD_SA, then a new IKE SA; never without a Child SA", () => {
    // west rekeys with a KE of CURVE25519, east takes only ECP_256: every CREATE_CHILD_SA with
    // PFS is refused, while IKE_AUTH's Child SA (no KE) is not
    const west = { pfs: true, esp: [{ encr: [[20, 256]], esn: [0], dh: [31] }], timers: { childLifetime: 600, rekeyMargin: 120, rekeyFuzz: 0 } } as never;
    const east = { pfs: true, esp: [{ encr: [[20, 256]], esn: [0], dh: [19] }], timers: { childLifetime: 3600 } } as never;
    const { sim, w, e } = up(130, west, east);
    const first = children(w)[0];
    const expireAt = first.expireAt;
    let gaps = 0;
    while (sim.now < 1200_000) {
      sim.run(sim.now + 1000);
      if (children(w).length === 0) gaps++;
    }
    const text = dump(w, e);
    expect(w.log(/CREATE_CHILD_SA refused/).length, text).toBeGreaterThanOrEqual(3);
    expect(w.log(new RegExp(`#${first.serial}: its rekey was refused twice: replacing it with a new Child SA`)), text).toHaveLength(1);
    expect(w.log(new RegExp(`Child SA #${first.serial} could be neither rekeyed nor replaced .*: initiating a new IKE SA to replace it`)), text).toHaveLength(1);
    // the replacement came before the old one's hard expiry, and there was never a second
    // without a Child SA
    const replaced = w.logs.find((l) => /established Child SA/.test(l) && !l.includes(`#${first.serial}:`));
    expect(Number(replaced!.trim().split(" ")[0]) * 1000, text).toBeLessThan(expireAt);
    expect(gaps, text).toBe(0);
    expect(w.log(/Child SA lifetime expired/), text).toEqual([]);
    ok(sim, w, e);
    expect(children(w), text).toHaveLength(1);
    if (process.env.SHOWLOG) console.log(text);
  });
});

describe("an IKE SA that cannot be rekeyed is replaced before it expires", () => {
  test("every IKE SA rekey answered TEMPORARY_FAILURE (the peer is deleting it, its Delete lost): a new IKE SA beside it in time", () => {
    const INFORMATIONAL = 37;
    const short = { timers: { ikeLifetime: 600, rekeyMargin: 120, rekeyFuzz: 0, childLifetime: 3600 } };
    const { sim, w, e } = up(131, short, { timers: { retransmitLimit: 30 } }); // east retransmits its Delete for 16 min
    const first = established(w)[0];
    sim.drop = (p) => p.from === "east" && p.exchange === INFORMATIONAL && !p.response;
    sim.act(e, (x) => x.terminate(sim.now, "west-east"));
    let gaps = 0;
    while (sim.now < 700_000) {
      sim.run(sim.now + 1000);
      if (!tunnelUp(w)) gaps++;
    }
    const text = dump(w, e);
    expect(w.log(/IKE SA rekey refused/).length, text).toBeGreaterThanOrEqual(3);
    const replaced = w.log(new RegExp(`IKE SA #${first.serial} could not be rekeyed: initiating a new IKE SA to replace it`));
    expect(replaced, text).toHaveLength(1);
    expect(Number(replaced[0].trim().split(" ")[0]) * 1000).toBeLessThan(first.expireAt);
    expect(gaps, text).toBe(0);
    expect(established(w).map((s) => s.serial)).not.toContain(first.serial);
  });
});

// Seeded random schedules of faults: partitions, crashes and restarts (a fresh core, its
// connection added again and, when it is to be up, initiated again, as auto=start would),
// loss bursts, a side taking the connection down and up. The invariant: after the last fault,
// within the backoff bound, every connection that should be up has an established IKE SA and
// Child SA, and no SA exists that the peer does not also have.
import { Rng, NO_FAULTS, pairConn } from "./sim.ts";
import { REVIVE_BOUND } from "./revival-bound.ts";

export function killAndRestart(seed: number): { failures: string[]; logs: string; recovery: number | null } {
  const r = new Rng(seed * 7717 + 3);
  const dpdDelay = r.int(5, 60);
  const lifetimes = r.float() < 0.4 ? { ikeLifetime: r.int(300, 1200), childLifetime: r.int(200, 900), rekeyMargin: 60, rekeyFuzz: 50 } : {};
  const spec = { timers: { dpdDelay, retransmitLimit: 6, ...lifetimes } };
  const eastUp = r.float() < 0.3;
  const { sim, w, e } = pair(seed, NO_FAULTS, spec, spec);
  const shouldBeUp = (n: Node) => n === w || eastUp;
  const boot = (n: Node) => {
    sim.act(n, (x) => x.addConn(sim.now, pairConn(n.name as "west" | "east", spec)));
    if (shouldBeUp(n)) sim.act(n, (x) => x.initiate(sim.now, "west-east"));
  };
  const failures: string[] = [];
  const story: string[] = [];
  let recovery: number | null = null;
  try {
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    if (eastUp) sim.act(e, (x) => x.initiate(sim.now, "west-east"));
    sim.run(sim.now + 2000);
    const faults = r.int(1, 6);
    for (let i = 0; i < faults; i++) {
      sim.run(sim.now + r.int(1000, 20 * 60_000));
      const n = r.int(0, 1) === 0 ? w : e;
      const d = r.int(1000, 15 * 60_000);
      switch (r.int(0, 3)) {
        case 0:
          story.push(`${sim.now / 1000}: ${n.name} cut off for ${d / 1000} s`);
          sim.partitioned.add(n.name);
          sim.run(sim.now + d);
          sim.partitioned.delete(n.name);
          break;
        case 1:
          story.push(`${sim.now / 1000}: ${n.name} crashes, back after ${d / 1000} s`);
          sim.partitioned.add(n.name);
          sim.restart(n);
          sim.run(sim.now + d);
          sim.partitioned.delete(n.name);
          boot(n);
          break;
        case 2: {
          const loss = 0.2 + r.float() * 0.5;
          story.push(`${sim.now / 1000}: ${Math.round(loss * 100)}% loss for ${d / 1000} s`);
          sim.faults = { loss, dup: r.float() * 0.2, delayMin: 1, delayMax: 1 + r.int(0, 300) };
          sim.run(sim.now + d);
          sim.faults = NO_FAULTS;
          break;
        }
        case 3: {
          const back = r.int(0, 60_000);
          story.push(`${sim.now / 1000}: ${n.name} takes it down, up again after ${back / 1000} s`);
          sim.act(n, (x) => x.terminate(sim.now, "west-east"));
          sim.run(sim.now + back);
          if (shouldBeUp(n)) sim.act(n, (x) => x.initiate(sim.now, "west-east"));
          break;
        }
      }
    }
    const last = sim.now;
    story.push(`${last / 1000}: last fault over`);
    const bound = REVIVE_BOUND(dpdDelay * 1000);
    const whole = () => tunnelUp(w) && (!eastUp || tunnelUp(e)) && consistency(sim, w, e).length + consistency(sim, e, w).length === 0;
    const at = until(sim, whole, bound, 1000);
    recovery = at === null ? null : at - last;
    if (at === null) failures.push(`not whole within ${bound / 1000} s of the last fault: ${[...consistency(sim, w, e), ...consistency(sim, e, w)].join("; ") || "no tunnel"}`);
  } catch (err) {
    failures.push(String((err as Error).stack ?? err));
  }
  return { failures: failures.map((f) => `seed ${seed} (dpddelay=${dpdDelay}, east up: ${eastUp}; ${story.join("; ")}): ${f}`), logs: dump(w, e), recovery };
}

describe("seeded random schedules that kill and restart peers", () => {
  // (REVIVAL_SEEDS=N runs more of them)
  const first = Number(process.env.REVIVAL_FIRST ?? 1);
  for (let seed = first; seed < first + Number(process.env.REVIVAL_SEEDS ?? 24); seed++) {
    test(`seed ${seed}`, () => {
      const o = killAndRestart(seed);
      if (process.env.REVIVAL_STATS) console.log(`seed ${seed}: whole ${o.recovery} ms after the last fault`);
      expect(o.failures, o.failures.length ? o.logs : "").toEqual([]);
    });
  }
});

describe("rekey=no (Libreswan's POLICY_DONT_REKEY)", () => {
  test("we never rekey: the SAs live their lifetime, expire, and the connection is not brought up again", () => {
    // west has rekey=no; east does not rekey either (rekey=no on both, as one ipsec.conf gives)
    const { sim, w, e } = up(120, { rekey: false, timers: { ikeLifetime: 3600, childLifetime: 1800 } }, { rekey: false, timers: { ikeLifetime: 3600, childLifetime: 1800 } });
    const ike = established(w)[0].serial;
    const child = children(w)[0].serial;
    sim.run(sim.now + 1700_000);
    expect(established(w).map((s) => s.serial)).toEqual([ike]);
    expect(children(w).map((c) => c.serial)).toEqual([child]);
    // past the Child SA's lifetime: it goes, and nothing replaces it
    sim.run(sim.now + 200_000);
    expect(children(w), dump(w, e)).toEqual([]);
    // past the IKE SA's lifetime: it goes too; no revival although west brought it up
    sim.run(sim.now + 3 * HOUR);
    expect(established(w), dump(w, e)).toEqual([]);
    expect(established(e), dump(w, e)).toEqual([]);
    expect([...w.log(/rekeying (IKE|Child) SA/), ...e.log(/rekeying (IKE|Child) SA/)], dump(w, e)).toEqual([]);
    expect(w.log(/rekey=no: the connection is not brought up again/).length, dump(w, e)).toBe(1);
    expect(w.log(/keying attempt 2/)).toEqual([]);
    expect(conn(w).up).toBe(false);
  });

  test("the peer may still rekey a rekey=no connection's SAs", () => {
    const { sim, w, e } = up(121, { rekey: false }, { timers: { ikeLifetime: 3600, childLifetime: 1800 } });
    sim.run(sim.now + 3 * HOUR);
    ok(sim, w, e);
    expect(tunnelUp(w), dump(w, e)).toBe(true);
    expect(e.log(/rekeying (IKE|Child) SA as/).length).toBeGreaterThanOrEqual(4);
    expect(w.log(/rekeying (IKE|Child) SA as/)).toEqual([]);
  });
});
