// CREATE_CHILD_SA (RFC 7296 1.3): a new Child SA, a Child SA rekey, an IKE SA rekey, with
// PFS where configured, and rekey collisions resolved as section 2.8.1 says.
//
//   HDR, SK {SA, Ni, [KEi], TSi, TSr}  -->                              new Child SA
//   HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->                 Child SA rekey
//   HDR, SK {SA, Ni, KEi}  -->                                          IKE SA rekey
//                  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}  /  HDR, SK {SA, Nr, KEr}
import {
  IkeSa, ChildSa, Pending, addIke, allIke, takeUnknownDeleted, findChild, findChildBySpi, findPeerChildBySpi, findChildAnywhere, ESTABLISHED_IKE_SA, ESTABLISHED_CHILD_SA, CHILD_SA_REKEYED,
  CHILD_SA_DEAD, IKE_SA_REKEY_R0, IKE_SA_DEAD, X_CREATE_CHILD, X_REKEY_CHILD, X_REKEY_IKE, X_DELETE_CHILD, X_DELETE_IKE, X_DELETE_SPI,
  rememberUnknownDeleted,
} from "../sa/sa";
import { concat2, concat3, readBlobs, u64ToBytes, u64FromBytes, BlobWriter } from "../bytes";
import * as C from "../crypto";
import { beginTape, beginChain, end, sealBuilt, find, findNotify, dataA, dataB, field } from "./message";
import { saProposals, saChosen, ke, nonce, notify, ts } from "./build";
import { choose, offered, chosenXforms, Chosen, groupName, offeredGroups } from "./proposals";
import {
  now, logSa, logChild, sendRequest, sendResponse, requestDone, submitJob, deleteIkeLocal, deleteChildLocal,
  armIkeTimers, queueExchange, kick, moveChildren, heirOf, notifyName, P_CHILD, CREATE_CHILD_SA,
} from "./state";
export { moveChildren };
import { childrenGone } from "./revival";
import {
  acceptChild, offerChild, refuseChild, childKeys, keymatLen, childEstablished, newChildSpi, childNumber, childXforms, be32,
  setRekeyDone, N_USE_TRANSPORT_MODE, N_NO_PROPOSAL_CHOSEN, N_TS_UNACCEPTABLE,
  installChild, setChildExchangeInstalled, kernelRefused, deletedMeanwhile, K_CHILD_I, K_CHILD_R,
} from "./ike_auth";
import { submitKeys, suite, initiateIke } from "./ike_sa_init";
import { vipTs } from "./cp";
import { LOG_INFO, LOG_DEBUG, JOB_OK, JOB_BAD_PEER_KE, JOB_DH_GENERATE, JOB_CHILD_KEYS, PT2_TSI, PT2_TSR, REG_DH, REG_PRF } from "../abi";
import { nameOf } from "../names/index";

const N_REKEY_SA = 16393;
const N_INVALID_KE_PAYLOAD = 17;
const N_CHILD_SA_NOT_FOUND = 44;
const N_TEMPORARY_FAILURE = 43;
const N_INVALID_SYNTAX = 7;
const PROTO_IKE = 1;
const PROTO_ESP = 3;

// helper-job steps (the job's arg)
const A_REQ_KE = 1; // our request's KE is ready
const A_RESP_KE = 2; // our response's KE is ready
const A_REQ_KEYS = 3; // PFS keys of the Child SA our request created
const A_RESP_KEYS = 4; // PFS keys of the Child SA the peer's request created

function pfsGroup(sa: IkeSa): i32 {
  if (!sa.conn.pfs) return 0;
  for (let i = 0; i < sa.conn.esp.length; i++) {
    const x = sa.conn.esp[i].first(4);
    if (x !== null && x.id != 0) return x.id;
  }
  return 0;
}

// Reauthentication (RFC 7296 2.8.3), for a Child SA that cannot be rekeyed with PFS because
// the peer takes no KE group (strongSwan's usual esp_proposals = aes128gcm16 against our
// default pfs=yes, refused NO_PROPOSAL_CHOSEN either way). Libreswan 4.10 lets such a Child SA
// expire: its rekey is refused, the new CREATE_CHILD_SA it tries at the hard expiry too, and
// its IKE SA stays without a Child SA. Here the whole IKE SA is replaced, make before break:
// the new IKE SA's own KE exchange keys its IKE_AUTH Child SA, which carries no KE (1.2), so
// the new keys owe nothing to the old ones and the peer takes the proposal; the old IKE SA, with
// its Child SAs, is deleted once the new Child SA is up (ike_auth.ts reauthDone). One at a time.
// Started when we refuse the peer's rekey (the peer's Child SA would otherwise run out on its
// own clock); our own refused rekeys are replaced as revival.ts replaces any Child SA that
// cannot be rekeyed (a new CREATE_CHILD_SA, then a new IKE SA).
function reauthenticate(sa: IkeSa, why: string): void {
  if (sa.reauthBy !== null || sa.state != ESTABLISHED_IKE_SA || sa.replacedBy != 0) return;
  const n = initiateIke(sa.conn);
  if (n === null) return;
  n.reauthOf = sa;
  sa.reauthBy = n;
  logSa(sa, LOG_INFO, why + ": reauthenticating as IKE SA #" + n.serial.toString() + ", whose IKE_AUTH Child SA needs no KE");
}

