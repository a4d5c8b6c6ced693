// Connections: what ipsec.conf defines, as the host hands it over (a record of CONN_* TLVs, see
// abi.ts), oriented here into this/that ends by the host's interface addresses; kinds
// PERMANENT, TEMPLATE and INSTANCE; a host-pair index that finds the candidates for an incoming
// IKE_SA_INIT; instantiation of templates (right=%any, rightprotoport=17/%any,
// rightsubnet=vnet:%priv / vhost:%priv within virtual-private).
import { copyIn, bytesEqual, hex, ipv4Text } from "../bytes";
import { dnMatch, dnHasWildcards, dnText } from "./dn";
import { Pool, poolFor, poolRef, poolUnref, poolError } from "./pool";
import {
  CONN_NAME, CONN_LEFT_EP, CONN_RIGHT_EP, CONN_LEFT_ID, CONN_RIGHT_ID, CONN_PSK, CONN_PSK_RIGHT,
  CONN_IKE_PROPOSAL, CONN_ESP_PROPOSAL, CONN_LEFT_TS, CONN_RIGHT_TS, CONN_TIMERS, CONN_FLAGS,
  CONN_AUTO, CONN_FRAG_SIZE, CONN_LEFT_PROTOPORT, CONN_RIGHT_PROTOPORT, CONN_LEFT_VIRTUAL,
  CONN_RIGHT_VIRTUAL, CONN_VP_INCLUDE, CONN_VP_EXCLUDE, CONN_REVIVAL, VIRT_NO, DPD_HOLD, DPD_RESTART,
  CONN_LEFT_POOL, CONN_RIGHT_POOL, CONN_LEFT_CFG, CONN_RIGHT_CFG, CONN_CFG_DNS, CONN_CFG_DOMAIN, CFG_CLIENT, CFG_SERVER,
  CF_TRANSPORT, CF_FRAGMENTATION, CF_PFS, CF_INITIAL_CONTACT, CF_NARROWING, CF_UNIQUEIDS, CF_NO_REKEY,
} from "../abi";

export const KIND_PERMANENT = 0;
export const KIND_TEMPLATE = 1;
export const KIND_INSTANCE = 2;

export class Endpoint {
  family: i32 = 0; // 0 = %any
  port: i32 = 0;
  addr: Uint8Array = new Uint8Array(16);

  static read(p: usize): Endpoint {
    const e = new Endpoint();
    e.family = load<u8>(p);
    e.port = load<u16>(p + 2);
    memory.copy(e.addr.dataStart, p + 4, 16);
    return e;
  }
  write(p: usize): void {
    store<u8>(p, <u8>this.family);
    store<u8>(p + 1, 0);
    store<u16>(p + 2, <u16>this.port);
    memory.copy(p + 4, this.addr.dataStart, 16);
  }
  clone(): Endpoint {
    const e = new Endpoint();
    e.family = this.family;
    e.port = this.port;
    e.addr.set(this.addr, 0);
    return e;
  }
  addrBytes(): Uint8Array {
    return this.addr.slice(0, this.family == 6 ? 16 : 4);
  }
  sameAddr(o: Endpoint): bool {
    if (this.family != o.family) return false;
    const n = this.family == 6 ? 16 : 4;
    for (let i = 0; i < n; i++) if (this.addr[i] != o.addr[i]) return false; // no copies: called in loops
    return true;
  }
  equals(o: Endpoint): bool {
    return this.sameAddr(o) && this.port == o.port;
  }
  toString(): string {
    if (this.family == 0) return "%any";
    return (this.family == 6 ? "[" + this.addrText() + "]" : this.addrText()) + ":" + this.port.toString();
  }
  // the address alone, as ipsec.conf writes it
  addrText(): string {
    if (this.family == 0) return "%any";
    let s = "";
    if (this.family == 4) {
      s = ipv4Text(this.addr);
    } else {
      // RFC 5952: the longest run of two or more zero words becomes "::"
      let best = -1, bestLen = 0, run = -1;
      for (let w = 0; w <= 8; w++) {
        const zero = w < 8 && this.addr[2 * w] == 0 && this.addr[2 * w + 1] == 0;
        if (zero && run < 0) run = w;
        if (!zero && run >= 0) {
          if (w - run > bestLen && w - run >= 2) { best = run; bestLen = w - run; }
          run = -1;
        }
      }
      for (let w = 0; w < 8; w++) {
        if (w == best) {
          s += "::";
          w += bestLen - 1;
          continue;
        }
        if (s.length > 0 && !s.endsWith(":")) s += ":";
        s += ((<u32>this.addr[2 * w] << 8) | this.addr[2 * w + 1]).toString(16);
      }
    }
    return s;
  }
}

export class Xform {
  constructor(public type: i32, public id: i32, public keyBits: i32) {}
}

// One proposal: its transforms (an ESP or IKE proposal as ike=/esp= describe it).
export class Proposal {
  xforms: Array<Xform> = new Array<Xform>();
  first(type: i32): Xform | null {
    for (let i = 0; i < this.xforms.length; i++) if (this.xforms[i].type == type) return this.xforms[i];
    return null;
  }
  has(type: i32, id: i32, keyBits: i32): bool {
    for (let i = 0; i < this.xforms.length; i++) {
      const x = this.xforms[i];
      if (x.type == type && x.id == id && x.keyBits == keyBits) return true;
    }
    return false;
  }
  countOf(type: i32): i32 {
    let n = 0;
    for (let i = 0; i < this.xforms.length; i++) if (this.xforms[i].type == type) n++;
    return n;
  }
}

