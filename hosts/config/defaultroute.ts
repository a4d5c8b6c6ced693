// %defaultroute: the address of the interface the default route leaves by, and its gateway,
// read from Linux's /proc/net/route and /proc/net/ipv6_route (the hosts supply the texts and
// the interface list). Runtime-neutral.
import { compressIPv6 } from "../pcap.ts";

export interface InterfaceAddress {
  name: string;
  address: string;
  family: 4 | 6;
}

export interface DefaultRoute {
  address: string;
  gateway: string | null;
}

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const RTF_REJECT = 0x200;

// The IPv4 default route with the lowest metric: Iface, Destination, Gateway (hex, in the
// kernel's byte order, little-endian here), Flags, ..., Metric, Mask.
function v4(route: string): { iface: string; gateway: string | null } | null {
  let best: { iface: string; gateway: string | null; metric: number } | null = null;
  for (const line of route.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flagsHex, , , metricText, mask] = f as [string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsHex, 16);
    if (dest !== "00000000" || mask !== "00000000" || !(flags & RTF_UP) || flags & RTF_REJECT) continue;
    const metric = Number(metricText);
    const g = parseInt(gw, 16);
    const gateway = flags & RTF_GATEWAY && g !== 0 ? [g & 255, (g >>> 8) & 255, (g >>> 16) & 255, g >>> 24].join(".") : null;
    if (best === null || metric < best.metric) best = { iface, gateway, metric };
  }
  return best;
}

// The IPv6 default route (::/0): dest, dest prefix, src, src prefix, next hop, metric, refcnt,
// use, flags, iface; all hex.
function v6(route: string): { iface: string; gateway: string | null } | null {
  let best: { iface: string; gateway: string | null; metric: number } | null = null;
  for (const line of route.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest, plen, , , hop, metricHex, , , flagsHex, iface] = f as string[] as [string, string, string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsHex, 16);
    if (!/^0{32}$/.test(dest) || plen !== "00" || !(flags & RTF_UP) || flags & RTF_REJECT || iface === "lo") continue;
    const metric = parseInt(metricHex, 16);
    const gateway = /^0{32}$/.test(hop) ? null : compressIPv6(hop.match(/..../g)!.map((w) => parseInt(w, 16)));
    if (best === null || metric < best.metric) best = { iface, gateway, metric };
  }
  return best;
}

/**
 * The default route of `family` (null: IPv4, then IPv6) as %defaultroute means it: the first
 * address of its interface (not link-local for IPv6) and the gateway; null when there is none.
 */
export function defaultRoute(family: 4 | 6 | null, route: string | null, ipv6Route: string | null, ifaces: InterfaceAddress[]): DefaultRoute | null {
  for (const fam of family === null ? ([4, 6] as const) : [family]) {
    const r = fam === 4 ? (route ? v4(route) : null) : ipv6Route ? v6(ipv6Route) : null;
    if (r === null) continue;
    const a = ifaces.find((i) => i.name === r.iface && i.family === fam && !(fam === 6 && /^fe80:/i.test(i.address)));
    if (a) return { address: a.address, gateway: r.gateway };
  }
  return null;
}
