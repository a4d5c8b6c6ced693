// ike= / esp= / ah= proposal strings in Libreswan's syntax, into IKEv2 transform numbers.
// Runtime-neutral.
//
//   ike=aes_gcm256-sha2_256;dh19           ENCR[-KEYLEN]-PRF;DH
//   ike=aes256-sha2;modp2048,aes128-sha1-modp2048   proposals separated by ',', old '-' DH form
//   ike=aes+aes_gcm-sha2+sha1-dh19+dh20    '+' lists alternatives within one proposal
//   esp=aes_gcm256                          ENCR[-INTEG][;DH] (DH is the PFS group)
//   ah=sha2_256                             INTEG[;DH]
//
// Missing parts take Libreswan 4.10's defaults (lib/libswan/ike_info.c, esp_info.c, ah_info.c):
// IKEv2 IKE: AES_GCM_16_256, AES_GCM_16_128, AES_CBC_256, AES_CBC_128, each with PRF
// SHA2_512+SHA2_256 (integrity derived from the PRF for CBC) and DH MODP2048, MODP3072,
// MODP4096, MODP8192, ECP256, ECP384, ECP521, Curve25519. IKEv2 ESP: the same four ciphers
// with integrity SHA2_512_256+SHA2_256_128 for CBC, no DH (PFS uses the IKE SA's group).
// An AES-family cipher without a key length is proposed with both 256 and 128 bits (IKE high
// to low, ESP low to high), as pluto does.
//
// Numbers are IANA's "IKEv2 Transform Type" values: 1 ENCR, 2 PRF, 3 INTEG, 4 DH.

export type ProposalProtocol = "ike" | "esp" | "ah";

export interface Proposal {
  /** [transform id, key length in bits]; 0 = no Key Length attribute */
  encr: [number, number][];
  prf: number[];
  /** empty for AEAD ciphers */
  integ: number[];
  /** empty: none proposed (ESP/AH: use the IKE SA's group when pfs=yes) */
  dh: number[];
  /** additional key exchanges (RFC 9370, `;addke1=ml_kem_768`): addke[0] is ADDKE1 (transform type 6) */
  addke: number[][];
}

export type ProposalResult =
  | { ok: true; proposals: Proposal[]; defaulted: boolean }
  | { ok: false; error: string };

interface EncrAlg {
  id: number;
  name: string;
  aead: boolean;
  /** valid key lengths; empty: fixed length, no Key Length attribute */
  keylens: number[];
  /** default key length (0 when fixed) */
  def: number;
  ikeOk: boolean;
}

const AES = [128, 192, 256];
const ENCR: [string[], EncrAlg][] = [
  [["3des", "3des_cbc"], { id: 3, name: "3DES", aead: false, keylens: [], def: 0, ikeOk: true }],
  [["null"], { id: 11, name: "NULL", aead: false, keylens: [], def: 0, ikeOk: false }],
  [["aes", "aes_cbc"], { id: 12, name: "AES_CBC", aead: false, keylens: AES, def: 128, ikeOk: true }],
  [["aesctr", "aes_ctr"], { id: 13, name: "AES_CTR", aead: false, keylens: AES, def: 128, ikeOk: true }],
  [["aes_ccm_8", "aes_ccm_a"], { id: 14, name: "AES_CCM_8", aead: true, keylens: AES, def: 128, ikeOk: true }],
  [["aes_ccm_12", "aes_ccm_b"], { id: 15, name: "AES_CCM_12", aead: true, keylens: AES, def: 128, ikeOk: true }],
  [["aes_ccm", "aes_ccm_16", "aes_ccm_c"], { id: 16, name: "AES_CCM_16", aead: true, keylens: AES, def: 128, ikeOk: true }],
  [["aes_gcm_8", "aes_gcm_a"], { id: 18, name: "AES_GCM_8", aead: true, keylens: AES, def: 128, ikeOk: true }],
  [["aes_gcm_12", "aes_gcm_b"], { id: 19, name: "AES_GCM_12", aead: true, keylens: AES, def: 128, ikeOk: true }],
  [["aes_gcm", "aes_gcm_16", "aes_gcm_c"], { id: 20, name: "AES_GCM_16", aead: true, keylens: AES, def: 128, ikeOk: true }],
  [["null_auth_aes_gmac", "aes_gmac"], { id: 21, name: "NULL_AUTH_AES_GMAC", aead: true, keylens: AES, def: 128, ikeOk: false }],
  [["camellia", "camellia_cbc"], { id: 23, name: "CAMELLIA_CBC", aead: false, keylens: AES, def: 128, ikeOk: true }],
  [["camellia_ctr"], { id: 24, name: "CAMELLIA_CTR", aead: false, keylens: AES, def: 128, ikeOk: false }],
  [["chacha20_poly1305", "chacha20poly1305"], { id: 28, name: "CHACHA20_POLY1305", aead: true, keylens: [256], def: 0, ikeOk: true }],
];

