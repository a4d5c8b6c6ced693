// Events in, commands out, through hosts/engine.ts: what the core logs and sends for
// datagrams it cannot use. Each bad datagram is logged once with the reason, nothing changes.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { Engine, endpointBytes, type Endpoint, type SendCommand } from "../../hosts/engine.ts";
import { coreModule } from "../../hosts/node/corefile.ts";
import { nativeProvider } from "../../hosts/crypto/native.ts";
import { corpusMessages } from "../wire/corpus.ts";
import { established } from "../../bench/timers.ts";

const local: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
const remote: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 1) };

function engine() {
  const logs: string[] = [];
  const sent: SendCommand[] = [];
  const e = new Engine(coreModule(), { provider: nativeProvider }, { send: (c) => sent.push(c), log: (_l, line) => logs.push(line), job: () => {} });
  return { e, logs, sent };
}

describe("event pump", () => {
  test("an IKE_SA_INIT request for which there is no connection is dropped with a reason", () => {
    const { e, logs, sent } = engine();
    const [first] = corpusMessages("ikev2-psk-x25519-gcm");
    expect(e.datagram(1000, first.bytes, local, remote, false)).toBe(-1);
    expect(logs).toEqual(["dropping IKE_SA_INIT from 192.0.2.1: no connection for 192.0.2.2:500; more like it are counted for 10 s"]);
    expect(sent).toEqual([]);
    expect(e.status(1000).ike).toEqual([]);
  });
  test("IKEv1 is refused for now, with a log line", () => {
    const { e, logs } = engine();
    const msgs = corpusMessages("ikev1-ss-main-psk");
    expect(e.datagram(0, msgs[0].bytes, local, remote, false)).toBe(-1);
    expect(logs[0]).toMatch(/IKEv1 is not supported yet/);
  });
  test("a malformed message is logged once, with the reason and the notify", () => {
    const { e, logs } = engine();
    const [first] = corpusMessages("ikev2-psk-x25519-gcm");
    const bad = first.bytes.slice();
    bad[28 + 3] += 1; // SA payload length one too long
    e.datagram(0, bad, local, remote, false);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^dropping malformed message from 192\.0\.2\.1:500: .*; would answer INVALID_SYNTAX \(at offset \d+\); more like it are counted for 10 s$/);
  });
  test("a flood of malformed messages from one source is one line, then a count every 10 s", () => {
    const { e, logs } = engine();
    const [first] = corpusMessages("ikev2-psk-x25519-gcm");
    const bad = first.bytes.slice();
    bad[28 + 3] += 1;
    for (let i = 0; i < 1000; i++) e.datagram(i, bad, local, remote, false);
    expect(logs).toHaveLength(1);
    expect(e.nextDeadline()).toBe(10_000); // the count is due at the end of the window
    e.timeout(10_000);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toMatch(/^dropped 1,000 malformed message from 192\.0\.2\.1:500 in the last 10 s: .*INVALID_SYNTAX$/);
    expect(e.nextDeadline()).toBe(0);
    // a new window starts with a whole line again
    e.datagram(20_000, bad, local, remote, false);
    expect(logs).toHaveLength(3);
    expect(logs[2]).toMatch(/^dropping malformed message/);
  });
  test("ESP on port 4500 is not taken for IKE", () => {
    const { e, logs } = engine();
    e.datagram(0, new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 9, 9]), { ...local, port: 4500 }, { ...remote, port: 4500 }, true);
    expect(logs[0]).toContain("dropping malformed message from 192.0.2.1:4500");
  });
  test("oversized datagrams are refused before they reach the core", () => {
    const { e, logs } = engine();
    expect(e.datagram(0, new Uint8Array(abi.IN_CAP + 1), local, remote, false)).toBe(-1);
    expect(logs[0]).toContain("larger than the input buffer");
  });
  test("bad admin input gets an error and changes nothing", () => {
    const { e } = engine();
    expect(e.admin(0, abi.ADM_ADD_CONN, Uint8Array.of(1, 200, 0, 1))).toMatchObject({ ok: false, reply: expect.stringContaining("overruns") });
    expect(e.initiate(0, "nope")).toMatchObject({ ok: false, reply: 'no connection named "nope"' });
    expect(e.admin(0, 99)).toMatchObject({ ok: false });
    expect(e.status(0).conns).toEqual([]);
  });
});

// core/pump.ts never discards a command: one event may produce any number of them, and the
// core takes no further event until they are drained.
describe("command queue", () => {
  test("an event that produces thousands of commands loses none of them", () => {
    const n = 1500; // more than the 1,024 the queue once held
    const sent: SendCommand[] = [];
    const { east, now } = established(n, (c) => sent.push(c));
    // every IKE SA's liveness check falls due in one timer event (dpddelay=30)
    east.timeout(now + 31000);
    expect(sent).toHaveLength(n);
    expect(new Set(sent.map((c) => c.bytes[18]))).toEqual(new Set([37])); // INFORMATIONAL
    const spis = new Set(sent.map((c) => Array.from(c.bytes.subarray(0, 16)).join(",")));
    expect(spis.size).toBe(n); // one for each IKE SA
  }, 60000);
  test("the core refuses events while commands wait, and takes them once drained", () => {
    const { e, logs } = engine();
    const core = e.core;
    const [first] = corpusMessages("ikev2-psk-x25519-gcm");
    // a datagram for which there is no connection makes a log line (one per source: from
    // another, it makes another), here left undrained
    const other: Endpoint = { ...remote, addr: Uint8Array.of(192, 0, 2, 9) };
    e.datagram(1000, first.bytes, local, remote, false);
    expect(logs).toHaveLength(1);
    core.setInput(first.bytes);
    const m = core.bytes;
    m.set(endpointBytes(local), core.call("epPtr"));
    m.set(endpointBytes(other), core.call("epPtr") + abi.EP_REMOTE);
    expect(core.call("evDatagram", 1000, first.bytes.length, 0)).toBe(-1);
    expect(core.call("queuedCommands")).toBe(1);
    expect(core.call("evTimeout", 1001)).toBe(abi.EV_BUSY);
    expect(core.call("evDatagram", 1001, first.bytes.length, 0)).toBe(abi.EV_BUSY);
    expect(core.call("evAdmin", 1001, abi.ADM_STATUS, 0)).toBe(abi.EV_BUSY);
    expect(core.call("queuedCommands")).toBe(1); // refused events added nothing
    // the engine drains what waits and hands its own event in again
    e.timeout(1002);
    expect(core.call("queuedCommands")).toBe(0);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toBe(logs[0].replace("192.0.2.1", "192.0.2.9"));
  });
});