// Lexicographic order of nonces (the "lowest of the four nonces" of 2.8.1).
function nonceLess(a: Uint8Array, b: Uint8Array): bool {
  const n = min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] != b[i]) return a[i] < b[i];
  return a.length < b.length;
}
function lowest2(a: Uint8Array, b: Uint8Array): Uint8Array {
  return nonceLess(a, b) ? a : b;
}
// True when the exchange with nonces (a1, a2) holds the lowest of all four.
export function holdsLowest(a1: Uint8Array, a2: Uint8Array, b1: Uint8Array, b2: Uint8Array): bool {
  return nonceLess(lowest2(a1, a2), lowest2(b1, b2));
}

// ---- initiator -------------------------------------------------------------------------------
export function startChildExchange(sa: IkeSa, what: i32, arg: i32): void {
  if (what == X_REKEY_IKE) {
    if (sa.rekeyNew !== null || sa.replacedBy != 0) return;
    const n = new IkeSa(sa.conn, true, sa.local.clone(), sa.remote.clone());
    n.natT = sa.natT;
    n.spiI = C.randomSpi64();
    n.dh = sa.dh;
    n.Ni = C.randomBytes(32);
    n.rekeyedOf = sa;
    n.peerId = sa.peerId;
    n.peerFragmentation = sa.peerFragmentation;
    n.state = IKE_SA_REKEY_R0;
    n.expireAt = now + 60000; // a rekey that never completes goes away
    addIke(n);
    sa.rekeyNew = n;
    sa.preparing = true;
    logSa(sa, LOG_INFO, "rekeying IKE SA as #" + n.serial.toString());
    submitJob(sa, P_CHILD, A_REQ_KE, JOB_DH_GENERATE, new BlobWriter().num(n.dh).bytes());
    return;
  }
  const child = new ChildSa(sa);
  child.spiIn = newChildSpi(sa);
  child.transport = sa.conn.transport;
  child.dh = pfsGroup(sa);
  if (what == X_REKEY_CHILD) {
    const old = findChild(sa, arg);
    if (old === null || old.state != ESTABLISHED_CHILD_SA || old.rekeyedByUs !== null) return;
    child.replaces = old.serial;
    child.reqid = old.reqid > 0 ? old.reqid : old.serial; // the kernel policies stay with the new one
    child.transport = old.transport;
    old.rekeyedByUs = child;
    logChild(old, LOG_INFO, "rekeying Child SA as #" + child.serial.toString());
  }
  sa.childInFlight = child;
  if (child.dh != 0) {
    sa.preparing = true;
    submitJob(sa, P_CHILD, A_REQ_KE, JOB_DH_GENERATE, new BlobWriter().num(child.dh).bytes());
    return;
  }
  sendChildRequest(sa, what, arg);
}

function sendChildRequest(sa: IkeSa, what: i32, arg: i32): void {
  const c = sa.conn;
  const Ni = C.randomBytes(32);
  sa.rekeyNonce = Ni;
  beginTape();
  beginChain();
  if (what == X_REKEY_IKE) {
    const n = sa.rekeyNew!;
    n.Ni = Ni;
    saProposals(c.ike, PROTO_IKE, u64ToBytes(n.spiI), true);
    nonce(Ni);
    ke(n.dh, n.dhPub);
  } else {
    const child = sa.childInFlight!;
    child.nonceI = Ni;
    // a client keeps the address its IKE_AUTH was given (RFC 7296 2.19: no CP here)
    let tl = c.cfgClient && c.vips.length > 0 ? vipTs(c) : c.localTs;
    let tr = c.remoteTs;
    if (what == X_REKEY_CHILD) {
      const old = findChild(sa, child.replaces);
      if (old === null) {
        sa.childInFlight = null;
        sa.preparing = false;
        return;
      }
      notify(N_REKEY_SA, PROTO_ESP, be32(old.spiIn), new Uint8Array(0));
      tl = old.tsLocal;
      tr = old.tsRemote;
    }
    saProposals(c.esp, PROTO_ESP, be32(child.spiIn), child.dh != 0);
    nonce(Ni);
    if (child.dh != 0) ke(child.dh, child.dhPub);
    ts(PT2_TSI, tl);
    ts(PT2_TSR, tr);
    if (child.transport) notify(N_USE_TRANSPORT_MODE, 0, new Uint8Array(0), new Uint8Array(0));
  }
  end();
  const d = sealBuilt(sa, CREATE_CHILD_SA, false, sa.nextRequestId);
  sa.preparing = false;
  if (d === null) {
    logSa(sa, LOG_INFO, "cannot encode CREATE_CHILD_SA request");
    return;
  }
  sendRequest(sa, what, arg, d);
}

