// The Configuration payload in IKE_AUTH (RFC 7296 2.19, 3.15), either role.
//
//   HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr}  -->
//                        <--  HDR, SK {IDr, [CERT,] AUTH, CP(CFG_REPLY), SAr2, TSi, TSr}
//
// As server (a pool on the peer's end, core/conn/pool.ts): the instance leases an address of
// each pool family the client asks for (any family it has, when the client asks for none it
// has), its remote selectors become those addresses, and the CFG_REPLY carries them with
// modecfgdns=, modecfgdomains= and our selectors as split-tunnel subnets. As Libreswan 4.10
// does, an address the client names in its request is not granted for the asking: the lease
// comes from the pool (the log says so when it differs). As client: the CFG_REQUEST asks for an
// address of our family and DNS, TSi is the whole family, and the address given becomes the
// Child SA's local selector.
import { Conn, Ts } from "../conn/conn";
import { addrText } from "../conn/pool";
import { ChildSa, IkeSa } from "../sa/sa";
import { node, end, leaf, f, a, find, field, dataA, endOf, kind } from "./message";
import { logSa, logChild } from "./state";
import { nameOf } from "../names/index";
import { LOG_INFO, K_V2_CP, K_V2_CPATTR, PT2_CP, REG_CP_ATTR, REG_CP_TYPE } from "../abi";

export const CFG_REQUEST = 1;
export const CFG_REPLY = 2;
export const INTERNAL_IP4_ADDRESS = 1;
export const INTERNAL_IP4_NETMASK = 2;
export const INTERNAL_IP4_DNS = 3;
export const INTERNAL_IP6_ADDRESS = 8;
export const INTERNAL_IP6_DNS = 10;
export const INTERNAL_IP4_SUBNET = 13;
export const INTERNAL_IP6_SUBNET = 15;
export const INTERNAL_DNS_DOMAIN = 25;
export const N_INTERNAL_ADDRESS_FAILURE = 36;

function attrName(t: i32): string {
  const n = nameOf(REG_CP_ATTR, t);
  return n.length > 0 ? n : "attribute " + t.toString();
}
function typeName(t: i32): string {
  const n = nameOf(REG_CP_TYPE, t);
  return n.length > 0 ? n : "CFG type " + t.toString();
}

// ---- server ----------------------------------------------------------------------------------
// What a CFG_REQUEST asked for, read before the tape is reused for the answer.
export class CpAsk {
  v4: bool = false;
  v6: bool = false;
  netmask: bool = false;
  asked4: Uint8Array = new Uint8Array(0); // an address the client named (Libreswan ignores it; so do we, saying so)
  asked6: Uint8Array = new Uint8Array(0);
}

// The request's CP, when it is a CFG_REQUEST (another CFG type in a request is logged and
// ignored; RFC 7296 3.15 has the initiator send CFG_REQUEST or CFG_SET). Attributes we do not
// answer are logged, by name, and ignored.
export function readCpRequest(sa: IkeSa): CpAsk | null {
  const i = find(PT2_CP);
  if (i < 0) return null;
  const type = field(i, 1);
  if (type != CFG_REQUEST) {
    logSa(sa, LOG_INFO, "ignoring a Configuration payload of type " + typeName(type) + ": expected " + typeName(CFG_REQUEST));
    return null;
  }
  const ask = new CpAsk();
  const ignored = new Array<string>();
  for (let j = i + 1; j < endOf(i); j = endOf(j)) {
    if (kind(j) != K_V2_CPATTR) continue;
    const t = field(j, 0);
    const v = dataA(j);
    switch (t) {
      case INTERNAL_IP4_ADDRESS:
        ask.v4 = true;
        if (v.length == 4 && !allZero(v)) ask.asked4 = v;
        break;
      case INTERNAL_IP6_ADDRESS:
        ask.v6 = true;
        if (v.length == 17 && !allZero(v.subarray(0, 16))) ask.asked6 = v.slice(0, 16);
        break;
      case INTERNAL_IP4_NETMASK: ask.netmask = true; break;
      // answered whether asked or not
      case INTERNAL_IP4_DNS: case INTERNAL_IP6_DNS: case INTERNAL_DNS_DOMAIN: case INTERNAL_IP4_SUBNET: case INTERNAL_IP6_SUBNET: break;
      default:
        if (ignored.indexOf(attrName(t)) < 0) ignored.push(attrName(t));
    }
  }
  if (ignored.length > 0) logSa(sa, LOG_INFO, "ignoring CFG_REQUEST attribute" + (ignored.length > 1 ? "s " : " ") + ignored.join(", ") + ": not answered");
  return ask;
}

function allZero(b: Uint8Array): bool {
  for (let i = 0; i < b.length; i++) if (b[i] != 0) return false;
  return true;
}

