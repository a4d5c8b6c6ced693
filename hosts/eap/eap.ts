// EAP (RFC 3748) as IKEv2 carries it (RFC 7296 2.16): the packet format, and the two ends of the
// methods that need no TLS — EAP-MD5 (RFC 3748 5.4, RFC 1994's CHAP computation) and
// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2, RFC 2759) — as state machines with no I/O:
// a packet in, the packet to send (or the outcome) out. The IKE_AUTH exchange carries what they
// produce; a RADIUS backend can stand in for EapServer.
//
// Every refusal is a reason in words (what was expected, what came), never an exception; a
// packet the RFC says to discard silently (a wrong Identifier, RFC 3748 4.1) is reported as
// `ignore` with its reason so that the caller can log it. A conversation is bounded in rounds.
// Runtime-neutral; MS-CHAPv2 needs initMschapv2() awaited once.
import { md5 } from "@noble/hashes/legacy.js";
import { concatBytes as cat, hex } from "../crypto/algorithms.ts";
import { generateAuthenticatorResponse, generateNtResponse, mschapv2Msk, MAX_PASSWORD, stripDomain } from "./mschapv2.ts";

export const EAP_REQUEST = 1;
export const EAP_RESPONSE = 2;
export const EAP_SUCCESS = 3;
export const EAP_FAILURE = 4;

export const EAP_IDENTITY = 1;
export const EAP_NOTIFICATION = 2;
export const EAP_NAK = 3;
export const EAP_MD5 = 4;
export const EAP_TLS = 13;
export const EAP_MSCHAPV2 = 26;

const CODE_NAMES: Record<number, string> = { 1: "Request", 2: "Response", 3: "Success", 4: "Failure" };
const TYPE_NAMES: Record<number, string> = { 1: "Identity", 2: "Notification", 3: "Nak", 4: "MD5-Challenge", 5: "One-Time Password", 6: "Generic Token Card", 13: "EAP-TLS", 21: "EAP-TTLS", 25: "PEAP", 26: "EAP-MSCHAPv2", 254: "Expanded Type" };
export const eapCodeName = (c: number) => CODE_NAMES[c] ?? `code ${c}`;
export const eapTypeName = (t: number) => TYPE_NAMES[t] ?? `type ${t}`;

/** Largest EAP packet taken (the methods here need a few hundred bytes; EAP-TLS fragments itself). */
export const MAX_EAP = 4096;
/** Most packets one end takes in one conversation. */
export const MAX_ROUNDS = 16;

export interface EapPacket {
  code: number;
  id: number;
  /** Requests and Responses only */
  type?: number;
  /** the Type-Data */
  data: Uint8Array;
}

export type Parsed = { ok: true; packet: EapPacket } | { ok: false; reason: string };

export function parseEap(b: Uint8Array): Parsed {
  if (b.length < 4) return { ok: false, reason: `EAP packet of ${b.length} bytes, shorter than its 4-byte header` };
  if (b.length > MAX_EAP) return { ok: false, reason: `EAP packet of ${b.length} bytes, more than the ${MAX_EAP} taken` };
  const code = b[0];
  const id = b[1];
  const len = (b[2] << 8) | b[3];
  if (len !== b.length) return { ok: false, reason: `EAP Length ${len}, but the payload holds ${b.length} bytes` };
  if (code === EAP_SUCCESS || code === EAP_FAILURE) {
    if (len !== 4) return { ok: false, reason: `EAP ${eapCodeName(code)} of ${len} bytes, expected 4` };
    return { ok: true, packet: { code, id, data: new Uint8Array(0) } };
  }
  if (code !== EAP_REQUEST && code !== EAP_RESPONSE) return { ok: false, reason: `EAP code ${code}, expected Request (1), Response (2), Success (3) or Failure (4)` };
  if (len < 5) return { ok: false, reason: `EAP ${eapCodeName(code)} without a Type` };
  return { ok: true, packet: { code, id, type: b[4], data: b.slice(5) } };
}

