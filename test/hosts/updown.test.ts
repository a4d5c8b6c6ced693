// leftupdown=: the script runs as Libreswan 4.10's pluto runs it (PLUTO_VERB and the PLUTO_*
// environment, hosts/updown.ts), through /bin/sh, beside the event loop: two daemons back to
// back (daemon-pair.ts) with real scripts that record what they were given.
import { describe, expect, test, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { daemonPair, type Side } from "./daemon-pair.ts";
import { nodeSpawnUpdown } from "../../hosts/node/updown-spawn.ts";
import { OutputLines, UPDOWN_LINES, verbOf } from "../../hosts/updown.ts";
import type { WhackRequest } from "../../hosts/whack-protocol.ts";

const SECRETS = `@west.test @east.test : PSK "updown tests"\n`;
let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "updown-"));
  // records its verb and the PLUTO_*/SPI_* environment, one block per run
  writeFileSync(join(dir, "rec.sh"), `#!/bin/sh
out="$1"
case "$PLUTO_VERB" in up*) [ -n "$SLOW_UP" ] && sleep "$SLOW_UP";; esac
{ echo "VERB=$PLUTO_VERB"; env | grep -E '^(PLUTO_|SPI_|VTI_|XAUTH_)' | sort; echo "."; } >> "$out"
echo "recorded $PLUTO_VERB"
`);
  chmodSync(join(dir, "rec.sh"), 0o755);
  // up hangs (with a child of its own); down returns at once
  writeFileSync(join(dir, "hang.sh"), `#!/bin/sh
echo "$PLUTO_VERB" >> "$1"
case "$PLUTO_VERB" in up*) sleep 30; echo never >> "$1";; esac
`);
  chmodSync(join(dir, "hang.sh"), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const conf = (me: Side, updown: Record<Side, string>, auto = "add") => `config setup
	listen=${me === "west" ? "192.0.2.1" : "192.0.2.2"}
conn t
	left=192.0.2.1
	leftid=@west.test
	leftsubnet=10.1.0.0/16
	leftupdown="${updown.west}"
	right=192.0.2.2
	rightid=@east.test
	rightsubnet=10.2.0.0/16
	rightupdown="${updown.east}"
	authby=secret
	ike=aes256-sha2_256;dh19
	esp=aes256-sha2_256
	auto=${auto}
`;

// each run recorded: its verb and its environment
function runs(file: string): Record<string, string>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split(".\n").filter((b) => b.trim()).map((b) =>
    Object.fromEntries(b.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])));
}

const req = (r: Record<string, unknown>) => ({ async: true, ...r }) as unknown as WhackRequest;

function pair(updown: Record<Side, string>, timeoutMs?: number) {
  return daemonPair({ west: conf("west", updown), east: conf("east", updown) }, SECRETS, ["192.0.2.1", "192.0.2.2"], (_me, host, opts) => {
    host.spawnUpdown = nodeSpawnUpdown;
    if (timeoutMs) opts.updownTimeoutMs = timeoutMs;
  });
}

