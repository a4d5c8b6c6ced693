// The IKEv2 engine: events in (datagram, timeout, helper result, admin), commands out
// (send, helper job, log). Message IDs with window size 1, retransmission with exponential
// backoff, the cached response resent for a retransmitted request, lifetimes with rekey
// margin and fuzz. The exchanges themselves are in ike_sa_init.ts, ike_auth.ts,
// create_child_sa.ts and informational.ts.
import { IN, TEXT, OUT, be32 } from "../wire/buffers";
import { tapeCount, getW, getF } from "../wire/tape";
import { decodeMessage } from "../wire/message";
import * as E from "../wire/error";
import { nameOf } from "../names/index";
import { log, undrained, debugging } from "../pump";
import {
  now, setNow, EP, logSa, logChild, sendTo, jobs, deleteIkeLocal, deleteChildLocal, queueExchange, setStarter,
  P_INIT, P_INIT_KEYS, P_CHILD, IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, secsText,
} from "./state";
import { copyIn, u64FromBytes, hex } from "../bytes";
import * as C from "../crypto";
import { pools, addrText } from "../conn/pool";
import { Conn, Endpoint, Id, Ts, conns, findConn, findConnNamed, addConn, removeConn, readConn, setSecrets, connError, setInterfaces, instancesOf, interfaces, jsonText, KIND_PERMANENT, KIND_INSTANCE } from "../conn/conn";
import {
  IkeSa, ChildSa, Pending, HeldDatagram, allIke, ikeSas, removeIke, ikeStateName, childStateName,
  ESTABLISHED_IKE_SA, IKE_AUTH_I, IKE_SA_INIT_I, IKE_SA_DELETING, IKE_SA_DEAD, IKE_SA_INIT_R, IKE_SA_REKEY_R0, CHILD_SA_DEAD, CHILD_SA_DELETING, ESTABLISHED_CHILD_SA,
  X_CREATE_CHILD, X_REKEY_CHILD, X_REKEY_IKE, X_DELETE_CHILD, X_DELETE_IKE, X_LIVENESS, X_DELETE_SPI,
  findIkeBySerial, findChildAnywhere, touch, touchedSas,
} from "../sa/sa";
import { markUp, markDown, cancelRevival, scheduleRevival, recheck, hasChild, childrenGone, dueRevivals, revivalDeadline } from "./revival";
import { kernelUnroute } from "../kernel";
import { overlapsAny } from "./ts";
import { find, unseal, decodeInner, field, K_V2_SK, K_V2_SKF, payloadsText, logPayloads } from "./message";
import { initiateIke, onInitRequest, onInitResponse, onInitJob } from "./ike_sa_init";
import { onAuthRequest, onAuthResponse, onAuthJob, childInstalled } from "./ike_auth";
import { startChildExchange, onChildRequest, onChildResponse, onChildJob, onChildKeysJob, isChildKeysStep } from "./create_child_sa";
import { startInformational, onInfoRequest, onInfoResponse, deleteIkeNow } from "./informational";
import { dropped, dropReportAt, reportDrops, busy, halfOpenLimit, perSourceLimit, ddosModeName } from "./ddos";
import { halfOpenCount } from "../sa/sa";
import { shutdownStep } from "./shutdown";
import {
  LOG_ERROR, LOG_INFO, LOG_DEBUG, DECODE_PORT4500, IN_CAP, EP_REMOTE, K_V1_HDR, JOB_OK,
  EV_BUSY, ADM_SHUTDOWN, ADM_ADD_CONN, ADM_ADD_CONNS, ADM_SET_SECRETS, ADM_INTERFACES, ADM_INITIATE, ADM_ONDEMAND, ADM_TERMINATE, ADM_DELETE_CONN, ADM_STATUS, ADM_OK, ADM_ERROR, ADM_SA_OP,
  SAOP_REKEY_CHILD, SAOP_REKEY_IKE, SAOP_DELETE_CHILD, SAOP_DELETE_IKE, SAOP_LIVENESS,
  REG_KIND, REG_ERROR, REG_PAYLOAD_V2, REG_NOTIFY_V2, REG_EXCHANGE_V2, DPD_CLEAR, DPD_RESTART,
} from "../abi";

// ---- events ----------------------------------------------------------------------------------
// A datagram (bytes in IN, endpoints in EP) arrived at `t`. Returns 0 when it was processed,
// -1 when it was dropped (logged once, with the reason).
export function evDatagram(t: f64, len: i32, flags: i32): i32 {
  if (undrained()) return EV_BUSY;
  return datagram(t, len, flags);
}

