// The ipsec.conf keywords: which section each belongs to, its value syntax, whether Libreswan
// 4.10 already knew it, and whether this project uses it yet. Runtime-neutral.
//
// Facts (names, sections, value sets, aliases) follow Libreswan's ipsec.conf(5) and its keyword
// tables; the table itself is written for this project. Keywords are matched case-insensitively.
// `left`/`right` keywords are written leftX / rightX, and since Libreswan 5 also left-X / right-X.

export type ValueType =
  | "string" // free text
  | "bool" // yes/no/true/false/on/off/y/n
  | "enum" // one of `values`
  | "number" // unsigned decimal
  | "time" // duration, default unit seconds
  | "time_ms" // duration, default unit milliseconds (retransmit-interval)
  | "percent" // NUMBER%
  | "bytes" // amount with IEC prefix and optional B
  | "binary" // amount with IEC prefix
  | "host" // left= / right=
  | "subnet" // leftsubnet= (a list since Libreswan 5, vnet:/vhost: for IKEv1)
  | "subnets" // leftsubnets=
  | "addresses" // leftsourceip= (list)
  | "nexthop" // leftnexthop=
  | "cidr" // leftvti=, leftinterface-ip=
  | "range" // leftaddresspool= (list)
  | "protoport" // leftprotoport=
  | "port" // leftikeport=
  | "id" // leftid=
  | "pubkey" // leftrsasigkey= ...
  | "ckaid" // hex
  | "also" // also= (section names)
  | "append" // connalias= (values accumulate)
  | "authby" // authby= list
  | "proposals" // ike= esp= ah=
  | "plutodebug" // debug categories (config setup, checked)
  | "debug" // conn debug= (checked, invalid ignored with a warning, as Libreswan 5 does)
  | "virtualprivate" // virtual-private=
  | "mark" // mark=
  | "ipsecif" // ipsec-interface= yes/no/number
  | "comment"; // x-... keywords are comments

export type Section = "setup" | "conn";
export type Status = "supported" | "unsupported" | "obsolete";

export interface KeywordDef {
  /** canonical name, without left/right */
  name: string;
  section: Section;
  leftright: boolean;
  type: ValueType;
  /** enum: accepted spellings (lower case) → canonical value */
  values?: Record<string, string>;
  /** enum values that Libreswan 4.10 rejects (added later) */
  newerValues?: string[];
  /** true when Libreswan 4.10's lexer knows the keyword in this section */
  in410: boolean;
  status: Status;
  /** canonical keyword this one is an alias of */
  aliasOf?: string;
}

const YN: Record<string, string> = {
  yes: "yes",
  no: "no",
  y: "yes",
  n: "no",
  true: "yes",
  false: "no",
  on: "yes",
  off: "no",
};

function en(...names: string[]): Record<string, string> {
  const r: Record<string, string> = {};
  for (const n of names) {
    const [k, v] = n.split("=") as [string, string | undefined];
    r[k] = v ?? k;
  }
  return r;
}

type Opt = Partial<Pick<KeywordDef, "values" | "newerValues" | "aliasOf">> & { newer?: boolean; lr?: boolean };

const defs: KeywordDef[] = [];
function k(section: Section, name: string, type: ValueType, status: Status, opt: Opt = {}): void {
  const d: KeywordDef = { name, section, leftright: opt.lr ?? false, type, in410: !opt.newer, status };
  if (opt.values) {
    d.values = { ...opt.values };
    const newer = [...(opt.newerValues ?? [])];
    // Libreswan 5 reads every yes/no enumeration with the whole yes/no family (y, true, on, ...)
    if ("yes" in d.values && "no" in d.values && name !== "sendcert") {
      for (const [alias, to] of Object.entries(YN)) {
        if (!(alias in d.values)) {
          d.values[alias] = d.values[to]!;
          newer.push(alias);
        }
      }
    }
    if (newer.length > 0) d.newerValues = newer;
  } else if (opt.newerValues) d.newerValues = opt.newerValues;
  if (opt.aliasOf) d.aliasOf = opt.aliasOf;
  defs.push(d);
}
const S = "supported" as const;
const U = "unsupported" as const;
const O = "obsolete" as const;

