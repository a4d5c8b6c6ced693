// XFRM netlink messages (linux/xfrm.h, linux/netlink.h): encoding the requests the daemon sends
// and decoding the replies and the multicast events it receives. Runtime-neutral: bytes in,
// bytes out, no sockets.
//
// Byte order: netlink and XFRM structs are in host order (little-endian on x86-64 and arm64),
// except what xfrm.h marks __be: addresses (xfrm_address_t), SPIs and ports, which are in network
// order. Every struct offset below is a C member designator; test/kernel/layout.test.ts compiles
// a C program from these tables and checks each size and offset against gcc's.

import {
  AF_INET,
  AF_INET6,
  formatAddress,
  parseAddress,
  parsePrefix,
  type ParsedAddress,
} from "./address.ts";
import type {
  AcquireEvent,
  Address,
  EncrAlg,
  ExpireEvent,
  IntegAlg,
  IpsecProto,
  Lifetimes,
  Mark,
  Mode,
  PolicyDir,
  PolicyId,
  PolicySpec,
  PolicyTemplate,
  SaCounters,
  SaId,
  SaSpec,
  Selector,
  SpiRequest,
} from "./kernel.ts";

// ---------------------------------------------------------------------------------------------
// Constants (values from linux/netlink.h and linux/xfrm.h)

export const NETLINK_XFRM = 6;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** On NLMSG_ERROR: the original request is cut to its header. */
export const NLM_F_CAPPED = 0x100;
/** On NLMSG_ERROR: extended-ack TLVs follow the (possibly capped) request. */
export const NLM_F_ACK_TLVS = 0x200;

export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const XFRM_MSG_NEWSA = 0x10;
export const XFRM_MSG_DELSA = 0x11;
export const XFRM_MSG_GETSA = 0x12;
export const XFRM_MSG_NEWPOLICY = 0x13;
export const XFRM_MSG_DELPOLICY = 0x14;
export const XFRM_MSG_GETPOLICY = 0x15;
export const XFRM_MSG_ALLOCSPI = 0x16;
export const XFRM_MSG_ACQUIRE = 0x17;
export const XFRM_MSG_EXPIRE = 0x18;
export const XFRM_MSG_UPDPOLICY = 0x19;
export const XFRM_MSG_UPDSA = 0x1a;
export const XFRM_MSG_POLEXPIRE = 0x1b;
export const XFRM_MSG_FLUSHSA = 0x1c;
export const XFRM_MSG_FLUSHPOLICY = 0x1d;

export const XFRMA_ALG_AUTH = 1;
export const XFRMA_ALG_CRYPT = 2;
export const XFRMA_ALG_COMP = 3;
export const XFRMA_ENCAP = 4;
export const XFRMA_TMPL = 5;
export const XFRMA_SA = 6;
export const XFRMA_POLICY = 7;
export const XFRMA_SEC_CTX = 8;
export const XFRMA_LTIME_VAL = 9;
export const XFRMA_REPLAY_VAL = 10;
export const XFRMA_SRCADDR = 13;
export const XFRMA_POLICY_TYPE = 16;
export const XFRMA_ALG_AEAD = 18;
export const XFRMA_ALG_AUTH_TRUNC = 20;
export const XFRMA_MARK = 21;
export const XFRMA_REPLAY_ESN_VAL = 23;
export const XFRMA_SA_EXTRA_FLAGS = 24;
export const XFRMA_IF_ID = 31;

export const XFRMNLGRP_ACQUIRE = 1;
export const XFRMNLGRP_EXPIRE = 2;
export const XFRMNLGRP_SA = 3;
export const XFRMNLGRP_POLICY = 4;

export const XFRM_MODE_TRANSPORT = 0;
export const XFRM_MODE_TUNNEL = 1;

export const XFRM_POLICY_IN = 0;
export const XFRM_POLICY_OUT = 1;
export const XFRM_POLICY_FWD = 2;
export const XFRM_POLICY_ALLOW = 0;
export const XFRM_POLICY_BLOCK = 1;

export const XFRM_STATE_ESN = 128;

/** UDP_ENCAP_ESPINUDP (linux/udp.h): RFC 3948 ESP in UDP with the non-ESP marker on port 4500. */
export const UDP_ENCAP_ESPINUDP = 2;

export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_COMP = 108;

/** XFRM_INF: no limit. */
export const XFRM_INF = 0xffff_ffff_ffff_ffffn;

// ---------------------------------------------------------------------------------------------
// Struct layouts (x86-64 / LP64: the u64 members of xfrm_lifetime_cfg make xfrm_usersa_info 224
// bytes, with 7 bytes of tail padding after `flags`; 32-bit x86 has 220, which is why a 64-bit
// kernel needs CONFIG_XFRM_USER_COMPAT for 32-bit daemons).

export const NLMSGHDR = { size: 16, nlmsg_len: 0, nlmsg_type: 4, nlmsg_flags: 6, nlmsg_seq: 8, nlmsg_pid: 12 } as const;
export const NLMSGERR = { size: 20, error: 0, msg: 4 } as const;
export const NLATTR = { size: 4, nla_len: 0, nla_type: 2 } as const;

export const XFRM_SELECTOR = {
  size: 56,
  daddr: 0,
  saddr: 16,
  dport: 32,
  dport_mask: 34,
  sport: 36,
  sport_mask: 38,
  family: 40,
  prefixlen_d: 42,
  prefixlen_s: 43,
  proto: 44,
  ifindex: 48,
  user: 52,
} as const;

export const XFRM_ID = { size: 24, daddr: 0, spi: 16, proto: 20 } as const;

export const XFRM_LIFETIME_CFG = {
  size: 64,
  soft_byte_limit: 0,
  hard_byte_limit: 8,
  soft_packet_limit: 16,
  hard_packet_limit: 24,
  soft_add_expires_seconds: 32,
  hard_add_expires_seconds: 40,
  soft_use_expires_seconds: 48,
  hard_use_expires_seconds: 56,
} as const;

export const XFRM_LIFETIME_CUR = { size: 32, bytes: 0, packets: 8, add_time: 16, use_time: 24 } as const;

export const XFRM_USERSA_INFO = {
  size: 224,
  sel: 0,
  id: 56,
  "id.daddr": 56,
  "id.spi": 72,
  "id.proto": 76,
  saddr: 80,
  lft: 96,
  curlft: 160,
  stats: 192,
  seq: 204,
  reqid: 208,
  family: 212,
  mode: 214,
  replay_window: 215,
  flags: 216,
} as const;

export const XFRM_USERSA_ID = { size: 24, daddr: 0, spi: 16, family: 20, proto: 22 } as const;

export const XFRM_USERSPI_INFO = { size: 232, info: 0, min: 224, max: 228 } as const;

export const XFRM_USERPOLICY_INFO = {
  size: 168,
  sel: 0,
  lft: 56,
  curlft: 120,
  priority: 152,
  index: 156,
  dir: 160,
  action: 161,
  flags: 162,
  share: 163,
} as const;