export class Ts {
  type: i32 = 7;
  proto: i32 = 0;
  sport: i32 = 0;
  eport: i32 = 65535;
  start: Uint8Array = new Uint8Array(4);
  end: Uint8Array = new Uint8Array(4);
  clone(): Ts {
    const t = new Ts();
    t.type = this.type;
    t.proto = this.proto;
    t.sport = this.sport;
    t.eport = this.eport;
    t.start = this.start.slice();
    t.end = this.end.slice();
    return t;
  }
}

export const ID_DER_ASN1_DN = 9;
export const ANY_ID_SCORE = 1000; // %any fits every ID, after every exact or wildcard match

export class Id {
  private wildness: i32 = -1; // unknown yet; then 0 or 1
  constructor(public type: i32, public data: Uint8Array) {}
  equals(o: Id): bool {
    return this.type == o.type && bytesEqual(this.data, o.data);
  }
  // A configured ID that more than one peer ID fits: %any (type 0), or a DN with a wildcard.
  get wild(): bool {
    if (this.wildness < 0) this.wildness = this.type == 0 || (this.type == ID_DER_ASN1_DN && dnHasWildcards(this.data)) ? 1 : 0;
    return this.wildness == 1;
  }
  // How a peer's ID fits this configured one, as Libreswan's match_id scores it: 0 exactly,
  // n by n DN wildcards, ANY_ID_SCORE for %any; -1 not at all. DNs compare by their
  // attributes (any order, case-insensitive where X.520 says so), not byte for byte.
  matchScore(peer: Id): i32 {
    if (this.type == 0) return ANY_ID_SCORE;
    if (this.type == ID_DER_ASN1_DN && peer.type == ID_DER_ASN1_DN) return bytesEqual(this.data, peer.data) ? 0 : dnMatch(peer.data, this.data);
    return this.equals(peer) ? 0 : -1;
  }
  matches(peer: Id): bool {
    return this.matchScore(peer) >= 0;
  }
  // as ipsec.conf writes it (JSON-safe: printable ASCII, else hex)
  toText(): string {
    if (this.type == 0) return "%any";
    if (this.type == ID_DER_ASN1_DN) {
      const t = dnText(this.data);
      return t.length > 0 ? t : "0x" + hex(this.data);
    }
    if ((this.type == 1 && this.data.length == 4) || (this.type == 5 && this.data.length == 16)) {
      const e = new Endpoint();
      e.family = this.type == 1 ? 4 : 6;
      e.addr.set(this.data, 0);
      return e.addrText();
    }
    let printable = this.type == 2 || this.type == 3;
    for (let i = 0; i < this.data.length && printable; i++) {
      const b = this.data[i];
      printable = b >= 0x20 && b < 0x7f && b != 0x22 && b != 0x5c;
    }
    if (!printable) return "0x" + hex(this.data);
    return (this.type == 2 ? "@" : "") + String.UTF8.decodeUnsafe(this.data.dataStart, <usize>this.data.length, false);
  }
}

export class Conn {
  name: string = "";
  kind: i32 = KIND_PERMANENT;
  template: Conn | null = null; // an instance's template
  instanceNo: i32 = 0; // an instance's number: "name"[n]
  instances: i32 = 0; // a template's count of instances made
  // what makes a template: the peer's own address as its subnet (right=%any, no rightsubnet),
  // a port wildcard (rightprotoport=17/%any), a virtual subnet (vnet:/vhost:)
  remoteTsIsHost: bool = false;
  remoteProto: i32 = 0;
  remoteSport: i32 = 0;
  remoteEport: i32 = 65535;
  remotePortWildcard: bool = false;
  remoteVirtual: i32 = 0; // VIRT_NET, VIRT_HOST
  remoteVirtualNo: bool = false; // %no: the peer's own address as its subnet will do
  vpExclude: Array<Ts> = NO_TS; // virtual-private exclusions (the includes are remoteTs); never pushed to: replaced
  seq: i32 = 0; // the order it was added in (the host-pair index keeps it)
  json: string = ""; // its status JSON, made when first asked for; forgetJson() when a field changes
  forgetJson(): void { this.json = ""; }
  local: Endpoint = new Endpoint();
  remote: Endpoint = new Endpoint();
  localId: Id = new Id(0, new Uint8Array(0));
  remoteId: Id = new Id(0, new Uint8Array(0)); // type 0: accept any
  psk: Uint8Array = new Uint8Array(0); // empty: ipsec.secrets has none for it now (a reread took it away)
  leftIsOurs: bool = true; // the orientation: which end's secret (CONN_PSK or CONN_PSK_RIGHT) is ours
  ike: Array<Proposal> = new Array<Proposal>();
  esp: Array<Proposal> = new Array<Proposal>();
  localTs: Array<Ts> = new Array<Ts>();
  remoteTs: Array<Ts> = new Array<Ts>();
  ikeLifetime: f64 = 28800e3; // ms
  childLifetime: f64 = 28800e3;
  rekeyMargin: f64 = 540e3;
  rekeyFuzz: i32 = 100; // percent of the margin
  dpdDelay: f64 = 0; // 0: no liveness checks
  dpdAction: i32 = DPD_HOLD; // what a dead peer does to it (abi DPD_*)
  keyingTries: i32 = 0; // keying attempts before giving up (0: forever, Libreswan's default)
  retransmitBase: f64 = 500;
  retransmitLimit: i32 = 10;
  flags: u32 = CF_INITIAL_CONTACT | CF_UNIQUEIDS;
  auto: i32 = 1;
  fragSize: i32 = 1280;
  // Revival (core/ikev2/revival.ts): whether it is supposed to be up (pluto's POLICY_UP: set by
  // an initiate, cleared by a terminate), and when it is brought up again
  up: bool = false;
  reviveAt: f64 = 0; // 0: no revival due
  reviveDelay: f64 = 0; // the wait before the next revival (grows to a cap)
  attempts: i32 = 0; // keying attempts since it was last established
  upSince: f64 = 0; // when its tunnel came up after it was last lost (0: not up since)
  // The Configuration payload (core/ikev2/cp.ts). As server: the peer's end's pools (one per
  // family, shared with every connection that names the same range) and, on an instance (or a
  // permanent connection), the offsets it leases in them; what a CFG_REPLY tells besides.
  remotePools: Array<Pool> = NO_POOLS;
  poolRanges: Array<Ts> = NO_TS; // the ranges as read, until addConn makes them pools
  leases: Array<i32> = NO_LEASES; // parallel to remotePools: the offset leased, -1 none; replaced, never pushed to
  cfgDns: Array<Uint8Array> = NO_ADDRS; // modecfgdns=
  cfgDomains: Array<string> = NO_NAMES; // modecfgdomains=
  // As client (leftmodecfgclient=yes, leftsourceip=%config, or a pool on our own end): we ask
  // for an address in IKE_AUTH; what the server gave (the Child SA's local selectors).
  cfgClient: bool = false;
  vips: Array<Uint8Array> = NO_ADDRS; // replaced, never pushed to
  peerDns: Array<Uint8Array> = NO_ADDRS;
  peerDomains: Array<string> = NO_NAMES;
  get hasLease(): bool {
    for (let i = 0; i < this.leases.length; i++) if (this.leases[i] >= 0) return true;
    return false;
  }

