// Bounded half-open state and counted drops (RFC 7296 2.6; Libreswan 4.10's ddos-mode,
// ddos-ike-threshold and max-halfopen-ike as its ipsec.conf(5) has them): new IKE_SA_INIT
// requests must show a cookie once too many IKE SAs are half-open, are refused past
// max-halfopen-ike or past what the core's memory can hold, and one peer address may hold only
// its share, so that an attacker who answers cookies cannot take them all. Input that is dropped
// is logged once per kind and address, then counted and reported every DROP_WINDOW_MS.
import { log } from "../pump";
import { now } from "./state";
import { Endpoint } from "../conn/conn";
import { halfOpenCount, halfOpenBySource } from "../sa/sa";
import {
  LOG_INFO, DDOS_AUTO, DDOS_BUSY, DDOS_UNLIMITED, DDOS_IKE_THRESHOLD, MAX_HALFOPEN_IKE, HALF_OPEN_PER_SOURCE,
  HALF_OPEN_BYTES, DROP_WINDOW_MS,
} from "../abi";

// How long a half-open IKE SA waits for IKE_AUTH: normally, and while cookies are asked for.
export const HALF_OPEN_MS: f64 = 60000;
export const HALF_OPEN_BUSY_MS: f64 = 20000;

let mode = DDOS_AUTO;
let threshold = DDOS_IKE_THRESHOLD;
let maxHalfOpen = MAX_HALFOPEN_IKE;
let memoryCap: i32 = i32.MAX_VALUE; // half-open IKE SAs the core's memory budget holds

export function setDdos(m: i32, ikeThreshold: i32, most: i32): void {
  mode = m == DDOS_BUSY || m == DDOS_UNLIMITED ? m : DDOS_AUTO;
  threshold = max(0, ikeThreshold);
  maxHalfOpen = max(0, most);
}

// The host's memory budget for half-open state (KiB: a quarter of the core's ceiling).
export function setHalfOpenMemory(kib: i32): void {
  memoryCap = kib <= 0 ? i32.MAX_VALUE : <i32>(<i64>kib * 1024 / HALF_OPEN_BYTES);
}

// How many IKE SAs may be half-open at once: max-halfopen-ike, or fewer when the memory
// budget says so.
export function halfOpenLimit(): i32 {
  return min(maxHalfOpen, memoryCap);
}

// The helpers refused a half-open IKE SA's job (their queue is full): in auto mode cookies are
// asked for from then until PRESSURE_MS pass without another refusal. Without this a spoofed
// flood that fills the helper queue never reaches the threshold (each refused job deletes its
// half-open IKE SA) while every legitimate IKE_SA_INIT's job is refused too.
export const PRESSURE_MS: f64 = 10000;
let pressureUntil: f64 = 0;
export function helpersOverloaded(): void {
  if (mode == DDOS_AUTO && now >= pressureUntil) log(LOG_INFO, "the helpers refuse jobs (their queue is full): asking new IKE_SA_INITs for cookies until none is refused for " + (<i32>(PRESSURE_MS / 1000)).toString() + " s");
  pressureUntil = now + PRESSURE_MS;
}

// Whether a new IKE_SA_INIT must show a cookie (Libreswan's busy mode). In auto mode the
// threshold is at most half the limit, so cookies come before refusals; the helpers' refusals
// count as busy too (helpersOverloaded).
export function busy(): bool {
  if (mode == DDOS_BUSY) return true;
  if (mode == DDOS_UNLIMITED) return false;
  return halfOpenCount >= min(threshold, halfOpenLimit() / 2) || now < pressureUntil;
}

export function ddosModeName(): string {
  return mode == DDOS_BUSY ? "busy" : mode == DDOS_UNLIMITED ? "unlimited" : "auto";
}

// The most one peer address may hold: HALF_OPEN_PER_SOURCE, or a quarter of the limit.
export function perSourceLimit(): i32 {
  return min(HALF_OPEN_PER_SOURCE, max(1, halfOpenLimit() / 4));
}

