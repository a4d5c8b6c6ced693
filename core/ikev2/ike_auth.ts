// IKE_AUTH with a pre-shared key and the first Child SA (RFC 7296 1.2, 2.15, 2.9, 1.3.1)
//
//   HDR, SK {IDi, [N(INITIAL_CONTACT)], [IDr], AUTH, SAi2, TSi, TSr,
//            [N(USE_TRANSPORT_MODE)], N(ESP_TFC_PADDING_NOT_SUPPORTED)}  -->
//                           <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr, [N(USE_TRANSPORT_MODE)]}
//
// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>), where the initiator
// signs RealMessage1 | NonceRData | prf(SK_pi, IDi') and the responder RealMessage2 |
// NonceIData | prf(SK_pr, IDr').
import { Conn, Id, Ts, Xform, findConnByIds, connsByIds, instantiate, KIND_INSTANCE, KIND_TEMPLATE } from "../conn/conn";
import {
  IkeSa, ChildSa, ESTABLISHED_IKE_SA, ESTABLISHED_CHILD_SA, IKE_AUTH_I0, IKE_AUTH_I, IKE_SA_INIT_R, X_DELETE_CHILD, X_DELETE_SPI, X_DELETE_IKE,
  takeUnknownDeleted,
} from "../sa/sa";
import { concat2, concat3, bytesEqual, readBlobs, strBytes, u64ToBytes } from "../bytes";
import * as C from "../crypto";
import {
  beginTape, beginChain, end, sealBuilt, find, findNotify, dataA, field, payloadBody, heldPlainPtr,
} from "./message";
import { saProposals, saChosen, id, auth, ts, notify } from "./build";
import { choose, offered, chosenXforms, offeredGroups, ourGroups, groupsText, noMatchText, localProposalsText } from "./proposals";
import { readTs, narrow, within, whole, tsText, overlapsAny, holdsAddress, virtualFits } from "./ts";
import {
  now, logSa, logChild, sendRequest, sendResponse, requestDone, deleteIkeLocal, armIkeTimers, armChildTimers,
  kick, queueExchange, settleConn, releaseInstance, notifyName, deleteChildLocal, IKE_AUTH,
} from "./state";
import { suite } from "./ike_sa_init";
import { refuseIkeSa } from "./informational";
import { nameOf } from "../names/index";
import { replaceOlder, hasContact } from "./unique";
import { kernelAddChild } from "../kernel";
import { childUp, childrenGone } from "./revival";
import { CpAsk, readCpRequest, leaseAddresses, cpReply, cpRequest, anyTs, readCpReply, vipTs, N_INTERNAL_ADDRESS_FAILURE } from "./cp";
import { addrText } from "../conn/pool";
import { LOG_INFO, LOG_DEBUG, JOB_OK, JOB_BAD_PEER_KE, PT2_IDI, PT2_IDR, PT2_TSI, PT2_TSR, PT2_CP, REG_AUTH_V2, REG_DH, REG_PRF, REG_ID_V2 } from "../abi";
import { xformText, chosenText, remoteProposalsText } from "./proposals";
import { debugging } from "../pump";

export const N_AUTHENTICATION_FAILED = 24;
export const N_TS_UNACCEPTABLE = 38;
export const N_NO_PROPOSAL_CHOSEN = 14;
export const N_INITIAL_CONTACT = 16384;
export const N_USE_TRANSPORT_MODE = 16391;
export const N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394;
export const X_IKE_AUTH = 101;
const AUTH_SHARED_KEY_MAC = 2;
const PROTO_ESP = 3;

// The IKE keys arrived (P_INIT_KEYS): store them, then go on.
export function onAuthJob(sa: IkeSa, status: i32, p: usize, len: i32): i32 {
  const k = readBlobs(p, len);
  if (status != JOB_OK || k === null || k.length < 7) {
    const what = "key derivation failed (" + nameOf(REG_DH, sa.dh) + ", " + nameOf(REG_PRF, sa.prf) + ")";
    logSa(sa, LOG_INFO, status == JOB_BAD_PEER_KE ? "the peer's " + nameOf(REG_DH, sa.dh) + " KE public value is invalid" : what);
    deleteIkeLocal(sa, what);
    return -1;
  }
  sa.SK_d = k[0];
  sa.SK_ai = k[1];
  sa.SK_ar = k[2];
  sa.SK_ei = k[3];
  sa.SK_er = k[4];
  sa.SK_pi = k[5];
  sa.SK_pr = k[6];
  sa.dhPriv = new Uint8Array(0); // not needed any more
  if (sa.rekeyedOf !== null) return onRekeyKeys(sa);
  if (sa.initiator && sa.state == IKE_AUTH_I0) sendAuthRequest(sa);
  return 0;
}

// The new IKE SA of a rekey has its keys (create_child_sa.ts starts the rekey).
let rekeyDone: (sa: IkeSa) => i32 = (sa: IkeSa): i32 => 0;
export function setRekeyDone(f: (sa: IkeSa) => i32): void {
  rekeyDone = f;
}
function onRekeyKeys(sa: IkeSa): i32 {
  return rekeyDone(sa);
}

