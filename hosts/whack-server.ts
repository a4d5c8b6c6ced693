// The control socket's serving policy, shared by the Node and the Deno daemon: the hosts bring
// only the socket calls (a WhackSocket for each accepted connection) and feed what they read.
//
// No client can monopolise the socket or the daemon's memory:
// - One request at a time per client: its next line is not read until the answer to the last
//   one has been taken by the kernel, so a client that sends a thousand `status` requests and
//   never reads holds one answer, not a thousand; reading pauses meanwhile (backpressure).
// - A request line must be complete within `requestMs` of the client's turn (its connect or
//   its last answer taken), however it trickles in; else the client is told so and closed.
// - An answer must be taken within `answerMs`; a client that does not read is cut off, and all
//   clients' untaken answers together stay under `maxUnread` bytes (past it, the answer that
//   has waited longest goes, with its client).
// - A command that waits for its outcome streams progress lines (the connection's log) while
//   it waits; a client's untaken progress stays under `maxStream` bytes: past it, lines are
//   not sent but counted, and the client is told how many before its answer. A client that
//   goes away meanwhile changes nothing: the command completes in the daemon all the same.
// - At most `maxClients` are served at once. One more takes the place of the client stalled
//   longest (no complete line, or an answer untaken, for over `graceMs`), so an administrator's
//   `whack --status` gets in while misbehaving clients hold every place; when none is stalled,
//   the newcomer is refused with a line saying why, which whack prints. A refused client's
//   request is read and dropped before the close (for up to `lingerMs`), so it gets the
//   refusal, not EPIPE.
// Log lines about clients refused or cut off are rate-limited with counts (hosts/log-limit.ts).
import { parseRequest, MAX_REQUEST, type WhackProgress, type WhackRequest, type WhackResponse } from "./whack-protocol.ts";
import { LogLimiter } from "./log-limit.ts";

// One accepted connection, as the host's runtime offers it.
export interface WhackSocket {
  // queue bytes for the client; taken() once the kernel has all of them (never on failure:
  // the host reports a broken connection with closed())
  write(bytes: Uint8Array, taken: () => void): void;
  pause(): void; // deliver no more received bytes until resume()
  resume(): void;
  end(): void; // no more output (what was written is taken): half-close, keep reading
  destroy(): void; // close now
}

export interface WhackLimits {
  maxClients: number; // served at once
  requestMs: number; // from a client's turn to the end of its request line
  answerMs: number; // for a client to take its answer
  graceMs: number; // stalled this long, a client may lose its place to a newcomer
  lingerMs: number; // a refused or cut-off client's input is read and dropped this long
  maxRefusing: number; // refused clients lingering at once; past it they are closed at once
  maxUnread: number; // bytes of untaken answers, all clients together
  maxStream: number; // bytes of untaken progress lines, per client
}

export const WHACK_LIMITS: WhackLimits = {
  maxClients: 256,
  requestMs: 10_000,
  answerMs: 10_000,
  graceMs: 1_000,
  lingerMs: 2_000,
  maxRefusing: 1024,
  maxUnread: 32 << 20,
  maxStream: 64 << 10,
};

export interface WhackServerOptions {
  // the answer to req; progress lines for the client may be given to emit meanwhile
  handle(req: WhackRequest, emit: (p: WhackProgress) => void): Promise<WhackResponse>;
  answered?(req: WhackRequest): void; // after the answer to req was queued (shutdown)
  log(line: string): void;
  now(): number; // milliseconds
  limits?: Partial<WhackLimits>;
  sweepMs?: number; // how often deadlines are checked; 0: the caller calls sweep()
}

