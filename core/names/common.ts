// Registries shared by IKEv1 and IKEv2 (EAP, IP protocol numbers) and the core's own codes
// (decode errors, tape node kinds), plus the lookup every registry uses.
//
// A registry is two parallel static arrays: its values in strictly ascending order and the
// name of each. Both live in the module's data segment, so a lookup is a binary search that
// allocates nothing and returns a stored string. Values without a name return "".

import {
  REG_EAP_CODE,
  REG_EAP_TYPE,
  REG_ERROR,
  REG_IP_PROTO,
  REG_KIND,
  E_OK,
  E_TRUNCATED,
  E_LENGTH,
  E_TRAILING,
  E_VALUE,
  E_DUPLICATE,
  E_CRITICAL,
  E_VERSION,
  E_PAYLOAD_TYPE,
  E_LIMIT,
  E_ORDER,
  E_ENCODE,
  E_NOT_IKE,
  K_NONE,
  K_V2_HDR,
  K_V2_CHAIN,
  K_V2_UNKNOWN,
  K_V2_SA,
  K_V2_PROP,
  K_V2_XFORM,
  K_ATTR,
  K_V2_KE,
  K_V2_ID,
  K_V2_CERT,
  K_V2_AUTH,
  K_V2_NONCE,
  K_V2_NOTIFY,
  K_V2_DELETE,
  K_V2_VID,
  K_V2_TSP,
  K_V2_TS,
  K_V2_SK,
  K_V2_CP,
  K_V2_CPATTR,
  K_V2_EAP,
  K_V2_SKF,
  K_V1_HDR,
  K_V1_CHAIN,
  K_V1_ENC,
  K_V1_SA,
  K_V1_PROP,
  K_V1_XFORM,
  K_V1_DATA,
  K_V1_ID,
  K_V1_CERT,
  K_V1_NOTIFY,
  K_V1_DELETE,
  K_V1_NATOA,
  K_V1_FRAG,
} from "../abi";

// Binary search of `value` in `values`; the name at the same index, or "".
// Bounds are checked before every unchecked access, so no input can trap.
export function lookup(values: StaticArray<i32>, names: StaticArray<string>, value: i32): string {
  let lo = 0;
  let hi = values.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = unchecked(values[mid]);
    if (v == value) return mid < names.length ? unchecked(names[mid]) : "";
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return "";
}

// ---- EAP Codes (RFC 3748 section 4; RFC 6696 adds 5 and 6) ----------------------------------
const EAP_CODE_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6];
const EAP_CODE_N: StaticArray<string> = [
  "REQUEST",
  "RESPONSE",
  "SUCCESS",
  "FAILURE",
  "INITIATE",
  "FINISH",
];

// ---- EAP Method Types (IANA "Method Types"; the ones seen with IKEv2 and in deployments) ----
const EAP_TYPE_V: StaticArray<i32> = [
  1, 2, 3, 4, 5, 6, 13, 17, 18, 21, 23, 25, 26, 43, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
  56, 254, 255,
];
const EAP_TYPE_N: StaticArray<string> = [
  "IDENTITY", // 1  RFC 3748
  "NOTIFICATION", // 2  RFC 3748
  "NAK", // 3  Legacy Nak, RFC 3748
  "MD5_CHALLENGE", // 4  RFC 3748
  "OTP", // 5  One-Time Password, RFC 3748
  "GTC", // 6  Generic Token Card, RFC 3748
  "TLS", // 13 EAP-TLS, RFC 5216
  "CISCO_WIRELESS", // 17 LEAP
  "SIM", // 18 EAP-SIM, RFC 4186
  "TTLS", // 21 EAP-TTLS, RFC 5281
  "AKA", // 23 EAP-AKA, RFC 4187
  "PEAP", // 25
  "MSCHAPV2", // 26 MS-EAP-Authentication
  "FAST", // 43 EAP-FAST, RFC 4851
  "PAX", // 46 RFC 4746
  "PSK", // 47 RFC 4764
  "SAKE", // 48 RFC 4763
  "IKEV2", // 49 EAP-IKEv2, RFC 5106
  "AKA_PRIME", // 50 EAP-AKA', RFC 5448
  "GPSK", // 51 RFC 5433
  "PWD", // 52 EAP-pwd, RFC 5931
  "EKE", // 53 EAP-EKE, RFC 6124
  "PT_EAP", // 54 RFC 7171
  "TEAP", // 55 RFC 7170
  "NOOB", // 56 EAP-NOOB, RFC 9140
  "EXPANDED", // 254 Expanded Types
  "EXPERIMENTAL", // 255
];