export function newChildSpi(sa: IkeSa): u32 {
  let s: u32 = 0;
  while (s < 256) s = C.randomU32(); // 1-255 are reserved (RFC 4303 2.1)
  void sa;
  return s;
}

function idBody(v: Id): Uint8Array {
  // ID payload body as AUTH signs it: ID Type | RESERVED (3) | Identification Data
  const b = new Uint8Array(4 + v.data.length);
  b[0] = <u8>v.type;
  b.set(v.data, 4);
  return b;
}

const KEY_PAD = strBytes("Key Pad for IKEv2"); // RFC 7296 2.15

// A connection whose secret a reread of ipsec.secrets took away authenticates nobody: an empty
// key would be a key anyone knows.
function noPsk(c: Conn): string {
  return "no pre-shared key in ipsec.secrets for " + c.localId.toText() + " and " + c.remoteId.toText();
}

// An ID as pluto names it in its log lines: ID_FQDN '@west'.
export function idText(i: Id): string {
  const n = nameOf(REG_ID_V2, i.type);
  return (n.length > 0 ? n : "ID type " + i.type.toString()) + " '" + i.toText() + "'";
}
// The keyword that configures the peer's ID, as this side's ipsec.conf names it: rightid when
// left is our end, leftid when the peer is left.
export function peerIdKeyword(c: Conn): string {
  return c.leftIsOurs ? "rightid" : "leftid";
}
function ourIdKeyword(c: Conn): string {
  return c.leftIsOurs ? "leftid" : "rightid";
}
// Which secret our AUTH is made with, and the peer's checked with: the one ipsec.secrets has
// for this pair of IDs.
function pskUsed(c: Conn): string {
  return "our pre-shared key for " + ourIdKeyword(c) + "=" + c.localId.toText() + " " + peerIdKeyword(c) + "=" + c.remoteId.toText();
}

export function pskAuth(sa: IkeSa, message: Uint8Array, nonce: Uint8Array, idb: Uint8Array, ofInitiator: bool): Uint8Array {
  const macedId = C.prf(sa.prf, ofInitiator ? sa.SK_pi : sa.SK_pr, idb);
  const key = C.prf(sa.prf, sa.conn.psk, KEY_PAD);
  return C.prf(sa.prf, key, concat3(message, nonce, macedId));
}

function constEq(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d == 0;
}

function be32(v: u32): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = <u8>(v >> 24);
  b[1] = <u8>(v >> 16);
  b[2] = <u8>(v >> 8);
  b[3] = <u8>v;
  return b;
}
export { be32 };

// Child SA keys from KEYMAT: initiator-to-responder encryption and integrity keys first,
// then responder-to-initiator (RFC 7296 2.17). `weInitiated`: we initiated the exchange.
export function childKeys(c: ChildSa, keymat: Uint8Array, weInitiated: bool): void {
  const el = C.encrKeyLen(c.encr, c.keyBits);
  const il = C.isAead(c.encr) ? 0 : C.integKeyLen(c.integ);
  const ei = keymat.slice(0, el);
  const ai = keymat.slice(el, el + il);
  const er = keymat.slice(el + il, 2 * el + il);
  const ar = keymat.slice(2 * el + il, 2 * el + 2 * il);
  if (weInitiated) {
    c.encrOut = ei; c.integOut = ai; c.encrIn = er; c.integIn = ar;
  } else {
    c.encrIn = ei; c.integIn = ai; c.encrOut = er; c.integOut = ar;
  }
}
export function keymatLen(c: ChildSa): i32 {
  return 2 * (C.encrKeyLen(c.encr, c.keyBits) + (C.isAead(c.encr) ? 0 : C.integKeyLen(c.integ)));
}

// ---- the kernel's answer ---------------------------------------------------------------------
// A Child SA is established only once the kernel holds it (both SAs and its policies): what
// follows is decided by the kernel's answer, which the host gives as an event (evKernel), or at
// once when there is no kernel. As responder we install before we answer (Libreswan 4.10's
// process_v2_child_request_payloads does the same, and answers TS_UNACCEPTABLE when its
// kernel refuses); as initiator a refused Child SA is deleted with the peer by its SPI (where
// Libreswan 4.10 deletes the whole IKE SA), and revival (revival.ts) replaces it as it replaces
// any lost Child SA.
export const K_AUTH_I = 1; // the first Child SA, from the responder's IKE_AUTH answer
export const K_AUTH_R = 2; // the first Child SA, installed before our IKE_AUTH answer
export const K_CHILD_I = 3; // a Child SA our CREATE_CHILD_SA made (create_child_sa.ts)
export const K_CHILD_R = 4; // one the peer's CREATE_CHILD_SA asks for, before our answer (create_child_sa.ts)

export function installChild(c: ChildSa, then: i32): void {
  c.onInstalled = then;
  if (kernelAddChild(c)) childInstalled(c, true, "");
}

// The CREATE_CHILD_SA cases (create_child_sa.ts registers them: it imports this module).
let childExchangeInstalled: (c: ChildSa, ok: bool, why: string) => void = (c: ChildSa, ok: bool, why: string): void => {};
export function setChildExchangeInstalled(f: (c: ChildSa, ok: bool, why: string) => void): void {
  childExchangeInstalled = f;
}