  get transport(): bool { return (this.flags & CF_TRANSPORT) != 0; }
  get fragmentation(): bool { return (this.flags & CF_FRAGMENTATION) != 0; }
  get pfs(): bool { return (this.flags & CF_PFS) != 0; }
  get noRekey(): bool { return (this.flags & CF_NO_REKEY) != 0; }
  get initialContact(): bool { return (this.flags & CF_INITIAL_CONTACT) != 0; }
  get narrowing(): bool { return (this.flags & CF_NARROWING) != 0; }
  get uniqueIds(): bool { return (this.flags & CF_UNIQUEIDS) != 0; }
  // the connection as configured: an instance's template, else itself
  get base(): Conn { return this.template !== null ? this.template! : this; }
  get kindName(): string {
    return this.kind == KIND_TEMPLATE ? "TEMPLATE" : this.kind == KIND_INSTANCE ? "INSTANCE" : "PERMANENT";
  }
  // pluto's way of naming it in logs and status: "road"[1] 192.0.2.1 for an instance
  get label(): string {
    if (this.kind != KIND_INSTANCE) return '"' + this.name + '"';
    return '"' + this.name + '"[' + this.instanceNo.toString() + "] " + this.remote.addrText();
  }
}

export const conns = new Array<Conn>(); // every connection and instance, in the order added
const byName = new Map<string, Conn>(); // permanent connections and templates (instances share their template's name)

// ---- the host-pair index ---------------------------------------------------------------------
// Connections by (local address, peer address); templates with a %any peer under (local, %any).
// Keys are 64-bit hashes of the addresses; a list may hold another pair's connections when two
// pairs collide, so every lookup still compares the addresses.
const byPair = new Map<u64, Array<Conn>>();

function mix(h: u64, e: Endpoint): u64 {
  h = (h ^ <u64>e.family) * 0x100000001b3;
  const n = e.family == 6 ? 16 : e.family == 4 ? 4 : 0;
  for (let i = 0; i < n; i++) h = (h ^ <u64>e.addr[i]) * 0x100000001b3;
  return h;
}
function pairKey(local: Endpoint, remote: Endpoint): u64 {
  return mix(mix(0xcbf29ce484222325, local), remote);
}
const ANY = new Endpoint();

// IKE_AUTH looks up by the peer's ID too: the connections of a pair by their rightid, and
// those that take more than one ID (%any, DNs that may hold wildcards), each in the order added (Conn.seq), so that thousands of per-user
// connections of one pair are not walked for every IKE_AUTH. Instances are not in these.
const byPairId = new Map<u64, Array<Conn>>();
const byPairAnyId = new Map<u64, Array<Conn>>();
let nextSeq = 0;

function idKey(pair: u64, id: Id): u64 {
  let h = (pair ^ <u64>id.type) * 0x100000001b3;
  for (let i = 0; i < id.data.length; i++) h = (h ^ <u64>id.data[i]) * 0x100000001b3;
  return h;
}
function listAdd(m: Map<u64, Array<Conn>>, k: u64, c: Conn): void {
  if (!m.has(k)) m.set(k, new Array<Conn>());
  m.get(k).push(c);
}
function listRemove(m: Map<u64, Array<Conn>>, k: u64, c: Conn): void {
  if (!m.has(k)) return;
  const list = m.get(k);
  const i = list.indexOf(c);
  if (i >= 0) list.splice(i, 1);
  if (list.length == 0) m.delete(k);
}
// Connections whose peer ID is not found by its bytes: %any, and DNs (compared by attribute).
function byAnyId(c: Conn): bool {
  return c.remoteId.type == 0 || c.remoteId.type == ID_DER_ASN1_DN;
}
function indexAdd(c: Conn): void {
  c.seq = nextSeq++;
  const k = pairKey(c.local, c.remote);
  listAdd(byPair, k, c);
  if (c.kind == KIND_INSTANCE) return;
  if (byAnyId(c)) listAdd(byPairAnyId, k, c);
  else listAdd(byPairId, idKey(k, c.remoteId), c);
}
function indexRemove(c: Conn): void {
  const k = pairKey(c.local, c.remote);
  listRemove(byPair, k, c);
  if (c.kind == KIND_INSTANCE) return;
  if (byAnyId(c)) listRemove(byPairAnyId, k, c);
  else listRemove(byPairId, idKey(k, c.remoteId), c);
}
// The connections of the pair (local, remote), or of (local, %any) when remote is ANY.
function pairList(local: Endpoint, remote: Endpoint): Array<Conn> {
  const k = pairKey(local, remote);
  return byPair.has(k) ? byPair.get(k) : new Array<Conn>(0);
}
function ofPair(c: Conn, local: Endpoint, remote: Endpoint): bool {
  return c.local.sameAddr(local) && (remote.family == 0 ? c.remote.family == 0 : c.remote.sameAddr(remote));
}