// ------------------------------------------------------------------ config setup
k("setup", "ikev1-policy", "enum", S, { values: en("accept", "reject", "drop") });
k("setup", "curl-iface", "string", U);
k("setup", "curl-timeout", "time", U);
k("setup", "myvendorid", "string", U);
k("setup", "syslog", "string", O);
k("setup", "plutodebug", "plutodebug", S);
k("setup", "logfile", "string", S);
k("setup", "plutostderrlog", "string", S, { aliasOf: "logfile" });
k("setup", "logtime", "bool", S);
k("setup", "logappend", "bool", S);
k("setup", "logip", "bool", S);
k("setup", "audit-log", "bool", U);
k("setup", "loglimit", "bool", U, { newer: true });
k("setup", "dnssec-enable", "bool", U);
k("setup", "dnssec-rootkey-file", "string", U);
k("setup", "dnssec-anchors", "string", U);
k("setup", "dumpdir", "string", S);
k("setup", "ipsecdir", "string", S);
k("setup", "nssdir", "string", U);
k("setup", "secretsfile", "string", S);
k("setup", "statsbin", "string", U);
k("setup", "uniqueids", "bool", S);
k("setup", "shuntlifetime", "time", U);
k("setup", "global-redirect", "string", U);
k("setup", "global-redirect-to", "string", U);
k("setup", "crl-strict", "bool", U);
k("setup", "crlcheckinterval", "time", U);
k("setup", "crl-timeout", "time", U, { newer: true });
k("setup", "ocsp-strict", "bool", U);
k("setup", "ocsp-enable", "bool", U);
k("setup", "ocsp-uri", "string", U);
k("setup", "ocsp-timeout", "time", U);
k("setup", "ocsp-trustname", "string", U);
k("setup", "ocsp-cache-size", "number", U);
k("setup", "ocsp-cache-min-age", "time", U);
k("setup", "ocsp-cache-max-age", "time", U);
k("setup", "ocsp-method", "enum", U, { values: en("get", "post") });
k("setup", "ddos-mode", "enum", S, { values: en("auto", "busy", "unlimited") });
k("setup", "seccomp", "enum", U, { values: en("enabled", "disabled", "tolerant"), newer: true });
k("setup", "ddos-ike-threshold", "number", S);
k("setup", "max-halfopen-ike", "number", S);
k("setup", "ike-socket-bufsize", "number", S);
k("setup", "ike-socket-errqueue", "bool", U);
k("setup", "nflog-all", "number", U);
k("setup", "xfrmlifetime", "time", U);
k("setup", "expire-lifetime", "time", U, { newer: true });
k("setup", "virtual-private", "virtualprivate", S);
k("setup", "virtual_private", "virtualprivate", S, { aliasOf: "virtual-private" });
k("setup", "seedbits", "number", U);
k("setup", "seeddev", "string", U, { newer: true });
k("setup", "keep-alive", "time", S);
k("setup", "listen-tcp", "bool", S);
k("setup", "listen-udp", "bool", S);
k("setup", "listen", "string", S);
k("setup", "protostack", "string", S);
k("setup", "nhelpers", "number", S);
k("setup", "drop-oppo-null", "bool", U);
k("setup", "ikev1-secctx-attr-type", "number", O);
k("setup", "secctx-attr-type", "number", O);
k("setup", "interfaces", "string", O);
k("setup", "expire-shunt-interval", "time", U, { newer: true });
k("setup", "dns-resolver", "string", U, { newer: true });
k("setup", "ipsec-interface-managed", "bool", U, { newer: true });

