// IKEv1 decryption of a capture, as an observer with Wireshark's ikev1_decryption_table
// (initiator cookie, encryption key) follows it: RFC 2409 Appendix B's IV chain.
//
// An IKEv1 message with the E flag is CBC ciphertext (DES, 3DES or AES-CBC: the ISAKMP SA's
// Encryption Algorithm attribute, RFC 2409 Appendix A) with no IV on the wire. The IV is kept
// by both ends, and so by an observer that has seen every message in order:
//   - phase 1 (Main or Aggressive Mode, message ID 0): the first encrypted message uses
//     hash(g^xi | g^xr) cut to the cipher's block size (hash: the SA's Hash Algorithm
//     attribute); each later one the last ciphertext block of the phase-1 message before it;
//   - every exchange with a message ID (Quick Mode, Informational, Transaction): its first
//     message uses hash(last phase-1 ciphertext block | message ID) cut to the block size, each
//     later message of the same ID the last ciphertext block of the one before.
// The observer takes the chosen transform from the responder's SA payload and g^xi / g^xr
// from the KE payloads of phase 1, both in the clear. A retransmission (a datagram identical to
// one already decrypted) gets the plaintext of the first copy, not the next IV of the chain
// (Wireshark 4.0 chains from the previous copy and shows it as malformed).
//
// The plaintext is the payload chain then padding (RFC 2409 5.3: the header's length covers
// it); the chain's own lengths say where it ends (the wire decoder's K_V1_CHAIN takes the
// padding). A failure is a reason, never an exception.
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import * as abi from "../core/abi.ts";
import type { CryptoProvider } from "./crypto/provider.ts";
import { portableProvider } from "./crypto/portable.ts";
import { concatBytes as concat, hex } from "./crypto/algorithms.ts";
import type { WireNode } from "./wire.ts";

/** One ikev1_decryption_table line: the encryption key of one ISAKMP SA. */
export interface V1Key {
  line: number;
  icookie: string; // 16 hex digits, lower case
  encKey: Uint8Array;
}

export type V1Result = { ok: true; plain: Uint8Array; cipher: string; retransmission: boolean } | { ok: false; reason: string };

// Phase 1 attribute types and values (RFC 2409 Appendix A; IANA "IPSEC Registry")
const ATTR_ENCRYPTION = 1;
const ATTR_HASH = 2;
const ATTR_KEY_LENGTH = 14;
const PROTO_ISAKMP = 1;

interface V1Cipher {
  name: string; // as RFC 2409 / IANA name it
  v2id: number; // the provider's transform ID (IKEv2 numbering) for the same CBC cipher
  block: number;
  keyLens: number[]; // bytes
}
const CIPHERS: Record<number, V1Cipher> = {
  1: { name: "DES-CBC", v2id: 2, block: 8, keyLens: [8] },
  5: { name: "3DES-CBC", v2id: 3, block: 8, keyLens: [24] },
  7: { name: "AES-CBC", v2id: 12, block: 16, keyLens: [16, 24, 32] },
};
const HASHES: Record<number, { name: string; fn: (b: Uint8Array) => Uint8Array }> = {
  1: { name: "MD5", fn: md5 },
  2: { name: "SHA", fn: sha1 },
  4: { name: "SHA2-256", fn: sha256 },
  5: { name: "SHA2-384", fn: sha384 },
  6: { name: "SHA2-512", fn: sha512 },
};
const ENCR_NAMES: Record<number, string> = { 1: "DES-CBC", 2: "IDEA-CBC", 3: "Blowfish-CBC", 4: "RC5-R16-B64-CBC", 5: "3DES-CBC", 6: "CAST-CBC", 7: "AES-CBC", 8: "CAMELLIA-CBC" };
const HASH_NAMES: Record<number, string> = { 1: "MD5", 2: "SHA", 3: "Tiger", 4: "SHA2-256", 5: "SHA2-384", 6: "SHA2-512" };

interface V1Sa {
  encr?: number;
  hash?: number;
  keyLen?: number; // bits, from the Key Length attribute
  gxi?: Uint8Array;
  gxr?: Uint8Array;
  phase1Iv?: Uint8Array; // the IV of the next phase-1 message; after phase 1 its last block
  p2Iv: Map<number, Uint8Array>; // per message ID: the IV of its next message
  seen: Map<string, Uint8Array>; // ciphertext (hex) -> plaintext, for retransmissions
}


/** Follows every IKEv1 message of a capture, in order, and decrypts those with the E flag. */
export class V1Decryptor {
  private readonly sas = new Map<string, V1Sa>();
  /** Most SAs / remembered datagrams per SA an observer keeps (a capture is bounded too). */
  static readonly MAX_SAS = 65536;
  static readonly MAX_SEEN = 4096;

  constructor(
    private readonly keys: Map<string, V1Key>,
    private readonly provider: CryptoProvider = portableProvider,
  ) {}

  private sa(icookie: string): V1Sa | undefined {
    let s = this.sas.get(icookie);
    if (!s && this.sas.size < V1Decryptor.MAX_SAS) {
      s = { p2Iv: new Map(), seen: new Map() };
      this.sas.set(icookie, s);
    }
    return s;
  }

  /**
   * Observes an IKEv1 message that is not encrypted: phase 1's SA and KE payloads are taken
   * from it. `hdr` is the decoded K_V1_HDR root.
   */
  observe(hdr: WireNode): void {
    const msgid = hdr.f[5] >>> 0;
    if (msgid !== 0 || !hdr.a) return;
    const s = this.sa(hex(hdr.a));
    if (!s) return;
    for (const p of hdr.children) this.payload(s, p, hdr);
  }