export function onChildResponse(sa: IkeSa, msgid: u32): i32 {
  const what = sa.outstandingWhat;
  if (what != X_CREATE_CHILD && what != X_REKEY_CHILD && what != X_REKEY_IKE) return -1;
  const sap = find(33);
  if (what == X_REKEY_IKE) {
    const n = sa.rekeyNew!;
    const np = find(40);
    const kep = find(34);
    const c = sap >= 0 ? choose(sap, PROTO_IKE, sa.conn.ike, true) : null;
    requestDone(sa);
    if (c === null || np < 0 || kep < 0 || !offered(c, sa.conn.ike, true) || c.spi.length != 8 || field(kep, 1) != n.dh || c.dh != n.dh) {
      const nt = find(41);
      logSa(sa, LOG_INFO, "IKE SA rekey refused" + (nt >= 0 ? " with " + notifyName(field(nt, 2)) : "") + ": retrying later");
      sa.rekeyNew = null;
      deleteIkeLocal(n, "rekey refused");
      sa.rekeyAt = now + 30000;
      const theirs = sa.rekeyedByPeer;
      if (theirs !== null && theirs.state != IKE_SA_DEAD) {
        // the peer's rekey of this IKE SA stands alone now: the Child SAs go there, or to
        // whatever replaced it meanwhile (the peer may have rekeyed it again already)
        sa.successor = theirs;
        sa.replacedBy = theirs.serial;
        sa.rekeyAt = 0;
        const h = heirOf(theirs);
        if (h !== null) moveChildren(sa, h);
        sa.deleteAt = now + 60000;
      }
      kick(sa);
      return 0;
    }
    n.spiR = u64FromBytes(c.spi);
    n.encr = c.encr;
    n.keyBits = c.keyBits;
    n.prf = c.prf;
    n.integ = c.integ;
    n.Nr = dataA(np);
    n.peerKe = dataA(kep);
    submitKeys(n); // SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)  (RFC 7296 2.18)
    kick(sa);
    return 0;
  }
  const child = sa.childInFlight;
  sa.childInFlight = null;
  if (child === null) {
    requestDone(sa);
    return -1;
  }
  const np = find(40);
  const old = child.replaces != 0 ? findChildAnywhere(child.replaces) : null;
  if (np < 0 || sap < 0) {
    const nt = find(41);
    logChild(child, LOG_INFO, "CREATE_CHILD_SA refused" + (nt >= 0 ? " with " + notifyName(field(nt, 2)) : ""));
    if (old !== null) {
      old.rekeyedByUs = null;
      old.rekeyAt = now + 30000; // try again later
      // RFC 7296 2.25: the peer does not have the Child SA any more, so neither do we
      if (nt >= 0 && field(nt, 2) == N_CHILD_SA_NOT_FOUND) {
        deleteChildLocal(old, "the peer does not have it (CHILD_SA_NOT_FOUND)");
        childrenGone(old.ike, now, "the peer does not have Child SA #" + old.serial.toString());
      }
    }
    requestDone(sa);
    if (nt >= 0 && field(nt, 2) == N_TEMPORARY_FAILURE) {
      // RFC 7296 2.25: a peer that keeps answering TEMPORARY_FAILURE on the same IKE SA for
      // several minutes is out of sync with us: close the IKE SA rather than retry forever
      // (answers at the retry interval; a gap of minutes starts a new run)
      if (sa.tempFailSince == 0 || now - sa.tempFailLast > 120000) sa.tempFailSince = now;
      sa.tempFailLast = now;
      if (now - sa.tempFailSince >= 300000 && sa.state == ESTABLISHED_IKE_SA) {
        logSa(sa, LOG_INFO, "TEMPORARY_FAILURE for " + ((now - sa.tempFailSince) / 1000).toString() + " s: the peer is out of sync, deleting the IKE SA");
        queueExchange(sa, X_DELETE_IKE, 0);
      }
    }
    kick(sa);
    return 0;
  }
  sa.tempFailSince = 0;
  child.nonceR = dataA(np);
  if (child.dh != 0) {
    const kep = find(34);
    if (kep < 0 || field(kep, 1) != child.dh) {
      logChild(child, LOG_INFO, "the CREATE_CHILD_SA response has " + (kep < 0 ? "no KE payload" : "a KE of " + groupName(field(kep, 1))) +
        ", the proposal we sent a KE of " + groupName(child.dh) + " for PFS");
      refuseChild(sa, child);
      if (old !== null) old.rekeyedByUs = null;
      requestDone(sa);
      kick(sa);
      return 0;
    }
    child.peerKe = dataA(kep);
  }
  if (!acceptChild(sa, child, false)) {
    if (old !== null) old.rekeyedByUs = null;
    requestDone(sa);
    kick(sa);
    return 0;
  }
  requestDone(sa);
  if (old !== null && old.ike !== sa) {
    // the Child SA it replaces moved to a new IKE SA meanwhile: so does the new one
    sa.children.splice(sa.children.indexOf(child), 1);
    child.ike = old.ike;
    old.ike.children.push(child);
  }
  if (child.dh != 0) {
    submitChildKeys(sa, child, A_REQ_KEYS); // KEYMAT from the SK_d of the IKE SA the exchange ran on
  } else {
    installChild(child, K_CHILD_I); // established once the kernel holds it (childExchangeInstalled)
  }
  kick(sa);
  void msgid;
  return 0;
}

