// Choosing among proposals (RFC 7296 2.7, 3.3.6): the responder picks one proposal of the
// initiator's and, in it, one transform of each type that its own configuration allows.
import { Proposal, Xform } from "../conn/conn";
import { getW, getF } from "../wire/tape";
import { N_END, N_ALEN, K_ATTR, REG_DH, REG_TRANSFORM_TYPE } from "../abi";
import { dataA } from "./message";
import * as C from "../crypto";
import { nameOf, transformIdName } from "../names/index";

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

// ---- proposals as pluto prints them ------------------------------------------------------------
// A transform by its registry name without the registry's prefix, as pluto's short enum names
// go (ENCR_AES_GCM_16 -> AES_GCM_16, PRF_HMAC_SHA2_256 -> HMAC_SHA2_256,
// AUTH_HMAC_SHA2_256_128 -> HMAC_SHA2_256_128; MODP_2048, CURVE25519 and NONE stay), with the
// key length appended (AES_CBC_256). A value without a name: its type and number (ENCR_99).
export function xformText(type: i32, id: i32, keyBits: i32): string {
  let n = transformIdName(type, id);
  if (n.startsWith("ENCR_") || n.startsWith("AUTH_")) n = n.substring(5);
  else if (n.startsWith("PRF_")) n = n.substring(4);
  if (n.length == 0) n = typeText(type) + "_" + id.toString();
  return keyBits > 0 ? n + "_" + keyBits.toString() : n;
}
export function typeText(type: i32): string {
  const n = nameOf(REG_TRANSFORM_TYPE, type);
  return n.length > 0 ? n : "TYPE_" + type.toString();
}
function protoText(proto: i32): string {
  return proto == 1 ? "IKE" : proto == 2 ? "AH" : proto == 3 ? "ESP" : "PROTO_" + proto.toString();
}

// The transform types a proposal's text lists, in pluto's order.
const TYPES: StaticArray<i32> = [T_ENCR, T_PRF, T_INTEG, T_DH, T_ESN];

// One of the peer's proposals (tape node p) as pluto prints it: 1:IKE=AES_GCM_16_256-HMAC_SHA2_256-CURVE25519
// (transforms of one type joined by "+", the types by "-").
function remoteText(p: i32): string {
  let s = (<i32>getF(p, 0)).toString() + ":" + protoText(<i32>getF(p, 1)) + "=";
  let sep = "";
  const e = <i32>getW(p, N_END);
  for (let k = 0; k < TYPES.length; k++) {
    let part = "";
    for (let t = p + 1; t < e; t = <i32>getW(t, N_END)) {
      if (<i32>getF(t, 0) != TYPES[k]) continue;
      part += (part.length > 0 ? "+" : "") + xformText(TYPES[k], <i32>getF(t, 1), keyLenOf(t));
    }
    if (part.length > 0) { s += sep + part; sep = "-"; }
  }
  // transform types this daemon does not choose among (ADDKE, ...) are shown all the same
  for (let t = p + 1; t < e; t = <i32>getW(t, N_END)) {
    const type = <i32>getF(t, 0);
    if (type < T_ENCR || type > T_ESN) { s += sep + typeText(type) + "=" + xformText(type, <i32>getF(t, 1), keyLenOf(t)); sep = "-"; }
  }
  return s;
}

// The peer's proposals of protocol `proto` in the SA payload at tape node `sa`, space-separated.
export function remoteProposalsText(sa: i32, proto: i32): string {
  let s = "";
  const pend = <i32>getW(sa, N_END);
  for (let p = sa + 1; p < pend; p = <i32>getW(p, N_END)) {
    if (<i32>getF(p, 1) != proto) continue;
    s += (s.length > 0 ? " " : "") + remoteText(p);
  }
  return s.length > 0 ? s : "none for " + protoText(proto);
}

// Our proposals, numbered from 1, as pluto prints them.
export function localProposalsText(ours: Array<Proposal>, proto: i32): string {
  let s = "";
  for (let i = 0; i < ours.length; i++) {
    let one = (i + 1).toString() + ":" + protoText(proto) + "=";
    let sep = "";
    for (let k = 0; k < TYPES.length; k++) {
      let part = "";
      const xs = ours[i].xforms;
      for (let j = 0; j < xs.length; j++) {
        if (xs[j].type == TYPES[k]) part += (part.length > 0 ? "+" : "") + xformText(xs[j].type, xs[j].id, xs[j].keyBits);
      }
      if (part.length > 0) { one += sep + part; sep = "-"; }
    }
    s += (i > 0 ? " " : "") + one;
  }
  return s.length > 0 ? s : "none";
}