// Leases the instance its addresses (a reconnect or a second Child SA that finds it holding
// them keeps them) and makes them its remote selectors. Returns 0, or INTERNAL_ADDRESS_FAILURE
// when a pool is full (logged naming the pool; what was leased for this request goes back).
export function leaseAddresses(sa: IkeSa, child: ChildSa, c: Conn, ask: CpAsk): i32 {
  const pools = c.remotePools;
  let want = new Array<bool>(pools.length);
  let any = false;
  for (let k = 0; k < pools.length; k++) {
    want[k] = (pools[k].type == 7 && ask.v4) || (pools[k].type == 8 && ask.v6);
    if (want[k]) any = true;
  }
  // a client that asks for no family we have gets what we have, as Libreswan leases from its
  // pool whatever the request holds
  if (!any) for (let k = 0; k < pools.length; k++) want[k] = true;
  const fresh = new Array<i32>();
  for (let k = 0; k < pools.length; k++) {
    if (!want[k] || c.leases[k] >= 0) continue;
    const off = pools[k].lease(c.seq, c.label);
    if (off < 0) {
      for (let m = 0; m < fresh.length; m++) {
        pools[fresh[m]].release(c.leases[fresh[m]], c.seq);
        c.leases[fresh[m]] = -1;
      }
      logChild(child, LOG_INFO, "no free address in addresspool " + pools[k].text + " (" + pools[k].size.toString() + " addresses, all leased): INTERNAL_ADDRESS_FAILURE");
      return N_INTERNAL_ADDRESS_FAILURE;
    }
    c.leases[k] = off;
    fresh.push(k);
  }
  const ts = new Array<Ts>();
  for (let k = 0; k < pools.length; k++) {
    if (c.leases[k] < 0) continue;
    const addr = pools[k].address(c.leases[k]);
    const t = new Ts();
    t.type = pools[k].type;
    t.start = addr;
    t.end = addr.slice();
    ts.push(t);
    const asked = pools[k].type == 7 ? ask.asked4 : ask.asked6;
    if (asked.length > 0 && !bytesSame(asked, addr)) {
      const inside = pools[k].offsetOf(asked) >= 0;
      logChild(child, LOG_INFO, "the client asked for " + addrText(asked) + (inside ? "" : ", outside addresspool " + pools[k].text) + "; it is given " + addrText(addr) + " from the pool");
    }
    if (fresh.indexOf(k) >= 0) logChild(child, LOG_INFO, "leased " + addrText(addr) + " from addresspool " + pools[k].text + " to " + (sa.peerId !== null ? sa.peerId!.toText() : c.remoteId.toText()));
  }
  c.remoteTs = ts;
  c.forgetJson();
  return 0;
}

function bytesSame(x: Uint8Array, y: Uint8Array): bool {
  if (x.length != y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] != y[i]) return false;
  return true;
}

// CP(CFG_REPLY): each address leased, the netmask when asked (a single host), DNS servers,
// DNS domains, and our selectors as the subnets behind us (split tunnelling).
export function cpReply(c: Conn, ask: CpAsk, local: Array<Ts>): void {
  const p = node(K_V2_CP, PT2_CP);
  f(p, 1, CFG_REPLY);
  for (let k = 0; k < c.remotePools.length; k++) {
    if (c.leases[k] < 0) continue;
    const addr = c.remotePools[k].address(c.leases[k]);
    if (addr.length == 4) {
      attr(INTERNAL_IP4_ADDRESS, addr);
      if (ask.netmask) attr(INTERNAL_IP4_NETMASK, maskOf(32, 4));
    } else {
      const v = new Uint8Array(17);
      v.set(addr, 0);
      v[16] = 128;
      attr(INTERNAL_IP6_ADDRESS, v);
    }
  }
  for (let k = 0; k < c.cfgDns.length; k++) attr(c.cfgDns[k].length == 4 ? INTERNAL_IP4_DNS : INTERNAL_IP6_DNS, c.cfgDns[k]);
  for (let k = 0; k < c.cfgDomains.length; k++) attr(INTERNAL_DNS_DOMAIN, Uint8Array.wrap(String.UTF8.encode(c.cfgDomains[k])));
  for (let k = 0; k < local.length; k++) {
    const t = local[k];
    const bits = prefixLen(t.start, t.end);
    if (bits <= 0) continue; // the whole family (or not one prefix): nothing to split
    if (t.start.length == 4) {
      const v = new Uint8Array(8);
      v.set(t.start, 0);
      v.set(maskOf(bits, 4), 4);
      attr(INTERNAL_IP4_SUBNET, v);
    } else {
      const v = new Uint8Array(17);
      v.set(t.start, 0);
      v[16] = <u8>bits;
      attr(INTERNAL_IP6_SUBNET, v);
    }
  }
  end();
}

