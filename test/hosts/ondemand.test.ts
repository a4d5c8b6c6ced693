// On-demand tunnels and kernel lifetimes with the in-memory kernel: auto=ondemand installs a
// trap policy; an ACQUIRE from the kernel starts the connection; a soft EXPIRE rekeys the
// Child SA, a hard one deletes it. Two daemons in one process, wired back to back.
import { describe, expect, test } from "vitest";
import type { Daemon } from "../../hosts/daemon.ts";
import { daemonPair, pairConf as conf } from "./daemon-pair.ts";

const pair = () => daemonPair({ west: conf("west", "ondemand"), east: conf("east", "add") }, `@west.test @east.test : PSK "on demand secret 0123456789"\n`);

const children = (d: Daemon) => d.engine.status(1).ike.flatMap((s) => s.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"));

describe("on demand", () => {
  test("auto=ondemand routes; an ACQUIRE brings the tunnel up; soft and hard EXPIREs rekey and delete", async () => {
    const { daemons, kernels, logs, settle } = pair();
    await daemons.east.start();
    const started = await daemons.west.start();
    expect(started.join("\n")).toMatch(/"t": routed \(1 trap policies\)/);
    const trapId = { selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" }, dir: "out" as const };
    expect(kernels.west.xfrm.policies.size).toBe(1);
    expect(daemons.west.engine.status(1).ike).toHaveLength(0);
    // the kernel saw traffic for the tunnel
    kernels.west.raiseAcquire(trapId, { src: "10.1.0.5/32", dst: "10.2.0.9/32", proto: 1 });
    await settle();
    expect(logs.west.join("\n")).toMatch(/"t": acquire for 10\.1\.0\.5\/32 -> 10\.2\.0\.9\/32: initiating/);
    expect(children(daemons.west)).toHaveLength(1);
    expect(children(daemons.east)).toHaveLength(1);
    // the Child SA's policies replaced the trap; its SAs are in the kernel
    const c = children(daemons.west)[0];
    expect(kernels.west.xfrm.sas.size).toBe(2);
    expect(kernels.west.xfrm.policies.size).toBe(3);
    // soft expire: rekey
    kernels.west.raiseExpire({ src: "192.0.2.2", dst: "192.0.2.1", spi: parseInt(c.spiIn, 16), proto: "esp" }, false);
    await settle();
    expect(logs.west.join("\n")).toMatch(/kernel soft expire of ESP SPI 0x[0-9a-f]+: rekeying/);
    const now = children(daemons.west);
    expect(now).toHaveLength(1);
    expect(now[0].spiIn).not.toBe(c.spiIn);
    expect(children(daemons.east)).toHaveLength(1);
    expect(kernels.west.xfrm.sas.size).toBe(2); // the old pair removed, the new one installed
    // hard expire: the kernel removed the SA; the Child SA is deleted with the peer
    kernels.west.raiseExpire({ src: "192.0.2.1", dst: "192.0.2.2", spi: parseInt(now[0].spiOut, 16), proto: "esp" }, true);
    await settle();
    expect(children(daemons.west)).toHaveLength(0);
    expect(children(daemons.east)).toHaveLength(0);
    // back to the trap: traffic would bring it up again
    expect([...kernels.west.xfrm.policies.values()].map((p) => p.spec.dir)).toEqual(["out"]);
    // unroute removes the trap
    expect(await daemons.west.whack({ cmd: "unroute", name: "t" })).toMatchObject({ ok: true });
    expect(kernels.west.xfrm.policies.size).toBe(0);
  });
});

describe("dpdaction= on a tunnel brought up by traffic (Libreswan 4.10's IKEv2 meaning)", () => {
  for (const action of ["hold", "clear"] as const) {
    test(`dpdaction=${action}: the dead peer's SAs go; its trap policy ${action === "hold" ? "stays" : "goes too"}`, async () => {
      const west = conf("west", "ondemand") + "\tdpddelay=5\n\tretransmit-timeout=10s\n\tdpdaction=" + action + "\n";
      const { daemons, kernels, logs, settle, advance, cut } = daemonPair({ west, east: conf("east", "add") }, `@west.test @east.test : PSK "on demand secret 0123456789"\n`);
      await daemons.east.start();
      await daemons.west.start();
      kernels.west.raiseAcquire({ selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" }, dir: "out" }, { src: "10.1.0.5/32", dst: "10.2.0.9/32", proto: 1 });
      await settle();
      expect(children(daemons.west)).toHaveLength(1);
      cut.add("east");
      await advance(30_000);
      const text = logs.west.join("\n");
      expect(text).toMatch(new RegExp(`the peer is dead \\(dpdaction=${action}\\)`));
      expect(daemons.west.engine.status(1).ike).toHaveLength(0);
      expect(kernels.west.xfrm.sas.size).toBe(0);
      // traffic alone did not make it supposed to be up: no revival either way
      expect(text).not.toMatch(/keying attempt/);
      if (action === "clear") {
        expect(text).toMatch(/"t": dpdaction=clear: unrouted \(1 trap policies removed\)/);
        expect(kernels.west.xfrm.policies.size).toBe(0);
      } else {
        expect(kernels.west.xfrm.policies.size).toBe(1); // the trap: traffic brings it up again
      }
    });
  }

  test("auto=start with keyingtries=1 and the peer away: one attempt, then it gives up, as the daemon reads the config", async () => {
    const west = conf("west", "start") + "\tkeyingtries=1\n\tretransmit-timeout=5s\n";
    const { daemons, logs, advance, cut } = daemonPair({ west, east: conf("east", "add") }, `@west.test @east.test : PSK "on demand secret 0123456789"\n`);
    cut.add("east");
    await daemons.east.start();
    await daemons.west.start();
    await advance(20_000);
    expect(logs.west.join("\n")).toMatch(/"t": IKE SA #1 failed \(retransmission limit reached\); giving up after 1 keying attempt \(keyingtries=1\)/);
    expect(daemons.west.engine.status(1).ike).toHaveLength(0);
  });
});