export function encodeEap(p: EapPacket): Uint8Array {
  const typed = p.code === EAP_REQUEST || p.code === EAP_RESPONSE;
  const len = 4 + (typed ? 1 + p.data.length : 0);
  const b = new Uint8Array(len);
  b[0] = p.code;
  b[1] = p.id & 0xff;
  b[2] = len >> 8;
  b[3] = len & 0xff;
  if (typed) {
    b[4] = p.type!;
    b.set(p.data, 5);
  }
  return b;
}

const utf8 = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder("utf-8", { fatal: false }).decode(b);
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// MS-CHAPv2 OpCodes (draft-kamath-pppext-eap-mschapv2 2)
const MS_CHALLENGE = 1;
const MS_RESPONSE = 2;
const MS_SUCCESS = 3;
const MS_FAILURE = 4;

function msPacket(op: number, msId: number, body: Uint8Array): Uint8Array {
  const len = 4 + body.length; // MS-Length: from the OpCode on
  return cat(Uint8Array.of(op, msId, len >> 8, len & 0xff), body);
}

/** What an end does with a packet it was given. */
export type Step =
  | { send: Uint8Array } // the next packet to send
  | { ignore: string } // nothing (RFC 3748 says discard it); the reason, to log
  | { success: Uint8Array | null; identity: string; msk: Uint8Array | null } // server: the EAP-Success to send; peer: null
  | { failure: Uint8Array | null; reason: string }; // server: the EAP-Failure to send; peer: null

export type EapMethod = "md5" | "mschapv2";
const METHOD_TYPE: Record<EapMethod, number> = { md5: EAP_MD5, mschapv2: EAP_MSCHAPV2 };

export interface ServerOptions {
  method: EapMethod;
  /** The password of a user (ipsec.secrets `user : EAP "password"`), null for none. */
  secret(identity: string): string | null;
  random(n: number): Uint8Array;
  /** The identity the IKE peer gave (IDi): asked for with EAP-Identity when absent. */
  identity?: string;
  /** The server's name in MS-CHAPv2 challenges. */
  name?: string;
}

/**
 * The authenticator (the gateway). start() gives the first Request; each Response goes to
 * receive(). It ends with a success (with the MSK where the method makes one) or a failure.
 */
export class EapServer {
  private id: number;
  private identity: string | null;
  private state: "identity" | "challenge" | "ms-success" | "ms-failure" | "done" = "identity";
  private challenge: Uint8Array = new Uint8Array(0);
  private msId = 0;
  private rounds = 0;
  private msk: Uint8Array | null = null;
  private failWhy = "";

  constructor(private readonly o: ServerOptions) {
    this.id = o.random(1)[0];
    this.identity = o.identity ?? null;
  }

  start(): Uint8Array {
    if (this.identity === null) {
      this.state = "identity";
      return this.request(EAP_IDENTITY, new Uint8Array(0));
    }
    return this.challengeRequest();
  }

  private request(type: number, data: Uint8Array): Uint8Array {
    this.id = (this.id + 1) & 0xff;
    return encodeEap({ code: EAP_REQUEST, id: this.id, type, data });
  }

  private challengeRequest(): Uint8Array {
    this.state = "challenge";
    if (this.o.method === "md5") {
      this.challenge = this.o.random(16);
      return this.request(EAP_MD5, cat(Uint8Array.of(16), this.challenge, utf8.encode(this.o.name ?? "")));
    }
    this.challenge = this.o.random(16);
    this.msId = this.o.random(1)[0];
    return this.request(EAP_MSCHAPV2, msPacket(MS_CHALLENGE, this.msId, cat(Uint8Array.of(16), this.challenge, utf8.encode(this.o.name ?? ""))));
  }

  private fail(reason: string): Step {
    this.state = "done";
    this.id = (this.id + 1) & 0xff;
    return { failure: encodeEap({ code: EAP_FAILURE, id: this.id, data: new Uint8Array(0) }), reason };
  }