type Phase = "reading" | "busy" | "writing" | "closing" | "closed";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const count = (n: number) => n.toLocaleString("en-US");
const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export class WhackServer {
  readonly limits: WhackLimits;
  readonly served = new Set<WhackClient>();
  readonly leaving = new Set<WhackClient>(); // told why, input dropped until they close
  readonly totals = { accepted: 0, refused: 0, evicted: 0, cutOff: 0 };
  unread = 0; // bytes of queued answers not yet taken
  private readonly logs: LogLimiter;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly opts: WhackServerOptions) {
    this.limits = { ...WHACK_LIMITS, ...opts.limits };
    this.logs = new LogLimiter(opts.log);
  }

  // A new connection: served, served in a stalled client's place, or refused.
  accept(sock: WhackSocket): WhackClient {
    const now = this.opts.now();
    const c = new WhackClient(this, sock, now);
    this.arm();
    if (this.served.size >= this.limits.maxClients) {
      const stalled = this.stalest(now);
      if (!stalled) {
        this.refuse(c);
        return c;
      }
      this.totals.evicted++;
      const why = stalled.phase === "reading" ? `no complete request after ${secs(now - stalled.since)}` : `its answer untaken for ${secs(now - stalled.since)}`;
      this.note("evicted", `whack: closed a client (${why}) to make room for a new one (${this.limits.maxClients} served at once, the limit)`,
        (n, s) => `whack: closed ${count(n)} more stalled clients in the last ${s} s to make room for new ones`);
      // one with an answer queued cannot be told more: it is closed
      if (stalled.phase === "writing") stalled.close();
      else stalled.leave(`closing: ${why}, and another client needed the place (${this.limits.maxClients} are served at once)`);
    }
    this.totals.accepted++;
    this.served.add(c);
    return c;
  }

  // The daemon's answer; `whack --status` gets a line about the control socket's clients too.
  async handle(req: WhackRequest, emit: (p: WhackProgress) => void = () => {}): Promise<WhackResponse> {
    const r = await this.opts.handle(req, emit).catch((e) => ({ ok: false, error: String((e as Error).message) }) as WhackResponse);
    if (req.cmd !== "status" || !r.ok || r.text === undefined) return r;
    const t = this.totals;
    return { ...r, text: `${r.text}\n000 whack clients: ${this.served.size} served (at most ${this.limits.maxClients}); since start ${count(t.accepted)} accepted, ${count(t.refused)} refused, ${count(t.evicted)} closed to make room, ${count(t.cutOff)} cut off` };
  }

  // accept(2) failed (EMFILE, ENFILE, ...): that client is lost, the socket serves on.
  acceptFailed(message: string): void {
    this.note("accept", `whack: cannot accept a client: ${message}`, (n, s) => `whack: cannot accept ${count(n)} more clients in the last ${s} s`);
  }

  // Deadlines: clients whose request or answer is overdue are cut off, lingering ones closed.
  sweep(): void {
    const now = this.opts.now();
    const l = this.limits;
    for (const c of this.served) {
      if (c.phase === "reading" && now - c.since > l.requestMs) {
        this.totals.cutOff++;
        this.note("request", `whack: cut off a client: no complete request within ${secs(l.requestMs)}`,
          (n, s) => `whack: cut off ${count(n)} more clients in the last ${s} s: no complete request within ${secs(l.requestMs)}`);
        c.leave(`no complete request within ${secs(l.requestMs)}: closing`);
      } else if (c.phase === "writing" && now - c.since > l.answerMs) {
        this.totals.cutOff++;
        this.note("answer", `whack: cut off a client that left ${count(c.queued)} bytes of its answer unread for ${secs(l.answerMs)}`,
          (n, s) => `whack: cut off ${count(n)} more clients in the last ${s} s that left their answers unread for ${secs(l.answerMs)}`);
        c.close();
      }
    }
    // lingering starts once the client has been told; telling is bounded as an answer is
    for (const c of this.leaving) if (now - c.since > (c.told ? l.lingerMs : l.answerMs)) c.close();
    this.logs.flush(now);
    if (!this.served.size && !this.leaving.size && !this.logs.pending) this.disarm();
  }

  // Stops the deadline timer (the daemon is stopping).
  disarm(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  // Room for an answer of n bytes: past maxUnread, the other clients' answers that have waited
  // longest go, with their clients (a reader takes its answer at once; these did not).
  reserve(c: WhackClient, n: number): void {
    this.unread += n;
    while (this.unread > this.limits.maxUnread) {
      let oldest: WhackClient | null = null;
      for (const o of this.served) if (o !== c && o.phase === "writing" && (!oldest || o.since < oldest.since)) oldest = o;
      if (!oldest) break; // this answer alone is over the bound: it is the only one
      this.totals.cutOff++;
      this.note("unread", `whack: cut off a client that left ${count(oldest.queued)} bytes unread, to keep all unread answers under ${count(this.limits.maxUnread)} bytes`,
        (k, s) => `whack: cut off ${count(k)} more clients in the last ${s} s to keep all unread answers under ${count(this.limits.maxUnread)} bytes`);
      oldest.close();
    }
  }

  note(kind: string, line: string, many: (n: number, secs: number) => string): void {
    this.logs.note(kind, this.opts.now(), line, many);
  }

  private refuse(c: WhackClient): void {
    this.totals.refused++;
    this.note("refused", `whack: refused a client: ${this.limits.maxClients} clients served, the limit, none of them stalled`,
      (n, s) => `whack: refused ${count(n)} more clients in the last ${s} s (${this.limits.maxClients} are served at once)`);
    const msg = `pluto is serving ${this.limits.maxClients} whack clients, the most it takes at once: try again`;
    if (this.leaving.size >= this.limits.maxRefusing) c.tell(msg, false);
    else c.leave(msg);
  }

  private stalest(now: number): WhackClient | null {
    let s: WhackClient | null = null;
    for (const c of this.served) {
      if ((c.phase === "reading" || c.phase === "writing") && now - c.since >= this.limits.graceMs && (!s || c.since < s.since)) s = c;
    }
    return s;
  }

  private arm(): void {
    const every = this.opts.sweepMs ?? 250;
    if (this.timer === null && every > 0) this.timer = setInterval(() => this.sweep(), every);
  }
}