export function findConn(name: string): Conn | null {
  return byName.has(name) ? byName.get(name) : null;
}

// A connection by the name whack gives: a connection's name, or one instance of a template as
// name[N] or "name"[N] (pluto's way of printing it).
export function findConnNamed(text: string): Conn | null {
  const direct = findConn(text);
  if (direct !== null || !text.endsWith("]")) return direct;
  const open = text.lastIndexOf("[");
  if (open <= 0 || open + 2 > text.length - 1) return null;
  let n: i32 = 0;
  for (let i = open + 1; i < text.length - 1; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || n > 100000000) return null;
    n = n * 10 + d;
  }
  let base = text.substring(0, open);
  if (base.length >= 2 && base.startsWith('"') && base.endsWith('"')) base = base.substring(1, base.length - 1);
  const t = findConn(base);
  if (t === null || t.kind != KIND_TEMPLATE) return null;
  for (let i = 0; i < conns.length; i++) if (conns[i].template === t && conns[i].instanceNo == n) return conns[i];
  return null;
}

export function addConn(c: Conn): void {
  conns.push(c);
  if (c.kind != KIND_INSTANCE) byName.set(c.name, c);
  indexAdd(c);
  if (c.kind != KIND_INSTANCE && c.poolRanges.length > 0) {
    // the ranges readConn checked become pools (shared by every connection naming the range)
    const list = new Array<Pool>();
    for (let i = 0; i < c.poolRanges.length; i++) {
      const r = c.poolRanges[i];
      const p = poolFor(r.type, r.start, r.end)!;
      poolRef(p);
      list.push(p);
    }
    c.remotePools = list;
    c.poolRanges = NO_TS;
  }
  if (c.remotePools.length > 0 && c.kind != KIND_TEMPLATE) {
    const l = new Array<i32>(c.remotePools.length);
    for (let i = 0; i < l.length; i++) l[i] = -1;
    c.leases = l;
  }
}

// The leases a connection holds go back to their pools (it goes, or its peer is another now).
export function releaseLeases(c: Conn): void {
  for (let i = 0; i < c.leases.length; i++) {
    if (c.leases[i] < 0) continue;
    c.remotePools[i].release(c.leases[i], c.seq);
    c.leases[i] = -1;
  }
}

export function removeConn(c: Conn): void {
  releaseLeases(c);
  if (c.kind != KIND_INSTANCE) {
    for (let k = 0; k < c.remotePools.length; k++) poolUnref(c.remotePools[k]);
    c.remotePools = NO_POOLS;
  }
  const i = conns.indexOf(c);
  if (i >= 0) conns.splice(i, 1);
  if (byName.has(c.name) && byName.get(c.name) === c) byName.delete(c.name);
  indexRemove(c);
}

// A template's instances (for terminating or deleting the template).
export function instancesOf(t: Conn): Array<Conn> {
  const out = new Array<Conn>();
  for (let i = 0; i < conns.length; i++) if (conns[i].template === t) out.push(conns[i]);
  return out;
}

// The connection for an IKE_SA_INIT from `remote` to `local`: one for exactly this peer (an
// instance included), else a template of this local address.
export function findConnFor(local: Endpoint, remote: Endpoint): Conn | null {
  const exact = pairList(local, remote);
  for (let i = 0; i < exact.length; i++) if (ofPair(exact[i], local, remote) && exact[i].kind != KIND_TEMPLATE) return exact[i];
  for (let i = 0; i < exact.length; i++) if (ofPair(exact[i], local, remote)) return exact[i];
  const any = pairList(local, ANY);
  for (let i = 0; i < any.length; i++) if (ofPair(any[i], local, ANY)) return any[i];
  return null;
}

// IKE_AUTH refines the choice IKE_SA_INIT made by addresses alone: the connection of this host
// pair whose identities fit the peer's IDi (and the IDr it asked for), whose IKE proposals
// hold the suite already negotiated. Exact peer addresses before %any; null when none fits.
export function findConnByIds(local: Endpoint, remote: Endpoint, peerId: Id, wanted: Id | null,
  encr: i32, keyBits: i32, prf: i32, integ: i32, dh: i32): Conn | null {
  const all = connsByIds(local, remote, peerId, wanted, encr, keyBits, prf, integ, dh);
  return all.length > 0 ? all[0] : null;
}