// (a held request comes back here, within the event that released it: its commands join
// that event's)
function datagram(t: f64, len: i32, flags: i32): i32 {
  setNow(t);
  flushTouched(); // the last event's marks, even for a host that has not asked nextDeadline
  const local = Endpoint.read(EP);
  const remote = Endpoint.read(EP + EP_REMOTE);
  if (len < 0 || len > IN_CAP) {
    log(LOG_INFO, "dropping datagram of " + len.toString() + " bytes from " + remote.toString() + ": larger than the input buffer");
    return -1;
  }
  const n = decodeMessage(IN, <usize>len, flags);
  if (n < 0) {
    logMalformed(remote);
    return -1;
  }
  if (<i32>getW(0, 0) == K_V1_HDR) {
    log(LOG_INFO, "dropping IKEv1 message from " + remote.toString() + ": IKEv1 is not supported yet");
    return -1;
  }
  const msg: usize = IN + ((flags & DECODE_PORT4500) ? 4 : 0);
  const mlen = (flags & DECODE_PORT4500) ? len - 4 : len;
  const spiI = u64FromBytes(copyIn(msg, 8));
  const spiR = u64FromBytes(copyIn(msg + 8, 8));
  const exchange = <i32>getF(0, 3);
  const hflags = <i32>getF(0, 4);
  const msgid = getF(0, 5);
  const response = (hflags & 0x20) != 0;
  const fromInitiator = (hflags & 0x08) != 0;

  if (debugging && exchange == IKE_SA_INIT) log(LOG_DEBUG, "received " + exchName(exchange) + (response ? " response " : " request ") + msgid.toString() + " from " + remote.toString() + ": " + payloadsText(fromInitiator));
  if (exchange == IKE_SA_INIT) {
    if (!response) return onInitRequest(local, remote, msg, mlen, spiI, spiR, msgid, (flags & DECODE_PORT4500) != 0);
    const sa = ikeSas.has(spiI) ? ikeSas.get(spiI) : null;
    if (sa === null || !sa.initiator) {
      log(LOG_DEBUG, "dropping IKE_SA_INIT response from " + remote.toString() + ": no IKE SA with SPIi " + spiI.toString(16));
      return -1;
    }
    return onInitResponse(sa, msg, mlen, spiR, msgid);
  }
  // every later exchange is protected and belongs to an IKE SA we know
  const ours = fromInitiator ? spiR : spiI;
  if (!ikeSas.has(ours)) {
    log(LOG_DEBUG, "dropping " + exchName(exchange) + " from " + remote.toString() + ": no IKE SA with SPI " + ours.toString(16));
    return -1;
  }
  const sa = ikeSas.get(ours);
  if ((fromInitiator ? sa.spiI : sa.spiR) != (fromInitiator ? spiI : spiR) || fromInitiator == sa.initiator) {
    logSa(sa, LOG_DEBUG, "dropping " + exchName(exchange) + ": SPIs or I flag do not match the IKE SA");
    return -1;
  }
  if (!response) {
    if (sa.lastResponse !== null && msgid == sa.lastResponseId && msgid + 1 == sa.expectRequestId) {
      logSa(sa, LOG_DEBUG, "retransmitting response to " + exchName(exchange) + " request " + msgid.toString());
      sendTo(sa, sa.lastResponse!);
      return 0;
    }
    if (msgid == sa.expectRequestId && sa.SK_d.length == 0 && (sa.state == IKE_SA_REKEY_R0 || (sa.state == IKE_SA_INIT_R && exchange == IKE_AUTH))) {
      return holdRequest(sa, exchange, msgid, len, flags, local, remote);
    }
    if (exchange != IKE_AUTH && sa.state != ESTABLISHED_IKE_SA && sa.state != IKE_SA_DELETING) {
      // the peer may only start exchanges once IKE_AUTH is over on both sides; it retransmits
      logSa(sa, LOG_DEBUG, "dropping " + exchName(exchange) + " request: IKE SA not established yet");
      return -1;
    }
    if (msgid != sa.expectRequestId || sa.busyRequest) {
      logSa(sa, LOG_DEBUG, "dropping " + exchName(exchange) + " request with message ID " + msgid.toString() + ", expecting " + sa.expectRequestId.toString());
      return -1;
    }
  } else if (sa.outstanding === null || msgid != sa.outstandingId) {
    logSa(sa, LOG_DEBUG, "dropping unexpected " + exchName(exchange) + " response with message ID " + msgid.toString());
    return -1;
  }
  if (sa.SK_d.length == 0) {
    // (requests that wait for keys being computed were held above; this is anything else)
    logSa(sa, LOG_DEBUG, "dropping " + exchName(exchange) + (response ? " response" : " request") + " in " + ikeStateName(sa.state) + ": the IKE SA has no keys");
    return -1;
  }
  const np = unprotect(sa, msg, mlen);
  if (np < 0) return -1;
  if (np == 0) return 0; // a fragment kept for later
  if (debugging) logPayloads(sa.conn.label + " #" + sa.serial.toString() + ": received", exchange, response, msgid, fromInitiator, true);
  sa.lastInbound = now;
  if (sa.conn.dpdDelay > 0) sa.livenessAt = now + sa.conn.dpdDelay;
  if (local.port != sa.local.port || !remote.equals(sa.remote)) {
    // the peer moved (NAT mapping changed, or IKE floated to 4500): answer where it is now
    sa.remote = remote;
    sa.local = local;
  }
  // once the peer talks to us on port 4500, we answer there with the non-ESP marker (RFC 3948)
  if ((flags & DECODE_PORT4500) != 0) sa.natT = true;
  switch (exchange) {
    case IKE_AUTH:
      return response ? onAuthResponse(sa, msgid) : onAuthRequest(sa, msgid);
    case CREATE_CHILD_SA:
      return response ? onChildResponse(sa, msgid) : onChildRequest(sa, msgid);
    case INFORMATIONAL:
      return response ? onInfoResponse(sa, msgid) : onInfoRequest(sa, msgid);
  }
  logSa(sa, LOG_INFO, "dropping exchange " + exchName(exchange) + ": not supported");
  return -1;
}

// A request that needs keys still being computed (the responder's SKEYSEED job, which starts
// once its IKE_SA_INIT response is out; or the new IKE SA of a rekey) is kept as it came and
// processed when they arrive (releaseHeld), so the initiator need not wait for its
// retransmission timer. A retransmission of a held datagram (the same bytes) is not kept
// twice; at most HELD_MAX datagrams (the fragments of one message) per IKE SA.
const HELD_MAX = 16;
function holdRequest(sa: IkeSa, exchange: i32, msgid: u32, len: i32, flags: i32, local: Endpoint, remote: Endpoint): i32 {
  let list = sa.held;
  if (list === null) {
    list = new Array<HeldDatagram>();
    sa.held = list;
  }
  for (let i = 0; i < list.length; i++) {
    const h = list[i].bytes;
    if (h.length == len && memory.compare(h.dataStart, IN, <usize>len) == 0) {
      logSa(sa, LOG_DEBUG, "ignoring a retransmission of " + exchName(exchange) + " request " + msgid.toString() + ": held already until the keys are ready");
      return 0;
    }
  }
  if (list.length >= HELD_MAX) {
    logSa(sa, LOG_INFO, "dropping " + exchName(exchange) + " request " + msgid.toString() + ": " + HELD_MAX.toString() +
      " datagrams are held already while the keys are computed, expected at most that many fragments");
    return -1;
  }
  list.push(new HeldDatagram(copyIn(IN, len), flags, local, remote, msgid));
  logSa(sa, LOG_DEBUG, "holding " + exchName(exchange) + " request " + msgid.toString() + " until the keys are ready");
  return 0;
}

// The keys came (or the IKE SA went): the held requests are processed now, in the order they
// came. A copy of a request answered meanwhile is not processed again.
function releaseHeld(sa: IkeSa): void {
  const list = sa.held;
  if (list === null) return;
  sa.held = null;
  for (let i = 0; i < list.length; i++) {
    const h = list[i];
    if (sa.state == IKE_SA_DEAD || sa.SK_d.length == 0) {
      logSa(sa, LOG_INFO, "discarding " + (list.length - i).toString() + " held request datagram(s): the IKE SA has no keys");
      return;
    }
    if (h.msgid < sa.expectRequestId) continue; // another copy was answered
    memory.copy(IN, h.bytes.dataStart, h.bytes.length);
    h.local.write(EP);
    h.remote.write(EP + EP_REMOTE);
    logSa(sa, LOG_DEBUG, "processing request " + h.msgid.toString() + ", held while the keys were computed");
    datagram(now, h.bytes.length, h.flags);
  }
}