// The kernel took the Child SA (ok) or refused it (`why`: what it refused, with the kernel's
// error name); the host has taken back whatever part of it the kernel had taken.
export function childInstalled(c: ChildSa, ok: bool, why: string): void {
  c.installing = false;
  if (!ok) c.installed = false;
  if (c.onInstalled == K_AUTH_I) {
    const sa = c.ike;
    if (ok) {
      childEstablished(c);
      deletedMeanwhile(c);
    } else {
      kernelRefused(c, why);
    }
    if (sa.reauthOf !== null) reauthDone(sa, ok);
    return;
  }
  if (c.onInstalled == K_AUTH_R) {
    const sa = c.respondOn!;
    c.respondOn = null;
    if (!ok) {
      logChild(c, LOG_INFO, "the kernel refused the Child SA (" + why + "): answering IKE_AUTH with " + notifyName(N_TS_UNACCEPTABLE));
      deleteChildLocal(c, "the kernel refused it");
    }
    answerAuth(sa, ok ? c : null, ok ? 0 : N_TS_UNACCEPTABLE);
    return;
  }
  childExchangeInstalled(c, ok, why);
}

// A Child SA of ours the kernel refused: not established, and the peer, which has its half,
// is told by a Delete of our SPI (RFC 7296 1.4.1); a connection that is supposed to be up
// gets another one later (revival.ts).
export function kernelRefused(c: ChildSa, why: string): void {
  const sa = c.ike;
  logChild(c, LOG_INFO, "the kernel refused the Child SA (" + why + "): not established; deleting it with the peer (ESP SPI 0x" + c.spiIn.toString(16) + ")");
  deleteChildLocal(c, "the kernel refused it");
  takeUnknownDeleted(sa, c.spiOut); // (the peer may have deleted it already: nothing to remember)
  if (sa.state == ESTABLISHED_IKE_SA) queueExchange(sa, X_DELETE_SPI, <i32>c.spiIn);
  childrenGone(sa, now, "the kernel refused Child SA #" + c.serial.toString());
}

// The peer deleted our new Child SA before its answer reached us (1.4.1): ours goes too.
export function deletedMeanwhile(c: ChildSa): void {
  if (!takeUnknownDeleted(c.ike, c.spiOut)) return;
  logChild(c, LOG_INFO, "the peer already deleted this Child SA: deleting ours");
  queueExchange(c.ike, X_DELETE_CHILD, c.serial);
}

export function childEstablished(c: ChildSa): void {
  c.state = ESTABLISHED_CHILD_SA;
  armChildTimers(c);
  childUp(c.ike.conn, now); // its revival waits start again once it stays up (revival.ts)
  logChild(c, LOG_INFO, "established Child SA " + (c.transport ? "transport" : "tunnel") + " mode " +
    tsText(c.tsLocal) + " === " + tsText(c.tsRemote) + " " + childSuite(c));
}

// A Child SA's SPIs and transforms as pluto prints them:
// {ESP=>0x12345678 <0x9abcdef0 xfrm=AES_GCM_16_256-NONE}, the KE group appended with PFS
export function childSuite(c: ChildSa): string {
  return "{ESP" + (c.ike.natT ? "inUDP" : "") + (c.esn == 1 ? "/ESN" : "") + "=>0x" + hex8(c.spiOut) + " <0x" + hex8(c.spiIn) +
    " xfrm=" + xformText(1, c.encr, c.keyBits) + "-" + xformText(3, c.integ, 0) + (c.dh != 0 ? "-" + xformText(4, c.dh, 0) : "") + "}";
}
function hex8(v: u32): string {
  let s = v.toString(16);
  while (s.length < 8) s = "0" + s;
  return s;
}

function ikeEstablished(sa: IkeSa): void {
  sa.state = ESTABLISHED_IKE_SA;
  armIkeTimers(sa);
  // pluto: "responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west'"
  logSa(sa, LOG_INFO, (sa.initiator ? "initiator" : "responder") + " established IKE SA; authenticated peer using authby=secret and " +
    (sa.peerId !== null ? idText(sa.peerId!) : idText(sa.conn.remoteId)) + " " + suite(sa));
}

