// IKE_SA_INIT (RFC 7296 1.2, 2.6 cookies, 2.23 NAT detection, RFC 7383 fragmentation support)
//
//   Initiator                         Responder
//   HDR, SAi1, KEi, Ni,
//     N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//     [N(IKEV2_FRAGMENTATION_SUPPORTED)]  -->
//                                <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*), [N(...)]
//   or, without state on the responder:
//                                <--  HDR, N(COOKIE)
//                                <--  HDR, N(INVALID_KE_PAYLOAD)
//                                <--  HDR, N(NO_PROPOSAL_CHOSEN)
import { Conn, Endpoint, findConnFor, instantiate, KIND_TEMPLATE } from "../conn/conn";
import {
  IkeSa, addIke, allIke, byInitiatorSpi, halfOpenCount, IKE_SA_INIT_I0, IKE_SA_INIT_I, IKE_AUTH_I0, IKE_SA_INIT_R0, IKE_SA_INIT_R, IKE_SA_DEAD,
} from "../sa/sa";
import { copyIn, u64ToBytes, concat4, bytesEqual, BlobWriter, readBlobs, strBytes } from "../bytes";
import * as C from "../crypto";
import { log, debugging } from "../pump";
import { shuttingDown } from "./shutdown";
import { beginTape, header, end, encodeBuilt, find, findNotify, dataA, dataB, field, FLAG_R, logPayloads } from "./message";
import { saProposals, saChosen, ke, nonce, notify } from "./build";
import {
  choose, offered, chosenXforms, Chosen, xformText, noMatchText, chosenText, remoteProposalsText, localProposalsText, groupName, groupsText, ourGroups, T_ENCR, T_PRF, T_INTEG, T_DH,
} from "./proposals";
import {
  now, logSa, sendRequest, sendResponse, sendTo, requestDone, submitJob, deleteIkeLocal, P_INIT, P_INIT_KEYS,
  IKE_SA_INIT, notifyName,
} from "./state";
import { send } from "../pump";
import { LOG_INFO, LOG_DEBUG, JOB_DH_GENERATE, JOB_IKE_KEYS, JOB_OK, K_V2_HDR, REG_ENCR, REG_PRF, REG_INTEG, REG_DH } from "../abi";
import { nameOf } from "../names/index";
import { dropped, askedCookie, busy, helpersOverloaded, ddosModeName, halfOpenRefusal, perSourceLimit, HALF_OPEN_MS, HALF_OPEN_BUSY_MS } from "./ddos";
import { newNode, closeNode, setF, setA, setB, tapeReset } from "../wire/tape";

export const N_INVALID_KE_PAYLOAD = 17;
export const N_NO_PROPOSAL_CHOSEN = 14;
export const N_INVALID_SYNTAX = 7;
export const N_COOKIE = 16390;
export const N_NAT_DETECTION_SOURCE_IP = 16388;
export const N_NAT_DETECTION_DESTINATION_IP = 16389;
export const N_IKEV2_FRAGMENTATION_SUPPORTED = 16430;
export const N_SIGNATURE_HASH_ALGORITHMS = 16431;

// RFC 7427 4: the hash algorithms we can verify signatures with (SHA2-256, -384, -512), sent
// in IKE_SA_INIT as Libreswan and strongSwan do, so a peer knows what RFC 7427 AUTH may use.
function hashAlgorithms(): Uint8Array {
  const b = new Uint8Array(6);
  b[1] = 2;
  b[3] = 3;
  b[5] = 4;
  return b;
}
export const X_IKE_SA_INIT = 100; // outstandingWhat of our IKE_SA_INIT request

let cookieSecret: Uint8Array = new Uint8Array(0);

// NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP address | port)
function natHash(spiI: u64, spiR: u64, ep: Endpoint): Uint8Array {
  // one buffer, filled in place: SPIi (8) | SPIr (8) | address (4 or 16) | port (2)
  const al = ep.family == 6 ? 16 : 4;
  const b = new Uint8Array(18 + al);
  store<u64>(b.dataStart, bswap(spiI));
  store<u64>(b.dataStart + 8, bswap(spiR));
  memory.copy(b.dataStart + 16, ep.addr.dataStart, <usize>al);
  b[16 + al] = <u8>(ep.port >> 8);
  b[17 + al] = <u8>ep.port;
  return C.sha1(b);
}