// Checks integrity, decrypts and decodes the inner chain onto the tape (SK), or collects a
// fragment (SKF, RFC 7383 2.6). Returns the first inner payload type (> 0) when the tape
// holds the decrypted chain, 0 for a fragment kept, -1 for a message dropped.
function unprotect(sa: IkeSa, msg: usize, len: i32): i32 {
  const sk = find(46);
  const skf = find(53);
  if (sk < 0 && skf < 0) {
    logSa(sa, LOG_INFO, "dropping unprotected " + exchName(<i32>getF(0, 3)) + " message");
    return -1;
  }
  const msgid = getF(0, 5);
  if (sk >= 0) {
    const np = field(sk, 1);
    const plain = unseal(sa, msg, len, sk);
    if (plain === null) {
      logSa(sa, LOG_INFO, "dropping message " + msgid.toString() + ": integrity check failed");
      return -1;
    }
    return decodeProtected(sa, np, plain);
  }
  // SKF: check each fragment on arrival, reassemble when all are there
  const num = field(skf, 2);
  const total = field(skf, 3);
  const np = field(skf, 1);
  if (total > 128 || (sa.fragTotal != 0 && sa.fragId == msgid && total != sa.fragTotal)) {
    logSa(sa, LOG_INFO, "dropping fragment: bad total " + total.toString());
    return -1;
  }
  const plain = unseal(sa, msg, len, skf);
  if (plain === null) {
    logSa(sa, LOG_INFO, "dropping fragment " + num.toString() + "/" + total.toString() + ": integrity check failed");
    return -1;
  }
  if (sa.fragTotal == 0 || sa.fragId != msgid) {
    sa.fragId = msgid;
    sa.fragTotal = total;
    sa.frags = new Array<Uint8Array | null>(total);
    for (let i = 0; i < total; i++) sa.frags[i] = null;
    sa.fragCount = 0;
    sa.fragBytes = 0;
    sa.fragNp = 0;
  }
  if (sa.frags[num - 1] !== null) return 0;
  if (sa.fragBytes + plain.length > IN_CAP) {
    logSa(sa, LOG_INFO, "dropping fragments: reassembled message too large");
    sa.fragTotal = 0;
    return -1;
  }
  sa.frags[num - 1] = plain.slice();
  sa.fragCount++;
  sa.fragBytes += plain.length;
  if (num == 1) sa.fragNp = np;
  if (sa.fragCount < total) return 0;
  const whole = new Uint8Array(sa.fragBytes);
  let o = 0;
  for (let i = 0; i < total; i++) {
    const p = sa.frags[i]!;
    whole.set(p, o);
    o += p.length;
  }
  const first = sa.fragNp;
  sa.fragTotal = 0;
  sa.frags = new Array<Uint8Array | null>();
  logSa(sa, LOG_DEBUG, "reassembled " + total.toString() + " fragments (" + whole.length.toString() + " bytes)");
  return decodeProtected(sa, first, whole);
}

function decodeProtected(sa: IkeSa, np: i32, plain: Uint8Array): i32 {
  if (decodeInner(np, plain) < 0) {
    logSa(sa, LOG_INFO, "dropping message: inner payloads malformed: " + nameOf(REG_ERROR, E.errCode) + " in " +
      nameOf(REG_KIND, E.errKind) + " at offset " + E.errOffset.toString());
    return -1;
  }
  return max(np, 1);
}

// Malformed input is what a flood sends most: one line per kind and source, then counts.
function logMalformed(remote: Endpoint): void {
  const what = nameOf(REG_KIND, E.errKind);
  let why = nameOf(REG_ERROR, E.errCode) + " in " + what;
  if (E.errPtype != 0) {
    const pn = nameOf(REG_PAYLOAD_V2, E.errPtype);
    why += " (" + (pn.length > 0 ? pn : E.errPtype.toString()) + ")";
  }
  if (E.errNotify != 0) {
    const nn = nameOf(REG_NOTIFY_V2, E.errNotify);
    why += "; would answer " + (nn.length > 0 ? nn : E.errNotify.toString());
  }
  dropped("malformed message from " + remote.toString(), why, "at offset " + E.errOffset.toString());
}

export function exchName(x: i32): string {
  switch (x) {
    case IKE_SA_INIT: return "IKE_SA_INIT";
    case IKE_AUTH: return "IKE_AUTH";
    case CREATE_CHILD_SA: return "CREATE_CHILD_SA";
    case INFORMATIONAL: return "INFORMATIONAL";
  }
  const n = nameOf(REG_EXCHANGE_V2, x);
  return n.length > 0 ? n : "exchange " + x.toString();
}

// A helper job finished; its result blobs are in IN.
export function evHelper(t: f64, id: i32, status: i32, len: i32): i32 {
  if (undrained()) return EV_BUSY;
  setNow(t);
  flushTouched();
  if (!jobs.has(id)) return -1; // the state went away meanwhile
  const job = jobs.get(id);
  jobs.delete(id);
  if (len < 0 || len > IN_CAP) return -1;
  if (job.purpose == P_CHILD && isChildKeysStep(job.arg)) return onChildKeysJob(job.arg, status, IN, len);
  const sa = findIkeBySerial(job.ike);
  if (sa === null || sa.state == IKE_SA_DEAD) return -1;
  if (sa.pendingJob == id) sa.pendingJob = 0;
  if (len < 0 || len > IN_CAP) return -1;
  switch (job.purpose) {
    case P_INIT:
      return onInitJob(sa, job.purpose, status, IN, len);
    case P_INIT_KEYS: {
      const r = onAuthJob(sa, status, IN, len);
      releaseHeld(sa);
      return r;
    }
    case P_CHILD:
      return onChildJob(sa, job.arg, status, IN, len);
  }
  return -1;
}

// The kernel's answer to the installation of Child SA `id` (its serial, core/kernel.ts): `ok`
// non-zero when it took the SAs and policies; otherwise IN holds what it refused and why
// (`len` bytes of UTF-8, such as "inbound SA 0xc0ffee01: EPROTONOSUPPORT"). Returns -1 for a
// Child SA that went meanwhile (its removal from the kernel was asked for already).
export function evKernel(t: f64, id: i32, ok: i32, len: i32): i32 {
  if (undrained()) return EV_BUSY;
  setNow(t);
  flushTouched();
  const c = findChildAnywhere(id);
  if (c === null || c.state == CHILD_SA_DEAD || !c.installing) return -1;
  const why = len > 0 && len <= IN_CAP ? String.UTF8.decodeUnsafe(IN, <usize>len) : "no reason given";
  childInstalled(c, ok != 0, why);
  return 0;
}

