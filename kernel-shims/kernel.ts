// The kernel interface the daemon programs IPsec through: SAs and policies described as plain
// objects, async methods, and one callback for what the kernel tells us unasked (ACQUIRE,
// EXPIRE). Two implementations: `memory.ts` (tables in this process, the default wherever XFRM
// cannot be used) and `xfrm-kernel.ts` (XFRM netlink over a host's socket, `netlink-node.ts`).
//
// Runtime-neutral: no Node or Deno APIs here.

import { canonicalAddress, canonicalPrefix } from "./address.ts";

/** An IP address as text: "192.0.2.1" or "2001:db8::1". */
export type Address = string;

/** The IPsec protocols an SA can be; only ESP is negotiated by IKEv2 here, AH is accepted. */
export type IpsecProto = "esp" | "ah";

export type Mode = "transport" | "tunnel";

export type PolicyDir = "in" | "out" | "fwd";

/**
 * A traffic selector as XFRM holds it: one source prefix, one destination prefix, optionally an
 * upper-layer protocol and single ports (IKEv2 TS ranges are narrowed to these by the caller).
 * Both prefixes must be of one family.
 */
export interface Selector {
  /** "10.1.0.0/16", "2001:db8::/32", or an address alone for a /32 or /128. */
  src: string;
  dst: string;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...); 0 or absent: any. */
  proto?: number;
  /** A single port; absent: any. */
  sport?: number;
  dport?: number;
  /** Interface index the selector is bound to; 0 or absent: any. */
  ifindex?: number;
}

/**
 * Lifetimes in the kernel's units: bytes, packets, seconds. An absent field is no limit (sent as
 * XFRM_INF for bytes and packets, 0 for seconds, as `ip xfrm` sends them); a soft limit raises a
 * soft EXPIRE (rekey now), a hard one a hard EXPIRE after which the kernel has deleted the SA.
 */
export interface Lifetimes {
  softBytes?: bigint;
  hardBytes?: bigint;
  softPackets?: bigint;
  hardPackets?: bigint;
  softAddSeconds?: bigint;
  hardAddSeconds?: bigint;
  softUseSeconds?: bigint;
  hardUseSeconds?: bigint;
}

/** XFRMA_MARK: the SA or policy only matches packets whose mark & mask == value. */
export interface Mark {
  value: number;
  mask: number;
}

/** An IKEv2 encryption transform (RFC 7296 Transform Type 1) with the Child SA's key. */
export interface EncrAlg {
  /** IKEv2 transform ID: 12 ENCR_AES_CBC, 20 ENCR_AES_GCM_16, 28 ENCR_CHACHA20_POLY1305, ... */
  id: number;
  /**
   * The key as KEYMAT yields it for this transform, salt included: AES-GCM is key|4-byte salt,
   * AES-CTR key|4-byte nonce, ChaCha20-Poly1305 32-byte key|4-byte salt.
   */
  key: Uint8Array;
}

/** An IKEv2 integrity transform (Transform Type 3) with its key. Absent for AEAD transforms. */
export interface IntegAlg {
  /** IKEv2 transform ID: 2 AUTH_HMAC_SHA1_96, 12 AUTH_HMAC_SHA2_256_128, ... */
  id: number;
  key: Uint8Array;
}

/** NAT-T (RFC 3948): ESP in UDP between these ports. */
export interface Encap {
  sport: number;
  dport: number;
  /** Original address (NAT-OA); absent: unspecified. */
  oa?: Address;
}

/** What identifies an SA: destination, SPI and protocol (the kernel's key), plus the source. */
export interface SaId {
  src: Address;
  dst: Address;
  /** The SPI as a number, 0 .. 2^32-1 (sent in network order). */
  spi: number;
  proto?: IpsecProto;
  mark?: Mark;
}

/** A Child SA as the kernel is to hold it (one direction). */
export interface SaSpec extends SaId {
  mode: Mode;
  /** Ties the SA to the policies' templates; 0 means any. */
  reqid: number;
  encr: EncrAlg;
  integ?: IntegAlg;
  encap?: Encap;
  /**
   * The SA's own selector. Absent: all zeros, and the kernel fills in src/32 -> dst/32 (it does
   * so for transport mode; tunnel mode SAs are normally left open this way too).
   */
  selector?: Selector;
  lifetime?: Lifetimes;
  /** Anti-replay window in packets; 0 disables it (typical for outbound SAs). */
  replayWindow?: number;
  /** Extended sequence numbers (RFC 4303): requires XFRMA_REPLAY_ESN_VAL, always sent then. */
  esn?: boolean;
  /** Raw XFRM_STATE_* flags OR'd into xfrm_usersa_info.flags (e.g. 1 NOECN, 32 AF_UNSPEC). */
  extraFlags?: number;
}

/** The kernel's counters of an SA (xfrm_lifetime_cur). Always zero in the memory kernel. */
export interface SaCounters {
  bytes: bigint;
  packets: bigint;
  /** Seconds since the epoch when the SA was added, and when it was first used (0: never). */
  addTime: bigint;
  useTime: bigint;
}

/** XFRM_MSG_ALLOCSPI: reserve an unused SPI in [min, max] for an inbound SA to be added later. */
export interface SpiRequest {
  src: Address;
  dst: Address;
  proto?: IpsecProto;
  reqid?: number;
  mode?: Mode;
  /** Defaults: 0x100 .. 0xffffffff. */
  min?: number;
  max?: number;
}

