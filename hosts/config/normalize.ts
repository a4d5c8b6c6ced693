// From a parsed ipsec.conf to plain, JSON-able connection objects for the core. Runtime-neutral.
//
// Each conn keeps Libreswan's left/right: deciding which end is local (this/that) is the core's
// job, done by matching local addresses. Values are typed and defaulted here (durations in
// milliseconds, proposals as IKEv2 transform numbers, Libreswan's defaults where a keyword is
// absent); errors name the conn and the keyword, at the keyword's file:line:column.

import { unsupported as cannotYet } from "./support.ts";
import { diag, type Diagnostic } from "./diagnostics.ts";
import type { ConfigIO } from "./io.ts";
import {
  loadIpsecConf,
  loadIpsecConfText,
  type AutoValue,
  type LoadedConfig,
  type ResolvedConn,
  type Setting,
} from "./ipsecconf.ts";
import { boolValue, checkDebugList, enumValue } from "./keywords.ts";
import { parseProposals, unsupported, type Proposal, type ProposalProtocol } from "./proposals.ts";
import {
  formatAddress,
  formatCidr,
  formatRange,
  parseAddress,
  parseBinary,
  parseCidr,
  parseDuration,
  parsePercent,
  parseProtoport,
  parseRange,
  parseUnsigned,
  parseCount,
  parseVirtualPrivate,
  parseVirtualSpec,
  splitList,
  type ProtoPort,
  type VirtualPrivate,
} from "./values.ts";

export type HostKind =
  | "address" // a literal IP address (or %defaultroute resolved by the host)
  | "any" // %any, %any4, %any6: the peer's address is learnt when it connects
  | "defaultroute" // %defaultroute, not resolved (no resolver given)
  | "dns" // a host name, to be resolved
  | "interface" // %eth0: the address of that interface
  | "opportunistic" // %opportunistic
  | "opportunisticgroup" // %opportunisticgroup
  | "group" // %group
  | "unset";

export interface NormalizedEnd {
  /** the address, %any/%any4/%any6, %defaultroute, a host name, %IFACE, or null when unset */
  host: string | null;
  hostKind: HostKind;
  /** address family of the host, when known */
  family: 4 | 6 | null;
  /** true when host came from resolving %defaultroute */
  defaultroute: boolean;
  /** id= as written (%fromcert, @fqdn, DN, address ...); null: the host address */
  id: string | null;
  /** subnet= and subnets=, as canonical CIDRs */
  subnets: string[];
  /** vnet:/vhost: specification (IKEv1 only) */
  virtual: string | null;
  protoport: ProtoPort | null;
  /** an address, or %defaultroute / %direct */
  nexthop: string | null;
  sourceip: string[];
  /** this end's auth= (IKEv2 asymmetric authentication) */
  auth: string | null;
  cert: string | null;
  ckaid: string | null;
  ca: string | null;
  sendcert: "always" | "sendifasked" | "never";
  /** rsasigkey= / ecdsakey= / pubkey= / eddsakey= */
  pubkey: { keyword: string; value: string } | null;
  /** ikeport=: the IKE port of this end (500 when unset, 4500 once NAT is detected) */
  ikeport: number | null;
  addresspool: string[];
  updown: string | null;
  xauthserver: boolean;
  xauthclient: boolean;
  modecfgserver: boolean;
  modecfgclient: boolean;
  username: string | null;
}