// Every connection those identities and that suite fit, best first as Libreswan's
// refine_host_connection ranks them: an exact ID match before a DN wildcard match (fewer
// wildcards first) before %any; then exact peer addresses before %any, then the order added.
// Instances are left out (their templates stand for them).
export function connsByIds(local: Endpoint, remote: Endpoint, peerId: Id, wanted: Id | null,
  encr: i32, keyBits: i32, prf: i32, integ: i32, dh: i32): Array<Conn> {
  const out = new Array<Conn>();
  const scores = new Array<i32>();
  const none = new Array<Conn>(0);
  for (let pass = 0; pass < 2; pass++) {
    const peer = pass == 0 ? remote : ANY;
    const pk = pairKey(local, peer);
    const ik = idKey(pk, peerId);
    // those naming this ID and those taking any, merged in the order they were added
    const named = byPairId.has(ik) ? byPairId.get(ik) : none;
    const anyId = byPairAnyId.has(pk) ? byPairAnyId.get(pk) : none;
    let a = 0;
    let b = 0;
    while (a < named.length || b < anyId.length) {
      const c = b >= anyId.length || (a < named.length && named[a].seq < anyId[b].seq) ? named[a++] : anyId[b++];
      if (!ofPair(c, local, peer)) continue; // a hash shared with another pair
      const score = c.remoteId.matchScore(peerId);
      if (score < 0) continue;
      if (wanted !== null && !wanted.equals(c.localId)) continue;
      let suite = false;
      for (let k = 0; k < c.ike.length && !suite; k++) {
        const p = c.ike[k];
        suite = p.has(1, encr, keyBits) && p.has(2, prf, 0) && (integ == 0 || p.has(3, integ, 0)) && p.has(4, dh, 0);
      }
      if (suite) {
        out.push(c);
        scores.push(score);
      }
    }
  }
  return byScore(out, scores);
}

// Stable by score; the common case, every score equal, costs one look.
function byScore(list: Array<Conn>, scores: Array<i32>): Array<Conn> {
  let sorted = true;
  for (let i = 1; i < scores.length && sorted; i++) sorted = scores[i - 1] <= scores[i];
  if (sorted) return list;
  const out = new Array<Conn>();
  let next = 0;
  while (out.length < list.length) {
    // the lowest score not yet taken, then every connection with it in order
    let low = i32.MAX_VALUE;
    for (let i = 0; i < scores.length; i++) if (scores[i] >= next && scores[i] < low) low = scores[i];
    for (let i = 0; i < list.length; i++) if (scores[i] == low) out.push(list[i]);
    next = low + 1;
  }
  return out;
}

// ---- instances -------------------------------------------------------------------------------
// A template made concrete for one peer: its address, and (when the template names its subnet
// by the peer's host) that address as the peer's subnet. IKE_AUTH fills in the peer's ID and
// the Child SA's traffic selectors where the template left them open.
export function instantiate(t: Conn, remote: Endpoint): Conn {
  const c = new Conn();
  c.name = t.name;
  c.kind = KIND_INSTANCE;
  c.template = t;
  c.instanceNo = ++t.instances;
  c.local = t.local;
  c.remote = remote.clone();
  c.localId = t.localId;
  c.remoteId = t.remoteId;
  c.psk = t.psk;
  c.leftIsOurs = t.leftIsOurs;
  c.ike = t.ike;
  c.esp = t.esp;
  c.localTs = t.localTs;
  c.remoteTs = t.remoteTsIsHost ? hostTs(c.remote, t.remoteProto, t.remoteSport, t.remoteEport) : t.remoteTs;
  c.remotePortWildcard = t.remotePortWildcard;
  c.remoteVirtual = t.remoteVirtual;
  c.remoteVirtualNo = t.remoteVirtualNo;
  c.vpExclude = t.vpExclude;
  c.ikeLifetime = t.ikeLifetime;
  c.childLifetime = t.childLifetime;
  c.rekeyMargin = t.rekeyMargin;
  c.rekeyFuzz = t.rekeyFuzz;
  c.dpdDelay = t.dpdDelay;
  c.dpdAction = t.dpdAction;
  c.keyingTries = t.keyingTries;
  c.retransmitBase = t.retransmitBase;
  c.retransmitLimit = t.retransmitLimit;
  c.flags = t.flags;
  c.auto = t.auto;
  c.fragSize = t.fragSize;
  c.remotePools = t.remotePools;
  c.cfgDns = t.cfgDns;
  c.cfgDomains = t.cfgDomains;
  c.cfgClient = t.cfgClient;
  addConn(c);
  return c;
}

// ---- the host's addresses and orientation ----------------------------------------------------
export const interfaces = new Array<Endpoint>();

export function setInterfaces(p: usize, len: i32): i32 {
  interfaces.length = 0;
  for (let o = 0; o + 20 <= len; o += 20) {
    const e = Endpoint.read(p + o);
    if (e.family == 4 || e.family == 6) interfaces.push(e);
  }
  return interfaces.length;
}

function isLocal(e: Endpoint): bool {
  if (e.family == 0) return false;
  for (let i = 0; i < interfaces.length; i++) if (interfaces[i].sameAddr(e)) return true;
  return false;
}

function hostTs(e: Endpoint, proto: i32, sport: i32, eport: i32): Array<Ts> {
  const t = new Ts();
  t.type = e.family == 6 ? 8 : 7;
  t.proto = proto;
  t.sport = sport;
  t.eport = eport;
  t.start = e.addrBytes();
  t.end = e.addrBytes();
  const out = new Array<Ts>();
  out.push(t);
  return out;
}