// One connection. The host calls received() with what it reads, ended() at end of input and
// closed() when the connection is gone (closed by either side, or broken).
export class WhackClient {
  phase: Phase = "reading";
  since: number; // when the current phase began
  queued = 0; // bytes of the answer being taken
  streamed = 0; // bytes of progress lines written and not yet taken
  dropped = 0; // progress lines not sent (over maxStream) for the current request
  told = false; // closing: the client has its last line
  private buf = new Uint8Array(0);
  private eof = false;

  constructor(
    private readonly server: WhackServer,
    private readonly sock: WhackSocket,
    now: number,
  ) {
    this.since = now;
  }

  received(bytes: Uint8Array): void {
    if (this.phase === "closing" || this.phase === "closed") return; // a refused or cut-off client's input: dropped
    const b = new Uint8Array(this.buf.length + bytes.length);
    b.set(this.buf);
    b.set(bytes, this.buf.length);
    this.buf = b;
    if (this.phase === "reading") this.next();
    else if (this.buf.length > 2 * MAX_REQUEST) this.tooLong(); // paused, yet the runtime kept delivering
  }

  ended(): void {
    if (this.phase === "closing") return this.close();
    this.eof = true;
    if (this.phase === "reading") this.next();
  }

  closed(): void {
    if (this.phase === "closed") return;
    if (this.phase === "writing") this.server.unread -= this.queued;
    this.server.unread -= this.streamed;
    this.queued = 0;
    this.streamed = 0;
    this.phase = "closed";
    this.server.served.delete(this);
    this.server.leaving.delete(this);
  }

  close(): void {
    this.sock.destroy();
    this.closed();
  }

  // Says why, then closes once the client has read it (or after lingerMs) and drops its input.
  leave(error: string): void {
    this.tell(error, true);
  }

