// whack commands that wait for their outcome, as Libreswan's whack does (hosts/whack-wait.ts):
// two daemons back to back (test/hosts/daemon-pair.ts); each failure class gets its exit
// status (Libreswan 4.10's RC codes) and a reason that names it, and the connection's log
// lines are streamed meanwhile; --asynchronous answers at once; instances are addressed as
// rw[1]; --deletestate; a connection that is not there is RC_UNKNOWN_NAME.
import { describe, expect, test } from "vitest";
import { daemonPair, pairConf } from "./daemon-pair.ts";
import { RC_FATAL, RC_NORETRANSMISSION, RC_UNKNOWN_NAME, type WhackProgress, type WhackRequest } from "../../hosts/whack-protocol.ts";
import { parseConnRef, lineOf } from "../../hosts/whack-wait.ts";
import { parseAutoArgs, parseWhackArgs } from "../../hosts/whack-protocol.ts";
import type { Daemon } from "../../hosts/daemon.ts";

const S = `@west.test @east.test : PSK "a test secret that is long enough"\n`;

// A pair with east's configuration changed by `east`, both started.
async function pair(east: (c: string) => string = (c) => c, secrets: string | { west: string; east: string } = S, westConf = pairConf("west", "add")) {
  const p = daemonPair({ west: westConf, east: east(pairConf("east", "add")) }, secrets);
  await p.daemons.west.start();
  await p.daemons.east.start();
  // a command run while the network and the clock go on; its progress lines kept
  const run = async (d: Daemon, req: WhackRequest, drive: () => Promise<void> = p.settle) => {
    const progress: WhackProgress[] = [];
    const answer = d.whack(req, (x) => progress.push(x));
    await drive();
    const r = await answer;
    return { r, progress, lines: progress.filter((x) => x.log !== undefined).map((x) => x.log!) };
  };
  return { ...p, run };
}

