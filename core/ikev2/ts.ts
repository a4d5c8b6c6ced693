// Traffic selectors (RFC 7296 2.9): reading them from the tape, narrowing, subset checks.
import { Ts, Conn } from "../conn/conn";
import { getW, getF } from "../wire/tape";
import { N_END, VIRT_HOST } from "../abi";
import { dataA, dataB } from "./message";
import { bytesCompare, bytesEqual } from "../bytes";

export function readTs(tsp: i32): Array<Ts> {
  const out = new Array<Ts>();
  let s = tsp + 1;
  const e = <i32>getW(tsp, N_END);
  while (s < e) {
    const t = new Ts();
    t.type = <i32>getF(s, 0);
    t.proto = <i32>getF(s, 1);
    t.sport = <i32>getF(s, 2);
    t.eport = <i32>getF(s, 3);
    t.start = dataA(s);
    t.end = dataB(s);
    if (t.type == 7 || t.type == 8) out.push(t);
    s = <i32>getW(s, N_END);
  }
  return out;
}

// The intersection of two selectors, or null when they do not overlap.
export function intersect(a: Ts, b: Ts): Ts | null {
  if (a.type != b.type) return null;
  let proto = a.proto;
  if (a.proto == 0) proto = b.proto;
  else if (b.proto != 0 && b.proto != a.proto) return null;
  const sport = max(a.sport, b.sport);
  const eport = min(a.eport, b.eport);
  if (sport > eport) return null;
  const start = bytesCompare(a.start, b.start) >= 0 ? a.start : b.start;
  const end = bytesCompare(a.end, b.end) <= 0 ? a.end : b.end;
  if (bytesCompare(start, end) > 0) return null;
  const t = new Ts();
  t.type = a.type;
  t.proto = proto;
  t.sport = sport;
  t.eport = eport;
  t.start = start.slice();
  t.end = end.slice();
  return t;
}

// Whether two selectors share some traffic, and whether `outer` holds all of `inner`
// (neither allocates: they sift many connections' selectors).
function overlaps(x: Ts, y: Ts): bool {
  return x.type == y.type && (x.proto == 0 || y.proto == 0 || x.proto == y.proto) && max(x.sport, y.sport) <= min(x.eport, y.eport) &&
    bytesCompare(x.start, y.end) <= 0 && bytesCompare(y.start, x.end) <= 0;
}
export function covers(outer: Ts, inner: Ts): bool {
  return outer.type == inner.type && (outer.proto == 0 || outer.proto == inner.proto) && outer.sport <= inner.sport && inner.eport <= outer.eport &&
    bytesCompare(outer.start, inner.start) <= 0 && bytesCompare(inner.end, outer.end) <= 0;
}

// Whether some selector of `a` overlaps some selector of `b`.
export function overlapsAny(a: Array<Ts>, b: Array<Ts>): bool {
  for (let i = 0; i < a.length; i++) for (let k = 0; k < b.length; k++) if (overlaps(a[i], b[k])) return true;
  return false;
}

// The peer's side of a Child SA, checked against what a template left open. A virtual subnet
// (vnet:) must lie wholly inside one virtual-private range and touch no excluded one; vhost:
// also wants a single address; the peer's own address will do only with %no. Returns false
// when the selectors may not be the peer's.
export function virtualFits(c: Conn, proposed: Array<Ts>): bool {
  if (c.remoteVirtual == 0) return true;
  if (proposed.length == 0) return false;
  const incl = c.template !== null ? c.template!.remoteTs : c.remoteTs;
  for (let i = 0; i < proposed.length; i++) {
    const t = proposed[i];
    if (c.remoteVirtual == VIRT_HOST && bytesCompare(t.start, t.end) != 0) return false;
    const own = bytesEqual(t.start, c.remote.addrBytes()) && bytesEqual(t.end, c.remote.addrBytes());
    if (own && c.remoteVirtualNo) continue; // %no: the peer's public address itself
    let inside = false;
    for (let k = 0; k < incl.length && !inside; k++) inside = covers(incl[k], t);
    if (!inside) return false;
    for (let k = 0; k < c.vpExclude.length; k++) if (overlaps(c.vpExclude[k], t)) return false;
  }
  return true;
}

// Whether some selector of `a` holds the address `addr`.
export function holdsAddress(a: Array<Ts>, addr: Uint8Array): bool {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if ((x.type == 7) != (addr.length == 4)) continue;
    if (bytesCompare(x.start, addr) <= 0 && bytesCompare(addr, x.end) <= 0) return true;
  }
  return false;
}

// Responder's narrowing: what the peer proposed, cut down to what we allow (2.9).
export function narrow(theirs: Array<Ts>, ours: Array<Ts>): Array<Ts> {
  const out = new Array<Ts>();
  for (let i = 0; i < theirs.length; i++) {
    for (let k = 0; k < ours.length; k++) {
      const x = intersect(theirs[i], ours[k]);
      if (x !== null && !contains(out, x)) out.push(x);
    }
  }
  return out;
}

function same(a: Ts, b: Ts): bool {
  return a.type == b.type && a.proto == b.proto && a.sport == b.sport && a.eport == b.eport &&
    bytesCompare(a.start, b.start) == 0 && bytesCompare(a.end, b.end) == 0;
}
function contains(list: Array<Ts>, t: Ts): bool {
  for (let i = 0; i < list.length; i++) if (same(list[i], t)) return true;
  return false;
}

// Whether each of `ours` is in `result` whole: without narrowing=yes, neither side settles for
// part of its selectors.
export function whole(result: Array<Ts>, ours: Array<Ts>): bool {
  for (let i = 0; i < ours.length; i++) if (!contains(result, ours[i])) return false;
  return true;
}

// Whether every selector of `inner` lies within one of `outer` (an initiator checks the
// responder's narrowed answer against what it proposed).
export function within(inner: Array<Ts>, outer: Array<Ts>): bool {
  if (inner.length == 0) return false;
  for (let i = 0; i < inner.length; i++) {
    let ok = false;
    for (let k = 0; k < outer.length && !ok; k++) ok = covers(outer[k], inner[i]);
    if (!ok) return false;
  }
  return true;
}

export function tsText(list: Array<Ts>): string {
  let s = "";
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (i) s += " ";
    s += addr(t.start, t.type) + "-" + addr(t.end, t.type);
    if (t.proto != 0 || t.sport != 0 || t.eport != 65535) s += ":" + t.proto.toString() + "/" + t.sport.toString() + "-" + t.eport.toString();
  }
  return s;
}

function addr(b: Uint8Array, type: i32): string {
  let s = "";
  if (type == 7) {
    for (let i = 0; i < b.length; i++) s += (i ? "." : "") + b[i].toString();
  } else {
    for (let i = 0; i + 1 < b.length; i += 2) s += (i ? ":" : "") + ((<u32>b[i] << 8) | b[i + 1]).toString(16);
  }
  return s;
}