  tell(error: string, linger: boolean): void {
    if (this.phase === "writing") this.server.unread -= this.queued;
    this.server.unread -= this.streamed;
    this.queued = 0;
    this.streamed = 0;
    this.server.served.delete(this);
    this.phase = "closing";
    this.since = this.server.opts.now();
    if (linger) this.server.leaving.add(this);
    this.sock.resume(); // read and drop whatever it sends, so its write does not fail
    this.sock.write(encoder.encode(JSON.stringify({ ok: false, error } satisfies WhackResponse) + "\n"), () => {
      if (this.phase !== "closing") return;
      this.told = true;
      this.since = this.server.opts.now();
      if (linger && !this.eof) this.sock.end();
      else this.close();
    });
  }

  // The next complete line, if there is one: parsed and handed on; reading waits meanwhile.
  private next(): void {
    for (;;) {
      const i = this.buf.indexOf(10);
      if (i < 0) {
        if (this.buf.length > MAX_REQUEST) return this.tooLong();
        if (this.eof) {
          if (this.buf.length === 0) return this.close();
          const n = this.buf.length;
          this.buf = new Uint8Array(0);
          return this.answer({ ok: false, error: `the connection ended inside a request (${count(n)} bytes without a newline)` });
        }
        return;
      }
      const line = decoder.decode(this.buf.subarray(0, i));
      this.buf = this.buf.slice(i + 1);
      if (!line.trim()) continue;
      this.phase = "busy";
      this.sock.pause();
      const p = parseRequest(line);
      if (!p.ok) {
        this.server.note("bad", `whack: bad request: ${p.error}`, (n, s) => `whack: ${count(n)} more bad requests in the last ${s} s`);
        return this.answer({ ok: false, error: p.error });
      }
      this.dropped = 0;
      void this.server.handle(p.req, (x) => this.progress(x)).then((r) => this.answer(r, p.req));
      return;
    }
  }

  // A progress line while the request is being handled; over maxStream untaken, counted instead.
  private progress(p: WhackProgress): void {
    if (this.phase !== "busy") return; // cut off or gone meanwhile: the command goes on
    const bytes = encoder.encode(JSON.stringify(p) + "\n");
    if (this.streamed + bytes.length > this.server.limits.maxStream) {
      this.dropped++;
      return;
    }
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    this.streamed += bytes.length;
    this.server.reserve(this, bytes.length);
    this.sock.write(bytes, () => {
      if (this.phase === "closed" || this.phase === "closing") return; // accounted for when it closed
      this.streamed -= bytes.length;
      this.server.unread -= bytes.length;
    });
  }

  private answer(r: WhackResponse, req?: WhackRequest): void {
    if (this.phase !== "busy" && this.phase !== "reading") return; // cut off or gone meanwhile
    if (this.dropped > 0) {
      this.write(encoder.encode(JSON.stringify({ log: `whack: ${count(this.dropped)} log lines were not sent: this client took them too slowly (pluto's log has them)` } satisfies WhackProgress) + "\n"));
      this.dropped = 0;
    }
    const bytes = encoder.encode(JSON.stringify(r) + "\n");
    this.phase = "writing";
    this.since = this.server.opts.now();
    this.queued = bytes.length;
    this.server.reserve(this, bytes.length);
    this.sock.write(bytes, () => this.taken());
    if (req) this.server.opts.answered?.(req);
  }

  private taken(): void {
    if (this.phase !== "writing") return;
    this.server.unread -= this.queued;
    this.queued = 0;
    this.phase = "reading";
    this.since = this.server.opts.now();
    this.next();
    if (this.phase === "reading" && !this.eof) this.sock.resume();
  }

  private tooLong(): void {
    this.server.totals.cutOff++;
    this.server.note("long", `whack: cut off a client: request longer than ${count(MAX_REQUEST)} bytes`,
      (n, s) => `whack: cut off ${count(n)} more clients in the last ${s} s: requests longer than ${count(MAX_REQUEST)} bytes`);
    this.buf = new Uint8Array(0);
    this.leave(`request too long: more than ${MAX_REQUEST} bytes without a newline: closing`);
  }
}