export interface NormalizedConn {
  name: string;
  file: string;
  line: number;
  auto: AutoValue;
  /** the IKE version: keyexchange=ikev2 (or ike with ikev2=yes, the default) */
  ikev2: boolean;
  type: "tunnel" | "transport" | "passthrough" | "drop" | "reject";
  /** authby= methods, e.g. ["rsasig", "ecdsa"] (the default), ["secret"], ["null"], ["never"] */
  authby: string[];
  left: NormalizedEnd;
  right: NormalizedEnd;
  /** IKE SA proposals (Libreswan's defaults when ike= is absent) */
  ike: Proposal[];
  ikeDefault: boolean;
  /** Child SA protocol and its proposals (esp= or ah=) */
  phase2: "esp" | "ah";
  esp: Proposal[];
  espDefault: boolean;
  pfs: boolean;
  esn: "yes" | "no" | "either";
  compress: boolean;
  lifetimes: {
    ikeLifetimeMs: number;
    ipsecLifetimeMs: number;
    rekeyMarginMs: number;
    rekeyFuzzPercent: number;
    rekey: boolean;
    /** decimal strings (the defaults, 2^63, do not fit a JSON number) */
    ipsecMaxBytes: string;
    ipsecMaxPackets: string;
  };
  /** dpddelay (IKEv2: the liveness interval; 0 = off), dpdtimeout (IKEv1 only), dpdaction (IKEv2: what a
   * peer found dead does; only with dpddelay=, else hold, as Libreswan 4.10) */
  dpd: { delayMs: number; timeoutMs: number; action: "hold" | "clear" | "restart" };
  /** keyingtries=: keying attempts before giving up (0, %forever: forever, the default) */
  keyingTries: number;
  retransmit: { timeoutMs: number; intervalMs: number };
  narrowing: boolean;
  fragmentation: "yes" | "no" | "force";
  encapsulation: "yes" | "no" | "auto";
  mobike: boolean;
  natKeepalive: boolean;
  initialContact: boolean;
  hostaddrfamily: 4 | 6 | null;
  replayWindow: number;
  priority: number;
  negotiationShunt: "passthrough" | "hold";
  failureShunt: "none" | "passthrough" | "drop" | "reject";
  /** modecfgdns= (addresses), modecfgdomains=, modecfgbanner= as written: what a CFG_REPLY tells a client */
  modecfg: { dns: string[]; domains: string[]; banner: string | null };
  /** also= sections inserted, in order */
  alsos: string[];
  /** keywords set on this conn that the daemon does not use yet */
  unsupported: string[];
}

export interface NormalizedSetup {
  /** listen=: the one address to listen on; null: all */
  listen: string | null;
  listenUdp: boolean;
  listenTcp: boolean;
  /** IKE ports (not configurable in config setup; per end with leftikeport=/rightikeport=) */
  ikePort: number;
  nattPort: number;
  virtualPrivate: VirtualPrivate;
  uniqueids: boolean;
  /** null: pluto's choice (number of CPUs) */
  nhelpers: number | null;
  ikev1Policy: "accept" | "reject" | "drop";
  plutodebug: string[];
  logfile: string | null;
  logtime: boolean;
  logappend: boolean;
  logip: boolean;
  dumpdir: string | null;
  ipsecdir: string | null;
  secretsfile: string | null;
  protostack: string | null;
  ikeSocketBufsize: number | null;
  keepAliveMs: number | null;
  ddos: { mode: "auto" | "busy" | "unlimited"; ikeThreshold: number; maxHalfOpen: number };
}

export interface NormalizeOptions {
  /** resolve %defaultroute: the address of the default route's interface and its gateway */
  resolveDefaultRoute?: (family: 4 | 6 | null) => { address: string; gateway: string | null } | null;
}

export interface NormalizedConfig {
  setup: NormalizedSetup;
  /** the conns that load: no parse or normalization error */
  conns: NormalizedConn[];
  /** names of conns that do not load, in file order */
  failed: string[];
  diagnostics: Diagnostic[];
  /** no error at all */
  ok: boolean;
}

// Libreswan defaults (include/pluto_constants.h, 4.10)
export const DEFAULTS = {
  ikeLifetimeMs: 8 * 3600_000,
  ipsecLifetimeMs: 8 * 3600_000,
  maxLifetimeMs: 24 * 3600_000,
  rekeyMarginMs: 9 * 60_000,
  rekeyFuzzPercent: 100,
  retransmitTimeoutMs: 60_000,
  retransmitIntervalMs: 500,
  replayWindow: 128,
  ipsecMaxOperations: (1n << 63n).toString(),
} as const;

const proposalCache = new Map<string, ReturnType<typeof parseProposals>>();

// %default and also= settings are shared by many conns: parse each value once
const memo = new WeakMap<Setting, Map<string, unknown>>();
function memoized<T>(s: Setting, tag: string, f: () => T): T {
  let m = memo.get(s);
  if (m === undefined) {
    m = new Map();
    memo.set(s, m);
  }
  if (m.has(tag)) return m.get(tag) as T;
  const v = f();
  m.set(tag, v);
  return v;
}

const sideKeys = { left: new Map<string, string>(), right: new Map<string, string>() };
function sideKey(side: "left" | "right", name: string): string {
  let k = sideKeys[side].get(name);
  if (k === undefined) {
    k = side + name;
    sideKeys[side].set(name, k);
  }
  return k;
}
function proposalsFor(text: string | undefined, proto: ProposalProtocol, ikev2: boolean) {
  const key = `${proto}|${ikev2 ? 2 : 1}|${text ?? ""}`;
  let r = proposalCache.get(key);
  if (r === undefined) {
    r = parseProposals(text, proto, ikev2);
    proposalCache.set(key, r);
  }
  return r;
}

