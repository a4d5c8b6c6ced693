// IKE SA and Child SA records (pluto's states), the SPI table and serial numbers.
import { Conn, Endpoint, Id, Ts, Xform } from "../conn/conn";

// IKE SA states, named after pluto's
export const IKE_SA_INIT_I0 = 1; // initiator: waiting for its KE (helper)
export const IKE_SA_INIT_I = 2; // initiator: IKE_SA_INIT request sent
export const IKE_AUTH_I0 = 3; // initiator: waiting for SKEYSEED (helper)
export const IKE_AUTH_I = 4; // initiator: IKE_AUTH request sent
export const IKE_SA_INIT_R0 = 5; // responder: waiting for its KE (helper)
export const IKE_SA_INIT_R = 6; // responder: IKE_SA_INIT response sent, waiting for IKE_AUTH
export const ESTABLISHED_IKE_SA = 7;
export const IKE_SA_DELETING = 8; // delete sent, waiting for the answer
export const IKE_SA_REKEY_R0 = 9; // a new IKE SA from a rekey, waiting for its keys (helper)
export const IKE_SA_DEAD = 10;

export function ikeStateName(s: i32): string {
  switch (s) {
    case IKE_SA_INIT_I0: return "IKE_SA_INIT_I0";
    case IKE_SA_INIT_I: return "IKE_SA_INIT_I";
    case IKE_AUTH_I0: return "IKE_AUTH_I0";
    case IKE_AUTH_I: return "IKE_AUTH_I";
    case IKE_SA_INIT_R0: return "IKE_SA_INIT_R0";
    case IKE_SA_INIT_R: return "IKE_SA_INIT_R";
    case ESTABLISHED_IKE_SA: return "ESTABLISHED_IKE_SA";
    case IKE_SA_DELETING: return "IKE_SA_DELETING";
    case IKE_SA_REKEY_R0: return "IKE_SA_REKEY_R0";
    case IKE_SA_DEAD: return "IKE_SA_DEAD";
  }
  return "UNKNOWN";
}

export const CHILD_LARVAL = 1;
export const ESTABLISHED_CHILD_SA = 2;
export const CHILD_SA_REKEYED = 3; // replaced by a newer Child SA; deleted shortly
export const CHILD_SA_DELETING = 4;
export const CHILD_SA_DEAD = 5;

export function childStateName(s: i32): string {
  switch (s) {
    case CHILD_LARVAL: return "CHILD_SA_LARVAL";
    case ESTABLISHED_CHILD_SA: return "ESTABLISHED_CHILD_SA";
    case CHILD_SA_REKEYED: return "CHILD_SA_REKEYED";
    case CHILD_SA_DELETING: return "CHILD_SA_DELETING";
    case CHILD_SA_DEAD: return "CHILD_SA_DEAD";
  }
  return "UNKNOWN";
}

// One shared empty array for every not-yet-known byte field (nothing can be written into it).
export const EMPTY = new Uint8Array(0);

let nextSerial = 1;
export function newSerial(): i32 {
  return nextSerial++;
}

