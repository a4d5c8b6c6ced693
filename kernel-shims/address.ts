// IP addresses and prefixes as text <-> the 16 bytes of xfrm_address_t. Runtime-neutral.

export const AF_INET = 2;
export const AF_INET6 = 10;

export interface ParsedAddress {
  family: typeof AF_INET | typeof AF_INET6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface ParsedPrefix extends ParsedAddress {
  prefixLen: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let head = text;
  let tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const words: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        words.push(parseInt(p, 16));
      }
    }
    return words;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) return undefined;
  h.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  t.forEach((w, i) => {
    const j = 8 - t.length + i;
    out[2 * j] = w >> 8;
    out[2 * j + 1] = w & 0xff;
  });
  return out;
}

/** Parses "192.0.2.1" or "2001:db8::1"; throws a RangeError naming the text otherwise. */
export function parseAddress(text: string): ParsedAddress {
  const v4 = parseIpv4(text);
  if (v4) return { family: AF_INET, bytes: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  if (v6) return { family: AF_INET6, bytes: v6 };
  throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
}

/** Parses "10.1.0.0/16" (or an address alone, a host prefix). */
export function parsePrefix(text: string): ParsedPrefix {
  const slash = text.indexOf("/");
  const a = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const max = a.family === AF_INET ? 32 : 128;
  let prefixLen = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) throw new RangeError(`bad prefix length in ${JSON.stringify(text)}`);
    prefixLen = Number(p);
  }
  return { ...a, prefixLen };
}

/** The text form of 4 or 16 address bytes (RFC 5952 for IPv6). */
export function formatAddress(family: number, bytes: Uint8Array): string {
  if (family === AF_INET) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // The longest run of two or more zero words becomes "::" (the first such run on a tie).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}

/** "10.1.0.0/16"; a host prefix prints as the address alone. */
export function formatPrefix(family: number, bytes: Uint8Array, prefixLen: number): string {
  const max = family === AF_INET ? 32 : 128;
  const a = formatAddress(family, bytes);
  return prefixLen === max ? a : `${a}/${prefixLen}`;
}

/** The canonical text of an address (so that "2001:DB8:0::1" and "2001:db8::1" compare equal). */
export function canonicalAddress(text: string): string {
  const a = parseAddress(text);
  return formatAddress(a.family, a.bytes);
}

/** The canonical text of a prefix; host prefixes lose their "/32" or "/128". */
export function canonicalPrefix(text: string): string {
  const p = parsePrefix(text);
  return formatPrefix(p.family, p.bytes, p.prefixLen);
}