// ------------------------------------------------------------------ conn, per end (leftX / rightX)
const lr = { lr: true };
k("conn", "", "host", S, lr);
k("conn", "subnet", "subnet", S, lr);
k("conn", "subnets", "subnets", S, lr);
k("conn", "sourceip", "addresses", S, lr);
k("conn", "ikeport", "port", S, lr);
k("conn", "interface-ip", "cidr", U, { lr: true, newer: true });
k("conn", "vti", "cidr", U, lr);
k("conn", "nexthop", "nexthop", S, lr);
k("conn", "updown", "string", S, lr);
k("conn", "updown-config", "string", U, { lr: true, newer: true });
k("conn", "id", "id", S, lr);
k("conn", "rsasigkey", "pubkey", S, lr);
k("conn", "ecdsakey", "pubkey", S, lr);
k("conn", "pubkey", "pubkey", S, lr);
k("conn", "eddsakey", "pubkey", S, { lr: true, newer: true });
k("conn", "cert", "string", S, lr);
k("conn", "ckaid", "ckaid", S, lr);
k("conn", "sendcert", "enum", S, {
  lr: true,
  values: en("never", "sendifasked", "alwayssend=always", "always", "yes=always", "no=never", "ifasked=sendifasked"),
  newerValues: ["yes", "no", "ifasked"],
});
k("conn", "ca", "string", S, lr);
k("conn", "xauthserver", "bool", S, lr);
k("conn", "xauthclient", "bool", S, lr);
k("conn", "modecfgserver", "bool", S, lr);
k("conn", "modecfgclient", "bool", S, lr);
k("conn", "username", "string", S, lr);
k("conn", "xauthusername", "string", S, { lr: true, aliasOf: "username" });
k("conn", "addresspool", "range", S, lr);
k("conn", "auth", "enum", S, {
  lr: true,
  values: en("never", "secret", "rsasig", "rsa=rsasig", "ecdsa", "null", "eaponly", "eddsa"),
  newerValues: ["eddsa"],
});
k("conn", "cat", "bool", U, lr);
k("conn", "protoport", "protoport", S, lr);
k("conn", "autheap", "enum", U, { lr: true, values: en("none", "tls") });
k("conn", "groundhog", "bool", U, { lr: true, newer: true });

