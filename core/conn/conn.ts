// Connections as the host hands them to the core (a record of CONN_* TLVs, see abi.ts).
// The host parses ipsec.conf and orients nothing: `local` is the end this daemon owns.
import { copyIn, bytesEqual } from "../bytes";
import {
  CONN_NAME, CONN_LOCAL_EP, CONN_REMOTE_EP, CONN_LOCAL_ID, CONN_REMOTE_ID, CONN_PSK,
  CONN_IKE_PROPOSAL, CONN_ESP_PROPOSAL, CONN_LOCAL_TS, CONN_REMOTE_TS, CONN_TIMERS, CONN_FLAGS,
  CONN_AUTO, CONN_FRAG_SIZE, CF_TRANSPORT, CF_FRAGMENTATION, CF_PFS, CF_INITIAL_CONTACT,
} from "../abi";

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
    let s = "";
    if (this.family == 4) {
      for (let i = 0; i < 4; i++) s += (i ? "." : "") + this.addr[i].toString();
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
      s = "[" + s + "]";
    }
    return s + ":" + this.port.toString();
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

export class Id {
  constructor(public type: i32, public data: Uint8Array) {}
  equals(o: Id): bool {
    return this.type == o.type && bytesEqual(this.data, o.data);
  }
}

export class Conn {
  name: string = "";
  local: Endpoint = new Endpoint();
  remote: Endpoint = new Endpoint();
  localId: Id = new Id(0, new Uint8Array(0));
  remoteId: Id = new Id(0, new Uint8Array(0)); // type 0: accept any
  psk: Uint8Array = new Uint8Array(0);
  ike: Array<Proposal> = new Array<Proposal>();
  esp: Array<Proposal> = new Array<Proposal>();
  localTs: Array<Ts> = new Array<Ts>();
  remoteTs: Array<Ts> = new Array<Ts>();
  ikeLifetime: f64 = 28800e3; // ms
  childLifetime: f64 = 28800e3;
  rekeyMargin: f64 = 540e3;
  rekeyFuzz: i32 = 100; // percent of the margin
  dpdDelay: f64 = 0; // 0: no liveness checks
  dpdTimeout: f64 = 0;
  retransmitBase: f64 = 500;
  retransmitLimit: i32 = 10;
  flags: u32 = CF_INITIAL_CONTACT;
  auto: i32 = 1;
  fragSize: i32 = 1280;

  get transport(): bool { return (this.flags & CF_TRANSPORT) != 0; }
  get fragmentation(): bool { return (this.flags & CF_FRAGMENTATION) != 0; }
  get pfs(): bool { return (this.flags & CF_PFS) != 0; }
  get initialContact(): bool { return (this.flags & CF_INITIAL_CONTACT) != 0; }
}

export const conns = new Array<Conn>();
const byName = new Map<string, Conn>();

export function findConn(name: string): Conn | null {
  return byName.has(name) ? byName.get(name) : null;
}

export function addConn(c: Conn): void {
  conns.push(c);
  byName.set(c.name, c);
}

export function removeConn(c: Conn): void {
  const i = conns.indexOf(c);
  if (i >= 0) conns.splice(i, 1);
  if (byName.has(c.name) && byName.get(c.name) === c) byName.delete(c.name);
}

// The connection for an IKE_SA_INIT from `remote` to `local`: exact peer first, then %any.
export function findConnFor(local: Endpoint, remote: Endpoint): Conn | null {
  let any: Conn | null = null;
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i];
    if (!c.local.sameAddr(local)) continue;
    if (c.remote.family == 0) {
      if (any === null) any = c;
    } else if (c.remote.sameAddr(remote)) {
      return c;
    }
  }
  return any;
}

// IKE_AUTH refines the choice IKE_SA_INIT made by addresses alone: the connection of this host
// pair whose identities fit the peer's IDi (and the IDr it asked for), whose IKE proposals
// hold the suite already negotiated. Exact peer addresses before %any; null when none fits.
export function findConnByIds(local: Endpoint, remote: Endpoint, peerId: Id, wanted: Id | null,
  encr: i32, keyBits: i32, prf: i32, integ: i32, dh: i32): Conn | null {
  const all = connsByIds(local, remote, peerId, wanted, encr, keyBits, prf, integ, dh);
  return all.length > 0 ? all[0] : null;
}