// One end as the record describes it, before orientation.
class End {
  ep: Endpoint = new Endpoint();
  id: Id | null = null;
  ts: Array<Ts> = new Array<Ts>();
  proto: i32 = 0;
  sport: i32 = 0;
  eport: i32 = 65535;
  wildcard: bool = false;
  virtual: i32 = 0;
  pools: Array<Ts> = new Array<Ts>(); // addresspool= (type, start, end)
  cfg: i32 = 0; // CFG_CLIENT | CFG_SERVER
  // the ID an end has when id= is unset: its address (%any: any ID)
  idOrAddress(): Id {
    if (this.id !== null) return this.id!;
    if (this.ep.family == 0) return new Id(0, new Uint8Array(0));
    return this.addressId();
  }
  // our own ID: id=%any (or unset) is our address, which is what Libreswan sends then
  ownId(): Id {
    return this.id !== null && this.id!.type != 0 ? this.id! : this.addressId();
  }
  addressId(): Id {
    return new Id(this.ep.family == 6 ? 5 : 1, this.ep.addrBytes());
  }
  // its subnets with protoport= applied; none: its own address (%any: left to the instance)
  selectors(): Array<Ts> {
    if (this.ts.length == 0) return this.ep.family == 0 ? this.ts : hostTs(this.ep, this.proto, this.sport, this.eport);
    for (let i = 0; i < this.ts.length; i++) {
      const t = this.ts[i];
      if (this.proto != 0) { t.proto = this.proto; t.sport = this.sport; t.eport = this.eport; }
    }
    return this.ts;
  }
}

// Why a name's bytes are not well-formed UTF-8 free of control characters ("" when they are).
function nameProblem(p: usize, n: i32): string {
  if (n > 255) return "longer than 255 bytes";
  for (let i = 0; i < n; ) {
    const b = <u32>load<u8>(p + i);
    let more = 0;
    if (b < 0x20 || b == 0x7f) return "control character 0x" + b.toString(16) + " at byte " + i.toString();
    if (b < 0x80) more = 0;
    else if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) more = 2;
    else if (b >= 0xf0 && b <= 0xf4) more = 3;
    else return "not UTF-8 at byte " + i.toString();
    if (i + more >= n) return "not UTF-8 at byte " + i.toString(); // cut short
    for (let k = 1; k <= more; k++) if ((<u32>load<u8>(p + i + k) & 0xc0) != 0x80) return "not UTF-8 at byte " + (i + k).toString();
    i += 1 + more;
  }
  return "";
}

// A string inside JSON quotes: quotes and backslashes escaped (names hold no control characters).
export function jsonText(s: string): string {
  if (s.indexOf('"') < 0 && s.indexOf("\\") < 0) return s;
  return s.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
}

function readProtoport(e: End, v: usize, n: i32): void {
  if (n < 6) return;
  e.proto = load<u8>(v);
  e.wildcard = load<u8>(v + 1) != 0;
  e.sport = load<u16>(v + 2);
  e.eport = load<u16>(v + 4);
}

function readProposal(p: usize, n: i32): Proposal {
  const pr = new Proposal();
  for (let o = 0; o + 4 <= n; o += 4) {
    const t = <i32>load<u16>(p + o);
    const id = <i32>load<u16>(p + o + 2);
    if (t == 14) {
      if (pr.xforms.length > 0) pr.xforms[pr.xforms.length - 1].keyBits = id;
    } else {
      pr.xforms.push(new Xform(t, id, 0));
    }
  }
  return pr;
}

function readTs(p: usize, n: i32): Ts | null {
  if (n != 6 + 8 && n != 6 + 32) return null;
  const t = new Ts();
  t.type = load<u8>(p);
  t.proto = load<u8>(p + 1);
  t.sport = load<u16>(p + 2);
  t.eport = load<u16>(p + 4);
  const al = (n - 6) / 2;
  if ((t.type == 7 && al != 4) || (t.type == 8 && al != 16)) return null;
  t.start = copyIn(p + 6, al);
  t.end = copyIn(p + 6 + al, al);
  return t;
}

// ---- shared parts ----------------------------------------------------------------------------
// Connections loaded from one ipsec.conf share most of their proposals, secrets and our ID:
// one copy each (the collector marks every live object, so 10,000 connections with their own
// copies made each collection several times dearer). These are never changed once read.
const sharedProposals = new Map<string, Array<Proposal>>();
const sharedBytes = new Map<string, Uint8Array>();
const sharedIds = new Map<string, Id>();

function proposalsKey(list: Array<Proposal>): string {
  const parts = new Array<string>();
  for (let i = 0; i < list.length; i++) {
    const x = list[i].xforms;
    for (let k = 0; k < x.length; k++) {
      parts.push(x[k].type.toString());
      parts.push(x[k].id.toString());
      parts.push(x[k].keyBits.toString());
    }
    parts.push("|");
  }
  return parts.join(",");
}
function shareProposals(list: Array<Proposal>): Array<Proposal> {
  const k = proposalsKey(list);
  if (sharedProposals.has(k)) return sharedProposals.get(k);
  sharedProposals.set(k, list);
  return list;
}
function shareBytes(b: Uint8Array): Uint8Array {
  const k = hex(b);
  if (sharedBytes.has(k)) return sharedBytes.get(k);
  sharedBytes.set(k, b);
  return b;
}
function shareId(id: Id): Id {
  const k = id.type.toString() + ":" + hex(id.data);
  if (sharedIds.has(k)) return sharedIds.get(k);
  sharedIds.set(k, id);
  return id;
}
const NO_TS = new Array<Ts>(0);
const NO_POOLS = new Array<Pool>(0);
const NO_LEASES = new Array<i32>(0);
const NO_ADDRS = new Array<Uint8Array>(0);
const NO_NAMES = new Array<string>(0);