// ---- initiator -------------------------------------------------------------------------------
export function initiateIke(c: Conn): IkeSa | null {
  if (shuttingDown) {
    log(LOG_INFO, '"' + c.name + '": not initiating: shutting down');
    return null;
  }
  if (c.remote.family == 0) {
    log(LOG_INFO, '"' + c.name + '": cannot initiate: the peer is %any');
    return null;
  }
  const sa = new IkeSa(c, true, c.local.clone(), c.remote.clone());
  sa.spiI = C.randomSpi64();
  addIke(sa);
  const first = c.ike[0].first(4);
  sa.dh = first !== null ? first.id : 0;
  sa.Ni = C.randomBytes(32);
  sa.state = IKE_SA_INIT_I0;
  logSa(sa, LOG_INFO, "initiating IKEv2 connection to " + c.remote.toString());
  submitJob(sa, P_INIT, 0, JOB_DH_GENERATE, new BlobWriter().num(sa.dh).bytes());
  return sa;
}

function sendInitRequest(sa: IkeSa): void {
  const c = sa.conn;
  beginTape();
  header(sa, IKE_SA_INIT, false, 0);
  if (sa.cookie.length > 0) notify(N_COOKIE, 0, new Uint8Array(0), sa.cookie); // first, as 2.6 says
  saProposals(c.ike, 1, new Uint8Array(0), true);
  ke(sa.dh, sa.dhPub);
  nonce(sa.Ni);
  notify(N_NAT_DETECTION_SOURCE_IP, 0, new Uint8Array(0), natHash(sa.spiI, 0, sa.local));
  notify(N_NAT_DETECTION_DESTINATION_IP, 0, new Uint8Array(0), natHash(sa.spiI, 0, sa.remote));
  if (c.fragmentation) notify(N_IKEV2_FRAGMENTATION_SUPPORTED, 0, new Uint8Array(0), new Uint8Array(0));
  notify(N_SIGNATURE_HASH_ALGORITHMS, 0, new Uint8Array(0), hashAlgorithms());
  end();
  if (debugging) logPayloads(sa.conn.label + " #" + sa.serial.toString() + ": sending", IKE_SA_INIT, false, 0, true, false);
  const m = encodeBuilt();
  if (m === null) {
    deleteIkeLocal(sa, "cannot encode IKE_SA_INIT request");
    return;
  }
  sa.initRequest = m;
  sa.state = IKE_SA_INIT_I;
  sa.nextRequestId = 0;
  const d = new Array<Uint8Array>();
  d.push(m);
  sendRequest(sa, X_IKE_SA_INIT, 0, d);
  logSa(sa, LOG_INFO, "sent IKE_SA_INIT request");
}