// ---- initiator -------------------------------------------------------------------------------
function sendAuthRequest(sa: IkeSa): void {
  const c = sa.conn;
  const child = new ChildSa(sa);
  child.spiIn = newChildSpi(sa);
  child.transport = c.transport;
  child.nonceI = sa.Ni;
  child.nonceR = sa.Nr;
  sa.childInFlight = child;
  if (c.psk.length == 0) {
    deleteIkeLocal(sa, noPsk(c));
    return;
  }
  const a = pskAuth(sa, sa.initRequest, sa.Nr, idBody(c.localId), true);
  beginTape();
  beginChain();
  id(PT2_IDI, c.localId);
  if (c.initialContact && !hasContact(sa)) notify(N_INITIAL_CONTACT, 0, new Uint8Array(0), new Uint8Array(0));
  if (!c.remoteId.wild) id(PT2_IDR, c.remoteId); // a pattern is not an ID to ask for
  auth(AUTH_SHARED_KEY_MAC, a);
  // asking for our address: CP(CFG_REQUEST), and TSi the whole family for the server to narrow
  if (c.cfgClient) cpRequest(sa.local.family);
  saProposals(c.esp, PROTO_ESP, be32(child.spiIn), false); // no KE in IKE_AUTH (RFC 7296 1.2)
  ts(PT2_TSI, c.cfgClient ? anyTs(sa.local.family) : c.localTs);
  ts(PT2_TSR, c.remoteTs);
  if (c.transport) notify(N_USE_TRANSPORT_MODE, 0, new Uint8Array(0), new Uint8Array(0));
  notify(N_ESP_TFC_PADDING_NOT_SUPPORTED, 0, new Uint8Array(0), new Uint8Array(0));
  end();
  const d = sealBuilt(sa, IKE_AUTH, false, 1);
  if (d === null) {
    deleteIkeLocal(sa, "cannot encode IKE_AUTH request");
    return;
  }
  sa.state = IKE_AUTH_I;
  sendRequest(sa, X_IKE_AUTH, 0, d);
  logSa(sa, LOG_INFO, "sent IKE_AUTH request (" + d.length.toString() + " datagram" + (d.length > 1 ? "s" : "") + ")");
}

export function onAuthResponse(sa: IkeSa, msgid: u32): i32 {
  if (sa.state != IKE_AUTH_I || sa.outstandingWhat != X_IKE_AUTH) return -1;
  const idr = find(PT2_IDR);
  const ap = find(39);
  if (idr < 0 || ap < 0) {
    const n = find(41);
    const t = n >= 0 ? field(n, 2) : 0;
    let why = "";
    if (t == N_AUTHENTICATION_FAILED) {
      why = ": it did not accept our ID " + idText(sa.conn.localId) + " or our AUTH, made with " + pskUsed(sa.conn) + " (its log says which)";
    } else if (t == N_NO_PROPOSAL_CHOSEN) {
      why = ": it accepts none of our ESP proposals " + localProposalsText(sa.conn.esp, PROTO_ESP);
    } else if (t == N_TS_UNACCEPTABLE) {
      why = ": it accepts none of our traffic selectors " + tsText(sa.conn.localTs) + " === " + tsText(sa.conn.remoteTs);
    }
    logSa(sa, LOG_INFO, "IKE_AUTH failed: the responder answered with " + notifyName(t) + why);
    deleteIkeLocal(sa, "IKE_AUTH failed");
    return -1;
  }
  const c = sa.conn;
  const peerId = new Id(field(idr, 1), dataA(idr));
  // the responder has its IKE SA and Child SA by now: a refusal reaches it (2.21.2)
  if (!c.remoteId.matches(peerId)) {
    requestDone(sa);
    refuseIkeSa(sa, N_AUTHENTICATION_FAILED, "the responder's identity " + idText(peerId) + " does not match the connection's " + peerIdKeyword(c) + "=" + c.remoteId.toText());
    return -1;
  }
  if (c.psk.length == 0) {
    // a reread took the secret away while the request was out
    requestDone(sa);
    refuseIkeSa(sa, N_AUTHENTICATION_FAILED, noPsk(c));
    return -1;
  }
  const want = pskAuth(sa, sa.initResponse, sa.Ni, payloadBody(idr, heldPlainPtr()), false);
  if (field(ap, 1) != AUTH_SHARED_KEY_MAC || !constEq(dataA(ap), want)) {
    requestDone(sa);
    refuseIkeSa(sa, N_AUTHENTICATION_FAILED, "the responder's AUTH payload (" + authName(field(ap, 1)) + ") does not verify with our " + authName(AUTH_SHARED_KEY_MAC) +
      " made with " + pskUsed(c) + ": authentication of peer " + idText(peerId) + " failed");
    return -1;
  }
  requestDone(sa);
  sa.peerId = peerId;
  ikeEstablished(sa);
  const child = sa.childInFlight;
  sa.childInFlight = null;
  // established once the kernel holds it; a reauthentication is settled then (childInstalled)
  if (child !== null && acceptChild(sa, child!, true)) installChild(child!, K_AUTH_I);
  else if (sa.reauthOf !== null) reauthDone(sa, false);
  void msgid;
  kick(sa);
  return 0;
}

// A reauthentication's new IKE SA is up (create_child_sa.ts reauthenticate): once its Child
// SA is, the IKE SA it replaces goes, with the Child SAs it still has (make before break).
function reauthDone(sa: IkeSa, childUp: bool): void {
  const old = sa.reauthOf!;
  if (old.state != ESTABLISHED_IKE_SA) return;
  if (!childUp) {
    logSa(old, LOG_INFO, "its reauthentication, IKE SA #" + sa.serial.toString() + ", has no Child SA: this IKE SA stays until it expires");
    return;
  }
  logSa(old, LOG_INFO, "replaced by IKE SA #" + sa.serial.toString() + " (reauthentication): deleting it");
  old.replacedBy = sa.serial;
  old.rekeyAt = 0;
  queueExchange(old, X_DELETE_IKE, 0);
}