export class ChildSa {
  serial: i32 = newSerial();
  // what decides the IKE SA's deadline goes through setters that mark it for a fresh look
  private _ike: IkeSa;
  get ike(): IkeSa { return this._ike; }
  set ike(v: IkeSa) { touch(this._ike); this._ike = v; touch(v); }
  private _state: i32 = CHILD_LARVAL;
  get state(): i32 { return this._state; }
  set state(v: i32) { this._state = v; touch(this._ike); }
  private _rekeyAt: f64 = 0;
  get rekeyAt(): f64 { return this._rekeyAt; }
  set rekeyAt(v: f64) { this._rekeyAt = v; touch(this._ike); }
  private _expireAt: f64 = 0;
  get expireAt(): f64 { return this._expireAt; }
  set expireAt(v: f64) { this._expireAt = v; touch(this._ike); }
  spiIn: u32 = 0; // ours: the peer sends to it
  spiOut: u32 = 0; // the peer's
  encr: i32 = 0;
  keyBits: i32 = 0;
  integ: i32 = 0;
  esn: i32 = 0;
  dh: i32 = 0;
  transport: bool = false;
  installed: bool = false; // handed to the kernel (core/kernel.ts)
  // the host has not yet said whether the kernel took it (evKernel); what then follows
  // (ike_auth.ts K_*), and for the peer's request that made it, the IKE SA and message ID
  // the answer goes out on once the kernel has answered
  installing: bool = false;
  onInstalled: i32 = 0;
  respondOn: IkeSa | null = null;
  respondMsgid: u32 = 0;
  reqid: i32 = 0; // the kernel's reqid: the first Child SA's serial, kept across rekeys
  tsLocal: Array<Ts> = new Array<Ts>();
  tsRemote: Array<Ts> = new Array<Ts>();
  encrIn: Uint8Array = EMPTY;
  integIn: Uint8Array = EMPTY;
  encrOut: Uint8Array = EMPTY;
  integOut: Uint8Array = EMPTY;
  createdAt: f64 = 0;
  replaces: i32 = 0; // serial of the Child SA this one rekeys
  byUs: bool = true; // created by our request (false: by the peer's)
  nonceI: Uint8Array = EMPTY; // the nonces of the exchange that created it
  nonceR: Uint8Array = EMPTY;
  peerKe: Uint8Array = EMPTY;
  dhPriv: Uint8Array = EMPTY;
  dhPub: Uint8Array = EMPTY;
  rekeyTries: i32 = 0; // our rekeys of it so far (engine.ts: refused twice, it is replaced)
  replaceStage: i32 = 0; // 1: a new Child SA asked for beside it, 2: a new IKE SA
  rekeyedByUs: ChildSa | null = null; // the Child SA our rekey of this one creates
  rekeyedByPeer: ChildSa | null = null; // the Child SA the peer's rekey of this one created
  constructor(ike: IkeSa) {
    this._ike = ike;
    touch(ike);
  }
}

// An exchange waiting for the message window (window size 1: one request at a time).
export const X_CREATE_CHILD = 1;
export const X_REKEY_CHILD = 2; // arg = child serial
export const X_REKEY_IKE = 3;
export const X_DELETE_CHILD = 4; // arg = child serial
export const X_DELETE_IKE = 5;
export const X_LIVENESS = 6;
export const X_DELETE_SPI = 7; // arg = our inbound ESP SPI of a Child SA the peer may have without us

// A datagram kept as it came (IN, with the endpoints of EP and the decode flags), to be
// processed when the keys it needs arrive.
export class HeldDatagram {
  constructor(public bytes: Uint8Array, public flags: i32, public local: Endpoint, public remote: Endpoint, public msgid: u32) {}
}

export class Pending {
  constructor(public what: i32, public arg: i32) {}
}

