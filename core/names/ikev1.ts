// IKEv1 registries: IANA "Magic Numbers for ISAKMP Protocol" (isakmp-registry), "Internet Key
// Exchange (IKE) Attributes" (ipsec-registry), RFC 2407/2408/2409, RFC 3947 (NAT-T) and RFC
// 3706 (DPD), plus the drafts every IKEv1 peer still speaks (XAUTH, hybrid authentication,
// Mode Config, the NAT-T drafts, Cisco fragmentation).
//
// Names follow the style documented in index.ts. IKEv1 registries have descriptions rather
// than mnemonics, so the names are the ones pluto prints (RFC 2407/2408 spell them with '-';
// here '_' as in pluto): OAKLEY_AES_CBC, AUTH_ALGORITHM_HMAC_SHA1, ENCAPSULATION_MODE_TUNNEL,
// NO_PROPOSAL_CHOSEN, ID_PROT. Each table: values strictly ascending, names parallel.

import {
  REG_EXCHANGE_V1,
  REG_PAYLOAD_V1,
  REG_NOTIFY_V1,
  REG_DOI,
  REG_SITUATION,
  REG_PROTO_V1,
  REG_IKE_XFORM_V1,
  REG_AH_XFORM_V1,
  REG_ESP_XFORM_V1,
  REG_IPCOMP_XFORM_V1,
  REG_OAKLEY_ATTR,
  REG_IPSEC_ATTR,
  REG_OAKLEY_ENCR,
  REG_OAKLEY_HASH,
  REG_OAKLEY_AUTH,
  REG_OAKLEY_GROUP_TYPE,
  REG_OAKLEY_LIFE,
  REG_IPSEC_ENCAP,
  REG_IPSEC_AUTH,
  REG_ID_V1,
  REG_CERT_V1,
} from "../abi";

// ---- Exchange Types (RFC 2408 3.1; RFC 2409 adds Quick and New Group; Mode Config 6) ---------
const EXCHANGE_V: StaticArray<i32> = [0, 1, 2, 3, 4, 5, 6, 32, 33];
const EXCHANGE_N: StaticArray<string> = [
  "NONE", // 0
  "BASE", // 1
  "ID_PROT", // 2 Identity Protection (Main Mode)
  "AUTH_ONLY", // 3 Authentication Only
  "AGGRESSIVE", // 4
  "INFO", // 5 Informational
  "TRANSACTION", // 6 Mode Config (draft-dukes-ike-mode-cfg)
  "QUICK", // 32 Quick Mode, RFC 2409
  "NEW_GROUP", // 33 New Group Mode, RFC 2409
];

// ---- Next Payload Types -----------------------------------------------------------------------
const PAYLOAD_V: StaticArray<i32> = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 130, 131,
  132,
];
const PAYLOAD_N: StaticArray<string> = [
  "NONE", // 0
  "SA", // 1
  "P", // 2 Proposal
  "T", // 3 Transform
  "KE", // 4
  "ID", // 5
  "CERT", // 6
  "CR", // 7 Certificate Request
  "HASH", // 8
  "SIG", // 9
  "NONCE", // 10
  "N", // 11 Notification
  "D", // 12 Delete
  "VID", // 13 Vendor ID
  "ATTR", // 14 Mode Config Attribute
  "SAK", // 15 SA KEK, RFC 6407
  "TEK", // 16 SA TEK, RFC 6407
  "KD", // 17 Key Download, RFC 3547
  "SEQ", // 18 Sequence Number, RFC 3547
  "POP", // 19 Proof of Possession, RFC 3547
  "NAT-D", // 20 RFC 3947
  "NAT-OA", // 21 RFC 3947
  "GAP", // 22 Group Associated Policy, RFC 6407
  "NAT-D-DRAFT", // 130 draft-ietf-ipsec-nat-t-ike-02/03
  "NAT-OA-DRAFT", // 131
  "FRAG", // 132 Cisco/Microsoft IKE fragmentation
];