// Parses a connection record and orients it; returns the connection, or null with `connError`.
export let connError: string = "";
export function readConn(p: usize, len: i32): Conn | null {
  const c = new Conn();
  const left = new End();
  const right = new End();
  let pskLeft: Uint8Array | null = null;
  let pskRight: Uint8Array | null = null;
  const vpInclude = new Array<Ts>();
  let o = 0;
  while (o < len) {
    if (len - o < 3) { connError = "truncated connection record"; return null; }
    const tag = <i32>load<u8>(p + o);
    const n = <i32>load<u16>(p + o + 1);
    const v = p + o + 3;
    if (n > len - o - 3) { connError = "connection record field " + tag.toString() + " overruns the record"; return null; }
    switch (tag) {
      case CONN_NAME: {
        // UTF-8 without control characters: names go into log lines and (escaped) JSON
        const bad = nameProblem(v, n);
        if (bad.length > 0) { connError = "connection name: " + bad; return null; }
        c.name = String.UTF8.decodeUnsafe(v, n, false);
        break;
      }
      case CONN_LEFT_EP: if (n == 20) left.ep = Endpoint.read(v); break;
      case CONN_RIGHT_EP: if (n == 20) right.ep = Endpoint.read(v); break;
      case CONN_LEFT_ID: if (n >= 1) left.id = new Id(load<u8>(v), copyIn(v + 1, n - 1)); break;
      case CONN_RIGHT_ID: if (n >= 1) right.id = new Id(load<u8>(v), copyIn(v + 1, n - 1)); break;
      case CONN_PSK: pskLeft = copyIn(v, n); break;
      case CONN_PSK_RIGHT: pskRight = copyIn(v, n); break;
      case CONN_IKE_PROPOSAL: c.ike.push(readProposal(v, n)); break;
      case CONN_ESP_PROPOSAL: c.esp.push(readProposal(v, n)); break;
      case CONN_LEFT_TS: case CONN_RIGHT_TS: case CONN_VP_INCLUDE: case CONN_VP_EXCLUDE: {
        const t = readTs(v, n);
        if (t === null) { connError = "bad traffic selector in connection record"; return null; }
        if (tag == CONN_LEFT_TS) left.ts.push(t);
        else if (tag == CONN_RIGHT_TS) right.ts.push(t);
        else if (tag == CONN_VP_INCLUDE) vpInclude.push(t);
        else {
          if (c.vpExclude === NO_TS) c.vpExclude = new Array<Ts>();
          c.vpExclude.push(t);
        }
        break;
      }
      case CONN_LEFT_PROTOPORT: readProtoport(left, v, n); break;
      case CONN_RIGHT_PROTOPORT: readProtoport(right, v, n); break;
      case CONN_LEFT_POOL: case CONN_RIGHT_POOL: {
        const al = n == 9 ? 4 : n == 33 ? 16 : 0;
        const ty = n >= 1 ? <i32>load<u8>(v) : 0;
        if (al == 0 || (ty == 7) != (al == 4) || (ty != 7 && ty != 8)) { connError = "connection record: an address pool is type (7 or 8) then two addresses of 4 or 16 bytes, " + n.toString() + " bytes came"; return null; }
        const t = new Ts();
        t.type = ty;
        t.start = copyIn(v + 1, al);
        t.end = copyIn(v + 1 + al, al);
        const e = tag == CONN_LEFT_POOL ? left : right;
        for (let k = 0; k < e.pools.length; k++) {
          if (e.pools[k].type == ty) { connError = "connection record: two address pools of one family on one end"; return null; }
        }
        e.pools.push(t);
        break;
      }
      case CONN_LEFT_CFG: if (n >= 1) left.cfg = load<u8>(v); break;
      case CONN_RIGHT_CFG: if (n >= 1) right.cfg = load<u8>(v); break;
      case CONN_CFG_DNS: {
        if (n != 4 && n != 16) { connError = "connection record: a modecfgdns address is 4 or 16 bytes, " + n.toString() + " came"; return null; }
        if (c.cfgDns === NO_ADDRS) c.cfgDns = new Array<Uint8Array>();
        c.cfgDns.push(copyIn(v, n));
        break;
      }
      case CONN_CFG_DOMAIN: {
        const bad = nameProblem(v, n);
        if (bad.length > 0 || n == 0) { connError = "connection record: modecfgdomains: " + (n == 0 ? "empty" : bad); return null; }
        if (c.cfgDomains === NO_NAMES) c.cfgDomains = new Array<string>();
        c.cfgDomains.push(String.UTF8.decodeUnsafe(v, n, false));
        break;
      }
      case CONN_LEFT_VIRTUAL: if (n >= 1) left.virtual = load<u8>(v); break;
      case CONN_RIGHT_VIRTUAL: if (n >= 1) right.virtual = load<u8>(v); break;
      case CONN_TIMERS: {
        if (n >= 32) {
          c.ikeLifetime = <f64>load<u32>(v) * 1000;
          c.childLifetime = <f64>load<u32>(v + 4) * 1000;
          c.rekeyMargin = <f64>load<u32>(v + 8) * 1000;
          c.rekeyFuzz = load<u32>(v + 12);
          c.dpdDelay = <f64>load<u32>(v + 16) * 1000;
          // v + 20: unused (IKEv2 ignores dpdtimeout=)
          c.retransmitBase = <f64>load<u32>(v + 24);
          c.retransmitLimit = load<u32>(v + 28);
        }
        break;
      }
      case CONN_FLAGS: if (n >= 4) c.flags = load<u32>(v); break;
      case CONN_AUTO: if (n >= 1) c.auto = load<u8>(v); break;
      case CONN_FRAG_SIZE: if (n >= 2) c.fragSize = max(<i32>load<u16>(v), 576); break;
      case CONN_REVIVAL: {
        if (n < 5) { connError = "connection record field " + tag.toString() + " is " + n.toString() + " bytes, expected 5"; return null; }
        const a = <i32>load<u8>(v);
        if (a > DPD_RESTART) { connError = "connection record: dpdaction " + a.toString() + " is not one of hold (0), clear (1), restart (2)"; return null; }
        c.dpdAction = a;
        c.keyingTries = <i32>min(load<u32>(v + 1), <u32>0x7fffffff);
        break;
      }
    }
    o += 3 + n;
  }
  if (c.name.length == 0) { connError = "connection record has no name"; return null; }
  const q = '"' + c.name + '": ';
  if (c.ike.length == 0) { connError = q + "has no IKE proposal"; return null; }
  if (c.esp.length == 0) { connError = q + "has no ESP proposal"; return null; }
  // orientation: the end whose address this host has is ours
  const l = isLocal(left.ep);
  const r = isLocal(right.ep);
  const ends = "left=" + left.ep.addrText() + " and right=" + right.ep.addrText();
  if (l && r) { connError = q + "both " + ends + " are addresses of this host: cannot tell which end is ours"; return null; }
  if (!l && !r) {
    connError = interfaces.length == 0 ? q + "this host has told the core no addresses: cannot orient " + ends
      : q + "neither left=" + left.ep.addrText() + " nor right=" + right.ep.addrText() + " is an address of this host";
    return null;
  }
  const us = l ? left : right;
  const them = l ? right : left;
  if (us.virtual != 0) { connError = q + "vnet:/vhost: describes the peer's subnet, not ours"; return null; }
  c.local = us.ep;
  c.remote = them.ep;
  c.localId = shareId(us.ownId());
  c.remoteId = them.idOrAddress();
  // without a secret for this orientation the connection loads (as Libreswan's does) and its
  // negotiations fail naming the missing secret until a reread of ipsec.secrets brings one
  c.leftIsOurs = l;
  const psk = ourPsk(l, pskLeft, pskRight);
  c.psk = psk.length == 0 ? psk : shareBytes(psk);
  c.ike = shareProposals(c.ike);
  c.esp = shareProposals(c.esp);
  c.localTs = us.selectors();
  c.remoteVirtual = them.virtual & 3;
  c.remoteVirtualNo = (them.virtual & VIRT_NO) != 0;
  if (them.virtual != 0) {
    if (vpInclude.length == 0) { connError = q + "a vnet:/vhost: subnet needs virtual-private= ranges in config setup"; return null; }
    c.remoteTs = vpInclude;
  } else {
    c.remoteTs = them.selectors();
  }
  c.remoteTsIsHost = them.ts.length == 0 && them.virtual == 0;
  c.remoteProto = them.proto;
  c.remoteSport = them.sport;
  c.remoteEport = them.eport;
  c.remotePortWildcard = them.wildcard;
  c.kind = them.ep.family == 0 || them.wildcard || them.virtual != 0 ? KIND_TEMPLATE : KIND_PERMANENT;
  // a pool on the peer's end: we lease from it (checked now, made a pool when added); a pool
  // on ours, or modecfgclient=/sourceip=%config: we ask (Libreswan makes the pool's end the client)
  for (let k = 0; k < them.pools.length; k++) {
    const r = them.pools[k];
    if (poolFor(r.type, r.start, r.end, false) === null && poolError.length > 0) { connError = q + "invalid addresspool: " + poolError; return null; }
  }
  if (them.pools.length > 0 && (us.cfg & CFG_CLIENT) != 0) { connError = q + "we are to ask for an address (modecfgclient) and lease them from the peer's addresspool at once"; return null; }
  c.poolRanges = them.pools.length > 0 ? them.pools : NO_TS;
  c.cfgClient = us.pools.length > 0 || (us.cfg & CFG_CLIENT) != 0 || (them.cfg & CFG_SERVER) != 0;
  return c;
}