describe("whack --up waits for the outcome", () => {
  test("established: exit 0, the connection's log lines streamed as they came, the wait announced first", async () => {
    const { daemons, run } = await pair();
    const { r, progress, lines } = await run(daemons.west, { cmd: "initiate", name: "t" });
    expect(r).toMatchObject({ ok: true, text: '"t" #1: IKE SA established, Child SA #2 established' });
    expect(progress[0]).toEqual({ waitMs: 2 * 60000 + 10000 }); // two exchanges' retransmissions (retransmit-timeout=60s)
    expect(lines[0]).toMatch(/^"t" #1: initiating IKEv2 connection to 192\.0\.2\.2:500$/);
    expect(lines).toContain('"t" #1: sent IKE_SA_INIT request');
    expect(lines.some((l) => /^"t" #1: (initiator )?established IKE SA; authenticated peer/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^"t" #2: established Child SA tunnel mode 10\.1\.0\.0-10\.1\.255\.255 === 10\.2\.0\.0-10\.2\.255\.255/);
    // only this connection's lines
    expect(lines.every((l) => l.startsWith('"t" '))).toBe(true);
  });

  test("wrong PSK: RC_FATAL, AUTHENTICATION_FAILED; the responder's log says its AUTH did not verify", async () => {
    const { daemons, run, logs } = await pair((c) => c, { west: S, east: `@west.test @east.test : PSK "another secret that is long enough"\n` });
    const { r, lines } = await run(daemons.west, { cmd: "initiate", name: "t" });
    expect(r.ok).toBe(false);
    expect(r.code).toBe(RC_FATAL);
    expect(r.error).toMatch(/^"t" #1: .*AUTHENTICATION_FAILED/);
    expect(lines).toContain(r.error);
    expect(logs.east.join("\n")).toMatch(/"t" #1: .*the initiator's AUTH payload .*does not verify.*AUTHENTICATION_FAILED/);
  });

  test("no IKE proposal in common: RC_FATAL, NO_PROPOSAL_CHOSEN", async () => {
    const { daemons, run, logs } = await pair((c) => c.replace("ike=aes256-sha2_256;dh19", "ike=aes128-sha2_512;dh20"));
    const { r } = await run(daemons.west, { cmd: "initiate", name: "t" });
    expect(r).toMatchObject({ ok: false, code: RC_FATAL });
    expect(r.error).toMatch(/^"t" #1: IKE_SA_INIT rejected by the responder with NO_PROPOSAL_CHOSEN/);
    expect(logs.east.join("\n")).toMatch(/no acceptable proposal: answered NO_PROPOSAL_CHOSEN/);
  });

  test("no ESP proposal in common: the IKE SA is up, the Child SA is not: RC_FATAL, NO_PROPOSAL_CHOSEN", async () => {
    const { daemons, run } = await pair((c) => c.replace("esp=aes256-sha2_256", "esp=aes128-sha1"));
    const { r, lines } = await run(daemons.west, { cmd: "initiate", name: "t" });
    expect(r).toMatchObject({ ok: false, code: RC_FATAL });
    expect(r.error).toMatch(/^"t" #2: no Child SA: .*NO_PROPOSAL_CHOSEN/);
    expect(lines.some((l) => /"t" #1: (initiator )?established IKE SA/.test(l))).toBe(true);
  });

  test("traffic selectors the peer refuses: RC_FATAL, TS_UNACCEPTABLE", async () => {
    const { daemons, run, logs } = await pair((c) => c.replace("rightsubnet=10.2.0.0/16", "rightsubnet=10.3.0.0/16"));
    const { r } = await run(daemons.west, { cmd: "initiate", name: "t" });
    expect(r).toMatchObject({ ok: false, code: RC_FATAL });
    expect(r.error).toMatch(/^"t" #2: no Child SA: .*TS_UNACCEPTABLE/);
    expect(logs.east.join("\n")).toMatch(/TS_UNACCEPTABLE/);
  });

  test("no answer through the retransmissions: RC_NORETRANSMISSION", async () => {
    const p = await pair();
    p.cut.add("east");
    const { r, lines } = await p.run(p.daemons.west, { cmd: "initiate", name: "t" }, () => p.advance(70000));
    expect(r).toMatchObject({ ok: false, code: RC_NORETRANSMISSION });
    expect(r.error).toMatch(/^"t" #1: (IKE_SA_INIT_I: )?no answer after \d+ retransmissions/);
    expect(lines).toContain('"t" #1: sent IKE_SA_INIT request');
  });

  test("--asynchronous answers once started; the negotiation goes on", async () => {
    const { daemons, run, settle } = await pair();
    const progress: WhackProgress[] = [];
    const r = await daemons.west.whack({ cmd: "initiate", name: "t", async: true }, (x) => progress.push(x));
    expect(r).toMatchObject({ ok: true, text: '"t" #1: initiating IKEv2 connection' });
    await settle();
    const st = (await run(daemons.west, { cmd: "showstates", json: true })).r.data as { states: { state: string }[] };
    expect(st.states.map((s) => s.state)).toEqual(["ESTABLISHED_IKE_SA"]);
  });
});

describe("the other commands that wait", () => {
  test("--rekey-child, --rekey-ike: the new SA; --deletestate; --down: the states gone", async () => {
    const { daemons, run } = await pair();
    expect((await run(daemons.west, { cmd: "initiate", name: "t" })).r.ok).toBe(true);
    const c = await run(daemons.west, { cmd: "rekey-child", name: "t" });
    expect(c.r).toMatchObject({ ok: true, text: '"t" #2: rekeyed: Child SA #3 established' });
    expect(c.lines).toContain('"t" #2: rekeying Child SA as #3');
    const i = await run(daemons.east, { cmd: "rekey-ike", name: "t" });
    expect(i.r).toMatchObject({ ok: true });
    expect(i.r.text).toMatch(/^"t" #1: rekeyed: IKE SA #\d+ established$/);
    const st = (await run(daemons.west, { cmd: "showstates", json: true })).r.data as { states: { serial: number; children: { serial: number }[] }[] };
    const child = st.states[0].children[0].serial;
    const d = await run(daemons.west, { cmd: "deletestate", serial: child });
    expect(d.r).toEqual({ ok: true, text: `#${child}: deleted` });
    expect(d.lines.some((l) => l.includes(`#${child}: deleted Child SA`))).toBe(true);
    const down = await run(daemons.west, { cmd: "terminate", name: "t" });
    expect(down.r).toEqual({ ok: true, text: '"t": terminated' });
    expect(down.lines.some((l) => /deleted IKE SA/.test(l))).toBe(true);
    expect(((await run(daemons.east, { cmd: "showstates", json: true })).r.data as { states: unknown[] }).states).toEqual([]);
  });

  test("a connection or state that is not there: RC_UNKNOWN_NAME, saying so, nothing else changed", async () => {
    const { daemons, run } = await pair();
    expect((await run(daemons.west, { cmd: "initiate", name: "t" })).r.ok).toBe(true);
    for (const cmd of ["initiate", "terminate", "delete", "rekey-ike", "rekey-child", "route"] as const) {
      const { r } = await run(daemons.west, { cmd, name: "nope" });
      expect(r, cmd).toMatchObject({ ok: false, code: RC_UNKNOWN_NAME });
      expect(r.error, cmd).toMatch(/no connection named "nope"/);
    }
    expect((await run(daemons.west, { cmd: "deletestate", serial: 99 })).r).toMatchObject({ ok: false, code: RC_UNKNOWN_NAME, error: "no state #99" });
    const st = (await run(daemons.west, { cmd: "showstates", json: true })).r.data as { states: { state: string; children: unknown[] }[] };
    expect(st.states.map((s) => [s.state, s.children.length])).toEqual([["ESTABLISHED_IKE_SA", 1]]);
  });

  test("an instance of a template is addressed as rw[1] and \"rw\"[1]", async () => {
    const template = (c: string) => c.replace("left=192.0.2.1", "left=%any");
    const { daemons, run } = await pair(template);
    expect((await run(daemons.west, { cmd: "initiate", name: "t" })).r.ok).toBe(true);
    expect((await run(daemons.east, { cmd: "terminate", name: "t[2]" })).r).toMatchObject({ ok: false, code: RC_UNKNOWN_NAME, error: 'no connection named "t[2]"' });
    const down = await run(daemons.east, { cmd: "terminate", name: '"t"[1]' });
    expect(down.r).toEqual({ ok: true, text: '"t"[1]: terminated' });
    expect(down.lines.some((l) => /^"t"\[1\] 192\.0\.2\.1 #1: deleting IKE SA/.test(l))).toBe(true);
    // west revives it (it was brought up and not taken down), as a new instance
    expect((await run(daemons.west, { cmd: "terminate", name: "t" })).r.ok).toBe(true);
    expect((await run(daemons.west, { cmd: "initiate", name: "t" })).r.ok).toBe(true);
    const st = (await run(daemons.east, { cmd: "status", json: true })).r.data as { conns: { kind: string; instance: number }[] };
    const inst = st.conns.find((c) => c.kind === "INSTANCE")!.instance;
    const del = await run(daemons.east, { cmd: "delete", name: `t[${inst}]` });
    expect(del.r.ok).toBe(true);
    const after = (await run(daemons.east, { cmd: "status", json: true })).r.data as { conns: { kind: string }[]; states: unknown[] };
    expect(after.conns.map((c) => c.kind)).toEqual(["TEMPLATE"]);
  });
});

describe("names of connections and instances", () => {
  test("parseConnRef and lineOf", () => {
    expect(parseConnRef("rw[1]")).toEqual({ name: "rw", instance: 1 });
    expect(parseConnRef('"rw"[12]')).toEqual({ name: "rw", instance: 12 });
    expect(parseConnRef("rw")).toEqual({ name: "rw", instance: null });
    expect(parseConnRef("rw[x]")).toEqual({ name: "rw[x]", instance: null });
    expect(lineOf({ name: "rw", instance: null }, '"rw"[3] 192.0.2.9 #4: sent')).toBe(true);
    expect(lineOf({ name: "rw", instance: 3 }, '"rw"[3] 192.0.2.9 #4: sent')).toBe(true);
    expect(lineOf({ name: "rw", instance: 3 }, '"rw"[31] 192.0.2.9 #4: sent')).toBe(false);
    expect(lineOf({ name: "rw", instance: null }, '"rw2" #4: sent')).toBe(false);
    expect(lineOf({ name: "rw", instance: null }, '"rw": added')).toBe(true);
  });
});

describe("command lines", () => {
  test("ipsec auto runs what Libreswan 4.10's ipsec auto script runs", () => {
    const reqs = (...a: string[]) => {
      const p = parseAutoArgs(a);
      return p.ok ? { reqs: p.reqs, socket: p.socket } : p.error;
    };
    expect(reqs("--up", "t")).toEqual({ reqs: [{ cmd: "initiate", name: "t" }], socket: undefined });
    expect(reqs("--asynchronous", "--up", "t")).toEqual({ reqs: [{ cmd: "initiate", name: "t", async: true }], socket: undefined });
    expect(reqs("--start", "t", "--rundir", "/r/")).toEqual({ reqs: [{ cmd: "add", name: "t" }, { cmd: "initiate", name: "t" }], socket: "/r/pluto.ctl" });
    expect(reqs("--ondemand", "t", "--ctlsocket", "/s")).toEqual({ reqs: [{ cmd: "add", name: "t" }, { cmd: "route", name: "t" }], socket: "/s" });
    expect(reqs("--replace", "t")).toEqual({ reqs: [{ cmd: "replace", name: "t" }], socket: undefined });
    expect(reqs("--down", "rw[1]")).toEqual({ reqs: [{ cmd: "terminate", name: "rw[1]" }], socket: undefined });
    expect(reqs("--ready")).toEqual({ reqs: [{ cmd: "listen" }], socket: undefined });
    expect(reqs("--up")).toMatch(/^ipsec auto --up needs one connection name/);
    expect(reqs("--up", "a", "b")).toMatch(/needs one connection name/);
    expect(reqs("--up", "t", "--down", "t")).toMatch(/--down cannot be combined with --up/);
    expect(reqs("--status", "t")).toMatch(/takes no connection name/);
    expect(reqs("--config", "/etc/ipsec.conf", "--add", "t")).toMatch(/--config is not supported yet/);
    expect(reqs("--frob", "t")).toMatch(/unknown option "--frob"/);
  });

  test("whack --deletestate N and --asynchronous", () => {
    expect(parseWhackArgs(["--deletestate", "7"])).toEqual({ ok: true, req: { cmd: "deletestate", serial: 7 }, socket: undefined });
    expect(parseWhackArgs(["--deletestate", "#7"])).toMatchObject({ ok: true, req: { serial: 7 } });
    expect(parseWhackArgs(["--deletestate", "seven"])).toEqual({ ok: false, error: '--deletestate needs a state number, not "seven"' });
    expect(parseWhackArgs(["--deletestate"])).toEqual({ ok: false, error: "--deletestate needs a state number, not nothing" });
    expect(parseWhackArgs(["--up", "--name", "t", "--asynchronous"])).toMatchObject({ ok: true, req: { cmd: "initiate", name: "t", async: true } });
  });
});