describe("leftupdown=", () => {
  test("up, rekey and down: the verbs and environment Libreswan 4.10 gives, once per tunnel (a rekey runs nothing)", async () => {
    const rec = { west: join(dir, "w1"), east: join(dir, "e1") };
    const p = pair({ west: `${dir}/rec.sh ${rec.west}`, east: `${dir}/rec.sh ${rec.east}` });
    for (const d of [p.daemons.west, p.daemons.east]) await d.start();
    await p.daemons.west.whack(req({ cmd: "initiate", name: "t" }));
    await p.settle();
    for (const d of [p.daemons.west, p.daemons.east]) await d.updownSettled();
    const st = p.daemons.west.engine.status(0);
    const child = st.ike[0]!.children[0]!;
    const w = runs(rec.west);
    expect(w.map((r) => r.VERB)).toEqual(["up-client", "prepare-client", "route-client"]);
    expect(w[0]).toMatchObject({
      PLUTO_VERB: "up-client", PLUTO_CONNECTION: "t", PLUTO_CONNECTION_TYPE: "tunnel", PLUTO_ME: "192.0.2.1", PLUTO_PEER: "192.0.2.2",
      PLUTO_MY_ID: "@west.test", PLUTO_PEER_ID: "@east.test",
      PLUTO_MY_CLIENT: "10.1.0.0/16", PLUTO_MY_CLIENT_NET: "10.1.0.0", PLUTO_MY_CLIENT_MASK: "255.255.0.0",
      PLUTO_PEER_CLIENT: "10.2.0.0/16", PLUTO_PEER_CLIENT_NET: "10.2.0.0", PLUTO_PEER_CLIENT_MASK: "255.255.0.0",
      PLUTO_MY_PORT: "0", PLUTO_MY_PROTOCOL: "0", PLUTO_PEER_PORT: "0", PLUTO_PEER_PROTOCOL: "0",
      PLUTO_SA_TYPE: "ESP", PLUTO_CONN_KIND: "CK_PERMANENT", PLUTO_CONN_ADDRFAMILY: "ipv4", PLUTO_STACK: "memory",
      PLUTO_VIRT_INTERFACE: "NULL", PLUTO_PEER_CA: "", XAUTH_FAILED: "0", VTI_ROUTING: "no",
      // as 4.10 sets them: SPI_IN the SPI we send with, SPI_OUT the one we receive on
      SPI_IN: `0x${child.spiOut.replace(/^0+/, "")}`, SPI_OUT: `0x${child.spiIn.replace(/^0+/, "")}`,
    });
    expect(w[0]!.PLUTO_CONN_POLICY).toMatch(/^IKEv2\+PSK\+ENCRYPT\+TUNNEL/);
    expect(Number(w[0]!.PLUTO_SA_REQID)).toBeGreaterThan(0);
    expect(Number(w[0]!.PLUTO_ADDTIME)).toBeGreaterThan(1.7e9);
    // the responder's end is right=: rightupdown=, with its own view
    expect(runs(rec.east)[0]).toMatchObject({ PLUTO_VERB: "up-client", PLUTO_ME: "192.0.2.2", PLUTO_MY_CLIENT: "10.2.0.0/16", PLUTO_PEER_ID: "@west.test" });
    // the script's output is logged line by line
    expect(p.logs.west).toContain('"t" #2: up-client output: recorded up-client');

    // a rekey: the new Child SA takes the policies over, nothing runs
    await p.daemons.west.whack(req({ cmd: "rekey-child", name: "t" }));
    await p.settle();
    await p.daemons.west.updownSettled();
    const after = p.daemons.west.engine.status(0).ike[0]!.children;
    expect(after.map((c) => c.serial)).not.toContain(child.serial);
    expect(runs(rec.west)).toHaveLength(3);

    // down: the Child SA that owns the policies goes
    await p.daemons.west.whack(req({ cmd: "terminate", name: "t" }));
    await p.settle();
    for (const d of [p.daemons.west, p.daemons.east]) await d.updownSettled();
    const down = runs(rec.west);
    expect(down.map((r) => r.VERB)).toEqual(["up-client", "prepare-client", "route-client", "down-client"]);
    expect(down[3]).toMatchObject({ PLUTO_SA_REQID: w[0]!.PLUTO_SA_REQID, SPI_OUT: `0x${after[0]!.spiIn.replace(/^0+/, "")}` });
    expect(runs(rec.east).map((r) => r.VERB)).toEqual(["up-client", "prepare-client", "route-client", "down-client"]);
  });

  test("a down never overtakes its up: a slow up-client runs to its end first", async () => {
    const rec = { west: join(dir, "w2"), east: join(dir, "e2") };
    const p = pair({ west: `SLOW_UP=0.3 ${dir}/rec.sh ${rec.west}`, east: "%disabled" });
    for (const d of [p.daemons.west, p.daemons.east]) await d.start();
    await p.daemons.west.whack(req({ cmd: "initiate", name: "t" }));
    await p.settle();
    await p.daemons.west.whack(req({ cmd: "terminate", name: "t" }));
    await p.settle();
    await p.daemons.west.updownSettled();
    expect(runs(rec.west).map((r) => r.VERB)).toEqual(["up-client", "prepare-client", "route-client", "down-client"]);
    // %disabled runs nothing (and says nothing)
    expect(p.logs.east.join("\n")).not.toMatch(/updown|output:/);
  });

  test("a failing or missing script is logged with its status and survived", async () => {
    const p = pair({ west: "echo failing on purpose >&2; exit 3", east: `${dir}/no-such-script` });
    for (const d of [p.daemons.west, p.daemons.east]) await d.start();
    await p.daemons.west.whack(req({ cmd: "initiate", name: "t" }));
    await p.settle();
    for (const d of [p.daemons.west, p.daemons.east]) await d.updownSettled();
    expect(p.logs.west).toContain('"t" #2: up-client output: failing on purpose');
    expect(p.logs.west).toContain('"t" #2: up-client command exited with status 3');
    expect(p.logs.east.find((l) => /up-client output: .*no-such-script.*not found/.test(l))).toBeDefined();
    expect(p.logs.east.find((l) => /"t" #\d+: up-client command exited with status 127/.test(l))).toBeDefined();
    // the tunnel is up all the same, and the daemons go on
    expect(p.daemons.west.engine.status(0).ike[0]!.children[0]!.state).toBe("ESTABLISHED_CHILD_SA");
    expect((await p.daemons.east.whack({ cmd: "status" })).ok).toBe(true);
  });

  test("a hanging script is killed at its time bound, and the daemon answers meanwhile", async () => {
    const rec = join(dir, "w4");
    const p = pair({ west: `${dir}/hang.sh ${rec}`, east: "%disabled" }, 400);
    for (const d of [p.daemons.west, p.daemons.east]) await d.start();
    await p.daemons.west.whack(req({ cmd: "initiate", name: "t" }));
    await p.settle();
    // the script hangs; whack is answered and the tunnel is taken down and up again meanwhile
    for (let i = 0; i < 50 && !existsSync(rec); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(rec, "utf8")).toBe("up-client\n");
    expect((await p.daemons.west.whack({ cmd: "status" })).text).toMatch(/ESTABLISHED_CHILD_SA/);
    await p.daemons.west.whack(req({ cmd: "terminate", name: "t" }));
    await p.settle();
    expect(p.daemons.west.engine.status(0).ike).toHaveLength(0);
    await p.daemons.west.updownSettled();
    expect(p.logs.west.find((l) => /"t" #2: up-client command .* did not finish within 0\.4 s: killed/.test(l))).toBeDefined();
    // then the rest ran, in order; the killed script never came back to write
    expect(readFileSync(rec, "utf8")).toBe("up-client\nprepare-client\nroute-client\ndown-client\n");
  }, 20000);
});

describe("updown pieces", () => {
  test("the verb's suffix: -host when our client is this host alone, -client else, -v6 for IPv6", () => {
    expect(verbOf("up", { me: "192.0.2.1", myClient: null })).toBe("up-host");
    expect(verbOf("up", { me: "192.0.2.1", myClient: { proto: 0, sport: 0, eport: 65535, start: "c0000201", end: "c0000201" } })).toBe("up-host");
    expect(verbOf("down", { me: "192.0.2.1", myClient: { proto: 0, sport: 0, eport: 65535, start: "0a010000", end: "0a01ffff" } })).toBe("down-client");
    expect(verbOf("route", { me: "2001:db8::1", myClient: null })).toBe("route-host-v6");
  });

  test("output: lines folded at 255 characters, at most UPDOWN_LINES logged, the rest counted", () => {
    const got: string[] = [];
    const o = new OutputLines((l) => got.push(l));
    o.push(new TextEncoder().encode("a".repeat(300) + "\nsecond\n"));
    for (let i = 0; i < UPDOWN_LINES; i++) o.push(new TextEncoder().encode(`line ${i}\n`));
    o.push(new TextEncoder().encode("no newline at the end"));
    o.end();
    expect(got.slice(0, 3)).toEqual(["a".repeat(255), "a".repeat(45), "second"]);
    expect(got).toHaveLength(UPDOWN_LINES);
    expect(o.dropped).toBe(4);
  });
});