  receive(bytes: Uint8Array): Step {
    if (this.state === "done") return { ignore: "the EAP conversation is over" };
    if (++this.rounds > MAX_ROUNDS) return this.fail(`more than ${MAX_ROUNDS} EAP packets from the peer`);
    const r = parseEap(bytes);
    if (!r.ok) return this.fail(r.reason);
    const p = r.packet;
    if (p.code !== EAP_RESPONSE) return this.fail(`EAP ${eapCodeName(p.code)} from the peer, expected a Response`);
    if (p.id !== this.id) return { ignore: `EAP Response with Identifier ${p.id}, expected ${this.id} (RFC 3748 4.1: discarded)` };
    const want = this.state === "identity" ? EAP_IDENTITY : METHOD_TYPE[this.o.method];
    if (p.type === EAP_NAK && this.state === "challenge") {
      const asked = Array.from(p.data).map(eapTypeName).join(", ") || "none";
      return this.fail(`the peer refused ${eapTypeName(want)} (Nak, it asked for ${asked}); this end offers only ${eapTypeName(want)}`);
    }
    if (p.type !== want) return this.fail(`EAP Response of ${eapTypeName(p.type!)}, expected ${eapTypeName(want)}`);
    if (this.state === "identity") {
      if (p.data.length === 0 || p.data.length > 253) return this.fail(`EAP Identity of ${p.data.length} bytes, expected 1 to 253`);
      this.identity = text(p.data);
      return { send: this.challengeRequest() };
    }
    return this.o.method === "md5" ? this.md5(p) : this.mschapv2(p);
  }

  private md5(p: EapPacket): Step {
    const d = p.data;
    if (d.length < 1 || d[0] !== 16 || d.length < 17) return this.fail(`EAP MD5-Challenge response with a ${d[0] ?? 0}-byte value, expected 16`);
    const secret = this.o.secret(this.identity!);
    if (secret === null) return this.fail(`no EAP secret for '${this.identity}' in ipsec.secrets`);
    const expect = md5(cat(Uint8Array.of(p.id), utf8.encode(secret), this.challenge));
    if (!equal(expect, d.subarray(1, 17))) return this.fail(`EAP MD5-Challenge response of '${this.identity}' does not match its secret`);
    this.state = "done";
    this.id = (this.id + 1) & 0xff;
    return { success: encodeEap({ code: EAP_SUCCESS, id: this.id, data: new Uint8Array(0) }), identity: this.identity!, msk: null };
  }

  private mschapv2(p: EapPacket): Step {
    const d = p.data;
    if (d.length < 1) return this.fail("EAP-MSCHAPv2 packet without an OpCode");
    const op = d[0];
    if (this.state === "challenge") {
      if (op !== MS_RESPONSE) return this.fail(`EAP-MSCHAPv2 OpCode ${op}, expected Response (2)`);
      // (a Response has the MS-CHAPv2 header; the peer's Success and Failure are the OpCode alone)
      if (d.length < 4) return this.fail(`EAP-MSCHAPv2 Response of ${d.length} bytes, shorter than its 4-byte header`);
      const msLen = (d[2] << 8) | d[3];
      if (msLen !== d.length) return this.fail(`EAP-MSCHAPv2 MS-Length ${msLen}, but ${d.length} bytes came`);
      if (d[1] !== this.msId) return this.fail(`EAP-MSCHAPv2 MS-CHAPv2-ID ${d[1]}, expected ${this.msId}`);
      if (d.length < 5 + 49 || d[4] !== 49) return this.fail(`EAP-MSCHAPv2 Response with a ${d[4] ?? 0}-byte value, expected 49`);
      const peerChallenge = d.slice(5, 21);
      const nt = d.slice(29, 53);
      const user = text(d.subarray(54));
      const name = stripDomain(user);
      if (name !== stripDomain(this.identity!)) return this.fail(`EAP-MSCHAPv2 user name '${user}' is not the EAP identity '${this.identity}'`);
      const secret = this.o.secret(this.identity!);
      if (secret === null) return this.fail(`no EAP secret for '${this.identity}' in ipsec.secrets`);
      if (secret.length > MAX_PASSWORD) return this.fail(`the EAP secret of '${this.identity}' is longer than MS-CHAPv2's ${MAX_PASSWORD} characters`);
      if (!equal(generateNtResponse(this.challenge, peerChallenge, user, secret), nt)) {
        // RFC 2759 6: E=691 (authentication failure), R=0 (no retry), C= a new challenge, V=3
        this.state = "ms-failure";
        this.failWhy = `EAP-MSCHAPv2 NT-Response of '${this.identity}' does not match its secret`;
        const msg = utf8.encode(`E=691 R=0 C=${hex(this.o.random(16)).toUpperCase()} V=3 M=Authentication failed`);
        return { send: this.request(EAP_MSCHAPV2, msPacket(MS_FAILURE, this.msId, msg)) };
      }
      const s = generateAuthenticatorResponse(secret, nt, peerChallenge, this.challenge, user);
      this.msk = mschapv2Msk(secret, nt);
      this.state = "ms-success";
      return { send: this.request(EAP_MSCHAPV2, msPacket(MS_SUCCESS, this.msId, utf8.encode(`${s} M=Welcome`))) };
    }
    if (this.state === "ms-success") {
      if (op !== MS_SUCCESS) return this.fail(`EAP-MSCHAPv2 OpCode ${op} after our Success, expected Success (3)`);
      this.state = "done";
      this.id = (this.id + 1) & 0xff;
      return { success: encodeEap({ code: EAP_SUCCESS, id: this.id, data: new Uint8Array(0) }), identity: this.identity!, msk: this.msk };
    }
    // ms-failure: the peer acknowledges (OpCode Failure) or not; it fails either way
    return this.fail(this.failWhy);
  }
}