export const XFRM_USERPOLICY_ID = { size: 64, sel: 0, index: 56, dir: 60 } as const;

export const XFRM_USER_TMPL = {
  size: 64,
  id: 0,
  "id.daddr": 0,
  "id.spi": 16,
  "id.proto": 20,
  family: 24,
  saddr: 28,
  reqid: 44,
  mode: 48,
  share: 49,
  optional: 50,
  aalgos: 52,
  ealgos: 56,
  calgos: 60,
} as const;

export const XFRM_ENCAP_TMPL = { size: 24, encap_type: 0, encap_sport: 2, encap_dport: 4, encap_oa: 8 } as const;

export const XFRM_ALGO = { size: 68, alg_name: 0, alg_key_len: 64, alg_key: 68 } as const;
export const XFRM_ALGO_AUTH = { size: 72, alg_name: 0, alg_key_len: 64, alg_trunc_len: 68, alg_key: 72 } as const;
export const XFRM_ALGO_AEAD = { size: 72, alg_name: 0, alg_key_len: 64, alg_icv_len: 68, alg_key: 72 } as const;

export const XFRM_REPLAY_STATE_ESN = {
  size: 24,
  bmp_len: 0,
  oseq: 4,
  seq: 8,
  oseq_hi: 12,
  seq_hi: 16,
  replay_window: 20,
  bmp: 24,
} as const;

export const XFRM_USER_ACQUIRE = {
  size: 280,
  id: 0,
  saddr: 24,
  sel: 40,
  policy: 96,
  aalgos: 264,
  ealgos: 268,
  calgos: 272,
  seq: 276,
} as const;

export const XFRM_USER_EXPIRE = { size: 232, state: 0, hard: 224 } as const;

export const XFRM_MARK = { size: 8, v: 0, m: 4 } as const;

/** Every layout above by its C struct name (`xfrm_address_t` is a typedef, checked separately). */
export const LAYOUTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  nlmsghdr: NLMSGHDR,
  nlmsgerr: NLMSGERR,
  nlattr: NLATTR,
  xfrm_selector: XFRM_SELECTOR,
  xfrm_id: XFRM_ID,
  xfrm_lifetime_cfg: XFRM_LIFETIME_CFG,
  xfrm_lifetime_cur: XFRM_LIFETIME_CUR,
  xfrm_usersa_info: XFRM_USERSA_INFO,
  xfrm_usersa_id: XFRM_USERSA_ID,
  xfrm_userspi_info: XFRM_USERSPI_INFO,
  xfrm_userpolicy_info: XFRM_USERPOLICY_INFO,
  xfrm_userpolicy_id: XFRM_USERPOLICY_ID,
  xfrm_user_tmpl: XFRM_USER_TMPL,
  xfrm_encap_tmpl: XFRM_ENCAP_TMPL,
  xfrm_algo: XFRM_ALGO,
  xfrm_algo_auth: XFRM_ALGO_AUTH,
  xfrm_algo_aead: XFRM_ALGO_AEAD,
  xfrm_replay_state_esn: XFRM_REPLAY_STATE_ESN,
  xfrm_user_acquire: XFRM_USER_ACQUIRE,
  xfrm_user_expire: XFRM_USER_EXPIRE,
  xfrm_mark: XFRM_MARK,
};

export const XFRM_ADDRESS_SIZE = 16;

/** The kernel wants host order for every non-__be field. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LE = HOST_LITTLE_ENDIAN;

const NLA_ALIGNTO = 4;
export function nlaAlign(n: number): number {
  return (n + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}
/** NLMSG_ALIGN is also 4. */
export const nlmsgAlign = nlaAlign;

// ---------------------------------------------------------------------------------------------
// Errno names (Linux asm-generic/errno-base.h and errno.h), for messages and KernelError.code.

const ERRNO: ReadonlyMap<number, [string, string]> = new Map([
  [1, ["EPERM", "Operation not permitted"]],
  [2, ["ENOENT", "No such file or directory"]],
  [3, ["ESRCH", "No such process"]],
  [4, ["EINTR", "Interrupted system call"]],
  [5, ["EIO", "Input/output error"]],
  [6, ["ENXIO", "No such device or address"]],
  [7, ["E2BIG", "Argument list too long"]],
  [9, ["EBADF", "Bad file descriptor"]],
  [11, ["EAGAIN", "Resource temporarily unavailable"]],
  [12, ["ENOMEM", "Cannot allocate memory"]],
  [13, ["EACCES", "Permission denied"]],
  [14, ["EFAULT", "Bad address"]],
  [16, ["EBUSY", "Device or resource busy"]],
  [17, ["EEXIST", "File exists"]],
  [19, ["ENODEV", "No such device"]],
  [22, ["EINVAL", "Invalid argument"]],
  [28, ["ENOSPC", "No space left on device"]],
  [34, ["ERANGE", "Numerical result out of range"]],
  [38, ["ENOSYS", "Function not implemented"]],
  [61, ["ENODATA", "No data available"]],
  [71, ["EPROTO", "Protocol error"]],
  [90, ["EMSGSIZE", "Message too long"]],
  [92, ["ENOPROTOOPT", "Protocol not available"]],
  [93, ["EPROTONOSUPPORT", "Protocol not supported"]],
  [95, ["EOPNOTSUPP", "Operation not supported"]],
  [97, ["EAFNOSUPPORT", "Address family not supported by protocol"]],
  [98, ["EADDRINUSE", "Address already in use"]],
  [99, ["EADDRNOTAVAIL", "Cannot assign requested address"]],
  [101, ["ENETUNREACH", "Network is unreachable"]],
  [105, ["ENOBUFS", "No buffer space available"]],
  [110, ["ETIMEDOUT", "Connection timed out"]],
  [113, ["EHOSTUNREACH", "No route to host"]],
  [114, ["EALREADY", "Operation already in progress"]],
  [115, ["EINPROGRESS", "Operation now in progress"]],
  [524, ["ENOTSUPP", "Operation is not supported (kernel-internal)"]],
]);

/** "EEXIST" for 17 (sign ignored); "E#n" for numbers not in the table. */
export function errnoName(errno: number): string {
  return ERRNO.get(Math.abs(errno))?.[0] ?? `E#${Math.abs(errno)}`;
}

export function errnoMessage(errno: number): string {
  return ERRNO.get(Math.abs(errno))?.[1] ?? `errno ${Math.abs(errno)}`;
}

export function errnoNumber(name: string): number | undefined {
  for (const [n, [nm]] of ERRNO) if (nm === name) return n;
  return undefined;
}