export class IkeSa {
  serial: i32 = newSerial();
  // what decides its deadline (saDeadline in engine.ts) goes through setters that mark it
  // for a fresh look; the engine keeps IKE SAs in a heap by deadline
  private _state: i32 = 0;
  get state(): i32 { return this._state; }
  set state(v: i32) {
    if (halfOpenState(this._state) != halfOpenState(v)) countHalfOpen(this, halfOpenState(v));
    this._state = v;
    touch(this);
  }
  halfOpenKey: string = ""; // the peer address it was counted under while half-open
  private _conn: Conn;
  get conn(): Conn { return this._conn; }
  set conn(v: Conn) { this._conn = v; touch(this); }
  private _outstanding: Array<Uint8Array> | null = null; // our request in flight (its datagrams)
  get outstanding(): Array<Uint8Array> | null { return this._outstanding; }
  set outstanding(v: Array<Uint8Array> | null) { this._outstanding = v; touch(this); }
  private _retransmitAt: f64 = 0;
  get retransmitAt(): f64 { return this._retransmitAt; }
  set retransmitAt(v: f64) { this._retransmitAt = v; touch(this); }
  private _rekeyAt: f64 = 0;
  get rekeyAt(): f64 { return this._rekeyAt; }
  set rekeyAt(v: f64) { this._rekeyAt = v; touch(this); }
  private _expireAt: f64 = 0;
  get expireAt(): f64 { return this._expireAt; }
  set expireAt(v: f64) { this._expireAt = v; touch(this); }
  private _livenessAt: f64 = 0;
  get livenessAt(): f64 { return this._livenessAt; }
  set livenessAt(v: f64) { this._livenessAt = v; touch(this); }
  private _lastInbound: f64 = 0;
  get lastInbound(): f64 { return this._lastInbound; }
  set lastInbound(v: f64) { this._lastInbound = v; touch(this); }
  private _deleteAt: f64 = 0; // a replaced IKE SA is deleted at this time if the peer does not
  get deleteAt(): f64 { return this._deleteAt; }
  set deleteAt(v: f64) { this._deleteAt = v; touch(this); }
  touched: bool = false;
  heapVersion: i32 = 0; // its current entry in the deadline heap; older entries are stale
  initiator: bool; // original initiator (the I flag)
  spiI: u64 = 0;
  spiR: u64 = 0;
  local: Endpoint;
  remote: Endpoint;
  natT: bool = false; // moved to port 4500
  // negotiated suite
  encr: i32 = 0;
  keyBits: i32 = 0;
  prf: i32 = 0;
  integ: i32 = 0;
  dh: i32 = 0;
  // key exchange
  Ni: Uint8Array = EMPTY;
  Nr: Uint8Array = EMPTY;
  dhPriv: Uint8Array = EMPTY;
  dhPub: Uint8Array = EMPTY;
  peerKe: Uint8Array = EMPTY;
  cookie: Uint8Array = EMPTY;
  initRequest: Uint8Array = EMPTY; // RealMessage1
  initResponse: Uint8Array = EMPTY; // RealMessage2
  SK_d: Uint8Array = EMPTY;
  SK_ai: Uint8Array = EMPTY;
  SK_ar: Uint8Array = EMPTY;
  SK_ei: Uint8Array = EMPTY;
  SK_er: Uint8Array = EMPTY;
  SK_pi: Uint8Array = EMPTY;
  SK_pr: Uint8Array = EMPTY;
  peerFragmentation: bool = false;
  peerHashAlgorithms: bool = false; // the peer sent SIGNATURE_HASH_ALGORITHMS (RFC 7427)
  // message IDs (RFC 7296 2.3, window size 1)
  nextRequestId: u32 = 0; // the ID our next request gets
  expectRequestId: u32 = 0; // the ID the peer's next request must have
  outstandingId: u32 = 0;
  outstandingWhat: i32 = 0; // X_* of the request in flight
  outstandingArg: i32 = 0;
  retransmits: i32 = 0;
  requestAt: f64 = 0; // when the request in flight was first sent (a dead peer is timed from it)
  timedOut: bool = false; // it goes because a request of ours went unanswered (revival.ts)
  rekeyTries: i32 = 0; // our rekeys of it so far (engine.ts: refused twice, a new IKE SA beside it)
  replaceAsked: bool = false; // that new IKE SA was started
  lastResponse: Array<Uint8Array> | null = null; // our answer to the peer's last request
  lastResponseId: u32 = 0;
  queue: Array<Pending> = new Array<Pending>();
  // fragments of a peer message being reassembled (RFC 7383)
  fragId: u32 = 0;
  fragTotal: i32 = 0;
  fragNp: i32 = 0;
  frags: Array<Uint8Array | null> = new Array<Uint8Array | null>();
  fragCount: i32 = 0;
  fragBytes: i32 = 0;
  // the exchange our outstanding request carries
  childInFlight: ChildSa | null = null; // a Child SA being negotiated by our request
  rekeyNew: IkeSa | null = null; // the new IKE SA of our IKE rekey request
  rekeyNonce: Uint8Array = EMPTY; // our nonce in a CREATE_CHILD_SA request
  children: Array<ChildSa> = new Array<ChildSa>();
  // SPIs the peer deleted before we knew them (a Child SA whose answer we had not seen yet)
  unknownDeleted: Array<u32> = new Array<u32>();
  peerId: Id | null = null; // the peer's ID (IDi or IDr) once its AUTH verified; kept by rekeys
  // timers
  beganAt: f64 = 0; // responder: when its IKE_SA_INIT came
  createdAt: f64 = 0; // when it was established
  replacedBy: i32 = 0;
  // the IKE SA that replaces this one (its rekey, the peer's, or the winner of a collision):
  // its Child SAs live on there when this one goes away (RFC 7296 2.18)
  successor: IkeSa | null = null;
  // for the peer's redundant IKE SA of a rekey collision: the old IKE SA we delete once the
  // peer has deleted this one
  thenDelete: IkeSa | null = null;
  tempFailSince: f64 = 0; // first of an unbroken run of TEMPORARY_FAILURE answers (2.25)
  tempFailLast: f64 = 0; // the latest of them
  pendingJob: i32 = 0;
  invalidKeRetries: i32 = 0;
  preparing: bool = false; // our next request waits for a helper job
  busyRequest: bool = false; // the peer's request is being answered (waits for a helper job)
  natDetected: bool = false;
  chosenNumber: i32 = 1; // responder: the number of the proposal it accepted
  rekeyedByPeer: IkeSa | null = null; // the new IKE SA the peer's rekey of this one created
  rekeyedOf: IkeSa | null = null; // for a new IKE SA: the one it replaces
  // reauthentication (create_child_sa.ts reauthenticate): the new IKE SA that replaces this
  // one, and on that one, the IKE SA it replaces
  reauthBy: IkeSa | null = null;
  reauthOf: IkeSa | null = null;
  peerNonce: Uint8Array = EMPTY; // the peer's nonce in the CREATE_CHILD_SA it sent
  pendingReq: u32 = 0; // message ID of the peer's request being answered
  pendingChild: ChildSa | null = null; // a Child SA being created by the peer's request
  pendingContact: bool = false; // that IKE_AUTH request carried INITIAL_CONTACT
  pendingIke: IkeSa | null = null; // an IKE SA being created by the peer's rekey request
  pendingProto: i32 = 0;
  pendingRekeyOf: i32 = 0;
  pendingNumber: i32 = 0; // the proposal number and transforms chosen for that answer
  pendingXforms: Array<Xform> = new Array<Xform>();
  // requests that came while the keys they need were computed (engine.ts holdRequest)
  held: Array<HeldDatagram> | null = null;
  constructor(conn: Conn, initiator: bool, local: Endpoint, remote: Endpoint) {
    this._conn = conn;
    this.initiator = initiator;
    this.local = local;
    this.remote = remote;
    touch(this);
  }
  // Keys for what we send and what we receive
  get skeOut(): Uint8Array { return this.initiator ? this.SK_ei : this.SK_er; }
  get skaOut(): Uint8Array { return this.initiator ? this.SK_ai : this.SK_ar; }
  get skeIn(): Uint8Array { return this.initiator ? this.SK_er : this.SK_ei; }
  get skaIn(): Uint8Array { return this.initiator ? this.SK_ar : this.SK_ai; }
  get ourSpi(): u64 { return this.initiator ? this.spiI : this.spiR; }
}