/** One IPsec transform a policy requires (xfrm_user_tmpl). */
export interface PolicyTemplate {
  /** Tunnel mode: the outer addresses. Transport mode: leave both absent (any). */
  src?: Address;
  dst?: Address;
  proto?: IpsecProto;
  mode: Mode;
  reqid: number;
  /** 0 or absent: any SPI. */
  spi?: number;
  /** Inbound templates can be optional (e.g. IPComp); ESP templates are not. */
  optional?: boolean;
}

/** What identifies a policy: the selector, the direction and the mark. */
export interface PolicyId {
  selector: Selector;
  dir: PolicyDir;
  mark?: Mark;
}

export interface PolicySpec extends PolicyId {
  /** Lower wins; 0 if absent. */
  priority?: number;
  /** "allow" (with templates: IPsec) or "block". */
  action?: "allow" | "block";
  templates?: PolicyTemplate[];
  lifetime?: Lifetimes;
}

/**
 * XFRM_MSG_ACQUIRE: outbound traffic matched a policy whose template has no SA. The daemon
 * should negotiate a Child SA for `selector` (the packet's flow) under `policy`.
 */
export interface AcquireEvent {
  kind: "acquire";
  /** The template's outer addresses and protocol. */
  src: Address;
  dst: Address;
  proto: IpsecProto | number;
  /** The packet's flow (single addresses, ports if any). */
  selector: Selector;
  policy: PolicySpec & { index: number };
  /** The kernel's acquire sequence number, to be echoed in the SA it asked for (optional). */
  seq: number;
}

/** XFRM_MSG_EXPIRE: an SA hit a soft (rekey) or hard (gone) limit. */
export interface ExpireEvent {
  kind: "expire";
  hard: boolean;
  src: Address;
  dst: Address;
  spi: number;
  proto: IpsecProto | number;
  reqid: number;
  mode: Mode | number;
  counters: SaCounters;
}

/** The event socket overflowed (ENOBUFS) or failed: events were lost; resynchronise. */
export interface LostEvent {
  kind: "lost";
  reason: string;
}

export type KernelEvent = AcquireEvent | ExpireEvent | LostEvent;

export type KernelEventHandler = (event: KernelEvent) => void;

export interface Kernel {
  /** XFRM_MSG_NEWSA: fails with EEXIST if (dst, spi, proto) is taken (also by ALLOCSPI). */
  addSa(sa: SaSpec): Promise<void>;
  /** XFRM_MSG_UPDSA: completes an SA whose SPI came from allocSpi, or replaces one; ESRCH if none. */
  updateSa(sa: SaSpec): Promise<void>;
  /** XFRM_MSG_DELSA: ESRCH if there is no such SA. */
  deleteSa(id: SaId): Promise<void>;
  /** XFRM_MSG_GETSA: the SA's byte and packet counters; ESRCH if there is no such SA. */
  getSaCounters(id: SaId): Promise<SaCounters>;
  /** XFRM_MSG_ALLOCSPI: a fresh SPI, held by a larval SA until updateSa or its expiry. */
  allocSpi(req: SpiRequest): Promise<number>;
  /** XFRM_MSG_NEWPOLICY (or UPDPOLICY with `update`): EEXIST if (selector, dir, mark) is taken. */
  addPolicy(policy: PolicySpec, options?: { update?: boolean }): Promise<void>;
  /** XFRM_MSG_DELPOLICY: ENOENT if there is no such policy. */
  deletePolicy(id: PolicyId): Promise<void>;
  /** Deletes every SA and policy this Kernel object created and has not deleted; nothing else. */
  flushOurs(): Promise<void>;
  /** Where ACQUIRE, EXPIRE and lost-event notices go. One handler; a later call replaces it. */
  onEvent(handler: KernelEventHandler | undefined): void;
  close(): Promise<void>;
}

/** A refusal by the kernel (or by the memory kernel, which uses the same errnos). */
export class KernelError extends Error {
  override readonly name = "KernelError";
  constructor(
    /** What was asked, e.g. "XFRM_MSG_NEWSA". */
    readonly op: string,
    /** Positive errno. */
    readonly errno: number,
    /** "EEXIST", "ESRCH", ... */
    readonly code: string,
    /** The kernel's extended ack text, if it sent one ("Requested type not found"). */
    readonly detail?: string,
  ) {
    super(`${op}: ${code}${detail ? ` (${detail})` : ""}`);
  }
}

/** Canonical key of an SA for tables: "esp:192.0.2.2:0x12345678" (the kernel's lookup key). */
export function saKey(id: { dst: Address; spi: number; proto?: IpsecProto }, mark?: Mark): string {
  const m = mark ? `/${mark.value >>> 0}:${mark.mask >>> 0}` : "";
  return `${id.proto ?? "esp"}:${canonicalAddress(id.dst)}:0x${(id.spi >>> 0).toString(16).padStart(8, "0")}${m}`;
}

/** Canonical key of a policy for tables: direction, selector fields, mark. */
export function policyKey(id: PolicyId): string {
  const s = id.selector;
  const m = id.mark ? `/${id.mark.value >>> 0}:${id.mark.mask >>> 0}` : "";
  return `${id.dir}:${canonicalPrefix(s.src)}>${canonicalPrefix(s.dst)}:${s.proto ?? 0}:${s.sport ?? "*"}>${s.dport ?? "*"}:${s.ifindex ?? 0}${m}`;
}
