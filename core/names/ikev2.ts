// IKEv2 registries: IANA "Internet Key Exchange Version 2 (IKEv2) Parameters".
//
// Names follow the style documented in index.ts: the IANA mnemonic where the registry has one
// (payload notation, notify types, transform IDs, ID and TS types, CP attributes), otherwise
// the short name pluto prints. Reserved, unassigned and private-use values have no name.
// Each table: values strictly ascending, names parallel (checked by namesSelfCheck()).

import {
  REG_EXCHANGE_V2,
  REG_PAYLOAD_V2,
  REG_NOTIFY_V2,
  REG_TRANSFORM_TYPE,
  REG_ENCR,
  REG_PRF,
  REG_INTEG,
  REG_DH,
  REG_ESN,
  REG_ID_V2,
  REG_AUTH_V2,
  REG_TS_TYPE,
  REG_CERT,
  REG_CP_TYPE,
  REG_CP_ATTR,
  REG_PROTO_V2,
  REG_XFORM_ATTR_V2,
} from "../abi";

// ---- Exchange Types --------------------------------------------------------------------------
const EXCHANGE_V: StaticArray<i32> = [34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44];
const EXCHANGE_N: StaticArray<string> = [
  "IKE_SA_INIT", // 34 RFC 7296
  "IKE_AUTH", // 35
  "CREATE_CHILD_SA", // 36
  "INFORMATIONAL", // 37
  "IKE_SESSION_RESUME", // 38 RFC 5723
  "GSA_AUTH", // 39 G-IKEv2 (RFC 9838)
  "GSA_REGISTRATION", // 40
  "GSA_REKEY", // 41
  "GSA_INBAND_REKEY", // 42
  "IKE_INTERMEDIATE", // 43 RFC 9242
  "IKE_FOLLOWUP_KE", // 44 RFC 9370
];

// ---- Payload Types (the IANA "Notation" column; 0 is "No Next Payload") ----------------------
const PAYLOAD_V: StaticArray<i32> = [
  0, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54,
];
const PAYLOAD_N: StaticArray<string> = [
  "NONE", // 0
  "SA", // 33
  "KE", // 34
  "IDi", // 35
  "IDr", // 36
  "CERT", // 37
  "CERTREQ", // 38
  "AUTH", // 39
  "Nx", // 40 Nonce: Ni or Nr depending on the sender
  "N", // 41
  "D", // 42
  "V", // 43
  "TSi", // 44
  "TSr", // 45
  "SK", // 46
  "CP", // 47
  "EAP", // 48
  "GSPM", // 49 RFC 6467
  "IDg", // 50 G-IKEv2
  "GSA", // 51 G-IKEv2
  "KD", // 52 G-IKEv2
  "SKF", // 53 RFC 7383
  "PS", // 54 RFC 8019
];