export interface PeerOptions {
  identity: string;
  password: string;
  random(n: number): Uint8Array;
  /** The methods this end takes, in order of preference (a Nak names the first). */
  methods: EapMethod[];
}

/** The peer (the road-warrior client): receive() each Request; it ends with the server's Success or Failure. */
export class EapPeer {
  private rounds = 0;
  private expectS: string | null = null;
  private msk: Uint8Array | null = null;
  private method: number = 0;
  private done = false;
  private lastId = -1;
  private lastAnswer: Uint8Array = new Uint8Array(0);

  constructor(private readonly o: PeerOptions) {}

  private answer(id: number, type: number, data: Uint8Array): Step {
    this.lastId = id;
    this.lastAnswer = encodeEap({ code: EAP_RESPONSE, id, type, data });
    return { send: this.lastAnswer };
  }

  /** The MSK once the conversation succeeded (null for a method that makes none). */
  get key(): Uint8Array | null {
    return this.msk;
  }

  receive(bytes: Uint8Array): Step {
    if (this.done) return { ignore: "the EAP conversation is over" };
    if (++this.rounds > MAX_ROUNDS) {
      this.done = true;
      return { failure: null, reason: `more than ${MAX_ROUNDS} EAP packets from the server` };
    }
    const r = parseEap(bytes);
    if (!r.ok) {
      this.done = true;
      return { failure: null, reason: r.reason };
    }
    const p = r.packet;
    if (p.code === EAP_SUCCESS) {
      this.done = true;
      if (this.method === EAP_MSCHAPV2 && this.msk === null) return { failure: null, reason: "EAP Success before the server proved it knows the password (no MS-CHAPv2 Success)" };
      if (this.method === 0) return { failure: null, reason: "EAP Success before any method ran" };
      return { success: null, identity: this.o.identity, msk: this.msk };
    }
    if (p.code === EAP_FAILURE) {
      this.done = true;
      return { failure: null, reason: this.failedWith !== null ? `the server refused the password (EAP-MSCHAPv2 Failure: ${this.failedWith}), then sent EAP Failure` : "the server sent EAP Failure" };
    }
    if (p.code !== EAP_REQUEST) {
      this.done = true;
      return { failure: null, reason: `EAP ${eapCodeName(p.code)} from the server, expected a Request` };
    }
    // a retransmitted Request gets the same answer (RFC 3748 4.1)
    if (p.id === this.lastId) return { send: this.lastAnswer };
    switch (p.type) {
      case EAP_IDENTITY:
        return this.answer(p.id, EAP_IDENTITY, utf8.encode(this.o.identity));
      case EAP_NOTIFICATION:
        return this.answer(p.id, EAP_NOTIFICATION, new Uint8Array(0));
      case EAP_MD5:
        if (!this.o.methods.includes("md5")) return this.nak(p.id, p.type);
        if (p.data.length < 1 || p.data[0] === 0 || p.data.length < 1 + p.data[0]) {
          this.done = true;
          return { failure: null, reason: `EAP MD5-Challenge request with a ${p.data.length ? p.data[0] : 0}-byte value in ${p.data.length} bytes` };
        }
        this.method = EAP_MD5;
        return this.answer(p.id, EAP_MD5, cat(Uint8Array.of(16), md5(cat(Uint8Array.of(p.id), utf8.encode(this.o.password), p.data.subarray(1, 1 + p.data[0])))));
      case EAP_MSCHAPV2:
        if (!this.o.methods.includes("mschapv2")) return this.nak(p.id, p.type);
        return this.mschapv2(p);
      default:
        return this.nak(p.id, p.type!);
    }
  }