// Time passed: retransmit, rekey, expire, check liveness.
export function evTimeout(t: f64): i32 {
  if (undrained()) return EV_BUSY;
  setNow(t);
  // only the IKE SAs with something due, from the deadline heap (a list: handlers may add or
  // remove IKE SAs); each is looked at again afterwards
  flushTouched();
  if (dropReportAt > 0 && dropReportAt <= now) reportDrops();
  const list = new Array<IkeSa>();
  while (heapAt.length > 0 && heapAt[0] <= now) {
    const sa = heapSa[0];
    const ver = heapVer[0];
    heapPop();
    if (ver != sa.heapVersion || sa.state == IKE_SA_DEAD) continue; // a stale entry
    touch(sa);
    list.push(sa);
  }
  const due = dueRevivals(now);
  for (let i = 0; i < due.length; i++) revive(due[i]);
  for (let i = 0; i < list.length; i++) {
    const sa = list[i];
    if (sa.state == IKE_SA_DEAD) continue;
    if (sa.outstanding !== null && sa.retransmitAt > 0 && sa.retransmitAt <= now) retransmit(sa);
    if (sa.state == IKE_SA_DEAD) continue;
    if (sa.deleteAt > 0 && sa.deleteAt <= now) {
      deleteIkeLocal(sa, "replaced, the peer did not delete it");
      continue;
    }
    if (sa.expireAt > 0 && sa.expireAt <= now) {
      deleteIkeLocal(sa, "lifetime expired");
      continue;
    }
    // Child SA lifetimes run out whatever the IKE SA is doing; rekeys wait for an established
    // one (nextDeadline must ask for exactly what this handles, or the timer spins)
    const ch = sa.children.slice();
    for (let k = 0; k < ch.length; k++) {
      const c = ch[k];
      if (c.state == CHILD_SA_DEAD) continue;
      if (c.expireAt > 0 && c.expireAt <= now) {
        c.expireAt = 0;
        if (c.state == CHILD_SA_DELETING) continue; // a Delete is on its way already
        if (sa.state == ESTABLISHED_IKE_SA) {
          // RFC 7296 1.4.1: a Child SA goes as a pair: tell the peer rather than drop our half
          // alone (a rekeyed Child SA the peer never deleted, whose replacement it lost)
          logChild(c, LOG_INFO, "Child SA lifetime expired: deleting it");
          queueExchange(sa, X_DELETE_CHILD, c.serial);
        } else {
          deleteChildLocal(c, "lifetime expired");
        }
        // (rekey=no: what expires is not replaced)
        if (!sa.conn.noRekey) childrenGone(sa, now, "Child SA #" + c.serial.toString() + " expired");
        continue;
      }
      if (sa.state == ESTABLISHED_IKE_SA && c.state == ESTABLISHED_CHILD_SA && c.rekeyAt > 0 && c.rekeyAt <= now) {
        c.rekeyAt = 0;
        rekeyOrReplace(sa, c);
      }
    }
    if (sa.state != ESTABLISHED_IKE_SA) continue;
    if (sa.rekeyAt > 0 && sa.rekeyAt <= now) {
      sa.rekeyAt = 0;
      logSa(sa, LOG_INFO, "IKE SA lifetime reaches its rekey margin: rekeying");
      queueExchange(sa, X_REKEY_IKE, 0);
      // refused twice already (each refusal brings the time back here) and half the margin
      // left: a new IKE SA beside this one, before it expires, rather than a gap after it
      if (++sa.rekeyTries > 2 && sa.expireAt - now <= sa.conn.rekeyMargin / 2 && !sa.replaceAsked) {
        sa.replaceAsked = true;
        replaceIke(sa.conn, "IKE SA #" + sa.serial.toString() + " could not be rekeyed");
      }
    }
    // dpddelay=: a probe after that long without a message from the peer (inbound messages
    // move livenessAt on); a request in flight is a probe already. Its answer, or the lack of
    // one through the whole retransmission schedule (retransmit below), decides.
    if (sa.livenessAt > 0 && sa.livenessAt <= now) {
      sa.livenessAt = now + sa.conn.dpdDelay;
      if (sa.outstanding === null) queueExchange(sa, X_LIVENESS, 0);
    }
  }
  return 0;
}

// A Child SA at its rekey margin (again, when an earlier rekey was refused: the refusal brings
// the time back). Refused twice and with half the margin left, it is replaced before it
// expires rather than dropped: a new CREATE_CHILD_SA beside it, and when that is refused too,
// a new IKE SA with a Child SA of its own; the old one goes when its replacement is there (or
// at its hard expiry, with a Delete).
const REPLACE_CHECK: f64 = 30000;
function rekeyOrReplace(sa: IkeSa, c: ChildSa): void {
  if (c.replaceStage > 0) {
    const r = replacementOf(c);
    if (r !== null) {
      logChild(c, LOG_INFO, "replaced by Child SA #" + r.serial.toString() + ": deleting it");
      queueExchange(c.ike, X_DELETE_CHILD, c.serial);
      return;
    }
  }
  // rekeys as long as there is time: until two were refused and half the margin is left
  if (c.replaceStage == 0 && (c.rekeyTries < 2 || c.expireAt - now > sa.conn.rekeyMargin / 2)) {
    c.rekeyTries++;
    logChild(c, LOG_INFO, c.rekeyTries == 1 ? "Child SA lifetime reaches its rekey margin: rekeying"
      : "rekeying the Child SA again (attempt " + c.rekeyTries.toString() + "): the last rekey was refused");
    queueExchange(sa, X_REKEY_CHILD, c.serial);
    return;
  }
  const left = " (" + secsText(c.expireAt - now) + " before it expires)";
  // each step gets an answer within a round trip; the next looks after 30 s, sooner when the
  // lifetime is short
  c.rekeyAt = now + min(REPLACE_CHECK, max(1000, (c.expireAt - now) / 3));
  if (c.replaceStage == 0) {
    c.replaceStage = 1;
    logChild(c, LOG_INFO, "its rekey was refused twice: replacing it with a new Child SA" + left);
    queueExchange(sa, X_CREATE_CHILD, 0);
  } else if (c.replaceStage == 1) {
    c.replaceStage = 2;
    replaceIke(sa.conn, "Child SA #" + c.serial.toString() + " could be neither rekeyed nor replaced" + left);
  } else {
    // none of it worked: from the rekey again (each step answered, so none of it spins)
    c.replaceStage = 0;
    c.rekeyTries = 0;
  }
}

// A newer established Child SA of the same connection for the same traffic, on any IKE SA.
function replacementOf(c: ChildSa): ChildSa | null {
  for (let i = 0; i < allIke.length; i++) {
    const x = allIke[i];
    if (x.conn !== c.ike.conn || x.state != ESTABLISHED_IKE_SA) continue;
    for (let k = 0; k < x.children.length; k++) {
      const n = x.children[k];
      if (n.serial > c.serial && n.state == ESTABLISHED_CHILD_SA && overlapsAny(n.tsLocal, c.tsLocal) && overlapsAny(n.tsRemote, c.tsRemote)) return n;
    }
  }
  return null;
}

// A new IKE SA for a connection whose SAs cannot be renewed in place (one we can initiate, and
// only one at a time).
function replaceIke(c: Conn, why: string): void {
  if (c.kind != KIND_PERMANENT) {
    log(LOG_INFO, c.label + ": " + why + "; not replaced: only a permanent connection can be initiated by us");
    return;
  }
  for (let i = 0; i < allIke.length; i++) {
    const x = allIke[i];
    // one on its way already (a rekey's new IKE SA is not one)
    if (x.conn === c && x.rekeyedOf === null && x.state != ESTABLISHED_IKE_SA && x.state != IKE_SA_DEAD && x.state != IKE_SA_DELETING) return;
  }
  log(LOG_INFO, c.label + ": " + why + ": initiating a new IKE SA to replace it");
  initiateIke(c);
}