interface PrfAlg {
  id: number;
  name: string;
  /** the integrity algorithm implemented with this PRF */
  integ: number;
}
const PRF: [string[], PrfAlg][] = [
  [["md5", "hmac_md5"], { id: 1, name: "HMAC_MD5", integ: 1 }],
  [["sha", "sha1", "hmac_sha1"], { id: 2, name: "HMAC_SHA1", integ: 2 }],
  [["aes128_xcbc", "aes_xcbc"], { id: 4, name: "AES128_XCBC", integ: 5 }],
  [["sha2", "sha256", "sha2_256", "hmac_sha2_256"], { id: 5, name: "HMAC_SHA2_256", integ: 12 }],
  [["sha384", "sha2_384", "hmac_sha2_384"], { id: 6, name: "HMAC_SHA2_384", integ: 13 }],
  [["sha512", "sha2_512", "hmac_sha2_512"], { id: 7, name: "HMAC_SHA2_512", integ: 14 }],
  [["aes_cmac"], { id: 8, name: "AES128_CMAC", integ: 8 }],
];

const INTEG: [string[], { id: number; name: string }][] = [
  [["none", "null"], { id: 0, name: "NONE" }],
  [["md5", "hmac_md5", "hmac_md5_96"], { id: 1, name: "HMAC_MD5_96" }],
  [["sha", "sha1", "sha1_96", "hmac_sha1", "hmac_sha1_96"], { id: 2, name: "HMAC_SHA1_96" }],
  [["aes_xcbc", "aes128_xcbc", "aes_xcbc_96", "aes128_xcbc_96"], { id: 5, name: "AES_XCBC_96" }],
  [["aes_cmac", "aes_cmac_96"], { id: 8, name: "AES_CMAC_96" }],
  [["sha2", "sha256", "sha2_256", "sha2_256_128", "hmac_sha2_256", "hmac_sha2_256_128"], { id: 12, name: "HMAC_SHA2_256_128" }],
  [["sha384", "sha2_384", "sha2_384_192", "hmac_sha2_384", "hmac_sha2_384_192"], { id: 13, name: "HMAC_SHA2_384_192" }],
  [["sha512", "sha2_512", "sha2_512_256", "hmac_sha2_512", "hmac_sha2_512_256"], { id: 14, name: "HMAC_SHA2_512_256" }],
];

const DH: [string[], { id: number; name: string }][] = [
  [["none", "null", "dh0"], { id: 0, name: "NONE" }],
  [["modp1024", "dh2"], { id: 2, name: "MODP1024" }],
  [["modp1536", "dh5"], { id: 5, name: "MODP1536" }],
  [["modp2048", "dh14"], { id: 14, name: "MODP2048" }],
  [["modp3072", "dh15"], { id: 15, name: "MODP3072" }],
  [["modp4096", "dh16"], { id: 16, name: "MODP4096" }],
  [["modp6144", "dh17"], { id: 17, name: "MODP6144" }],
  [["modp8192", "dh18"], { id: 18, name: "MODP8192" }],
  [["dh19", "ecp_256", "ecp256"], { id: 19, name: "ECP_256" }],
  [["dh20", "ecp_384", "ecp384"], { id: 20, name: "ECP_384" }],
  [["dh21", "ecp_521", "ecp521"], { id: 21, name: "ECP_521" }],
  [["dh22"], { id: 22, name: "DH22" }],
  [["dh23"], { id: 23, name: "DH23" }],
  [["dh24"], { id: 24, name: "DH24" }],
  [["dh31", "curve25519"], { id: 31, name: "CURVE25519" }],
];

