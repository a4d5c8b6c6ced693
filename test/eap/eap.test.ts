// EAP-MD5 and EAP-MSCHAPv2 conversations between our server and our peer, and each refusal
// with its reason: wrong password, unknown user, wrong Identifier, wrong method, out-of-order
// packets, oversized or truncated ones, a server that does not know the password.
import { beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import {
  EapServer, EapPeer, parseEap, encodeEap, type Step, type EapMethod,
  EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS, EAP_FAILURE, EAP_IDENTITY, EAP_MD5, EAP_MSCHAPV2, EAP_NAK, MAX_EAP, MAX_ROUNDS,
} from "../../hosts/eap/eap.ts";
import { initMschapv2 } from "../../hosts/eap/mschapv2.ts";

beforeAll(initMschapv2);

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const USERS: Record<string, string> = { alice: "alice's password", bob: "bob-secret" };

// Runs a conversation to its end; returns both outcomes and the packets exchanged.
function converse(method: EapMethod, peerUser: string, peerPassword: string, opts: { identity?: string; peerMethods?: EapMethod[]; tamper?: (b: Uint8Array, n: number) => Uint8Array } = {}) {
  const server = new EapServer({ method, secret: (id) => USERS[id] ?? null, random: rnd, identity: opts.identity, name: "gw.example" });
  const peer = new EapPeer({ identity: peerUser, password: peerPassword, random: rnd, methods: opts.peerMethods ?? [method] });
  const trace: string[] = [];
  let toPeer = server.start();
  let serverEnd: Step | null = null;
  let peerEnd: Step | null = null;
  for (let n = 0; n < 40 && (!serverEnd || !peerEnd); n++) {
    const pr = peer.receive(toPeer);
    trace.push(`S->P ${Buffer.from(toPeer).toString("hex")}`);
    if (!("send" in pr)) {
      peerEnd = pr;
      break;
    }
    const toServer = opts.tamper ? opts.tamper(pr.send, n) : pr.send;
    const sr = server.receive(toServer);
    if ("send" in sr) {
      toPeer = sr.send;
      continue;
    }
    serverEnd = sr;
    if ("success" in sr && sr.success) toPeer = sr.success;
    else if ("failure" in sr && sr.failure) toPeer = sr.failure;
    else break;
    peerEnd = peer.receive(toPeer);
    break;
  }
  return { server: serverEnd, peer: peerEnd, trace, peerKey: peer.key, peerObj: peer };
}

describe("EAP conversations", () => {
  for (const method of ["md5", "mschapv2"] as const) {
    it(`${method}: the right password succeeds on both ends; identity asked when IDi gave none`, () => {
      const r = converse(method, "alice", USERS.alice);
      expect(r.server && "success" in r.server, JSON.stringify(r)).toBe(true);
      expect(r.peer && "success" in r.peer).toBe(true);
      if (r.server && "success" in r.server) {
        expect(r.server.identity).toBe("alice");
        if (method === "mschapv2") {
          expect(r.server.msk?.length).toBe(64);
          expect(Buffer.from(r.peerKey!).toString("hex")).toBe(Buffer.from(r.server.msk!).toString("hex"));
        } else expect(r.server.msk).toBeNull();
      }
      expect(parseEap(Buffer.from(r.trace[0].slice(5), "hex")).ok && (parseEap(Buffer.from(r.trace[0].slice(5), "hex")) as { packet: { type: number } }).packet.type).toBe(EAP_IDENTITY);
    });

    it(`${method}: a wrong password is refused on both ends with the reason`, () => {
      const r = converse(method, "alice", "not alice's password");
      expect(r.server && "failure" in r.server ? r.server.reason : "").toMatch(/of 'alice' does not match its secret/);
      expect(r.peer && "failure" in r.peer ? r.peer.reason : "").toMatch(method === "mschapv2" ? /refused the password \(EAP-MSCHAPv2 Failure: E=691 R=0 C=[0-9A-F]{32} V=3/ : /sent EAP Failure/);
      expect(r.peerKey).toBeNull();
    });

    it(`${method}: an unknown user is refused, naming it`, () => {
      const r = converse(method, "mallory", "whatever");
      expect(r.server && "failure" in r.server ? r.server.reason : "").toBe("no EAP secret for 'mallory' in ipsec.secrets");
    });
  }

  it("the IKE peer's identity (IDi) is used without an EAP-Identity round", () => {
    const r = converse("mschapv2", "bob", USERS.bob, { identity: "bob" });
    expect(r.server && "success" in r.server && r.server.identity).toBe("bob");
    const first = parseEap(Buffer.from(r.trace[0].slice(5), "hex"));
    expect(first.ok && first.packet.type).toBe(EAP_MSCHAPV2);
  });

  it("an MS-CHAPv2 user name other than the identity is refused", () => {
    const r = converse("mschapv2", "bob", USERS.bob, { identity: "alice" });
    expect(r.server && "failure" in r.server ? r.server.reason : "").toBe("EAP-MSCHAPv2 user name 'bob' is not the EAP identity 'alice'");
  });

  it("a peer that takes only the other method Naks it; the server fails naming both", () => {
    const r = converse("md5", "alice", USERS.alice, { peerMethods: ["mschapv2"] });
    expect(r.server && "failure" in r.server ? r.server.reason : "").toBe("the peer refused MD5-Challenge (Nak, it asked for EAP-MSCHAPv2); this end offers only MD5-Challenge");
  });

  it("a Response with the wrong Identifier is ignored (RFC 3748 4.1), the right one then taken", () => {
    const server = new EapServer({ method: "md5", secret: (id) => USERS[id] ?? null, random: rnd });
    const req = parseEap(server.start());
    expect(req.ok).toBe(true);
    const id = req.ok ? req.packet.id : 0;
    const wrong = encodeEap({ code: EAP_RESPONSE, id: (id + 1) & 0xff, type: EAP_IDENTITY, data: new TextEncoder().encode("alice") });
    expect(server.receive(wrong)).toEqual({ ignore: `EAP Response with Identifier ${(id + 1) & 0xff}, expected ${id} (RFC 3748 4.1: discarded)` });
    const right = server.receive(encodeEap({ code: EAP_RESPONSE, id, type: EAP_IDENTITY, data: new TextEncoder().encode("alice") }));
    expect("send" in right).toBe(true);
  });

  it("bad packets: truncated, oversized, a Length that lies, a Request to the server, a method not offered", () => {
    const s = () => {
      const x = new EapServer({ method: "mschapv2", secret: () => "x", random: rnd });
      x.start();
      return x;
    };
    const reason = (st: Step) => ("failure" in st ? st.reason : JSON.stringify(st));
    expect(reason(s().receive(Uint8Array.of(2, 1)))).toBe("EAP packet of 2 bytes, shorter than its 4-byte header");
    expect(reason(s().receive(new Uint8Array(MAX_EAP + 1)))).toBe(`EAP packet of ${MAX_EAP + 1} bytes, more than the ${MAX_EAP} taken`);
    expect(reason(s().receive(Uint8Array.of(2, 1, 0, 9, 1)))).toBe("EAP Length 9, but the payload holds 5 bytes");
    expect(reason(s().receive(Uint8Array.of(1, 1, 0, 5, 1)))).toBe("EAP Request from the peer, expected a Response");
    const x = new EapServer({ method: "mschapv2", secret: () => "x", random: rnd, identity: "alice" });
    const id = (parseEap(x.start()) as { packet: { id: number } }).packet.id;
    expect(reason(x.receive(encodeEap({ code: EAP_RESPONSE, id, type: EAP_MD5, data: Uint8Array.of(16, ...new Uint8Array(16)) })))).toBe("EAP Response of MD5-Challenge, expected EAP-MSCHAPv2");
    // after a failure the conversation is over
    expect(x.receive(encodeEap({ code: EAP_RESPONSE, id, type: EAP_MSCHAPV2, data: new Uint8Array(4) }))).toEqual({ ignore: "the EAP conversation is over" });
  });

  it("an MS-CHAPv2 Response out of order (Success before the Challenge was answered) fails", () => {
    const x = new EapServer({ method: "mschapv2", secret: () => "x", random: rnd, identity: "alice" });
    const id = (parseEap(x.start()) as { packet: { id: number } }).packet.id;
    const st = x.receive(encodeEap({ code: EAP_RESPONSE, id, type: EAP_MSCHAPV2, data: Uint8Array.of(3, 0, 0, 4) }));
    expect("failure" in st && st.reason).toBe("EAP-MSCHAPv2 OpCode 3, expected Response (2)");
  });

  it("the peer refuses a server that does not know the password (a forged MS-CHAPv2 Success)", () => {
    const peer = new EapPeer({ identity: "alice", password: USERS.alice, random: rnd, methods: ["mschapv2"] });
    const ch = Uint8Array.of(1, 7, 0, 21, 16, ...rnd(16));
    expect("send" in peer.receive(encodeEap({ code: EAP_REQUEST, id: 3, type: EAP_MSCHAPV2, data: ch }))).toBe(true);
    const forged = new TextEncoder().encode("S=" + "0".repeat(40) + " M=hi");
    const st = peer.receive(encodeEap({ code: EAP_REQUEST, id: 4, type: EAP_MSCHAPV2, data: Uint8Array.of(3, 7, 0, 4 + forged.length, ...forged) }));
    expect("failure" in st && st.reason).toMatch(/authenticator response S=0{40} is not the one its password gives/);
    expect(peer.key).toBeNull();
  });

  it("the peer: EAP Success before MS-CHAPv2 proved the server fails; a retransmitted Request gets the same answer", () => {
    const peer = new EapPeer({ identity: "alice", password: USERS.alice, random: rnd, methods: ["mschapv2"] });
    const ch = encodeEap({ code: EAP_REQUEST, id: 3, type: EAP_MSCHAPV2, data: Uint8Array.of(1, 7, 0, 21, 16, ...rnd(16)) });
    const a = peer.receive(ch);
    const b = peer.receive(ch);
    expect("send" in a && "send" in b && Buffer.from(a.send).equals(Buffer.from(b.send))).toBe(true);
    const st = peer.receive(encodeEap({ code: EAP_SUCCESS, id: 4, data: new Uint8Array(0) }));
    expect("failure" in st && st.reason).toBe("EAP Success before the server proved it knows the password (no MS-CHAPv2 Success)");
  });

  it("a peer that Naks an unknown method names what it takes; conversations are bounded", () => {
    const peer = new EapPeer({ identity: "alice", password: "p", random: rnd, methods: ["mschapv2", "md5"] });
    const st = peer.receive(encodeEap({ code: EAP_REQUEST, id: 1, type: 13, data: Uint8Array.of(0x20) }));
    const nak = "send" in st ? parseEap(st.send) : null;
    expect(nak?.ok && nak.packet.type).toBe(EAP_NAK);
    expect(nak?.ok && Array.from(nak.packet.data)).toEqual([EAP_MSCHAPV2, EAP_MD5]);
    const server = new EapServer({ method: "md5", secret: () => null, random: rnd });
    server.start();
    let last: Step = { ignore: "" };
    for (let i = 0; i <= MAX_ROUNDS; i++) last = server.receive(encodeEap({ code: EAP_RESPONSE, id: 0xee, type: EAP_IDENTITY, data: Uint8Array.of(0x61) }));
    expect("failure" in last && last.reason).toBe(`more than ${MAX_ROUNDS} EAP packets from the peer`);
    expect(EAP_FAILURE).toBe(4);
  });
});

import fc from "fast-check";
describe("EAP on hostile input", () => {
  it("no packet makes either end throw: each is a step with a reason or a packet", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 6 }), fc.boolean(), (packets, mutate) => {
        const server = new EapServer({ method: "mschapv2", secret: () => "pw", random: rnd, identity: mutate ? undefined : "alice" });
        const peer = new EapPeer({ identity: "alice", password: "pw", random: rnd, methods: ["mschapv2", "md5"] });
        const first = server.start();
        for (const p of packets) {
          // a well-formed header around random bodies reaches the methods, not only the parser
          const b = mutate && p.length >= 1 ? encodeEap({ code: 1 + (p[0] & 1), id: p[0], type: [EAP_MD5, EAP_MSCHAPV2, EAP_IDENTITY][p[0] % 3], data: p.subarray(1) }) : p;
          for (const st of [server.receive(b), peer.receive(b)]) expect(["send", "ignore", "success", "failure"].some((k) => k in st)).toBe(true);
        }
        expect(first.length).toBeGreaterThanOrEqual(5);
      }),
      { numRuns: 2000 },
    );
  });
});