const MSG_NAMES: ReadonlyMap<number, string> = new Map([
  [NLMSG_NOOP, "NLMSG_NOOP"],
  [NLMSG_ERROR, "NLMSG_ERROR"],
  [NLMSG_DONE, "NLMSG_DONE"],
  [NLMSG_OVERRUN, "NLMSG_OVERRUN"],
  [XFRM_MSG_NEWSA, "XFRM_MSG_NEWSA"],
  [XFRM_MSG_DELSA, "XFRM_MSG_DELSA"],
  [XFRM_MSG_GETSA, "XFRM_MSG_GETSA"],
  [XFRM_MSG_NEWPOLICY, "XFRM_MSG_NEWPOLICY"],
  [XFRM_MSG_DELPOLICY, "XFRM_MSG_DELPOLICY"],
  [XFRM_MSG_GETPOLICY, "XFRM_MSG_GETPOLICY"],
  [XFRM_MSG_ALLOCSPI, "XFRM_MSG_ALLOCSPI"],
  [XFRM_MSG_ACQUIRE, "XFRM_MSG_ACQUIRE"],
  [XFRM_MSG_EXPIRE, "XFRM_MSG_EXPIRE"],
  [XFRM_MSG_UPDPOLICY, "XFRM_MSG_UPDPOLICY"],
  [XFRM_MSG_UPDSA, "XFRM_MSG_UPDSA"],
  [XFRM_MSG_POLEXPIRE, "XFRM_MSG_POLEXPIRE"],
  [XFRM_MSG_FLUSHSA, "XFRM_MSG_FLUSHSA"],
  [XFRM_MSG_FLUSHPOLICY, "XFRM_MSG_FLUSHPOLICY"],
]);

export function messageTypeName(type: number): string {
  return MSG_NAMES.get(type) ?? `type ${type}`;
}

// ---------------------------------------------------------------------------------------------
// Algorithms: IKEv2 transform IDs (IANA "Transform Type 1/3") -> the kernel's crypto API names.

export interface KernelEncr {
  /** IANA name, for messages. */
  ikeName: string;
  /** The name the kernel's crypto API knows it by. */
  kernelName: string;
  /** Allowed cipher key sizes in bits, salt excluded. */
  keyBits: readonly number[];
  /** Bytes of salt/nonce that follow the key in KEYMAT (RFC 4106, 4309, 3686, 7634). */
  saltBytes: number;
  /** AEAD: the ICV length in bits (XFRMA_ALG_AEAD); otherwise XFRMA_ALG_CRYPT. */
  icvBits?: number;
}

export interface KernelInteg {
  ikeName: string;
  kernelName: string;
  keyBits: number;
  truncBits: number;
}

export const ENCR_ALGORITHMS: ReadonlyMap<number, KernelEncr> = new Map([
  [3, { ikeName: "ENCR_3DES", kernelName: "cbc(des3_ede)", keyBits: [192], saltBytes: 0 }],
  [11, { ikeName: "ENCR_NULL", kernelName: "ecb(cipher_null)", keyBits: [0], saltBytes: 0 }],
  [12, { ikeName: "ENCR_AES_CBC", kernelName: "cbc(aes)", keyBits: [128, 192, 256], saltBytes: 0 }],
  [13, { ikeName: "ENCR_AES_CTR", kernelName: "rfc3686(ctr(aes))", keyBits: [128, 192, 256], saltBytes: 4 }],
  [14, { ikeName: "ENCR_AES_CCM_8", kernelName: "rfc4309(ccm(aes))", keyBits: [128, 192, 256], saltBytes: 3, icvBits: 64 }],
  [15, { ikeName: "ENCR_AES_CCM_12", kernelName: "rfc4309(ccm(aes))", keyBits: [128, 192, 256], saltBytes: 3, icvBits: 96 }],
  [16, { ikeName: "ENCR_AES_CCM_16", kernelName: "rfc4309(ccm(aes))", keyBits: [128, 192, 256], saltBytes: 3, icvBits: 128 }],
  [18, { ikeName: "ENCR_AES_GCM_8", kernelName: "rfc4106(gcm(aes))", keyBits: [128, 192, 256], saltBytes: 4, icvBits: 64 }],
  [19, { ikeName: "ENCR_AES_GCM_12", kernelName: "rfc4106(gcm(aes))", keyBits: [128, 192, 256], saltBytes: 4, icvBits: 96 }],
  [20, { ikeName: "ENCR_AES_GCM_16", kernelName: "rfc4106(gcm(aes))", keyBits: [128, 192, 256], saltBytes: 4, icvBits: 128 }],
  [21, { ikeName: "ENCR_NULL_AUTH_AES_GMAC", kernelName: "rfc4543(gcm(aes))", keyBits: [128, 192, 256], saltBytes: 4, icvBits: 128 }],
  [23, { ikeName: "ENCR_CAMELLIA_CBC", kernelName: "cbc(camellia)", keyBits: [128, 192, 256], saltBytes: 0 }],
  [24, { ikeName: "ENCR_CAMELLIA_CTR", kernelName: "rfc3686(ctr(camellia))", keyBits: [128, 192, 256], saltBytes: 4 }],
  [28, { ikeName: "ENCR_CHACHA20_POLY1305", kernelName: "rfc7539esp(chacha20,poly1305)", keyBits: [256], saltBytes: 4, icvBits: 128 }],
]);

export const INTEG_ALGORITHMS: ReadonlyMap<number, KernelInteg> = new Map([
  [1, { ikeName: "AUTH_HMAC_MD5_96", kernelName: "hmac(md5)", keyBits: 128, truncBits: 96 }],
  [2, { ikeName: "AUTH_HMAC_SHA1_96", kernelName: "hmac(sha1)", keyBits: 160, truncBits: 96 }],
  [5, { ikeName: "AUTH_AES_XCBC_96", kernelName: "xcbc(aes)", keyBits: 128, truncBits: 96 }],
  [8, { ikeName: "AUTH_AES_CMAC_96", kernelName: "cmac(aes)", keyBits: 128, truncBits: 96 }],
  [12, { ikeName: "AUTH_HMAC_SHA2_256_128", kernelName: "hmac(sha256)", keyBits: 256, truncBits: 128 }],
  [13, { ikeName: "AUTH_HMAC_SHA2_384_192", kernelName: "hmac(sha384)", keyBits: 384, truncBits: 192 }],
  [14, { ikeName: "AUTH_HMAC_SHA2_512_256", kernelName: "hmac(sha512)", keyBits: 512, truncBits: 256 }],
]);

/** Looks up an encryption transform and checks the key's length (salt included). */
export function kernelEncr(encr: EncrAlg): KernelEncr {
  const a = ENCR_ALGORITHMS.get(encr.id);
  if (!a) throw new RangeError(`IKEv2 encryption transform ${encr.id} has no XFRM equivalent here`);
  const bits = (encr.key.length - a.saltBytes) * 8;
  if (!a.keyBits.includes(bits)) {
    const want = a.keyBits.map((b) => b / 8 + a.saltBytes).join(" or ");
    throw new RangeError(`${a.ikeName} needs a key of ${want} bytes (salt included), got ${encr.key.length}`);
  }
  return a;
}

