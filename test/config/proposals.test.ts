// ike= / esp= / ah= in Libreswan's syntax to IKEv2 transform numbers, and the value parsers.
import { describe, expect, it } from "vitest";
import { describeProposal, parseProposals, type Proposal } from "../../hosts/config/proposals.ts";
import {
  formatAddress,
  formatCidr,
  parseAddress,
  parseBinary,
  parseCidr,
  parseDuration,
  parsePercent,
  parseProtoport,
  parseRange,
  parseVirtualPrivate,
} from "../../hosts/config/values.ts";

// IANA numbers used below
const AES_CBC = 12, AES_GCM_16 = 20, TDES = 3, CHACHA = 28, AES_CCM_8 = 14;
const PRF_SHA1 = 2, PRF_SHA256 = 5, PRF_SHA384 = 6, PRF_SHA512 = 7;
const I_SHA1 = 2, I_SHA256 = 12, I_SHA512 = 14;
const MODP2048 = 14, ECP256 = 19, ECP384 = 20;
const DEFAULT_DH = [14, 15, 16, 18, 19, 20, 21, 31];

const ok = (text: string | undefined, proto: "ike" | "esp" | "ah" = "ike", ikev2 = true): Proposal[] => {
  const r = parseProposals(text, proto, ikev2);
  if (!r.ok) throw new Error(r.error);
  return r.proposals;
};
const err = (text: string, proto: "ike" | "esp" | "ah" = "ike") => {
  const r = parseProposals(text, proto);
  return r.ok ? "ok" : r.error;
};
const P = (encr: [number, number][], prf: number[], integ: number[], dh: number[]): Proposal => ({ encr, prf, integ, dh, addke: [] });

describe("Libreswan 4.10 defaults (IKEv2)", () => {
  it("ike=: AES_GCM_16 256/128 and AES_CBC 256/128, PRF SHA2_512+SHA2_256, DH MODP2048..8192, ECP, Curve25519", () => {
    const r = parseProposals(undefined, "ike");
    expect(r.ok && r.defaulted).toBe(true);
    expect(ok(undefined)).toEqual([
      P([[AES_GCM_16, 256]], [PRF_SHA512, PRF_SHA256], [], DEFAULT_DH),
      P([[AES_GCM_16, 128]], [PRF_SHA512, PRF_SHA256], [], DEFAULT_DH),
      P([[AES_CBC, 256]], [PRF_SHA512, PRF_SHA256], [I_SHA512, I_SHA256], DEFAULT_DH),
      P([[AES_CBC, 128]], [PRF_SHA512, PRF_SHA256], [I_SHA512, I_SHA256], DEFAULT_DH),
    ]);
    expect(describeProposal(ok(undefined)[2]!)).toBe(
      "AES_CBC_256-HMAC_SHA2_512+HMAC_SHA2_256-HMAC_SHA2_512_256+HMAC_SHA2_256_128-MODP2048+MODP3072+MODP4096+MODP8192+ECP_256+ECP_384+ECP_521+CURVE25519",
    );
  });

  it("esp=: the same ciphers, integrity SHA2_512_256+SHA2_256_128 for CBC, no DH", () => {
    expect(ok("", "esp")).toEqual([
      P([[AES_GCM_16, 256]], [], [], []),
      P([[AES_GCM_16, 128]], [], [], []),
      P([[AES_CBC, 256]], [], [I_SHA512, I_SHA256], []),
      P([[AES_CBC, 128]], [], [I_SHA512, I_SHA256], []),
    ]);
  });

  it("ah= and the IKEv1 defaults", () => {
    expect(ok(undefined, "ah")).toEqual([P([], [], [I_SHA512], []), P([], [], [I_SHA256], []), P([], [], [I_SHA1], [])]);
    expect(ok(undefined, "ike", false)).toEqual([
      P([[AES_CBC, 256], [AES_CBC, 128]], [PRF_SHA256, PRF_SHA512, PRF_SHA1], [I_SHA256, I_SHA512, I_SHA1], [MODP2048, 5]),
      P([[TDES, 0]], [PRF_SHA256, PRF_SHA512, PRF_SHA1], [I_SHA256, I_SHA512, I_SHA1], [MODP2048, 5]),
    ]);
  });
});

