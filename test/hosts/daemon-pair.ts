// Two daemons in one process, wired back to back (what one sends, the other receives), each
// with its own configuration, the same secrets (or each its own), and an in-memory kernel. For
// tests of the daemon's logic without sockets. `files` and `modes` are each side's files and
// their permission bits, for tests that edit them between rereads.
import { expect } from "vitest";
import { Daemon, type DaemonHost, type DaemonOptions } from "../../hosts/daemon.ts";
import type { Endpoint } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { runJob } from "../../hosts/crypto/jobs.ts";
import { MemoryKernel } from "../../kernel-shims/memory.ts";

export type Side = "west" | "east";

// One connection between west (192.0.2.1, @west.test) and east, as each side's ipsec.conf has it.
export const pairConf = (me: Side, auto: string) => `config setup
	listen=${me === "west" ? "192.0.2.1" : "192.0.2.2"}
conn t
	left=192.0.2.1
	leftid=@west.test
	leftsubnet=10.1.0.0/16
	right=192.0.2.2
	rightid=@east.test
	rightsubnet=10.2.0.0/16
	authby=secret
	ike=aes256-sha2_256;dh19
	esp=aes256-sha2_256
	auto=${auto}
`;

// `tweak` may change a side's host and options before its daemon is made.
export function daemonPair(confs: Record<Side, string>, secrets: string | Record<Side, string>, localAddresses: string[] = [], tweak?: (me: Side, host: DaemonHost, opts: DaemonOptions) => void) {
  const logs: Record<Side, string[]> = { west: [], east: [] };
  const queue: (() => void)[] = [];
  const daemons = {} as Record<Side, Daemon>;
  const kernels: Record<Side, MemoryKernel> = { west: new MemoryKernel(), east: new MemoryKernel() };
  const cut = new Set<Side>(); // daemons cut off the network: what they send and what is sent to them is lost
  let now = 1;
  const files = {} as Record<Side, Record<string, string>>;
  const modes = {} as Record<Side, Record<string, number>>;
  const host = (me: Side): DaemonHost => {
    files[me] = { "/c": confs[me], "/s": typeof secrets === "string" ? secrets : secrets[me] };
    modes[me] = {};
    return {
      now: () => now,
      io: { readFile: (p) => files[me][p] ?? null },
      fileMode: (p) => (p in files[me] ? modes[me][p] ?? 0o600 : null),
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
    const h = host(me);
    const opts: DaemonOptions = { config: "/c", secrets: "/s", kernel: "memory", kernelImpl: kernels[me] };
    tweak?.(me, h, opts);
    daemons[me] = new Daemon(coreModule(), nativeProvider, h, opts);
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
  return { daemons, kernels, logs, settle, advance, cut, files, modes };
}
