// Value syntax of ipsec.conf: addresses, subnets, ranges, durations, percentages, sizes, ports,
// marks and the virtual-private list. Runtime-neutral. Each parser returns a value or an error
// string (never throws), so callers can report the error at the keyword's position.

import { compressIPv6 } from "../pcap.ts";

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

// ---------------------------------------------------------------- addresses

export interface Address {
  family: 4 | 6;
  /** 4 or 16 bytes */
  bytes: number[];
}

/** Dotted-quad IPv4 (four decimal parts of 1-3 digits, each <= 255). */
export function parseIPv4(s: string): number[] | null {
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // end acts as a final '.'
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return null;
      n = n * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || n > 255 || out.length === 4) return null;
      out.push(n);
      n = 0;
      digits = 0;
    } else return null;
  }
  return out.length === 4 ? out : null;
}

export function parseIPv6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  let tail: number[] = [];
  let text = s;
  // an embedded IPv4 address as the last 32 bits
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) >= 0) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = text.slice(0, lastColon + 1) + (text[lastColon - 1] === ":" ? "" : "0");
    if (text.endsWith(":0")) text = text.slice(0, -2);
    else if (!text.endsWith("::")) return null;
  }
  const dbl = text.indexOf("::");
  if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0) return null;
  const groupsOf = (t: string): number[] | null => {
    if (t === "") return [];
    const out: number[] = [];
    for (const g of t.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = groupsOf(text.slice(0, dbl));
    const rest = groupsOf(text.slice(dbl + 2));
    if (head === null || rest === null) return null;
    const fill = 8 - tail.length - head.length - rest.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  } else {
    const all = groupsOf(text);
    if (all === null) return null;
    groups = [...all, ...tail];
    if (groups.length !== 8) return null;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

export function parseAddress(s: string): Address | null {
  const v4 = parseIPv4(s);
  if (v4 !== null) return { family: 4, bytes: v4 };
  if (s.includes(":")) {
    const v6 = parseIPv6(s);
    if (v6 !== null) return { family: 6, bytes: v6 };
  }
  return null;
}

export function formatAddress(a: Address): string {
  if (a.family === 4) return a.bytes.join(".");
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a.bytes[i]! << 8) | a.bytes[i + 1]!);
  return compressIPv6(g);
}

/** A host name as Libreswan accepts it for left=/right=/nexthop= (resolved later, by DNS). */
export function isHostname(s: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(s) && !/^[0-9.]+$/.test(s);
}

// ---------------------------------------------------------------- subnets and ranges