// ---- IP protocol numbers (IANA "Assigned Internet Protocol Numbers", keyword column) -------
// 0 is HOPOPT to IANA, but in traffic selectors and protoport it means "any protocol", which is
// the only place these names are printed.
const IP_PROTO_V: StaticArray<i32> = [
  0, 1, 2, 4, 6, 8, 17, 27, 33, 41, 43, 44, 46, 47, 50, 51, 58, 59, 60, 88, 89, 94, 97, 98,
  103, 108, 112, 115, 132, 135, 136, 137, 139, 140, 141, 142, 143,
];
const IP_PROTO_N: StaticArray<string> = [
  "ANY", // 0
  "ICMP", // 1
  "IGMP", // 2
  "IPV4", // 4  IP in IP
  "TCP", // 6
  "EGP", // 8
  "UDP", // 17
  "RDP", // 27
  "DCCP", // 33
  "IPV6", // 41
  "IPV6_ROUTE", // 43
  "IPV6_FRAG", // 44
  "RSVP", // 46
  "GRE", // 47
  "ESP", // 50
  "AH", // 51
  "IPV6_ICMP", // 58
  "IPV6_NONXT", // 59
  "IPV6_OPTS", // 60
  "EIGRP", // 88
  "OSPFIGP", // 89
  "IPIP", // 94
  "ETHERIP", // 97
  "ENCAP", // 98
  "PIM", // 103
  "IPCOMP", // 108
  "VRRP", // 112
  "L2TP", // 115
  "SCTP", // 132
  "MOBILITY_HEADER", // 135
  "UDPLITE", // 136
  "MPLS_IN_IP", // 137
  "HIP", // 139
  "SHIM6", // 140
  "WESP", // 141
  "ROHC", // 142
  "ETHERNET", // 143
];

// ---- decode errors (E_* of abi.ts) ----------------------------------------------------------
const ERROR_V: StaticArray<i32> = [
  E_OK,
  E_TRUNCATED,
  E_LENGTH,
  E_TRAILING,
  E_VALUE,
  E_DUPLICATE,
  E_CRITICAL,
  E_VERSION,
  E_PAYLOAD_TYPE,
  E_LIMIT,
  E_ORDER,
  E_ENCODE,
  E_NOT_IKE,
];
const ERROR_N: StaticArray<string> = [
  "ok",
  "truncated",
  "bad length",
  "trailing bytes",
  "bad value",
  "duplicate payload",
  "unknown critical payload",
  "unsupported version",
  "unknown payload type",
  "too many structures",
  "payload out of place",
  "malformed tape",
  "not IKE",
];

// ---- tape node kinds (K_* of abi.ts) --------------------------------------------------------
// IKEv2 kinds carry the RFC 7296 payload names; IKEv1 kinds say "IKEv1" so that every name in
// the registry is distinct.
const KIND_V: StaticArray<i32> = [
  K_NONE,
  K_V2_HDR,
  K_V2_CHAIN,
  K_V2_UNKNOWN,
  K_V2_SA,
  K_V2_PROP,
  K_V2_XFORM,
  K_ATTR,
  K_V2_KE,
  K_V2_ID,
  K_V2_CERT,
  K_V2_AUTH,
  K_V2_NONCE,
  K_V2_NOTIFY,
  K_V2_DELETE,
  K_V2_VID,
  K_V2_TSP,
  K_V2_TS,
  K_V2_SK,
  K_V2_CP,
  K_V2_CPATTR,
  K_V2_EAP,
  K_V2_SKF,
  K_V1_HDR,
  K_V1_CHAIN,
  K_V1_ENC,
  K_V1_SA,
  K_V1_PROP,
  K_V1_XFORM,
  K_V1_DATA,
  K_V1_ID,
  K_V1_CERT,
  K_V1_NOTIFY,
  K_V1_DELETE,
  K_V1_NATOA,
  K_V1_FRAG,
];
const KIND_N: StaticArray<string> = [
  "None",
  "IKEv2 header",
  "IKEv2 inner payloads",
  "Unknown",
  "Security Association",
  "Proposal",
  "Transform",
  "Transform Attribute",
  "Key Exchange",
  "Identification",
  "Certificate",
  "Authentication",
  "Nonce",
  "Notify",
  "Delete",
  "Vendor ID",
  "Traffic Selectors",
  "Traffic Selector",
  "Encrypted and Authenticated",
  "Configuration",
  "Configuration Attribute",
  "EAP",
  "Encrypted Fragment",
  "IKEv1 header",
  "IKEv1 inner payloads",
  "IKEv1 encrypted body",
  "IKEv1 Security Association",
  "IKEv1 Proposal",
  "IKEv1 Transform",
  "IKEv1 data payload",
  "IKEv1 Identification",
  "IKEv1 Certificate",
  "IKEv1 Notification",
  "IKEv1 Delete",
  "IKEv1 NAT Original Address",
  "IKEv1 Fragment",
];

export function commonValues(reg: i32): StaticArray<i32> | null {
  switch (reg) {
    case REG_EAP_CODE:
      return EAP_CODE_V;
    case REG_EAP_TYPE:
      return EAP_TYPE_V;
    case REG_IP_PROTO:
      return IP_PROTO_V;
    case REG_ERROR:
      return ERROR_V;
    case REG_KIND:
      return KIND_V;
  }
  return null;
}

export function commonNames(reg: i32): StaticArray<string> | null {
  switch (reg) {
    case REG_EAP_CODE:
      return EAP_CODE_N;
    case REG_EAP_TYPE:
      return EAP_TYPE_N;
    case REG_IP_PROTO:
      return IP_PROTO_N;
    case REG_ERROR:
      return ERROR_N;
    case REG_KIND:
      return KIND_N;
  }
  return null;
}