describe("ike=", () => {
  it("aes_gcm256-sha2_256;dh19", () => {
    expect(ok("aes_gcm256-sha2_256;dh19")).toEqual([P([[AES_GCM_16, 256]], [PRF_SHA256], [], [ECP256])]);
  });
  it("aes256-sha2;modp2048 (integrity from the PRF)", () => {
    expect(ok("aes256-sha2;modp2048")).toEqual([P([[AES_CBC, 256]], [PRF_SHA256], [I_SHA256], [MODP2048])]);
  });
  it("aes128-sha1-modp2048 (the old '-' DH form)", () => {
    expect(ok("aes128-sha1-modp2048")).toEqual([P([[AES_CBC, 128]], [PRF_SHA1], [I_SHA1], [MODP2048])]);
  });
  it("several proposals separated by commas", () => {
    expect(ok("aes_gcm256-sha2_512;dh20, aes128-sha1;modp2048").length).toBe(2);
    expect(ok("aes_gcm256-sha2_512;dh20, aes128-sha1;modp2048")[0]).toEqual(P([[AES_GCM_16, 256]], [PRF_SHA512], [], [ECP384]));
  });
  it("'+' alternatives within one proposal", () => {
    expect(ok("aes256+aes128-sha2+sha1-dh19+dh20")).toEqual([
      P([[AES_CBC, 256], [AES_CBC, 128]], [PRF_SHA256, PRF_SHA1], [I_SHA256, I_SHA1], [ECP256, ECP384]),
    ]);
  });
  it("key lengths written aes-128, aes_256, aes_gcm_16_128; none for 3des and chacha20", () => {
    expect(ok("aes-128-sha2")[0]!.encr).toEqual([[AES_CBC, 128]]);
    expect(ok("aes_256-sha2")[0]!.encr).toEqual([[AES_CBC, 256]]);
    expect(ok("aes_gcm_16_128-sha2")[0]!.encr).toEqual([[AES_GCM_16, 128]]);
    expect(ok("3des-sha1-modp2048")[0]!.encr).toEqual([[TDES, 0]]);
    expect(ok("chacha20_poly1305-sha2")[0]!.encr).toEqual([[CHACHA, 0]]);
  });
  it("AES without a key length proposes 256 then 128 (IKE), 128 then 256 (ESP), as pluto", () => {
    expect(ok("aes-sha2")[0]!.encr).toEqual([
      [AES_CBC, 256],
      [AES_CBC, 128],
    ]);
    expect(ok("aes-sha2", "esp")[0]!.encr).toEqual([
      [AES_CBC, 128],
      [AES_CBC, 256],
    ]);
  });
  it("defaults fill what is missing: PRF and DH", () => {
    expect(ok("aes_gcm256")).toEqual([P([[AES_GCM_16, 256]], [PRF_SHA512, PRF_SHA256], [], DEFAULT_DH)]);
    expect(ok("aes256;dh19")).toEqual([P([[AES_CBC, 256]], [PRF_SHA512, PRF_SHA256], [I_SHA512, I_SHA256], [ECP256])]);
  });
  it("explicit integrity then PRF: aes-sha1-sha2_256-dh19 and aes_gcm-none-sha1-dh21", () => {
    expect(ok("aes128-sha1_96-sha2_256-dh19")).toEqual([P([[AES_CBC, 128]], [PRF_SHA256], [I_SHA1], [ECP256])]);
    expect(ok("aes_gcm128-none-sha384-dh21")).toEqual([P([[AES_GCM_16, 128]], [PRF_SHA384], [], [21])]);
  });
  it("additional key exchanges (RFC 9370): ;addke1=ml_kem_768+ecp521", () => {
    expect(ok("aes_gcm;modp2048;addke1=ml_kem_768+ecp521")[0]!.addke).toEqual([[36, 21]]);
    expect(describeProposal(ok("aes_gcm256-sha2;dh19;addke2=ml_kem_1024")[0]!)).toBe(
      "AES_GCM_16_256-HMAC_SHA2_256-ECP_256;ADDKE2=ML_KEM_1024",
    );
  });
  it("errors", () => {
    expect(err("foo-sha2")).toBe("IKE encryption algorithm 'foo' is not recognized");
    expect(err("aes-sha7")).toBe("IKE PRF algorithm 'sha7' is not recognized");
    expect(err("aes-sha2-modp9999")).toBe("IKE DH algorithm 'modp9999' is not recognized");
    expect(err("aes-sha2;dh19;junk")).toBe("IKE proposal contains unexpected 'junk'");
    expect(err("aes_gcm-sha1_96")).toBe("IKE proposal 'aes_gcm-sha1_96': AEAD encryption needs integrity 'none'");
    expect(err("aes_ccm_a-152")).toBe("'aes_ccm_a-152': AES_CCM_8 key length must be one of 128, 192, 256");
    expect(err("null-sha1")).toBe("IKE encryption algorithm ENCR_NULL is not allowed for IKE");
    expect(err("aes+aes_gcm-sha2")).toBe("IKE proposal 'aes+aes_gcm-sha2' mixes AEAD and non-AEAD encryption algorithms");
    expect(err("aes-sha2;none")).toBe("IKE proposal 'aes-sha2;none': DH 'none' is not allowed for IKE");
    expect(err("aes-sha2,")).toBe("IKE proposal list 'aes-sha2,' has an empty proposal");
    expect(err("-sha2")).toBe("IKE encryption algorithm is empty");
  });
});