// A revival is due (revival.ts): the connection comes up again, unless it is up or on its way
// already (the peer may have brought it up meanwhile).
function revive(c: Conn): void {
  if (!c.up || findConn(c.name) !== c) return;
  let est: IkeSa | null = null;
  for (let i = 0; i < allIke.length; i++) {
    const x = allIke[i];
    if (x.conn !== c || x.state == IKE_SA_DEAD || x.state == IKE_SA_DELETING) continue;
    if (x.state != ESTABLISHED_IKE_SA) {
      log(LOG_DEBUG, c.label + ": revival: IKE SA #" + x.serial.toString() + " is on its way already");
      return;
    }
    if (x.replacedBy == 0) est = x;
  }
  if (est !== null) {
    if (hasChild(c)) {
      log(LOG_DEBUG, c.label + ": revival: up already (IKE SA #" + est.serial.toString() + ")");
      return;
    }
    logSa(est, LOG_INFO, "the connection is supposed to be up and has no Child SA: creating one");
    queueExchange(est, X_CREATE_CHILD, 0);
    recheck(c, now); // if it is refused, ask again later
    return;
  }
  c.attempts++;
  initiateIke(c);
}

// No answer to our request on an established IKE SA through its whole retransmission schedule
// (retransmit-timeout=; Libreswan 4.10 does the same for IKEv2 and ignores dpdtimeout=): the
// peer is dead. Its SAs go, with a Delete it may still get, then dpdaction= says what follows
// (Libreswan's IKEv2 meaning): hold, the connection is revived if it is supposed to be up and
// its trap policies stay; clear, the same, and its trap policies go; restart, every
// connection to that peer is brought up again.
function peerDead(sa: IkeSa): void {
  const c = sa.conn;
  const action = c.dpdAction == DPD_CLEAR ? "clear" : c.dpdAction == DPD_RESTART ? "restart" : "hold";
  logSa(sa, LOG_INFO, "liveness: no answer to request " + sa.outstandingId.toString() + " after " + sa.conn.retransmitLimit.toString() +
    " retransmissions over " + secsText(now - sa.requestAt) + ": the peer is dead (dpdaction=" + action + ")");
  const remote = sa.remote.clone();
  deleteIkeNow(sa, "dead peer");
  if (c.dpdAction == DPD_CLEAR) kernelUnroute(c);
  else if (c.dpdAction == DPD_RESTART) restartPeer(c, remote);
}

// dpdaction=restart (Libreswan's restart_connections_by_peer): every connection to the dead
// peer's address is taken down and brought up again, and is supposed to be up from then on.
function restartPeer(dead: Conn, remote: Endpoint): void {
  if (dead.kind == KIND_INSTANCE) log(LOG_INFO, dead.label + ": dpdaction=restart: an instance of a template is not restarted (its peer comes back to us)");
  const list = conns.slice();
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (d.kind != KIND_PERMANENT || !d.remote.sameAddr(remote)) continue;
    const sas = allIke.slice();
    for (let k = 0; k < sas.length; k++) {
      const x = sas[k];
      if (x.conn !== d || x.state == IKE_SA_DEAD) continue;
      const why = "dpdaction=restart: the peer " + remote.addrText() + " is dead";
      if (x.state == ESTABLISHED_IKE_SA) deleteIkeNow(x, why);
      else deleteIkeLocal(x, why);
    }
    if (!d.up) {
      d.up = true;
      d.attempts = 0;
    }
    scheduleRevival(d, now, "dpdaction=restart: the peer " + remote.addrText() + " is dead");
  }
}

function retransmit(sa: IkeSa): void {
  sa.retransmits++;
  if (sa.retransmits > sa.conn.retransmitLimit) {
    if (sa.state == ESTABLISHED_IKE_SA) {
      peerDead(sa);
      return;
    }
    // pluto: "STATE_PARENT_I1: max number of retransmissions (N) reached after X seconds.  No
    // response (or no acceptable response) to our first IKEv2 message"
    logSa(sa, LOG_INFO, ikeStateName(sa.state) + ": no answer after " + sa.conn.retransmitLimit.toString() + " retransmissions over " + secsText(now - sa.requestAt) +
      ": giving up on " + ikeStateName(sa.state) + (sa.state == IKE_AUTH_I ? " (possible authentication failure: no acceptable response to our first encrypted message)"
        : sa.state == IKE_SA_INIT_I ? " (no response, or no acceptable response, to our first IKEv2 message)" : ""));
    sa.timedOut = true;
    deleteIkeLocal(sa, "retransmission limit reached");
    return;
  }
  // exponential backoff: base, 2 base, 4 base, ... capped at 64 times the base
  const k = min(sa.retransmits, 6);
  sa.retransmitAt = now + sa.conn.retransmitBase * <f64>(1 << k);
  // at the default level, as pluto's "STATE_PARENT_I1: retransmission; will wait 1 seconds for response"
  logSa(sa, LOG_INFO, ikeStateName(sa.state) + ": retransmitting request " + sa.outstandingId.toString() + " (" + sa.retransmits.toString() + " of " +
    sa.conn.retransmitLimit.toString() + "); will wait " + secsText(sa.retransmitAt - now) + " for the response");
  sendTo(sa, sa.outstanding!);
}

// The earliest deadline of any state (ms), or 0 when nothing is due ever.
export function nextDeadline(): f64 {
  flushTouched();
  while (heapAt.length > 0 && (heapVer[0] != heapSa[0].heapVersion || heapSa[0].state == IKE_SA_DEAD)) heapPop();
  return earlier(earlier(heapAt.length > 0 ? heapAt[0] : 0, dropReportAt), revivalDeadline());
}

// The same by looking at every IKE SA (what the heap must always agree with: the simulator
// checks after every event).
export function scanDeadline(): f64 {
  let d: f64 = dropReportAt;
  for (let i = 0; i < allIke.length; i++) if (allIke[i].state != IKE_SA_DEAD) d = earlier(d, saDeadline(allIke[i]));
  for (let i = 0; i < conns.length; i++) d = earlier(d, conns[i].reviveAt);
  return d;
}

// ---- the deadline heap -----------------------------------------------------------------------
// IKE SAs by their earliest deadline, a binary min-heap. An SA whose deadline may have changed
// was marked (sa.ts touch); its fresh entry goes in at the next look, and older entries are
// recognised by their version and dropped when they come up. So 10,000 quiet IKE SAs cost a
// timer event nothing.
const heapAt = new Array<f64>();
const heapSa = new Array<IkeSa>();
const heapVer = new Array<i32>();