// The kernel's answer about a Child SA of a CREATE_CHILD_SA (ike_auth.ts childInstalled). Ours:
// established, and what it replaces retired (a rekey's new Child SA is in the kernel before
// the old one goes); refused, it is deleted with the peer and a rekey is tried again later,
// the old Child SA staying meanwhile. The peer's: only now is the request answered, with the
// Child SA, or with TS_UNACCEPTABLE (as Libreswan 4.10 answers when its kernel refuses).
function childExchangeInstalled(c: ChildSa, ok: bool, why: string): void {
  if (c.onInstalled == K_CHILD_R) {
    answerChild(c, ok ? 0 : N_TS_UNACCEPTABLE, "the kernel refused Child SA #" + c.serial.toString() + " (" + why + ")");
    return;
  }
  if (ok) {
    childEstablished(c);
    deletedMeanwhile(c);
    if (c.state == ESTABLISHED_CHILD_SA) afterOurChild(c.ike, c);
    return;
  }
  const old = c.replaces != 0 ? findChildAnywhere(c.replaces) : null;
  if (old !== null && old.rekeyedByUs === c) {
    old.rekeyedByUs = null;
    old.rekeyAt = now + 30000; // try again later; it stays until then
  }
  kernelRefused(c, why);
}

function submitChildKeys(sa: IkeSa, child: ChildSa, step: i32): void {
  const w = new BlobWriter();
  w.num(child.dh).add(child.dhPriv).add(child.peerKe).num(sa.prf).add(sa.SK_d).add(child.nonceI).add(child.nonceR);
  w.num(C.encrKeyLen(child.encr, child.keyBits)).num(C.isAead(child.encr) ? 0 : C.integKeyLen(child.integ));
  submitJob(sa, P_CHILD, step | (child.serial << 4), JOB_CHILD_KEYS, w.bytes());
}

// Our CREATE_CHILD_SA made a Child SA: retire what it replaces, settle a collision.
function afterOurChild(sa: IkeSa, child: ChildSa): void {
  if (child.replaces == 0) return;
  // the collision is decided even if the old Child SA is gone already: the peer's rekey may
  // have completed and deleted it before our answer arrived
  const theirs = rival(child);
  if (theirs !== null && theirs.state == ESTABLISHED_CHILD_SA) {
    // both rekeyed the same Child SA (2.8.1): the one with the lowest nonce is redundant and
    // is deleted by whoever created it
    if (holdsLowest(child.nonceI, child.nonceR, theirs.nonceI, theirs.nonceR)) {
      logChild(child, LOG_INFO, "rekey collision: this Child SA holds the lowest nonce and is redundant");
      queueExchange(sa, X_DELETE_CHILD, child.serial);
    } else {
      logChild(child, LOG_INFO, "rekey collision: the peer's Child SA #" + theirs.serial.toString() + " is redundant");
    }
  }
  const old = findChildAnywhere(child.replaces);
  if (old === null) return;
  old.state = CHILD_SA_REKEYED;
  queueExchange(sa, X_DELETE_CHILD, old.serial);
}

