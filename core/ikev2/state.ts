// State shared by the IKEv2 exchanges: the clock of the current event, logging in pluto's
// style, sending with retransmission, helper jobs, the exchange queue, deleting, lifetimes.
// The exchanges (ike_sa_init.ts, ...) import this; engine.ts dispatches events to them.
import { log, send, helperJob } from "../pump";
import * as C from "../crypto";
import {
  IkeSa, ChildSa, Pending, removeIke, findChildAnywhere, ESTABLISHED_IKE_SA, IKE_SA_DEAD, CHILD_SA_DEAD,
  CHILD_SA_DELETING, ESTABLISHED_CHILD_SA, X_DELETE_CHILD, X_REKEY_CHILD, X_DELETE_SPI, X_CREATE_CHILD, X_DELETE_IKE, allIke,
} from "../sa/sa";
import { LOG_INFO, LOG_DEBUG, REG_NOTIFY_V2 } from "../abi";
import { nameOf } from "../names/index";
import { kernelDelChild } from "../kernel";
import { Conn, KIND_INSTANCE, KIND_TEMPLATE, instantiate, removeConn } from "../conn/conn";
import { ikeGone } from "./revival";

export const IKE_SA_INIT = 34;
export const IKE_AUTH = 35;
export const CREATE_CHILD_SA = 36;
export const INFORMATIONAL = 37;

export let now: f64 = 0;
export function setNow(t: f64): void {
  now = t;
}

// The endpoint buffer shared with the host (abi.ts EP layout).
export const EP: usize = heap.alloc(64);

// ---- logging in pluto's style: "conn" #serial: what happened -------------------------------
export function logSa(sa: IkeSa, level: i32, what: string): void {
  log(level, sa.conn.label + " #" + sa.serial.toString() + ": " + what);
}
export function logChild(c: ChildSa, level: i32, what: string): void {
  log(level, c.ike.conn.label + " #" + c.serial.toString() + ": " + what);
}

// A duration for people: milliseconds as seconds with one decimal ("15.0 s", "63.5 s").
export function secsText(ms: f64): string {
  const tenths = <i64>Math.round(ms / 100);
  return (tenths / 10).toString() + "." + (tenths % 10).toString() + " s";
}

// A notify type by its registry name (NO_PROPOSAL_CHOSEN), its number where it has none.
export function notifyName(t: i32): string {
  const n = nameOf(REG_NOTIFY_V2, t);
  return n.length > 0 ? n : "notify " + t.toString();
}

// ---- instances -------------------------------------------------------------------------------
// The connection an IKE SA settles on: a template becomes an instance for this peer (the one
// the SA already has, if it is that template's); an instance left behind goes when no IKE SA
// uses it any more.
export function settleConn(sa: IkeSa, prev: Conn, c: Conn): Conn {
  let use = c;
  if (c.kind == KIND_TEMPLATE) {
    use = prev.kind == KIND_INSTANCE && prev.template === c ? prev : instantiate(c, sa.remote);
  }
  sa.conn = use;
  if (prev !== use) releaseInstance(prev);
  return use;
}

export function releaseInstance(c: Conn): void {
  if (c.kind != KIND_INSTANCE) return;
  for (let i = 0; i < allIke.length; i++) if (allIke[i].conn === c && allIke[i].state != IKE_SA_DEAD) return;
  log(LOG_DEBUG, c.label + ": deleting connection instance");
  removeConn(c);
}

// ---- sending ---------------------------------------------------------------------------------
export function sendTo(sa: IkeSa, datagrams: Array<Uint8Array>): void {
  for (let i = 0; i < datagrams.length; i++) send(sa.local, sa.remote, datagrams[i], sa.natT);
}

// Sends our request and arms its retransmission (RFC 7296 2.1 and 2.4).
export function sendRequest(sa: IkeSa, what: i32, arg: i32, datagrams: Array<Uint8Array>): void {
  sa.outstanding = datagrams;
  sa.outstandingId = sa.nextRequestId;
  sa.outstandingWhat = what;
  sa.outstandingArg = arg;
  sa.nextRequestId++;
  sa.retransmits = 0;
  sa.requestAt = now;
  sa.retransmitAt = now + sa.conn.retransmitBase;
  sendTo(sa, datagrams);
}

// Sends our response to the peer's request `msgid` and keeps it for retransmitted requests.
export function sendResponse(sa: IkeSa, msgid: u32, datagrams: Array<Uint8Array>): void {
  sa.lastResponse = datagrams;
  sa.lastResponseId = msgid;
  sa.expectRequestId = msgid + 1;
  sa.busyRequest = false;
  sendTo(sa, datagrams);
}

// The request in flight got its answer: the window opens for the next queued exchange.
export function requestDone(sa: IkeSa): void {
  sa.outstanding = null;
  sa.outstandingWhat = 0;
  sa.retransmitAt = 0;
  sa.preparing = false;
}