const supportCache = new Map<string, string | null>();
function unsupportedFor(text: string | undefined, proto: "ike" | "esp", proposals: Proposal[]): string | null {
  const key = `${proto}|${text ?? ""}`;
  let why = supportCache.get(key);
  if (why === undefined) {
    why = proposals.map((p) => unsupported(p, proto)).find((x) => x !== null) ?? null;
    supportCache.set(key, why);
  }
  return why;
}

// ------------------------------------------------------------------------------------ setup

export function normalizeSetup(loaded: LoadedConfig): NormalizedSetup {
  const get = (k: string) => loaded.parsed.setup.get(k);
  const str = (k: string) => get(k)?.value ?? null;
  const bool = (k: string, dflt: boolean) => {
    const s = get(k);
    return s === undefined ? dflt : (boolValue(s.value) ?? dflt);
  };
  const num = (k: string) => {
    const s = get(k);
    if (s === undefined) return null;
    const r = parseUnsigned(s.value);
    return r.ok ? r.value : null;
  };
  const vpSetting = get("virtual-private");
  const vp = vpSetting === undefined ? { include: [], exclude: [] } : parseVirtualPrivate(vpSetting.value).value;
  const policy = get("ikev1-policy");
  const keepAlive = get("keep-alive");
  const ka = keepAlive === undefined ? null : parseDuration(keepAlive.value);
  const pd = get("plutodebug");
  return {
    listen: str("listen"),
    listenUdp: bool("listen-udp", true),
    listenTcp: bool("listen-tcp", false),
    ikePort: 500,
    nattPort: 4500,
    virtualPrivate: vp,
    uniqueids: bool("uniqueids", true),
    nhelpers: num("nhelpers"),
    // Libreswan 5 drops IKEv1 unless told otherwise (4.10 accepted it)
    ikev1Policy: (policy === undefined ? "drop" : enumValue(policy.match.def, policy.value)) as "accept" | "reject" | "drop",
    plutodebug: pd === undefined || checkDebugList(pd.value).bad !== null ? [] : pd.value.split(/[+,\s]+/).filter((x) => x !== ""),
    logfile: str("logfile"),
    logtime: bool("logtime", true),
    logappend: bool("logappend", true),
    logip: bool("logip", true),
    dumpdir: str("dumpdir"),
    ipsecdir: str("ipsecdir"),
    secretsfile: str("secretsfile"),
    protostack: str("protostack"),
    ikeSocketBufsize: num("ike-socket-bufsize"),
    keepAliveMs: ka !== null && ka.ok ? ka.value : null,
    // Libreswan 4.10's defaults (ipsec.conf(5)): cookies past 25,000 half-open IKE SAs, none
    // new past 50,000 (core/ikev2/ddos.ts also keeps them within the core's memory)
    ddos: {
      mode: (str("ddos-mode") ?? "auto").toLowerCase() as "auto" | "busy" | "unlimited",
      ikeThreshold: num("ddos-ike-threshold") ?? 25000,
      maxHalfOpen: num("max-halfopen-ike") ?? 50000,
    },
  };
}

// ------------------------------------------------------------------------------------ conns