export function onInitResponse(sa: IkeSa, msg: usize, len: i32, spiR: u64, msgid: u32): i32 {
  if (sa.state != IKE_SA_INIT_I || msgid != 0 || sa.outstandingWhat != X_IKE_SA_INIT) {
    logSa(sa, LOG_DEBUG, "dropping IKE_SA_INIT response: not expecting one");
    return -1;
  }
  const ck = findNotify(N_COOKIE);
  if (ck >= 0) {
    const cookie = dataB(ck);
    if (cookie.length < 1 || cookie.length > 64 || sa.cookie.length > 0 && bytesEqual(cookie, sa.cookie)) {
      logSa(sa, LOG_INFO, "dropping IKE_SA_INIT response: unusable cookie");
      return -1;
    }
    logSa(sa, LOG_INFO, "responder wants a cookie: resending IKE_SA_INIT with N(COOKIE)");
    sa.cookie = cookie;
    requestDone(sa);
    sendInitRequest(sa);
    return 0;
  }
  const ike = findNotify(N_INVALID_KE_PAYLOAD);
  if (ike >= 0) {
    const d = dataB(ike);
    const group = d.length == 2 ? (<i32>d[0] << 8) | d[1] : 0;
    let ok = false;
    for (let i = 0; i < sa.conn.ike.length; i++) if (sa.conn.ike[i].has(4, group, 0)) ok = true;
    if (!ok || group == sa.dh || sa.invalidKeRetries >= 3) {
      logSa(sa, LOG_INFO, "responder asks for KE group " + groupName(group) + ", which we " + (group == sa.dh ? "sent already" : "do not propose (ours: " + groupsText(ourGroups(sa.conn.ike)) + ")") + ": giving up");
      deleteIkeLocal(sa, "INVALID_KE_PAYLOAD");
      return -1;
    }
    sa.invalidKeRetries++;
    logSa(sa, LOG_INFO, "responder wants KE group " + groupName(group) + ", not " + groupName(sa.dh) + " (INVALID_KE_PAYLOAD): retrying");
    sa.dh = group;
    requestDone(sa);
    sa.state = IKE_SA_INIT_I0;
    submitJob(sa, P_INIT, 0, JOB_DH_GENERATE, new BlobWriter().num(group).bytes());
    return 0;
  }
  const sap = find(33);
  const kep = find(34);
  const np = find(40);
  if (sap < 0 || kep < 0 || np < 0) {
    const n = find(41);
    const t = n >= 0 ? field(n, 2) : 0;
    logSa(sa, LOG_INFO, "IKE_SA_INIT rejected by the responder" + (t != 0 ? " with " + notifyName(t) : " (no SA, KE or Nonce payload)") +
      (t == N_NO_PROPOSAL_CHOSEN ? ": it accepts none of our proposals " + localProposalsText(sa.conn.ike, 1) : "") + ": giving up");
    deleteIkeLocal(sa, "IKE_SA_INIT failed");
    return -1;
  }
  const c = choose(sap, 1, sa.conn.ike, true);
  if (c === null || !offered(c, sa.conn.ike, true) || c.dh != sa.dh || field(kep, 1) != sa.dh || spiR == 0) {
    logSa(sa, LOG_INFO, "IKE_SA_INIT response chose a proposal or KE group we did not offer");
    deleteIkeLocal(sa, "bad IKE_SA_INIT response");
    return -1;
  }
  const peerKe = dataA(kep);
  if (peerKe.length != C.dhLen(sa.dh)) {
    logSa(sa, LOG_INFO, "IKE_SA_INIT response KE has " + peerKe.length.toString() + " bytes, not " + C.dhLen(sa.dh).toString());
    deleteIkeLocal(sa, "bad KE");
    return -1;
  }
  sa.spiR = spiR;
  sa.encr = c.encr;
  sa.keyBits = c.keyBits;
  sa.prf = c.prf;
  sa.integ = c.integ;
  sa.Nr = dataA(np);
  sa.peerKe = peerKe;
  sa.peerFragmentation = findNotify(N_IKEV2_FRAGMENTATION_SUPPORTED) >= 0;
  detectNat(sa);
  sa.initResponse = copyIn(msg, len);
  requestDone(sa);
  sa.nextRequestId = 1;
  sa.state = IKE_AUTH_I0;
  logSa(sa, LOG_INFO, "received IKE_SA_INIT response: " + suite(sa));
  submitKeys(sa);
  return 0;
}

// RFC 7296 2.23: a NAT between us changes the hashes; then both move to port 4500.
function detectNat(sa: IkeSa): void {
  const src = findNotify(N_NAT_DETECTION_SOURCE_IP);
  const dst = findNotify(N_NAT_DETECTION_DESTINATION_IP);
  if (src < 0 || dst < 0) return;
  const peerSrc = dataB(src);
  const peerDst = dataB(dst);
  const natThem = !bytesEqual(peerSrc, natHash(sa.spiI, sa.initiator ? sa.spiR : 0, sa.remote));
  const natUs = !bytesEqual(peerDst, natHash(sa.spiI, sa.initiator ? sa.spiR : 0, sa.local));
  sa.natDetected = natThem || natUs;
  if (sa.natDetected && sa.initiator && !sa.natT) {
    sa.natT = true;
    sa.local.port = 4500;
    sa.remote.port = 4500;
    logSa(sa, LOG_INFO, "NAT detected (" + (natUs ? "we are" : "the peer is") + " behind a NAT): switching to port 4500");
  }
}