// ---- helper jobs -----------------------------------------------------------------------------
export class Job {
  constructor(public id: i32, public ike: i32, public purpose: i32, public arg: i32) {}
}
export const jobs = new Map<i32, Job>();
let nextJob = 1;

export function submitJob(sa: IkeSa, purpose: i32, arg: i32, kind: i32, request: Uint8Array): void {
  const id = nextJob++;
  jobs.set(id, new Job(id, sa.serial, purpose, arg));
  sa.pendingJob = id;
  helperJob(id, kind, request);
}

// Purposes of helper jobs (which state resumes with the result)
export const P_INIT = 1; // ike_sa_init.ts: our KE for IKE_SA_INIT
export const P_INIT_KEYS = 2; // ike_sa_init.ts / ike_auth.ts: SKEYSEED and the IKE keys
export const P_CHILD = 3; // create_child_sa.ts: KE and keys for CREATE_CHILD_SA
// ---- the exchange queue ----------------------------------------------------------------------
export function queueExchange(sa: IkeSa, what: i32, arg: i32): void {
  for (let i = 0; i < sa.queue.length; i++) {
    if (sa.queue[i].what == what && sa.queue[i].arg == arg) return;
  }
  sa.queue.push(new Pending(what, arg));
  kick(sa);
}

// Starts the next queued exchange when the window is free (engine.ts registers the starter).
let starter: (sa: IkeSa, what: i32, arg: i32) => void = (sa: IkeSa, what: i32, arg: i32): void => {};
export function setStarter(f: (sa: IkeSa, what: i32, arg: i32) => void): void {
  starter = f;
}
export function kick(sa: IkeSa): void {
  while (sa.state == ESTABLISHED_IKE_SA && sa.outstanding === null && !sa.preparing && sa.queue.length > 0) {
    const p = sa.queue.shift();
    if (p.what == X_DELETE_CHILD || p.what == X_REKEY_CHILD) {
      // an exchange about a Child SA runs on the IKE SA that has it now: an IKE SA rekey moves
      // Child SAs to the new IKE SA (RFC 7296 2.18), and the old one is about to be deleted
      const c = findChildAnywhere(p.arg);
      if (c === null) continue;
      if (c.ike !== sa) {
        queueExchange(c.ike, p.what, p.arg);
        continue;
      }
    }
    logSa(sa, LOG_DEBUG, "starting queued exchange " + p.what.toString() + " (" + p.arg.toString() + ")");
    starter(sa, p.what, p.arg);
  }
}

// ---- deleting --------------------------------------------------------------------------------
export function deleteChildLocal(c: ChildSa, why: string): void {
  if (c.state == CHILD_SA_DEAD) return;
  c.state = CHILD_SA_DEAD;
  kernelDelChild(c);
  logChild(c, LOG_INFO, "deleted Child SA (" + why + ")");
  const i = c.ike.children.indexOf(c);
  if (i >= 0) c.ike.children.splice(i, 1);
}