export function kernelInteg(integ: IntegAlg): KernelInteg {
  const a = INTEG_ALGORITHMS.get(integ.id);
  if (!a) throw new RangeError(`IKEv2 integrity transform ${integ.id} has no XFRM equivalent here`);
  if (integ.key.length * 8 !== a.keyBits) {
    throw new RangeError(`${a.ikeName} needs a key of ${a.keyBits / 8} bytes, got ${integ.key.length}`);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Small encoders

export function protoNumber(p: IpsecProto | undefined): number {
  return p === "ah" ? IPPROTO_AH : IPPROTO_ESP;
}

export function protoName(n: number): IpsecProto | number {
  return n === IPPROTO_ESP ? "esp" : n === IPPROTO_AH ? "ah" : n;
}

export function modeNumber(m: Mode | undefined): number {
  return m === "tunnel" ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
}

export function modeName(n: number): Mode | number {
  return n === XFRM_MODE_TUNNEL ? "tunnel" : n === XFRM_MODE_TRANSPORT ? "transport" : n;
}

export function dirNumber(d: PolicyDir): number {
  return d === "in" ? XFRM_POLICY_IN : d === "out" ? XFRM_POLICY_OUT : XFRM_POLICY_FWD;
}

export function dirName(n: number): PolicyDir {
  return n === XFRM_POLICY_IN ? "in" : n === XFRM_POLICY_OUT ? "out" : "fwd";
}

function putAddress(b: Uint8Array, off: number, a: ParsedAddress): void {
  b.set(a.bytes, off);
}

function sameFamily(what: string, a: ParsedAddress, b: ParsedAddress): number {
  if (a.family !== b.family) throw new RangeError(`${what}: source and destination are of different families`);
  return a.family;
}

function checkPort(what: string, p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`${what}: port ${p} out of range`);
  return p;
}

function checkU32(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`${what}: ${n} is not a 32-bit unsigned number`);
  return n;
}

/** struct xfrm_selector. Absent: all zeros (the kernel fills an SA's in). */
function putSelector(b: Uint8Array, v: DataView, off: number, sel: Selector | undefined): void {
  if (!sel) return;
  const S = XFRM_SELECTOR;
  const src = parsePrefix(sel.src);
  const dst = parsePrefix(sel.dst);
  const family = sameFamily("selector", src, dst);
  putAddress(b, off + S.daddr, dst);
  putAddress(b, off + S.saddr, src);
  if (sel.dport !== undefined) {
    v.setUint16(off + S.dport, checkPort("selector dport", sel.dport), false);
    v.setUint16(off + S.dport_mask, 0xffff, false);
  }
  if (sel.sport !== undefined) {
    v.setUint16(off + S.sport, checkPort("selector sport", sel.sport), false);
    v.setUint16(off + S.sport_mask, 0xffff, false);
  }
  v.setUint16(off + S.family, family, LE);
  b[off + S.prefixlen_d] = dst.prefixLen;
  b[off + S.prefixlen_s] = src.prefixLen;
  b[off + S.proto] = sel.proto ?? 0;
  v.setInt32(off + S.ifindex, sel.ifindex ?? 0, LE);
}

/**
 * struct xfrm_lifetime_cfg. "No limit" is XFRM_INF for the byte and packet limits and 0 for the
 * seconds (the kernel arms no timer for 0), as `ip xfrm` sends them.
 */
function putLifetimeCfg(v: DataView, off: number, l: Lifetimes | undefined): void {
  const L = XFRM_LIFETIME_CFG;
  const put = (at: number, x: bigint | undefined, none: bigint) => v.setBigUint64(off + at, x ?? none, LE);
  put(L.soft_byte_limit, l?.softBytes, XFRM_INF);
  put(L.hard_byte_limit, l?.hardBytes, XFRM_INF);
  put(L.soft_packet_limit, l?.softPackets, XFRM_INF);
  put(L.hard_packet_limit, l?.hardPackets, XFRM_INF);
  put(L.soft_add_expires_seconds, l?.softAddSeconds, 0n);
  put(L.hard_add_expires_seconds, l?.hardAddSeconds, 0n);
  put(L.soft_use_expires_seconds, l?.softUseSeconds, 0n);
  put(L.hard_use_expires_seconds, l?.hardUseSeconds, 0n);
}

function cString(b: Uint8Array, off: number, size: number, s: string): void {
  if (s.length >= size || !/^[\x20-\x7e]*$/.test(s)) throw new RangeError(`bad name ${JSON.stringify(s)}`);
  for (let i = 0; i < s.length; i++) b[off + i] = s.charCodeAt(i);
}

/** One netlink attribute: nlattr header, payload, padding to NLA_ALIGN. */
export function nlattr(type: number, payload: Uint8Array): Uint8Array {
  const len = NLATTR.size + payload.length;
  const out = new Uint8Array(nlaAlign(len));
  const v = new DataView(out.buffer);
  v.setUint16(NLATTR.nla_len, len, LE);
  v.setUint16(NLATTR.nla_type, type, LE);
  out.set(payload, NLATTR.size);
  return out;
}

function u32Attr(type: number, n: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint32(0, n >>> 0, LE);
  return nlattr(type, p);
}

function markAttr(m: Mark): Uint8Array {
  const p = new Uint8Array(XFRM_MARK.size);
  const v = new DataView(p.buffer);
  v.setUint32(XFRM_MARK.v, checkU32("mark value", m.value), LE);
  v.setUint32(XFRM_MARK.m, checkU32("mark mask", m.mask), LE);
  return nlattr(XFRMA_MARK, p);
}

function addressAttr(type: number, a: ParsedAddress): Uint8Array {
  const p = new Uint8Array(XFRM_ADDRESS_SIZE);
  p.set(a.bytes, 0);
  return nlattr(type, p);
}

export interface NlHeaderFields {
  type: number;
  flags: number;
  seq: number;
  /** The sender's port id; 0 lets the kernel fill in ours (what iproute2 sends). */
  pid?: number;
}

/** A complete netlink message: nlmsghdr, the fixed struct, then attributes. */
export function nlmsg(h: NlHeaderFields, ...parts: Uint8Array[]): Uint8Array {
  const bodyLen = parts.reduce((n, p) => n + nlmsgAlign(p.length), 0);
  const out = new Uint8Array(NLMSGHDR.size + bodyLen);
  const v = new DataView(out.buffer);
  v.setUint32(NLMSGHDR.nlmsg_len, out.length, LE);
  v.setUint16(NLMSGHDR.nlmsg_type, h.type, LE);
  v.setUint16(NLMSGHDR.nlmsg_flags, h.flags, LE);
  v.setUint32(NLMSGHDR.nlmsg_seq, h.seq >>> 0, LE);
  v.setUint32(NLMSGHDR.nlmsg_pid, (h.pid ?? 0) >>> 0, LE);
  let off = NLMSGHDR.size;
  for (const p of parts) {
    out.set(p, off);
    off += nlmsgAlign(p.length);
  }
  return out;
}

export interface RequestHeader {
  seq: number;
  pid?: number;
}