  private nak(id: number, type: number): Step {
    if (this.method !== 0) {
      this.done = true;
      return { failure: null, reason: `the server switched to ${eapTypeName(type)} in the middle of ${eapTypeName(this.method)}` };
    }
    return this.answer(id, EAP_NAK, Uint8Array.from(this.o.methods.map((m) => METHOD_TYPE[m])));
  }

  private mschapv2(p: EapPacket): Step {
    const d = p.data;
    const bad = (reason: string): Step => {
      this.done = true;
      return { failure: null, reason };
    };
    if (d.length < 4 || ((d[2] << 8) | d[3]) !== d.length) return bad(`EAP-MSCHAPv2 request of ${d.length} bytes with MS-Length ${d.length >= 4 ? (d[2] << 8) | d[3] : "(none)"}`);
    const op = d[0];
    const msId = d[1];
    if (op === MS_CHALLENGE) {
      if (d.length < 21 || d[4] !== 16) return bad(`EAP-MSCHAPv2 Challenge with a ${d[4] ?? 0}-byte value, expected 16`);
      this.method = EAP_MSCHAPV2;
      const authChallenge = d.slice(5, 21);
      const peerChallenge = this.o.random(16);
      const nt = generateNtResponse(authChallenge, peerChallenge, this.o.identity, this.o.password);
      this.expectS = generateAuthenticatorResponse(this.o.password, nt, peerChallenge, authChallenge, this.o.identity);
      this.pendingMsk = mschapv2Msk(this.o.password, nt);
      const value = cat(peerChallenge, new Uint8Array(8), nt, Uint8Array.of(0));
      return this.answer(p.id, EAP_MSCHAPV2, msPacket(MS_RESPONSE, msId, cat(Uint8Array.of(49), value, utf8.encode(this.o.identity))));
    }
    if (op === MS_SUCCESS) {
      if (this.expectS === null) return bad("EAP-MSCHAPv2 Success before any Challenge");
      const msg = text(d.subarray(4));
      const s = /S=([0-9A-Fa-f]{40})/.exec(msg);
      if (!s || `S=${s[1].toUpperCase()}` !== this.expectS) return bad(`the server's EAP-MSCHAPv2 authenticator response ${s ? `S=${s[1]}` : "(none)"} is not the one its password gives: the server does not know it`);
      this.msk = this.pendingMsk;
      // the Success Response is the OpCode alone (draft-kamath 2.2)
      return this.answer(p.id, EAP_MSCHAPV2, Uint8Array.of(MS_SUCCESS));
    }
    if (op === MS_FAILURE) {
      const msg = text(d.subarray(4));
      this.method = EAP_MSCHAPV2;
      this.lastId = p.id;
      this.lastAnswer = encodeEap({ code: EAP_RESPONSE, id: p.id, type: EAP_MSCHAPV2, data: Uint8Array.of(MS_FAILURE) });
      this.failedWith = msg;
      return { send: this.lastAnswer };
    }
    return bad(`EAP-MSCHAPv2 OpCode ${op}, expected Challenge (1), Success (3) or Failure (4)`);
  }

  private pendingMsk: Uint8Array | null = null;
  /** The server's MS-CHAPv2 failure message, if it sent one. */
  failedWith: string | null = null;
}