// ---- Notify Message Types: errors 1-8191 and status 16384-40959 ------------------------------
// 8192-16383 and 40960-65535 are private use and stay unnamed.
const NOTIFY_V: StaticArray<i32> = [
  1, 4, 5, 7, 9, 11, 14, 17, 24, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
  16384, 16385, 16386, 16387, 16388, 16389, 16390, 16391, 16392, 16393, 16394, 16395, 16396,
  16397, 16398, 16399, 16400, 16401, 16402, 16403, 16404, 16405, 16406, 16407, 16408, 16409,
  16410, 16411, 16412, 16413, 16414, 16415, 16416, 16417, 16418, 16419, 16420, 16421, 16422,
  16423, 16424, 16425, 16426, 16427, 16428, 16429, 16430, 16431, 16432, 16433, 16434, 16435,
  16436, 16437, 16438, 16439, 16440, 16441, 16442, 16443, 16444, 16445, 16446, 16447,
];
const NOTIFY_N: StaticArray<string> = [
  "UNSUPPORTED_CRITICAL_PAYLOAD", // 1
  "INVALID_IKE_SPI", // 4
  "INVALID_MAJOR_VERSION", // 5
  "INVALID_SYNTAX", // 7
  "INVALID_MESSAGE_ID", // 9
  "INVALID_SPI", // 11
  "NO_PROPOSAL_CHOSEN", // 14
  "INVALID_KE_PAYLOAD", // 17
  "AUTHENTICATION_FAILED", // 24
  "SINGLE_PAIR_REQUIRED", // 34
  "NO_ADDITIONAL_SAS", // 35
  "INTERNAL_ADDRESS_FAILURE", // 36
  "FAILED_CP_REQUIRED", // 37
  "TS_UNACCEPTABLE", // 38
  "INVALID_SELECTORS", // 39
  "UNACCEPTABLE_ADDRESSES", // 40 RFC 4555
  "UNEXPECTED_NAT_DETECTED", // 41 RFC 4555
  "USE_ASSIGNED_HoA", // 42 RFC 5026
  "TEMPORARY_FAILURE", // 43
  "CHILD_SA_NOT_FOUND", // 44
  "INVALID_GROUP_ID", // 45 G-IKEv2
  "AUTHORIZATION_FAILED", // 46 G-IKEv2
  "STATE_NOT_FOUND", // 47 RFC 9370
  "TS_MAX_QUEUE", // 48 RFC 9611
  "REGISTRATION_FAILED", // 49 G-IKEv2
  "INITIAL_CONTACT", // 16384
  "SET_WINDOW_SIZE", // 16385
  "ADDITIONAL_TS_POSSIBLE", // 16386
  "IPCOMP_SUPPORTED", // 16387
  "NAT_DETECTION_SOURCE_IP", // 16388
  "NAT_DETECTION_DESTINATION_IP", // 16389
  "COOKIE", // 16390
  "USE_TRANSPORT_MODE", // 16391
  "HTTP_CERT_LOOKUP_SUPPORTED", // 16392
  "REKEY_SA", // 16393
  "ESP_TFC_PADDING_NOT_SUPPORTED", // 16394
  "NON_FIRST_FRAGMENTS_ALSO", // 16395
  "MOBIKE_SUPPORTED", // 16396 RFC 4555
  "ADDITIONAL_IP4_ADDRESS", // 16397
  "ADDITIONAL_IP6_ADDRESS", // 16398
  "NO_ADDITIONAL_ADDRESSES", // 16399
  "UPDATE_SA_ADDRESSES", // 16400
  "COOKIE2", // 16401
  "NO_NATS_ALLOWED", // 16402
  "AUTH_LIFETIME", // 16403 RFC 4478
  "MULTIPLE_AUTH_SUPPORTED", // 16404 RFC 4739
  "ANOTHER_AUTH_FOLLOWS", // 16405
  "REDIRECT_SUPPORTED", // 16406 RFC 5685
  "REDIRECT", // 16407
  "REDIRECTED_FROM", // 16408
  "TICKET_LT_OPAQUE", // 16409 RFC 5723
  "TICKET_REQUEST", // 16410
  "TICKET_ACK", // 16411
  "TICKET_NACK", // 16412
  "TICKET_OPAQUE", // 16413
  "LINK_ID", // 16414 RFC 5739
  "USE_WESP_MODE", // 16415 RFC 5840
  "ROHC_SUPPORTED", // 16416 RFC 5857
  "EAP_ONLY_AUTHENTICATION", // 16417 RFC 5998
  "CHILDLESS_IKEV2_SUPPORTED", // 16418 RFC 6023
  "QUICK_CRASH_DETECTION", // 16419 RFC 6290
  "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", // 16420 RFC 6311
  "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED", // 16421
  "IKEV2_MESSAGE_ID_SYNC", // 16422
  "IPSEC_REPLAY_COUNTER_SYNC", // 16423
  "SECURE_PASSWORD_METHODS", // 16424 RFC 6467
  "PSK_PERSIST", // 16425 RFC 6631
  "PSK_CONFIRM", // 16426
  "ERX_SUPPORTED", // 16427 RFC 6867
  "IFOM_CAPABILITY", // 16428 3GPP TS 24.303
  "GROUP_SENDER", // 16429 G-IKEv2
  "IKEV2_FRAGMENTATION_SUPPORTED", // 16430 RFC 7383
  "SIGNATURE_HASH_ALGORITHMS", // 16431 RFC 7427
  "CLONE_IKE_SA_SUPPORTED", // 16432 RFC 7791
  "CLONE_IKE_SA", // 16433
  "PUZZLE", // 16434 RFC 8019
  "USE_PPK", // 16435 RFC 8784
  "PPK_IDENTITY", // 16436
  "NO_PPK_AUTH", // 16437
  "INTERMEDIATE_EXCHANGE_SUPPORTED", // 16438 RFC 9242
  "IP4_ALLOWED", // 16439 RFC 8983
  "IP6_ALLOWED", // 16440
  "ADDITIONAL_KEY_EXCHANGE", // 16441 RFC 9370
  "USE_AGGFRAG", // 16442 RFC 9347
  "SUPPORTED_AUTH_METHODS", // 16443 RFC 9593
  "SA_RESOURCE_INFO", // 16444 RFC 9611
  "USE_PPK_INT", // 16445 draft-ietf-ipsecme-ikev2-qr-alt
  "PPK_IDENTITY_KEY", // 16446
  "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH", // 16447 early allocation
];