function table<T>(rows: [string[], T][]): Map<string, T> {
  const m = new Map<string, T>();
  for (const [names, v] of rows) for (const n of names) m.set(n, v);
  return m;
}
const KEM: [string[], { id: number; name: string }][] = [
  [["ml_kem_512", "mlkem512"], { id: 35, name: "ML_KEM_512" }],
  [["ml_kem_768", "mlkem768"], { id: 36, name: "ML_KEM_768" }],
  [["ml_kem_1024", "mlkem1024"], { id: 37, name: "ML_KEM_1024" }],
];

const ENCR_BY_NAME = table(ENCR);
const ADDKE_BY_NAME = table([...DH, ...KEM]);
const PRF_BY_NAME = table(PRF);
const INTEG_BY_NAME = table(INTEG);
const DH_BY_NAME = table(DH);
const ENCR_BY_ID = new Map(ENCR.map(([, v]) => [v.id, v]));

export const ENCR_ID = { AES_CBC: 12, AES_GCM_16: 20, CHACHA20_POLY1305: 28, "3DES": 3 } as const;

export function encrName(id: number): string {
  return ENCR_BY_ID.get(id)?.name ?? `ENCR_${id}`;
}
export function prfName(id: number): string {
  return PRF.find(([, v]) => v.id === id)?.[1].name ?? `PRF_${id}`;
}
export function integName(id: number): string {
  return INTEG.find(([, v]) => v.id === id)?.[1].name ?? `INTEG_${id}`;
}
export function dhName(id: number): string {
  return [...DH, ...KEM].find(([, v]) => v.id === id)?.[1].name ?? `DH_${id}`;
}

/** A proposal as pluto prints it: AES_GCM_16_256-HMAC_SHA2_512+HMAC_SHA2_256-MODP2048+ECP_256 */
export function describeProposal(p: Proposal): string {
  const parts = [p.encr.map(([id, kl]) => (kl > 0 ? `${encrName(id)}_${kl}` : encrName(id))).join("+")];
  if (p.prf.length > 0) parts.push(p.prf.map(prfName).join("+"));
  if (p.integ.length > 0) parts.push(p.integ.map(integName).join("+"));
  if (p.dh.length > 0) parts.push(p.dh.map(dhName).join("+"));
  let out = parts.filter((x) => x !== "").join("-");
  p.addke.forEach((ids, i) => {
    if (ids.length > 0) out += `;ADDKE${i + 1}=${ids.map(dhName).join("+")}`;
  });
  return out;
}

// --------------------------------------------------------------------------------- defaults

interface Defaults {
  proposals: string;
  prf: number[];
  integ: number[] | null; // null: derive from PRF
  dh: number[];
}

const DEFAULTS: Record<"v1" | "v2", Record<ProposalProtocol, Defaults>> = {
  v2: {
    ike: {
      proposals: "aes_gcm_16_256,aes_gcm_16_128,aes_cbc_256,aes_cbc_128",
      prf: [7, 5],
      integ: null,
      dh: [14, 15, 16, 18, 19, 20, 21, 31],
    },
    esp: { proposals: "aes_gcm_16_256,aes_gcm_16_128,aes_cbc_256,aes_cbc_128", prf: [], integ: [14, 12], dh: [] },
    ah: { proposals: "sha2_512_256,sha2_256_128,sha1_96", prf: [], integ: [14, 12], dh: [] },
  },
  v1: {
    ike: { proposals: "aes_cbc,3des", prf: [5, 7, 2], integ: null, dh: [14, 5] },
    esp: { proposals: "aes_cbc", prf: [], integ: [2], dh: [] },
    ah: { proposals: "sha1_96", prf: [], integ: [2], dh: [] },
  },
};