@inline function heapSet(i: i32, at: f64, sa: IkeSa, ver: i32): void {
  heapAt[i] = at;
  heapSa[i] = sa;
  heapVer[i] = ver;
}
@inline function heapMove(to: i32, from: i32): void {
  heapSet(to, heapAt[from], heapSa[from], heapVer[from]);
}

function heapPush(at: f64, sa: IkeSa, ver: i32): void {
  let i = heapAt.length;
  heapAt.push(at);
  heapSa.push(sa);
  heapVer.push(ver);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heapAt[p] <= at) break;
    heapMove(i, p);
    i = p;
  }
  heapSet(i, at, sa, ver);
}

function heapPop(): void {
  const n = heapAt.length - 1;
  const at = heapAt[n];
  const sa = heapSa[n];
  const ver = heapVer[n];
  heapAt.length = n;
  heapSa.length = n;
  heapVer.length = n;
  if (n == 0) return;
  let i = 0;
  while (true) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heapAt[c + 1] < heapAt[c]) c++;
    if (heapAt[c] >= at) break;
    heapMove(i, c);
    i = c;
  }
  heapSet(i, at, sa, ver);
}

// A fresh entry for an IKE SA (any older one goes stale).
function schedule(sa: IkeSa): void {
  sa.heapVersion++;
  if (sa.state == IKE_SA_DEAD) return;
  const d = saDeadline(sa);
  if (d > 0) heapPush(d, sa, sa.heapVersion);
}

function flushTouched(): void {
  for (let i = 0; i < touchedSas.length; i++) {
    touchedSas[i].touched = false;
    schedule(touchedSas[i]);
  }
  touchedSas.length = 0;
  // stale entries (of SAs gone or re-entered) outnumber the live: start afresh
  if (heapAt.length > 64 && heapAt.length > 2 * allIke.length) {
    heapAt.length = 0;
    heapSa.length = 0;
    heapVer.length = 0;
    for (let i = 0; i < allIke.length; i++) schedule(allIke[i]);
  }
}

// The earliest deadline of one IKE SA and its Child SAs: exactly what evTimeout handles (were
// it to ask for more, the timer would spin).
function saDeadline(sa: IkeSa): f64 {
  let d: f64 = 0;
  d = earlier(d, sa.outstanding !== null ? sa.retransmitAt : 0);
  d = earlier(d, sa.deleteAt);
  d = earlier(d, sa.expireAt);
  if (sa.state == ESTABLISHED_IKE_SA) {
    d = earlier(d, sa.rekeyAt);
    d = earlier(d, sa.livenessAt);
  }
  for (let k = 0; k < sa.children.length; k++) {
    const c = sa.children[k];
    d = earlier(d, c.expireAt);
    if (c.state == ESTABLISHED_CHILD_SA && sa.state == ESTABLISHED_IKE_SA) d = earlier(d, c.rekeyAt);
  }
  return d;
}
@inline function earlier(d: f64, t: f64): f64 {
  return t > 0 && (d == 0 || t < d) ? t : d;
}

// ---- admin -----------------------------------------------------------------------------------
function noPskWarning(c: Conn, when: string): void {
  log(LOG_INFO, '"' + c.name + '": no pre-shared key for ' + c.localId.toText() + " and " + c.remoteId.toText() + when + ": its negotiations will fail until ipsec.secrets has one");
}

export let adminReply: string = "";

export function evAdmin(t: f64, op: i32, len: i32): i32 {
  if (undrained()) return EV_BUSY;
  setNow(t);
  flushTouched();
  adminReply = "";
  if (len < 0 || len > IN_CAP) {
    adminReply = "request too large";
    return ADM_ERROR;
  }
  switch (op) {
    case ADM_ADD_CONN: {
      const c = readConn(IN, len);
      if (c === null) {
        adminReply = connError;
        return ADM_ERROR;
      }
      const old = findConn(c.name);
      if (old !== null) {
        adminReply = 'connection "' + c.name + '" already exists';
        return ADM_ERROR;
      }
      addConn(c);
      adminReply = 'added connection "' + c.name + '"';
      log(LOG_INFO, '"' + c.name + '": added IKEv2 connection (' + c.kindName + ")");
      if (c.psk.length == 0) noPskWarning(c, "");
      return ADM_OK;
    }
    case ADM_ADD_CONNS: {
      // many connections at once (a daemon loading its configuration): one call, one reply
      let o = 0;
      let added = 0;
      let refused = "";
      while (o + 4 <= len) {
        const n = <i32>load<u32>(IN + o);
        if (n < 0 || n > len - o - 4) {
          refused += "truncated connection list at byte " + o.toString() + "\n";
          break;
        }
        const c = readConn(IN + o + 4, n);
        o += 4 + n;
        if (c === null) {
          refused += connError + "\n";
          continue;
        }
        if (findConn(c.name) !== null) {
          refused += 'connection "' + c.name + '" already exists\n';
          continue;
        }
        addConn(c);
        added++;
        log(LOG_INFO, '"' + c.name + '": added IKEv2 connection (' + c.kindName + ")");
        if (c.psk.length == 0) noPskWarning(c, "");
      }
      adminReply = "added " + added.toString() + " connections\n" + refused;
      return refused.length == 0 ? ADM_OK : ADM_ERROR;
    }
    case ADM_SET_SECRETS: {
      // a reread of ipsec.secrets: each loaded connection named takes its new secret
      let o = 0;
      let set = 0;
      let refused = "";
      while (o + 4 <= len) {
        const n = <i32>load<u32>(IN + o);
        if (n < 0 || n > len - o - 4) {
          refused += "truncated secrets list at byte " + o.toString() + "\n";
          break;
        }
        const c = setSecrets(IN + o + 4, n);
        o += 4 + n;
        if (c === null) {
          refused += connError + "\n";
          continue;
        }
        set++;
        if (c.psk.length == 0) noPskWarning(c, " any more");
      }
      adminReply = "secrets set for " + set.toString() + " connections\n" + refused;
      return refused.length == 0 ? ADM_OK : ADM_ERROR;
    }
    case ADM_INTERFACES: {
      const n = setInterfaces(IN, len);
      let s = "";
      for (let i = 0; i < interfaces.length; i++) s += (i ? " " : "") + interfaces[i].addrText();
      adminReply = n.toString() + " interface addresses: " + s;
      log(LOG_DEBUG, adminReply);
      return ADM_OK;
    }
    case ADM_INITIATE: case ADM_ONDEMAND: case ADM_TERMINATE: case ADM_DELETE_CONN: {
      const name = String.UTF8.decodeUnsafe(IN, <usize>len, false);
      const c = findConnNamed(name);
      if (c === null) {
        adminReply = 'no connection named "' + name + '"';
        return ADM_ERROR;
      }
      if (op == ADM_INITIATE || op == ADM_ONDEMAND) {
        const sa = initiateIke(c);
        adminReply = sa === null ? 'cannot initiate "' + name + '"' : '"' + name + '" #' + sa.serial.toString() + ": initiating IKEv2 connection";
        // whack --up / auto=start: supposed to be up from now on (traffic alone does not make it so)
        if (sa !== null && op == ADM_INITIATE) markUp(c);
        return sa === null ? ADM_ERROR : ADM_OK;
      }
      // taken down: no revival any more, of it or of its instances
      markDown(c);
      let n = 0;
      const list = allIke.slice();
      for (let i = 0; i < list.length; i++) {
        const sa = list[i];
        if ((sa.conn !== c && sa.conn.template !== c) || sa.state == IKE_SA_DEAD) continue;
        n++;
        if (sa.state == ESTABLISHED_IKE_SA) queueExchange(sa, X_DELETE_IKE, 0);
        else deleteIkeLocal(sa, "terminated by the administrator");
      }
      if (op == ADM_DELETE_CONN) {
        const inst = instancesOf(c);
        for (let i = 0; i < inst.length; i++) {
          cancelRevival(inst[i]);
          removeConn(inst[i]);
        }
        removeConn(c);
        adminReply = 'deleted connection "' + name + '"';
      } else {
        adminReply = 'terminating "' + name + '": ' + n.toString() + " IKE SA(s)";
      }
      return ADM_OK;
    }
    case ADM_SHUTDOWN:
      if (len < 9) {
        adminReply = "shutdown needs a window, a patience and a last flag";
        return ADM_ERROR;
      }
      adminReply = shutdownStep(<i32>min(load<u32>(IN), 65536), <f64>load<u32>(IN + 4), load<u8>(IN + 8) == 1);
      return ADM_OK;
    case ADM_STATUS:
      adminReply = statusJson(len > 0 && load<u8>(IN) == 1, len > 1 ? String.UTF8.decodeUnsafe(IN + 1, <usize>(len - 1), false) : "");
      return ADM_OK;
    case ADM_SA_OP: {
      if (len < 5) {
        adminReply = "SA operation needs an op and a serial";
        return ADM_ERROR;
      }
      return saOp(load<u8>(IN), <i32>load<u32>(IN + 1));
    }
  }
  adminReply = "unknown admin operation " + op.toString();
  return ADM_ERROR;
}

