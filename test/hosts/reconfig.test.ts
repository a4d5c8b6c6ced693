// ipsec.conf as the running source: whack --add and --replace read the file as it is now, and
// --rereadall (what SIGHUP does) adds new connections, replaces changed ones, removes deleted
// ones and leaves the rest and their SAs alone. Two daemons back to back (daemon-pair.ts); the
// file is edited between commands and the SAs' serial numbers tell what was kept.
import { describe, expect, test } from "vitest";
import { daemonPair } from "./daemon-pair.ts";
import type { Daemon } from "../../hosts/daemon.ts";
import type { WhackRequest } from "../../hosts/whack-protocol.ts";

const SECRETS = `@west.test @east.test : PSK "reconfig tests"\n`;

// a connection between west and east with its own subnets (n), and extra lines
const conn = (name: string, n: number, auto: string, extra = "") => `conn ${name}
	left=192.0.2.1
	leftid=@west.test
	leftsubnet=10.1.${n}.0/24
	right=192.0.2.2
	rightid=@east.test
	rightsubnet=10.2.${n}.0/24
	authby=secret
	ike=aes256-sha2_256;dh19
	esp=aes256-sha2_256
	auto=${auto}
${extra}`;
const setup = (addr: string) => `config setup\n\tlisten=${addr}\n`;
const EAST = setup("192.0.2.2") + ["keep", "change", "gone", "fresh", "later"].map((c, i) => conn(c, i + 1, "add")).join("");

const req = (r: Record<string, unknown>) => ({ async: true, ...r }) as unknown as WhackRequest;

// the serials of each connection's IKE and Child SAs
function serials(d: Daemon): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of d.engine.status(0).ike) {
    if (s.state !== "ESTABLISHED_IKE_SA") continue;
    (out[s.conn] ??= []).push(s.serial, ...s.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA").map((c) => c.serial));
  }
  return out;
}

