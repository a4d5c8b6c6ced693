// What this daemon cannot do yet with a connection that ipsec.conf accepts: one list, so that
// `addconn --checkconfig` warns with the very words the daemon refuses (or ignores) it with.
// Runtime-neutral.
import type { NormalizedConn } from "./normalize.ts";

export interface Unsupported {
  /** the keyword, as ipsec.conf writes it (leftcert, authby ...) */
  keyword: string;
  message: string;
  /** true: the daemon refuses the connection; false: it loads it and ignores the keyword */
  refused: boolean;
}

export function unsupported(c: NormalizedConn): Unsupported[] {
  const out: Unsupported[] = [];
  const refuse = (keyword: string, message: string) => out.push({ keyword, message, refused: true });
  const ignore = (keyword: string, message: string) => out.push({ keyword, message: `${message}; ignored`, refused: false });
  if (!c.ikev2) refuse("keyexchange", "IKEv1 connections are not supported yet");
  if (!c.authby.includes("secret")) refuse("authby", `authby=${c.authby.join(",")} is not supported yet (use authby=secret)`);
  if (c.type !== "tunnel" && c.type !== "transport") refuse("type", `type=${c.type} is not supported yet`);
  // (NAT-T is used when NAT detection finds a NAT, as encapsulation=auto; forcing it or never
  // using it is not there yet)
  if (c.encapsulation !== "auto") ignore("encapsulation", `encapsulation=${c.encapsulation} is not supported yet (UDP encapsulation follows NAT detection, as encapsulation=auto)`);
  // (the Child SA would be negotiated and keyed as ESP with AH's integrity-only proposal)
  if (c.phase2 === "ah") refuse("phase2", "phase2=ah is not supported yet (AH Child SAs; use phase2=esp)");
  for (const [side, e] of [["left", c.left], ["right", c.right]] as const) {
    if (e.hostKind === "dns") refuse(side, `${side}=${e.host} is not an address (host names are not resolved yet)`);
    if (e.auth !== null && !["secret", "psk"].includes(e.auth)) refuse(`${side}auth`, `${side}auth=${e.auth} is not supported yet (only pre-shared keys)`);
    if (e.cert !== null) ignore(`${side}cert`, `${side}cert= is not supported yet (certificates)`);
    // (addresspool=, modecfgserver=, modecfgclient=: the Configuration payload, core/ikev2/cp.ts)
    // (Libreswan 4.10's parser refuses strongSwan's sourceip=%config: ask with modecfgclient=yes)
    if (e.sourceip.length > 0) ignore(`${side}sourceip`, `${side}sourceip=${e.sourceip.join(",")} is not supported yet (the source address of the tunnel's traffic)`);
    if (e.addresspool.length > 2 || new Set(e.addresspool.map((r) => r.includes(":"))).size < e.addresspool.length) {
      refuse(`${side}addresspool`, `${side}addresspool= takes one IPv4 and one IPv6 range at most`);
    }
    if (e.xauthserver || e.xauthclient) ignore(`${side}xauth${e.xauthserver ? "server" : "client"}`, `${side}xauth${e.xauthserver ? "server" : "client"}= is not supported yet (XAUTH is IKEv1)`);
  }
  const pooled = c.left.addresspool.length > 0 || c.right.addresspool.length > 0;
  if (c.modecfg.banner !== null) ignore("modecfgbanner", "modecfgbanner= is for IKEv1 ModeCfg: IKEv2's Configuration payload has no banner (Libreswan 4.10 sends none either)");
  if (!pooled && c.modecfg.dns.length > 0) ignore("modecfgdns", "modecfgdns= is sent only with the addresses of an addresspool= (there is none)");
  if (!pooled && c.modecfg.domains.length > 0) ignore("modecfgdomains", "modecfgdomains= is sent only with the addresses of an addresspool= (there is none)");
  return out;
}