// IKE SAs whose deadline may have changed since the engine last looked (see IkeSa).
export const touchedSas = new Array<IkeSa>();
export function touch(sa: IkeSa): void {
  if (sa.touched) return;
  sa.touched = true;
  touchedSas.push(sa);
}

// Every IKE SA, by the SPI we chose for it (unique among ours).
export const ikeSas = new Map<u64, IkeSa>();
export const allIke = new Array<IkeSa>();

// Responder IKE SAs by the initiator's SPI, so that a retransmitted IKE_SA_INIT is recognised
// without a scan.
export const byInitiatorSpi = new Map<u64, IkeSa>();

// Responder IKE SAs that are half-open (IKE_SA_INIT answered or being answered, no IKE_AUTH
// yet), counted as their state changes, in all and by the peer's address (ikev2/ddos.ts).
export let halfOpenCount = 0;
export const halfOpenBySource = new Map<string, i32>();
function halfOpenState(s: i32): bool {
  return s == IKE_SA_INIT_R0 || s == IKE_SA_INIT_R;
}
function countHalfOpen(sa: IkeSa, on: bool): void {
  if (on) sa.halfOpenKey = sa.remote.addrText();
  const key = sa.halfOpenKey;
  const n = (halfOpenBySource.has(key) ? halfOpenBySource.get(key) : 0) + (on ? 1 : -1);
  if (n > 0) halfOpenBySource.set(key, n);
  else halfOpenBySource.delete(key);
  halfOpenCount += on ? 1 : -1;
}

