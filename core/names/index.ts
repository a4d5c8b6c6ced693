// core/names: the IANA registries IKE uses, one source for values and their printable names.
//
// Name style (one rule for every registry, so log lines read like pluto's):
//
// - Where IANA gives a mnemonic, print it verbatim: exchanges IKE_SA_INIT, IKE_AUTH,
//   CREATE_CHILD_SA, IKE_INTERMEDIATE; notify types NO_PROPOSAL_CHOSEN, NAT_DETECTION_SOURCE_IP;
//   transform IDs ENCR_AES_GCM_16, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128; ID types
//   ID_FQDN; TS types TS_IPV4_ADDR_RANGE; CP attributes INTERNAL_IP4_ADDRESS; IKEv2 payloads in
//   IANA's notation column (SA, KE, IDi, IDr, CERT, CERTREQ, AUTH, Nx, N, D, V, TSi, TSr, SK,
//   CP, EAP, GSPM, SKF, PS; the nonce is "Nx" because one type serves Ni and Nr).
// - Where IANA has only a description, print the name pluto prints (its enum name with the
//   table's prefix as pluto shows it): Key Exchange methods MODP_2048, ECP_256, CURVE25519,
//   ML_KEM_768; IKEv2 auth methods RSA_DIGITAL_SIGNATURE, SHARED_KEY_MAC, DIGITAL_SIGNATURE;
//   IKEv1 values OAKLEY_AES_CBC, OAKLEY_SHA2_256, OAKLEY_PRESHARED_KEY,
//   AUTH_ALGORITHM_HMAC_SHA1, ENCAPSULATION_MODE_TUNNEL, ESP_AES, AH_SHA, KEY_IKE; IKEv1
//   notify types without pluto's "v1N_" prefix (R_U_THERE, INITIAL_CONTACT).
// - IKEv1 exchanges use one short style: NONE, BASE, ID_PROT (Main Mode), AUTH_ONLY,
//   AGGRESSIVE, INFO, TRANSACTION (Mode Config), QUICK, NEW_GROUP.
// - IKEv1 payloads: RFC 2408's letters (SA, P, T, KE, ID, CERT, CR, HASH, SIG, NONCE, N, D,
//   VID), RFC 3947's NAT-D and NAT-OA, NAT-D-DRAFT / NAT-OA-DRAFT for 130/131, FRAG for 132.
// - Transform type 4 prints as KE (IANA renamed D-H to KE in RFC 9370); type 5 keeps ESN.
// - Reserved, unassigned and private-use values have no name (""), except the private-use
//   values every IKEv1 peer uses: XAUTH/hybrid auth methods, DPD R_U_THERE, the NAT-T draft
//   payloads and encapsulation modes, Cisco fragmentation.
// - The core's own codes: REG_ERROR names the E_* codes with short phrases ("truncated",
//   "bad length"); REG_KIND names the K_* node kinds after RFC 7296's payload names, IKEv1
//   kinds prefixed "IKEv1 " so each name is distinct.
//
// No function here allocates or traps, whatever the arguments: the result is a string
// stored in the data segment, or "".

import {
  REG_MAX,
  REG_ENCR,
  REG_PRF,
  REG_INTEG,
  REG_DH,
  REG_ESN,
  REG_IKE_XFORM_V1,
  REG_AH_XFORM_V1,
  REG_ESP_XFORM_V1,
  REG_IPCOMP_XFORM_V1,
  REG_OAKLEY_ENCR,
  REG_OAKLEY_HASH,
  REG_OAKLEY_AUTH,
  REG_OAKLEY_GROUP_TYPE,
  REG_OAKLEY_LIFE,
  REG_IPSEC_ENCAP,
  REG_IPSEC_AUTH,
} from "../abi";
import { lookup, commonValues, commonNames } from "./common";
import { v2Values, v2Names, KWA_V, KWA_N, GCAUTH_V, GCAUTH_N } from "./ikev2";
import {
  v1Values,
  v1Names,
  SA_LIFE_V,
  SA_LIFE_N,
  ECN_V,
  ECN_N,
  ESN_ATTR_V,
  ESN_ATTR_N,
  SIG_ENC_V,
  SIG_ENC_N,
  ADDR_PRES_V,
  ADDR_PRES_N,
  SA_DIR_V,
  SA_DIR_N,
} from "./ikev1";

