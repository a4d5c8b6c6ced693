// Revival, as Libreswan's pluto has it (revival.c): a connection that is supposed to be up
// (auto=start, or brought up by whack --up, and not taken down since: pluto's POLICY_UP) is
// brought up again whenever its IKE SA goes (a retransmission timeout, a dead peer, a Delete
// from the peer, a failed rekey, a hard expiry), or its last Child SA does. Each revival waits
// longer than the one before: Libreswan 4.10 waits 0 s, then 5 s more each time, up to 300 s
// (REVIVE_CONN_DELAY, REVIVE_CONN_DELAY_MAX), and starts again from 0 once a Child SA is
// installed; here the wait starts again from 0 only once the tunnel has stayed up for 300 s,
// so that a peer that deletes and reconnects in a loop cannot make us spin. keyingtries=
// counts the attempts that fail before the tunnel is up (0: forever, Libreswan's default).
//
// This module only decides and schedules; engine.ts carries a due revival out (it may
// initiate, which the exchange modules below it cannot reach).
import { log } from "../pump";
import { Conn } from "../conn/conn";
import {
  IkeSa, allIke, ESTABLISHED_IKE_SA, IKE_SA_DEAD, IKE_SA_DELETING, ESTABLISHED_CHILD_SA, CHILD_LARVAL,
} from "../sa/sa";
import { LOG_INFO, LOG_DEBUG } from "../abi";
import { shuttingDown } from "./shutdown";

export const REVIVE_STEP: f64 = 5000; // ms added to the wait by each revival
export const REVIVE_MAX: f64 = 300000; // the longest wait; also how long a tunnel must stay up to reset it

// The connections with a revival due, in no order (few: those whose tunnel is down).
const reviving = new Array<Conn>();
let earliest: f64 = 0; // the earliest reviveAt among them (0: none); -1: to be recomputed

// The connection is to be up from now on (an initiate): attempt 1 is starting.
export function markUp(c: Conn): void {
  c.up = true;
  c.attempts = 1;
  cancelRevival(c);
}

// The connection is taken down (a terminate, a delete): no more revivals.
export function markDown(c: Conn): void {
  c.up = false;
  c.attempts = 0;
  c.reviveDelay = 0;
  c.upSince = 0;
  cancelRevival(c);
}

export function cancelRevival(c: Conn): void {
  if (c.reviveAt == 0) return;
  c.reviveAt = 0;
  const i = reviving.indexOf(c);
  if (i >= 0) reviving.splice(i, 1);
  earliest = -1;
}

// A Child SA of the connection is established: the tunnel is up.
export function childUp(c: Conn, t: f64): void {
  c.attempts = 0;
  if (c.upSince == 0) c.upSince = t;
}

// Whether another IKE SA of the connection is up or on its way (a rekey's successor, one the
// peer brought up, an attempt in progress); `except` is the one going away.
export function otherIke(c: Conn, except: IkeSa | null): bool {
  for (let i = 0; i < allIke.length; i++) {
    const x = allIke[i];
    if (x === except || x.conn !== c || x.state == IKE_SA_DEAD || x.state == IKE_SA_DELETING) continue;
    return true;
  }
  return false;
}

// An IKE SA went away (deleteIkeLocal; wasUp: it had been established): revive its connection
// if it is supposed to be up and nothing else of it is.
export function ikeGone(sa: IkeSa, wasUp: bool, t: f64, why: string): void {
  const c = sa.conn;
  if (!c.up || otherIke(c, sa)) return;
  if (c.noRekey) {
    // as Libreswan 4.10's revival.c: "skipping revival: POLICY_DONT_REKEY enabled"
    log(LOG_INFO, c.label + ": IKE SA #" + sa.serial.toString() + " is gone (" + why + "); rekey=no: the connection is not brought up again");
    markDown(c);
    return;
  }
  if (!wasUp && c.keyingTries > 0 && c.attempts >= c.keyingTries) {
    log(LOG_INFO, c.label + ": IKE SA #" + sa.serial.toString() + " failed (" + why + "); giving up after " +
      c.attempts.toString() + " keying attempt" + (c.attempts == 1 ? "" : "s") + " (keyingtries=" + c.keyingTries.toString() + ")");
    markDown(c);
    return;
  }
  // an attempt that timed out is followed by the next at once, as Libreswan's keying attempts
  // are: its retransmissions were the wait (the peer hears from us at least every 32 s)
  scheduleRevival(c, t, "IKE SA #" + sa.serial.toString() + " is gone (" + why + ")", !wasUp && sa.timedOut);
}