// ---- responder -------------------------------------------------------------------------------
export function onChildRequest(sa: IkeSa, msgid: u32): i32 {
  const sap = find(33);
  const np = find(40);
  if (sap < 0 || np < 0) return refuse(sa, msgid, N_INVALID_SYNTAX, "lacks SA or Nonce");
  if (sa.state != ESTABLISHED_IKE_SA) return refuse(sa, msgid, N_TEMPORARY_FAILURE, "IKE SA not established");
  const Ni = dataA(np);
  const proto = field(sap + 1, 1);
  if (proto == PROTO_IKE) return rekeyIkeRequest(sa, msgid, sap, Ni);
  const child = new ChildSa(sa);
  child.byUs = false;
  child.nonceI = Ni;
  const rk = findNotify(N_REKEY_SA);
  let old: ChildSa | null = null;
  if (rk >= 0) {
    const spi = dataA(rk);
    old = spi.length == 4 ? findPeerChildBySpi(sa, bswap(load<u32>(spi.dataStart))) : null;
    if (old === null || old.state == CHILD_SA_DEAD) {
      // the peer drops its half on CHILD_SA_NOT_FOUND; if our answer making that Child SA is
      // still on its way to us, ours must go too when it arrives (see acceptChild)
      if (spi.length == 4) {
        rememberUnknownDeleted(sa, bswap(load<u32>(spi.dataStart)));
      }
      return refuse(sa, msgid, N_CHILD_SA_NOT_FOUND, "rekeys a Child SA we do not have");
    }
    // it moved to the IKE SA that replaces this one: the peer is to retry there
    if (old.ike !== sa) return refuse(sa, msgid, N_TEMPORARY_FAILURE, "the Child SA moved to IKE SA #" + old.ike.serial.toString());
    child.replaces = old.serial;
    child.reqid = old.reqid > 0 ? old.reqid : old.serial; // the kernel policies stay with the new one
  }
  // pfs=yes: the chosen proposal must carry one of our KE groups (offerChild refuses one
  // without, NO_PROPOSAL_CHOSEN, as Libreswan 4.10 does)
  const r = offerChild(sa, child, pfsGroup(sa) != 0);
  if (r != 0) {
    refuse(sa, msgid, r, "no acceptable Child SA");
    // the peer rekeys without a KE group: it will not take ours either, so as the IKE SA's
    // initiator we replace the IKE SA before the Child SA's lifetime runs out
    if (old !== null && r == N_NO_PROPOSAL_CHOSEN && pfsGroup(sa) != 0 && sa.initiator && offeredGroups(sap, PROTO_ESP).length == 0) {
      reauthenticate(sa, "the peer rekeys Child SA #" + old.serial.toString() + " without a KE group and pfs=yes");
    }
    return 0;
  }
  if (child.dh != 0) {
    // RFC 7296 1.3: a KE of another group than the chosen proposal's is answered with
    // INVALID_KE_PAYLOAD naming the chosen one, a group the request offered
    const kep = find(34);
    if (kep < 0 || field(kep, 1) != child.dh) {
      const d = new Uint8Array(2);
      d[0] = <u8>(child.dh >> 8);
      d[1] = <u8>child.dh;
      return refuseWith(sa, msgid, N_INVALID_KE_PAYLOAD, d, "the chosen proposal has KE group " + groupName(child.dh) + ", the request's KE payload " +
        (kep < 0 ? "is missing" : "has " + groupName(field(kep, 1))));
    }
    child.peerKe = dataA(kep);
  }
  child.nonceR = C.randomBytes(32);
  // the Child SA is made (its keys, with PFS from a helper job) and installed before it is
  // answered (answerChild, once the kernel has taken it); retransmissions of the request wait
  sa.pendingChild = child;
  sa.pendingNumber = childNumber;
  sa.pendingXforms = childXforms;
  sa.busyRequest = true;
  sa.pendingReq = msgid;
  child.respondOn = sa;
  child.respondMsgid = msgid;
  sa.children.push(child);
  if (old !== null) old.rekeyedByPeer = child;
  if (child.dh != 0) {
    submitJob(sa, P_CHILD, A_RESP_KE, JOB_DH_GENERATE, new BlobWriter().num(child.dh).bytes());
    return 0;
  }
  childKeys(child, C.prfPlus(sa.prf, sa.SK_d, concat2(child.nonceI, child.nonceR), keymatLen(child)), false);
  installChild(child, K_CHILD_R);
  return 0;
}

// The peer's Child SA is installed (refusal 0) or not (`why`): the answer goes out on the IKE
// SA the request came on, if it is still there and still waits for this answer.
function answerChild(child: ChildSa, refusal: i32, why: string): void {
  const sa = child.respondOn;
  child.respondOn = null;
  const live = sa !== null && sa.state != IKE_SA_DEAD && sa.pendingChild === child;
  if (refusal == 0 && live) {
    respondChild(sa!, child.respondMsgid, child);
    return;
  }
  const old = child.replaces != 0 ? findChildAnywhere(child.replaces) : null;
  if (old !== null && old.rekeyedByPeer === child) old.rekeyedByPeer = null;
  deleteChildLocal(child, live ? why : "the IKE SA its request came on is gone");
  if (!live) return;
  sa!.pendingChild = null;
  refuse(sa!, child.respondMsgid, refusal, why);
}

function respondChild(sa: IkeSa, msgid: u32, child: ChildSa): void {
  beginTape();
  beginChain();
  saChosen(sa.pendingNumber, PROTO_ESP, be32(child.spiIn), sa.pendingXforms);
  nonce(child.nonceR);
  if (child.dh != 0) ke(child.dh, child.dhPub);
  ts(PT2_TSI, child.tsRemote);
  ts(PT2_TSR, child.tsLocal);
  if (child.transport) notify(N_USE_TRANSPORT_MODE, 0, new Uint8Array(0), new Uint8Array(0));
  end();
  const d = sealBuilt(sa, CREATE_CHILD_SA, true, msgid);
  sa.pendingChild = null;
  if (d === null) {
    sa.busyRequest = false;
    deleteChildLocal(child, "cannot encode the CREATE_CHILD_SA response");
    return;
  }
  sendResponse(sa, msgid, d);
  if (takeUnknownDeleted(sa, child.spiOut)) {
    // the peer's request was cut short (its IKE SA went away before our answer arrived) and
    // the peer deleted what it may have made, by SPI, before we got here: no half remains on
    // its side, so ours goes without further exchange (1.4.1)
    deleteChildLocal(child, "the peer deleted it before our answer reached it");
    return;
  }
  childEstablished(child);
  afterTheirChild(child.ike, child);
}