// ---- Transform Type Values ------------------------------------------------------------------
// IANA renamed type 4 from D-H to KE (RFC 9370) and type 5 from ESN to SN; KE follows IANA,
// ESN keeps the name every log reader knows.
const XFORM_TYPE_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const XFORM_TYPE_N: StaticArray<string> = [
  "ENCR",
  "PRF",
  "INTEG",
  "KE",
  "ESN",
  "ADDKE1",
  "ADDKE2",
  "ADDKE3",
  "ADDKE4",
  "ADDKE5",
  "ADDKE6",
  "ADDKE7",
  "KWA", // 13 G-IKEv2
  "GCAUTH", // 14 G-IKEv2
];

// ---- Transform Type 1 - Encryption Algorithm Transform IDs ----------------------------------
const ENCR_V: StaticArray<i32> = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29,
  30, 31, 32, 33, 34, 35,
];
const ENCR_N: StaticArray<string> = [
  "ENCR_DES_IV64", // 1
  "ENCR_DES", // 2
  "ENCR_3DES", // 3
  "ENCR_RC5", // 4
  "ENCR_IDEA", // 5
  "ENCR_CAST", // 6
  "ENCR_BLOWFISH", // 7
  "ENCR_3IDEA", // 8
  "ENCR_DES_IV32", // 9
  "ENCR_NULL", // 11
  "ENCR_AES_CBC", // 12
  "ENCR_AES_CTR", // 13
  "ENCR_AES_CCM_8", // 14
  "ENCR_AES_CCM_12", // 15
  "ENCR_AES_CCM_16", // 16
  "ENCR_AES_GCM_8", // 18
  "ENCR_AES_GCM_12", // 19
  "ENCR_AES_GCM_16", // 20
  "ENCR_NULL_AUTH_AES_GMAC", // 21
  "ENCR_CAMELLIA_CBC", // 23
  "ENCR_CAMELLIA_CTR", // 24
  "ENCR_CAMELLIA_CCM_8", // 25
  "ENCR_CAMELLIA_CCM_12", // 26
  "ENCR_CAMELLIA_CCM_16", // 27
  "ENCR_CHACHA20_POLY1305", // 28 RFC 7634
  "ENCR_AES_CCM_8_IIV", // 29 RFC 8750
  "ENCR_AES_GCM_16_IIV", // 30
  "ENCR_CHACHA20_POLY1305_IIV", // 31
  "ENCR_KUZNYECHIK_MGM_KTREE", // 32 RFC 9227
  "ENCR_MAGMA_MGM_KTREE", // 33
  "ENCR_KUZNYECHIK_MGM_MAC_KTREE", // 34
  "ENCR_MAGMA_MGM_MAC_KTREE", // 35
];

// ---- Transform Type 2 - Pseudorandom Function Transform IDs ---------------------------------
const PRF_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const PRF_N: StaticArray<string> = [
  "PRF_HMAC_MD5",
  "PRF_HMAC_SHA1",
  "PRF_HMAC_TIGER",
  "PRF_AES128_XCBC",
  "PRF_HMAC_SHA2_256",
  "PRF_HMAC_SHA2_384",
  "PRF_HMAC_SHA2_512",
  "PRF_AES128_CMAC",
  "PRF_HMAC_STREEBOG_512", // 9 RFC 9385
];