// ---- Notify Message Types -------------------------------------------------------------------
// Errors 1-30 (RFC 2408 3.14.1), CONNECTED (RFC 2408), the IPsec DOI status types (RFC 2407
// 4.6.3) and Dead Peer Detection (RFC 3706, from the private range).
const NOTIFY_V: StaticArray<i32> = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
  27, 28, 29, 30, 16384, 24576, 24577, 24578, 36136, 36137,
];
const NOTIFY_N: StaticArray<string> = [
  "INVALID_PAYLOAD_TYPE", // 1
  "DOI_NOT_SUPPORTED", // 2
  "SITUATION_NOT_SUPPORTED", // 3
  "INVALID_COOKIE", // 4
  "INVALID_MAJOR_VERSION", // 5
  "INVALID_MINOR_VERSION", // 6
  "INVALID_EXCHANGE_TYPE", // 7
  "INVALID_FLAGS", // 8
  "INVALID_MESSAGE_ID", // 9
  "INVALID_PROTOCOL_ID", // 10
  "INVALID_SPI", // 11
  "INVALID_TRANSFORM_ID", // 12
  "ATTRIBUTES_NOT_SUPPORTED", // 13
  "NO_PROPOSAL_CHOSEN", // 14
  "BAD_PROPOSAL_SYNTAX", // 15
  "PAYLOAD_MALFORMED", // 16
  "INVALID_KEY_INFORMATION", // 17
  "INVALID_ID_INFORMATION", // 18
  "INVALID_CERT_ENCODING", // 19
  "INVALID_CERTIFICATE", // 20
  "CERT_TYPE_UNSUPPORTED", // 21
  "INVALID_CERT_AUTHORITY", // 22
  "INVALID_HASH_INFORMATION", // 23
  "AUTHENTICATION_FAILED", // 24
  "INVALID_SIGNATURE", // 25
  "ADDRESS_NOTIFICATION", // 26
  "NOTIFY_SA_LIFETIME", // 27
  "CERTIFICATE_UNAVAILABLE", // 28
  "UNSUPPORTED_EXCHANGE_TYPE", // 29
  "UNEQUAL_PAYLOAD_LENGTHS", // 30
  "CONNECTED", // 16384
  "RESPONDER_LIFETIME", // 24576
  "REPLAY_STATUS", // 24577
  "INITIAL_CONTACT", // 24578
  "R_U_THERE", // 36136
  "R_U_THERE_ACK", // 36137
];

// ---- Domain of Interpretation -----------------------------------------------------------------
const DOI_V: StaticArray<i32> = [0, 1, 2];
const DOI_N: StaticArray<string> = ["ISAKMP", "IPSEC", "GDOI"];

// ---- IPsec DOI Situation bits (RFC 2407 4.2); the value is the bit -------------------------
const SITUATION_V: StaticArray<i32> = [1, 2, 4];
const SITUATION_N: StaticArray<string> = ["SIT_IDENTITY_ONLY", "SIT_SECRECY", "SIT_INTEGRITY"];

// ---- IPsec Security Protocol Identifiers (RFC 2407 4.4.1) ------------------------------------
const PROTO_V: StaticArray<i32> = [1, 2, 3, 4, 5];
const PROTO_N: StaticArray<string> = [
  "PROTO_ISAKMP",
  "PROTO_IPSEC_AH",
  "PROTO_IPSEC_ESP",
  "PROTO_IPCOMP",
  "PROTO_GIGABEAM_RADIO", // RFC 4705
];

// ---- IPsec ISAKMP Transform Identifiers --------------------------------------------------------
const IKE_XFORM_V: StaticArray<i32> = [1];
const IKE_XFORM_N: StaticArray<string> = ["KEY_IKE"];

// ---- IPsec AH Transform Identifiers -----------------------------------------------------------
const AH_V: StaticArray<i32> = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const AH_N: StaticArray<string> = [
  "AH_MD5", // 2
  "AH_SHA", // 3
  "AH_DES", // 4
  "AH_SHA2_256", // 5
  "AH_SHA2_384", // 6
  "AH_SHA2_512", // 7
  "AH_RIPEMD", // 8
  "AH_AES_XCBC_MAC", // 9
  "AH_RSA", // 10
  "AH_AES_128_GMAC", // 11
  "AH_AES_192_GMAC", // 12
  "AH_AES_256_GMAC", // 13
];

