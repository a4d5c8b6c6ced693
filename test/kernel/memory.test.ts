// The in-memory kernel: the kernel's rules and errnos, the operations log, events on demand,
// and flushOurs leaving other handles' entries alone.

import { describe, expect, it } from "vitest";
import { KernelError, saKey, type KernelEvent, type PolicySpec, type SaSpec } from "../../kernel-shims/kernel.ts";
import { MemoryKernel, MemoryXfrm } from "../../kernel-shims/memory.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);

const sa: SaSpec = {
  src: "192.0.2.1",
  dst: "192.0.2.2",
  spi: 0x1001,
  reqid: 1,
  mode: "tunnel",
  encr: { id: 20, key: bytes(36) },
  replayWindow: 32,
};

const policy: PolicySpec = {
  selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" },
  dir: "out",
  templates: [{ src: "192.0.2.1", dst: "192.0.2.2", mode: "tunnel", reqid: 1 }],
};

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof KernelError) return e.code;
    if (e instanceof RangeError) return "RangeError";
    throw e;
  }
}

describe("MemoryKernel", () => {
  it("SAs: duplicate EEXIST, missing ESRCH for update, delete and get; counters are zero", async () => {
    const k = new MemoryKernel();
    expect(await code(k.addSa(sa))).toBe("OK");
    expect(await code(k.addSa(sa))).toBe("EEXIST");
    // The key is (dst, spi, proto): another source does not make another SA.
    expect(await code(k.addSa({ ...sa, src: "192.0.2.9" }))).toBe("EEXIST");
    // Address spelling does not matter.
    expect(await code(k.addSa({ ...sa, src: "2001:db8::1", dst: "2001:DB8:0::2" }))).toBe("OK");
    expect(await code(k.addSa({ ...sa, src: "2001:db8::1", dst: "2001:db8::2" }))).toBe("EEXIST");
    expect(await k.getSaCounters(sa)).toEqual({ bytes: 0n, packets: 0n, addTime: 0n, useTime: 0n });
    expect(await code(k.updateSa({ ...sa, spi: 0x2002 }))).toBe("ESRCH");
    expect(await code(k.updateSa({ ...sa, replayWindow: 16 }))).toBe("OK");
    expect(await code(k.deleteSa(sa))).toBe("OK");
    expect(await code(k.deleteSa(sa))).toBe("ESRCH");
    expect(await code(k.getSaCounters(sa))).toBe("ESRCH");
    expect(k.ops.map((o) => `${o.op} ${o.result}`)).toEqual([
      "addSa OK",
      "addSa EEXIST",
      "addSa EEXIST",
      "addSa OK",
      "addSa EEXIST",
      "getSaCounters OK",
      "updateSa ESRCH",
      "updateSa OK",
      "deleteSa OK",
      "deleteSa ESRCH",
      "getSaCounters ESRCH",
    ]);
  });

  it("refuses the specs the encoder refuses, and logs them as EINVAL", async () => {
    const k = new MemoryKernel();
    expect(await code(k.addSa({ ...sa, encr: { id: 20, key: bytes(16) } }))).toBe("RangeError");
    expect(k.ops.at(-1)).toMatchObject({ op: "addSa", result: "EINVAL" });
    expect(k.xfrm.sas.size).toBe(0);
  });

  it("the log holds copies: later changes to the caller's objects do not rewrite history", async () => {
    const k = new MemoryKernel();
    const mine = { ...sa, encr: { id: 20, key: bytes(36) } };
    await k.addSa(mine);
    mine.encr.key[0] = 0xee;
    mine.reqid = 99;
    expect((k.ops[0]!.arg as SaSpec).reqid).toBe(1);
    expect((k.ops[0]!.arg as SaSpec).encr.key[0]).toBe(1);
    expect(k.xfrm.sas.values().next().value!.spec!.reqid).toBe(1);
  });

  it("ALLOCSPI: an unused SPI in range held by a larval SA; NEWSA on it EEXIST, UPDSA completes it", async () => {
    const k = new MemoryKernel();
    const spis = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const spi = await k.allocSpi({ src: "192.0.2.2", dst: "192.0.2.1", min: 0x100, max: 0x11f });
      expect(spi).toBeGreaterThanOrEqual(0x100);
      expect(spi).toBeLessThanOrEqual(0x11f);
      spis.add(spi);
    }
    expect(spis.size).toBe(20);
    const spi = [...spis][0]!;
    const inbound = { ...sa, src: "192.0.2.2", dst: "192.0.2.1", spi };
    expect(await code(k.addSa(inbound))).toBe("EEXIST");
    expect(await code(k.updateSa(inbound))).toBe("OK");
    expect(k.xfrm.sas.get(`esp:192.0.2.1:0x${spi.toString(16).padStart(8, "0")}`)!.spec).toBeDefined();
    // A range with no free SPI left.
    const one = await k.allocSpi({ src: "192.0.2.2", dst: "192.0.2.1", min: 7, max: 7 });
    expect(one).toBe(7);
    expect(await code(k.allocSpi({ src: "192.0.2.2", dst: "192.0.2.1", min: 7, max: 7 }))).toBe("ENOENT");
    expect(k.ops.find((o) => o.op === "allocSpi")!.spi).toBe([...spis][0]);
  });

  it("policies: duplicate EEXIST, update replaces, missing ENOENT; direction and mark are part of the key", async () => {
    const k = new MemoryKernel();
    expect(await code(k.addPolicy(policy))).toBe("OK");
    expect(await code(k.addPolicy(policy))).toBe("EEXIST");
    expect(await code(k.addPolicy({ ...policy, dir: "fwd" }))).toBe("OK");
    expect(await code(k.addPolicy({ ...policy, mark: { value: 1, mask: 1 } }))).toBe("OK");
    expect(await code(k.addPolicy({ ...policy, priority: 7 }, { update: true }))).toBe("OK");
    expect([...k.xfrm.policies.values()].find((p) => p.spec.dir === "out" && !p.spec.mark)!.spec.priority).toBe(7);
    expect(await code(k.deletePolicy({ selector: policy.selector, dir: "in" }))).toBe("ENOENT");
    expect(await code(k.deletePolicy(policy))).toBe("OK");
    expect(await code(k.deletePolicy(policy))).toBe("ENOENT");
    expect(k.xfrm.policies.size).toBe(2);
  });

  it("raises EXPIRE on demand: soft keeps the SA, hard removes it", async () => {
    const k = new MemoryKernel();
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await k.addSa(sa);
    expect(k.raiseExpire(sa, false)).toMatchObject({ kind: "expire", hard: false, spi: 0x1001, reqid: 1, mode: "tunnel" });
    expect(k.xfrm.sas.size).toBe(1);
    k.raiseExpire(sa, true);
    expect(k.xfrm.sas.size).toBe(0);
    expect(events.map((e) => e.kind === "expire" && e.hard)).toEqual([false, true]);
    expect(() => k.raiseExpire(sa, true)).toThrow(KernelError);
  });

  it("raises ACQUIRE on demand for a policy with a template", async () => {
    const k = new MemoryKernel();
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await k.addPolicy(policy);
    const flow = { src: "10.1.0.1", dst: "10.2.0.5", proto: 17, dport: 9 };
    k.raiseAcquire(policy, flow);
    expect(events).toEqual([
      { kind: "acquire", src: "192.0.2.1", dst: "192.0.2.2", proto: "esp", selector: flow, policy: { ...policy, index: expect.any(Number) }, seq: 1 },
    ]);
    expect(() => k.raiseAcquire({ ...policy, dir: "in" }, flow)).toThrow(/ENOENT/);
  });

  it("flushOurs deletes this handle's SAs and policies (larval ones too) and nothing of another handle's", async () => {
    const shared = new MemoryXfrm();
    const ours = new MemoryKernel({ xfrm: shared });
    const theirs = new MemoryKernel({ xfrm: shared });
    await ours.addSa(sa);
    await ours.allocSpi({ src: "192.0.2.2", dst: "192.0.2.1" });
    await ours.addPolicy(policy);
    await theirs.addSa({ ...sa, spi: 0x3003 });
    await theirs.addPolicy({ ...policy, dir: "in" });
    expect(await code(theirs.addSa(sa))).toBe("EEXIST"); // one kernel: the tables are shared
    await ours.flushOurs();
    expect([...shared.sas.values()].map((s) => s.id.spi)).toEqual([0x3003]);
    expect([...shared.policies.values()].map((p) => p.spec.dir)).toEqual(["in"]);
    expect(theirs.ops.map((o) => o.op)).toEqual(["addSa", "addPolicy", "addSa"]);
    expect(shared.ops.length).toBe(ours.ops.length + theirs.ops.length);
  });

  it("after close every call fails with EBADF and no event is delivered", async () => {
    const k = new MemoryKernel();
    const events: KernelEvent[] = [];
    k.onEvent((e) => events.push(e));
    await k.addSa(sa);
    await k.close();
    expect(await code(k.addSa({ ...sa, spi: 5 }))).toBe("EBADF");
    k.raiseExpire(sa, false);
    expect(events).toEqual([]);
  });
});