// ---------------------------------------------------------------------------------------------
// SAs

/** struct xfrm_usersa_info for an SA. */
export function encodeUsersaInfo(sa: SaSpec): Uint8Array {
  const I = XFRM_USERSA_INFO;
  const b = new Uint8Array(I.size);
  const v = new DataView(b.buffer);
  const src = parseAddress(sa.src);
  const dst = parseAddress(sa.dst);
  const family = sameFamily("SA", src, dst);
  putSelector(b, v, I.sel, sa.selector);
  putAddress(b, I["id.daddr"], dst);
  v.setUint32(I["id.spi"], checkU32("SPI", sa.spi), false);
  b[I["id.proto"]] = protoNumber(sa.proto);
  putAddress(b, I.saddr, src);
  putLifetimeCfg(v, I.lft, sa.lifetime);
  v.setUint32(I.reqid, checkU32("reqid", sa.reqid), LE);
  v.setUint16(I.family, family, LE);
  b[I.mode] = modeNumber(sa.mode);
  const window = sa.replayWindow ?? 0;
  // The legacy replay state holds at most 32 packets; larger windows and ESN go in
  // XFRMA_REPLAY_ESN_VAL, and then the kernel wants this field 0.
  b[I.replay_window] = usesEsnAttr(sa) ? 0 : window;
  b[I.flags] = ((sa.esn ? XFRM_STATE_ESN : 0) | (sa.extraFlags ?? 0)) & 0xff;
  return b;
}

function usesEsnAttr(sa: SaSpec): boolean {
  return sa.esn === true || (sa.replayWindow ?? 0) > 32;
}

/** The attributes of NEWSA/UPDSA, in the order `ip xfrm state add` emits them. */
function saAttributes(sa: SaSpec): Uint8Array[] {
  const attrs: Uint8Array[] = [];
  const encr = kernelEncr(sa.encr);
  if (encr.icvBits !== undefined) {
    if (sa.integ) throw new RangeError(`${encr.ikeName} is an AEAD transform: no integrity transform goes with it`);
    const A = XFRM_ALGO_AEAD;
    const p = new Uint8Array(A.size + sa.encr.key.length);
    const v = new DataView(p.buffer);
    cString(p, A.alg_name, 64, encr.kernelName);
    v.setUint32(A.alg_key_len, sa.encr.key.length * 8, LE);
    v.setUint32(A.alg_icv_len, encr.icvBits, LE);
    p.set(sa.encr.key, A.alg_key);
    attrs.push(nlattr(XFRMA_ALG_AEAD, p));
  } else {
    if (!sa.integ) throw new RangeError(`${encr.ikeName} needs an integrity transform`);
    const A = XFRM_ALGO;
    const p = new Uint8Array(A.size + sa.encr.key.length);
    const v = new DataView(p.buffer);
    cString(p, A.alg_name, 64, encr.kernelName);
    v.setUint32(A.alg_key_len, sa.encr.key.length * 8, LE);
    p.set(sa.encr.key, A.alg_key);
    attrs.push(nlattr(XFRMA_ALG_CRYPT, p));
  }
  if (sa.integ) {
    const integ = kernelInteg(sa.integ);
    const A = XFRM_ALGO_AUTH;
    const p = new Uint8Array(A.size + sa.integ.key.length);
    const v = new DataView(p.buffer);
    cString(p, A.alg_name, 64, integ.kernelName);
    v.setUint32(A.alg_key_len, sa.integ.key.length * 8, LE);
    v.setUint32(A.alg_trunc_len, integ.truncBits, LE);
    p.set(sa.integ.key, A.alg_key);
    attrs.push(nlattr(XFRMA_ALG_AUTH_TRUNC, p));
  }
  if (sa.encap) {
    const E = XFRM_ENCAP_TMPL;
    const p = new Uint8Array(E.size);
    const v = new DataView(p.buffer);
    v.setUint16(E.encap_type, UDP_ENCAP_ESPINUDP, LE);
    v.setUint16(E.encap_sport, checkPort("encap sport", sa.encap.sport), false);
    v.setUint16(E.encap_dport, checkPort("encap dport", sa.encap.dport), false);
    if (sa.encap.oa) p.set(parseAddress(sa.encap.oa).bytes, E.encap_oa);
    attrs.push(nlattr(XFRMA_ENCAP, p));
  }
  if (usesEsnAttr(sa)) {
    // Sent without a bitmap (nla_len == sizeof(struct xfrm_replay_state_esn)), as iproute2 does:
    // the kernel accepts that length and allocates a zeroed bitmap of bmp_len words.
    const R = XFRM_REPLAY_STATE_ESN;
    const window = sa.replayWindow ?? 0;
    const p = new Uint8Array(R.size);
    const v = new DataView(p.buffer);
    v.setUint32(R.bmp_len, Math.ceil(window / 32), LE);
    v.setUint32(R.replay_window, window, LE);
    attrs.push(nlattr(XFRMA_REPLAY_ESN_VAL, p));
  }
  if (sa.mark) attrs.push(markAttr(sa.mark));
  return attrs;
}

/**
 * XFRM_MSG_NEWSA (or UPDSA with `update`), flags REQUEST|ACK:
 *   nlmsghdr, xfrm_usersa_info, [ALG_AEAD | ALG_CRYPT, ALG_AUTH_TRUNC], [ENCAP],
 *   [REPLAY_ESN_VAL], [MARK]
 */
export function encodeNewSa(sa: SaSpec, h: RequestHeader, update = false): Uint8Array {
  if (sa.proto === "ah") throw new RangeError("AH SAs are not encoded here (ESP only)");
  return nlmsg(
    { type: update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, flags: NLM_F_REQUEST | NLM_F_ACK, ...h },
    encodeUsersaInfo(sa),
    ...saAttributes(sa),
  );
}

/** struct xfrm_usersa_id, then XFRMA_SRCADDR (and MARK): the body of DELSA and GETSA. */
function usersaIdParts(id: SaId): Uint8Array[] {
  const U = XFRM_USERSA_ID;
  const b = new Uint8Array(U.size);
  const v = new DataView(b.buffer);
  const src = parseAddress(id.src);
  const dst = parseAddress(id.dst);
  const family = sameFamily("SA id", src, dst);
  putAddress(b, U.daddr, dst);
  v.setUint32(U.spi, checkU32("SPI", id.spi), false);
  v.setUint16(U.family, family, LE);
  b[U.proto] = protoNumber(id.proto);
  const parts: Uint8Array[] = [b, addressAttr(XFRMA_SRCADDR, src)];
  if (id.mark) parts.push(markAttr(id.mark));
  return parts;
}

/** XFRM_MSG_DELSA, REQUEST|ACK: xfrm_usersa_id, SRCADDR, [MARK]. */
export function encodeDelSa(id: SaId, h: RequestHeader): Uint8Array {
  return nlmsg({ type: XFRM_MSG_DELSA, flags: NLM_F_REQUEST | NLM_F_ACK, ...h }, ...usersaIdParts(id));
}