// ---- IPsec ESP Transform Identifiers (IKEv1 only; IKEv2 diverges from 21 on) -------------------
const ESP_V: StaticArray<i32> = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23,
];
const ESP_N: StaticArray<string> = [
  "ESP_DES_IV64", // 1
  "ESP_DES", // 2
  "ESP_3DES", // 3
  "ESP_RC5", // 4
  "ESP_IDEA", // 5
  "ESP_CAST", // 6
  "ESP_BLOWFISH", // 7
  "ESP_3IDEA", // 8
  "ESP_DES_IV32", // 9
  "ESP_RC4", // 10
  "ESP_NULL", // 11
  "ESP_AES", // 12 AES-CBC
  "ESP_AES_CTR", // 13
  "ESP_AES_CCM_8", // 14
  "ESP_AES_CCM_12", // 15
  "ESP_AES_CCM_16", // 16
  "ESP_AES_GCM_8", // 18
  "ESP_AES_GCM_12", // 19
  "ESP_AES_GCM_16", // 20
  "ESP_SEED_CBC", // 21 RFC 4196
  "ESP_CAMELLIA", // 22 RFC 4312
  "ESP_NULL_AUTH_AES_GMAC", // 23 RFC 4543
];

// ---- IPsec IPCOMP Transform Identifiers -------------------------------------------------------
const IPCOMP_V: StaticArray<i32> = [1, 2, 3, 4];
const IPCOMP_N: StaticArray<string> = ["IPCOMP_OUI", "IPCOMP_DEFLATE", "IPCOMP_LZS", "IPCOMP_LZJH"];

// ---- IKE (Oakley, phase 1) Attribute Classes; 16384-32767 are private use ----------------------
const OAKLEY_ATTR_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const OAKLEY_ATTR_N: StaticArray<string> = [
  "OAKLEY_ENCRYPTION_ALGORITHM", // 1  B
  "OAKLEY_HASH_ALGORITHM", // 2  B
  "OAKLEY_AUTHENTICATION_METHOD", // 3  B
  "OAKLEY_GROUP_DESCRIPTION", // 4  B
  "OAKLEY_GROUP_TYPE", // 5  B
  "OAKLEY_GROUP_PRIME", // 6  V
  "OAKLEY_GROUP_GENERATOR_ONE", // 7  V
  "OAKLEY_GROUP_GENERATOR_TWO", // 8  V
  "OAKLEY_GROUP_CURVE_A", // 9  V
  "OAKLEY_GROUP_CURVE_B", // 10 V
  "OAKLEY_LIFE_TYPE", // 11 B
  "OAKLEY_LIFE_DURATION", // 12 V
  "OAKLEY_PRF", // 13 B
  "OAKLEY_KEY_LENGTH", // 14 B
  "OAKLEY_FIELD_SIZE", // 15 B
  "OAKLEY_GROUP_ORDER", // 16 V
];

// ---- IPsec Security Association Attributes (phase 2, RFC 2407 4.5 and later) --------------------
const IPSEC_ATTR_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const IPSEC_ATTR_N: StaticArray<string> = [
  "SA_LIFE_TYPE", // 1
  "SA_LIFE_DURATION", // 2
  "GROUP_DESCRIPTION", // 3
  "ENCAPSULATION_MODE", // 4
  "AUTH_ALGORITHM", // 5
  "KEY_LENGTH", // 6
  "KEY_ROUNDS", // 7
  "COMPRESS_DICT_SIZE", // 8
  "COMPRESS_PRIVATE_ALG", // 9
  "ECN_TUNNEL", // 10 RFC 3168
  "ESN_64BIT_SEQNUM", // 11 RFC 4304
  "AUTH_KEY_LENGTH", // 12 RFC 4359
  "SIG_ENC_ALGO_VAL", // 13 RFC 4359
  "ADDRESS_PRESERVATION", // 14 RFC 6407
  "SA_DIRECTION", // 15 RFC 6407
];