// ---- Transform Type 3 - Integrity Algorithm Transform IDs -----------------------------------
const INTEG_V: StaticArray<i32> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const INTEG_N: StaticArray<string> = [
  "NONE",
  "AUTH_HMAC_MD5_96",
  "AUTH_HMAC_SHA1_96",
  "AUTH_DES_MAC",
  "AUTH_KPDK_MD5",
  "AUTH_AES_XCBC_96",
  "AUTH_HMAC_MD5_128",
  "AUTH_HMAC_SHA1_160",
  "AUTH_AES_CMAC_96",
  "AUTH_AES_128_GMAC",
  "AUTH_AES_192_GMAC",
  "AUTH_AES_256_GMAC",
  "AUTH_HMAC_SHA2_256_128",
  "AUTH_HMAC_SHA2_384_192",
  "AUTH_HMAC_SHA2_512_256",
];

// ---- Transform Type 4 - Key Exchange Method Transform IDs -----------------------------------
// Also the IKEv1 Oakley "Group Description" values (IPsec registry), which agree up to 30; the
// values IKEv2 reserves (3, 4, 6-13) are named after their IKEv1 EC2N groups. IANA gives 6/7,
// 8/9, 10/11 and 12/13 the same description, so the pairs are told apart by A and B.
const DH_V: StaticArray<i32> = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
];
const DH_N: StaticArray<string> = [
  "NONE", // 0
  "MODP_768", // 1
  "MODP_1024", // 2
  "EC2N_155", // 3 IKEv1 only
  "EC2N_185", // 4 IKEv1 only
  "MODP_1536", // 5
  "EC2N_163A", // 6 IKEv1 only
  "EC2N_163B", // 7
  "EC2N_283A", // 8
  "EC2N_283B", // 9
  "EC2N_409A", // 10
  "EC2N_409B", // 11
  "EC2N_571A", // 12
  "EC2N_571B", // 13
  "MODP_2048", // 14 RFC 3526
  "MODP_3072", // 15
  "MODP_4096", // 16
  "MODP_6144", // 17
  "MODP_8192", // 18
  "ECP_256", // 19 RFC 5903
  "ECP_384", // 20
  "ECP_521", // 21
  "MODP_1024_160", // 22 RFC 5114
  "MODP_2048_224", // 23
  "MODP_2048_256", // 24
  "ECP_192", // 25 RFC 5114
  "ECP_224", // 26
  "BRAINPOOL_P224R1", // 27 RFC 6954
  "BRAINPOOL_P256R1", // 28
  "BRAINPOOL_P384R1", // 29
  "BRAINPOOL_P512R1", // 30
  "CURVE25519", // 31 RFC 8031
  "CURVE448", // 32
  "GOST3410_2012_256", // 33 RFC 9385
  "GOST3410_2012_512", // 34
  "ML_KEM_512", // 35 draft-ietf-ipsecme-ikev2-mlkem
  "ML_KEM_768", // 36
  "ML_KEM_1024", // 37
];

// ---- Transform Type 5 - Sequence Numbers Transform IDs --------------------------------------
const ESN_V: StaticArray<i32> = [0, 1, 2];
const ESN_N: StaticArray<string> = [
  "NO_ESN", // 32-bit sequential numbers
  "ESN", // partially transmitted 64-bit sequential numbers
  "32_BIT_UNSPECIFIED", // 32-bit unspecified numbers (G-IKEv2)
];

// ---- Transform Type 13 - Key Wrap Algorithm; 14 - Group Controller Authentication Method ----
// No REG_* id of their own: reachable through transformIdName() only.
export const KWA_V: StaticArray<i32> = [1, 2, 3, 4];
export const KWA_N: StaticArray<string> = ["KW_5649_128", "KW_5649_192", "KW_5649_256", "KW_ARX"];
export const GCAUTH_V: StaticArray<i32> = [1, 2];
export const GCAUTH_N: StaticArray<string> = ["IMPLICIT", "DIGITAL_SIGNATURE"];