export function deleteIkeLocal(sa: IkeSa, why: string, level: i32 = LOG_INFO): void {
  if (sa.state == IKE_SA_DEAD) return;
  // a new IKE SA of a rekey that goes before it is complete: the old one forgets it
  const old = sa.rekeyedOf;
  if (old !== null) {
    if (old.rekeyNew === sa) {
      old.rekeyNew = null;
      old.preparing = false;
    }
    if (old.rekeyedByPeer === sa) old.rekeyedByPeer = null;
  }
  // a reauthentication that replaces this one, or that this one was, forgets it
  if (sa.reauthOf !== null) sa.reauthOf!.reauthBy = null;
  if (sa.reauthBy !== null) sa.reauthBy!.reauthOf = null;
  sa.reauthOf = null;
  sa.reauthBy = null;
  // a rekey of this IKE SA that has not completed goes with it
  const ours = sa.rekeyNew;
  sa.rekeyNew = null;
  if (ours !== null && ours.state != ESTABLISHED_IKE_SA) deleteIkeLocal(ours, "the IKE SA it was to replace is gone");
  const theirs = sa.rekeyedByPeer;
  sa.rekeyedByPeer = null;
  if (theirs !== null && theirs.state != ESTABLISHED_IKE_SA) deleteIkeLocal(theirs, "the IKE SA it was to replace is gone");
  // an IKE SA that was replaced hands its Child SAs, and the exchanges queued about them, to
  // its successor (RFC 7296 2.18: they are inherited by the new IKE SA), whatever the reason
  // it goes away now
  const heir = heirOf(sa.successor);
  if (heir !== null && heir !== sa && (sa.children.length > 0 || sa.queue.length > 0)) {
    logSa(sa, LOG_DEBUG, "Child SAs move to IKE SA #" + heir.serial.toString());
    moveChildren(sa, heir);
  }
  // a Child SA our lost request may have made on the peer's side: delete it over the IKE SA
  // that replaces this one, so that no half of a pair is left behind
  const larval = sa.childInFlight;
  if (sa.outstanding !== null && larval !== null && larval.spiIn != 0) {
    let o = heir !== sa ? heir : null;
    for (let i = 0; i < allIke.length && o === null; i++) {
      const x = allIke[i];
      if (x !== sa && x.conn === sa.conn && x.state == ESTABLISHED_IKE_SA && x.remote.sameAddr(sa.remote)) o = x;
    }
    if (o !== null) queueExchange(o, X_DELETE_SPI, <i32>larval.spiIn);
  }
  // an exchange about a Child SA that moved to another IKE SA is started again there
  if (sa.outstanding !== null) {
    const c = findChildAnywhere(sa.outstandingArg);
    if (c !== null && c.ike !== sa) {
      if (sa.outstandingWhat == X_DELETE_CHILD && c.state == CHILD_SA_DELETING) {
        c.state = ESTABLISHED_CHILD_SA;
        queueExchange(c.ike, X_DELETE_CHILD, c.serial);
      } else if (sa.outstandingWhat == X_REKEY_CHILD && c.rekeyedByUs !== null) {
        c.rekeyedByUs = null;
        c.rekeyAt = now + 1000;
      }
    }
  }
  while (sa.children.length > 0) deleteChildLocal(sa.children[0], why);
  // the peer's redundant IKE SA of a collision is gone: now the old one can go (2.8.2)
  const then = sa.thenDelete;
  sa.thenDelete = null;
  if (then !== null && then.state == ESTABLISHED_IKE_SA) queueExchange(then, X_DELETE_IKE, 0);
  const wasUp = sa.createdAt > 0; // it was established (armIkeTimers), whatever it is now
  sa.state = IKE_SA_DEAD;
  sa.outstanding = null;
  sa.queue.length = 0;
  // helper jobs still running complete into nothing (evHelper checks the state), except the
  // PFS keys of a Child SA that moved on to another IKE SA
  logSa(sa, level, "deleted IKE SA (" + why + ")");
  removeIke(sa);
  ikeGone(sa, wasUp, now, why); // a connection that is supposed to be up comes back (revival.ts)
  releaseInstance(sa.conn);
}

// The established end of a chain of replacements starting at `h` (an IKE SA rekeyed again
// before the one it replaced went away), or null.
export function heirOf(h: IkeSa | null): IkeSa | null {
  let best: IkeSa | null = null;
  for (let i = 0; i < 64 && h !== null; i++) {
    if (h.state == ESTABLISHED_IKE_SA) best = h;
    h = h.successor;
  }
  return best;
}

export function moveChildren(from: IkeSa, to: IkeSa): void {
  while (from.children.length > 0) {
    const c = from.children.shift();
    c.ike = to;
    to.children.push(c);
    // a rekey of it that was in flight on the old IKE SA is lost with it: try again soon
    const r = c.rekeyedByUs;
    if (r !== null && r.state != ESTABLISHED_CHILD_SA) {
      c.rekeyedByUs = null;
      if (c.state == ESTABLISHED_CHILD_SA) c.rekeyAt = now + 1000;
    }
  }
  // exchanges about Child SAs move along; the IKE SA's own stay
  const keepQ = new Array<Pending>();
  for (let i = 0; i < from.queue.length; i++) {
    const p = from.queue[i];
    if (p.what == X_DELETE_CHILD || p.what == X_REKEY_CHILD || p.what == X_CREATE_CHILD || p.what == X_DELETE_SPI) to.queue.push(p);
    else keepQ.push(p);
  }
  from.queue = keepQ;
  kick(to);
}

// ---- lifetimes -------------------------------------------------------------------------------
// The rekey time: lifetime less the margin, the margin increased by up to fuzz percent.
export function rekeyTime(lifetime: f64, margin: f64, fuzz: i32): f64 {
  const r = <f64>(C.randomU32() % 10000) / 10000.0;
  const m = margin * (1.0 + <f64>fuzz / 100.0 * r);
  return max(lifetime - m, lifetime / 2);
}

export function armIkeTimers(sa: IkeSa): void {
  const c = sa.conn;
  sa.createdAt = now;
  sa.expireAt = now + c.ikeLifetime;
  // rekey=no: it lives its lifetime and expires (the peer may rekey it)
  sa.rekeyAt = c.noRekey ? 0 : now + rekeyTime(c.ikeLifetime, c.rekeyMargin, c.rekeyFuzz);
  sa.lastInbound = now;
  sa.livenessAt = c.dpdDelay > 0 ? now + c.dpdDelay : 0;
}

export function armChildTimers(ch: ChildSa): void {
  const c = ch.ike.conn;
  ch.createdAt = now;
  ch.expireAt = now + c.childLifetime;
  ch.rekeyAt = c.noRekey ? 0 : now + rekeyTime(c.childLifetime, c.rekeyMargin, c.rekeyFuzz);
}