describe("esp= and ah=", () => {
  it("esp=aes_gcm256: AEAD, no integrity, no DH", () => {
    expect(ok("aes_gcm256", "esp")).toEqual([P([[AES_GCM_16, 256]], [], [], [])]);
  });
  it("esp=aes128-sha1, esp=aes256-sha2_512;modp2048 (PFS group), esp=aes_ccm_a-128-null", () => {
    expect(ok("aes128-sha1", "esp")).toEqual([P([[AES_CBC, 128]], [], [I_SHA1], [])]);
    expect(ok("aes256-sha2_512;modp2048", "esp")).toEqual([P([[AES_CBC, 256]], [], [I_SHA512], [MODP2048])]);
    expect(ok("aes_ccm_a-128-null", "esp")).toEqual([P([[AES_CCM_8, 128]], [], [], [])]);
    expect(ok("aes-sha2;none", "esp")[0]!.dh).toEqual([0]);
  });
  it("esp errors: null with integrity none, unknown integrity, addke", () => {
    expect(err("null-none", "esp")).toBe("ESP proposal 'null-none': integrity 'none' needs an AEAD encryption algorithm");
    expect(err("aes-sha7", "esp")).toBe("ESP integrity algorithm 'sha7' is not recognized");
    expect(err("aes_gcm-sha1", "esp")).toBe("ESP proposal 'aes_gcm-sha1': AEAD encryption needs integrity 'none'");
  });
  it("ah=sha2_256, ah=sha1;modp2048", () => {
    expect(ok("sha2_256", "ah")).toEqual([P([], [], [I_SHA256], [])]);
    expect(ok("sha1;modp2048", "ah")).toEqual([P([], [], [I_SHA1], [MODP2048])]);
  });
});

