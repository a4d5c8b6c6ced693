// MS-CHAPv2 against RFC 2759 9.2's worked example and RFC 3079's key derivation sample.
import { beforeAll, describe, expect, it } from "vitest";
import {
  initMschapv2, ntPasswordHash, hashNtPasswordHash, challengeHash, generateNtResponse, generateAuthenticatorResponse,
  getMasterKey, getAsymmetricStartKey, mschapv2Msk, stripDomain,
} from "../../hosts/eap/mschapv2.ts";

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

// RFC 2759 9.2
const USER = "User";
const PASSWORD = "clientPass";
const AUTH_CHALLENGE = h("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
const PEER_CHALLENGE = h("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");

beforeAll(initMschapv2);

describe("MS-CHAPv2 (RFC 2759 9.2)", () => {
  it("ChallengeHash, NtPasswordHash, HashNtPasswordHash", () => {
    expect(hex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER))).toBe("D02E4386BCE91226");
    expect(hex(ntPasswordHash(PASSWORD))).toBe("44EBBA8D5312B8D611474411F56989AE");
    expect(hex(hashNtPasswordHash(ntPasswordHash(PASSWORD)))).toBe("41C00C584BD2D91C4017A2A12FA59F3F");
  });
  it("NT-Response and the authenticator response", () => {
    const nt = generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD);
    expect(hex(nt)).toBe("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
    expect(generateAuthenticatorResponse(PASSWORD, nt, PEER_CHALLENGE, AUTH_CHALLENGE, USER)).toBe("S=407A5589115FD0D6209F510FE9C04566932CDA56");
  });
  it("a domain prefix is not part of the challenge hash; another password gives another response", () => {
    expect(stripDomain("EXAMPLE\\User")).toBe("User");
    expect(hex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, "EXAMPLE\\User"))).toBe("D02E4386BCE91226");
    expect(hex(generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, "clientPasS"))).not.toBe("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  });
});

describe("MPPE keys (RFC 3079 3.5.3) and the EAP-MSCHAPv2 MSK", () => {
  const nt = () => generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD);
  it("MasterKey and the 128-bit send start key", () => {
    const master = getMasterKey(h("41C00C584BD2D91C4017A2A12FA59F3F"), nt());
    expect(hex(master)).toBe("FDECE3717A8C838CB388E527AE3CDD31");
    // the sample is GetAsymmetricStartKey(MasterKey, 16, IsSend=TRUE, IsServer=TRUE): Magic3
    expect(hex(getAsymmetricStartKey(master, true, true))).toBe("8B7CDC149B993A1BA118CB153F56DCCB");
    // the client's receive key is the same one; its send key the server's receive key (Magic2)
    expect(hex(getAsymmetricStartKey(master, false, false))).toBe("8B7CDC149B993A1BA118CB153F56DCCB");
    expect(hex(getAsymmetricStartKey(master, true, false))).toBe(hex(getAsymmetricStartKey(master, false, true)));
    expect(hex(getAsymmetricStartKey(master, false, true))).not.toBe("8B7CDC149B993A1BA118CB153F56DCCB");
  });
  it("MSK: the authenticator's receive key, its send key, 32 zero bytes", () => {
    const msk = mschapv2Msk(PASSWORD, nt());
    expect(msk.length).toBe(64);
    const master = getMasterKey(h("41C00C584BD2D91C4017A2A12FA59F3F"), nt());
    expect(hex(msk.subarray(0, 16))).toBe(hex(getAsymmetricStartKey(master, false, true)));
    expect(hex(msk.subarray(16, 32))).toBe("8B7CDC149B993A1BA118CB153F56DCCB");
    expect(msk.subarray(32).every((b) => b === 0)).toBe(true);
  });
});