// The responder's answer about the first Child SA (IKE_AUTH) or a new one (CREATE_CHILD_SA):
// check what it chose, derive keys from SK_d (without PFS), keep it; the caller installs it.
// Returns false when the Child SA was refused (the IKE SA stays).
export function acceptChild(sa: IkeSa, child: ChildSa, ikeAuth: bool): bool {
  const c = sa.conn;
  const sap = find(33);
  const tsi = find(PT2_TSI);
  const tsr = find(PT2_TSR);
  if (sap < 0 || tsi < 0 || tsr < 0) {
    const n = find(41);
    const t = n >= 0 ? field(n, 2) : 0;
    let why = "";
    if (t == N_NO_PROPOSAL_CHOSEN) why = ": it accepts none of our ESP proposals " + localProposalsText(c.esp, PROTO_ESP);
    else if (t == N_TS_UNACCEPTABLE) why = ": it accepts none of our traffic selectors " + tsText(c.localTs) + " === " + tsText(c.remoteTs) + " (local === remote)";
    logChild(child, LOG_INFO, "no Child SA: the responder answered with " + notifyName(t) + why);
    return false;
  }
  const ch = choose(sap, PROTO_ESP, c.esp, false);
  if (ch === null || !offered(ch, c.esp, false) || ch.spi.length != 4) {
    logChild(child, LOG_INFO, "the responder chose an ESP proposal we did not offer");
    return refuseChild(sa, child);
  }
  const tl = readTs(tsi);
  const tr = readTs(tsr);
  // a client that asked for its address: the CFG_REPLY's addresses are its local selectors
  if (c.cfgClient && ikeAuth) {
    const why = readCpReply(c);
    if (why.length > 0) {
      logChild(child, LOG_INFO, why + ": not setting up the Child SA");
      return refuseChild(sa, child);
    }
    logChild(child, LOG_INFO, "received " + cpText(c));
  }
  const ourTs = c.cfgClient ? vipTs(c) : c.localTs;
  if (!within(tl, ourTs) || !within(tr, c.remoteTs)) {
    logChild(child, LOG_INFO, "the responder's traffic selectors " + tsText(tl) + " === " + tsText(tr) + " are not within ours, " + tsText(ourTs) + " === " + tsText(c.remoteTs) + " (local === remote)");
    return refuseChild(sa, child);
  }
  if (!c.narrowing && ((!c.cfgClient && !whole(tl, c.localTs)) || !whole(tr, c.remoteTs))) {
    logChild(child, LOG_INFO, "the responder narrowed our traffic selectors to " + tsText(tl) + " === " + tsText(tr) + ", and narrowing=no");
    return refuseChild(sa, child);
  }
  child.spiOut = load<u32>(ch.spi.dataStart);
  child.spiOut = bswap(child.spiOut);
  child.encr = ch.encr;
  child.keyBits = ch.keyBits;
  child.integ = ch.integ;
  child.esn = ch.esn;
  child.tsLocal = tl;
  child.tsRemote = tr;
  child.transport = c.transport && findNotify(N_USE_TRANSPORT_MODE) >= 0;
  if (child.dh == 0) childKeys(child, C.prfPlus(sa.prf, sa.SK_d, concat2(child.nonceI, child.nonceR), keymatLen(child)), true);
  sa.children.push(child);
  void ikeAuth;
  return true;
}

// We refuse a Child SA the responder has made (its answer holds SA, TSi, TSr): it has the
// Child SA with our SPI as its outbound one, so a Delete of that SPI takes its half away
// (RFC 7296 1.4.1; Libreswan 4.10 deletes a Child SA it refuses in an IKE_AUTH answer so).
// Returns false, for acceptChild.
export function refuseChild(sa: IkeSa, child: ChildSa): bool {
  logChild(child, LOG_INFO, "deleting the Child SA the responder made (ESP SPI 0x" + child.spiIn.toString(16) + ")");
  queueExchange(sa, X_DELETE_SPI, <i32>child.spiIn);
  return false;
}

function authName(m: i32): string {
  const n = nameOf(REG_AUTH_V2, m);
  return n.length > 0 ? n : "auth method " + m.toString();
}