// --------------------------------------------------------------------------------- parser

interface Tok {
  text: string;
  /** the separator before this token ('' for the first) */
  before: string;
}

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let before = "";
  let cur = "";
  for (const c of s) {
    if (c === "-" || c === ";" || c === "+") {
      out.push({ text: cur, before });
      before = c;
      cur = "";
    } else cur += c;
  }
  out.push({ text: cur, before });
  return out;
}

class Cursor {
  i = 0;
  constructor(readonly toks: Tok[]) {}
  get cur(): Tok | undefined {
    return this.toks[this.i];
  }
  get next(): Tok | undefined {
    return this.toks[this.i + 1];
  }
}

function parseEncr(c: Cursor, proto: string): { alg: EncrAlg; keylen: number } | string {
  const t = c.cur!;
  if (t.text === "") return `${proto} encryption algorithm is empty`;
  const low = t.text.toLowerCase();
  // <ealg>-<eklen>
  const n = c.next;
  if (n !== undefined && n.before === "-" && /^[0-9]/.test(n.text)) {
    const alg = ENCR_BY_NAME.get(low);
    if (alg === undefined) return `${proto} encryption algorithm '${t.text}' is not recognized`;
    const kl = keylenOf(alg, n.text, `${t.text}-${n.text}`);
    if (typeof kl === "string") return kl;
    c.i += 2;
    return { alg, keylen: kl };
  }
  const direct = ENCR_BY_NAME.get(low);
  if (direct !== undefined) {
    c.i++;
    return { alg: direct, keylen: 0 };
  }
  // <ealg><eklen> or <ealg>_<eklen>
  const m = /^(.*?)_?([0-9]+)$/.exec(low);
  if (m !== null && m[1] !== "") {
    const alg = ENCR_BY_NAME.get(m[1]!);
    if (alg !== undefined) {
      const kl = keylenOf(alg, m[2]!, t.text);
      if (typeof kl === "string") return kl;
      c.i++;
      return { alg, keylen: kl };
    }
  }
  return `${proto} encryption algorithm '${t.text}' is not recognized`;
}

function keylenOf(alg: EncrAlg, text: string, print: string): number | string {
  if (!/^[0-9]+$/.test(text)) return `key length '${text}' in '${print}' is not a number`;
  const kl = Number(text);
  if (alg.keylens.length === 0) return `'${print}': ${alg.name} does not take a key length`;
  if (!alg.keylens.includes(kl)) return `'${print}': ${alg.name} key length must be one of ${alg.keylens.join(", ")}`;
  // a fixed-length cipher (chacha20_poly1305-256) is sent without a Key Length attribute
  return alg.keylens.length === 1 ? 0 : kl;
}

function parseList<T>(c: Cursor, map: Map<string, T>, what: string, proto: string): T[] | string {
  const out: T[] = [];
  for (;;) {
    const t = c.cur!;
    if (t.text === "") return `${proto} ${what} algorithm is empty`;
    const v = map.get(t.text.toLowerCase());
    if (v === undefined) return `${proto} ${what} algorithm '${t.text}' is not recognized`;
    out.push(v);
    c.i++;
    if (c.cur === undefined || c.cur.before !== "+") return out;
  }
}

function uniq(xs: number[]): number[] {
  return [...new Set(xs)];
}