// The peer's CREATE_CHILD_SA made a Child SA: if it replaces one, the peer deletes the old one,
// unless we rekeyed it too and our exchange decides the collision.
function afterTheirChild(sa: IkeSa, child: ChildSa): void {
  if (child.replaces == 0) return;
  const ours = rival(child);
  if (ours !== null && ours.state == ESTABLISHED_CHILD_SA && ours.nonceR.length > 0) {
    if (holdsLowest(ours.nonceI, ours.nonceR, child.nonceI, child.nonceR)) {
      logChild(ours, LOG_INFO, "rekey collision: our Child SA holds the lowest nonce and is redundant");
      queueExchange(ours.ike, X_DELETE_CHILD, ours.serial);
    }
    return;
  }
  const old = findChildAnywhere(child.replaces);
  if (old === null) return;
  if (old.rekeyedByUs === null) {
    old.state = CHILD_SA_REKEYED;
    old.expireAt = now + 60000; // if the peer never deletes it
  }
}

// The other new Child SA of a rekey collision (2.8.1): one that rekeys the same Child SA and
// was made by the other side's request, wherever it lives now; found by the serial of the
// Child SA both replace, which outlives that Child SA's deletion.
function rival(child: ChildSa): ChildSa | null {
  for (let i = 0; i < allIke.length; i++) {
    const ch = allIke[i].children;
    for (let k = 0; k < ch.length; k++) {
      const c = ch[k];
      if (c !== child && c.replaces == child.replaces && c.byUs != child.byUs && c.state != CHILD_SA_DEAD) return c;
    }
  }
  return null;
}

function rekeyIkeRequest(sa: IkeSa, msgid: u32, sap: i32, Ni: Uint8Array): i32 {
  // Our own rekey of this IKE SA already completed (or lost a collision): it is being closed,
  // and a second replacement would leave the two sides moving their Child SAs to different
  // IKE SAs. RFC 7296 2.25.2: a request to rekey an IKE SA the peer is trying to close is
  // answered with TEMPORARY_FAILURE; the peer then keeps the replacement we made.
  if (sa.replacedBy != 0) return refuse(sa, msgid, N_TEMPORARY_FAILURE, "the IKE SA was already replaced by #" + sa.replacedBy.toString());
  const c = choose(sap, PROTO_IKE, sa.conn.ike, true);
  if (c === null || c.spi.length != 8) return refuse(sa, msgid, N_NO_PROPOSAL_CHOSEN, "no acceptable IKE proposal in the rekey");
  const kep = find(34);
  if (kep < 0 || field(kep, 1) != c.dh) {
    const d = new Uint8Array(2);
    d[0] = <u8>(c.dh >> 8);
    d[1] = <u8>c.dh;
    return refuseWith(sa, msgid, N_INVALID_KE_PAYLOAD, d, "IKE rekey needs a KE of group " + c.dh.toString());
  }
  const peerKe = dataA(kep);
  if (peerKe.length != C.dhLen(c.dh)) return refuse(sa, msgid, N_INVALID_SYNTAX, "KE of the wrong length");
  // the rekey's initiator becomes the new IKE SA's original initiator (2.18)
  const n = new IkeSa(sa.conn, false, sa.local.clone(), sa.remote.clone());
  n.natT = sa.natT;
  n.spiI = u64FromBytes(c.spi);
  n.spiR = C.randomSpi64();
  n.encr = c.encr;
  n.keyBits = c.keyBits;
  n.prf = c.prf;
  n.integ = c.integ;
  n.dh = c.dh;
  n.Ni = Ni;
  n.Nr = C.randomBytes(32);
  n.peerKe = peerKe;
  n.rekeyedOf = sa;
  n.peerId = sa.peerId;
  n.peerFragmentation = sa.peerFragmentation;
  n.chosenNumber = c.number;
  n.state = IKE_SA_REKEY_R0;
  n.expireAt = now + 60000;
  addIke(n);
  sa.rekeyedByPeer = n;
  sa.pendingIke = n;
  sa.busyRequest = true;
  sa.pendingReq = msgid;
  logSa(sa, LOG_INFO, "peer rekeys the IKE SA as #" + n.serial.toString());
  submitJob(sa, P_CHILD, A_RESP_KE, JOB_DH_GENERATE, new BlobWriter().num(n.dh).bytes());
  return 0;
}

function respondIkeRekey(sa: IkeSa, n: IkeSa): void {
  const c = new Chosen();
  c.number = n.chosenNumber;
  c.protocol = PROTO_IKE;
  c.encr = n.encr;
  c.keyBits = n.keyBits;
  c.prf = n.prf;
  c.integ = n.integ;
  c.dh = n.dh;
  beginTape();
  beginChain();
  saChosen(c.number, PROTO_IKE, u64ToBytes(n.spiR), chosenXforms(c));
  nonce(n.Nr);
  ke(n.dh, n.dhPub);
  end();
  const d = sealBuilt(sa, CREATE_CHILD_SA, true, sa.pendingReq);
  sa.pendingIke = null;
  if (d === null) return;
  sendResponse(sa, sa.pendingReq, d);
  submitKeys(n);
}

