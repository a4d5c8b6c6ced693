// Choosing among proposals (RFC 7296 2.7, 3.3.6): the responder picks one proposal of the
// initiator's and, in it, one transform of each type that its own configuration allows.
import { Proposal, Xform } from "../conn/conn";
import { getW, getF } from "../wire/tape";
import { N_END, N_ALEN, K_ATTR, REG_DH } from "../abi";
import { dataA } from "./message";
import * as C from "../crypto";
import { nameOf } from "../names/index";

export const T_ENCR = 1;
export const T_PRF = 2;
export const T_INTEG = 3;
export const T_DH = 4;
export const T_ESN = 5;

export class Chosen {
  number: i32 = 0;
  protocol: i32 = 0;
  spi: Uint8Array = new Uint8Array(0);
  encr: i32 = 0;
  keyBits: i32 = 0;
  prf: i32 = 0;
  integ: i32 = 0;
  dh: i32 = 0;
  esn: i32 = -1;
}

function keyLenOf(t: i32): i32 {
  // the KEY_LENGTH attribute (14) of transform node t, 0 if none
  let a = t + 1;
  const e = <i32>getW(t, N_END);
  while (a < e) {
    if (<i32>getF(a, 0) == 14 && getF(a, 1) == 1) return <i32>getF(a, 2);
    a++;
  }
  return 0;
}

function hasOtherAttrs(t: i32): bool {
  let a = t + 1;
  const e = <i32>getW(t, N_END);
  while (a < e) {
    if (<i32>getF(a, 0) != 14) return true;
    a++;
  }
  return false;
}

// Picks from the SA payload at tape node `sa` (protocol `proto`: 1 IKE, 3 ESP) against ours.
// wantDh: the proposal must carry a KE transform (IKE; ESP with PFS).
export function choose(sa: i32, proto: i32, ours: Array<Proposal>, wantDh: bool): Chosen | null {
  let p = sa + 1;
  const pend = <i32>getW(sa, N_END);
  while (p < pend) {
    const next = <i32>getW(p, N_END);
    if (<i32>getF(p, 1) == proto) {
      for (let k = 0; k < ours.length; k++) {
        const c = match(p, ours[k], wantDh);
        if (c !== null) {
          c.number = <i32>getF(p, 0);
          c.protocol = proto;
          c.spi = dataA(p);
          return c;
        }
      }
    }
    p = next;
  }
  return null;
}

function match(p: i32, ours: Proposal, wantDh: bool): Chosen | null {
  const c = new Chosen();
  let sawEncr = false, sawPrf = false, sawInteg = false, sawDh = false, sawEsn = false;
  let t = p + 1;
  const e = <i32>getW(p, N_END);
  while (t < e) {
    const type = <i32>getF(t, 0);
    const id = <i32>getF(t, 1);
    const kb = keyLenOf(t);
    const usable = !hasOtherAttrs(t) && (type == T_ESN && ours.countOf(T_ESN) == 0 ? id == 0 : ours.has(type, id, kb));
    switch (type) {
      case T_ENCR: sawEncr = true; if (usable && c.encr == 0) { c.encr = id; c.keyBits = kb; } break;
      case T_PRF: sawPrf = true; if (usable && c.prf == 0) c.prf = id; break;
      case T_INTEG: sawInteg = true; if (usable && c.integ == 0) c.integ = id; break;
      case T_DH: sawDh = true; if (usable && c.dh == 0) c.dh = id; break;
      case T_ESN: sawEsn = true; if (usable && c.esn < 0) c.esn = id; break;
    }
    t = <i32>getW(t, N_END);
  }
  // every transform type the peer offers must be matched (RFC 7296 3.3.6)
  if (!sawEncr || c.encr == 0) return null;
  if (sawPrf && c.prf == 0) return null;
  if (sawInteg && c.integ == 0 && !(ours.countOf(T_INTEG) == 0 && C.isAead(c.encr))) return null;
  if (!C.isAead(c.encr) && c.integ == 0 && ours.countOf(T_INTEG) > 0) return null;
  if (sawDh && c.dh == 0 && !(id0(p) && !wantDh)) return null;
  if (wantDh && c.dh == 0) return null;
  if (sawEsn && c.esn < 0) return null;
  if (!sawEsn) c.esn = 0;
  return c;
}

