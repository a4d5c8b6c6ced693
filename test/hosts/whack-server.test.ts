// The control socket's policy (hosts/whack-server.ts) with fake sockets and a clock the test
// moves: one request at a time, deadlines, the connection limit, the unread-answer budget, and
// log lines said once and then counted.
import { describe, expect, test } from "vitest";
import { WhackServer, WHACK_LIMITS, type WhackSocket, type WhackLimits } from "../../hosts/whack-server.ts";
import { LogLimiter } from "../../hosts/log-limit.ts";
import type { WhackProgress, WhackRequest, WhackResponse } from "../../hosts/whack-protocol.ts";
import { MAX_REQUEST } from "../../hosts/whack-protocol.ts";

class FakeSocket implements WhackSocket {
  out: string[] = []; // lines written
  pending: (() => void)[] = []; // taken() callbacks not yet called: a client that does not read
  reads = true; // the client takes what is written at once
  paused = false;
  ended = false;
  destroyed = false;
  write(bytes: Uint8Array, taken: () => void): void {
    expect(this.destroyed).toBe(false);
    this.out.push(new TextDecoder().decode(bytes));
    if (this.reads) queueMicrotask(taken);
    else this.pending.push(taken);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  take(): void {
    for (const t of this.pending.splice(0)) t();
  }
  answers(): WhackResponse[] {
    return this.out.join("").split("\n").filter((l) => l).map((l) => JSON.parse(l) as WhackResponse);
  }
}

function setup(limits: Partial<WhackLimits> = {}, handle?: (req: WhackRequest, emit: (p: WhackProgress) => void) => Promise<WhackResponse>) {
  const clock = { t: 1000 };
  const logs: string[] = [];
  const handled: WhackRequest[] = [];
  const server = new WhackServer({
    handle: handle ?? (async (req) => (handled.push(req), { ok: true, text: "x".repeat(1000) })),
    log: (l) => logs.push(l),
    now: () => clock.t,
    limits,
    sweepMs: 0,
  });
  const connect = () => {
    const s = new FakeSocket();
    return { s, c: server.accept(s) };
  };
  const after = async (ms: number) => {
    clock.t += ms;
    server.sweep();
    await settle();
  };
  return { clock, logs, handled, server, connect, after };
}
const enc = (s: string) => new TextEncoder().encode(s);
const settle = () => new Promise((r) => setTimeout(r, 0));
const status = '{"cmd":"briefstatus"}\n'; // status would add the line about the clients

describe("one request at a time", () => {
  test("a client that pipelines a thousand requests and never reads holds one answer, then is cut off", async () => {
    const { logs, handled, server, connect, after } = setup();
    const { s, c } = connect();
    s.reads = false;
    c.received(enc(status.repeat(1000)));
    await settle();
    expect(handled.length).toBe(1);
    expect(s.paused).toBe(true);
    expect(s.out.length).toBe(1);
    expect(server.unread).toBeGreaterThan(1000);
    await after(WHACK_LIMITS.answerMs / 2);
    expect(handled.length).toBe(1);
    expect(s.destroyed).toBe(false);
    await after(WHACK_LIMITS.answerMs / 2 + 1);
    expect(s.destroyed).toBe(true);
    expect(server.unread).toBe(0);
    expect(server.served.size).toBe(0);
    expect(logs).toContainEqual(expect.stringMatching(/^whack: cut off a client that left 1,0\d\d bytes of its answer unread for 10 s$/));
  });

  test("a client that reads gets its pipelined requests answered in order, one after another", async () => {
    const { handled, connect } = setup({}, undefined);
    const { s, c } = connect();
    c.received(enc('{"cmd":"status"}\n{"cmd":"briefstatus"}\n{"cmd":"trafficstatus"}\n'));
    for (let i = 0; i < 10; i++) await settle();
    expect(handled.map((r) => r.cmd)).toEqual(["status", "briefstatus", "trafficstatus"]);
    expect(s.answers().length).toBe(3);
    expect(s.paused).toBe(false);
  });

  test("a half-closed client is answered, then closed; a request cut by the end of input gets an error", async () => {
    const { connect } = setup();
    const a = connect();
    a.c.received(enc(status));
    a.c.ended();
    for (let i = 0; i < 5; i++) await settle();
    expect(a.s.answers().map((r) => r.ok)).toEqual([true]);
    expect(a.s.destroyed).toBe(true);
    const b = connect();
    b.c.received(enc('{"cmd":"sta'));
    b.c.ended();
    for (let i = 0; i < 5; i++) await settle();
    expect(b.s.answers()).toEqual([{ ok: false, error: "the connection ended inside a request (11 bytes without a newline)" }]);
    expect(b.s.destroyed).toBe(true);
  });

  test("bad requests are answered and logged once, then counted", async () => {
    const { logs, connect, after } = setup();
    const { s, c } = connect();
    c.received(enc("nonsense\n".repeat(50)));
    for (let i = 0; i < 200; i++) await settle();
    expect(s.answers().length).toBe(50);
    expect(s.answers().every((r) => !r.ok && /not JSON/.test(r.error!))).toBe(true);
    expect(logs.filter((l) => l.startsWith("whack: bad request")).length).toBe(1);
    await after(10_001);
    expect(logs).toContain("whack: 49 more bad requests in the last 10 s");
  });
});

describe("request deadline", () => {
  test("a client trickling a byte at a time is told and closed when its line is not complete in time", async () => {
    const { logs, connect, after, server } = setup();
    const slow = Array.from({ length: 64 }, () => connect());
    for (let i = 0; i < 9; i++) {
      for (const { c } of slow) c.received(enc("{"));
      await after(1000);
    }
    expect(slow.every(({ s }) => s.out.length === 0)).toBe(true);
    await after(1001);
    for (const { s } of slow) {
      expect(s.answers()).toEqual([{ ok: false, error: "no complete request within 10 s: closing" }]);
      expect(s.ended).toBe(true);
    }
    expect(server.served.size).toBe(0);
    expect(logs.filter((l) => l === "whack: cut off a client: no complete request within 10 s").length).toBe(1);
    await after(WHACK_LIMITS.lingerMs + 1);
    expect(slow.every(({ s }) => s.destroyed)).toBe(true);
    expect(server.leaving.size).toBe(0);
    await after(10_000);
    expect(logs).toContain("whack: cut off 63 more clients in the last 10 s: no complete request within 10 s");
  });

  test("a line longer than MAX_REQUEST is refused and the client closed", async () => {
    const { connect, logs } = setup();
    const { s, c } = connect();
    c.received(new Uint8Array(MAX_REQUEST + 1).fill(0x41));
    expect(s.answers()).toEqual([{ ok: false, error: `request too long: more than ${MAX_REQUEST} bytes without a newline: closing` }]);
    expect(logs).toContain("whack: cut off a client: request longer than 65,536 bytes");
  });
});

describe("connection limit and fair service", () => {
  test("past the limit a newcomer is refused with a line while everyone is fresh, and takes a stalled client's place after the grace", async () => {
    const { connect, after, server, logs, handled } = setup({ maxClients: 3 });
    const held = [connect(), connect(), connect()];
    for (const { c } of held) c.received(enc('{"cmd":'));
    const refused = connect();
    await settle();
    expect(refused.s.answers()).toEqual([{ ok: false, error: "pluto is serving 3 whack clients, the most it takes at once: try again" }]);
    expect(refused.s.ended).toBe(true);
    expect(refused.s.paused).toBe(false); // its request is read and dropped, so its write cannot fail
    refused.c.received(enc(status));
    refused.c.ended();
    expect(refused.s.destroyed).toBe(true);
    expect(handled.length).toBe(0);
    await after(WHACK_LIMITS.graceMs);
    const admin = connect();
    expect(held[0].s.answers()[0].error).toMatch(/^closing: no complete request after 1 s, and another client needed the place \(3 are served at once\)$/);
    expect(held[1].s.out.length + held[2].s.out.length).toBe(0);
    admin.c.received(enc('{"cmd":"status"}\n'));
    await settle();
    expect(admin.s.answers()[0].ok).toBe(true);
    expect(server.totals).toMatchObject({ accepted: 4, refused: 1, evicted: 1 });
    expect(admin.s.answers()[0].text).toMatch(/\n000 whack clients: 3 served \(at most 3\); since start 4 accepted, 1 refused, 1 closed to make room, 0 cut off$/);
    expect(logs).toContain("whack: refused a client: 3 clients served, the limit, none of them stalled");
  });

  test("refused clients past maxRefusing are closed as soon as the refusal is written", async () => {
    const { connect } = setup({ maxClients: 1, maxRefusing: 2 });
    connect();
    const r = [connect(), connect(), connect()];
    await settle();
    expect(r.map(({ s }) => s.answers()[0].error)).toEqual(Array(3).fill("pluto is serving 1 whack clients, the most it takes at once: try again"));
    expect(r.map(({ s }) => s.destroyed)).toEqual([false, false, true]);
  });

  test("a refused client lingers from when its refusal was taken, and one that never takes it is closed at the answer deadline", async () => {
    const { connect, after, server } = setup({ maxClients: 1, requestMs: 1e9, graceMs: 1e9 }); // the one place stays taken
    connect();
    const slow = new FakeSocket();
    slow.reads = false;
    server.accept(slow);
    await after(WHACK_LIMITS.lingerMs + 1);
    expect(slow.destroyed).toBe(false); // its refusal is not taken yet: the linger has not begun
    await after(WHACK_LIMITS.answerMs);
    expect(slow.destroyed).toBe(true);
    const late = new FakeSocket();
    late.reads = false;
    server.accept(late);
    await after(WHACK_LIMITS.lingerMs);
    late.take();
    expect(late.ended).toBe(true);
    await after(WHACK_LIMITS.lingerMs - 1);
    expect(late.destroyed).toBe(false);
    await after(2);
    expect(late.destroyed).toBe(true);
    expect(server.leaving.size).toBe(0);
  });

  test("a client that is being answered is not a stalled one", async () => {
    let release!: () => void;
    const { connect, after } = setup({ maxClients: 1 }, () => new Promise((res) => (release = () => res({ ok: true, text: "late" }))));
    const busy = connect();
    busy.c.received(enc(status));
    await after(WHACK_LIMITS.graceMs * 5);
    const next = connect();
    await settle();
    expect(next.s.answers()[0].error).toMatch(/the most it takes at once/);
    release();
    await settle();
    expect(busy.s.answers()).toEqual([{ ok: true, text: "late" }]);
  });
});

describe("unread answers, all clients together", () => {
  test("past maxUnread the answer that has waited longest goes, with its client", async () => {
    const { connect, server, logs, clock } = setup({ maxUnread: 2500 });
    const a = connect();
    const b = connect();
    const c = connect();
    for (const x of [a, b, c]) x.s.reads = false;
    a.c.received(enc(status));
    await settle();
    clock.t += 10;
    b.c.received(enc(status));
    await settle();
    expect(server.unread).toBeLessThanOrEqual(2500);
    expect(a.s.destroyed).toBe(false);
    clock.t += 10;
    c.c.received(enc(status));
    await settle();
    expect(a.s.destroyed).toBe(true);
    expect(b.s.destroyed).toBe(false);
    expect(server.unread).toBeLessThanOrEqual(2500);
    expect(logs).toContainEqual(expect.stringMatching(/^whack: cut off a client that left 1,0\d\d bytes unread, to keep all unread answers under 2,500 bytes$/));
    b.s.take();
    c.s.take();
    expect(server.unread).toBe(0);
  });
});

describe("commands that wait and stream progress", () => {
  // a handler that streams `lines` progress lines, one per turn, then answers
  const streaming = (lines: number, finished: { n: number }) => async (_req: WhackRequest, emit: (p: WhackProgress) => void) => {
    for (let i = 0; i < lines; i++) {
      emit({ log: `"t" #1: line ${i} ${"x".repeat(80)}` });
      await settle();
    }
    finished.n++;
    return { ok: true, text: "done" } as WhackResponse;
  };

  test("progress lines come before the answer, in order", async () => {
    const finished = { n: 0 };
    const { connect } = setup({}, streaming(3, finished));
    const { s, c } = connect();
    c.received(enc('{"cmd":"initiate","name":"t"}\n'));
    for (let i = 0; i < 10; i++) await settle();
    const lines = s.out.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as WhackProgress & WhackResponse);
    expect(lines.map((l) => l.log ?? l.text)).toEqual([0, 1, 2].map((i) => `"t" #1: line ${i} ${"x".repeat(80)}`).concat(["done"]));
    expect(finished.n).toBe(1);
  });

  test("a client that goes away while its command waits changes nothing: the command completes, nothing is written to it", async () => {
    const finished = { n: 0 };
    const { connect, server } = setup({}, streaming(20, finished));
    const { s, c } = connect();
    c.received(enc('{"cmd":"initiate","name":"t"}\n'));
    await settle();
    await settle();
    const before = s.out.length;
    s.destroyed = true; // writing to it now would fail the FakeSocket's check
    c.closed();
    for (let i = 0; i < 40; i++) await settle();
    expect(finished.n).toBe(1);
    expect(s.out.length).toBe(before);
    expect(server.served.size).toBe(0);
    expect(server.unread).toBe(0);
  });

  test("a client that does not read holds at most maxStream bytes of progress; the rest is counted and it is told", async () => {
    const finished = { n: 0 };
    const { connect, server } = setup({ maxStream: 4096 }, streaming(1000, finished));
    const { s, c } = connect();
    s.reads = false;
    c.received(enc('{"cmd":"initiate","name":"t"}\n'));
    let most = 0;
    for (let i = 0; i < 1010; i++) {
      await settle();
      most = Math.max(most, server.unread);
    }
    expect(finished.n).toBe(1);
    expect(most).toBeLessThanOrEqual(4096 + 300); // the progress bound, then the note and the answer
    const lines = s.out.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as WhackProgress & WhackResponse);
    const sent = lines.filter((l) => l.log?.startsWith('"t"')).length;
    expect(sent).toBeGreaterThan(10);
    expect(sent).toBeLessThan(60);
    expect(lines.at(-2)!.log).toBe(`whack: ${(1000 - sent).toLocaleString("en-US")} log lines were not sent: this client took them too slowly (pluto's log has them)`);
    expect(lines.at(-1)).toEqual({ ok: true, text: "done" });
    s.take();
    expect(server.unread).toBe(0);
  });
});

describe("LogLimiter", () => {
  test("the first of a kind at once, the rest counted per window, quiet kinds forgotten", () => {
    const out: string[] = [];
    const l = new LogLimiter((x) => out.push(x), 10_000);
    const many = (n: number, s: number) => `${n} more in ${s} s`;
    for (let t = 0; t < 5000; t += 10) l.note("k", t, "first", many);
    l.note("other", 100, "other first", many);
    expect(out).toEqual(["first", "other first"]);
    l.flush(10_000);
    expect(out).toEqual(["first", "other first", "499 more in 10 s"]);
    l.note("k", 12_000, "first", many);
    l.flush(20_001);
    expect(out.slice(3)).toEqual(["1 more in 10 s"]);
    l.flush(30_002);
    expect(l.pending).toBe(false);
    l.note("k", 30_003, "first", many);
    expect(out.at(-1)).toBe("first");
  });
});