describe("MemoryKernel memory (a daemon's kernel must not grow with churn)", () => {
  it("a daemon's kernel ({ record: false }) keeps no log: 20,000 SAs created and deleted leave nothing behind", async () => {
    const k = new MemoryKernel({ record: false });
    for (let i = 0; i < 20_000; i++) {
      await k.addSa({ ...sa, spi: 0x1000 + i });
      await k.addPolicy({ ...policy, selector: { src: "10.1.0.0/16", dst: `10.${2 + (i % 200)}.${i >> 8 & 255}.0/24` } });
      await k.deleteSa({ ...sa, spi: 0x1000 + i });
      await k.deletePolicy({ selector: { src: "10.1.0.0/16", dst: `10.${2 + (i % 200)}.${i >> 8 & 255}.0/24` }, dir: "out" });
    }
    expect(k.ops).toHaveLength(0);
    expect(k.xfrm.ops).toHaveLength(0);
    expect(k.xfrm.sas.size).toBe(0);
    expect(k.xfrm.policies.size).toBe(0);
    // it still refuses what the kernel refuses
    await k.addSa(sa);
    expect(await code(k.addSa(sa))).toBe("EEXIST");
  });
  it("a lean kernel (the daemon's) keeps no keys and no log, refuses what the tables refuse, and churn leaves nothing", async () => {
    const k = new MemoryKernel({ lean: true });
    await k.addSa(sa);
    expect(k.xfrm.sas.get(saKey(sa))).toEqual({ id: { src: sa.src, dst: sa.dst, spi: sa.spi }, reqid: 1, owner: k });
    expect(await code(k.addSa(sa))).toBe("EEXIST");
    expect(await code(k.deleteSa({ ...sa, spi: 0x999 }))).toBe("ESRCH");
    expect(await code(k.updateSa({ ...sa, spi: 0x999 }))).toBe("ESRCH");
    await k.addPolicy(policy);
    expect(await code(k.addPolicy(policy))).toBe("EEXIST");
    // a trap policy still raises its ACQUIRE
    expect(k.raiseAcquire(policy, { src: "10.1.0.1/32", dst: "10.2.0.1/32" }).policy.templates?.[0]?.reqid).toBe(1);
    await k.deleteSa(sa);
    await k.deletePolicy(policy);
    for (let i = 0; i < 20_000; i++) {
      await k.addSa({ ...sa, spi: 0x1000 + i });
      await k.deleteSa({ ...sa, spi: 0x1000 + i });
    }
    expect(k.ops).toHaveLength(0);
    expect(k.xfrm.sas.size).toBe(0);
    expect(k.xfrm.policies.size).toBe(0);
  });
  it("a recording kernel keeps its last operations within opsLimit and counts what it let go", async () => {
    const x = new MemoryXfrm();
    x.opsLimit = 1000;
    const k = new MemoryKernel({ xfrm: x });
    for (let i = 0; i < 5000; i++) {
      await k.addSa({ ...sa, spi: 0x1000 + i });
      await k.deleteSa({ ...sa, spi: 0x1000 + i });
    }
    expect(x.ops.length).toBeLessThanOrEqual(1000);
    expect(x.ops.length + x.opsDropped).toBe(10_000);
    expect(x.ops.at(-1)).toMatchObject({ op: "deleteSa", result: "OK", target: expect.stringContaining((0x1000 + 4999).toString(16)) });
  });
});