// ---- responder -------------------------------------------------------------------------------
export function onAuthRequest(sa: IkeSa, msgid: u32): i32 {
  if (sa.state != IKE_SA_INIT_R || msgid != 1) {
    logSa(sa, LOG_DEBUG, "dropping IKE_AUTH request in state " + sa.state.toString());
    return -1;
  }
  let c = sa.conn; // an instance of a template, when IKE_SA_INIT found one
  let base = c.template !== null ? c.template! : c; // the connection as configured
  const idi = find(PT2_IDI);
  const ap = find(39);
  if (idi < 0 || ap < 0) {
    logSa(sa, LOG_INFO, "IKE_AUTH request lacks IDi or AUTH: INVALID_SYNTAX");
    return failAuth(sa, msgid, 7);
  }
  const peerId = new Id(field(idi, 1), dataA(idi));
  const idrp = find(PT2_IDR);
  const wanted = idrp >= 0 ? new Id(field(idrp, 1), dataA(idrp)) : null;
  if (c.kind == KIND_INSTANCE && c.template!.remoteId.wild && c.remoteId !== c.template!.remoteId && !peerId.equals(c.remoteId)) {
    // an instance that took another peer's ID (two peers behind one NAT address): this peer
    // gets its own instance of the template
    const fresh = instantiate(c.template!, sa.remote);
    sa.conn = fresh;
    releaseInstance(c);
    c = fresh;
  }
  const fit = c.remoteId.matchScore(peerId);
  const wrongIdr = wanted !== null && !wanted.equals(c.localId);
  if (fit != 0 || wrongIdr) {
    // another connection of this host pair may be the one these identities name, or name
    // more closely (an exact ID before a DN wildcard before %any, as Libreswan refines)
    const better = findConnByIds(sa.local, sa.remote, peerId, wanted, sa.encr, sa.keyBits, sa.prf, sa.integ, sa.dh);
    if (better !== null && better !== base && (fit < 0 || wrongIdr || better.remoteId.matchScore(peerId) < fit)) {
      logSa(sa, LOG_INFO, 'the identities name connection "' + better.name + '": switching from "' + base.name + '"');
      c = settleConn(sa, c, better); // a template becomes an instance for this peer
      base = better;
    }
  }
  if (!c.remoteId.matches(peerId)) {
    logSa(sa, LOG_INFO, "the initiator's identity " + idText(peerId) + " does not match the connection's " + peerIdKeyword(c) + "=" + c.remoteId.toText() +
      (wanted !== null && !wanted!.equals(c.localId) ? " (and it asks for our ID as " + idText(wanted!) + ", ours is " + ourIdKeyword(c) + "=" + c.localId.toText() + ")" : "") +
      ": AUTHENTICATION_FAILED");
    return failAuth(sa, msgid, N_AUTHENTICATION_FAILED);
  }
  if (c.psk.length == 0) {
    logSa(sa, LOG_INFO, noPsk(c) + ": AUTHENTICATION_FAILED");
    return failAuth(sa, msgid, N_AUTHENTICATION_FAILED);
  }
  const want = pskAuth(sa, sa.initRequest, sa.Nr, payloadBody(idi, heldPlainPtr()), true);
  if (field(ap, 1) != AUTH_SHARED_KEY_MAC || !constEq(dataA(ap), want)) {
    logSa(sa, LOG_INFO, "authentication failed: the initiator's AUTH payload (" + authName(field(ap, 1)) + ") does not verify with " + pskUsed(c) +
      ": peer " + idText(peerId) + " used another secret: AUTHENTICATION_FAILED");
    return failAuth(sa, msgid, N_AUTHENTICATION_FAILED);
  }
  sa.peerId = peerId;
  const initialContact = findNotify(N_INITIAL_CONTACT) >= 0; // read before the tape is reused
  // a Configuration payload: the client asks for an address (cp.ts); without a pool it goes
  // unanswered, as in Libreswan 4.10
  const ask: CpAsk | null = readCpRequest(sa);
  // the first Child SA, read before the tape is reused for the answer
  const child = new ChildSa(sa);
  child.byUs = false;
  child.nonceI = sa.Ni;
  child.nonceR = sa.Nr;
  let refusal = offerChild(sa, child, false, true, ask);
  const firstRefusal = refusalText; // logged only if no other connection takes the selectors
  if (refusal == N_TS_UNACCEPTABLE) {
    // the traffic selectors may be another connection's of this host pair, for the same
    // identities and secret (IKE_AUTH refines by identities, then by traffic selectors)
    const cands = connsByIds(sa.local, sa.remote, peerId, wanted, sa.encr, sa.keyBits, sa.prf, sa.integ, sa.dh);
    // sifted without allocating first: a host pair may have thousands of connections
    const tsiList = readTs(find(PT2_TSI));
    const tsrList = readTs(find(PT2_TSR));
    const peerAddr = sa.remote.addrBytes();
    for (let i = 0; i < cands.length && refusal != 0; i++) {
      const k = cands[i];
      if (k === c || k === base || !bytesEqual(k.psk, c.psk) || !k.localId.equals(c.localId)) continue;
      if (!overlapsAny(tsrList, k.localTs)) continue;
      if (k.remoteVirtual == 0 && !(k.remoteTsIsHost ? holdsAddress(tsiList, peerAddr) : overlapsAny(tsiList, k.remoteTs))) continue;
      // a template is tried as this peer's instance (its selectors may name the peer's address)
      const kc = k.kind == KIND_TEMPLATE ? instantiate(k, sa.remote) : k;
      sa.conn = kc;
      refusal = offerChild(sa, child, false, true, ask);
      if (refusal == 0) {
        logSa(sa, LOG_INFO, 'the traffic selectors name connection "' + k.name + '": switching from "' + base.name + '"');
        releaseInstance(c);
        c = kc;
        base = k;
      } else {
        sa.conn = c;
        releaseInstance(kc);
      }
    }
  }
  if (refusal != 0) logChild(child, LOG_INFO, firstRefusal);
  // an instance takes what its template left open: the peer's ID, and the selectors of a port
  // wildcard or a virtual subnet
  if (c.kind == KIND_INSTANCE) {
    if (c.template!.remoteId.wild) c.remoteId = peerId;
    if (refusal == 0 && (c.remotePortWildcard || c.remoteVirtual != 0)) c.remoteTs = child.tsRemote;
    c.forgetJson();
  }
  if (ask !== null && c.remotePools.length == 0) logSa(sa, LOG_INFO, "the client asks for an address (CFG_REQUEST) and the connection has no addresspool for it: no CFG_REPLY");
  // the CFG_REQUEST, for the answer once the kernel took the Child SA
  if (ask !== null) pendingAsks.set(sa.serial, ask); else pendingAsks.delete(sa.serial);
  // what the answer needs, kept for when the kernel has answered
  sa.pendingReq = msgid;
  sa.pendingContact = initialContact;
  sa.pendingNumber = childNumber;
  sa.pendingXforms = childXforms;
  if (refusal != 0) {
    answerAuth(sa, null, refusal);
    return 0;
  }
  // the Child SA is installed before the answer says it exists (answerAuth, once the kernel took it)
  childKeys(child, C.prfPlus(sa.prf, sa.SK_d, concat2(sa.Ni, sa.Nr), keymatLen(child)), false);
  sa.children.push(child);
  sa.pendingChild = child;
  sa.busyRequest = true; // a retransmission of the request waits for the answer
  child.respondOn = sa;
  child.respondMsgid = msgid;
  installChild(child, K_AUTH_R);
  return 0;
}