// ---- IKEv2 Transform Attribute Types --------------------------------------------------------
const XFORM_ATTR_V: StaticArray<i32> = [14, 18];
const XFORM_ATTR_N: StaticArray<string> = [
  "KEY_LENGTH", // 14
  "SIGNATURE_ALGORITHM_IDENTIFIER", // 18 G-IKEv2
];

// ---- IKEv2 Identification Payload ID Types --------------------------------------------------
const ID_V: StaticArray<i32> = [1, 2, 3, 5, 9, 10, 11, 12, 13];
const ID_N: StaticArray<string> = [
  "ID_IPV4_ADDR",
  "ID_FQDN",
  "ID_RFC822_ADDR",
  "ID_IPV6_ADDR",
  "ID_DER_ASN1_DN",
  "ID_DER_ASN1_GN",
  "ID_KEY_ID",
  "ID_FC_NAME", // RFC 4595
  "ID_NULL", // RFC 7619
];

// ---- IKEv2 Authentication Method ------------------------------------------------------------
const AUTH_V: StaticArray<i32> = [1, 2, 3, 9, 10, 11, 12, 13, 14];
const AUTH_N: StaticArray<string> = [
  "RSA_DIGITAL_SIGNATURE", // 1
  "SHARED_KEY_MAC", // 2 Shared Key Message Integrity Code
  "DSS_DIGITAL_SIGNATURE", // 3
  "ECDSA_SHA2_256_P256", // 9 RFC 4754
  "ECDSA_SHA2_384_P384", // 10
  "ECDSA_SHA2_512_P521", // 11
  "GENERIC_SECURE_PASSWORD_AUTHENTICATION_METHOD", // 12 RFC 6467
  "NULL", // 13 RFC 7619
  "DIGITAL_SIGNATURE", // 14 RFC 7427
];

// ---- IKEv2 Traffic Selector Types -----------------------------------------------------------
const TS_TYPE_V: StaticArray<i32> = [7, 8, 9, 10];
const TS_TYPE_N: StaticArray<string> = [
  "TS_IPV4_ADDR_RANGE",
  "TS_IPV6_ADDR_RANGE",
  "TS_FC_ADDR_RANGE", // RFC 4595
  "TS_SECLABEL", // RFC 9478
];

