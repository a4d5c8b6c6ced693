// Two daemons in one process, wired back to back (what one sends, the other receives), each
// with its own configuration, the same secrets, and an in-memory kernel. For tests of the
// daemon's logic without sockets.
import { expect } from "vitest";
import { Daemon, type DaemonHost } from "../../hosts/daemon.ts";
import type { Endpoint } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { runJob } from "../../hosts/crypto/jobs.ts";
import { MemoryKernel } from "../../kernel-shims/memory.ts";

export type Side = "west" | "east";

export function daemonPair(confs: Record<Side, string>, secrets: string, localAddresses: string[] = []) {
  const logs: Record<Side, string[]> = { west: [], east: [] };
  const queue: (() => void)[] = [];
  const daemons = {} as Record<Side, Daemon>;
  const kernels: Record<Side, MemoryKernel> = { west: new MemoryKernel(), east: new MemoryKernel() };
  const cut = new Set<Side>(); // daemons cut off the network: what they send and what is sent to them is lost
  let now = 1;
  const host = (me: Side): DaemonHost => {
    const files: Record<string, string> = { "/c": confs[me], "/s": secrets };
    return {
      now: () => now,
      io: { readFile: (p) => files[p] ?? null },
      fileMode: () => 0o600,
      localAddresses: () => localAddresses,
      send: (local: Endpoint, remote: Endpoint, bytes: Uint8Array, natT: boolean) => {
        const to = me === "west" ? "east" : "west";
        if (!cut.has(me) && !cut.has(to)) queue.push(() => daemons[to].datagram(bytes, remote, local, natT));
      },
      runJob: (job) => Promise.resolve(runJob(nativeProvider, job)),
      setTimer: () => {},
      log: (l) => logs[me].push(l),
      listen: async () => [],
    };
  };
  for (const me of ["west", "east"] as const) {
    daemons[me] = new Daemon(coreModule(), nativeProvider, host(me), { config: "/c", secrets: "/s", kernel: "memory", kernelImpl: kernels[me] });
    expect(daemons[me].load()).toMatchObject({ ok: true });
  }
  // delivers datagrams and helper results until both are quiet (bounded)
  const settle = async () => {
    for (let i = 0; i < 200; i++) {
      now += 1;
      while (queue.length) queue.shift()!();
      await new Promise((r) => setTimeout(r, 0));
      await daemons.west.kernel!.settled();
      await daemons.east.kernel!.settled();
      if (!queue.length && i > 5) break;
    }
  };
  // lets `ms` of (virtual) time pass in 500 ms steps, each with the daemons' timer events
  const advance = async (ms: number) => {
    for (const end = now + ms; now < end; ) {
      now += 500;
      daemons.west.timeout();
      daemons.east.timeout();
      await settle();
    }
  };
  return { daemons, kernels, logs, settle, advance, cut };
}