class ConnNormalizer {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly c: ResolvedConn,
    readonly opts: NormalizeOptions,
    readonly setup: NormalizedSetup | null = null,
  ) {}

  get(key: string): Setting | undefined {
    return this.c.settings.get(key);
  }
  error(s: Setting | undefined, message: string): void {
    const at = s ?? { file: this.c.section.file, line: this.c.section.line, column: this.c.section.column };
    this.diagnostics.push(
      diag("error", at, `conn '${this.c.name}': ${message}`, { conn: this.c.name, ...(s ? { keyword: s.written } : {}) }),
    );
  }
  warn(s: Setting | undefined, message: string): void {
    const at = s ?? { file: this.c.section.file, line: this.c.section.line, column: this.c.section.column };
    this.diagnostics.push(
      diag("warning", at, `conn '${this.c.name}': ${message}`, { conn: this.c.name, ...(s ? { keyword: s.written } : {}) }),
    );
  }
  str(key: string): string | null {
    return this.get(key)?.value ?? null;
  }
  enumv(key: string, dflt: string): string {
    const s = this.get(key);
    return s === undefined ? dflt : (enumValue(s.match.def, s.value) ?? dflt);
  }
  bool(key: string, dflt: boolean): boolean {
    const s = this.get(key);
    return s === undefined ? dflt : (boolValue(s.value) ?? dflt);
  }
  time(key: string, dflt: number, unit: "s" | "ms" = "s"): number {
    const s = this.get(key);
    if (s === undefined) return dflt;
    const r = memoized(s, unit, () => parseDuration(s.value, unit));
    return r.ok ? r.value : dflt; // a bad value was reported by resolveConns
  }
  num(key: string, dflt: number): number {
    const s = this.get(key);
    if (s === undefined) return dflt;
    const r = parseCount(s.value);
    return r.ok ? r.value : dflt;
  }

  opportunistic(): boolean {
    return ["left", "right"].some((side) => /^%(opportunistic|oppo)(group)?$/i.test(this.get(side)?.value ?? ""));
  }

  ikev2(): boolean {
    const kx = this.get("keyexchange");
    const v2 = this.get("ikev2");
    const kxv = kx ? enumValue(kx.match.def, kx.value) : undefined;
    const v2v = v2 ? enumValue(v2.match.def, v2.value) : undefined;
    // as Libreswan 5: keyexchange= decides; ikev2= is the old way and loses a conflict
    if (kxv === "ikev1" || kxv === "ikev2") {
      if (v2v !== undefined && (v2v === "yes") !== (kxv === "ikev2")) {
        this.warn(v2, `ignoring ikev2=${v2!.value} which conflicts with keyexchange=${kxv}`);
      }
      return kxv === "ikev2";
    }
    if (v2v !== undefined) {
      this.warn(v2, `ikev2=${v2!.value} has been replaced by keyexchange=${v2v === "yes" ? "ikev2" : "ikev1"}`);
    }
    return v2v !== "no";
  }

  end(side: "left" | "right", ikev2: boolean, family: 4 | 6 | null): NormalizedEnd {
    const k = (name: string) => sideKey(side, name);
    const hostS = this.get(k(""));
    const e: NormalizedEnd = {
      host: null,
      hostKind: "unset",
      family: null,
      defaultroute: false,
      // id=%none: no ID, i.e. the default (the host address)
      id: this.str(k("id"))?.toLowerCase() === "%none" ? null : this.str(k("id")),
      subnets: [],
      virtual: null,
      protoport: null,
      nexthop: null,
      sourceip: [],
      auth: this.get(k("auth")) ? this.enumv(k("auth"), "") : null,
      cert: this.str(k("cert")),
      ckaid: this.str(k("ckaid")),
      ca: this.str(k("ca")),
      sendcert: this.enumv(k("sendcert"), "sendifasked") as NormalizedEnd["sendcert"],
      pubkey: null,
      ikeport: null,
      addresspool: [],
      updown: this.str(k("updown")),
      xauthserver: this.bool(k("xauthserver"), false),
      xauthclient: this.bool(k("xauthclient"), false),
      modecfgserver: this.bool(k("modecfgserver"), false),
      modecfgclient: this.bool(k("modecfgclient"), false),
      username: this.str(k("username")),
    };
    if (hostS !== undefined) {
      const v = hostS.value;
      const low = v.toLowerCase();
      const addr = memoized(hostS, "address", () => parseAddress(v));
      if (addr !== null) {
        e.host = formatAddress(addr);
        e.hostKind = "address";
        e.family = addr.family;
      } else if (low === "%any" || low === "%any4" || low === "%any6") {
        e.host = low;
        e.hostKind = "any";
        e.family = low === "%any4" ? 4 : low === "%any6" ? 6 : family;
      } else if (low === "%defaultroute") {
        const r = this.opts.resolveDefaultRoute?.(family) ?? null;
        if (r !== null) {
          const ra = parseAddress(r.address);
          e.host = ra ? formatAddress(ra) : r.address;
          e.hostKind = "address";
          e.family = ra?.family ?? family;
          e.defaultroute = true;
          if (this.get(k("nexthop")) === undefined && r.gateway !== null) e.nexthop = r.gateway;
        } else {
          e.host = "%defaultroute";
          e.hostKind = "defaultroute";
          e.family = family;
        }
      } else if (low === "%opportunistic" || low === "%oppo") {
        e.host = "%opportunistic";
        e.hostKind = "opportunistic";
      } else if (low === "%opportunisticgroup" || low === "%oppogroup") {
        e.host = "%opportunisticgroup";
        e.hostKind = "opportunisticgroup";
      } else if (low === "%group") {
        e.host = "%group";
        e.hostKind = "group";
      } else if (v.startsWith("%")) {
        e.host = v;
        e.hostKind = "interface";
        e.family = family;
      } else {
        e.host = v;
        e.hostKind = "dns";
        e.family = family;
      }
      if (family !== null && e.family !== null && e.family !== family) {
        this.error(hostS, `${hostS.written}=${v} is IPv${e.family} but hostaddrfamily is IPv${family}`);
      }
    }

    // subnet= / subnets=
    const subS = this.get(k("subnet"));
    if (subS !== undefined) {
      if (/^(vnet|vhost):/i.test(subS.value)) {
        // Libreswan 4.10 refuses these for IKEv2; here a template's instance takes the subnet the
        // peer proposes (its TSi) when it lies within virtual-private
        if (ikev2) this.warn(subS, `${subS.written}=${subS.value}: Libreswan allows vnet: and vhost: only for IKEv1; this daemon also accepts them for IKEv2 (the peer's proposed subnet, within virtual-private)`);
        const v = parseVirtualSpec(subS.value); // its syntax was checked with the other values
        if (v.ok && v.value.priv && this.setup !== null && this.setup.virtualPrivate.include.length === 0) {
          this.warn(subS, `${subS.written}=${subS.value}: %priv stands for virtual-private=, which config setup does not set: no subnet will fit`);
        }
        e.virtual = subS.value;
      } else {
        const subnets = memoized(subS, "subnets", () => {
          const out: string[] = [];
          for (const item of splitList(subS.value)) {
            const low = item.toLowerCase();
            if (low === "%any" || low === "%any4") out.push("0.0.0.0/0");
            else if (low === "%any6") out.push("::/0");
            else {
              const c = parseCidr(item, { bare: true, zeroHost: true });
              if (c.ok) out.push(formatCidr(c.value));
            }
          }
          return out;
        });
        e.subnets.push(...subnets);
      }
    }
    const subsS = this.get(k("subnets"));
    if (subsS !== undefined) {
      for (const item of splitList(subsS.value)) {
        const c = parseCidr(item, { bare: true, zeroHost: true });
        if (c.ok && !e.subnets.includes(formatCidr(c.value))) e.subnets.push(formatCidr(c.value));
      }
    }
    const ppS = this.get(k("protoport"));
    if (ppS !== undefined) {
      const r = parseProtoport(ppS.value);
      if (r.ok) e.protoport = r.value;
    }
    const nhS = this.get(k("nexthop"));
    if (nhS !== undefined) {
      const a = parseAddress(nhS.value);
      e.nexthop = a !== null ? formatAddress(a) : nhS.value.startsWith("%") ? nhS.value.toLowerCase() : nhS.value;
    } else if (e.nexthop === null && e.hostKind === "defaultroute") e.nexthop = "%defaultroute";
    const srcS = this.get(k("sourceip"));
    if (srcS !== undefined) {
      for (const item of splitList(srcS.value)) {
        const a = parseAddress(item);
        e.sourceip.push(a !== null ? formatAddress(a) : item);
      }
    }
    const portS = this.get(k("ikeport"));
    if (portS !== undefined) {
      const r = parseUnsigned(portS.value, 65535);
      if (r.ok) {
        if (r.value === 0) this.error(portS, `${portS.written}=0 is not a port`);
        e.ikeport = r.value;
      }
    }
    const poolS = this.get(k("addresspool"));
    if (poolS !== undefined) {
      for (const item of splitList(poolS.value)) {
        const r = parseRange(item);
        if (r.ok) e.addresspool.push(formatRange(r.value));
      }
      if (subS !== undefined) this.error(poolS, `cannot specify both ${side}addresspool= and ${side}subnet=`);
      else if (subsS !== undefined) this.error(poolS, `cannot specify both ${side}addresspool= and ${side}subnets=`);
      if (e.modecfgserver && !this.opportunistic()) this.error(poolS, `${side}modecfgserver=yes does not expect ${side}addresspool=`);
    }
    if (e.cert !== null && e.ckaid !== null) {
      this.error(this.get(k("ckaid")), `only one of ${side}cert= and ${side}ckaid= can be specified`);
    }
    const keys: string[] = [];
    for (const kw of ["rsasigkey", "ecdsakey", "pubkey", "eddsakey"]) {
      const s = this.get(k(kw));
      if (s === undefined) continue;
      if (s.value.toLowerCase() === "%none") continue; // the same as not specifying a key
      keys.push(kw);
      if (e.pubkey === null) e.pubkey = { keyword: kw, value: s.value };
      else this.error(s, `duplicate public key: ${side}${e.pubkey.keyword}= and ${s.written}=`);
    }
    return e;
  }

  // modecfgdns= addresses and modecfgdomains= names (commas or blanks between them)
  modecfg(): NormalizedConn["modecfg"] {
    const dns: string[] = [];
    const dnsS = this.get("modecfgdns");
    if (dnsS !== undefined) {
      for (const item of splitList(dnsS.value)) {
        const a = parseAddress(item);
        if (a === null) this.error(dnsS, `${dnsS.written}=${dnsS.value}: '${item}' is not an address`);
        else dns.push(formatAddress(a));
      }
    }
    const domains: string[] = [];
    const domS = this.get("modecfgdomains");
    if (domS !== undefined) {
      for (const item of splitList(domS.value)) {
        if (!/^[A-Za-z0-9._-]{1,253}$/.test(item)) this.error(domS, `${domS.written}=${domS.value}: '${item}' is not a domain name`);
        else domains.push(item);
      }
    }
    return { dns, domains, banner: this.str("modecfgbanner") };
  }

  proposals(key: "ike" | "esp" | "ah", ikev2: boolean): { list: Proposal[]; dflt: boolean } {
    const s = this.get(key);
    const r = proposalsFor(s?.value, key, ikev2);
    if (!r.ok) {
      this.error(s, `${s?.written ?? key}=${s?.value ?? ""}: ${r.error}`);
      return { list: [], dflt: false };
    }
    // what IKEv2 here cannot carry out is refused now, not at the first exchange
    const why = ikev2 && key !== "ah" ? unsupportedFor(s?.value, key, r.proposals) : null;
    if (why) {
      this.error(s, `${s?.written ?? key}=${s?.value ?? ""}: ${why}`);
      return { list: [], dflt: false };
    }
    return { list: r.proposals, dflt: r.defaulted };
  }

  run(): NormalizedConn {
    const c = this.c;
    const ikev2 = this.ikev2();
    const famS = this.get("hostaddrfamily");
    const family = famS ? (enumValue(famS.match.def, famS.value) === "ipv6" ? 6 : 4) : null;
    const left = this.end("left", ikev2, family);
    const right = this.end("right", ikev2, family);
    if (left.hostKind === "unset" && right.hostKind === "unset") {
      this.warn(undefined, "neither left= nor right= is set");
    }
    if (left.family !== null && right.family !== null && left.family !== right.family && family === null) {
      this.error(this.get("right"), `left=${left.host} and right=${right.host} are of different address families`);
    }

    // the traffic selectors of both ends must share an address family
    const selectorFamilies = (e: NormalizedEnd): Set<number> | null =>
      e.subnets.length > 0
        ? new Set(e.subnets.map((s) => (s.includes(":") ? 6 : 4)))
        : e.addresspool.length > 0
          ? new Set(e.addresspool.map((s) => (s.includes(":") ? 6 : 4)))
          : e.hostKind === "address" && e.family !== null
          ? new Set([e.family])
          : null;
    const lf = selectorFamilies(left);
    const rf = selectorFamilies(right);
    const hasSelectors = (e: NormalizedEnd) => e.subnets.length > 0 || e.addresspool.length > 0;
    if ((hasSelectors(left) || hasSelectors(right)) && lf !== null && rf !== null && ![...lf].some((f) => rf.has(f))) {
      const what = (side: "left" | "right", e: NormalizedEnd) =>
        e.subnets.length > 0
          ? `${side}subnet=${this.str(side + "subnet") ?? this.str(side + "subnets")}`
          : e.addresspool.length > 0
            ? `${side}addresspool=${this.str(side + "addresspool")}`
            : `${side}=${e.host}`;
      this.error(
        this.get("rightsubnet") ?? this.get("leftsubnet"),
        `address family of ${what("left", left)} conflicts with ${what("right", right)}`,
      );
    }

    for (const [pool, other] of [
      ["left", "right"],
      ["right", "left"],
    ] as const) {
      const poolS = this.get(pool + "addresspool");
      if (poolS === undefined) continue;
      // (opportunistic conns are exempt, as in pluto)
      if ((other === "left" ? left : right).modecfgclient && !this.opportunistic()) {
        this.error(poolS, `${other}modecfgclient=yes does not expect ${pool}addresspool=`);
      }
      const narrowS = this.get("narrowing");
      if (narrowS !== undefined && boolValue(narrowS.value) === false) {
        this.error(narrowS, `narrowing=no conflicts with ${pool}addresspool=${poolS.value}`);
      }
    }

    const type = this.enumv("type", "tunnel") as NormalizedConn["type"];
    const shunt = type === "passthrough" || type === "drop" || type === "reject";

    // authby
    const abS = this.get("authby");
    let authby: string[];
    if (shunt) authby = ["never"];
    else if (abS !== undefined) {
      authby = abS.value
        .split(/[,\s]+/)
        .filter((x) => x !== "")
        .map((x) => (x.toLowerCase() === "rsa" ? "rsasig" : x.toLowerCase()));
      if (!ikev2) {
        const bad = authby.find((a) => !["rsasig", "secret", "never"].includes(a));
        if (bad !== undefined) this.error(abS, `authby=${abS.value}: an IKEv1 connection must use authby= of rsasig, secret or never`);
      }
    } else authby = ikev2 ? ["rsasig", "ecdsa"] : ["rsasig"];

    const phase2 = this.enumv("phase2", "esp") as "esp" | "ah";
    const ike = this.proposals("ike", ikev2);
    const child = this.proposals(phase2, ikev2);
    if (phase2 === "ah" && this.get("esp") !== undefined) this.warn(this.get("esp"), "esp= is ignored with phase2=ah");
    if (phase2 === "esp" && this.get("ah") !== undefined) this.warn(this.get("ah"), "ah= is ignored unless phase2=ah");

    // lifetimes
    let ikeLifetimeMs = this.time("ikelifetime", DEFAULTS.ikeLifetimeMs);
    if (ikeLifetimeMs > DEFAULTS.maxLifetimeMs) {
      this.warn(this.get("ikelifetime"), `ikelifetime=${this.str("ikelifetime")} is larger than 24h; 24h used`);
      ikeLifetimeMs = DEFAULTS.maxLifetimeMs;
    }
    let ipsecLifetimeMs = this.time("ipsec-lifetime", DEFAULTS.ipsecLifetimeMs);
    if (ipsecLifetimeMs > DEFAULTS.maxLifetimeMs) {
      this.warn(this.get("ipsec-lifetime"), `${this.get("ipsec-lifetime")!.written} is larger than 24h; 24h used`);
      ipsecLifetimeMs = DEFAULTS.maxLifetimeMs;
    }
    const rekeyMarginMs = this.time("rekeymargin", DEFAULTS.rekeyMarginMs);
    const fuzzS = this.get("rekeyfuzz");
    let rekeyFuzzPercent: number = DEFAULTS.rekeyFuzzPercent;
    if (fuzzS !== undefined) {
      const r = parsePercent(fuzzS.value);
      if (r.ok) rekeyFuzzPercent = r.value;
    }
    const maxBytes = this.get("ipsec-max-bytes");
    const maxPackets = this.get("ipsec-max-packets");
    const big = (s: Setting | undefined, bytes: boolean) => {
      if (s === undefined) return DEFAULTS.ipsecMaxOperations;
      const r = parseBinary(s.value, bytes);
      return r.ok ? r.value.toString() : DEFAULTS.ipsecMaxOperations;
    };

    // DPD / liveness
    const dpdDelay = this.time("dpddelay", 0);
    const dpdTimeout = this.time("dpdtimeout", 0);
    const dpdAction = this.enumv("dpdaction", "hold") as "hold" | "clear" | "restart";
    if (!ikev2 && (dpdDelay > 0) !== (dpdTimeout > 0)) {
      this.warn(this.get("dpddelay") ?? this.get("dpdtimeout"), "IKEv1 DPD needs both dpddelay= and dpdtimeout=; DPD disabled");
    }
    // IKEv2 as Libreswan 4.10 has it: a peer is dead when a request goes unanswered through
    // its retransmissions (retransmit-timeout=); dpdtimeout= plays no part; dpdaction= only
    // counts with dpddelay= (else hold)
    const retransmitTimeoutMs = this.time("retransmit-timeout", DEFAULTS.retransmitTimeoutMs);
    if (ikev2 && this.get("dpdtimeout") !== undefined) {
      this.warn(this.get("dpdtimeout"), `dpdtimeout= is ignored by IKEv2 (as Libreswan 4.10): the peer is declared dead when a request goes unanswered for retransmit-timeout=${retransmitTimeoutMs / 1000}s`);
    }
    if (ikev2 && this.get("dpdaction") !== undefined && dpdDelay === 0 && dpdAction !== "hold") {
      this.warn(this.get("dpdaction"), `dpdaction=${dpdAction} is ignored without dpddelay= (as Libreswan 4.10): a peer found dead is handled as dpdaction=hold`);
    }

    const unsupported: string[] = [];
    for (const s of c.settings.values()) if (s.match.def.status === "unsupported") unsupported.push(s.written);
    for (const list of c.appended.values()) for (const s of list) if (s.match.def.status === "unsupported") unsupported.push(s.written);

    return {
      name: c.name,
      file: c.section.file,
      line: c.section.line,
      auto: c.auto,
      ikev2,
      type,
      authby,
      left,
      right,
      ike: ike.list,
      ikeDefault: ike.dflt,
      phase2,
      esp: child.list,
      espDefault: child.dflt,
      pfs: this.bool("pfs", true),
      esn: this.enumv("esn", "either") as "yes" | "no" | "either",
      compress: this.bool("compress", false),
      lifetimes: {
        ikeLifetimeMs,
        ipsecLifetimeMs,
        rekeyMarginMs,
        rekeyFuzzPercent,
        rekey: this.bool("rekey", true),
        ipsecMaxBytes: big(maxBytes, true),
        ipsecMaxPackets: big(maxPackets, false),
      },
      dpd: { delayMs: dpdDelay, timeoutMs: dpdTimeout, action: dpdAction },
      keyingTries: this.num("keyingtries", 0),
      retransmit: {
        timeoutMs: retransmitTimeoutMs,
        intervalMs: this.time("retransmit-interval", DEFAULTS.retransmitIntervalMs, "ms"),
      },
      narrowing: this.bool("narrowing", false),
      modecfg: this.modecfg(),
      fragmentation: this.enumv("fragmentation", "yes") as "yes" | "no" | "force",
      encapsulation: this.enumv("encapsulation", "auto") as "yes" | "no" | "auto",
      mobike: this.bool("mobike", false),
      natKeepalive: this.bool("nat-keepalive", true),
      initialContact: this.bool("initial-contact", true),
      hostaddrfamily: family,
      replayWindow: this.num("replay-window", DEFAULTS.replayWindow),
      priority: this.num("priority", 0),
      negotiationShunt: this.enumv("negotiationshunt", "hold") as "passthrough" | "hold",
      failureShunt: this.enumv("failureshunt", "none") as NormalizedConn["failureShunt"],
      alsos: c.alsos,
      unsupported,
    };
  }
}