// The KE groups (Transform Type 4, NONE left out) that the peer's proposals of protocol
// `proto` in the SA payload at tape node `sa` offer, each once, in the order offered.
export function offeredGroups(sa: i32, proto: i32): Array<i32> {
  const out = new Array<i32>();
  let p = sa + 1;
  const pend = <i32>getW(sa, N_END);
  while (p < pend) {
    if (<i32>getF(p, 1) == proto) {
      let t = p + 1;
      const e = <i32>getW(p, N_END);
      while (t < e) {
        const id = <i32>getF(t, 1);
        if (<i32>getF(t, 0) == T_DH && id != 0 && !out.includes(id)) out.push(id);
        t = <i32>getW(t, N_END);
      }
    }
    p = <i32>getW(p, N_END);
  }
  return out;
}

// The KE groups of our proposals (Transform Type 4, NONE left out), each once.
export function ourGroups(ps: Array<Proposal>): Array<i32> {
  const out = new Array<i32>();
  for (let i = 0; i < ps.length; i++) {
    const xs = ps[i].xforms;
    for (let k = 0; k < xs.length; k++) if (xs[k].type == T_DH && xs[k].id != 0 && !out.includes(xs[k].id)) out.push(xs[k].id);
  }
  return out;
}
export function groupsText(g: Array<i32>): string {
  let s = "";
  for (let i = 0; i < g.length; i++) s += (i > 0 ? " or " : "") + groupName(g[i]);
  return s;
}
export function groupName(g: i32): string {
  const n = nameOf(REG_DH, g);
  return n.length > 0 ? n : "group " + g.toString();
}

function id0(p: i32): bool {
  // a KE transform with ID NONE (0) counts as "no PFS"
  let t = p + 1;
  const e = <i32>getW(p, N_END);
  while (t < e) {
    if (<i32>getF(t, 0) == T_DH && <i32>getF(t, 1) == 0) return true;
    t = <i32>getW(t, N_END);
  }
  return false;
}

// Whether a chosen proposal the peer returned is one we offered.
export function offered(c: Chosen, ours: Array<Proposal>, needDh: bool): bool {
  for (let k = 0; k < ours.length; k++) {
    const o = ours[k];
    if (!o.has(T_ENCR, c.encr, c.keyBits)) continue;
    if (c.prf != 0 && !o.has(T_PRF, c.prf, 0)) continue;
    if (c.integ != 0 && !o.has(T_INTEG, c.integ, 0)) continue;
    if (c.integ == 0 && o.countOf(T_INTEG) > 0 && !C.isAead(c.encr)) continue;
    if (c.dh != 0 && !o.has(T_DH, c.dh, 0)) continue;
    if (needDh && c.dh == 0) continue;
    return true;
  }
  return false;
}

// The single proposal of a response (or the proposal list of a request) for the builder:
// transforms as (type, id, keyBits) triples.
export function chosenXforms(c: Chosen): Array<Xform> {
  const x = new Array<Xform>();
  x.push(new Xform(T_ENCR, c.encr, c.keyBits));
  if (c.prf != 0) x.push(new Xform(T_PRF, c.prf, 0));
  if (c.integ != 0) x.push(new Xform(T_INTEG, c.integ, 0));
  if (c.dh != 0) x.push(new Xform(T_DH, c.dh, 0));
  if (c.esn >= 0 && c.protocol != 1) x.push(new Xform(T_ESN, c.esn, 0));
  return x;
}

export { N_ALEN, K_ATTR };
