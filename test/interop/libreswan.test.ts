// Our daemon against Libreswan 4.10's pluto in two network namespaces, in both roles. This
// kernel has no ESP, so Libreswan cannot install a Child SA (it answers TS_UNACCEPTABLE as
// responder, and deletes and revives the IKE SA as initiator, as the corpus README records);
// what can be compared is the IKE SA: established on both sides with the same algorithms.
import { afterEach, describe, expect, test } from "vitest";
import { Lab, unavailable, libreswanUnavailable } from "./lab.ts";
import { labConf, labSecrets } from "./lab-conf.ts";

const why = unavailable() ?? libreswanUnavailable();
if (why) console.log(`Libreswan interop tests skipped: ${why}`);

const PSK = "interop-secret-0123456789";
const lsConn = (o: { me: string; peer: string; ike: string; esp: string }) => `
conn lab
    authby=secret
    left=${o.me}
    leftid=@east.lab.example
    leftsubnet=198.51.100.128/25
    right=${o.peer}
    rightid=@west.lab.example
    rightsubnet=198.51.100.0/25
    ike=${o.ike}
    esp=${o.esp}
    auto=add
`;
const ourConf = (o: { me: string; peer: string; ike: string; esp: string }) => labConf({ listen: o.me, west: o.me, east: o.peer, ike: o.ike, esp: o.esp });
const secrets = labSecrets(PSK);

let lab: Lab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

describe.skipIf(why !== null)("interop with Libreswan 4.10", () => {
  test("we initiate: x25519 + AES-GCM-256; the IKE SA is established on both sides; we delete it", async () => {
    lab = new Lab("l");
    lab.up();
    await lab.libreswan(lsConn({ me: lab.eAddr, peer: lab.wAddr, ike: "aes_gcm256-sha2_256;dh31", esp: "aes_gcm256" }), `@east.lab.example @west.lab.example : PSK "${PSK}"\n`);
    await lab.pluto(ourConf({ me: lab.wAddr, peer: lab.eAddr, ike: "aes_gcm256-sha2_256;dh31", esp: "aes_gcm256" }), secrets);
    expect(lab.whack("--up", "--name", "lab", "--asynchronous").code).toBe(0);
    await lab.until("our IKE SA", () => lab!.states().some((s) => s.state === "ESTABLISHED_IKE_SA"));
    await lab.until("Libreswan's IKE SA", () => /ESTABLISHED_IKE_SA/.test(lab!.lswhack("--showstates")));
    expect(lab.libreswanLog()).toMatch(/"lab" #1: sent IKE_SA_INIT reply \{cipher=AES_GCM_16_256 integ=n\/a prf=HMAC_SHA2_256 group=DH31\}/);
    expect(lab.libreswanLog()).toMatch(/"lab" #1: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west\.lab\.example'/);
    expect(lab.states()[0]).toMatchObject({ encr: 20, keyBits: 256, prf: 5, dh: 31 });
    // Libreswan refuses the Child SA: its kernel cannot hold it
    await lab.until("the refusal", () => /no Child SA: the responder answered with TS_UNACCEPTABLE/.test(lab!.plutoLog));
    expect(lab.whack("--down", "--name", "lab").code).toBe(0);
    await lab.until("Libreswan deletes it too", () => !/ESTABLISHED_IKE_SA/.test(lab!.lswhack("--showstates")) && lab!.states().length === 0);
  });

  test("Libreswan initiates: AES-CBC-256/SHA2-256 with MODP2048; the IKE SA is established on our side", async () => {
    lab = new Lab("m");
    lab.up();
    await lab.pluto(ourConf({ me: lab.wAddr, peer: lab.eAddr, ike: "aes256-sha2_256;modp2048", esp: "aes256-sha2_256" }), secrets);
    await lab.libreswan(lsConn({ me: lab.eAddr, peer: lab.wAddr, ike: "aes256-sha2_256;modp2048", esp: "aes256-sha2_256" }), `@east.lab.example @west.lab.example : PSK "${PSK}"\n`);
    lab.lswhack("--initiate", "--name", "lab", "--asynchronous");
    await lab.until("our IKE SA from Libreswan", () => /"lab" #\d+: responder established IKE SA/.test(lab!.plutoLog));
    expect(lab.plutoLog).toMatch(/responding to IKE_SA_INIT from 192\.0\.2\.2:500: \{cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP_2048\}/);
    await lab.until("Libreswan logged it established", () => /"lab" #\d+: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west\.lab\.example'/.test(lab!.libreswanLog()));
    expect(lab.libreswanLog()).toMatch(/\{cipher=AES_CBC_256 integ=HMAC_SHA2_256_128 prf=HMAC_SHA2_256 group=MODP2048\}/);
  });
});