// The values of one registry, ascending; null for an unknown registry id.
export function registryValues(reg: i32): StaticArray<i32> | null {
  const v2 = v2Values(reg);
  if (v2 !== null) return v2;
  const v1 = v1Values(reg);
  if (v1 !== null) return v1;
  return commonValues(reg);
}

// The names of one registry, parallel to registryValues(reg).
export function registryNames(reg: i32): StaticArray<string> | null {
  const v2 = v2Names(reg);
  if (v2 !== null) return v2;
  const v1 = v1Names(reg);
  if (v1 !== null) return v1;
  return commonNames(reg);
}

// The printable name of `value` in registry `reg` (a REG_* of abi.ts); "" when it has none.
export function nameOf(reg: i32, value: i32): string {
  const values = registryValues(reg);
  const names = registryNames(reg);
  if (values === null || names === null) return "";
  return lookup(values, names, value);
}

// IKEv2 Transform Type values (RFC 7296 3.3.2, RFC 9370, G-IKEv2).
const XFORM_ENCR = 1;
const XFORM_PRF = 2;
const XFORM_INTEG = 3;
const XFORM_KE = 4;
const XFORM_ESN = 5;
const XFORM_ADDKE1 = 6;
const XFORM_ADDKE7 = 12;
const XFORM_KWA = 13;
const XFORM_GCAUTH = 14;

// IKEv2: the name of Transform ID `id` of a transform of type `transformType`.
// ADDKE1..ADDKE7 share the Key Exchange Method IDs with type 4.
export function transformIdName(transformType: i32, id: i32): string {
  switch (transformType) {
    case XFORM_ENCR:
      return nameOf(REG_ENCR, id);
    case XFORM_PRF:
      return nameOf(REG_PRF, id);
    case XFORM_INTEG:
      return nameOf(REG_INTEG, id);
    case XFORM_KE:
      return nameOf(REG_DH, id);
    case XFORM_ESN:
      return nameOf(REG_ESN, id);
    case XFORM_KWA:
      return lookup(KWA_V, KWA_N, id);
    case XFORM_GCAUTH:
      return lookup(GCAUTH_V, GCAUTH_N, id);
  }
  if (transformType >= XFORM_ADDKE1 && transformType <= XFORM_ADDKE7) return nameOf(REG_DH, id);
  return "";
}

// IKEv1 Protocol IDs (RFC 2407 4.4.1).
const PROTO_ISAKMP = 1;
const PROTO_IPSEC_AH = 2;
const PROTO_IPSEC_ESP = 3;
const PROTO_IPCOMP = 4;

// IKEv1: the name of Transform ID `id` in a proposal for protocol `protocol`.
export function v1TransformIdName(protocol: i32, id: i32): string {
  switch (protocol) {
    case PROTO_ISAKMP:
      return nameOf(REG_IKE_XFORM_V1, id);
    case PROTO_IPSEC_AH:
      return nameOf(REG_AH_XFORM_V1, id);
    case PROTO_IPSEC_ESP:
      return nameOf(REG_ESP_XFORM_V1, id);
    case PROTO_IPCOMP:
      return nameOf(REG_IPCOMP_XFORM_V1, id);
  }
  return "";
}

// Oakley (phase 1) attribute classes whose values have names (RFC 2409 Appendix A).
const OAKLEY_ENCRYPTION_ALGORITHM = 1;
const OAKLEY_HASH_ALGORITHM = 2;
const OAKLEY_AUTHENTICATION_METHOD = 3;
const OAKLEY_GROUP_DESCRIPTION = 4;
const OAKLEY_GROUP_TYPE = 5;
const OAKLEY_LIFE_TYPE = 11;
// IPsec (phase 2) attribute classes whose values have names (RFC 2407 4.5 and later).
const SA_LIFE_TYPE = 1;
const GROUP_DESCRIPTION = 3;
const ENCAPSULATION_MODE = 4;
const AUTH_ALGORITHM = 5;
const ECN_TUNNEL = 10;
const ESN_64BIT_SEQNUM = 11;
const SIG_ENC_ALGO_VAL = 13;
const ADDRESS_PRESERVATION = 14;
const SA_DIRECTION = 15;