// Child SAs of an established IKE SA went (the peer deleted them, their lifetime ran out):
// if the connection is supposed to be up and has no Child SA left, it gets one again
// (Libreswan: "received Delete SA payload: replace CHILD SA now").
export function childrenGone(sa: IkeSa, t: f64, why: string): void {
  const c = sa.conn;
  if (!c.up || sa.state != ESTABLISHED_IKE_SA || hasChild(c)) return;
  scheduleRevival(c, t, why);
}

// Whether any live IKE SA of the connection has a Child SA established or being negotiated.
export function hasChild(c: Conn): bool {
  for (let i = 0; i < allIke.length; i++) {
    const x = allIke[i];
    if (x.conn !== c || x.state == IKE_SA_DEAD || x.state == IKE_SA_DELETING) continue;
    if (x.childInFlight !== null && x.outstanding !== null) return true;
    for (let k = 0; k < x.children.length; k++) {
      const ch = x.children[k];
      // (an established one whose lifetime ran out, expireAt cleared, waits for its Delete)
      if ((ch.state == ESTABLISHED_CHILD_SA && ch.expireAt > 0) || ch.state == CHILD_LARVAL) return true;
    }
  }
  return false;
}

// Schedules the connection's next revival after its current wait, which then grows (`now`:
// at once, the wait as it was); logged once, with the reason. One revival at a time per
// connection.
export function scheduleRevival(c: Conn, t: f64, why: string, now: bool = false): void {
  if (!c.up || c.reviveAt > 0 || shuttingDown) return; // (shutting down: everything goes)
  // a tunnel that stayed up for the longest wait starts again from no wait
  if (c.upSince > 0 && t - c.upSince >= REVIVE_MAX) c.reviveDelay = 0;
  c.upSince = 0;
  const d = now ? 0 : c.reviveDelay;
  if (!now) c.reviveDelay = min(d + REVIVE_STEP, REVIVE_MAX);
  c.reviveAt = max(t + d, 1); // 0 means none
  reviving.push(c);
  if (earliest >= 0 && (earliest == 0 || c.reviveAt < earliest)) earliest = c.reviveAt;
  const n = c.attempts + 1;
  log(LOG_INFO, c.label + ": " + why + "; the connection is supposed to be up: keying attempt " + n.toString() +
    (c.keyingTries > 0 ? " of at most " + c.keyingTries.toString() : " of an unlimited number") +
    (d > 0 ? " in " + (d / 1000).toString() + " s" : " now"));
}

// A revival whose only purpose is to look again later (a Child SA asked for: if it never came,
// ask again), not logged.
export function recheck(c: Conn, t: f64): void {
  if (!c.up || c.reviveAt > 0) return;
  const d = max(c.reviveDelay, REVIVE_STEP);
  c.reviveDelay = min(c.reviveDelay + REVIVE_STEP, REVIVE_MAX);
  c.reviveAt = t + d;
  reviving.push(c);
  if (earliest >= 0 && (earliest == 0 || c.reviveAt < earliest)) earliest = c.reviveAt;
  log(LOG_DEBUG, c.label + ": looking at it again in " + (d / 1000).toString() + " s");
}

// The earliest revival due (0: none).
export function revivalDeadline(): f64 {
  if (earliest < 0) {
    earliest = 0;
    for (let i = 0; i < reviving.length; i++) {
      const a = reviving[i].reviveAt;
      if (earliest == 0 || a < earliest) earliest = a;
    }
  }
  return earliest;
}

// Takes the connections whose revival is due at `t` off the list.
export function dueRevivals(t: f64): Array<Conn> {
  const out = new Array<Conn>();
  if (earliest == 0 || (earliest > 0 && earliest > t)) return out;
  let k = 0;
  for (let i = 0; i < reviving.length; i++) {
    const c = reviving[i];
    if (c.reviveAt <= t) {
      c.reviveAt = 0;
      out.push(c);
    } else {
      reviving[k++] = c;
    }
  }
  reviving.length = k;
  earliest = -1;
  return out;
}