// The negotiated transforms in pluto's shape, by their registry names without the registry's
// prefix (proposals.ts xformText):
// {cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_256 group=CURVE25519}
// (pluto itself names the groups by its own short names there, DH31 and MODP2048)
export function suite(sa: IkeSa): string {
  return "{cipher=" + xformText(T_ENCR, sa.encr, sa.keyBits) + " integ=" + (sa.integ != 0 ? xformText(T_INTEG, sa.integ, 0) : "n/a") +
    " prf=" + xformText(T_PRF, sa.prf, 0) + " group=" + xformText(T_DH, sa.dh, 0) + "}";
}

export function submitKeys(sa: IkeSa): void {
  const w = new BlobWriter();
  w.num(sa.dh).add(sa.dhPriv).add(sa.peerKe).num(sa.prf).add(sa.Ni).add(sa.Nr).add(u64ToBytes(sa.spiI)).add(u64ToBytes(sa.spiR));
  w.num(C.encrKeyLen(sa.encr, sa.keyBits)).num(C.isAead(sa.encr) ? 0 : C.integKeyLen(sa.integ)).num(C.prfLen(sa.prf));
  if (sa.rekeyedOf !== null) w.num(sa.rekeyedOf!.prf).add(sa.rekeyedOf!.SK_d);
  submitJob(sa, P_INIT_KEYS, 0, JOB_IKE_KEYS, w.bytes());
}

// Our KE is ready (P_INIT): send the request (initiator) or the response (responder).
export function onInitJob(sa: IkeSa, purpose: i32, status: i32, p: usize, len: i32): i32 {
  const blobs = readBlobs(p, len);
  if (status != JOB_OK || blobs === null || blobs.length < 2) {
    if (!sa.initiator && status != JOB_OK) {
      // a responder's half-open IKE SA whose job the helpers refused: a flood may be filling
      // their queue; cookies from now on, and the loss counted, not logged per IKE SA
      helpersOverloaded();
      dropped("IKE_SA_INIT from " + sa.remote.addrText(), '"' + sa.conn.name + '": the helpers refused its KE job (their queue is full)');
      deleteIkeLocal(sa, "KE generation failed for " + nameOf(REG_DH, sa.dh) + " (the helpers refused the job)", LOG_DEBUG);
      return -1;
    }
    deleteIkeLocal(sa, "KE generation failed for " + nameOf(REG_DH, sa.dh) + (status == JOB_OK ? "" : " (the helper refused the job; its reason is logged above)"));
    return -1;
  }
  sa.dhPub = blobs[0];
  sa.dhPriv = blobs[1];
  if (sa.initiator) {
    sendInitRequest(sa);
  } else {
    sendInitResponse(sa);
    submitKeys(sa);
  }
  void purpose;
  return 0;
}

// ---- responder -------------------------------------------------------------------------------
// Answers without creating state (N(COOKIE), N(INVALID_KE_PAYLOAD), N(NO_PROPOSAL_CHOSEN)).
function statelessNotify(local: Endpoint, remote: Endpoint, spiI: u64, type: i32, data: Uint8Array, natT: bool): void {
  beginTape();
  const h = newNode(K_V2_HDR, 0, 0, 0);
  const a = u64ToBytes(spiI);
  const b = new Uint8Array(8);
  setA(h, a.dataStart, 8);
  setB(h, b.dataStart, 8);
  setF(h, 1, 2);
  setF(h, 3, IKE_SA_INIT);
  setF(h, 4, FLAG_R);
  notify(type, 0, new Uint8Array(0), data);
  closeNode(h);
  const m = encodeBuilt();
  if (m !== null) send(local, remote, m, natT);
}

// Cookie = prf(secret, Ni | IPi | SPIi) (RFC 7296 2.6, with a version-less secret)
function cookieFor(Ni: Uint8Array, remote: Endpoint, spiI: u64): Uint8Array {
  if (cookieSecret.length == 0) cookieSecret = C.randomBytes(32);
  const empty = new Uint8Array(0);
  return C.prf(C.PRF_HMAC_SHA2_256, cookieSecret, concat4(Ni, remote.addrBytes(), u64ToBytes(spiI), empty));
}