// The new IKE SA of a rekey (ours or the peer's) has its keys.
function rekeyDone(n: IkeSa): i32 {
  const old = n.rekeyedOf;
  if (old !== null && old.state == IKE_SA_DEAD && old.successor === n && !n.initiator) {
    // the peer's rekey, whose old IKE SA the peer deleted while our keys were computed: it
    // took over the Child SAs then (informational.ts)
    n.state = ESTABLISHED_IKE_SA;
    armIkeTimers(n);
    n.rekeyedOf = null;
    logSa(n, LOG_INFO, "established IKE SA (rekey of #" + old.serial.toString() + ", deleted meanwhile); " + suite(n));
    kick(n);
    return 0;
  }
  if (old === null || old.state == IKE_SA_DEAD) {
    deleteIkeLocal(n, "the IKE SA it replaces is gone");
    return -1;
  }
  n.state = ESTABLISHED_IKE_SA;
  armIkeTimers(n);
  n.rekeyedOf = null;
  logSa(n, LOG_INFO, "established IKE SA (rekey of #" + old.serial.toString() + "); " + suite(n));
  if (n.initiator) {
    // we initiated this rekey; the peer may have rekeyed the same IKE SA (2.8.1): the new IKE
    // SA made with the lowest of the four nonces is redundant, its creator deletes it
    old.rekeyNew = null;
    const theirs = old.rekeyedByPeer;
    if (theirs !== null && theirs.state != IKE_SA_DEAD) {
      if (holdsLowest(n.Ni, n.Nr, theirs.Ni, theirs.Nr)) {
        logSa(n, LOG_INFO, "rekey collision: this IKE SA holds the lowest nonce and is redundant");
        moveChildren(old, theirs);
        old.successor = theirs;
        n.successor = theirs;
        old.replacedBy = theirs.serial; // no further rekey of it: the peer deletes it
        old.rekeyAt = 0;
        old.deleteAt = now + 60000;
        queueExchange(n, X_DELETE_IKE, 0);
        return 0;
      }
      logSa(n, LOG_INFO, "rekey collision: the peer's IKE SA #" + theirs.serial.toString() + " is redundant");
      // the Child SAs went to the peer's new IKE SA when it was established; they live on in
      // the surviving one (2.8.1: the redundant IKE SA is deleted by its creator, the peer)
      moveChildren(theirs, n);
      theirs.successor = n;
      moveChildren(old, n);
      old.successor = n;
      old.replacedBy = n.serial;
      old.rekeyAt = 0;
      // The old IKE SA is deleted only once the peer has deleted its redundant one: until our
      // answer to its rekey reaches it, the peer's request is outstanding on the old IKE SA,
      // and a Delete of that IKE SA would make it forget its request (2.25.2) and leave the
      // IKE SA we made from it behind, with nobody to delete it. Should the peer never do
      // so, the old IKE SA goes after a while anyway.
      if (theirs.state == ESTABLISHED_IKE_SA || theirs.state == IKE_SA_REKEY_R0) {
        theirs.thenDelete = old;
        old.deleteAt = now + 60000;
        return 0;
      }
      queueExchange(old, X_DELETE_IKE, 0);
      return 0;
    }
    moveChildren(old, n);
    old.successor = n;
    old.replacedBy = n.serial;
    old.rekeyAt = 0;
    queueExchange(old, X_DELETE_IKE, 0);
    return 0;
  }
  // the peer's rekey: it deletes the old IKE SA; settle a collision with ours if there is one
  const won = old.successor;
  if (won !== null && won !== n && won.state != IKE_SA_DEAD) {
    // our rekey completed first and the collision was settled then: this one is redundant,
    // the peer deletes it
    n.successor = won;
    return 0;
  }
  const ours = old.rekeyNew;
  if (ours !== null && ours.state != IKE_SA_DEAD) {
    // our request is still out: the collision is decided when it completes, the Child SAs
    // stay where they are until then (if our request is refused or lost, they go to the
    // successor of this new IKE SA: see heir())
    if (ours.Nr.length == 0) return 0;
    if (holdsLowest(n.Ni, n.Nr, ours.Ni, ours.Nr)) {
      n.successor = ours; // this one is redundant: the peer deletes it
      return 0;
    }
    logSa(ours, LOG_INFO, "rekey collision: our IKE SA holds the lowest nonce and is redundant");
    ours.successor = n;
    if (ours.state == ESTABLISHED_IKE_SA) {
      moveChildren(ours, n);
      queueExchange(ours, X_DELETE_IKE, 0);
    }
  }
  moveChildren(old, n);
  old.successor = n;
  old.replacedBy = n.serial;
  old.rekeyAt = 0;
  old.deleteAt = now + 60000; // the peer deletes it; if it does not, we do
  return 0;
}

