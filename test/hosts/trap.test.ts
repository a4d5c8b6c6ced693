// Trap recovery that recovers: a trap in west's core while exchanges are in flight. The fresh
// instance gets back west's addresses, every connection and its secret; the connections that
// should be up (auto=start, or whack --up and not --down) come back up, and only their new
// Child SAs are in west's kernel. Two daemons in one process, wired back to back.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { CoreTrap } from "../../hosts/core.ts";
import type { Daemon } from "../../hosts/daemon.ts";
import { daemonPair } from "./daemon-pair.ts";

const conn = (name: string, i: number, auto: string) => `conn ${name}
	left=192.0.2.1
	leftid=@west.test
	leftsubnet=10.1.${i}.0/24
	right=192.0.2.2
	rightid=@east.test
	rightsubnet=10.2.${i}.0/24
	authby=secret
	ike=aes256-sha2_256;dh19
	esp=aes256-sha2_256
	auto=${auto}
`;
const conf = (me: "west" | "east") => [
  `config setup\n\tlisten=${me === "west" ? "192.0.2.1" : "192.0.2.2"}\n`,
  conn("c0", 0, me === "west" ? "start" : "add"),
  conn("c1", 1, me === "west" ? "start" : "add"),
  conn("c2", 2, "add"),
  conn("c3", 3, "add"),
  conn("c4", 4, me === "west" ? "ignore" : "add"),
].join("\n");

const up = (d: Daemon) => d.engine.status(1).ike.filter((s) => s.state === "ESTABLISHED_IKE_SA" && s.children.some((c) => c.state === "ESTABLISHED_CHILD_SA"));

describe("trap recovery", () => {
  test("a trap mid-traffic: connections, addresses and secrets come back, and the tunnels that should be up", async () => {
    const { daemons, kernels, logs, settle } = daemonPair({ west: conf("west"), east: conf("east") }, `@west.test @east.test : PSK "trap recovery secret 0123456789"\n`);
    const { west, east } = daemons;
    await east.start();
    await west.start();
    expect((await west.whack({ cmd: "initiate", name: "c2", async: true })).ok).toBe(true);
    expect((await west.whack({ cmd: "initiate", name: "c3", async: true })).ok).toBe(true);
    await settle();
    expect(up(west).map((s) => s.conn).sort()).toEqual(["c0", "c1", "c2", "c3"]);
    expect((await west.whack({ cmd: "terminate", name: "c3", async: true })).ok).toBe(true);
    await settle();
    const before = new Set(up(west).map((s) => s.spiI));
    expect(before.size).toBe(3);
    // exchanges in flight both ways, then the trap
    expect((await west.whack({ cmd: "rekey-child", name: "c0", async: true })).ok).toBe(true);
    expect((await east.whack({ cmd: "rekey-ike", name: "c1", async: true })).ok).toBe(true);
    expect(() => west.engine.core.call("selftestTrap", abi.SELFTEST_UNREACHABLE)).toThrow(CoreTrap);
    await settle();

    const text = logs.west.join("\n");
    expect(text).toMatch(/core trapped in selftestTrap\(2\) during .+: unreachable \(trap 1\); the core was restarted/);
    expect(text).toMatch(/core restored after trap 1: 4 connection\(s\) loaded again, 3 initiated again/);
    // every connection is back; those that should be up are, on new IKE SAs, and c3 is not
    expect(west.engine.status(1).conns.map((c) => c.name).sort()).toEqual(["c0", "c1", "c2", "c3"]);
    const now = up(west);
    expect(now.map((s) => s.conn).sort()).toEqual(["c0", "c1", "c2"]);
    for (const s of now) {
      expect(before.has(s.spiI), s.conn).toBe(false);
      // the peer has the same IKE SA
      expect(up(east).some((e) => e.spiI === s.spiI && e.spiR === s.spiR), s.conn).toBe(true);
    }
    // the kernel holds the new Child SAs and no entry of the lost ones
    const spis = new Set([...kernels.west.xfrm.sas.values()].map((k) => k.id.spi));
    const children = now.flatMap((s) => s.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"));
    expect(children).toHaveLength(3);
    expect(spis).toEqual(new Set(children.flatMap((c) => [parseInt(c.spiIn, 16), parseInt(c.spiOut, 16)])));
    expect(kernels.west.xfrm.policies.size).toBe(9);
    // the host's addresses are back: a connection can be added
    const add = await west.whack({ cmd: "add", name: "c4" });
    expect(add, JSON.stringify(add)).toMatchObject({ ok: true });
    const status = await west.whack({ cmd: "status" });
    expect(status.text).toMatch(/^000 core traps: 1; the last [\d.]+ s ago, in selftestTrap\(2\) during .*: unreachable$/m);
    expect((await west.whack({ cmd: "status", json: true })).data).toMatchObject({ traps: 1 });
  }, 60000);
});