function parseOne(text: string, proto: ProposalProtocol, v: "v1" | "v2"): Proposal | string {
  const P = proto.toUpperCase();
  const c = new Cursor(tokenize(text));
  const encr: { alg: EncrAlg; keylen: number }[] = [];
  let prf: number[] = [];
  let integ: number[] | null = null;
  let dh: number[] = [];
  if (proto !== "ah") {
    for (;;) {
      const e = parseEncr(c, P);
      if (typeof e === "string") return e;
      if (proto === "ike" && !e.alg.ikeOk) return `${P} encryption algorithm ${ianaName("encr", e.alg.id)} is not allowed for IKE`;
      encr.push(e);
      if (c.cur === undefined || c.cur.before !== "+") break;
    }
  }
  // <encr>-<PRF>, else <encr>-<INTEG>-<PRF> (IKE); <encr>-<INTEG> (ESP); <INTEG> (AH)
  if (c.cur !== undefined && c.cur.before !== ";") {
    if (proto === "ike") {
      const save = c.i;
      const p = parseList(c, PRF_BY_NAME, "PRF", P);
      if (typeof p !== "string") prf = p.map((x) => x.id);
      else {
        c.i = save;
        const ig = parseList(c, INTEG_BY_NAME, "integrity", P);
        if (typeof ig === "string") return p; // report the PRF error, as pluto does
        integ = ig.map((x) => x.id);
        if (c.cur !== undefined && c.cur.before !== ";") {
          const p2 = parseList(c, PRF_BY_NAME, "PRF", P);
          if (typeof p2 === "string") return p2;
          prf = p2.map((x) => x.id);
        }
      }
    } else {
      const ig = parseList(c, INTEG_BY_NAME, "integrity", P);
      if (typeof ig === "string") return ig;
      integ = ig.map((x) => x.id);
    }
  }
  const isAddke = (t: Tok | undefined) => t !== undefined && /^addke[1-7]=/i.test(t.text);
  if (c.cur !== undefined && !isAddke(c.cur)) {
    const d = parseList(c, DH_BY_NAME, "DH", P);
    if (typeof d === "string") return d;
    dh = d.map((x) => x.id);
  }
  const addke: number[][] = [];
  while (c.cur !== undefined && isAddke(c.cur) && c.cur.before !== "+") {
    if (proto !== "ike") return `${P} proposal '${text}': additional key exchanges are for IKE only`;
    const slot = Number(c.cur.text[5]);
    if (addke[slot - 1] !== undefined && addke[slot - 1]!.length > 0) return `${P} proposal '${text}': ADDKE${slot} given twice`;
    // parse the list after 'addkeN=' (the tokens are this proposal's own)
    const tok = c.toks[c.i]!;
    c.toks[c.i] = { text: tok.text.slice(7), before: tok.before };
    const d = parseList(c, ADDKE_BY_NAME, `ADDKE${slot}`, P);
    if (typeof d === "string") return d;
    while (addke.length < slot) addke.push([]);
    addke[slot - 1] = uniq(d.map((x) => x.id));
  }
  if (c.cur !== undefined) return `${P} proposal contains unexpected '${c.cur.text}'`;

  // merge defaults and check
  const def = DEFAULTS[v][proto];
  const aead = encr.length > 0 && encr.every((e) => e.alg.aead);
  if (encr.length > 0 && encr.some((e) => e.alg.aead) && !aead) {
    return `${P} proposal '${text}' mixes AEAD and non-AEAD encryption algorithms`;
  }
  if (proto === "ike" && prf.length === 0) prf = [...def.prf];
  if (integ === null) {
    if (aead) integ = [];
    else if (def.integ !== null) integ = [...def.integ];
    else {
      const fromPrf: number[] = [];
      for (const p of prf) {
        const alg = PRF.find(([, a]) => a.id === p)![1];
        fromPrf.push(alg.integ);
      }
      integ = fromPrf;
    }
  } else if (aead) {
    if (integ.some((x) => x !== 0)) return `${P} proposal '${text}': AEAD encryption needs integrity 'none'`;
    integ = [];
  } else if (integ.includes(0) && !encr.some((e) => e.alg.id === 21)) {
    if (proto === "ah" || encr.length > 0) return `${P} proposal '${text}': integrity 'none' needs an AEAD encryption algorithm`;
  }
  if (proto === "ah" && integ.length === 0) return `AH proposal '${text}' needs an integrity algorithm`;
  if (proto === "ike" && dh.length === 0) dh = [...def.dh];
  if (proto === "ike" && dh.includes(0)) return `IKE proposal '${text}': DH 'none' is not allowed for IKE`;

  // expand key lengths: an AES-family cipher without one is proposed with max and default
  const encrOut: [number, number][] = [];
  for (const e of encr) {
    if (e.keylen > 0 || e.alg.keylens.length <= 1) encrOut.push([e.alg.id, e.keylen]);
    else {
      const max = Math.max(...e.alg.keylens);
      const pair: [number, number][] = [
        [e.alg.id, max],
        [e.alg.id, e.alg.def],
      ];
      if (proto === "esp") pair.reverse();
      encrOut.push(...pair);
    }
  }
  const seen = new Set<string>();
  const encrUniq = encrOut.filter(([id, kl]) => {
    const key = `${id}/${kl}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { encr: encrUniq, prf: uniq(prf), integ: uniq(integ), dh: uniq(dh), addke };
}

/**
 * Parse a proposal list for IKE, ESP or AH. `text` undefined or empty means the defaults.
 * `ikev2` false gives IKEv1's defaults (the numbers are still IKEv2 transform ids).
 */
export function parseProposals(text: string | undefined, proto: ProposalProtocol, ikev2 = true): ProposalResult {
  const v = ikev2 ? "v2" : "v1";
  const defaulted = text === undefined || text.trim() === "";
  const src = defaulted ? DEFAULTS[v][proto].proposals : text!;
  const proposals: Proposal[] = [];
  for (const raw of src.split(",")) {
    const t = raw.trim();
    if (t === "") return { ok: false, error: `${proto.toUpperCase()} proposal list '${src}' has an empty proposal` };
    const p = parseOne(t, proto, v);
    if (typeof p === "string") return { ok: false, error: p };
    proposals.push(p);
  }
  return { ok: true, proposals, defaulted };
}

// --------------------------------------------------------------------------------- support

// What IKEv2 here can do with each transform the parser knows. The parser takes Libreswan's
// syntax and vocabulary; a connection is loaded only when every transform of its proposals is
// one Libreswan 4.10 accepts for that protocol (`ipsec algparse -v -ta` lists its table) and
// one this daemon carries out end to end (test/sim/algorithms.test.ts establishes an IKE SA
// and a Child SA with each). ESP algorithms are keyed here and run by the kernel, so any the
// kernel knows will do; IKE ones run in the crypto providers (hosts/crypto), both of which
// must implement them.

// IANA registry names (core/names/ikev2.ts; test/config/proposals.test.ts checks they agree)
const IANA: Record<"encr" | "prf" | "integ" | "dh", Record<number, string>> = {
  encr: {
    3: "ENCR_3DES", 11: "ENCR_NULL", 12: "ENCR_AES_CBC", 13: "ENCR_AES_CTR", 14: "ENCR_AES_CCM_8", 15: "ENCR_AES_CCM_12",
    16: "ENCR_AES_CCM_16", 18: "ENCR_AES_GCM_8", 19: "ENCR_AES_GCM_12", 20: "ENCR_AES_GCM_16", 21: "ENCR_NULL_AUTH_AES_GMAC",
    23: "ENCR_CAMELLIA_CBC", 24: "ENCR_CAMELLIA_CTR", 28: "ENCR_CHACHA20_POLY1305",
  },
  prf: { 1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 4: "PRF_AES128_XCBC", 5: "PRF_HMAC_SHA2_256", 6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512", 8: "PRF_AES128_CMAC" },
  integ: {
    0: "NONE", 1: "AUTH_HMAC_MD5_96", 2: "AUTH_HMAC_SHA1_96", 5: "AUTH_AES_XCBC_96", 8: "AUTH_AES_CMAC_96",
    12: "AUTH_HMAC_SHA2_256_128", 13: "AUTH_HMAC_SHA2_384_192", 14: "AUTH_HMAC_SHA2_512_256",
  },
  dh: {
    0: "NONE", 2: "MODP_1024", 5: "MODP_1536", 14: "MODP_2048", 15: "MODP_3072", 16: "MODP_4096", 17: "MODP_6144", 18: "MODP_8192",
    19: "ECP_256", 20: "ECP_384", 21: "ECP_521", 22: "MODP_1024_160", 23: "MODP_2048_224", 24: "MODP_2048_256", 31: "CURVE25519",
  },
};
export function ianaName(kind: keyof typeof IANA, id: number): string {
  return IANA[kind][id] ?? `${kind.toUpperCase()}_${id}`;
}

const ESP_ONLY = "Libreswan 4.10 allows it for ESP only";
const WEAK = "Libreswan 4.10 does not accept it (RFC 8247: SHOULD NOT)";
// IKEv2 refusals, by transform kind and ID; what is not listed works
const REFUSED: Record<"ike" | "esp", Record<"encr" | "prf" | "integ" | "dh", Record<number, string>>> = {
  ike: {
    encr: {
      11: ESP_ONLY, 14: ESP_ONLY, 15: ESP_ONLY, 16: ESP_ONLY, 21: ESP_ONLY, 24: ESP_ONLY,
      23: "this daemon's portable crypto provider has no Camellia (Libreswan 4.10 accepts it; esp= can use it)",
    },
    prf: { 8: "Libreswan 4.10 does not accept it" },
    integ: { 8: "Libreswan 4.10 allows it for ESP and AH only" },
    dh: { 2: WEAK, 22: WEAK, 23: WEAK, 24: WEAK },
  },
  esp: { encr: {}, prf: {}, integ: {}, dh: { 2: WEAK, 22: WEAK, 23: WEAK, 24: WEAK } },
};

const KIND_TEXT = { encr: "encryption", prf: "PRF", integ: "integrity", dh: "DH" } as const;

/**
 * Why an IKEv2 proposal cannot be used (a transform Libreswan 4.10 refuses for the protocol, or
 * one this daemon cannot carry out), naming the transform by its registry name; null when it
 * can.
 */
export function unsupported(p: Proposal, proto: "ike" | "esp"): string | null {
  const P = proto.toUpperCase();
  const refused = REFUSED[proto];
  const check = (kind: "encr" | "prf" | "integ" | "dh", ids: number[]): string | null => {
    for (const id of ids) {
      const why = refused[kind][id];
      if (why !== undefined) return `${P} ${KIND_TEXT[kind]} algorithm ${ianaName(kind, id)} is not supported${proto === "ike" ? " for IKE" : ""}: ${why}`;
    }
    return null;
  };
  const why =
    check("encr", p.encr.map(([id]) => id)) ?? check("prf", p.prf) ?? check("integ", p.integ) ?? check("dh", p.dh);
  if (why !== null) return why;
  const slot = p.addke.findIndex((ids) => ids.length > 0);
  if (slot >= 0) return `${P} additional key exchange ADDKE${slot + 1} (RFC 9370) is not supported: this daemon has no IKE_INTERMEDIATE exchange, and Libreswan 4.10 does not accept it`;
  return null;
}

/**
 * Every algorithm name the parser takes, by transform kind, with its transform ID and valid key
 * lengths (encryption only): what test/sim/algorithms.test.ts enumerates.
 */
export function parserVocabulary(): { kind: "encr" | "prf" | "integ" | "dh"; names: string[]; id: number; keylens: number[]; aead: boolean }[] {
  return [
    ...ENCR.map(([names, a]) => ({ kind: "encr" as const, names, id: a.id, keylens: a.keylens, aead: a.aead })),
    ...PRF.map(([names, a]) => ({ kind: "prf" as const, names, id: a.id, keylens: [], aead: false })),
    ...INTEG.map(([names, a]) => ({ kind: "integ" as const, names, id: a.id, keylens: [], aead: false })),
    ...DH.map(([names, a]) => ({ kind: "dh" as const, names, id: a.id, keylens: [], aead: false })),
  ];
}
