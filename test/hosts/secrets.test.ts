// Secrets take effect: after a PSK is changed and --rereadsecrets, --rereadall (what SIGHUP
// does) reread it, new negotiations use the new secret, so a peer with the old one is refused
// and one with the new one accepted, while the IKE SA already up stays up (as Libreswan, which
// looks the PSK up when it authenticates). A PSK taken away authenticates nobody. A reread
// that fails (the bytes 0b f0, a no-break space) changes nothing. Rereads warn about a secrets
// file others can read, as start-up does; the key log is made 0600 or not written.
// Two daemons in one process (daemon-pair.ts).
import { describe, expect, test } from "vitest";
import type { Daemon } from "../../hosts/daemon.ts";
import { daemonPair, pairConf, type Side } from "./daemon-pair.ts";

const conf = (me: Side) => pairConf(me, "add");
const psk = (s: string) => `@west.test @east.test : PSK "${s}"\n`;
const OLD = psk("the old secret, rotated away");
const NEW = psk("the new secret, rotated in");

const established = (d: Daemon) => d.engine.status(1).ike.filter((s) => s.state === "ESTABLISHED_IKE_SA");

function pair(tweak?: Parameters<typeof daemonPair>[3]) {
  const p = daemonPair({ west: conf("west"), east: conf("east") }, { west: OLD, east: OLD }, [], tweak);
  // brings up a fresh IKE SA from `from` (the old one, if any, terminated first); true when both
  // ends have one established
  const up = async (from: Side) => {
    for (const d of [p.daemons.west, p.daemons.east]) await d.whack({ cmd: "terminate", name: "t", async: true });
    await p.settle();
    p.logs.west.length = 0;
    p.logs.east.length = 0;
    await p.daemons[from].whack({ cmd: "initiate", name: "t", async: true });
    await p.settle();
    return established(p.daemons.west).length === 1 && established(p.daemons.east).length === 1;
  };
  return { ...p, up };
}

