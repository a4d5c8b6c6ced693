// %defaultroute from /proc/net/route and /proc/net/ipv6_route (texts as this machine's kernel
// writes them), and a daemon whose left=%defaultroute becomes its own end.
import { describe, expect, test } from "vitest";
import { defaultRoute } from "../../hosts/config/defaultroute.ts";
import { Daemon, type DaemonHost } from "../../hosts/daemon.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { runJob } from "../../hosts/crypto/jobs.ts";

const ROUTE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth1	00000000	FE0A000A	0003	0	0	600	00000000	0	0	0
eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
`;
const ROUTE6 = `fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
`;
const IFACES = [
  { name: "lo", address: "127.0.0.1", family: 4 as const },
  { name: "eth0", address: "fe80::1", family: 6 as const },
  { name: "eth0", address: "2001:db8::7", family: 6 as const },
  { name: "eth0", address: "192.0.2.7", family: 4 as const },
  { name: "eth1", address: "10.0.10.5", family: 4 as const },
];

describe("%defaultroute", () => {
  test("the lowest-metric default route's interface address and gateway", () => {
    expect(defaultRoute(4, ROUTE, ROUTE6, IFACES)).toEqual({ address: "192.0.2.7", gateway: "192.0.2.1" });
    expect(defaultRoute(6, ROUTE, ROUTE6, IFACES)).toEqual({ address: "2001:db8::7", gateway: "2001:db8::1" });
    expect(defaultRoute(null, ROUTE, ROUTE6, IFACES)).toEqual({ address: "192.0.2.7", gateway: "192.0.2.1" });
    expect(defaultRoute(null, null, ROUTE6, IFACES)).toEqual({ address: "2001:db8::7", gateway: "2001:db8::1" });
  });
  test("no default route, or its interface has no address of that family: none", () => {
    expect(defaultRoute(4, ROUTE.split("\n").filter((l) => !l.includes("\t00000000\t")).join("\n"), null, IFACES)).toBeNull();
    expect(defaultRoute(4, ROUTE, null, IFACES.filter((i) => i.name !== "eth0"))).toBeNull(); // the best route's interface has none
    expect(defaultRoute(4, ROUTE.replace("\t100\t", "\t900\t"), null, IFACES)?.address).toBe("10.0.10.5"); // eth1's metric is lower now
    expect(defaultRoute(6, ROUTE, ROUTE6, IFACES.filter((i) => i.address !== "2001:db8::7"))).toBeNull();
  });

  const daemon = (resolve: DaemonHost["resolveDefaultRoute"]) => {
    const files: Record<string, string> = {
      "/c": "conn gw\n\tleft=%defaultroute\n\tleftid=@gw.test\n\tright=198.51.100.9\n\trightid=@peer.test\n\tauthby=secret\n\tauto=add\n",
      "/s": `@gw.test @peer.test : PSK "a default route secret"\n`,
    };
    const host: DaemonHost = {
      now: () => 1, io: { readFile: (p) => files[p] ?? null }, fileMode: () => 0o600, localAddresses: () => ["192.0.2.7", "127.0.0.1"],
      send: () => {}, runJob: (job) => Promise.resolve(runJob(nativeProvider, job)), setTimer: () => {}, log: () => {}, listen: async () => [],
      ...(resolve ? { resolveDefaultRoute: resolve } : {}),
    };
    const d = new Daemon(coreModule(), nativeProvider, host, { config: "/c", secrets: "/s", kernel: "memory" });
    expect(d.load()).toMatchObject({ ok: true });
    return d;
  };
  test("a daemon takes left=%defaultroute as the default route's address, and so as its own end", async () => {
    const d = daemon((f) => defaultRoute(f, ROUTE, ROUTE6, IFACES));
    expect(await d.start()).toEqual(['added connection "gw"']);
    expect(d.engine.status(1).conns.map((c) => [c.local, c.remote])).toEqual([["192.0.2.7:500", "198.51.100.9:500"]]);
  });
  test("without a default route the connection is refused, saying why", async () => {
    const d = daemon(() => null);
    expect(await d.start()).toEqual(['"gw": left=%defaultroute: this host has no default route to take the address from']);
  });
});