// IKEv1: the name of `value` of data attribute `attrType` in a phase 1 (Oakley, 1) or phase 2
// (IPsec DOI, 2) transform. The attribute format bit (0x8000) may be left in `attrType`.
// Attributes whose values are numbers (lifetimes, key lengths, group primes) return "".
export function v1AttrValueName(phase: i32, attrType: i32, value: i32): string {
  const type = attrType & 0x7fff;
  if (phase == 1) {
    switch (type) {
      case OAKLEY_ENCRYPTION_ALGORITHM:
        return nameOf(REG_OAKLEY_ENCR, value);
      case OAKLEY_HASH_ALGORITHM:
        return nameOf(REG_OAKLEY_HASH, value);
      case OAKLEY_AUTHENTICATION_METHOD:
        return nameOf(REG_OAKLEY_AUTH, value);
      case OAKLEY_GROUP_DESCRIPTION:
        return nameOf(REG_DH, value);
      case OAKLEY_GROUP_TYPE:
        return nameOf(REG_OAKLEY_GROUP_TYPE, value);
      case OAKLEY_LIFE_TYPE:
        return nameOf(REG_OAKLEY_LIFE, value);
    }
    return "";
  }
  if (phase == 2) {
    switch (type) {
      case SA_LIFE_TYPE:
        return lookup(SA_LIFE_V, SA_LIFE_N, value);
      case GROUP_DESCRIPTION:
        return nameOf(REG_DH, value);
      case ENCAPSULATION_MODE:
        return nameOf(REG_IPSEC_ENCAP, value);
      case AUTH_ALGORITHM:
        return nameOf(REG_IPSEC_AUTH, value);
      case ECN_TUNNEL:
        return lookup(ECN_V, ECN_N, value);
      case ESN_64BIT_SEQNUM:
        return lookup(ESN_ATTR_V, ESN_ATTR_N, value);
      case SIG_ENC_ALGO_VAL:
        return lookup(SIG_ENC_V, SIG_ENC_N, value);
      case ADDRESS_PRESERVATION:
        return lookup(ADDR_PRES_V, ADDR_PRES_N, value);
      case SA_DIRECTION:
        return lookup(SA_DIR_V, SA_DIR_N, value);
    }
  }
  return "";
}

// Whether a table is malformed: not as many names as values, or values not strictly ascending.
function tableFault(values: StaticArray<i32>, names: StaticArray<string>): bool {
  if (values.length != names.length) return true;
  for (let i = 1; i < values.length; i++) {
    if (unchecked(values[i - 1]) >= unchecked(values[i])) return true;
  }
  return false;
}

// For tests: 0 when every table is well formed, otherwise the REG_* id of the first faulty
// registry (a registry without a table counts as faulty), or 100 + n for the n-th table that
// has no REG_* id.
export function namesSelfCheck(): i32 {
  for (let reg = 1; reg < REG_MAX; reg++) {
    const values = registryValues(reg);
    const names = registryNames(reg);
    if (values === null || names === null) return reg;
    if (tableFault(values, names)) return reg;
  }
  if (tableFault(KWA_V, KWA_N)) return 101;
  if (tableFault(GCAUTH_V, GCAUTH_N)) return 102;
  if (tableFault(SA_LIFE_V, SA_LIFE_N)) return 103;
  if (tableFault(ECN_V, ECN_N)) return 104;
  if (tableFault(ESN_ATTR_V, ESN_ATTR_N)) return 105;
  if (tableFault(SIG_ENC_V, SIG_ENC_N)) return 106;
  if (tableFault(ADDR_PRES_V, ADDR_PRES_N)) return 107;
  if (tableFault(SA_DIR_V, SA_DIR_N)) return 108;
  return 0;
}
