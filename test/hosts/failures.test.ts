// Each failure class, through two daemons that share one ipsec.conf (west is its left, east its
// right): both sides' log lines name the cause, by registry names, with what was expected and
// what came side by side, each side in its own terms (east calls west's ID leftid).
import { describe, expect, test } from "vitest";
import { daemonPair, pairConf } from "./daemon-pair.ts";

const SECRET = `@west.test @east.test : PSK "a secret both ends share"\n`;
const both = (auto = "add") => ({ west: pairConf("west", auto), east: pairConf("east", auto) });
const up = async (confs: { west: string; east: string }, secrets: string | { west: string; east: string } = SECRET) => {
  const p = daemonPair(confs, secrets);
  await p.daemons.west.start();
  await p.daemons.east.start();
  await p.daemons.west.whack({ cmd: "initiate", name: "t", async: true });
  await p.settle();
  return { ...p, w: p.logs.west.join("\n"), e: p.logs.east.join("\n") };
};

describe("failures name their cause on both sides", () => {
  test("a wrong PSK: the responder says its pre-shared key (which IDs, which keywords) did not verify the peer's AUTH; the initiator says which of its secrets it used", async () => {
    const { w, e } = await up(both(), { west: SECRET, east: `@west.test @east.test : PSK "east has another secret"\n` });
    // east is right in the shared file: its own ID is rightid, the peer's leftid
    expect(e).toMatch(/"t" #1: authentication failed: the initiator's AUTH payload \(SHARED_KEY_MAC\) does not verify with our pre-shared key for rightid=@east\.test leftid=@west\.test: peer ID_FQDN '@west\.test' used another secret: AUTHENTICATION_FAILED/);
    expect(w).toMatch(/"t" #1: IKE_AUTH failed: the responder answered with AUTHENTICATION_FAILED: it did not accept our ID ID_FQDN '@west\.test' or our AUTH, made with our pre-shared key for leftid=@west\.test rightid=@east\.test/);
    expect(e).not.toMatch(/established IKE SA/);
  });

  test("an IKE proposal mismatch: the responder prints what came, what it accepts and the transform types that failed; the initiator what it offered", async () => {
    const confs = both();
    confs.west = confs.west.replace("ike=aes256-sha2_256;dh19", "ike=aes128-sha1;modp2048");
    const { w, e } = await up(confs);
    const line = /dropping IKE_SA_INIT from 192\.0\.2\.1: "t": no acceptable proposal: answered NO_PROPOSAL_CHOSEN \((.*)\)/.exec(e)?.[1];
    expect(line, e).toBeDefined();
    expect(line).toMatch(/^no local proposal matches remote proposals 1:IKE=AES_CBC_128-HMAC_SHA1-HMAC_SHA1_96-MODP_2048; local proposals 1:IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-ECP_256; unmatched /);
    expect(line).toMatch(/ENCR: remote proposal 1 offers AES_CBC_128, local proposal 1 accepts AES_CBC_256/);
    expect(line).toMatch(/KE: remote proposal 1 offers MODP_2048, local proposal 1 accepts ECP_256/);
    expect(w).toMatch(/"t" #1: IKE_SA_INIT rejected by the responder with NO_PROPOSAL_CHOSEN: it accepts none of our proposals 1:IKE=AES_CBC_128-HMAC_SHA1-HMAC_SHA1_96-MODP_2048: giving up/);
  });

  test("an ESP proposal mismatch: the same, for the Child SA, and the IKE SA stays", async () => {
    const confs = both();
    confs.west = confs.west.replace("esp=aes256-sha2_256", "esp=aes128-sha1");
    const { w, e } = await up(confs);
    expect(e).toMatch(/"t" #2: no acceptable ESP proposal: no local proposal matches remote proposals 1:ESP=AES_CBC_128-HMAC_SHA1_96-\S+; local proposals 1:ESP=AES_CBC_256-HMAC_SHA2_256_128-\S+; unmatched ENCR: remote proposal 1 offers AES_CBC_128, local proposal 1 accepts AES_CBC_256; INTEG: remote proposal 1 offers HMAC_SHA1_96, local proposal 1 accepts HMAC_SHA2_256_128: NO_PROPOSAL_CHOSEN/);
    expect(w).toMatch(/"t" #2: no Child SA: the responder answered with NO_PROPOSAL_CHOSEN: it accepts none of our ESP proposals 1:ESP=AES_CBC_128-HMAC_SHA1_96/);
    expect(w).toMatch(/initiator established IKE SA/);
  });

  test("an ID mismatch: both IDs, and the keyword as each side's file names it", async () => {
    const confs = both();
    confs.west = confs.west.replace("leftid=@west.test", "leftid=@somebody.test");
    const { w, e } = await up(confs, `@somebody.test @east.test : PSK "a secret both ends share"\n` + SECRET);
    // east is the file's right end: the peer's ID is its leftid
    expect(e).toMatch(/"t" #1: the initiator's identity ID_FQDN '@somebody\.test' does not match the connection's leftid=@west\.test: AUTHENTICATION_FAILED/);
    expect(w).toMatch(/IKE_AUTH failed: the responder answered with AUTHENTICATION_FAILED: it did not accept our ID ID_FQDN '@somebody\.test'/);
  });

  test("a TS mismatch: the offered and the configured selectors, local === remote from each side", async () => {
    const confs = both();
    confs.west = confs.west.replace("leftsubnet=10.1.0.0/16", "leftsubnet=10.9.0.0/16");
    const { w, e } = await up(confs);
    // east's local end is 10.2.0.0/16 (the request's TSr), the peer's offer 10.9.0.0/16
    expect(e).toMatch(/"t" #2: the peer's traffic selectors 10\.2\.0\.0-10\.2\.255\.255 === 10\.9\.0\.0-10\.9\.255\.255 do not fit the connection's 10\.2\.0\.0-10\.2\.255\.255 === 10\.1\.0\.0-10\.1\.255\.255 \(local === remote\): TS_UNACCEPTABLE/);
    expect(w).toMatch(/"t" #2: no Child SA: the responder answered with TS_UNACCEPTABLE: it accepts none of our traffic selectors 10\.9\.0\.0-10\.9\.255\.255 === 10\.2\.0\.0-10\.2\.255\.255 \(local === remote\)/);
  });

  test("no answer: each retransmission at the default level with its wait, then giving up with the time in seconds", async () => {
    const p = daemonPair(both(), SECRET);
    await p.daemons.west.start();
    p.cut.add("east");
    await p.daemons.west.whack({ cmd: "initiate", name: "t", async: true });
    await p.advance(70_000);
    const w = p.logs.west.join("\n");
    expect(w).toMatch(/"t" #1: IKE_SA_INIT_I: retransmitting request 0 \(1 of \d+\); will wait 1\.0 s for the response/);
    expect(w).toMatch(/"t" #1: IKE_SA_INIT_I: retransmitting request 0 \(2 of \d+\); will wait 2\.0 s for the response/);
    expect(w).toMatch(/"t" #1: IKE_SA_INIT_I: no answer after \d+ retransmissions over \d+\.\d s: giving up on IKE_SA_INIT_I \(no response, or no acceptable response, to our first IKEv2 message\)/);
    // no debug line was needed for any of it
    expect(p.logs.west.filter((l) => l.startsWith("|"))).toEqual([]);
    expect(w).not.toMatch(/\d\.\d{3,} s/);
  });
});
