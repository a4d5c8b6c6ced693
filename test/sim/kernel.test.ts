// A Child SA is established only once the kernel holds it (issue 10 item 6): nodes with a
// simulated kernel that answers each installation after a delay, and takes or refuses it.
// As responder the refusal is answered TS_UNACCEPTABLE (Libreswan 4.10's answer when its
// kernel refuses) and no Child SA is established; as initiator the refused Child SA is
// deleted with the peer by its SPI and revival brings another. Rekeys install the new Child
// SA before the old one goes; IKE SA rekeys carry installed Child SAs along.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import type { ConnSpec } from "../../hosts/engine.ts";
import type { KernelChildOp } from "../../hosts/kernel-adapter.ts";
import { pair, SimKernel, type Node, type Sim } from "./sim.ts";
import { consistency, established } from "./check.ts";

const dump = (...nodes: Node[]) => nodes.map((n) => `== ${n.name}\n${n.logs.join("\n")}`).join("\n");
function ok(sim: Sim, w: Node, e: Node): void {
  const v = [...consistency(sim, w, e), ...consistency(sim, e, w), ...truthful(w), ...truthful(e)];
  if (v.length) throw new Error(v.join("\n") + "\n" + dump(w, e));
}
const children = (n: Node) => established(n).flatMap((s) => s.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"));

// What the status says is what the kernel holds: every established Child SA is in the kernel,
// and the kernel holds nothing the core does not know.
function truthful(n: Node): string[] {
  const k = n.kernel!;
  const bad: string[] = [];
  const all = n.status().ike.flatMap((s) => s.children);
  for (const c of all) if (c.state === "ESTABLISHED_CHILD_SA" && !k.held.has(c.serial)) bad.push(`${n.name} #${c.serial} is ESTABLISHED_CHILD_SA, and the kernel does not hold it`);
  for (const serial of k.held.keys()) if (!all.some((c) => c.serial === serial)) bad.push(`${n.name}: the kernel holds Child SA #${serial}, which the core does not know`);
  return bad;
}

// A kernel that refuses the installations whose numbers (1 = the first) are in `which`,
// with EPROTONOSUPPORT as this machine's kernel refuses ESP SAs.
function refusing(which: number[] | "all", delay = 3): SimKernel {
  let n = 0;
  return new SimKernel((op: KernelChildOp) => (which === "all" || which.includes(++n) ? "EPROTONOSUPPORT" : null), delay);
}

function start(seed: number, west: SimKernel, east: SimKernel, wc: Partial<ConnSpec> = {}, ec: Partial<ConnSpec> = {}) {
  const p = pair(seed, undefined, wc, ec, { west, east });
  p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east")); // whack --up: supposed to be up
  return p;
}

const pfs = { pfs: true, esp: [{ encr: [[20, 256]], esn: [0], dh: [31] }] } as Partial<ConnSpec>;

describe("a Child SA is established only once the kernel took it", () => {
  test("both kernels take it: established on both sides once installed, and held by both", () => {
    const { sim, w, e } = start(700, new SimKernel(() => null, 5), new SimKernel(() => null, 5));
    sim.run(2000);
    expect(children(w)).toHaveLength(1);
    expect(children(e)).toHaveLength(1);
    expect(w.kernel!.held.size).toBe(1);
    expect(e.kernel!.held.size).toBe(1);
    ok(sim, w, e);
    // the responder answered IKE_AUTH only once its kernel had answered (5 ms after the request)
    const req = sim.packets.find((p) => p.bytes[18] === 35 && p.from === "west")!;
    const resp = sim.packets.find((p) => p.bytes[18] === 35 && p.from === "east")!;
    expect(resp.at - req.at).toBeGreaterThanOrEqual(5);
  });

  test("the responder's kernel refuses the first Child SA: IKE_AUTH answered TS_UNACCEPTABLE, the IKE SA established on both sides, no Child SA on either", () => {
    const { sim, w, e } = start(701, new SimKernel(), refusing([1]));
    sim.run(1000);
    expect(e.log(/the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\): answering IKE_AUTH with TS_UNACCEPTABLE/), dump(w, e)).toHaveLength(1);
    const refused = w.log(/#(\d+): no Child SA: the responder answered with TS_UNACCEPTABLE/);
    expect(refused).toHaveLength(1);
    const serial = Number(/#(\d+): no Child SA/.exec(refused[0])![1]);
    expect(w.kernel!.ops.filter((o) => o.serial === serial)).toHaveLength(0); // west never had it to install
    expect(established(e)).toHaveLength(1);
    expect(established(w)).toHaveLength(1);
    expect(e.status().ike.flatMap((s) => s.children)).toHaveLength(0);
    expect(children(w)).toHaveLength(0);
    ok(sim, w, e);
  });

  // east deletes the Child SA; west, whose connection is supposed to be up, asks for a new one
  // by CREATE_CHILD_SA (revival.ts), which east's kernel refuses once
  for (const withPfs of [false, true]) {
    test(`the responder's kernel refuses CREATE_CHILD_SA's new Child SA${withPfs ? " (PFS: after its keys, before the answer)" : ""}: TS_UNACCEPTABLE, nothing established until it takes one`, () => {
      const { sim, w, e } = start(702 + (withPfs ? 10 : 0), new SimKernel(), refusing([2], 4), withPfs ? pfs : {}, withPfs ? pfs : {});
      sim.run(1000);
      expect(children(w)).toHaveLength(1);
      sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_DELETE_CHILD, children(e)[0].serial));
      sim.run(sim.now + 1000);
      expect(e.log(/refusing CREATE_CHILD_SA: the kernel refused Child SA #\d+ \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\) \(TS_UNACCEPTABLE\)/), dump(w, e)).toHaveLength(1);
      expect(w.log(/CREATE_CHILD_SA refused with TS_UNACCEPTABLE/)).toHaveLength(1);
      expect(e.status().ike.flatMap((s) => s.children)).toHaveLength(0);
      expect(children(w)).toHaveLength(0);
      ok(sim, w, e);
      sim.run(sim.now + 30_000); // revival asks again after its wait, and the kernel takes it
      expect(children(w), dump(w, e)).toHaveLength(1);
      expect(children(e)).toHaveLength(1);
      if (withPfs) expect(children(e)[0].dh).toBe(31);
      expect(e.kernel!.refusals).toBe(1);
      ok(sim, w, e);
    });
  }

  test("the initiator's kernel refuses the first Child SA: deleted with the peer by its SPI, and revival brings one the kernel takes", () => {
    const { sim, w, e } = start(703, refusing([1]), new SimKernel());
    sim.run(1000);
    const line = w.log(/the kernel refused the Child SA \(inbound SA 0x([0-9a-f]+): EPROTONOSUPPORT\): not established; deleting it with the peer \(ESP SPI 0x([0-9a-f]+)\)/);
    expect(line, dump(w, e)).toHaveLength(1);
    // the peer was told: a Delete of that SPI, and east's half is gone
    const spi = /ESP SPI 0x([0-9a-f]+)/.exec(line[0])![1];
    expect(w.log(new RegExp(`deleting ESP SPI 0x${spi} `))).toHaveLength(1);
    expect(e.log(/deleted Child SA \(deleted by the peer\)/), dump(w, e)).toHaveLength(1);
    expect(e.kernel!.ops.filter((o) => o.op === "del")).toHaveLength(1);
    sim.run(sim.now + 10_000);
    expect(children(w), dump(w, e)).toHaveLength(1);
    expect(children(e)).toHaveLength(1);
    ok(sim, w, e);
  });

  test("a kernel that refuses every Child SA: no Child SA is ever shown, the peer keeps none, and revival asks at growing intervals", () => {
    const { sim, w, e } = start(704, refusing("all"), new SimKernel());
    for (let i = 0; i < 20; i++) {
      sim.run(sim.now + 30_000);
      expect(children(w)).toHaveLength(0);
      expect(truthful(w)).toEqual([]);
      // east may hold the newest one for the moment until west's Delete comes; never for long
    }
    sim.run(sim.now + 1000);
    expect(children(e), dump(w, e)).toHaveLength(0);
    expect(e.kernel!.held.size).toBe(0);
    const refusals = w.kernel!.refusals;
    expect(refusals).toBeGreaterThan(3);
    expect(refusals).toBeLessThan(20); // 10 minutes: revival waits 0, 5, 10, ... s
    ok(sim, w, e);
  });

});

describe("rekeys with a kernel", () => {
  function upBoth(seed: number, w: SimKernel, e: SimKernel, conn: Partial<ConnSpec> = {}) {
    const p = start(seed, w, e, conn, conn);
    p.sim.run(2000);
    expect(children(p.w)).toHaveLength(1);
    return p;
  }

  for (const withPfs of [false, true]) {
    test(`our rekey${withPfs ? " with PFS" : ""} refused by our own kernel: the old Child SA stays, the new one is deleted with the peer, the next rekey is installed before the old one goes`, () => {
      const wk = refusing([2]);
      const { sim, w, e } = upBoth(710 + (withPfs ? 1 : 0), wk, new SimKernel(), withPfs ? pfs : {});
      const old = children(w)[0];
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
      sim.run(sim.now + 2000);
      expect(w.log(/the kernel refused the Child SA .*: not established; deleting it with the peer/), dump(w, e)).toHaveLength(1);
      expect(children(w).map((c) => c.serial)).toEqual([old.serial]);
      expect(children(e)).toHaveLength(1);
      ok(sim, w, e);
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
      sim.run(sim.now + 2000);
      const now = children(w);
      expect(now).toHaveLength(1);
      expect(now[0].serial).not.toBe(old.serial);
      // the new one was in the kernel before the old one's removal was asked for
      const ops = wk.ops.map((o) => `${o.op} ${o.serial}`);
      expect(ops.indexOf(`add ${now[0].serial}`)).toBeLessThan(ops.indexOf(`del ${old.serial}`));
      ok(sim, w, e);
    });

    test(`the peer's rekey${withPfs ? " with PFS" : ""} refused by our kernel: answered TS_UNACCEPTABLE, the old Child SA stays on both sides`, () => {
      const { sim, w, e } = upBoth(712 + (withPfs ? 1 : 0), new SimKernel(), refusing([2]), withPfs ? pfs : {});
      const old = children(w)[0];
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
      sim.run(sim.now + 2000);
      expect(e.log(/refusing CREATE_CHILD_SA: the kernel refused Child SA #\d+ .*\(TS_UNACCEPTABLE\)/), dump(w, e)).toHaveLength(1);
      expect(children(w).map((c) => c.serial)).toEqual([old.serial]);
      expect(children(e).map((c) => c.spiIn)).toEqual([old.spiOut]);
      ok(sim, w, e);
      sim.act(w, (x) => x.saOp(sim.now, abi.SAOP_REKEY_CHILD, old.serial));
      sim.run(sim.now + 2000);
      expect(children(w)).toHaveLength(1);
      expect(children(w)[0].serial).not.toBe(old.serial);
      ok(sim, w, e);
    });
  }

  test("an IKE SA rekey carries the installed Child SA along, and Child SA rekeys over lifetimes keep the kernel and the status in step", () => {
    const short: Partial<ConnSpec> = { timers: { ikeLifetime: 120, childLifetime: 60, rekeyMargin: 20 } };
    const { sim, w, e } = upBoth(714, new SimKernel(() => null, 7), new SimKernel(() => null, 7), short);
    const child = children(w)[0];
    sim.act(e, (x) => x.saOp(sim.now, abi.SAOP_REKEY_IKE, established(e)[0].serial));
    sim.run(sim.now + 2000);
    expect(established(w)).toHaveLength(1);
    expect(children(w).map((c) => c.serial)).toEqual([child.serial]);
    ok(sim, w, e);
    for (let i = 0; i < 20; i++) {
      sim.run(sim.now + 30_000);
      expect(children(w).length, dump(w, e)).toBeGreaterThanOrEqual(1);
      expect(truthful(w)).toEqual([]);
      expect(truthful(e)).toEqual([]);
    }
    expect(w.kernel!.ops.filter((o) => o.op === "add").length + e.kernel!.ops.filter((o) => o.op === "add").length).toBeGreaterThan(10);
  });

  test("whack --down with a Child SA installed: the Delete goes and neither kernel holds anything after", () => {
    const { sim, w, e } = upBoth(715, new SimKernel(), new SimKernel());
    sim.act(w, (x) => x.terminate(sim.now, "west-east"));
    sim.run(sim.now + 2000);
    expect(w.kernel!.held.size).toBe(0);
    expect(e.kernel!.held.size).toBe(0);
    expect(w.status().ike).toHaveLength(0);
  });
});