// Rekey, delete or check liveness of one state, found by its serial (whack --rekey-ike etc.).
function saOp(op: i32, serial: i32): i32 {
  for (let i = 0; i < allIke.length; i++) {
    const sa = allIke[i];
    if (sa.state != ESTABLISHED_IKE_SA) continue;
    if (sa.serial == serial) {
      if (op == SAOP_REKEY_IKE) queueExchange(sa, X_REKEY_IKE, 0);
      else if (op == SAOP_DELETE_IKE) queueExchange(sa, X_DELETE_IKE, 0);
      else if (op == SAOP_LIVENESS) queueExchange(sa, X_LIVENESS, 0);
      else break;
      adminReply = "#" + serial.toString() + ": queued";
      return ADM_OK;
    }
    for (let k = 0; k < sa.children.length; k++) {
      const c = sa.children[k];
      if (c.serial != serial) continue;
      if (op == SAOP_REKEY_CHILD) queueExchange(sa, X_REKEY_CHILD, serial);
      else if (op == SAOP_DELETE_CHILD) queueExchange(sa, X_DELETE_CHILD, serial);
      else break;
      adminReply = "#" + serial.toString() + ": queued";
      return ADM_OK;
    }
  }
  adminReply = "no established state #" + serial.toString() + " for that operation";
  return ADM_ERROR;
}

// JSON of connections and states; with secrets (tests, key logging on request) the keys too.
// With a name, only that connection (its instances too) and its states. Built from parts
// joined once: a chain of concatenations would copy each state's text dozens of times, and
// 10,000 states would leave hundreds of megabytes of garbage in one call.
export function statusJson(secrets: bool, only: string): string {
  const o = new Array<string>();
  o.push('{"now":');
  o.push(now.toString());
  o.push(',"halfOpen":{"count":'); o.push(halfOpenCount.toString());
  o.push(',"limit":'); o.push(halfOpenLimit().toString());
  o.push(',"perSource":'); o.push(perSourceLimit().toString());
  o.push(',"ddosMode":"'); o.push(ddosModeName());
  o.push('","busy":'); o.push(busy() ? "true" : "false");
  o.push("}");
  o.push(',"conns":[');
  let first = true;
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i];
    if (only.length > 0 && c.name != only) continue;
    if (!first) o.push(",");
    o.push(connJson(c));
    // what changes as it goes up and down (revival.ts), after the kept part
    o.push(',"up":'); o.push(c.up ? "true" : "false");
    o.push(',"attempts":'); o.push(c.attempts.toString());
    o.push(',"reviveAt":'); o.push(c.reviveAt.toString());
    o.push(',"reviveDelay":'); o.push(c.reviveDelay.toString());
    leaseJson(o, c);
    o.push("}");
    first = false;
  }
  o.push('],"ike":[');
  first = true;
  for (let i = 0; i < allIke.length; i++) {
    const sa = allIke[i];
    if (only.length > 0 && sa.conn.name != only) continue;
    if (!first) o.push(",");
    first = false;
    o.push('{"serial":'); o.push(sa.serial.toString());
    o.push(',"conn":"'); o.push(jsonText(sa.conn.name));
    o.push('","instance":'); o.push(sa.conn.instanceNo.toString());
    o.push(',"state":"'); o.push(ikeStateName(sa.state));
    o.push('","initiator":'); o.push(sa.initiator ? "true" : "false");
    o.push(',"spiI":"'); o.push(sa.spiI.toString(16));
    o.push('","spiR":"'); o.push(sa.spiR.toString(16));
    o.push('","encr":'); o.push(sa.encr.toString());
    o.push(',"keyBits":'); o.push(sa.keyBits.toString());
    o.push(',"prf":'); o.push(sa.prf.toString());
    o.push(',"integ":'); o.push(sa.integ.toString());
    o.push(',"dh":'); o.push(sa.dh.toString());
    o.push(',"nextRequestId":'); o.push(sa.nextRequestId.toString());
    o.push(',"expectRequestId":'); o.push(sa.expectRequestId.toString());
    o.push(',"outstanding":'); o.push(sa.outstanding !== null ? "true" : "false");
    o.push(',"queued":'); o.push(sa.queue.length.toString());
    o.push(',"local":"'); o.push(sa.local.toString());
    o.push('","remote":"'); o.push(sa.remote.toString());
    o.push('","rekeyAt":'); o.push(sa.rekeyAt.toString());
    o.push(',"expireAt":'); o.push(sa.expireAt.toString());
    o.push(',"retransmitAt":'); o.push((sa.outstanding !== null ? sa.retransmitAt : 0).toString());
    o.push(',"peerId":"'); o.push(sa.peerId !== null ? jsonText(sa.peerId!.toText()) : ""); o.push('"');
    if (secrets) {
      o.push(',"SK_d":"'); o.push(hex(sa.SK_d));
      o.push('","SK_ai":"'); o.push(hex(sa.SK_ai));
      o.push('","SK_ar":"'); o.push(hex(sa.SK_ar));
      o.push('","SK_ei":"'); o.push(hex(sa.SK_ei));
      o.push('","SK_er":"'); o.push(hex(sa.SK_er));
      o.push('","SK_pi":"'); o.push(hex(sa.SK_pi));
      o.push('","SK_pr":"'); o.push(hex(sa.SK_pr));
      o.push('"');
    }
    o.push(',"children":[');
    for (let k = 0; k < sa.children.length; k++) {
      const c = sa.children[k];
      if (k) o.push(",");
      o.push('{"serial":'); o.push(c.serial.toString());
      o.push(',"state":"'); o.push(childStateName(c.state));
      o.push('","spiIn":"'); o.push(c.spiIn.toString(16));
      o.push('","spiOut":"'); o.push(c.spiOut.toString(16));
      o.push('","encr":'); o.push(c.encr.toString());
      o.push(',"keyBits":'); o.push(c.keyBits.toString());
      o.push(',"integ":'); o.push(c.integ.toString());
      o.push(',"dh":'); o.push(c.dh.toString());
      o.push(',"transport":'); o.push(c.transport ? "true" : "false");
      o.push(',"rekeyAt":'); o.push(c.rekeyAt.toString());
      o.push(',"expireAt":'); o.push(c.expireAt.toString());
      o.push(',"tsLocal":'); tsJson(o, c.tsLocal);
      o.push(',"tsRemote":'); tsJson(o, c.tsRemote);
      if (secrets) {
        o.push(',"encrIn":"'); o.push(hex(c.encrIn));
        o.push('","integIn":"'); o.push(hex(c.integIn));
        o.push('","encrOut":"'); o.push(hex(c.encrOut));
        o.push('","integOut":"'); o.push(hex(c.integOut));
        o.push('"');
      }
      o.push("}");
    }
    o.push("]}");
  }
  o.push("]");
  poolsJson(o);
  o.push("}");
  return o.join("");
}