/** XFRM_MSG_GETSA, REQUEST: answered by an XFRM_MSG_NEWSA (decodeSaReply) or an error. */
export function encodeGetSa(id: SaId, h: RequestHeader): Uint8Array {
  return nlmsg({ type: XFRM_MSG_GETSA, flags: NLM_F_REQUEST, ...h }, ...usersaIdParts(id));
}

/**
 * XFRM_MSG_ALLOCSPI, REQUEST: xfrm_userspi_info (an xfrm_usersa_info with only the addresses,
 * protocol, reqid, family and mode set, lifetimes zero), min, max. Answered by an
 * XFRM_MSG_NEWSA describing the larval SA that now holds the SPI.
 */
export function encodeAllocSpi(req: SpiRequest, h: RequestHeader): Uint8Array {
  const P = XFRM_USERSPI_INFO;
  const I = XFRM_USERSA_INFO;
  const b = new Uint8Array(P.size);
  const v = new DataView(b.buffer);
  const src = parseAddress(req.src);
  const dst = parseAddress(req.dst);
  const family = sameFamily("ALLOCSPI", src, dst);
  putAddress(b, P.info + I["id.daddr"], dst);
  b[P.info + I["id.proto"]] = protoNumber(req.proto);
  putAddress(b, P.info + I.saddr, src);
  v.setUint32(P.info + I.reqid, checkU32("reqid", req.reqid ?? 0), LE);
  v.setUint16(P.info + I.family, family, LE);
  b[P.info + I.mode] = modeNumber(req.mode);
  const min = checkU32("SPI min", req.min ?? 0x100);
  const max = checkU32("SPI max", req.max ?? 0xffff_ffff);
  if (min > max) throw new RangeError(`ALLOCSPI: min 0x${min.toString(16)} > max 0x${max.toString(16)}`);
  v.setUint32(P.min, min, LE);
  v.setUint32(P.max, max, LE);
  return nlmsg({ type: XFRM_MSG_ALLOCSPI, flags: NLM_F_REQUEST, ...h }, b);
}

// ---------------------------------------------------------------------------------------------
// Policies

function encodeTemplate(t: PolicyTemplate, selFamily: number): Uint8Array {
  const T = XFRM_USER_TMPL;
  const b = new Uint8Array(T.size);
  const v = new DataView(b.buffer);
  let family = selFamily;
  if (t.src !== undefined || t.dst !== undefined) {
    if (t.src === undefined || t.dst === undefined) throw new RangeError("template: give both src and dst, or neither");
    const src = parseAddress(t.src);
    const dst = parseAddress(t.dst);
    family = sameFamily("template", src, dst);
    putAddress(b, T["id.daddr"], dst);
    putAddress(b, T.saddr, src);
  }
  v.setUint32(T["id.spi"], checkU32("template SPI", t.spi ?? 0), false);
  b[T["id.proto"]] = protoNumber(t.proto);
  v.setUint16(T.family, family, LE);
  v.setUint32(T.reqid, checkU32("reqid", t.reqid), LE);
  b[T.mode] = modeNumber(t.mode);
  b[T.optional] = t.optional ? 1 : 0;
  // Any algorithm: the SA the daemon installs decides.
  v.setUint32(T.aalgos, 0xffff_ffff, LE);
  v.setUint32(T.ealgos, 0xffff_ffff, LE);
  v.setUint32(T.calgos, 0xffff_ffff, LE);
  return b;
}

/** struct xfrm_userpolicy_info. */
export function encodeUserpolicyInfo(p: PolicySpec): Uint8Array {
  const P = XFRM_USERPOLICY_INFO;
  const b = new Uint8Array(P.size);
  const v = new DataView(b.buffer);
  putSelector(b, v, P.sel, p.selector);
  putLifetimeCfg(v, P.lft, p.lifetime);
  v.setUint32(P.priority, checkU32("priority", p.priority ?? 0), LE);
  b[P.dir] = dirNumber(p.dir);
  b[P.action] = p.action === "block" ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
  return b;
}

/**
 * XFRM_MSG_NEWPOLICY (or UPDPOLICY), REQUEST|ACK:
 *   nlmsghdr, xfrm_userpolicy_info, [TMPL: xfrm_user_tmpl...], [MARK]
 */
export function encodeNewPolicy(p: PolicySpec, h: RequestHeader, update = false): Uint8Array {
  const parts: Uint8Array[] = [encodeUserpolicyInfo(p)];
  const tmpls = p.templates ?? [];
  if (tmpls.length > 0) {
    const selFamily = parsePrefix(p.selector.src).family;
    const all = new Uint8Array(tmpls.length * XFRM_USER_TMPL.size);
    tmpls.forEach((t, i) => all.set(encodeTemplate(t, selFamily), i * XFRM_USER_TMPL.size));
    parts.push(nlattr(XFRMA_TMPL, all));
  }
  if (p.mark) parts.push(markAttr(p.mark));
  return nlmsg({ type: update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY, flags: NLM_F_REQUEST | NLM_F_ACK, ...h }, ...parts);
}

/** XFRM_MSG_DELPOLICY, REQUEST|ACK: xfrm_userpolicy_id (selector, index 0, dir), [MARK]. */
export function encodeDelPolicy(id: PolicyId, h: RequestHeader): Uint8Array {
  const I = XFRM_USERPOLICY_ID;
  const b = new Uint8Array(I.size);
  const v = new DataView(b.buffer);
  putSelector(b, v, I.sel, id.selector);
  b[I.dir] = dirNumber(id.dir);
  const parts: Uint8Array[] = [b];
  if (id.mark) parts.push(markAttr(id.mark));
  return nlmsg({ type: XFRM_MSG_DELPOLICY, flags: NLM_F_REQUEST | NLM_F_ACK, ...h }, ...parts);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The bytes after nlmsghdr, up to nlmsg_len. */
  payload: Uint8Array;
}

export class NetlinkDecodeError extends Error {
  override readonly name = "NetlinkDecodeError";
}

/** Splits a datagram into its netlink messages; lengths are checked against the datagram. */
export function splitMessages(buf: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + NLMSGHDR.size <= buf.length) {
    const len = v.getUint32(off + NLMSGHDR.nlmsg_len, LE);
    if (len < NLMSGHDR.size || off + len > buf.length) {
      throw new NetlinkDecodeError(`netlink message at ${off}: nlmsg_len ${len} does not fit the ${buf.length - off} bytes left`);
    }
    out.push({
      type: v.getUint16(off + NLMSGHDR.nlmsg_type, LE),
      flags: v.getUint16(off + NLMSGHDR.nlmsg_flags, LE),
      seq: v.getUint32(off + NLMSGHDR.nlmsg_seq, LE),
      pid: v.getUint32(off + NLMSGHDR.nlmsg_pid, LE),
      payload: buf.subarray(off + NLMSGHDR.size, off + len),
    });
    off += nlmsgAlign(len);
  }
  if (off < buf.length) throw new NetlinkDecodeError(`${buf.length - off} trailing bytes after the last netlink message`);
  return out;
}