// ---- Encryption Algorithm (Oakley attribute 1) -----------------------------------------------
const OAKLEY_ENCR_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8];
const OAKLEY_ENCR_N: StaticArray<string> = [
  "OAKLEY_DES_CBC",
  "OAKLEY_IDEA_CBC",
  "OAKLEY_BLOWFISH_CBC",
  "OAKLEY_RC5_R16_B64_CBC",
  "OAKLEY_3DES_CBC",
  "OAKLEY_CAST_CBC",
  "OAKLEY_AES_CBC", // RFC 3602
  "OAKLEY_CAMELLIA_CBC", // RFC 4312
];

// ---- Hash Algorithm (Oakley attribute 2) ------------------------------------------------------
const OAKLEY_HASH_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6];
const OAKLEY_HASH_N: StaticArray<string> = [
  "OAKLEY_MD5",
  "OAKLEY_SHA1",
  "OAKLEY_TIGER",
  "OAKLEY_SHA2_256", // RFC 4868
  "OAKLEY_SHA2_384",
  "OAKLEY_SHA2_512",
];

// ---- Authentication Method (Oakley attribute 3) -----------------------------------------------
// 6-8 are reserved (El-Gamal, ECDSA placeholders); 64221-64224 are hybrid authentication
// (draft-ietf-ipsec-isakmp-hybrid-auth) and 65001-65010 XAUTH
// (draft-ietf-ipsec-isakmp-xauth), named as those drafts name them.
const OAKLEY_AUTH_V: StaticArray<i32> = [
  1, 2, 3, 4, 5, 9, 10, 11, 64221, 64222, 64223, 64224, 65001, 65002, 65003, 65004, 65005,
  65006, 65007, 65008, 65009, 65010,
];
const OAKLEY_AUTH_N: StaticArray<string> = [
  "OAKLEY_PRESHARED_KEY", // 1
  "OAKLEY_DSS_SIG", // 2
  "OAKLEY_RSA_SIG", // 3
  "OAKLEY_RSA_ENC", // 4
  "OAKLEY_RSA_REVISED_MODE", // 5
  "OAKLEY_ECDSA_P256", // 9 RFC 4754
  "OAKLEY_ECDSA_P384", // 10
  "OAKLEY_ECDSA_P521", // 11
  "HybridInitRSA", // 64221
  "HybridRespRSA", // 64222
  "HybridInitDSS", // 64223
  "HybridRespDSS", // 64224
  "XAUTHInitPreShared", // 65001
  "XAUTHRespPreShared", // 65002
  "XAUTHInitDSS", // 65003
  "XAUTHRespDSS", // 65004
  "XAUTHInitRSA", // 65005
  "XAUTHRespRSA", // 65006
  "XAUTHInitRSAEncryption", // 65007
  "XAUTHRespRSAEncryption", // 65008
  "XAUTHInitRSARevisedEncryption", // 65009
  "XAUTHRespRSARevisedEncryption", // 65010
];

// ---- Group Type (Oakley attribute 5) -----------------------------------------------------------
const OAKLEY_GROUP_TYPE_V: StaticArray<i32> = [1, 2, 3];
const OAKLEY_GROUP_TYPE_N: StaticArray<string> = [
  "OAKLEY_GROUP_TYPE_MODP",
  "OAKLEY_GROUP_TYPE_ECP",
  "OAKLEY_GROUP_TYPE_EC2N",
];

// ---- Life Type (Oakley attribute 11) -----------------------------------------------------------
const OAKLEY_LIFE_V: StaticArray<i32> = [1, 2];
const OAKLEY_LIFE_N: StaticArray<string> = ["OAKLEY_LIFE_SECONDS", "OAKLEY_LIFE_KILOBYTES"];

// ---- Encapsulation Mode (IPsec attribute 4) ----------------------------------------------------
// 3 and 4 from RFC 3947; 61443 and 61444 are what the NAT-T drafts used before it.
const IPSEC_ENCAP_V: StaticArray<i32> = [1, 2, 3, 4, 61443, 61444];
const IPSEC_ENCAP_N: StaticArray<string> = [
  "ENCAPSULATION_MODE_TUNNEL",
  "ENCAPSULATION_MODE_TRANSPORT",
  "ENCAPSULATION_MODE_UDP_TUNNEL",
  "ENCAPSULATION_MODE_UDP_TRANSPORT",
  "ENCAPSULATION_MODE_UDP_TUNNEL_DRAFTS",
  "ENCAPSULATION_MODE_UDP_TRANSPORT_DRAFTS",
];