export function addIke(sa: IkeSa): void {
  ikeSas.set(sa.ourSpi, sa);
  allIke.push(sa);
}

export function removeIke(sa: IkeSa): void {
  forgetUnknownDeleted(sa);
  if (ikeSas.has(sa.ourSpi) && ikeSas.get(sa.ourSpi) === sa) ikeSas.delete(sa.ourSpi);
  if (!sa.initiator && byInitiatorSpi.has(sa.spiI) && byInitiatorSpi.get(sa.spiI) === sa) byInitiatorSpi.delete(sa.spiI);
  const i = allIke.indexOf(sa);
  if (i >= 0) allIke.splice(i, 1);
}

export function findIkeBySerial(serial: i32): IkeSa | null {
  for (let i = 0; i < allIke.length; i++) if (allIke[i].serial == serial) return allIke[i];
  return null;
}

export function findChild(ike: IkeSa, serial: i32): ChildSa | null {
  for (let i = 0; i < ike.children.length; i++) if (ike.children[i].serial == serial) return ike.children[i];
  return null;
}

export function findChildBySpi(ike: IkeSa, spi: u32, inbound: bool): ChildSa | null {
  for (let i = 0; i < ike.children.length; i++) {
    const c = ike.children[i];
    if ((inbound ? c.spiIn : c.spiOut) == spi) return c;
  }
  return null;
}

// A Child SA by the SPI the peer knows it by, in this IKE SA or in another one to the same
// peer for the same connection (an IKE SA rekey moves Child SAs while exchanges may still
// name them on the old one).
export function findPeerChildBySpi(ike: IkeSa, spi: u32): ChildSa | null {
  const c = findChildBySpi(ike, spi, false);
  if (c !== null) return c;
  for (let i = 0; i < allIke.length; i++) {
    const o = allIke[i];
    if (o === ike || o.conn !== ike.conn || !o.remote.sameAddr(ike.remote)) continue;
    const d = findChildBySpi(o, spi, false);
    if (d !== null) return d;
  }
  return null;
}

// Whether the peer deleted (or rekeyed) the Child SA it receives on `spi` before we knew it,
// on this IKE SA or another one to the same peer for the same connection (the Delete may come
// over the IKE SA that replaced the one the Child SA was negotiated on); forgets it if so.
// SPIs remembered as deleted-before-known, in all IKE SAs (so the common case, none, costs
// nothing per Child SA).
let unknownCount = 0;
export function rememberUnknownDeleted(ike: IkeSa, spi: u32): void {
  if (ike.unknownDeleted.length >= 16) ike.unknownDeleted.shift();
  else unknownCount++;
  ike.unknownDeleted.push(spi);
}

function forgetUnknownDeleted(ike: IkeSa): void {
  unknownCount -= ike.unknownDeleted.length;
  ike.unknownDeleted.length = 0;
}

export function takeUnknownDeleted(ike: IkeSa, spi: u32): bool {
  if (unknownCount == 0) return false;
  for (let i = -1; i < allIke.length; i++) {
    const o = i < 0 ? ike : allIke[i];
    if (i >= 0 && (o === ike || o.conn !== ike.conn || !o.remote.sameAddr(ike.remote))) continue;
    const k = o.unknownDeleted.indexOf(spi);
    if (k >= 0) {
      o.unknownDeleted.splice(k, 1);
      unknownCount--;
      return true;
    }
  }
  return false;
}

// A Child SA by serial in any IKE SA (a rekey of the IKE SA may have moved it).
export function findChildAnywhere(serial: i32): ChildSa | null {
  for (let i = 0; i < allIke.length; i++) {
    const c = findChild(allIke[i], serial);
    if (c !== null) return c;
  }
  return null;
}