/** The attributes from `off` to the end: type (NLA_F_NESTED / NET_BYTEORDER bits cleared) -> payload. */
export function decodeAttributes(buf: Uint8Array, off: number): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (off + NLATTR.size <= buf.length) {
    const len = v.getUint16(off + NLATTR.nla_len, LE);
    const type = v.getUint16(off + NLATTR.nla_type, LE) & 0x3fff;
    if (len < NLATTR.size || off + len > buf.length) {
      throw new NetlinkDecodeError(`attribute ${type} at ${off}: nla_len ${len} does not fit the ${buf.length - off} bytes left`);
    }
    m.set(type, buf.subarray(off + NLATTR.size, off + len));
    off += nlaAlign(len);
  }
  return m;
}

export interface NlError {
  /** Positive errno; 0 is an ACK. */
  errno: number;
  code: string;
  /** Extended ack text (NLMSGERR_ATTR_MSG). */
  detail?: string;
  /** Extended ack: offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS). */
  badOffset?: number;
  /** The request's header as echoed. */
  request: { type: number; seq: number };
}

/** The payload of an NLMSG_ERROR: struct nlmsgerr, then extended-ack TLVs if flagged. */
export function decodeError(msg: NlMessage): NlError {
  const p = msg.payload;
  if (p.length < NLMSGERR.size) throw new NetlinkDecodeError(`NLMSG_ERROR of ${p.length} bytes, need ${NLMSGERR.size}`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const errno = -v.getInt32(NLMSGERR.error, LE) || 0; // never -0
  const reqLen = v.getUint32(NLMSGERR.msg + NLMSGHDR.nlmsg_len, LE);
  const e: NlError = {
    errno,
    code: errno === 0 ? "OK" : errnoName(errno),
    request: { type: v.getUint16(NLMSGERR.msg + NLMSGHDR.nlmsg_type, LE), seq: v.getUint32(NLMSGERR.msg + NLMSGHDR.nlmsg_seq, LE) },
  };
  if (msg.flags & NLM_F_ACK_TLVS) {
    // An ACK (error 0) or a capped error echoes only the header; otherwise the whole request.
    const echoed = errno === 0 || msg.flags & NLM_F_CAPPED ? NLMSGHDR.size : reqLen;
    const tlvAt = NLMSGERR.msg + nlmsgAlign(echoed);
    if (tlvAt <= p.length) {
      const attrs = decodeAttributes(p, tlvAt);
      const m = attrs.get(NLMSGERR_ATTR_MSG);
      if (m) e.detail = new TextDecoder().decode(m.subarray(0, m.indexOf(0) >= 0 ? m.indexOf(0) : m.length));
      const o = attrs.get(NLMSGERR_ATTR_OFFS);
      if (o && o.length >= 4) e.badOffset = new DataView(o.buffer, o.byteOffset, 4).getUint32(0, LE);
    }
  }
  return e;
}

function need(what: string, b: Uint8Array, size: number): DataView {
  if (b.length < size) throw new NetlinkDecodeError(`${what}: ${b.length} bytes, need ${size}`);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function addrAt(b: Uint8Array, off: number, family: number): Address {
  return formatAddress(family, b.subarray(off, off + (family === AF_INET6 ? 16 : 4)));
}

function knownFamily(f: number): number {
  return f === AF_INET6 ? AF_INET6 : AF_INET;
}

export function decodeSelector(b: Uint8Array, off: number): Selector {
  const S = XFRM_SELECTOR;
  const v = need("xfrm_selector", b.subarray(off), S.size);
  const base = off;
  const family = knownFamily(v.getUint16(S.family, LE));
  const pfx = (at: number, len: number) => {
    const a = addrAt(b, base + at, family);
    return len === (family === AF_INET ? 32 : 128) ? a : `${a}/${len}`;
  };
  const sel: Selector = { src: pfx(S.saddr, b[base + S.prefixlen_s]!), dst: pfx(S.daddr, b[base + S.prefixlen_d]!) };
  const proto = b[base + S.proto]!;
  if (proto) sel.proto = proto;
  if (v.getUint16(S.sport_mask, false)) sel.sport = v.getUint16(S.sport, false);
  if (v.getUint16(S.dport_mask, false)) sel.dport = v.getUint16(S.dport, false);
  const ifindex = v.getInt32(S.ifindex, LE);
  if (ifindex) sel.ifindex = ifindex;
  return sel;
}

function decodeLifetimeCfg(v: DataView, off: number): Lifetimes {
  const L = XFRM_LIFETIME_CFG;
  const l: Lifetimes = {};
  // Both spellings of "no limit" (XFRM_INF, and 0 for the seconds) read as absent.
  const get = (at: number, key: keyof Lifetimes, seconds: boolean) => {
    const x = v.getBigUint64(off + at, LE);
    if (x !== XFRM_INF && !(seconds && x === 0n)) l[key] = x;
  };
  get(L.soft_byte_limit, "softBytes", false);
  get(L.hard_byte_limit, "hardBytes", false);
  get(L.soft_packet_limit, "softPackets", false);
  get(L.hard_packet_limit, "hardPackets", false);
  get(L.soft_add_expires_seconds, "softAddSeconds", true);
  get(L.hard_add_expires_seconds, "hardAddSeconds", true);
  get(L.soft_use_expires_seconds, "softUseSeconds", true);
  get(L.hard_use_expires_seconds, "hardUseSeconds", true);
  return l;
}

function decodeLifetimeCur(v: DataView, off: number): SaCounters {
  const C = XFRM_LIFETIME_CUR;
  return {
    bytes: v.getBigUint64(off + C.bytes, LE),
    packets: v.getBigUint64(off + C.packets, LE),
    addTime: v.getBigUint64(off + C.add_time, LE),
    useTime: v.getBigUint64(off + C.use_time, LE),
  };
}

/** What an xfrm_usersa_info says (the fixed part of NEWSA replies and EXPIRE events). */
export interface UsersaInfo {
  src: Address;
  dst: Address;
  spi: number;
  proto: IpsecProto | number;
  mode: Mode | number;
  reqid: number;
  family: number;
  selector: Selector;
  lifetime: Lifetimes;
  counters: SaCounters;
  replayWindow: number;
  flags: number;
  seq: number;
}

export function decodeUsersaInfo(b: Uint8Array, off = 0): UsersaInfo {
  const I = XFRM_USERSA_INFO;
  const v = need("xfrm_usersa_info", b.subarray(off), I.size);
  const family = knownFamily(v.getUint16(I.family, LE));
  const base = b.subarray(off);
  const sel = base.subarray(I.sel, I.sel + XFRM_SELECTOR.size);
  const selFamily = new DataView(sel.buffer, sel.byteOffset).getUint16(XFRM_SELECTOR.family, LE);
  return {
    src: addrAt(base, I.saddr, family),
    dst: addrAt(base, I["id.daddr"], family),
    spi: v.getUint32(I["id.spi"], false),
    proto: protoName(base[I["id.proto"]]!),
    mode: modeName(base[I.mode]!),
    reqid: v.getUint32(I.reqid, LE),
    family,
    // A zero selector (family 0) reads as the SA's own addresses' family, any-to-any.
    selector: selFamily ? decodeSelector(base, I.sel) : { src: family === AF_INET ? "0.0.0.0/0" : "::/0", dst: family === AF_INET ? "0.0.0.0/0" : "::/0" },
    lifetime: decodeLifetimeCfg(v, I.lft),
    counters: decodeLifetimeCur(v, I.curlft),
    replayWindow: base[I.replay_window]!,
    flags: base[I.flags]!,
    seq: v.getUint32(I.seq, LE),
  };
}

/** An XFRM_MSG_NEWSA reply (to GETSA or ALLOCSPI): the SA and its attributes. */
export function decodeSaReply(msg: NlMessage): UsersaInfo & { attrs: Map<number, Uint8Array> } {
  if (msg.type !== XFRM_MSG_NEWSA) throw new NetlinkDecodeError(`expected XFRM_MSG_NEWSA, got ${messageTypeName(msg.type)}`);
  return { ...decodeUsersaInfo(msg.payload), attrs: decodeAttributes(msg.payload, nlaAlign(XFRM_USERSA_INFO.size)) };
}

function decodeMark(attrs: Map<number, Uint8Array>): Mark | undefined {
  const m = attrs.get(XFRMA_MARK);
  if (!m || m.length < XFRM_MARK.size) return undefined;
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  return { value: v.getUint32(XFRM_MARK.v, LE), mask: v.getUint32(XFRM_MARK.m, LE) };
}

export function decodeTemplates(b: Uint8Array | undefined): PolicyTemplate[] {
  if (!b) return [];
  const T = XFRM_USER_TMPL;
  const out: PolicyTemplate[] = [];
  for (let off = 0; off + T.size <= b.length; off += T.size) {
    const t = b.subarray(off, off + T.size);
    const v = new DataView(t.buffer, t.byteOffset, T.size);
    const family = knownFamily(v.getUint16(T.family, LE));
    const proto = protoName(t[T["id.proto"]]!);
    const tmpl: PolicyTemplate = { mode: modeName(t[T.mode]!) === "tunnel" ? "tunnel" : "transport", reqid: v.getUint32(T.reqid, LE) };
    const zero = (at: number) => t.subarray(at, at + 16).every((x) => x === 0);
    if (!zero(T["id.daddr"]) || !zero(T.saddr)) {
      tmpl.src = addrAt(t, T.saddr, family);
      tmpl.dst = addrAt(t, T["id.daddr"], family);
    }
    if (typeof proto === "string") tmpl.proto = proto;
    const spi = v.getUint32(T["id.spi"], false);
    if (spi) tmpl.spi = spi;
    if (t[T.optional]) tmpl.optional = true;
    out.push(tmpl);
  }
  return out;
}

/** struct xfrm_userpolicy_info, as found in ACQUIRE and policy replies. */
export function decodeUserpolicyInfo(b: Uint8Array, off = 0): PolicySpec & { index: number } {
  const P = XFRM_USERPOLICY_INFO;
  const v = need("xfrm_userpolicy_info", b.subarray(off), P.size);
  const base = b.subarray(off);
  const p: PolicySpec & { index: number } = {
    selector: decodeSelector(base, P.sel),
    dir: dirName(base[P.dir]!),
    priority: v.getUint32(P.priority, LE),
    action: base[P.action] === XFRM_POLICY_BLOCK ? "block" : "allow",
    index: v.getUint32(P.index, LE),
  };
  const lifetime = decodeLifetimeCfg(v, P.lft);
  if (Object.keys(lifetime).length) p.lifetime = lifetime;
  return p;
}

/**
 * XFRM_MSG_ACQUIRE (multicast group XFRMNLGRP_ACQUIRE):
 *   xfrm_user_acquire { id (template dst, proto), saddr, sel (the packet's flow), policy, algos, seq },
 *   attributes TMPL (the policy's templates), [SEC_CTX], [POLICY_TYPE], [MARK], [IF_ID]
 */
export function decodeAcquire(msg: NlMessage): AcquireEvent {
  const A = XFRM_USER_ACQUIRE;
  const b = msg.payload;
  const v = need("xfrm_user_acquire", b, A.size);
  const policy = decodeUserpolicyInfo(b, A.policy);
  const sel = decodeSelector(b, A.sel);
  const family = knownFamily(v.getUint16(A.sel + XFRM_SELECTOR.family, LE));
  const attrs = decodeAttributes(b, nlaAlign(A.size));
  const templates = decodeTemplates(attrs.get(XFRMA_TMPL));
  if (templates.length) policy.templates = templates;
  const mark = decodeMark(attrs);
  if (mark) policy.mark = mark;
  // The template's (outer) family may differ from the flow's; take it from the first template.
  const tFamily = attrs.get(XFRMA_TMPL)
    ? knownFamily(new DataView(attrs.get(XFRMA_TMPL)!.buffer, attrs.get(XFRMA_TMPL)!.byteOffset).getUint16(XFRM_USER_TMPL.family, LE))
    : family;
  return {
    kind: "acquire",
    src: addrAt(b, A.saddr, tFamily),
    dst: addrAt(b, A.id + XFRM_ID.daddr, tFamily),
    proto: protoName(b[A.id + XFRM_ID.proto]!),
    selector: sel,
    policy,
    seq: v.getUint32(A.seq, LE),
  };
}

/** XFRM_MSG_EXPIRE (group XFRMNLGRP_EXPIRE): xfrm_user_expire { state, hard }, [MARK], ... */
export function decodeExpire(msg: NlMessage): ExpireEvent {
  const E = XFRM_USER_EXPIRE;
  const b = msg.payload;
  need("xfrm_user_expire", b, E.size);
  const s = decodeUsersaInfo(b, E.state);
  return {
    kind: "expire",
    hard: b[E.hard] !== 0,
    src: s.src,
    dst: s.dst,
    spi: s.spi,
    proto: s.proto,
    reqid: s.reqid,
    mode: s.mode,
    counters: s.counters,
  };
}

/** An event from a multicast message, or undefined for types the daemon does not act on. */
export function decodeEvent(msg: NlMessage): AcquireEvent | ExpireEvent | undefined {
  if (msg.type === XFRM_MSG_ACQUIRE) return decodeAcquire(msg);
  if (msg.type === XFRM_MSG_EXPIRE) return decodeExpire(msg);
  return undefined;
}

/** The IP family of an address text, as the kernel numbers it. */
export function familyOf(a: Address): number {
  return parseAddress(a).family === AF_INET6 ? AF_INET6 : AF_INET;
}

export { AF_INET, AF_INET6 };