export interface Cidr {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c)}/${c.prefix}`;
}

function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

function hostBitsSet(bytes: number[], prefix: number): boolean {
  const m = maskBytes(bytes, prefix);
  return m.some((b, i) => b !== bytes[i]);
}

/**
 * ADDRESS/PREFIX (or, IPv4 only, ADDRESS/DOTTED-MASK). A bare address is a host subnet (/32 or
 * /128) when `bare` is allowed. `0/0` and `0` are IPv4's 0.0.0.0/0 as in Libreswan. Host bits
 * beyond the prefix are an error unless `zeroHost` (then they are cleared, as ttosubnet does).
 */
export function parseCidr(s: string, opts: { bare?: boolean; zeroHost?: boolean } = {}): Result<Cidr> {
  const slash = s.indexOf("/");
  let addrText = slash < 0 ? s : s.slice(0, slash);
  // IPv4 with fewer than four parts, as inet_aton reads them (0/0, 10/8, 0.0.0/0)
  const dots = addrText.length - addrText.replaceAll(".", "").length;
  const short = dots < 3 && /^[0-9]{1,3}(\.[0-9]{1,3}){0,2}$/.test(addrText) ? addrText.split(".") : null;
  if (short !== null && short.every((x) => Number(x) <= 255)) {
    while (short.length < 4) short.splice(short.length - 1, 0, "0");
    addrText = short.join(".");
  }
  const a = parseAddress(addrText);
  if (a === null) return fail(`'${addrText}' is not an IPv4 or IPv6 address`);
  const max = a.family === 4 ? 32 : 128;
  if (slash < 0) {
    if (!opts.bare) return fail("no / in subnet specification");
    return ok({ family: a.family, bytes: a.bytes, prefix: max });
  }
  const p = s.slice(slash + 1);
  let prefix: number;
  if (/^[0-9]{1,3}$/.test(p)) {
    prefix = Number(p);
    if (prefix > max) return fail(`prefix length /${p} is larger than ${max}`);
  } else if (a.family === 4 && parseIPv4(p) !== null) {
    const m = parseIPv4(p)!;
    const bits = ((m[0]! << 24) | (m[1]! << 16) | (m[2]! << 8) | m[3]!) >>> 0;
    let n = 0;
    while (n < 32 && bits & (0x80000000 >>> n)) n++;
    if (((bits << n) >>> 0) !== 0 && n < 32) return fail(`'${p}' is not a contiguous netmask`);
    prefix = n;
  } else return fail(`bad prefix length '${p}'`);
  if (hostBitsSet(a.bytes, prefix)) {
    if (!opts.zeroHost) return fail(`host bits set beyond the /${prefix} prefix`);
  }
  return ok({ family: a.family, bytes: maskBytes(a.bytes, prefix), prefix });
}

export interface Range {
  family: 4 | 6;
  start: number[];
  end: number[];
  /** written as a subnet */
  prefix?: number;
}

function cmpBytes(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** START-END or a CIDR (addresspool=). */
export function parseRange(s: string): Result<Range> {
  const dash = s.indexOf("-");
  if (dash >= 0) {
    const a = parseAddress(s.slice(0, dash));
    const b = parseAddress(s.slice(dash + 1));
    if (a === null) return fail(`'${s.slice(0, dash)}' is not an address`);
    if (b === null) return fail(`'${s.slice(dash + 1)}' is not an address`);
    if (a.family !== b.family) return fail("range mixes IPv4 and IPv6");
    if (cmpBytes(a.bytes, b.bytes) > 0) return fail("range start is after its end");
    return ok({ family: a.family, start: a.bytes, end: b.bytes });
  }
  const c = parseCidr(s, { zeroHost: false });
  if (!c.ok) return fail(c.error);
  const end = c.value.bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, c.value.prefix - i * 8));
    return b | (0xff >> bits);
  });
  return ok({ family: c.value.family, start: c.value.bytes, end, prefix: c.value.prefix });
}

export function formatRange(r: Range): string {
  if (r.prefix !== undefined) return `${formatAddress({ family: r.family, bytes: r.start })}/${r.prefix}`;
  return `${formatAddress({ family: r.family, bytes: r.start })}-${formatAddress({ family: r.family, bytes: r.end })}`;
}

/** Split a comma-separated list; an empty field is an error (as Libreswan 5 says). */
export function splitCommas(s: string): Result<string[]> {
  const items = s.split(",").map((x) => x.trim());
  if (items.some((x) => x === "")) return fail("empty field");
  return ok(items);
}

/** Split a list value: commas and/or blanks, optionally in braces (`{a, b}`, Libreswan's subnets=). */
export function splitList(s: string): string[] {
  let t = s.trim();
  if (t.startsWith("{") && t.endsWith("}")) t = t.slice(1, -1);
  return t.split(/[\s,]+/).filter((x) => x !== "");
}

// ---------------------------------------------------------------- numbers, times, sizes

export function parseUnsigned(s: string, max = Number.MAX_SAFE_INTEGER): Result<number> {
  if (!/^[0-9]+$/.test(s)) return fail(`'${s}' is not an unsigned decimal number`);
  const n = Number(s);
  if (n > max) return fail(`${s} is larger than ${max}`);
  return ok(n);
}

/** A number keyword's value: an unsigned decimal, or `%forever`, which Libreswan's lexer reads as 0 (keyingtries=%forever). */
export function parseCount(s: string): Result<number> {
  return s === "%forever" ? ok(0) : parseUnsigned(s);
}

const TIME_SCALES: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/**
 * A duration in milliseconds: DECIMAL[.FRACTION][ ]SUFFIX with the suffixes Libreswan knows
 * (us ms s m h d w, and second(s) minute(s) hour(s) day(s) week(s)), case-insensitive; no suffix
 * means `defaultUnit`. `%forever` is 0, as Libreswan's lexer reads it.
 */
export function parseDuration(s: string, defaultUnit: "s" | "ms" = "s"): Result<number> {
  if (s === "%forever") return ok(0);
  const m = /^([0-9]+)(\.[0-9]*)?\s*([A-Za-z]*)$/.exec(s);
  if (m === null) {
    const lead = /^[0-9]+(\.[0-9]*)?/.exec(s);
    if (lead === null) return fail(`invalid duration '${s}'`);
    return fail(`unrecognized duration multiplier '${s.slice(lead[0].length)}'`);
  }
  const suffix = m[3]!.toLowerCase();
  const scale = suffix === "" ? TIME_SCALES[defaultUnit]! : TIME_SCALES[suffix];
  if (scale === undefined) return fail(`unrecognized duration multiplier '${m[3]}'`);
  const value = Number(m[1]! + (m[2] ?? "")) * scale;
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER) return fail(`duration '${s}' is too large`);
  return ok(Math.round(value));
}

/** NUMBER% (rekeyfuzz=). */
export function parsePercent(s: string): Result<number> {
  const m = /^([0-9]+)(.*)$/.exec(s);
  if (m === null) return fail(`malformed percentage '${s}'`);
  if (m[2] !== "%") return fail(`'${s}': expecting a % character after the number`);
  const n = Number(m[1]);
  if (n > 0xffffffff) return fail(`percentage '${s}' is too large`);
  return ok(n);
}

const IEC: Record<string, number> = { "": 1, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40, pi: 2 ** 50, ei: 2 ** 60 };

/**
 * An amount with an optional IEC 60027-2 binary prefix (Ki Mi Gi Ti Pi Ei), and, for byte
 * amounts, an optional B: `1KiB`, `64Mi`, `1000`. Returned as a bigint (limits go to 2^64).
 */
export function parseBinary(s: string, bytes: boolean): Result<bigint> {
  const m = bytes ? /^([0-9]+)\s*([KMGTPE]i)?B?$/i.exec(s) : /^([0-9]+)\s*([KMGTPE]i)?$/i.exec(s);
  if (m === null) return fail(`invalid ${bytes ? "byte count" : "count"} '${s}'`);
  const mul = IEC[(m[2] ?? "").toLowerCase()]!;
  const v = BigInt(m[1]!) * BigInt(mul);
  if (v > 2n ** 64n - 1n) return fail(`'${s}' is too large`);
  return ok(v);
}

// ---------------------------------------------------------------- protoport, mark

const PROTOCOLS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  "ipv6-icmp": 58,
  "icmp6": 58,
  sctp: 132,
};

export interface ProtoPort {
  protocol: number;
  /** low..high; null means any port (`%any` or absent) */
  ports: [number, number] | null;
  /** PROTOCOL/%any: a port wildcard, which makes the connection a template (Libreswan's has_port_wildcard) */
  wildcard?: true;
}

/** PROTOCOL[/PORT] where PROTOCOL is a number or name, PORT a number, LOW-HIGH or %any. */
export function parseProtoport(s: string): Result<ProtoPort> {
  const slash = s.indexOf("/");
  const protoText = slash < 0 ? s : s.slice(0, slash);
  const portText = slash < 0 ? null : s.slice(slash + 1);
  let protocol: number;
  if (/^[0-9]+$/.test(protoText)) {
    protocol = Number(protoText);
    if (protocol > 255) return fail(`protocol ${protoText} is larger than 255`);
  } else {
    const p = PROTOCOLS[protoText.toLowerCase()];
    if (p === undefined) return fail(`unknown protocol '${protoText}'`);
    protocol = p;
  }
  if (portText === "%any") return ok({ protocol, ports: null, wildcard: true });
  if (portText === null || portText === "") return ok({ protocol, ports: null });
  const range = /^([0-9]+)(?:-([0-9]+))?$/.exec(portText);
  if (range === null) return fail(`bad port '${portText}'`);
  const lo = Number(range[1]);
  const hi = range[2] === undefined ? lo : Number(range[2]);
  if (lo > 65535 || hi > 65535) return fail(`port '${portText}' is larger than 65535`);
  if (hi < lo) return fail(`port range '${portText}' is backwards`);
  if (protocol === 0 && lo !== 0) return fail("a port needs a protocol");
  return ok({ protocol, ports: [lo, hi] });
}

/** mark=VALUE[/MASK], numbers decimal or 0x hex; VALUE -1 means a unique mark per SA. */
export function parseMark(s: string): Result<{ value: number; mask: number }> {
  const m = /^(-1|0x[0-9a-fA-F]+|[0-9]+)(?:\/(0x[0-9a-fA-F]+|[0-9]+))?$/.exec(s);
  if (m === null) return fail(`bad mark '${s}'`);
  const num = (t: string) => (t.startsWith("0x") || t.startsWith("0X") ? parseInt(t.slice(2), 16) : Number(t));
  const value = m[1] === "-1" ? -1 : num(m[1]!);
  const mask = m[2] === undefined ? 0xffffffff : num(m[2]);
  if (value > 0xffffffff || mask > 0xffffffff) return fail(`mark '${s}' does not fit 32 bits`);
  return ok({ value, mask });
}

// ---------------------------------------------------------------- virtual-private

export interface VirtualPrivate {
  include: string[];
  exclude: string[];
}

/** virtual-private=%v4:10.0.0.0/8,%v6:fd00::/8,%v4:!192.168.1.0/24 (bare CIDRs allowed too). */
export function parseVirtualPrivate(s: string): { value: VirtualPrivate; errors: string[] } {
  const value: VirtualPrivate = { include: [], exclude: [] };
  const errors: string[] = [];
  for (const item of splitList(s)) {
    let t = item;
    let fam: 4 | 6 | null = null;
    if (/^%v4:/i.test(t)) {
      fam = 4;
      t = t.slice(4);
    } else if (/^%v6:/i.test(t)) {
      fam = 6;
      t = t.slice(4);
    }
    let exclude = false;
    if (t.startsWith("!")) {
      exclude = true;
      t = t.slice(1);
    }
    const c = parseCidr(t, { zeroHost: true });
    if (!c.ok) {
      errors.push(`'${item}': ${c.error}`);
      continue;
    }
    if (fam !== null && c.value.family !== fam) {
      errors.push(`'${item}': not an IPv${fam} subnet`);
      continue;
    }
    (exclude ? value.exclude : value.include).push(formatCidr(c.value));
  }
  return { value, errors };
}

/**
 * subnet=vnet:... / vhost:...: %priv (the virtual-private ranges), %no (the peer's own
 * address), %all, and subnets of its own (%v4:/%v6: or bare), "!" before one to exclude it.
 */
export interface VirtualSpec {
  kind: "vnet" | "vhost";
  priv: boolean;
  no: boolean;
  all: boolean;
  include: string[];
  exclude: string[];
}
export function parseVirtualSpec(s: string): Result<VirtualSpec> {
  const m = /^(vnet|vhost):(.*)$/i.exec(s);
  if (m === null) return fail(`'${s}' is not vnet: or vhost:`);
  const v: VirtualSpec = { kind: m[1]!.toLowerCase() as "vnet" | "vhost", priv: false, no: false, all: false, include: [], exclude: [] };
  for (const item of m[2]!.split(",").map((x) => x.trim())) {
    const low = item.toLowerCase();
    if (low === "%priv") v.priv = true;
    else if (low === "%no") v.no = true;
    else if (low === "%all") v.all = true;
    else {
      const fam = /^%v4:/i.test(item) ? 4 : /^%v6:/i.test(item) ? 6 : null;
      let t = fam === null ? item : item.slice(4);
      const exclude = t.startsWith("!");
      if (exclude) t = t.slice(1);
      const c = parseCidr(t, { zeroHost: true });
      if (!c.ok) return fail(`${v.kind}: entry '${item}': ${c.error}`);
      if (fam !== null && c.value.family !== fam) return fail(`${v.kind}: entry '${item}': not an IPv${fam} subnet`);
      (exclude ? v.exclude : v.include).push(formatCidr(c.value));
    }
  }
  if (!v.priv && !v.no && !v.all && v.include.length === 0) return fail(`'${s}' names no subnet the peer may have`);
  return ok(v);
}

// ---------------------------------------------------------------- hex (ckaid)

export function isHex(s: string): boolean {
  const t = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  return t.length > 0 && /^[0-9a-fA-F]+$/.test(t);
}