// Each orientation's own secret (an empty one: none); CONN_PSK alone serves both.
function ourPsk(leftIsOurs: bool, pskLeft: Uint8Array | null, pskRight: Uint8Array | null): Uint8Array {
  const psk = leftIsOurs || pskRight === null ? pskLeft : pskRight;
  return psk === null ? new Uint8Array(0) : psk;
}

// A reread of ipsec.secrets (ADM_SET_SECRETS): a record with CONN_NAME, CONN_PSK and
// CONN_PSK_RIGHT gives the loaded connection of that name, and its instances, the secret of
// their orientation. New negotiations use it; established SAs keep what they derived (as
// Libreswan, which looks the PSK up when it authenticates). Returns the connection, or null
// with `connError`.
export function setSecrets(p: usize, len: i32): Conn | null {
  let name = "";
  let pskLeft: Uint8Array | null = null;
  let pskRight: Uint8Array | null = null;
  let o = 0;
  while (o < len) {
    if (len - o < 3) { connError = "truncated secrets record"; return null; }
    const tag = <i32>load<u8>(p + o);
    const n = <i32>load<u16>(p + o + 1);
    const v = p + o + 3;
    if (n > len - o - 3) { connError = "secrets record field " + tag.toString() + " overruns the record"; return null; }
    if (tag == CONN_NAME) {
      const bad = nameProblem(v, n);
      if (bad.length > 0) { connError = "connection name: " + bad; return null; }
      name = String.UTF8.decodeUnsafe(v, n, false);
    } else if (tag == CONN_PSK) pskLeft = copyIn(v, n);
    else if (tag == CONN_PSK_RIGHT) pskRight = copyIn(v, n);
    o += 3 + n;
  }
  const c = findConn(name);
  if (c === null) { connError = 'no connection named "' + name + '"'; return null; }
  const psk = ourPsk(c.leftIsOurs, pskLeft, pskRight);
  const shared = psk.length == 0 ? psk : shareBytes(psk);
  c.psk = shared;
  if (c.kind == KIND_TEMPLATE && c.instances > 0) {
    const inst = instancesOf(c);
    for (let i = 0; i < inst.length; i++) inst[i].psk = shared;
  }
  return c;
}

export { CF_TRANSPORT, CF_FRAGMENTATION, CF_PFS };