export function onInitRequest(local: Endpoint, remote: Endpoint, msg: usize, len: i32, spiI: u64, spiR: u64, msgid: u32, port4500: bool): i32 {
  if (shuttingDown) {
    log(LOG_DEBUG, "dropping IKE_SA_INIT request from " + remote.toString() + ": shutting down");
    return -1;
  }
  if (spiR != 0 || msgid != 0) {
    log(LOG_DEBUG, "dropping IKE_SA_INIT request from " + remote.toString() + ": responder SPI or message ID not zero");
    return -1;
  }
  // a retransmission of a request we answered: answer again (RFC 7296 2.1)
  if (byInitiatorSpi.has(spiI)) {
    const sa = byInitiatorSpi.get(spiI);
    if (sa.remote.sameAddr(remote) && sa.state != IKE_SA_DEAD) {
      if (sa.lastResponse !== null && sa.lastResponseId == 0 && sa.expectRequestId == 1 && bytesEqual(sa.initRequest, copyIn(msg, len))) {
        logSa(sa, LOG_DEBUG, "retransmitting IKE_SA_INIT response");
        sendTo(sa, sa.lastResponse!);
        return 0;
      }
      return -1;
    }
  }
  const conn = findConnFor(local, remote);
  if (conn === null) {
    dropped("IKE_SA_INIT from " + remote.addrText(), "no connection for " + local.toString());
    return -1;
  }
  const sap = find(33);
  const kep = find(34);
  const np = find(40);
  if (sap < 0 || kep < 0 || np < 0) {
    dropped("IKE_SA_INIT from " + remote.addrText(), '"' + conn.name + '": no SA, KE or Nonce payload: answered INVALID_SYNTAX');
    statelessNotify(local, remote, spiI, N_INVALID_SYNTAX, new Uint8Array(0), port4500);
    return -1;
  }
  const Ni = dataA(np);
  const isBusy = busy();
  if (isBusy) {
    const want = cookieFor(Ni, remote, spiI);
    const ck = findNotify(N_COOKIE);
    if (ck < 0 || !bytesEqual(dataB(ck), want)) {
      askedCookie("IKE_SA_INIT from " + remote.addrText(), '"' + conn.name + '": ' + halfOpenCount.toString() + " half-open IKE SAs, ddos-mode=" + ddosModeName());
      statelessNotify(local, remote, spiI, N_COOKIE, want, port4500);
      return 0;
    }
  }
  const c = choose(sap, 1, conn.ike, true);
  if (c === null) {
    dropped("IKE_SA_INIT from " + remote.addrText(), '"' + conn.name + '": no acceptable proposal: answered NO_PROPOSAL_CHOSEN', noMatchText(sap, 1, conn.ike, true));
    statelessNotify(local, remote, spiI, N_NO_PROPOSAL_CHOSEN, new Uint8Array(0), port4500);
    return -1;
  }
  if (debugging) log(LOG_DEBUG, '"' + conn.name + '": proposal ' + chosenText(c) + " chosen from remote proposals " + remoteProposalsText(sap, 1));
  const group = field(kep, 1);
  const peerKe = dataA(kep);
  if (group != c.dh) {
    dropped("IKE_SA_INIT from " + remote.addrText(), '"' + conn.name + '": KE payload of another group: answered INVALID_KE_PAYLOAD',
      "KE group " + nameOf(REG_DH, group) + ", expected " + nameOf(REG_DH, c.dh));
    const d = new Uint8Array(2);
    d[0] = <u8>(c.dh >> 8);
    d[1] = <u8>c.dh;
    statelessNotify(local, remote, spiI, N_INVALID_KE_PAYLOAD, d, port4500);
    return -1;
  }
  if (peerKe.length != C.dhLen(group)) {
    dropped("IKE_SA_INIT from " + remote.addrText(), '"' + conn.name + '": KE payload of the wrong length: answered INVALID_SYNTAX',
      peerKe.length.toString() + " bytes, expected " + C.dhLen(group).toString() + " for " + nameOf(REG_DH, group));
    statelessNotify(local, remote, spiI, N_INVALID_SYNTAX, new Uint8Array(0), port4500);
    return -1;
  }
  // bounded half-open state: in all, and per peer address (ddos.ts)
  const refusal = halfOpenRefusal(remote);
  if (refusal.length > 0) {
    dropped("IKE_SA_INIT from " + remote.addrText(), refusal, halfOpenCount.toString() + " half-open in all, at most " + perSourceLimit().toString() + " from one address");
    return -1;
  }
  // a template (right=%any ...) answers through an instance for this peer: "road"[1] 192.0.2.1
  const sa = new IkeSa(conn.kind == KIND_TEMPLATE ? instantiate(conn, remote) : conn, false, local.clone(), remote.clone());
  sa.natT = port4500;
  sa.spiI = spiI;
  sa.spiR = C.randomSpi64();
  sa.encr = c.encr;
  sa.keyBits = c.keyBits;
  sa.prf = c.prf;
  sa.integ = c.integ;
  sa.dh = c.dh;
  sa.chosenNumber = c.number;
  sa.Ni = Ni;
  sa.Nr = C.randomBytes(32);
  sa.peerKe = peerKe;
  sa.peerFragmentation = findNotify(N_IKEV2_FRAGMENTATION_SUPPORTED) >= 0;
  sa.peerHashAlgorithms = findNotify(N_SIGNATURE_HASH_ALGORITHMS) >= 0;
  sa.initRequest = copyIn(msg, len);
  detectNat(sa);
  addIke(sa);
  byInitiatorSpi.set(spiI, sa);
  sa.state = IKE_SA_INIT_R0;
  sa.busyRequest = true;
  sa.lastInbound = now;
  sa.beganAt = now;
  // a half-open SA that never completes goes away; sooner while cookies are asked for
  // (Libreswan's busy mode cleans up partial state more aggressively too)
  sa.expireAt = now + (isBusy ? HALF_OPEN_BUSY_MS : HALF_OPEN_MS);
  logSa(sa, LOG_INFO, "responding to IKE_SA_INIT from " + remote.toString() + ": " + suite(sa));
  submitJob(sa, P_INIT, 0, JOB_DH_GENERATE, new BlobWriter().num(sa.dh).bytes());
  return 0;
}