// A connection's status JSON changes only when an instance takes what its template left open
// (Conn.forgetJson): it is kept, so that listing 10,000 connections builds no strings for them.
// It is kept open: what its revival does is added each time.
function connJson(c: Conn): string {
  if (c.json.length == 0) {
    const o = new Array<string>();
    o.push('{"name":"'); o.push(jsonText(c.name));
    o.push('","kind":"'); o.push(c.kindName);
    o.push('","instance":'); o.push(c.instanceNo.toString());
    o.push(',"local":"'); o.push(c.local.toString());
    o.push('","remote":"'); o.push(c.remote.toString());
    o.push('","remoteId":"'); o.push(c.remoteId.toText());
    o.push('","transport":'); o.push(c.transport ? "true" : "false");
    o.push(',"pfs":'); o.push(c.pfs ? "true" : "false");
    o.push(',"fragmentation":'); o.push(c.fragmentation ? "true" : "false");
    o.push(',"narrowing":'); o.push(c.narrowing ? "true" : "false");
    o.push(',"localTs":'); tsJson(o, c.localTs);
    o.push(',"remoteTs":'); tsJson(o, c.remoteTs);
    c.json = o.join(""); // open: statusJson adds what changes, and the brace

  }
  return c.json;
}

// What the Configuration payload gave: as server, the leases the connection holds in its
// pools; as client, the addresses, DNS servers and domains given to us.
function leaseJson(o: Array<string>, c: Conn): void {
  if (c.remotePools.length > 0) {
    o.push(',"pools":[');
    for (let k = 0; k < c.remotePools.length; k++) {
      if (k) o.push(",");
      o.push('"'); o.push(c.remotePools[k].text); o.push('"');
    }
    o.push('],"leases":[');
    let first = true;
    for (let k = 0; k < c.leases.length; k++) {
      if (c.leases[k] < 0) continue;
      if (!first) o.push(",");
      first = false;
      o.push('"'); o.push(addrText(c.remotePools[k].address(c.leases[k]))); o.push('"');
    }
    o.push("]");
  }
  if (c.cfgClient) {
    o.push(',"vips":['); addrsJson(o, c.vips);
    o.push('],"dns":['); addrsJson(o, c.peerDns);
    o.push('],"domains":[');
    for (let k = 0; k < c.peerDomains.length; k++) {
      if (k) o.push(",");
      o.push('"'); o.push(jsonText(c.peerDomains[k])); o.push('"');
    }
    o.push("]");
  }
}
function addrsJson(o: Array<string>, l: Array<Uint8Array>): void {
  for (let k = 0; k < l.length; k++) {
    if (k) o.push(",");
    o.push('"'); o.push(addrText(l[k])); o.push('"');
  }
}

// Every address pool: its range, size and leases (as Libreswan's "address pool" status lines).
function poolsJson(o: Array<string>): void {
  o.push(',"pools":[');
  for (let i = 0; i < pools.length; i++) {
    const p = pools[i];
    if (i) o.push(",");
    o.push('{"range":"'); o.push(p.text);
    o.push('","size":'); o.push(p.size.toString());
    o.push(',"leases":'); o.push(p.owners.length.toString());
    o.push(',"inUse":'); o.push(p.inUse.toString());
    o.push(',"free":'); o.push(p.free.length.toString());
    o.push(',"assigned":[');
    let first = true;
    for (let k = 0; k < p.owners.length; k++) {
      if (p.owners[k] < 0) continue;
      if (!first) o.push(",");
      first = false;
      o.push('{"address":"'); o.push(addrText(p.address(k)));
      o.push('","conn":"'); o.push(jsonText(p.ownerLabels[k])); o.push('"}');
    }
    o.push("]}");
  }
  o.push("]");
}

function tsJson(o: Array<string>, ts: Array<Ts>): void {
  o.push("[");
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (i) o.push(",");
    o.push('{"type":'); o.push(t.type.toString());
    o.push(',"proto":'); o.push(t.proto.toString());
    o.push(',"sport":'); o.push(t.sport.toString());
    o.push(',"eport":'); o.push(t.eport.toString());
    o.push(',"start":"'); o.push(hex(t.start));
    o.push('","end":"'); o.push(hex(t.end));
    o.push('"}');
  }
  o.push("]");
}

function startExchange(sa: IkeSa, what: i32, arg: i32): void {
  switch (what) {
    case X_CREATE_CHILD: case X_REKEY_CHILD: case X_REKEY_IKE:
      startChildExchange(sa, what, arg);
      break;
    case X_DELETE_CHILD: case X_DELETE_IKE: case X_LIVENESS: case X_DELETE_SPI:
      startInformational(sa, what, arg);
      break;
  }
}
setStarter(startExchange);