// Why no proposal matched, by transform type: of every pairing of one of the peer's proposals
// with one of ours, the one with the fewest transform types that fail, and those types with
// what each side has ("KE: remote proposal 1 offers MODP_2048, local proposal 1 accepts
// CURVE25519"). wantDh as for choose(). "" when the SA payload has no proposal for `proto`.
export function mismatchText(sa: i32, proto: i32, ours: Array<Proposal>, wantDh: bool): string {
  let best = "";
  let bestCount = 1000;
  const pend = <i32>getW(sa, N_END);
  for (let p = sa + 1; p < pend; p = <i32>getW(p, N_END)) {
    if (<i32>getF(p, 1) != proto) continue;
    const e = <i32>getW(p, N_END);
    let aead = false;
    for (let t = p + 1; t < e; t = <i32>getW(t, N_END)) if (<i32>getF(t, 0) == T_ENCR && C.isAead(<i32>getF(t, 1))) aead = true;
    for (let o = 0; o < ours.length; o++) {
      const mine = ours[o];
      let count = 0;
      let text = "";
      for (let k = 0; k < TYPES.length; k++) {
        const type = TYPES[k];
        let theirs = "";
        let matched = false;
        for (let t = p + 1; t < e; t = <i32>getW(t, N_END)) {
          if (<i32>getF(t, 0) != type) continue;
          const id = <i32>getF(t, 1);
          const kb = keyLenOf(t);
          theirs += (theirs.length > 0 ? "+" : "") + xformText(type, id, kb);
          const usable = !hasOtherAttrs(t) && (type == T_ESN && mine.countOf(T_ESN) == 0 ? id == 0 : mine.has(type, id, kb));
          if (usable || (type == T_DH && id == 0 && !wantDh)) matched = true;
        }
        let fails = false;
        if (theirs.length > 0) {
          fails = !matched && !(type == T_INTEG && aead && mine.countOf(T_INTEG) == 0);
        } else {
          fails = type == T_ENCR || (type == T_DH && wantDh) || (type == T_INTEG && !aead && mine.countOf(T_INTEG) > 0);
        }
        if (!fails) continue;
        count++;
        let mineText = "";
        for (let j = 0; j < mine.xforms.length; j++) {
          const x = mine.xforms[j];
          if (x.type == type) mineText += (mineText.length > 0 ? "+" : "") + xformText(x.type, x.id, x.keyBits);
        }
        text += (text.length > 0 ? "; " : "") + typeText(type) + ": remote proposal " + (<i32>getF(p, 0)).toString() + " " +
          (theirs.length > 0 ? "offers " + theirs : "offers none") + ", local proposal " + (o + 1).toString() + " " +
          (mineText.length > 0 ? "accepts " + mineText : "has none");
      }
      if (count > 0 && count < bestCount) {
        bestCount = count;
        best = text;
      }
    }
  }
  return best;
}

// The whole story of a proposal mismatch, as the responder logs it: what came, what we would
// take, and which transform type failed.
export function noMatchText(sa: i32, proto: i32, ours: Array<Proposal>, wantDh: bool): string {
  const why = mismatchText(sa, proto, ours, wantDh);
  return "no local proposal matches remote proposals " + remoteProposalsText(sa, proto) + "; local proposals " +
    localProposalsText(ours, proto) + (why.length > 0 ? "; unmatched " + why : "");
}

// The proposal chosen, as pluto prints it: 1:IKE=AES_GCM_16_256-HMAC_SHA2_256-CURVE25519
export function chosenText(c: Chosen): string {
  const xs = chosenXforms(c);
  let s = c.number.toString() + ":" + protoText(c.protocol) + "=";
  for (let i = 0; i < xs.length; i++) s += (i > 0 ? "-" : "") + xformText(xs[i].type, xs[i].id, xs[i].keyBits);
  return s;
}
