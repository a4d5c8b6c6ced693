// Connections from ipsec.conf through the daemon into core/conn: one file read by two daemons
// that each own one address (listen=), and templates whose instances whack --status shows.
// Two daemons in one process, wired back to back.
import { describe, expect, test } from "vitest";
import { Daemon, type DaemonHost } from "../../hosts/daemon.ts";
import type { Endpoint } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { runJob } from "../../hosts/crypto/jobs.ts";
import { daemonPair } from "./daemon-pair.ts";

const WEST = "192.0.2.1";
const EAST = "192.0.2.2";
const SECRETS = `%any @east.test : PSK "instances need a shared secret too"\n`;

// one host, two daemons: listen= decides which address is whose
const pair = (confs: { west: string; east: string }) => daemonPair(confs, SECRETS, [WEST, EAST, "127.0.0.1"]);

const status = async (d: Daemon) => (await d.whack({ cmd: "status" })).text ?? "";

describe("orientation by listen=", () => {
  test("the same ipsec.conf on both daemons of one host: each takes the end whose address it listens on", async () => {
    const conn = `conn net
	left=${WEST}
	leftid=@west.test
	leftsubnet=10.1.0.0/16
	right=${EAST}
	rightid=@east.test
	rightsubnet=10.2.0.0/16
	authby=secret
	auto=add
`;
    const { daemons, settle } = pair({ west: `config setup\n\tlisten=${WEST}\n${conn}`, east: `config setup\n\tlisten=${EAST}\n${conn}` });
    expect(await daemons.west.start()).toEqual(['added connection "net"']);
    expect(await daemons.east.start()).toEqual(['added connection "net"']);
    expect(await status(daemons.east)).toMatch(/^000 "net": 192\.0\.2\.2:500\.\.\.192\.0\.2\.1:500; kind: PERMANENT; policy: IKEv2\+PSK\+ENCRYPT\+TUNNEL\+PFS\+IKE_FRAG_ALLOW; 10\.2\.0\.0-10\.2\.255\.255 === 10\.1\.0\.0-10\.1\.255\.255/m);
    await daemons.east.whack({ cmd: "initiate", name: "net", async: true });
    await settle();
    expect(await status(daemons.west)).toMatch(/"net":500 ESTABLISHED_CHILD_SA; .* 10\.1\.0\.0-10\.1\.255\.255 === 10\.2\.0\.0-10\.2\.255\.255/);
  });

  test("without listen= every local address counts: both ends are ours, and the connection is refused saying so", async () => {
    const conn = `conn net\n\tleft=${WEST}\n\tleftid=@west.test\n\tright=${EAST}\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`;
    const { daemons } = pair({ west: conn, east: conn });
    const out = await daemons.west.start();
    expect(out).toEqual(['"net": both left=192.0.2.1 and right=192.0.2.2 are addresses of this host: cannot tell which end is ours']);
    expect((await daemons.west.whack({ cmd: "status" })).text).not.toMatch(/"net":/);
  });
});