// Every connection those identities and that suite fit, exact peer addresses first.
export function connsByIds(local: Endpoint, remote: Endpoint, peerId: Id, wanted: Id | null,
  encr: i32, keyBits: i32, prf: i32, integ: i32, dh: i32): Array<Conn> {
  const exacts = new Array<Conn>();
  const anys = new Array<Conn>();
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i];
    if (!c.local.sameAddr(local)) continue;
    const exact = c.remote.family != 0 && c.remote.sameAddr(remote);
    if (!exact && c.remote.family != 0) continue;
    if (c.remoteId.type != 0 && !c.remoteId.equals(peerId)) continue;
    if (wanted !== null && !wanted.equals(c.localId)) continue;
    let suite = false;
    for (let k = 0; k < c.ike.length && !suite; k++) {
      const p = c.ike[k];
      suite = p.has(1, encr, keyBits) && p.has(2, prf, 0) && (integ == 0 || p.has(3, integ, 0)) && p.has(4, dh, 0);
    }
    if (!suite) continue;
    if (exact) exacts.push(c);
    else anys.push(c);
  }
  return exacts.concat(anys);
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

// Parses a connection record; returns the connection, or null with `connError` set.
export let connError: string = "";
export function readConn(p: usize, len: i32): Conn | null {
  const c = new Conn();
  let o = 0;
  while (o < len) {
    if (len - o < 3) { connError = "truncated connection record"; return null; }
    const tag = <i32>load<u8>(p + o);
    const n = <i32>load<u16>(p + o + 1);
    const v = p + o + 3;
    if (n > len - o - 3) { connError = "connection record field " + tag.toString() + " overruns the record"; return null; }
    switch (tag) {
      case CONN_NAME: c.name = String.UTF8.decodeUnsafe(v, n, false); break;
      case CONN_LOCAL_EP: if (n == 20) c.local = Endpoint.read(v); break;
      case CONN_REMOTE_EP: if (n == 20) c.remote = Endpoint.read(v); break;
      case CONN_LOCAL_ID: if (n >= 1) c.localId = new Id(load<u8>(v), copyIn(v + 1, n - 1)); break;
      case CONN_REMOTE_ID: if (n >= 1) c.remoteId = new Id(load<u8>(v), copyIn(v + 1, n - 1)); break;
      case CONN_PSK: c.psk = copyIn(v, n); break;
      case CONN_IKE_PROPOSAL: c.ike.push(readProposal(v, n)); break;
      case CONN_ESP_PROPOSAL: c.esp.push(readProposal(v, n)); break;
      case CONN_LOCAL_TS: case CONN_REMOTE_TS: {
        const t = readTs(v, n);
        if (t === null) { connError = "bad traffic selector in connection record"; return null; }
        if (tag == CONN_LOCAL_TS) c.localTs.push(t); else c.remoteTs.push(t);
        break;
      }
      case CONN_TIMERS: {
        if (n >= 32) {
          c.ikeLifetime = <f64>load<u32>(v) * 1000;
          c.childLifetime = <f64>load<u32>(v + 4) * 1000;
          c.rekeyMargin = <f64>load<u32>(v + 8) * 1000;
          c.rekeyFuzz = load<u32>(v + 12);
          c.dpdDelay = <f64>load<u32>(v + 16) * 1000;
          c.dpdTimeout = <f64>load<u32>(v + 20) * 1000;
          c.retransmitBase = <f64>load<u32>(v + 24);
          c.retransmitLimit = load<u32>(v + 28);
        }
        break;
      }
      case CONN_FLAGS: if (n >= 4) c.flags = load<u32>(v); break;
      case CONN_AUTO: if (n >= 1) c.auto = load<u8>(v); break;
      case CONN_FRAG_SIZE: if (n >= 2) c.fragSize = max(<i32>load<u16>(v), 576); break;
    }
    o += 3 + n;
  }
  if (c.name.length == 0) { connError = "connection record has no name"; return null; }
  if (c.ike.length == 0) { connError = "connection " + c.name + " has no IKE proposal"; return null; }
  if (c.esp.length == 0) { connError = "connection " + c.name + " has no ESP proposal"; return null; }
  if (c.local.family == 0) { connError = "connection " + c.name + " has no local address"; return null; }
  return c;
}

export { CF_TRANSPORT, CF_FRAGMENTATION, CF_PFS };