function attr(type: i32, v: Uint8Array): void {
  const i = leaf(K_V2_CPATTR, 0);
  f(i, 0, type);
  a(i, v);
}

// The prefix length of [start, end] when it is one prefix, else -1.
function prefixLen(s: Uint8Array, e: Uint8Array): i32 {
  const n = s.length;
  let bits = 0;
  let i = 0;
  while (i < n && s[i] == e[i]) { bits += 8; i++; }
  if (i < n) {
    const d = <u32>(s[i] ^ e[i]);
    let k = 0;
    while (k < 8 && (d & (0x80 >> k)) == 0) k++;
    const m = <u32>0xff >> k;
    if ((<u32>s[i] & m) != 0 || (<u32>e[i] & m) != m) return -1;
    bits += k;
    for (let j = i + 1; j < n; j++) if (s[j] != 0 || e[j] != 255) return -1;
  }
  return bits;
}
function maskOf(bits: i32, n: i32): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = bits - 8 * i;
    m[i] = b >= 8 ? <u8>255 : b <= 0 ? <u8>0 : <u8>((<u32>0xff << (8 - b)) & 0xff);
  }
  return m;
}

// ---- client ----------------------------------------------------------------------------------
// CP(CFG_REQUEST): an address of our family, and its DNS servers (empty values: anything).
export function cpRequest(family: i32): void {
  const p = node(K_V2_CP, PT2_CP);
  f(p, 1, CFG_REQUEST);
  if (family == 6) {
    attr(INTERNAL_IP6_ADDRESS, new Uint8Array(0));
    attr(INTERNAL_IP6_DNS, new Uint8Array(0));
  } else {
    attr(INTERNAL_IP4_ADDRESS, new Uint8Array(0));
    attr(INTERNAL_IP4_DNS, new Uint8Array(0));
  }
  attr(INTERNAL_DNS_DOMAIN, new Uint8Array(0));
  end();
}

// TSi of a client that asks for its address: the whole family, for the server to narrow.
export function anyTs(family: i32): Array<Ts> {
  const t = new Ts();
  t.type = family == 6 ? 8 : 7;
  const n = family == 6 ? 16 : 4;
  t.start = new Uint8Array(n);
  t.end = new Uint8Array(n);
  t.end.fill(255);
  const out = new Array<Ts>();
  out.push(t);
  return out;
}

// The CFG_REPLY of an IKE_AUTH answer: the addresses given (set on the connection, with the DNS
// servers and domains). Returns "" or why the answer cannot be taken (Libreswan 4.10 refuses
// the Child SA then: "missing v2CP reply").
export function readCpReply(c: Conn): string {
  const i = find(PT2_CP);
  if (i < 0) return "the answer has no Configuration payload (CFG_REPLY), and we asked for an address";
  if (field(i, 1) != CFG_REPLY) return "the answer's Configuration payload is " + typeName(field(i, 1)) + ", expected " + typeName(CFG_REPLY);
  const vips = new Array<Uint8Array>();
  const dns = new Array<Uint8Array>();
  const domains = new Array<string>();
  for (let j = i + 1; j < endOf(i); j = endOf(j)) {
    if (kind(j) != K_V2_CPATTR) continue;
    const t = field(j, 0);
    const v = dataA(j);
    if (t == INTERNAL_IP4_ADDRESS && v.length == 4 && !allZero(v)) vips.push(v);
    else if (t == INTERNAL_IP6_ADDRESS && v.length == 17 && !allZero(v.subarray(0, 16))) vips.push(v.slice(0, 16));
    else if ((t == INTERNAL_IP4_DNS && v.length == 4) || (t == INTERNAL_IP6_DNS && v.length == 16)) dns.push(v);
    else if (t == INTERNAL_DNS_DOMAIN && v.length > 0 && v.length <= 255 && printable(v)) domains.push(String.UTF8.decodeUnsafe(v.dataStart, v.length, false));
  }
  if (vips.length == 0) return "the answer's CFG_REPLY holds no INTERNAL_IP4_ADDRESS or INTERNAL_IP6_ADDRESS";
  c.vips = vips;
  c.peerDns = dns;
  c.peerDomains = domains;
  c.forgetJson();
  return "";
}

function printable(v: Uint8Array): bool {
  for (let i = 0; i < v.length; i++) if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == 0x22 || v[i] == 0x5c) return false;
  return true;
}

// The selectors of the addresses the server gave us.
export function vipTs(c: Conn): Array<Ts> {
  const out = new Array<Ts>();
  for (let k = 0; k < c.vips.length; k++) {
    const t = new Ts();
    t.type = c.vips[k].length == 4 ? 7 : 8;
    t.start = c.vips[k];
    t.end = c.vips[k].slice();
    out.push(t);
  }
  return out;
}

export { addrText, logChild };