/** Normalize every conn of a loaded config. */
export function normalizeConfig(loaded: LoadedConfig, opts: NormalizeOptions = {}): NormalizedConfig {
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const setup = normalizeSetup(loaded);
  const conns: NormalizedConn[] = [];
  const failed: string[] = [];
  if (!loaded.ok) {
    return { setup, conns, failed: loaded.conns.map((c) => c.name), diagnostics, ok: false };
  }
  // Libreswan 4.10 built without IKEv1 ignores ikev1-policy= and drops IKEv1 packets, with a
  // warning (plutomain.c); so does this daemon until it speaks IKEv1 (4.10's default with IKEv1
  // compiled in is accept)
  const policy = loaded.parsed.setup.get("ikev1-policy");
  if (policy !== undefined && setup.ikev1Policy !== "drop") {
    diagnostics.push(diag("warning", policy, `ikev1-policy=${setup.ikev1Policy} is not supported yet (IKEv1): incoming IKEv1 packets are dropped`, { keyword: "ikev1-policy" }));
  }
  for (const rc of loaded.conns) {
    const n = new ConnNormalizer(rc, opts, setup);
    const conn = n.run();
    diagnostics.push(...n.diagnostics);
    if (!conn.ikev2 && setup.ikev1Policy !== "accept") {
      diagnostics.push(
        diag(
          "warning",
          rc.settings.get("keyexchange") ?? { file: rc.section.file, line: rc.section.line, column: 1 },
          `conn '${rc.name}': IKEv1 connection, but ikev1-policy=${setup.ikev1Policy} (set ikev1-policy=accept in config setup)`,
          { conn: rc.name },
        ),
      );
    }
    // what the daemon will refuse or ignore, said now, in the daemon's words
    if (rc.ok && !n.diagnostics.some((d) => d.severity === "error")) {
      const at = (k: string) => rc.settings.get(k) ?? { file: rc.section.file, line: rc.section.line, column: 1 };
      const list = cannotYet(conn).map((u) => ({ u, at: at(u.keyword) })).sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
      for (const { u, at: where } of list) {
        diagnostics.push(diag("warning", where, `conn '${rc.name}': ${u.message}${u.refused ? ": pluto will not load this connection" : ""}`, { conn: rc.name, keyword: u.keyword }));
      }
    }
    if (rc.ok && !n.diagnostics.some((d) => d.severity === "error")) conns.push(conn);
    else failed.push(rc.name);
  }
  return { setup, conns, failed, diagnostics, ok: !diagnostics.some((d) => d.severity === "error") };
}

/** Read, resolve and normalize a config file in one go. */
export function loadConfig(path: string, io: ConfigIO, opts: NormalizeOptions = {}): NormalizedConfig & { loaded: LoadedConfig } {
  const loaded = loadIpsecConf(path, io);
  return { ...normalizeConfig(loaded, opts), loaded };
}

export function loadConfigText(path: string, text: string, io?: ConfigIO, opts: NormalizeOptions = {}): NormalizedConfig & { loaded: LoadedConfig } {
  const loaded = loadIpsecConfText(path, text, io);
  return { ...normalizeConfig(loaded, opts), loaded };
}