describe("ipsec.conf edited under a running daemon", () => {
  test("--rereadall: a new auto=start conn comes up, a changed one is replaced (new SAs), a deleted one goes (Delete sent), the unchanged one keeps its SAs", async () => {
    const west0 = setup("192.0.2.1") + conn("keep", 1, "start") + conn("change", 2, "start") + conn("gone", 3, "start");
    const p = daemonPair({ west: west0, east: EAST }, SECRETS, ["192.0.2.1", "192.0.2.2"]);
    await p.daemons.east.start();
    await p.daemons.west.start();
    await p.settle();
    const before = serials(p.daemons.west);
    expect(Object.keys(before).sort()).toEqual(["change", "gone", "keep"]);
    for (const c of ["keep", "change", "gone"]) expect(before[c], c).toHaveLength(2);

    // edit: change one (a local setting), remove one, add one that starts and one that only loads
    p.files.west["/c"] = setup("192.0.2.1") + conn("keep", 1, "start") + conn("change", 2, "start", "\tdpddelay=30s\n") +
      conn("fresh", 4, "start") + conn("later", 5, "add");
    const r = await p.daemons.west.whack({ cmd: "rereadall" });
    expect(r.ok, r.error).toBe(true);
    expect(r.text!.split("\n")[0]).toMatch(/^reread \/c: 2 added, 1 replaced, 1 removed, 1 unchanged connection\(s\); 1 secrets entries; 4 loaded connections use them/);
    expect(r.text).toMatch(new RegExp(`"gone": deleted with 1 IKE SA\\(s\\) \\(#${before.gone![0]}\\) and 1 Child SA\\(s\\), Deletes sent: no longer in /c`));
    expect(r.text).toMatch(new RegExp(`"change": replaced: old one deleted with 1 IKE SA\\(s\\) \\(#${before.change![0]}\\)`));
    expect(r.text).toMatch(/added connection "fresh"/);
    expect(r.text).toMatch(/added connection "later"/);
    expect(p.logs.west.some((l) => /^reread \/c: 2 added, 1 replaced, 1 removed, 1 unchanged/.test(l))).toBe(true);
    await p.settle();

    const after = serials(p.daemons.west);
    expect(after.keep).toEqual(before.keep); // the same SAs
    expect(after.change).toHaveLength(2);
    for (const s of after.change!) expect(before.change).not.toContain(s); // new ones
    expect(after.gone).toBeUndefined();
    expect(after.fresh).toHaveLength(2);
    expect(after.later).toBeUndefined(); // auto=add: loaded, not up
    expect((await p.daemons.west.whack({ cmd: "status" })).text).toMatch(/^000 "later": /m);
    // the peer was told: its SAs of "gone" went with the Delete; "keep" is untouched there too
    const east = serials(p.daemons.east);
    expect(east.gone).toBeUndefined();
    expect(east.keep).toHaveLength(2);
    expect(east.change).toHaveLength(2);
    expect(p.daemons.west.engine.status(0, false, "change").conns[0]).toBeDefined();

    // nothing changed: a second reread touches nothing
    const again = await p.daemons.west.whack({ cmd: "rereadall" });
    expect(again.text!.split("\n")[0]).toMatch(/0 added, 0 replaced, 0 removed, 4 unchanged/);
    await p.settle();
    expect(serials(p.daemons.west)).toEqual(after);
  });

  test("a reread whose new text of a connection cannot be loaded keeps the old one and its SAs; a broken file changes nothing", async () => {
    const p = daemonPair({ west: setup("192.0.2.1") + conn("keep", 1, "start"), east: EAST }, SECRETS, ["192.0.2.1", "192.0.2.2"]);
    await p.daemons.east.start();
    await p.daemons.west.start();
    await p.settle();
    const before = serials(p.daemons.west);
    p.files.west["/c"] = setup("192.0.2.1") + conn("keep", 1, "start").replace("leftsubnet=10.1.1.0/24", "leftsubnet=not-a-subnet");
    const r = await p.daemons.west.whack({ cmd: "rereadall" });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/configuration unchanged: /);
    p.files.west["/c"] = setup("192.0.2.1") + conn("keep", 1, "start").replace("right=192.0.2.2", "right=vpn.example.com");
    const r2 = await p.daemons.west.whack({ cmd: "rereadall" });
    expect(r2.text).toMatch(/"keep": changed, but not replaced: "keep": right=vpn\.example\.com is not an address .*; the connection as it was stays/);
    expect(r2.text!.split("\n")[0]).toMatch(/0 added, 0 replaced, 0 removed, 0 unchanged, 1 refused/);
    await p.settle();
    expect(serials(p.daemons.west)).toEqual(before);
  });

  test("whack --add reads the file as it is now; --replace swaps a connection for its new text, its SAs replaced and up again", async () => {
    const p = daemonPair({ west: setup("192.0.2.1") + conn("keep", 1, "add"), east: EAST }, SECRETS, ["192.0.2.1", "192.0.2.2"]);
    await p.daemons.east.start();
    await p.daemons.west.start();
    // a connection appended after start-up
    p.files.west["/c"] += conn("fresh", 4, "ignore");
    const a = await p.daemons.west.whack({ cmd: "add", name: "fresh" });
    expect(a.ok, a.error).toBe(true);
    expect((await p.daemons.west.whack({ cmd: "add", name: "fresh" })).error).toBe('attempt to redefine connection "fresh"');
    expect((await p.daemons.west.whack({ cmd: "add", name: "nowhere" })).error).toBe('no connection named "nowhere" in /c');
    await p.daemons.west.whack(req({ cmd: "initiate", name: "fresh" }));
    await p.settle();
    const before = serials(p.daemons.west);
    expect(before.fresh).toHaveLength(2);
    // --replace with its new text: the states go (Delete sent), and come back as it was up
    p.files.west["/c"] = setup("192.0.2.1") + conn("keep", 1, "add") + conn("fresh", 4, "ignore", "\trekeymargin=5m\n");
    const r = await p.daemons.west.whack({ cmd: "replace", name: "fresh" });
    expect(r.ok, r.error).toBe(true);
    expect(r.text).toMatch(new RegExp(`"fresh": deleted with 1 IKE SA\\(s\\) \\(#${before.fresh![0]}\\)`));
    expect(r.text).toMatch(/initiating/);
    await p.settle();
    const after = serials(p.daemons.west);
    expect(after.fresh).toHaveLength(2);
    for (const s of after.fresh!) expect(before.fresh).not.toContain(s);
    expect(serials(p.daemons.east).fresh).toHaveLength(2); // the peer's old ones went with the Delete
    // a text that does not load: nothing is deleted
    p.files.west["/c"] = setup("192.0.2.1") + conn("keep", 1, "add") + conn("fresh", 4, "ignore").replace("right=192.0.2.2", "right=vpn.example.com");
    const bad = await p.daemons.west.whack({ cmd: "replace", name: "fresh" });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/^"fresh" not replaced: /);
    await p.settle();
    expect(serials(p.daemons.west)).toEqual(after);
  });

  test("a connection without a secret loads and fails at negotiation naming the missing secret", async () => {
    const p = daemonPair({ west: setup("192.0.2.1") + conn("keep", 1, "add"), east: EAST }, { west: "", east: SECRETS }, ["192.0.2.1", "192.0.2.2"]);
    await p.daemons.east.start();
    expect(await p.daemons.west.start()).toEqual(['added connection "keep"']);
    await p.daemons.west.whack(req({ cmd: "initiate", name: "keep" }));
    await p.settle();
    expect(p.logs.west.join("\n")).toMatch(/no pre-shared key in ipsec\.secrets for/);
  });
});