// Why a new half-open IKE SA from `remote` is refused, or "" when it may be made.
export function halfOpenRefusal(remote: Endpoint): string {
  const limit = halfOpenLimit();
  if (halfOpenCount >= limit) {
    return limit == maxHalfOpen ? "max-halfopen-ike=" + maxHalfOpen.toString() + " half-open IKE SAs exist" : limit.toString() + " half-open IKE SAs exist, the most the core's memory budget holds";
  }
  const key = remote.addrText();
  const mine = halfOpenBySource.has(key) ? halfOpenBySource.get(key) : 0;
  if (mine >= perSourceLimit()) return "this address holds the most half-open IKE SAs one address may";
  return "";
}

// ---- counted input -------------------------------------------------------------------------
// Input that a flood can repeat (dropped, or answered with a cookie) is logged once per kind and
// source in a window, then counted: "dropped 18,224 IKE_SA_INIT from 192.0.2.9 in the last 10 s".
class Tally {
  count: i32 = 0;
  constructor(public cookie: bool, public what: string, public why: string) {}
}
const MAX_TALLIES = 64; // kinds x sources tracked by name in one window; the rest are summed
const tallies = new Map<string, Tally>();
const order = new Array<string>();
let others = 0;
let windowEnd: f64 = 0; // when the counts of this window are due
export let dropReportAt: f64 = 0; // windowEnd once there is a count to report (a deadline)

// `what` names the input with its source ("IKE_SA_INIT from 192.0.2.9"), `why` says why (the
// same words each time: it is part of what is counted), `detail` adds figures to the first line.
export function dropped(what: string, why: string, detail: string = ""): void {
  counted(false, what, why, "dropping " + what + ": " + why + (detail.length > 0 ? " (" + detail + ")" : ""));
}
export function askedCookie(what: string, detail: string): void {
  counted(true, what, "", detail + ": asking " + what + " for a cookie");
}

function counted(cookie: bool, what: string, why: string, first: string): void {
  if (windowEnd > 0 && now >= windowEnd) reportDrops();
  if (windowEnd == 0) windowEnd = now + DROP_WINDOW_MS;
  const key = (cookie ? "c " : "d ") + what + "|" + why;
  if (tallies.has(key)) {
    tallies.get(key).count++;
    dropReportAt = windowEnd;
    return;
  }
  if (tallies.size >= MAX_TALLIES) {
    if (others == 0) log(LOG_INFO, first + "; input of more than " + MAX_TALLIES.toString() + " kinds and sources in this window: counted together");
    else dropReportAt = windowEnd;
    others++;
    return;
  }
  log(LOG_INFO, first + "; more like it are counted for " + (DROP_WINDOW_MS / 1000).toString() + " s");
  tallies.set(key, new Tally(cookie, what, why));
  order.push(key);
}

// At the window's end: how many of each came since its first line (those that came again),
// then a new window.
export function reportDrops(): void {
  const secs = (DROP_WINDOW_MS / 1000).toString();
  for (let i = 0; i < order.length; i++) {
    const t = tallies.get(order[i]);
    if (t.count == 0) continue;
    const n = grouped(t.count + 1);
    log(LOG_INFO, (t.cookie ? "asked " + n + " " + t.what + " for a cookie" : "dropped " + n + " " + t.what) + " in the last " + secs + " s" + (t.why.length > 0 ? ": " + t.why : ""));
  }
  if (others > 1) log(LOG_INFO, "dropped or asked for a cookie " + grouped(others) + " more datagrams from other sources in the last " + secs + " s");
  tallies.clear();
  order.length = 0;
  others = 0;
  windowEnd = 0;
  dropReportAt = 0;
}

// 18224 as "18,224"
function grouped(n: i32): string {
  let s = n.toString();
  let out = "";
  while (s.length > 3) {
    out = "," + s.substring(s.length - 3) + out;
    s = s.substring(0, s.length - 3);
  }
  return s + out;
}