// ------------------------------------------------------------------ conn
k("conn", "auto", "enum", S, {
  values: en("ignore", "add", "ondemand", "route=ondemand", "start", "up=start", "keep"),
});
k("conn", "also", "also", S);
k("conn", "alsoflip", "string", O);
k("conn", "ike", "proposals", S);
k("conn", "hostaddrfamily", "enum", S, { values: en("ipv4", "ipv6", "v4=ipv4", "inet=ipv4", "v6=ipv6", "inet6=ipv6") });
k("conn", "clientaddrfamily", "enum", U, { values: en("ipv4", "ipv6", "v4=ipv4", "inet=ipv4", "v6=ipv6", "inet6=ipv6") });
k("conn", "type", "enum", S, {
  values: en("tunnel", "transport", "pass=passthrough", "passthrough", "reject", "drop"),
});
k("conn", "authby", "authby", S);
k("conn", "keyexchange", "enum", S, { values: en("ike", "ikev1", "ikev2"), newerValues: ["ikev1", "ikev2"] });
k("conn", "ikev2", "enum", S, {
  values: en("never=no", "permit=no", "propose=yes", "insist=yes", "yes", "always=yes", "no"),
});
k("conn", "ppk", "enum", U, { values: en("never", "permit", "propose", "insist", "yes=propose", "always=insist", "no=never") });
k("conn", "ppk-ids", "string", U, { newer: true });
k("conn", "intermediate", "bool", U);
k("conn", "esn", "enum", S, { values: en("yes", "no", "either") });
k("conn", "decap-dscp", "bool", U);
k("conn", "encap-dscp", "bool", U, { newer: true });
k("conn", "nopmtudisc", "bool", U);
k("conn", "fragmentation", "enum", S, { values: en("never=no", "no", "yes", "insist=force", "force") });
k("conn", "mobike", "bool", S);
k("conn", "narrowing", "bool", S);
k("conn", "pam-authorize", "bool", U);
k("conn", "send-redirect", "enum", U, { values: en("yes", "no", "auto") });
k("conn", "redirect-to", "string", U);
k("conn", "accept-redirect", "enum", U, { values: en("yes", "no", "auto") });
k("conn", "accept-redirect-to", "string", U);
k("conn", "pfs", "bool", S);
k("conn", "session-resumption", "bool", U, { newer: true });
k("conn", "send-supported-auth-methods", "bool", U, { newer: true });
k("conn", "nat-keepalive", "bool", S);
k("conn", "initial-contact", "bool", S);
k("conn", "cisco-unity", "bool", U);
k("conn", "cisco-split", "bool", U, { newer: true });
k("conn", "send-no-esp-tfc", "bool", U);
k("conn", "send-esp-tfc-padding-not-supported", "bool", U, { newer: true, aliasOf: "send-no-esp-tfc" });
k("conn", "reject-simultaneous-ike-auth", "bool", U, { newer: true });
k("conn", "iptfs", "bool", U, { newer: true });
k("conn", "iptfs-fragmentation", "bool", U, { newer: true });
k("conn", "iptfs-packet-size", "bytes", U, { newer: true });
k("conn", "iptfs-max-queue-size", "bytes", U, { newer: true });
k("conn", "iptfs-reorder-window", "number", U, { newer: true });
k("conn", "iptfs-init-delay", "time", U, { newer: true });
k("conn", "iptfs-drop-time", "time", U, { newer: true });
k("conn", "fake-strongswan", "bool", U);
k("conn", "send-vendorid", "bool", U);
k("conn", "sha2-truncbug", "bool", U);
k("conn", "share-lease", "bool", U, { newer: true });
k("conn", "ms-dh-downgrade", "bool", U);
k("conn", "pfs-rekey-workaround", "bool", U, { newer: true });
k("conn", "require-id-on-certificate", "bool", U);
k("conn", "dns-match-id", "bool", U);
k("conn", "ipsec-max-bytes", "bytes", S);
k("conn", "ipsec-max-packets", "binary", S);
k("conn", "ipsec-lifetime", "time", S);
k("conn", "keylife", "time", S, { aliasOf: "ipsec-lifetime" });
k("conn", "lifetime", "time", S, { aliasOf: "ipsec-lifetime" });
k("conn", "salifetime", "time", S, { aliasOf: "ipsec-lifetime" });
k("conn", "retransmit-timeout", "time", S);
k("conn", "retransmit-interval", "time_ms", S);
k("conn", "ikepad", "enum", U, { values: en("yes", "no", "auto"), newerValues: ["auto"] });
k("conn", "nat-ikev1-method", "enum", U, { values: en("both", "rfc", "drafts", "none") });
k("conn", "sec-label", "string", U);
k("conn", "policy-label", "string", U, { aliasOf: "sec-label" });
k("conn", "remote-peer-type", "enum", U, { values: en("cisco") });
k("conn", "remote_peer_type", "enum", U, { values: en("cisco"), aliasOf: "remote-peer-type" });
k("conn", "nm-configured", "bool", U);
k("conn", "xauthby", "enum", U, { values: en("file", "pam", "alwaysok") });
k("conn", "xauthfail", "enum", U, { values: en("hard", "soft") });
k("conn", "modecfgpull", "bool", U);
k("conn", "modecfgdns", "string", S);
k("conn", "modecfgdomains", "string", S);
k("conn", "modecfgbanner", "string", S);
k("conn", "ignore-peer-dns", "bool", U);
k("conn", "mark", "mark", U);
k("conn", "mark-in", "mark", U);
k("conn", "mark-out", "mark", U);
k("conn", "vti-interface", "string", U);
k("conn", "vti-routing", "bool", U);
k("conn", "vti-shared", "bool", U);
k("conn", "ipsec-interface", "ipsecif", U);
k("conn", "clones", "number", U, { newer: true });
k("conn", "nic-offload", "enum", U, {
  values: en("yes", "no", "auto", "crypto", "packet"),
  newerValues: ["crypto", "packet"],
});
k("conn", "encapsulation", "enum", S, { values: en("yes", "no", "auto") });
k("conn", "forceencaps", "bool", O);
k("conn", "overlapip", "bool", U);
k("conn", "reauth", "bool", U);
k("conn", "rekey", "bool", S);
k("conn", "rekeymargin", "time", S);
k("conn", "rekeyfuzz", "percent", S);
k("conn", "keyingtries", "number", S);
k("conn", "replay-window", "number", S);
k("conn", "ikelifetime", "time", S);
k("conn", "failureshunt", "enum", S, { values: en("none", "passthrough", "drop", "hold=drop", "reject") });
k("conn", "negotiationshunt", "enum", S, { values: en("passthrough", "drop=hold", "hold") });
k("conn", "enable-tcp", "enum", U, { values: en("no", "yes", "fallback") });
k("conn", "tcp-remoteport", "number", U);
k("conn", "connalias", "append", U);
k("conn", "esp", "proposals", S);
k("conn", "ah", "proposals", S);
k("conn", "phase2alg", "proposals", S, { aliasOf: "esp" });
k("conn", "phase2", "enum", S, { values: en("esp", "ah", "default=esp") });
k("conn", "compress", "bool", S);
k("conn", "metric", "number", U);
k("conn", "dpddelay", "time", S);
k("conn", "dpdtimeout", "time", S);
k("conn", "ikev1-dpdtimeout", "time", S, { newer: true, aliasOf: "dpdtimeout" });
k("conn", "dpdaction", "enum", S, { values: en("hold", "clear", "restart", "restart_by_peer=restart") });
k("conn", "sendca", "enum", U, { values: en("none", "issuer", "all") });
k("conn", "mtu", "number", U);
k("conn", "priority", "number", S);
k("conn", "tfc", "number", U);
k("conn", "reqid", "number", U);
k("conn", "nflog", "number", U);
k("conn", "nflog-group", "number", U, { newer: true, aliasOf: "nflog" });
k("conn", "aggressive", "bool", U);
k("conn", "aggrmode", "bool", U, { aliasOf: "aggressive" });
k("conn", "debug", "debug", U, { newer: true });