//                           <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr, [N(USE_TRANSPORT_MODE)]}
//                           <--  HDR, SK {IDr, AUTH, N(TS_UNACCEPTABLE)}  (no Child SA)
// The IKE SA is established either way; `child` (refusal 0) is, once the answer is out.
function answerAuth(sa: IkeSa, child: ChildSa | null, refusal: i32): void {
  const msgid = sa.pendingReq;
  sa.pendingChild = null;
  if (sa.state != IKE_SA_INIT_R) return; // it went while the kernel was asked
  const c = sa.conn;
  const a = pskAuth(sa, sa.initResponse, sa.Ni, idBody(c.localId), false);
  beginTape();
  beginChain();
  id(PT2_IDR, c.localId);
  auth(AUTH_SHARED_KEY_MAC, a);
  const ask = pendingAsks.has(sa.serial) ? pendingAsks.get(sa.serial) : null;
  pendingAsks.delete(sa.serial);
  if (child !== null) {
    if (ask !== null && c.hasLease) cpReply(c, ask, child.tsLocal);
    saChosen(sa.pendingNumber, PROTO_ESP, be32(child.spiIn), sa.pendingXforms);
    ts(PT2_TSI, child.tsRemote);
    ts(PT2_TSR, child.tsLocal);
    if (child.transport) notify(N_USE_TRANSPORT_MODE, 0, new Uint8Array(0), new Uint8Array(0));
  } else {
    notify(refusal, 0, new Uint8Array(0), new Uint8Array(0));
  }
  end();
  const d = sealBuilt(sa, IKE_AUTH, true, msgid);
  if (d === null) {
    deleteIkeLocal(sa, "cannot encode IKE_AUTH response");
    return;
  }
  sendResponse(sa, msgid, d);
  ikeEstablished(sa);
  if (child !== null) childEstablished(child);
  replaceOlder(sa, sa.pendingContact);
  kick(sa);
}

// What offerChild chose, for the builder (read from the tape before the answer is built).
export let childNumber: i32 = 0;
export let childXforms: Array<Xform> = new Array<Xform>();