// ---- Authentication Algorithm (IPsec attribute 5) ----------------------------------------------
const IPSEC_AUTH_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const IPSEC_AUTH_N: StaticArray<string> = [
  "AUTH_ALGORITHM_HMAC_MD5", // 1
  "AUTH_ALGORITHM_HMAC_SHA1", // 2
  "AUTH_ALGORITHM_DES_MAC", // 3
  "AUTH_ALGORITHM_KPDK", // 4
  "AUTH_ALGORITHM_HMAC_SHA2_256", // 5
  "AUTH_ALGORITHM_HMAC_SHA2_384", // 6
  "AUTH_ALGORITHM_HMAC_SHA2_512", // 7
  "AUTH_ALGORITHM_HMAC_RIPEMD", // 8 RFC 2857
  "AUTH_ALGORITHM_AES_XCBC", // 9 RFC 3566
  "AUTH_ALGORITHM_SIG_RSA", // 10 RFC 4359
  "AUTH_ALGORITHM_AES_128_GMAC", // 11 RFC 4543
  "AUTH_ALGORITHM_AES_192_GMAC", // 12
  "AUTH_ALGORITHM_AES_256_GMAC", // 13
];

// ---- IPsec Identification Type (RFC 2407 4.6.2.1; RFC 3554 adds ID_LIST) ------------------------
const ID_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const ID_N: StaticArray<string> = [
  "ID_IPV4_ADDR",
  "ID_FQDN",
  "ID_USER_FQDN",
  "ID_IPV4_ADDR_SUBNET",
  "ID_IPV6_ADDR",
  "ID_IPV6_ADDR_SUBNET",
  "ID_IPV4_ADDR_RANGE",
  "ID_IPV6_ADDR_RANGE",
  "ID_DER_ASN1_DN",
  "ID_DER_ASN1_GN",
  "ID_KEY_ID",
  "ID_LIST",
];

// ---- Certificate Encoding (RFC 2408 3.9) ------------------------------------------------------
const CERT_V: StaticArray<i32> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const CERT_N: StaticArray<string> = [
  "CERT_NONE",
  "CERT_PKCS7_WRAPPED_X509",
  "CERT_PGP",
  "CERT_DNS_SIGNED_KEY",
  "CERT_X509_SIGNATURE",
  "CERT_X509_KEY_EXCHANGE",
  "CERT_KERBEROS_TOKENS",
  "CERT_CRL",
  "CERT_ARL",
  "CERT_SPKI",
  "CERT_X509_ATTRIBUTE",
];

// ---- values of IPsec attributes without a REG_* id (v1AttrValueName only) ----------------------
// SA Life Type (attribute 1)
export const SA_LIFE_V: StaticArray<i32> = [1, 2];
export const SA_LIFE_N: StaticArray<string> = ["SA_LIFE_TYPE_SECONDS", "SA_LIFE_TYPE_KBYTES"];
// ECN Tunnel (attribute 10, RFC 3168 9.2.1)
export const ECN_V: StaticArray<i32> = [1, 2];
export const ECN_N: StaticArray<string> = ["ECN_TUNNEL_ALLOWED", "ECN_TUNNEL_FORBIDDEN"];
// Extended (64-bit) Sequence Number (attribute 11, RFC 4304)
export const ESN_ATTR_V: StaticArray<i32> = [1];
export const ESN_ATTR_N: StaticArray<string> = ["ESN_64BIT_SEQNUM"];
// Signature Encoding Algorithm (attribute 13, RFC 4359)
export const SIG_ENC_V: StaticArray<i32> = [1, 2];
export const SIG_ENC_N: StaticArray<string> = ["RSASSA_PKCS1_V1_5", "RSASSA_PSS"];
// Address Preservation (attribute 14, RFC 6407)
export const ADDR_PRES_V: StaticArray<i32> = [1, 2, 3, 4];
export const ADDR_PRES_N: StaticArray<string> = [
  "ADDRESS_PRESERVATION_NONE",
  "ADDRESS_PRESERVATION_SOURCE_ONLY",
  "ADDRESS_PRESERVATION_DESTINATION_ONLY",
  "ADDRESS_PRESERVATION_SOURCE_AND_DESTINATION",
];
// SA Direction (attribute 15, RFC 6407)
export const SA_DIR_V: StaticArray<i32> = [1, 2, 3];
export const SA_DIR_N: StaticArray<string> = [
  "SA_DIRECTION_SENDER_ONLY",
  "SA_DIRECTION_RECEIVER_ONLY",
  "SA_DIRECTION_SYMMETRIC",
];