function sendInitResponse(sa: IkeSa): void {
  const c = new Chosen();
  c.number = sa.chosenNumber;
  c.protocol = 1;
  c.encr = sa.encr;
  c.keyBits = sa.keyBits;
  c.prf = sa.prf;
  c.integ = sa.integ;
  c.dh = sa.dh;
  beginTape();
  header(sa, IKE_SA_INIT, true, 0);
  saChosen(c.number, 1, new Uint8Array(0), chosenXforms(c));
  ke(sa.dh, sa.dhPub);
  nonce(sa.Nr);
  notify(N_NAT_DETECTION_SOURCE_IP, 0, new Uint8Array(0), natHash(sa.spiI, sa.spiR, sa.local));
  notify(N_NAT_DETECTION_DESTINATION_IP, 0, new Uint8Array(0), natHash(sa.spiI, sa.spiR, sa.remote));
  if (sa.conn.fragmentation && sa.peerFragmentation) notify(N_IKEV2_FRAGMENTATION_SUPPORTED, 0, new Uint8Array(0), new Uint8Array(0));
  if (sa.peerHashAlgorithms) notify(N_SIGNATURE_HASH_ALGORITHMS, 0, new Uint8Array(0), hashAlgorithms());
  end();
  if (debugging) logPayloads(sa.conn.label + " #" + sa.serial.toString() + ": sending", IKE_SA_INIT, true, 0, false, false);
  const m = encodeBuilt();
  if (m === null) {
    deleteIkeLocal(sa, "cannot encode IKE_SA_INIT response");
    return;
  }
  sa.initResponse = m;
  sa.state = IKE_SA_INIT_R;
  const d = new Array<Uint8Array>();
  d.push(m);
  sendResponse(sa, 0, d);
}

export { strBytes, IKE_AUTH_I0 };