describe("templates from ipsec.conf", () => {
  const west = (subnet: string) => `config setup
	listen=${WEST}
conn road
	left=${WEST}
	leftid=@west.test
	leftsubnet=${subnet}
	right=${EAST}
	rightid=@east.test
	rightsubnet=10.2.0.0/16
	authby=secret
	auto=add
`;
  const east = `config setup
	listen=${EAST}
	virtual-private=%v4:10.0.0.0/8,%v4:!10.9.0.0/16
conn road
	left=${EAST}
	leftid=@east.test
	leftsubnet=10.2.0.0/16
	right=%any
	rightsubnet=vnet:%priv
	authby=secret
	auto=add
`;

  test("rightsubnet=vnet:%priv: the peer's subnet within virtual-private is its instance's, shown by whack --status", async () => {
    const { daemons, logs, settle } = pair({ west: west("10.1.0.0/16"), east });
    await daemons.west.start();
    expect(daemons.east.load().warnings.join("\n")).toMatch(/rightsubnet=vnet:%priv: Libreswan allows vnet: and vhost: only for IKEv1/);
    await daemons.east.start();
    await daemons.west.whack({ cmd: "initiate", name: "road", async: true });
    await settle();
    const text = await status(daemons.east);
    expect(text).toMatch(/^000 "road": 192\.0\.2\.2:500\.\.\.%any; kind: TEMPLATE; .*10\.2\.0\.0-10\.2\.255\.255 === 10\.0\.0\.0-10\.255\.255\.255; 0 IKE SA/m);
    expect(text).toMatch(/^000 "road"\[1\] 192\.0\.2\.1: 192\.0\.2\.2:500\.\.\.192\.0\.2\.1:500; kind: INSTANCE; .*10\.2\.0\.0-10\.2\.255\.255 === 10\.1\.0\.0-10\.1\.255\.255; 1 IKE SA/m);
    expect(text).toMatch(/^000 #\d+: "road"\[1\] 192\.0\.2\.1:500 ESTABLISHED_CHILD_SA/m);
    const json = (await daemons.east.whack({ cmd: "status", json: true })).data as { conns: { kind: string }[] };
    expect(json.conns.map((c) => c.kind)).toEqual(["TEMPLATE", "INSTANCE"]);
    // whack --route of a template is refused: there is no peer to start
    void logs;
  });

  test("a subnet in virtual-private's exclusions is refused (TS_UNACCEPTABLE), the IKE SA stays", async () => {
    const { daemons, logs, settle } = pair({ west: west("10.9.1.0/24"), east });
    await daemons.west.start();
    await daemons.east.start();
    await daemons.west.whack({ cmd: "initiate", name: "road", async: true });
    await settle();
    expect(logs.east.join("\n")).toMatch(/"road"\[1\] 192\.0\.2\.1 #\d+: the peer's traffic selectors \S+ === 10\.9\.1\.0-10\.9\.1\.255 do not fit the connection's .*\(local === remote\): TS_UNACCEPTABLE/);
    expect(await status(daemons.east)).toMatch(/"road"\[1\] 192\.0\.2\.1:500 ESTABLISHED_IKE_SA/);
    expect(await status(daemons.east)).not.toMatch(/ESTABLISHED_CHILD_SA/);
  });

  test("rightprotoport=17/%any makes a template; its instance takes the peer's port", async () => {
    const w = `config setup\n\tlisten=${WEST}\nconn l2tp\n\tleft=${WEST}\n\tleftid=@west.test\n\tleftprotoport=17/49152\n\tright=${EAST}\n\trightid=@east.test\n\trightprotoport=17/1701\n\ttype=transport\n\tauthby=secret\n\tauto=add\n`;
    const e = `config setup\n\tlisten=${EAST}\nconn l2tp\n\tleft=${EAST}\n\tleftid=@east.test\n\tleftprotoport=17/1701\n\tright=%any\n\trightprotoport=17/%any\n\ttype=transport\n\tauthby=secret\n\tauto=add\n`;
    const { daemons, settle } = pair({ west: w, east: e });
    await daemons.west.start();
    await daemons.east.start();
    expect((await daemons.east.whack({ cmd: "route", name: "l2tp" })).error).toMatch(/a template \(right=%any\) cannot be routed/);
    await daemons.west.whack({ cmd: "initiate", name: "l2tp", async: true });
    await settle();
    const text = await status(daemons.east);
    expect(text).toMatch(/^000 "l2tp"\[1\] 192\.0\.2\.1: .*kind: INSTANCE; policy: IKEv2\+PSK\+ENCRYPT\+TRANSPORT\+PFS\+IKE_FRAG_ALLOW; .*192\.0\.2\.2-192\.0\.2\.2:17\/1701-1701 === 192\.0\.2\.1-192\.0\.2\.1:17\/49152-49152; 1 IKE SA/m);
  });
});

describe("secrets by orientation", () => {
  test("a one-ID secret (@east.test : PSK) is east's: the west daemon says it has none (and loads the connection, as Libreswan)", async () => {
    const conn = (me: string) => `config setup\n\tlisten=${me}\nconn net\n\tleft=${WEST}\n\tleftid=@west.test\n\tright=${EAST}\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`;
    const { daemons, logs } = daemonPair({ west: conn(WEST), east: conn(EAST) }, `@east.test : PSK "only east's own ID is named"\n`, [WEST, EAST]);
    expect(await daemons.east.start()).toEqual(['added connection "net"']);
    expect(logs.east.join("\n")).not.toMatch(/no pre-shared key/);
    expect(await daemons.west.start()).toEqual(['added connection "net"']);
    expect(logs.west.join("\n")).toMatch(/"net": no pre-shared key for @west\.test and @east\.test: its negotiations will fail until ipsec\.secrets has one/);
  });
});

describe("whack --listen", () => {
  test("a connection whose address was not up is refused at start, and loaded by --listen once it is", async () => {
    const addrs = ["127.0.0.1"];
    const files: Record<string, string> = {
      "/c": `conn late\n\tleft=${WEST}\n\tleftid=@west.test\n\tright=${EAST}\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`,
      "/s": `@west.test @east.test : PSK "the address comes up later"\n`,
    };
    let listened: Endpoint[] = [];
    const host: DaemonHost = {
      now: () => 1, io: { readFile: (p) => files[p] ?? null }, fileMode: () => 0o600, localAddresses: () => addrs,
      send: () => {}, runJob: (job) => Promise.resolve(runJob(nativeProvider, job)), setTimer: () => {}, log: () => {},
      listen: async (eps) => { listened = eps; return []; },
    };
    const d = new Daemon(coreModule(), nativeProvider, host, { config: "/c", secrets: "/s", kernel: "memory" });
    expect(d.load()).toMatchObject({ ok: true });
    expect(await d.start()).toEqual(['"late": neither left=192.0.2.1 nor right=192.0.2.2 is an address of this host']);
    expect(d.engine.status(1).conns).toEqual([]);
    addrs.push(WEST);
    const r = await d.whack({ cmd: "listen" });
    expect(r).toEqual({ ok: true, text: 'listening for IKE messages\nadded connection "late"' });
    expect(d.engine.status(1).conns.map((c) => [c.name, c.local, c.remote])).toEqual([["late", "192.0.2.1:500", "192.0.2.2:500"]]);
    expect(listened.map((e) => `${Array.from(e.addr).join(".")}:${e.port}`).sort()).toEqual(["127.0.0.1:4500", "127.0.0.1:500", "192.0.2.1:4500", "192.0.2.1:500"]);
    // a second --listen has nothing left to load
    expect(await d.whack({ cmd: "listen" })).toEqual({ ok: true, text: "listening for IKE messages" });
  });
});