export function v1Values(reg: i32): StaticArray<i32> | null {
  switch (reg) {
    case REG_EXCHANGE_V1:
      return EXCHANGE_V;
    case REG_PAYLOAD_V1:
      return PAYLOAD_V;
    case REG_NOTIFY_V1:
      return NOTIFY_V;
    case REG_DOI:
      return DOI_V;
    case REG_SITUATION:
      return SITUATION_V;
    case REG_PROTO_V1:
      return PROTO_V;
    case REG_IKE_XFORM_V1:
      return IKE_XFORM_V;
    case REG_AH_XFORM_V1:
      return AH_V;
    case REG_ESP_XFORM_V1:
      return ESP_V;
    case REG_IPCOMP_XFORM_V1:
      return IPCOMP_V;
    case REG_OAKLEY_ATTR:
      return OAKLEY_ATTR_V;
    case REG_IPSEC_ATTR:
      return IPSEC_ATTR_V;
    case REG_OAKLEY_ENCR:
      return OAKLEY_ENCR_V;
    case REG_OAKLEY_HASH:
      return OAKLEY_HASH_V;
    case REG_OAKLEY_AUTH:
      return OAKLEY_AUTH_V;
    case REG_OAKLEY_GROUP_TYPE:
      return OAKLEY_GROUP_TYPE_V;
    case REG_OAKLEY_LIFE:
      return OAKLEY_LIFE_V;
    case REG_IPSEC_ENCAP:
      return IPSEC_ENCAP_V;
    case REG_IPSEC_AUTH:
      return IPSEC_AUTH_V;
    case REG_ID_V1:
      return ID_V;
    case REG_CERT_V1:
      return CERT_V;
  }
  return null;
}

export function v1Names(reg: i32): StaticArray<string> | null {
  switch (reg) {
    case REG_EXCHANGE_V1:
      return EXCHANGE_N;
    case REG_PAYLOAD_V1:
      return PAYLOAD_N;
    case REG_NOTIFY_V1:
      return NOTIFY_N;
    case REG_DOI:
      return DOI_N;
    case REG_SITUATION:
      return SITUATION_N;
    case REG_PROTO_V1:
      return PROTO_N;
    case REG_IKE_XFORM_V1:
      return IKE_XFORM_N;
    case REG_AH_XFORM_V1:
      return AH_N;
    case REG_ESP_XFORM_V1:
      return ESP_N;
    case REG_IPCOMP_XFORM_V1:
      return IPCOMP_N;
    case REG_OAKLEY_ATTR:
      return OAKLEY_ATTR_N;
    case REG_IPSEC_ATTR:
      return IPSEC_ATTR_N;
    case REG_OAKLEY_ENCR:
      return OAKLEY_ENCR_N;
    case REG_OAKLEY_HASH:
      return OAKLEY_HASH_N;
    case REG_OAKLEY_AUTH:
      return OAKLEY_AUTH_N;
    case REG_OAKLEY_GROUP_TYPE:
      return OAKLEY_GROUP_TYPE_N;
    case REG_OAKLEY_LIFE:
      return OAKLEY_LIFE_N;
    case REG_IPSEC_ENCAP:
      return IPSEC_ENCAP_N;
    case REG_IPSEC_AUTH:
      return IPSEC_AUTH_N;
    case REG_ID_V1:
      return ID_N;
    case REG_CERT_V1:
      return CERT_N;
  }
  return null;
}