const bySection: Record<Section, Map<string, KeywordDef>> = { setup: new Map(), conn: new Map() };
const leftrightDefs: KeywordDef[] = [];
for (const d of defs) {
  bySection[d.section].set(d.name, d);
  if (d.leftright) leftrightDefs.push(d);
}

export const KEYWORDS: readonly KeywordDef[] = defs;

export interface KeywordMatch {
  def: KeywordDef;
  end: "left" | "right" | null;
  /** canonical key for merging: (left|right)name, with aliases resolved */
  key: string;
  /** the spelling is newer than Libreswan 4.10 (left-X / right-X) */
  newerSpelling: boolean;
}

const cache: Record<Section, Map<string, KeywordMatch | null | "noprefix">> = { setup: new Map(), conn: new Map() };

/**
 * Find a keyword as written in a section. Returns null when unknown, "noprefix" when it is a
 * per-end keyword written without left/right.
 */
export function lookupKeyword(written: string, section: Section): KeywordMatch | null | "noprefix" {
  const lower = written.toLowerCase();
  const c = cache[section].get(lower);
  if (c !== undefined) return c;
  const r = lookupUncached(lower, section);
  cache[section].set(lower, r);
  return r;
}

function canonical(d: KeywordDef, section: Section): KeywordDef {
  return d.aliasOf !== undefined ? bySection[section].get(d.aliasOf)! : d;
}

function lookupUncached(lower: string, section: Section): KeywordMatch | null | "noprefix" {
  const direct = bySection[section].get(lower);
  if (direct !== undefined && !direct.leftright) {
    return { def: direct, end: null, key: canonical(direct, section).name, newerSpelling: false };
  }
  if (section === "conn") {
    for (const end of ["left", "right"] as const) {
      if (!lower.startsWith(end)) continue;
      let rest = lower.slice(end.length);
      let hyphen = false;
      if (rest.startsWith("-") && rest.length > 1) {
        rest = rest.slice(1);
        hyphen = true;
      }
      const d = bySection.conn.get(rest);
      if (d !== undefined && d.leftright) {
        const canon = canonical(d, section);
        return { def: d, end, key: end + canon.name, newerSpelling: hyphen };
      }
    }
  }
  if (direct !== undefined && direct.leftright) return "noprefix";
  return null;
}

/** Is `value` (for an enum keyword) one of its values; returns the canonical value. */
export function enumValue(def: KeywordDef, value: string): string | undefined {
  if (def.type === "bool") return YN[value.toLowerCase()];
  return def.values?.[value.toLowerCase()];
}

export function boolValue(value: string): boolean | undefined {
  const v = YN[value.toLowerCase()];
  return v === undefined ? undefined : v === "yes";
}

/** Debug categories for plutodebug= (and conn debug=), with the aliases all, tmi, base, none. */
const DEBUG_410 = ["base", "cpu-usage", "refcnt", "crypt", "private", "whackwatch", "add-prefix", "tmi", "all", "none"];
const DEBUG_NEWER = ["routing", "updown", "add-state"];

export function checkDebugList(value: string): { bad: string | null; newer: string[] } {
  const newer: string[] = [];
  for (const raw of value.split(/[+,\s]+/)) {
    if (raw === "") continue;
    let t = raw.toLowerCase();
    if (t !== "none" && t.startsWith("no-")) t = t.slice(3);
    if (t.startsWith("debug-")) t = t.slice(6);
    if (DEBUG_410.includes(t)) continue;
    if (DEBUG_NEWER.includes(t)) {
      newer.push(raw);
      continue;
    }
    return { bad: raw, newer };
  }
  return { bad: null, newer };
}

export function keywordsOf(section: Section): KeywordDef[] {
  return defs.filter((d) => d.section === section);
}

/** The name as written in a config: leftsubnet, left, auto. */
export function displayName(def: KeywordDef, end: "left" | "right" | null): string {
  return end === null ? def.name : end + def.name;
}