// ---- IKEv2 Certificate Encodings ------------------------------------------------------------
const CERT_V: StaticArray<i32> = [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const CERT_N: StaticArray<string> = [
  "CERT_PKCS7_WRAPPED_X509", // 1
  "CERT_PGP", // 2
  "CERT_DNS_SIGNED_KEY", // 3
  "CERT_X509_SIGNATURE", // 4
  "CERT_KERBEROS_TOKENS", // 6
  "CERT_CRL", // 7
  "CERT_ARL", // 8
  "CERT_SPKI", // 9
  "CERT_X509_ATTRIBUTE", // 10
  "CERT_RAW_RSA", // 11 deprecated
  "CERT_X509_CERT_URL", // 12 Hash and URL of X.509 certificate
  "CERT_X509_BUNDLE_URL", // 13 Hash and URL of X.509 bundle
  "CERT_OCSP_CONTENT", // 14 RFC 4806
  "CERT_RAW_PUBLIC_KEY", // 15 RFC 7670
];

// ---- IKEv2 Configuration Payload CFG Types --------------------------------------------------
const CP_TYPE_V: StaticArray<i32> = [1, 2, 3, 4];
const CP_TYPE_N: StaticArray<string> = ["CFG_REQUEST", "CFG_REPLY", "CFG_SET", "CFG_ACK"];

// ---- IKEv2 Configuration Payload Attribute Types (5, 9, 11 are reserved) ---------------------
const CP_ATTR_V: StaticArray<i32> = [
  1, 2, 3, 4, 6, 7, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
  29,
];
const CP_ATTR_N: StaticArray<string> = [
  "INTERNAL_IP4_ADDRESS", // 1
  "INTERNAL_IP4_NETMASK", // 2
  "INTERNAL_IP4_DNS", // 3
  "INTERNAL_IP4_NBNS", // 4
  "INTERNAL_IP4_DHCP", // 6
  "APPLICATION_VERSION", // 7
  "INTERNAL_IP6_ADDRESS", // 8
  "INTERNAL_IP6_DNS", // 10
  "INTERNAL_IP6_DHCP", // 12
  "INTERNAL_IP4_SUBNET", // 13
  "SUPPORTED_ATTRIBUTES", // 14
  "INTERNAL_IP6_SUBNET", // 15
  "MIP6_HOME_PREFIX", // 16 RFC 5026
  "INTERNAL_IP6_LINK", // 17 RFC 5739
  "INTERNAL_IP6_PREFIX", // 18 RFC 5739
  "HOME_AGENT_ADDRESS", // 19 3GPP TS 24.302
  "P_CSCF_IP4_ADDRESS", // 20 RFC 7651
  "P_CSCF_IP6_ADDRESS", // 21
  "FTT_KAT", // 22 3GPP
  "EXTERNAL_SOURCE_IP4_NAT_INFO", // 23 3GPP
  "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK", // 24 3GPP
  "INTERNAL_DNS_DOMAIN", // 25 RFC 8598
  "INTERNAL_DNSSEC_TA", // 26 RFC 8598
  "ENCDNS_IP4", // 27 RFC 9464
  "ENCDNS_IP6", // 28
  "ENCDNS_DIGEST_INFO", // 29
];

// ---- IKEv2 Security Protocol Identifiers ----------------------------------------------------
const PROTO_V: StaticArray<i32> = [1, 2, 3, 4, 5, 6];
const PROTO_N: StaticArray<string> = [
  "IKE",
  "AH",
  "ESP",
  "FC_ESP_HEADER", // RFC 4595
  "FC_CT_AUTHENTICATION", // RFC 4595
  "GIKE_UPDATE", // G-IKEv2
];

export function v2Values(reg: i32): StaticArray<i32> | null {
  switch (reg) {
    case REG_EXCHANGE_V2:
      return EXCHANGE_V;
    case REG_PAYLOAD_V2:
      return PAYLOAD_V;
    case REG_NOTIFY_V2:
      return NOTIFY_V;
    case REG_TRANSFORM_TYPE:
      return XFORM_TYPE_V;
    case REG_ENCR:
      return ENCR_V;
    case REG_PRF:
      return PRF_V;
    case REG_INTEG:
      return INTEG_V;
    case REG_DH:
      return DH_V;
    case REG_ESN:
      return ESN_V;
    case REG_ID_V2:
      return ID_V;
    case REG_AUTH_V2:
      return AUTH_V;
    case REG_TS_TYPE:
      return TS_TYPE_V;
    case REG_CERT:
      return CERT_V;
    case REG_CP_TYPE:
      return CP_TYPE_V;
    case REG_CP_ATTR:
      return CP_ATTR_V;
    case REG_PROTO_V2:
      return PROTO_V;
    case REG_XFORM_ATTR_V2:
      return XFORM_ATTR_V;
  }
  return null;
}

export function v2Names(reg: i32): StaticArray<string> | null {
  switch (reg) {
    case REG_EXCHANGE_V2:
      return EXCHANGE_N;
    case REG_PAYLOAD_V2:
      return PAYLOAD_N;
    case REG_NOTIFY_V2:
      return NOTIFY_N;
    case REG_TRANSFORM_TYPE:
      return XFORM_TYPE_N;
    case REG_ENCR:
      return ENCR_N;
    case REG_PRF:
      return PRF_N;
    case REG_INTEG:
      return INTEG_N;
    case REG_DH:
      return DH_N;
    case REG_ESN:
      return ESN_N;
    case REG_ID_V2:
      return ID_N;
    case REG_AUTH_V2:
      return AUTH_N;
    case REG_TS_TYPE:
      return TS_TYPE_N;
    case REG_CERT:
      return CERT_N;
    case REG_CP_TYPE:
      return CP_TYPE_N;
    case REG_CP_ATTR:
      return CP_ATTR_N;
    case REG_PROTO_V2:
      return PROTO_N;
    case REG_XFORM_ATTR_V2:
      return XFORM_ATTR_N;
  }
  return null;
}
