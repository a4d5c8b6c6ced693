// Waiting for a whack command's outcome (whack --up, --down, --delete, --rekey-*, --deletestate),
// as Libreswan's whack does: the daemon streams the connection's log lines to the client and
// answers once the states tell how it went. Runtime-neutral; the daemon feeds it log lines and
// status (hosts/daemon.ts).
import type { EngineStatus, IkeStatus } from "./engine.ts";
import { RC_FATAL, RC_NORETRANSMISSION, type WhackProgress, type WhackResponse } from "./whack-protocol.ts";

// A connection as whack names it: "t", or one instance of a template, rw[1] or "rw"[1].
export interface ConnRef {
  name: string; // the connection's (or the template's) name
  instance: number | null; // the instance's number; null: the connection itself, whichever instance
}

export function parseConnRef(text: string): ConnRef {
  const m = /^"?([^"[\]]+)"?\[(\d{1,9})\]$/.exec(text);
  return m ? { name: m[1]!, instance: Number(m[2]) } : { name: text, instance: null };
}

export function refText(r: ConnRef): string {
  return r.instance === null ? `"${r.name}"` : `"${r.name}"[${r.instance}]`;
}

// Whether a log line is about the connection: pluto's lines start with its name, an
// instance's with "name"[N].
export function lineOf(r: ConnRef, line: string): boolean {
  const p = refText(r);
  if (!line.startsWith(p)) return false;
  const next = line.charAt(p.length);
  return next === " " || next === ":" || (r.instance === null && next === "[");
}

// A line that says why a negotiation did not succeed: the first one is the reason given.
const PROBLEM = /AUTHENTICATION_FAILED|NO_PROPOSAL_CHOSEN|TS_UNACCEPTABLE|INVALID_[A-Z_]+|failed|refused|rejected|no answer|giving up|not acceptable|no acceptable|does not match|does not verify|no pre-shared key|cannot /;
const NO_ANSWER = /no answer|retransmi/;
const REVIVAL = /keying attempt|supposed to be up/;

export function problemLine(line: string): boolean {
  return PROBLEM.test(line) && !REVIVAL.test(line);
}

export function ikeOf(st: EngineStatus, r: ConnRef): IkeStatus[] {
  return st.ike.filter((s) => s.conn === r.name && (r.instance === null || s.instance === r.instance));
}

// What is awaited, decided from the states of the connection after each event: null while
// it goes on.
export type Check = (ike: IkeStatus[], problem: string | null) => WhackResponse | null;

// The failure a problem line (or its absence) makes: Libreswan's exit status for it.
export function failure(problem: string | null, fallback: string): WhackResponse {
  const why = problem ?? fallback;
  return { ok: false, error: why, code: NO_ANSWER.test(why) ? RC_NORETRANSMISSION : RC_FATAL };
}

// whack --up: the IKE SA `serial` and a Child SA on it established; its end without that is
// the failure its first problem line names.
export function initiated(r: ConnRef, serial: number): Check {
  return (ike, problem) => {
    const sa = ike.find((s) => s.serial === serial);
    if (!sa) return failure(problem, `${refText(r)} #${serial}: the IKE SA is gone without being established`);
    if (sa.state !== "ESTABLISHED_IKE_SA") return null;
    const child = sa.children.find((c) => c.state === "ESTABLISHED_CHILD_SA");
    if (child) return { ok: true, text: `${refText(r)} #${serial}: IKE SA established, Child SA #${child.serial} established` };
    // a Child SA the kernel is still taking, or an exchange still in flight: not yet
    if (sa.outstanding || sa.queued > 0 || sa.children.some((c) => c.state === "CHILD_SA_LARVAL")) return null;
    return failure(problem, `${refText(r)} #${serial}: IKE SA established, but no Child SA`);
  };
}

// whack --down, --delete, --deletestate: the states that were there are gone.
export function gone(serials: Set<number>, text: string): Check {
  return (ike) => {
    for (const s of ike) {
      if (serials.has(s.serial)) return null;
      for (const c of s.children) if (serials.has(c.serial)) return null;
    }
    return { ok: true, text };
  };
}

// whack --rekey-ike / --rekey-child: a new established IKE SA (Child SA) that was not among
// `before`; a problem line with nothing more in flight on the IKE SA `on` is the failure.
export function rekeyed(r: ConnRef, kind: "IKE" | "Child", old: number, on: number, before: Set<number>): Check {
  return (ike, problem) => {
    for (const s of ike) {
      if (kind === "IKE" && s.state === "ESTABLISHED_IKE_SA" && !before.has(s.serial)) return { ok: true, text: `${refText(r)} #${old}: rekeyed: IKE SA #${s.serial} established` };
      if (kind === "Child") {
        const c = s.children.find((x) => x.state === "ESTABLISHED_CHILD_SA" && !before.has(x.serial));
        if (c) return { ok: true, text: `${refText(r)} #${old}: rekeyed: Child SA #${c.serial} established` };
      }
    }
    const sa = ike.find((s) => s.serial === on);
    if (!sa) return failure(problem, `${refText(r)} #${on}: the IKE SA went before the rekey was done`);
    if (problem !== null && !sa.outstanding && sa.queued === 0) return failure(problem, problem);
    return null;
  };
}

// One command waiting: its log lines go to the client as they come; `settle` is called after
// every event and answers once `check` decides, or at the deadline.
export class Wait {
  problem: string | null = null;
  check: Check | null = null; // set once the command has started
  private done = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  readonly result: Promise<WhackResponse>;
  private resolve!: (r: WhackResponse) => void;

  constructor(
    readonly ref: ConnRef,
    private readonly emit: (p: WhackProgress) => void,
    readonly deadline: number, // host ms
    waitMs: number,
    private readonly onDone: (w: Wait) => void,
  ) {
    this.result = new Promise((res) => (this.resolve = res));
    emit({ waitMs });
    // the deadline is also checked at each event; this timer covers a daemon with none
    this.timer = setTimeout(() => this.settle(null, deadline), waitMs + 1000);
  }

  line(l: string): void {
    if (this.done || !lineOf(this.ref, l)) return;
    if (this.problem === null && problemLine(l)) this.problem = l;
    this.emit({ log: l });
  }

  // status: the connection's states now (null: look only at the deadline)
  settle(st: EngineStatus | null, now: number): void {
    if (this.done) return;
    const r = st && this.check ? this.check(ikeOf(st, this.ref), this.problem) : null;
    if (r) return this.finish(r);
    if (now >= this.deadline) {
      this.finish({ ok: false, code: RC_NORETRANSMISSION, error: `${refText(this.ref)}: no outcome in the time the retransmissions take${this.problem ? ` (${this.problem})` : ""}; pluto goes on: whack --status shows where it is` });
    }
  }

  finish(r: WhackResponse): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.onDone(this);
    this.resolve(r);
  }
}