function refuse(sa: IkeSa, msgid: u32, type: i32, why: string): i32 {
  return refuseWith(sa, msgid, type, new Uint8Array(0), why);
}
function refuseWith(sa: IkeSa, msgid: u32, type: i32, data: Uint8Array, why: string): i32 {
  logSa(sa, LOG_INFO, "refusing CREATE_CHILD_SA: " + why + " (" + notifyName(type) + ")");
  beginTape();
  beginChain();
  notify(type, 0, new Uint8Array(0), data);
  end();
  const d = sealBuilt(sa, CREATE_CHILD_SA, true, msgid);
  if (d !== null) sendResponse(sa, msgid, d);
  return 0;
}

// ---- helper results --------------------------------------------------------------------------
export function onChildJob(sa: IkeSa, arg: i32, status: i32, p: usize, len: i32): i32 {
  const step = arg & 15;
  const r = readBlobs(p, len);
  if (status != JOB_OK || r === null || r.length < 1) {
    logSa(sa, LOG_INFO, "CREATE_CHILD_SA helper job failed (" + (status == JOB_BAD_PEER_KE ? "the peer's KE public value is invalid" : "status " + status.toString()) + ")");
    sa.preparing = false;
    sa.busyRequest = false;
    if (step == A_RESP_KE && sa.pendingChild !== null) {
      // the request is not answered: its retransmission is taken as new (the Child SA kept
      // for it goes)
      const ch = sa.pendingChild!;
      sa.pendingChild = null;
      const old = ch.replaces != 0 ? findChildAnywhere(ch.replaces) : null;
      if (old !== null && old.rekeyedByPeer === ch) old.rekeyedByPeer = null;
      deleteChildLocal(ch, "KE generation failed for " + nameOf(REG_DH, ch.dh));
    }
    if (step == A_REQ_KE && sa.rekeyNew !== null) {
      deleteIkeLocal(sa.rekeyNew!, "KE generation failed for " + nameOf(REG_DH, sa.rekeyNew!.dh));
      sa.rekeyNew = null;
    }
    kick(sa);
    return -1;
  }
  switch (step) {
    case A_REQ_KE: {
      if (r.length < 2) return -1;
      if (sa.rekeyNew !== null && sa.outstanding === null && sa.childInFlight === null) {
        sa.rekeyNew!.dhPub = r[0];
        sa.rekeyNew!.dhPriv = r[1];
        sendChildRequest(sa, X_REKEY_IKE, 0);
      } else if (sa.childInFlight !== null) {
        const ch = sa.childInFlight!;
        ch.dhPub = r[0];
        ch.dhPriv = r[1];
        sendChildRequest(sa, ch.replaces != 0 ? X_REKEY_CHILD : X_CREATE_CHILD, ch.replaces);
      }
      return 0;
    }
    case A_RESP_KE: {
      if (r.length < 2) return -1;
      if (sa.pendingIke !== null) {
        const n = sa.pendingIke!;
        n.dhPub = r[0];
        n.dhPriv = r[1];
        respondIkeRekey(sa, n);
      } else if (sa.pendingChild !== null) {
        const ch = sa.pendingChild!;
        ch.dhPub = r[0];
        ch.dhPriv = r[1];
        submitChildKeys(sa, ch, A_RESP_KEYS); // the answer once they are in the kernel
      }
      return 0;
    }
    case A_REQ_KEYS: case A_RESP_KEYS:
      return onChildKeysJob(arg, status, p, len);
  }
  return -1;
}

// PFS keys of a Child SA: applied wherever the Child SA is now, even if the IKE SA the
// exchange ran on was replaced (and deleted) meanwhile.
export function isChildKeysStep(arg: i32): bool {
  const step = arg & 15;
  return step == A_REQ_KEYS || step == A_RESP_KEYS;
}
export function onChildKeysJob(arg: i32, status: i32, p: usize, len: i32): i32 {
  const step = arg & 15;
  const ch = findChildAnywhere(arg >> 4);
  if (ch === null || ch.state == CHILD_SA_DEAD) return -1;
  const r = readBlobs(p, len);
  if (status != JOB_OK || r === null || r.length < 1) {
    const why = "PFS key derivation failed (" + nameOf(REG_DH, ch.dh) + ", " + nameOf(REG_PRF, ch.ike.prf) + (status == JOB_BAD_PEER_KE ? ": the peer's KE public value is invalid" : "") + ")";
    if (step == A_RESP_KEYS) {
      // not answered yet: refused as Libreswan 4.10 refuses a failed DH (INVALID_SYNTAX)
      answerChild(ch, N_INVALID_SYNTAX, why);
      return -1;
    }
    deleteChildLocal(ch, why);
    // the peer made its half with its own keys: take it away too
    if (ch.ike.state == ESTABLISHED_IKE_SA) queueExchange(ch.ike, X_DELETE_SPI, <i32>ch.spiIn);
    return -1;
  }
  childKeys(ch, r[0], step == A_REQ_KEYS);
  ch.dhPriv = new Uint8Array(0);
  installChild(ch, step == A_REQ_KEYS ? K_CHILD_I : K_CHILD_R);
  return 0;
}

setRekeyDone(rekeyDone);
setChildExchangeInstalled(childExchangeInstalled);

export { concat3, dataB, LOG_DEBUG, ESTABLISHED_CHILD_SA };