  private payload(s: V1Sa, p: WireNode, hdr: WireNode): void {
    if (p.kind === abi.K_V1_SA) {
      // The responder's SA (responder cookie set) holds the one chosen transform; the
      // initiator's offer is taken only until the answer comes.
      const responder = hdr.b !== undefined && hdr.b.some((x) => x !== 0);
      const prop = p.children.find((c) => c.kind === abi.K_V1_PROP && c.f[1] === PROTO_ISAKMP);
      const xf = prop?.children.find((c) => c.kind === abi.K_V1_XFORM);
      if (!xf || (!responder && s.encr !== undefined)) return;
      s.encr = s.hash = s.keyLen = undefined;
      for (const a of xf.children) {
        if (a.kind !== abi.K_ATTR) continue;
        const v = a.f[1] ? a.f[2] : a.a && a.a.length <= 4 ? a.a.reduce((x, y) => x * 256 + y, 0) : -1;
        if (a.f[0] === ATTR_ENCRYPTION) s.encr = v;
        else if (a.f[0] === ATTR_HASH) s.hash = v;
        else if (a.f[0] === ATTR_KEY_LENGTH) s.keyLen = v;
      }
    } else if (p.kind === abi.K_V1_DATA && p.ptype === abi.PT1_KE && p.a) {
      // The initiator sends its KE first (Main Mode message 3, Aggressive Mode message 1); a
      // retransmitted copy of it is not the responder's.
      if (!s.gxi) s.gxi = p.a.slice();
      else if (!s.gxr && hex(p.a) !== hex(s.gxi)) s.gxr = p.a.slice();
    }
  }

  /**
   * Decrypts the body of a message with the E flag. `hdr` is the decoded K_V1_HDR root,
   * `enc` its K_V1_ENC child (the ciphertext).
   */
  decrypt(hdr: WireNode, enc: WireNode): V1Result {
    const icookie = hdr.a ? hex(hdr.a) : "";
    const key = this.keys.get(icookie);
    if (!key) return { ok: false, reason: `no ikev1_decryption_table line for initiator cookie ${icookie}` };
    const s = this.sa(icookie);
    if (!s) return { ok: false, reason: `more than ${V1Decryptor.MAX_SAS} ISAKMP SAs in the capture` };
    const ct = enc.a ?? new Uint8Array(0);
    const again = s.seen.get(hex(ct));
    if (again) return { ok: true, plain: again, cipher: this.cipherName(s), retransmission: true };
    if (s.encr === undefined) return { ok: false, reason: "the ISAKMP SA's transform was not seen (no SA payload from the responder before this message)" };
    const c = CIPHERS[s.encr];
    if (!c) return { ok: false, reason: `Encryption Algorithm ${ENCR_NAMES[s.encr] ?? s.encr} (${s.encr}) is not one ikedump decrypts (DES-CBC, 3DES-CBC, AES-CBC)` };
    if (!c.keyLens.includes(key.encKey.length)) {
      return { ok: false, reason: `key line ${key.line}: ${c.name} takes a key of ${c.keyLens.join(" or ")} bytes, the line has ${key.encKey.length}` };
    }
    if (s.keyLen !== undefined && s.keyLen !== key.encKey.length * 8) {
      return { ok: false, reason: `key line ${key.line}: the SA negotiated a ${s.keyLen}-bit key, the line has ${key.encKey.length * 8} bits` };
    }
    const h = s.hash !== undefined ? HASHES[s.hash] : undefined;
    if (!h) return { ok: false, reason: `Hash Algorithm ${s.hash === undefined ? "(none)" : `${HASH_NAMES[s.hash] ?? s.hash} (${s.hash})`} cannot derive the IV` };
    if (ct.length === 0 || ct.length % c.block !== 0) {
      return { ok: false, reason: `${ct.length} bytes of ciphertext, not a multiple of ${c.name}'s ${c.block}-byte block` };
    }

    const msgid = hdr.f[5] >>> 0;
    let iv: Uint8Array;
    if (msgid === 0) {
      if (!s.phase1Iv) {
        if (!s.gxi || !s.gxr) return { ok: false, reason: `the ${s.gxi ? "responder's" : "initiator's"} KE payload was not seen: the first phase-1 IV is hash(g^xi | g^xr)` };
        s.phase1Iv = h.fn(concat(s.gxi, s.gxr)).subarray(0, c.block);
      }
      iv = s.phase1Iv;
    } else {
      const known = s.p2Iv.get(msgid);
      if (known) iv = known;
      else {
        if (!s.phase1Iv) return { ok: false, reason: `message ID ${msgid} before any encrypted phase-1 message: no phase-1 IV to derive its IV from` };
        const id = new Uint8Array(4);
        new DataView(id.buffer).setUint32(0, msgid);
        iv = h.fn(concat(s.phase1Iv, id)).subarray(0, c.block);
      }
    }
    const plain = this.provider.decrypt(c.v2id, key.encKey, iv, ct);
    if (!plain) return { ok: false, reason: `${c.name} decryption failed` };
    const last = ct.slice(ct.length - c.block);
    if (msgid === 0) s.phase1Iv = last;
    else if (s.p2Iv.size < V1Decryptor.MAX_SEEN || s.p2Iv.has(msgid)) s.p2Iv.set(msgid, last);
    if (s.seen.size < V1Decryptor.MAX_SEEN) s.seen.set(hex(ct), plain);
    return { ok: true, plain, cipher: this.cipherName(s), retransmission: false };
  }

  private cipherName(s: V1Sa): string {
    const e = s.encr !== undefined ? (CIPHERS[s.encr]?.name ?? String(s.encr)) : "?";
    const bits = s.keyLen ? `_${s.keyLen}` : "";
    return `${e}${bits}/${s.hash !== undefined ? (HASH_NAMES[s.hash] ?? s.hash) : "?"}`;
  }
}