describe("PSK rotation", () => {
  test("--rereadsecrets: the old key is refused after the reread, the new one accepted; the IKE SA already up stays", async () => {
    const { daemons, files, logs, settle, up } = pair();
    await daemons.west.start();
    await daemons.east.start();
    expect(await up("west")).toBe(true);
    const before = established(daemons.east)[0]!;

    files.east["/s"] = NEW;
    const r = await daemons.east.whack({ cmd: "rereadsecrets" });
    expect(r).toMatchObject({ ok: true });
    expect(r.text).toMatch(/^reread secrets: 1 entries; 1 loaded connection use them for new negotiations$/);
    // established SAs keep their keys until they rekey or re-authenticate
    await settle();
    expect(established(daemons.east).map((s) => s.spiI)).toEqual([before.spiI]);

    // west still has the old key: east refuses it, in either direction
    expect(await up("west")).toBe(false);
    expect(logs.east.join("\n")).toMatch(/authentication failed: the initiator's AUTH payload \(SHARED_KEY_MAC\) does not verify with our pre-shared key for \S+ \S+: peer ID_\w+ '[^']+' used another secret: AUTHENTICATION_FAILED/);
    expect(await up("east")).toBe(false);
    expect(logs.east.join("\n")).toMatch(/the responder's AUTH payload does not verify|AUTHENTICATION_FAILED/);

    // west takes the new key too: accepted both ways
    files.west["/s"] = NEW;
    expect(await daemons.west.whack({ cmd: "rereadsecrets" })).toMatchObject({ ok: true });
    expect(await up("west")).toBe(true);
    expect(await up("east")).toBe(true);
    for (const side of ["west", "east"] as const) expect(logs[side].join("\n")).not.toMatch(/rotated/);
  });

  test("--rereadall (what SIGHUP does) applies the new secret as well", async () => {
    const { daemons, files, logs, up } = pair();
    await daemons.west.start();
    await daemons.east.start();
    expect(await up("west")).toBe(true);
    files.east["/s"] = NEW;
    const r = await daemons.east.whack({ cmd: "rereadall" });
    expect(r.text).toMatch(/reread \/c: 0 added, 0 replaced, 0 removed, 1 unchanged connection\(s\); 1 secrets entries; 1 loaded connection use them/);
    expect(await up("west")).toBe(false);
    expect(logs.east.join("\n")).toMatch(/AUTHENTICATION_FAILED/);
    files.west["/s"] = NEW;
    expect(await daemons.west.whack({ cmd: "rereadall" })).toMatchObject({ ok: true });
    expect(await up("west")).toBe(true);
  });

  test("a template's instances take the new secret too", async () => {
    const road = conf("east").replace("\tright=192.0.2.2\n", "\tright=%any\n").replace("\tleft=192.0.2.1\n", "\tleft=192.0.2.2\n").replace("leftid=@west.test", "leftid=@east.test").replace("rightid=@east.test", "rightid=@west.test").replace("leftsubnet=10.1.0.0/16", "leftsubnet=10.2.0.0/16").replace("rightsubnet=10.2.0.0/16", "rightsubnet=10.1.0.0/16");
    const p = daemonPair({ west: conf("west"), east: road }, { west: OLD, east: OLD });
    await p.daemons.west.start();
    await p.daemons.east.start();
    await p.daemons.west.whack({ cmd: "initiate", name: "t", async: true });
    await p.settle();
    expect(established(p.daemons.east)).toHaveLength(1);
    expect(p.daemons.east.engine.status(1).conns.filter((c) => c.kind === "INSTANCE")).toHaveLength(1);
    p.files.east["/s"] = NEW;
    expect(await p.daemons.east.whack({ cmd: "rereadsecrets" })).toMatchObject({ ok: true });
    // a second IKE SA from west with the old key meets the instance: refused
    p.logs.east.length = 0;
    await p.daemons.west.whack({ cmd: "initiate", name: "t", async: true });
    await p.settle();
    expect(p.logs.east.join("\n")).toMatch(/AUTHENTICATION_FAILED/);
    expect(established(p.daemons.east)).toHaveLength(1);
  });

  test("a PSK taken away authenticates nobody (an empty key is not a key), and says which is missing", async () => {
    const { daemons, files, logs, up } = pair();
    await daemons.west.start();
    await daemons.east.start();
    files.east["/s"] = psk("for other peers").replace("@west.test", "@north.test");
    const r = await daemons.east.whack({ cmd: "rereadsecrets" });
    expect(r).toMatchObject({ ok: true });
    expect(logs.east.join("\n")).toMatch(/"t": no pre-shared key for @east\.test and @west\.test any more: its negotiations will fail/);
    expect(await up("west")).toBe(false);
    expect(logs.east.join("\n")).toMatch(/no pre-shared key in ipsec.secrets for @east\.test and @west\.test: AUTHENTICATION_FAILED/);
    expect(await up("east")).toBe(false);
    expect(logs.east.join("\n")).toMatch(/deleted IKE SA \(no pre-shared key in ipsec.secrets for @east\.test and @west\.test\)/);
    files.east["/s"] = OLD;
    expect(await daemons.east.whack({ cmd: "rereadsecrets" })).toMatchObject({ ok: true });
    expect(await up("west")).toBe(true);
  });
});

describe("a connection without a secret", () => {
  test("loads, fails at negotiation naming the missing secret, and works once a reread brings one", async () => {
    const p = daemonPair({ west: conf("west"), east: conf("east") }, { west: OLD, east: psk("for another pair").replace("@west.test", "@north.test") });
    await p.daemons.west.start();
    expect(await p.daemons.east.start()).toEqual(['added connection "t"']);
    expect(p.logs.east.join("\n")).toMatch(/"t": no pre-shared key for @east\.test and @west\.test: its negotiations will fail until ipsec\.secrets has one/);
    await p.daemons.west.whack({ cmd: "initiate", name: "t", async: true });
    await p.settle();
    expect(p.logs.east.join("\n")).toMatch(/no pre-shared key in ipsec\.secrets for @east\.test and @west\.test: AUTHENTICATION_FAILED/);
    expect(established(p.daemons.east)).toHaveLength(0);
    p.files.east["/s"] = OLD;
    expect(await p.daemons.east.whack({ cmd: "rereadsecrets" })).toMatchObject({ ok: true });
    await p.daemons.west.whack({ cmd: "initiate", name: "t", async: true });
    await p.settle();
    expect(established(p.daemons.east)).toHaveLength(1);
  });
});

describe("a reread that fails changes nothing", () => {
  test.each([
    ["the bytes 0b f0", Buffer.from([0x0b, 0xf0]).toString("utf8"), "/s:1:1: error: unexpected U+000B (vertical tab)"],
    ["a no-break space between words", '@west.test\u00a0@east.test : PSK "the new secret"\n', "/s:1:11: error: unexpected U+00A0 (no-break space)"],
  ])("%s: an error at file:line:column, the old secret still in force, the daemon serving", async (_what, text, want) => {
    const { daemons, files, up } = pair();
    await daemons.west.start();
    await daemons.east.start();
    files.east["/s"] = text;
    for (const cmd of ["rereadsecrets", "rereadall"] as const) {
      const r = await daemons.east.whack({ cmd });
      expect(r.ok, cmd).toBe(false);
      expect(r.error, cmd).toMatch(/unchanged: /);
      expect(r.error, cmd).toContain(want);
    }
    expect(daemons.east.secrets).toHaveLength(1);
    expect(await up("west")).toBe(true);
    expect((await daemons.east.whack({ cmd: "briefstatus" })).ok).toBe(true);
  });
});

describe("permissions", () => {
  test("rereads warn about a secrets file group or others can read, as start-up does", async () => {
    const { daemons, modes, logs } = pair();
    modes.east["/s"] = 0o644;
    const l = daemons.east.load();
    expect(l.warnings.join("\n")).toMatch(/secrets file is accessible by group and others \(mode 0644\); it should be mode 0600/);
    for (const cmd of ["rereadsecrets", "rereadall"] as const) {
      logs.east.length = 0;
      const r = await daemons.east.whack({ cmd });
      expect(r.text, cmd).toMatch(/warning: \/s:0:0: warning: secrets file is accessible by group and others \(mode 0644\)/);
      expect(logs.east.join("\n"), cmd).toMatch(/^warning: \/s:0:0: warning: secrets file is accessible by group and others/m);
    }
    modes.east["/s"] = 0o640;
    expect((await daemons.east.whack({ cmd: "rereadsecrets" })).text).toMatch(/accessible by group \(mode 0640\)/);
    modes.east["/s"] = 0o600;
    expect((await daemons.east.whack({ cmd: "rereadsecrets" })).text).not.toMatch(/warning/);
  });

  test("--keylog: a file others can read is made 0600 and the log says so; one that cannot be is not written", async () => {
    const modes: Record<string, number> = { "/k": 0o644 };
    const written: string[] = [];
    const keyLines = () => written.filter((w) => w.startsWith("/k ")); // the Child SAs go to /esp_sa
    let chmodWorks = true;
    const p = pair((me, host, opts) => {
      if (me !== "west") return;
      opts.keylog = "/k";
      const fileMode = host.fileMode!;
      host.fileMode = (path) => (path in modes ? modes[path]! : fileMode(path));
      host.chmod = (path, mode) => {
        if (!chmodWorks) return "Operation not permitted";
        modes[path] = mode;
        return null;
      };
      host.appendFile = (path, text) => written.push(`${path} ${text}`);
    });
    // checked when the configuration is loaded, before any key is written
    expect(modes["/k"]).toBe(0o600);
    expect(p.logs.west).toContain("key log /k was mode 0644, readable by group and others: changed it to 0600");
    await p.daemons.west.start();
    await p.daemons.east.start();
    expect(await p.up("west")).toBe(true);
    expect(keyLines()).toHaveLength(1);
    expect(keyLines()[0]).toMatch(/^\/k [0-9a-f]{16},[0-9a-f]{16},/);
    expect(written.filter((w) => w.startsWith("/esp_sa ")).length).toBe(2);

    // made readable again, by someone this daemon cannot overrule
    modes["/k"] = 0o604;
    chmodWorks = false;
    expect(await p.up("west")).toBe(true);
    expect(keyLines()).toHaveLength(1);
    expect(p.logs.west).toContain("not writing keys to /k: it is mode 0604, readable by others, and cannot be made 0600: Operation not permitted");
    expect(await p.up("east")).toBe(true);
    expect(keyLines()).toHaveLength(1);
    expect(p.logs.west.filter((l) => l.startsWith("not writing keys"))).toEqual([]); // said once
  });
});