describe("value parsers", () => {
  it("addresses, IPv6 in RFC 5952 form", () => {
    expect(formatAddress(parseAddress("2001:DB8:0:0:0:0:0:1")!)).toBe("2001:db8::1");
    expect(formatAddress(parseAddress("::ffff:192.0.2.1")!)).toBe("::ffff:c000:201");
    expect(formatAddress(parseAddress("1:0:0:2:0:0:0:3")!)).toBe("1:0:0:2::3");
    expect(parseAddress("1::2::3")).toBeNull();
    expect(parseAddress("1.2.3.256")).toBeNull();
    expect(parseAddress("1:2:3:4:5:6:7:8:9")).toBeNull();
  });
  it("subnets: prefix, dotted mask, short IPv4 forms, bare host, host bits", () => {
    const c = (s: string, o = {}) => {
      const r = parseCidr(s, o);
      return r.ok ? formatCidr(r.value) : r.error;
    };
    expect(c("10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(c("10.0.0.0/255.255.0.0")).toBe("10.0.0.0/16");
    expect(c("0/0")).toBe("0.0.0.0/0");
    expect(c("0.0.0/0")).toBe("0.0.0.0/0");
    expect(c("2001:db8::/32")).toBe("2001:db8::/32");
    expect(c("192.0.2.1")).toBe("no / in subnet specification");
    expect(c("192.0.2.1", { bare: true })).toBe("192.0.2.1/32");
    expect(c("192.0.2.1/24")).toBe("host bits set beyond the /24 prefix");
    expect(c("192.0.2.1/24", { zeroHost: true })).toBe("192.0.2.0/24");
    expect(c("10.0.0.0/255.0.255.0")).toBe("'255.0.255.0' is not a contiguous netmask");
  });
  it("ranges, durations, percentages, sizes, protoports", () => {
    const r = parseRange("10.0.0.1-10.0.0.9");
    expect(r.ok && r.value.end).toEqual([10, 0, 0, 9]);
    expect(parseRange("10.0.0.9-10.0.0.1")).toEqual({ ok: false, error: "range start is after its end" });
    expect(parseDuration("90")).toEqual({ ok: true, value: 90_000 });
    expect(parseDuration("90", "ms")).toEqual({ ok: true, value: 90 });
    expect(parseDuration("2m")).toEqual({ ok: true, value: 120_000 });
    expect(parseDuration("1.5h")).toEqual({ ok: true, value: 5_400_000 });
    expect(parseDuration("1d")).toEqual({ ok: true, value: 86_400_000 });
    expect(parseDuration("10 seconds")).toEqual({ ok: true, value: 10_000 });
    expect(parseDuration("%forever")).toEqual({ ok: true, value: 0 });
    expect(parseDuration("5x")).toEqual({ ok: false, error: "unrecognized duration multiplier 'x'" });
    expect(parseDuration("abc")).toEqual({ ok: false, error: "invalid duration 'abc'" });
    expect(parsePercent("50%")).toEqual({ ok: true, value: 50 });
    expect(parsePercent("50")).toEqual({ ok: false, error: "'50': expecting a % character after the number" });
    expect(parseBinary("1KiB", true)).toEqual({ ok: true, value: 1024n });
    expect(parseBinary("2Mi", false)).toEqual({ ok: true, value: 2n * 1024n * 1024n });
    expect(parseProtoport("17/1701")).toEqual({ ok: true, value: { protocol: 17, ports: [1701, 1701] } });
    expect(parseProtoport("tcp/%any")).toEqual({ ok: true, value: { protocol: 6, ports: null, wildcard: true } });
    expect(parseProtoport("tcp")).toEqual({ ok: true, value: { protocol: 6, ports: null } });
    expect(parseProtoport("udp/500-4500")).toEqual({ ok: true, value: { protocol: 17, ports: [500, 4500] } });
    expect(parseProtoport("bogus/1").ok).toBe(false);
  });
  it("virtual-private", () => {
    expect(parseVirtualPrivate("%v4:10.0.0.0/8,%v6:fd00::/8,%v4:!10.1.0.0/16")).toEqual({
      value: { include: ["10.0.0.0/8", "fd00::/8"], exclude: ["10.1.0.0/16"] },
      errors: [],
    });
    expect(parseVirtualPrivate("%v6:10.0.0.0/8").errors).toEqual(["'%v6:10.0.0.0/8': not an IPv6 subnet"]);
  });
});