// Reads SA, TSi, TSr (and USE_TRANSPORT_MODE) of a request that creates a Child SA and fills
// `child` with our choice. Returns 0, or the notify that refuses the Child SA. `wantDh`: the
// proposal must carry one of our KE groups (CREATE_CHILD_SA with pfs=yes; IKE_AUTH has none).
// quiet: the reason is left in refusalText, not logged (the caller may try another connection).
// ask: a CFG_REQUEST, when the connection leases addresses (cp.ts).
export let refusalText: string = "";
export function offerChild(sa: IkeSa, child: ChildSa, wantDh: bool = false, quiet: bool = false, ask: CpAsk | null = null): i32 {
  const c = sa.conn;
  const sap = find(33);
  const tsi = find(PT2_TSI);
  const tsr = find(PT2_TSR);
  refusalText = "";
  if (sap < 0 || tsi < 0 || tsr < 0) {
    refusalText = "no SA, TSi or TSr payload for a Child SA: NO_PROPOSAL_CHOSEN";
    if (!quiet) logChild(child, LOG_INFO, refusalText);
    return N_NO_PROPOSAL_CHOSEN;
  }
  const ch = choose(sap, PROTO_ESP, c.esp, wantDh);
  if (ch === null || ch.spi.length != 4) {
    if (ch === null && wantDh) {
      // as Libreswan 4.10: with pfs=yes the proposals of a CREATE_CHILD_SA must include a KE
      // group of ours; one that offers none is no match (NO_PROPOSAL_CHOSEN, not
      // INVALID_KE_PAYLOAD, which can only name a group the request offered: RFC 7296 1.3)
      const theirs = offeredGroups(sap, PROTO_ESP);
      refusalText = "no acceptable ESP proposal: pfs=yes wants a KE group of " + groupsText(ourGroups(c.esp)) +
        ", the peer offers " + (theirs.length > 0 ? groupsText(theirs) : "none") + ": NO_PROPOSAL_CHOSEN";
    } else if (ch === null) {
      refusalText = "no acceptable ESP proposal: " + noMatchText(sap, PROTO_ESP, c.esp, wantDh) + ": NO_PROPOSAL_CHOSEN";
    } else {
      refusalText = "no acceptable ESP proposal: the chosen proposal has an SPI of " + ch.spi.length.toString() + " bytes, not 4: NO_PROPOSAL_CHOSEN";
    }
    if (!quiet) logChild(child, LOG_INFO, refusalText);
    return N_NO_PROPOSAL_CHOSEN;
  }
  // an address pool: the client's selectors are the addresses it leases (cp.ts)
  if (ask !== null && c.remotePools.length > 0) {
    const r = leaseAddresses(sa, child, c, ask!);
    if (r != 0) return r;
  }
  // a virtual subnet (vnet:/vhost:) is the peer's to name, within virtual-private
  const remote = c.remoteVirtual != 0 ? (virtualFits(c, readTs(tsi)) ? readTs(tsi) : new Array<Ts>()) : narrow(readTs(tsi), c.remoteTs);
  // a client's own side is the address its server gave it
  const ourTs = c.cfgClient && c.vips.length > 0 ? vipTs(c) : c.localTs;
  const local = narrow(readTs(tsr), ourTs);
  if (remote.length == 0 || local.length == 0) {
    refusalText = tsRefusal(sa, tsi, tsr, "do not fit");
    if (!quiet) logChild(child, LOG_INFO, refusalText);
    return N_TS_UNACCEPTABLE;
  }
  // narrowing=no: the peer's proposal must hold our selectors whole (what a template leaves
  // open, the peer's port or virtual subnet, is the peer's to name)
  if (!c.narrowing && (!whole(local, ourTs) || (c.remoteVirtual == 0 && !c.remotePortWildcard && !whole(remote, c.remoteTs)))) {
    refusalText = tsRefusal(sa, tsi, tsr, "are narrower than", " and narrowing=no");
    if (!quiet) logChild(child, LOG_INFO, refusalText);
    return N_TS_UNACCEPTABLE;
  }
  child.spiOut = bswap(load<u32>(ch.spi.dataStart));
  child.spiIn = newChildSpi(sa);
  child.encr = ch.encr;
  child.keyBits = ch.keyBits;
  child.integ = ch.integ;
  child.esn = ch.esn;
  child.dh = ch.dh;
  child.tsLocal = local;
  child.tsRemote = remote;
  child.transport = c.transport && findNotify(N_USE_TRANSPORT_MODE) >= 0;
  childNumber = ch.number;
  childXforms = chosenXforms(ch);
  if (debugging) logChild(child, LOG_DEBUG, "proposal " + chosenText(ch) + " chosen from remote proposals " + remoteProposalsText(sap, PROTO_ESP));
  return 0;
}

// A refusal of the peer's traffic selectors, written from our side: a request's TSr are our
// end, its TSi the requester's (its view is TSi === TSr; ours, local === remote).
function tsRefusal(sa: IkeSa, tsi: i32, tsr: i32, how: string, extra: string = ""): string {
  const c = sa.conn;
  const local = readTs(tsr);
  const remote = readTs(tsi);
  return "the peer's traffic selectors " + tsText(local) + " === " + tsText(remote) + " " + how + " the connection's " +
    tsText(c.localTs) + " === " + (c.remoteTs.length > 0 ? tsText(c.remoteTs) : "the peer's address") + " (local === remote)" + extra + ": TS_UNACCEPTABLE";
}

// RFC 7296 2.21.2: an IKE_AUTH that fails is answered with the notify, and the IKE SA is gone.
function failAuth(sa: IkeSa, msgid: u32, type: i32): i32 {
  beginTape();
  beginChain();
  notify(type, 0, new Uint8Array(0), new Uint8Array(0));
  end();
  const d = sealBuilt(sa, IKE_AUTH, true, msgid);
  if (d !== null) sendResponse(sa, msgid, d);
  deleteIkeLocal(sa, "IKE_AUTH failed");
  return -1;
}

export { u64ToBytes, bytesEqual, Ts, now };

// The CFG_REQUEST of an IKE_AUTH whose answer waits for the kernel, by IKE SA serial.
const pendingAsks = new Map<i32, CpAsk>();

// What a CFG_REPLY gave us, for the log and status.
export function cpText(c: Conn): string {
  const parts = new Array<string>();
  for (let i = 0; i < c.vips.length; i++) parts.push(addrText(c.vips[i]));
  let s = "address " + parts.join(", ");
  if (c.peerDns.length > 0) {
    const d = new Array<string>();
    for (let i = 0; i < c.peerDns.length; i++) d.push(addrText(c.peerDns[i]));
    s += ", DNS " + d.join(", ");
  }
  if (c.peerDomains.length > 0) s += ", domains " + c.peerDomains.join(", ");
  return s;
}
