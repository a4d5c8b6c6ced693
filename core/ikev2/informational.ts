// INFORMATIONAL (RFC 7296 1.4): deleting Child SAs and the IKE SA, and liveness checks.
//
//   HDR, SK {[N,] [D,] [CP,] ...}  -->
//                            <--  HDR, SK {[N,] [D,] [CP], ...}
// A Delete of Child SAs is answered with a Delete of their paired SAs (1.4.1); a Delete of the
// IKE SA with an empty INFORMATIONAL, after which both sides forget it. An empty request is a
// liveness check (2.4).
import { IkeSa, ChildSa, ESTABLISHED_IKE_SA, ESTABLISHED_CHILD_SA, CHILD_SA_REKEYED, IKE_SA_REKEY_R0, findChild, findChildBySpi, findPeerChildBySpi, findChildAnywhere, CHILD_SA_DELETING, CHILD_SA_DEAD, IKE_SA_DELETING, X_DELETE_CHILD, X_DELETE_IKE, X_LIVENESS, X_DELETE_SPI, rememberUnknownDeleted } from "../sa/sa";
import { beginTape, beginChain, end, sealBuilt, find, findNext, dataA, field } from "./message";
import { del, notify } from "./build";
import { now, logSa, logChild, sendTo, sendRequest, sendResponse, requestDone, deleteIkeLocal, deleteChildLocal, kick, moveChildren, heirOf, notifyName, INFORMATIONAL } from "./state";
import { childrenGone } from "./revival";
import { be32 } from "./ike_auth";
import { deleteAnswered } from "./shutdown";
import { LOG_INFO, LOG_DEBUG, PT2_D, PT2_N } from "../abi";

const PROTO_IKE = 1;
const PROTO_ESP = 3;

export function startInformational(sa: IkeSa, what: i32, arg: i32): void {
  beginTape();
  beginChain();
  if (what == X_DELETE_CHILD) {
    const c = findChild(sa, arg);
    if (c === null || c.state == CHILD_SA_DEAD) return;
    c.state = CHILD_SA_DELETING;
    del(PROTO_ESP, 4, be32(c.spiIn));
    logChild(c, LOG_INFO, "deleting Child SA: sending Delete for ESP SPI 0x" + c.spiIn.toString(16));
  } else if (what == X_DELETE_IKE) {
    sa.state = IKE_SA_DELETING;
    del(PROTO_IKE, 0, new Uint8Array(0));
    logSa(sa, LOG_INFO, "deleting IKE SA: sending Delete");
  } else if (what == X_DELETE_SPI) {
    del(PROTO_ESP, 4, be32(<u32>arg));
    logSa(sa, LOG_INFO, "deleting ESP SPI 0x" + (<u32>arg).toString(16) + " of a Child SA whose creation was cut short");
  } else {
    logSa(sa, LOG_DEBUG, "liveness check");
  }
  end();
  const d = sealBuilt(sa, INFORMATIONAL, false, sa.nextRequestId);
  if (d === null) return;
  sendRequest(sa, what, arg, d);
}

// RFC 7296 2.21.2: we, the initiator, refuse the responder's IKE_AUTH answer (its ID or its
// AUTH) after the responder has established the IKE SA and its first Child SA. "If the error
// occurs on the initiator, the notification MAY be returned in a separate INFORMATIONAL
// exchange": it says why and deletes the IKE SA, with the Child SA, so that no half is left
// behind on the responder (Libreswan 4.10 sends the Delete alone, once, not waiting for an
// answer; this one is retransmitted until answered, and the IKE SA goes then).
//
//   HDR, SK {N(AUTHENTICATION_FAILED), D}  -->
//                            <--  HDR, SK {}
export function refuseIkeSa(sa: IkeSa, type: i32, why: string): void {
  sa.childInFlight = null; // the responder's Child SA goes with its IKE SA
  beginTape();
  beginChain();
  notify(type, 0, new Uint8Array(0), new Uint8Array(0));
  del(PROTO_IKE, 0, new Uint8Array(0));
  end();
  const d = sealBuilt(sa, INFORMATIONAL, false, sa.nextRequestId);
  if (d === null) {
    deleteIkeLocal(sa, why);
    return;
  }
  sa.state = IKE_SA_DELETING;
  logSa(sa, LOG_INFO, why + ": sending " + notifyName(type) + " and a Delete of the IKE SA to the responder");
  sendRequest(sa, X_DELETE_IKE, 0, d);
}

// Tells the peer the IKE SA (and with it its Child SAs, 1.4.1) is gone, once, with no answer
// awaited, and forgets it at once: for an IKE SA replaced by a new one whose old peer may be
// gone (pluto sends the Delete of a state it deletes the same way, without retransmitting).
export function deleteIkeNow(sa: IkeSa, why: string): void {
  beginTape();
  beginChain();
  del(PROTO_IKE, 0, new Uint8Array(0));
  end();
  const d = sealBuilt(sa, INFORMATIONAL, false, sa.nextRequestId);
  if (d !== null) {
    sa.nextRequestId++;
    sendTo(sa, d);
    logSa(sa, LOG_INFO, "sent Delete for the IKE SA to " + sa.remote.toString() + " (no answer awaited)");
  }
  deleteIkeLocal(sa, why);
}

export function onInfoResponse(sa: IkeSa, msgid: u32): i32 {
  const what = sa.outstandingWhat;
  const arg = sa.outstandingArg;
  requestDone(sa);
  if (what == X_DELETE_IKE) {
    deleteAnswered();
    deleteIkeLocal(sa, "deleted by us");
    return 0;
  }
  if (what == X_DELETE_CHILD) {
    const c = findChildAnywhere(arg); // an IKE SA rekey may have moved it meanwhile
    if (c !== null) {
      const owner = c.ike;
      deleteChildLocal(c, "deleted by us");
      if (owner !== sa) kick(owner);
    }
  }
  void msgid;
  kick(sa);
  return 0;
}

export function onInfoRequest(sa: IkeSa, msgid: u32): i32 {
  // an error the peer reports about an exchange already answered (2.21.2: a refused IKE_AUTH
  // answer, before its Delete): said once, in the peer's words
  const n = find(PT2_N);
  if (n >= 0 && field(n, 2) < 16384) logSa(sa, LOG_INFO, "the peer reports " + notifyName(field(n, 2)));
  // Delete of the IKE SA: answer empty, then forget it and its Child SAs
  let d = find(PT2_D);
  while (d >= 0) {
    if (field(d, 1) == PROTO_IKE) {
      respond(sa, msgid, new Array<ChildSa>());
      // The peer completed its rekey of this IKE SA before our keys for the new one are ready
      // (a busy helper): we answered, so the peer has the new IKE SA; it must not go with the
      // old one. It inherits the Child SAs (2.18) and is established when its keys arrive.
      const pending = sa.rekeyedByPeer;
      if (pending !== null && pending.state == IKE_SA_REKEY_R0 && sa.pendingIke !== pending && pending.rekeyedOf === sa) {
        sa.rekeyedByPeer = null;
        sa.successor = pending;
        moveChildren(sa, pending);
        logSa(sa, LOG_DEBUG, "the peer's rekey #" + pending.serial.toString() + " takes over while its keys are computed");
      }
      // the peer deletes an IKE SA it rekeyed: its Child SAs live on in the new one (2.18)
      // (or in whatever replaced that one meanwhile)
      const theirs = heirOf(sa.rekeyedByPeer);
      if (theirs !== null && theirs !== sa && sa.children.length > 0) moveChildren(sa, theirs);
      logSa(sa, LOG_INFO, "the peer deleted the IKE SA");
      deleteIkeLocal(sa, "deleted by the peer");
      return 0;
    }
    d = findNext(d, PT2_D);
  }
  // Deletes of Child SAs: find them by the SPI the peer receives on (our outbound SPI)
  const gone = new Array<ChildSa>();
  d = find(PT2_D);
  while (d >= 0) {
    if (field(d, 1) == PROTO_ESP && field(d, 2) == 4) {
      const spis = dataA(d);
      for (let o = 0; o + 4 <= spis.length; o += 4) {
        const spi = (<u32>spis[o] << 24) | (<u32>spis[o + 1] << 16) | (<u32>spis[o + 2] << 8) | spis[o + 3];
        const c = findPeerChildBySpi(sa, spi);
        if (c !== null && gone.indexOf(c) < 0) gone.push(c);
        else if (c === null) {
          logSa(sa, LOG_DEBUG, "Delete for unknown ESP SPI 0x" + spi.toString(16) + ": remembered in case our request made it");
          rememberUnknownDeleted(sa, spi);
        }
      }
    }
    d = findNext(d, PT2_D);
  }
  respond(sa, msgid, gone);
  for (let i = 0; i < gone.length; i++) {
    const owner = gone[i].ike;
    const was = gone[i].state;
    deleteChildLocal(gone[i], "deleted by the peer");
    keepRekeyed(gone[i]);
    if (owner !== sa) kick(owner);
    // a connection that is supposed to be up gets a Child SA again (revival.ts)
    if (was == ESTABLISHED_CHILD_SA) childrenGone(owner, now, "the peer deleted Child SA #" + gone[i].serial.toString());
  }
  kick(sa);
  return 0;
}

// The peer deleted the Child SA its rekey made, not the one that rekey replaced (its kernel
// refused the new one, say): the old one, retired when we answered, is established again
// with its own lifetime, and may be rekeyed again.
function keepRekeyed(c: ChildSa): void {
  if (c.replaces == 0) return;
  const old = findChildAnywhere(c.replaces);
  if (old === null || old.state != CHILD_SA_REKEYED || old.rekeyedByPeer !== c) return;
  old.rekeyedByPeer = null;
  old.state = ESTABLISHED_CHILD_SA;
  old.expireAt = old.createdAt + old.ike.conn.childLifetime;
  logChild(old, LOG_INFO, "the peer deleted its rekey of this Child SA, #" + c.serial.toString() + ": this one stays");
}

function respond(sa: IkeSa, msgid: u32, gone: Array<ChildSa>): void {
  beginTape();
  beginChain();
  // our half of each deleted pair, except those we are deleting ourselves (1.4.1)
  const spis = new Array<u8>();
  for (let i = 0; i < gone.length; i++) {
    if (gone[i].state == CHILD_SA_DELETING) continue;
    const b = be32(gone[i].spiIn);
    for (let k = 0; k < 4; k++) spis.push(b[k]);
  }
  if (spis.length > 0) {
    const a = new Uint8Array(spis.length);
    for (let i = 0; i < spis.length; i++) a[i] = spis[i];
    del(PROTO_ESP, 4, a);
  }
  end();
  const dg = sealBuilt(sa, INFORMATIONAL, true, msgid);
  if (dg !== null) sendResponse(sa, msgid, dg);
}
