// Our daemon against strongSwan (Debian's charon, kernel-libipsec) in two network namespaces,
// in both roles. Our side keeps Libreswan's default pfs=yes, so strongSwan's esp_proposals name
// the KE group too (a Child SA rekey then carries a KE payload, as RFC 7296 1.3.3 allows). Passing means both sides' own status shows the IKE SA and the Child SA
// established with the same SPIs and algorithms. Needs root and strongSwan; skips otherwise.
import { afterEach, describe, expect, test } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Lab, parseListSas, unavailable } from "./lab.ts";
import { PSK, agree, labConf, labSecrets, ssConf } from "./lab-conf.ts";

const why = unavailable();
if (why) console.log(`interop tests skipped: ${why}`);

const plutoConf = (o: { left: string; right: string; ike: string; esp: string; extra?: string }) =>
  labConf({ listen: o.left, west: o.left, east: o.right, ike: o.ike, esp: o.esp, ...(o.extra ? { extra: o.extra } : {}) });
const secrets = labSecrets(PSK);

let lab: Lab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

describe.skipIf(why !== null)("interop with strongSwan 5.9", () => {
  test("we initiate: x25519 + AES-GCM-256; Child SA rekey, IKE SA rekey, liveness, float to 4500, delete from our side", async () => {
    lab = new Lab("a");
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16-x25519", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
    await lab.pluto(plutoConf({ left: lab.wAddr, right: lab.eAddr, ike: "aes_gcm256-sha2_256;dh31", esp: "aes_gcm256", extra: "\tdpddelay=2s\n" }), secrets);
    expect(lab.whack("--up", "--name", "lab").code).toBe(0);
    await lab.until("both sides agree", () => agree(lab!));
    const first = lab.states()[0];
    expect(first).toMatchObject({ encr: 20, keyBits: 256, prf: 5, dh: 31 });
    expect(parseListSas(lab.swanctl("--list-sas")).ike[0].algs).toBe("AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519");
    expect(parseListSas(lab.swanctl("--list-sas")).child[0].algs).toMatch(/^AES_GCM_16-256/);
    // our (memory) kernel holds the two SAs of the Child SA, with the SPIs strongSwan shows
    const c = first.children[0];
    expect(lab.whack("--status").out).toMatch(new RegExp(`kernel: #\\d+ ESP SA in 0x${c.spiIn.padStart(8, "0")} .* out 0x${c.spiOut.padStart(8, "0")}`));
    // kernel-libipsec fakes a NAT, so both float to port 4500 (RFC 7296 2.23)
    await lab.until("our log of the float", () => /switching to port 4500/.test(lab!.plutoLog));
    expect(lab.charonLog()).toMatch(/local endpoint changed from .*\[500\] to .*\[4500\]/);
    // Child SA rekey from our side
    const oldChild = first.children[0].spiIn;
    expect(lab.whack("--rekey-child", "--name", "lab").code).toBe(0);
    await lab.until("a new Child SA on both sides", () => agree(lab!) && lab!.states()[0].children[0].spiIn !== oldChild);
    // IKE SA rekey from our side
    expect(lab.whack("--rekey-ike", "--name", "lab").code).toBe(0);
    await lab.until("a new IKE SA on both sides", () => agree(lab!) && lab!.states()[0].spiI !== first.spiI);
    // liveness: our empty INFORMATIONAL requests are answered
    await lab.until("a liveness check", () => /parsed INFORMATIONAL request \d+ \[ \]/.test(lab!.charonLog()), 10000);
    expect(lab.states()).toHaveLength(1);
    // delete from our side
    expect(lab.whack("--down", "--name", "lab").code).toBe(0);
    await lab.until("no SAs on either side", () => lab!.states().length === 0 && parseListSas(lab!.swanctl("--list-sas")).ike.length === 0);
  });

  test("strongSwan initiates: MODP2048 + AES-CBC-256/SHA2-256, our kernel is XFRM, which refuses the Child SA: TS_UNACCEPTABLE to charon, no Child SA on either side; strongSwan deletes the IKE SA", async () => {
    lab = new Lab("b");
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256-sha256-modp2048", esp: "aes256-sha256-modp2048", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
    await lab.pluto(plutoConf({ left: lab.wAddr, right: lab.eAddr, ike: "aes256-sha2_256;modp2048", esp: "aes256-sha2_256" }), secrets, "xfrm");
    // (swanctl exits non-zero: its Child SA was refused)
    expect(() => lab!.swanctl("--initiate", "--child", "net", "--timeout", "10")).toThrow(/Command failed/);
    // XFRM: the SAs reach the kernel's protocol check, which this kernel (no ESP) refuses with
    // EPROTONOSUPPORT; the Child SA is installed before the IKE_AUTH answer, which says so
    await lab.until("the kernel's refusal logged", () => /kernel refused the inbound SA 0x[0-9a-f]+: .*EPROTONOSUPPORT/.test(lab!.plutoLog));
    await lab.until("charon told", () => /received TS_UNACCEPTABLE notify, no CHILD_SA built/.test(lab!.charonLog()));
    expect(lab.plutoLog).toMatch(/the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\): answering IKE_AUTH with TS_UNACCEPTABLE/);
    await lab.until("the IKE SA on both sides", () => lab!.states().length === 1 && parseListSas(lab!.swanctl("--list-sas")).ike.length === 1);
    expect(lab.states()[0]).toMatchObject({ state: "ESTABLISHED_IKE_SA", encr: 12, keyBits: 256, prf: 5, integ: 12, dh: 14 });
    expect(lab.states()[0].children).toEqual([]);
    expect(parseListSas(lab.swanctl("--list-sas")).ike[0].algs).toBe("AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
    expect(parseListSas(lab.swanctl("--list-sas")).child).toEqual([]);
    expect(lab.whack("--trafficstatus").out.trim()).toBe("");
    expect(lab.whack("--status").out).not.toMatch(/kernel: #\d+ ESP SA/);
    expect(lab.xfrm("state")).toBe("");
    expect(lab.xfrm("policy")).not.toMatch(/198\.51\.100/);
    lab.swanctl("--terminate", "--ike", "lab", "--timeout", "10");
    await lab.until("no SAs on our side", () => lab!.states().length === 0 && /the peer deleted the IKE SA/.test(lab!.plutoLog));
  });

  test("we initiate with ECP-256; strongSwan rekeys the IKE SA; strongSwan deletes the Child SA, the IKE SA stays and we replace the Child SA", async () => {
    lab = new Lab("c");
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256-sha256-ecp256", esp: "aes256-sha256-ecp256", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
    await lab.pluto(plutoConf({ left: lab.wAddr, right: lab.eAddr, ike: "aes256-sha2_256;dh19", esp: "aes256-sha2_256" }), secrets);
    expect(lab.whack("--up", "--name", "lab").code).toBe(0);
    await lab.until("both sides agree", () => agree(lab!));
    expect(lab.states()[0].dh).toBe(19);
    const spi = lab.states()[0].spiI;
    lab.swanctl("--rekey", "--ike", "lab");
    await lab.until("strongSwan's IKE SA rekey", () => agree(lab!) && lab!.states()[0].spiI !== spi);
    const child = lab.states()[0].children[0].spiIn;
    lab.swanctl("--terminate", "--child", "net", "--timeout", "10");
    // whack --up: supposed to be up, so a Child SA the peer deletes is replaced at once
    // (Libreswan 4.10: "received Delete SA payload: replace CHILD SA now")
    await lab.until("a new Child SA on the same IKE SA", () => agree(lab!) && lab!.states()[0].children[0].spiIn !== child);
    expect(lab.plutoLog).toMatch(/the peer deleted Child SA #\d+; the connection is supposed to be up/);
    expect(lab.states()).toHaveLength(1);
    expect(lab.states()[0].state).toBe("ESTABLISHED_IKE_SA");
  });

  // charon killed with -9 tells us nothing; it restarts knowing nothing. Our liveness finds
  // the IKE SA dead (dpddelay=2s, retransmit-timeout=10s), and the connection comes back:
  // revived (whack --up) when we brought it up, dpdaction=restart when strongSwan had.
  for (const role of ["we initiated", "strongSwan initiated"] as const) {
    test(`charon killed with -9 and restarted (${role}): ours re-establishes`, async () => {
      lab = new Lab(role === "we initiated" ? "k" : "l");
      lab.up();
      const conf = ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16-x25519", lts: "198.51.100.128/25", rts: "198.51.100.0/25" });
      await lab.charon(conf);
      const extra = "\tdpddelay=2s\n\tretransmit-timeout=10s\n" + (role === "strongSwan initiated" ? "\tdpdaction=restart\n" : "");
      await lab.pluto(plutoConf({ left: lab.wAddr, right: lab.eAddr, ike: "aes_gcm256-sha2_256;dh31", esp: "aes_gcm256", extra }), secrets);
      if (role === "we initiated") expect(lab.whack("--up", "--name", "lab").code).toBe(0);
      else lab.swanctl("--initiate", "--child", "net", "--timeout", "10");
      await lab.until("both sides agree", () => agree(lab!));
      const before = lab.states()[0].spiI;
      await lab.killCharon();
      await lab.charon(conf);
      expect(parseListSas(lab.swanctl("--list-sas")).ike).toHaveLength(0);
      await lab.until("the peer found dead", () => /the peer is dead \(dpdaction=(hold|restart)\)/.test(lab!.plutoLog), 30000);
      await lab.until("a new IKE SA and Child SA on both sides", () => agree(lab!) && lab!.states()[0].spiI !== before, 60000);
      expect(lab.plutoLog).toMatch(role === "we initiated" ? /IKE SA #\d+ is gone \(dead peer\); the connection is supposed to be up/ : /dpdaction=restart: the peer 192\.0\.2\.2 is dead; the connection is supposed to be up/);
    }, 120_000);
  }

  test("captures: what our daemon sends decodes in tshark without errors, and decrypts with the key log it writes", async () => {
    lab = new Lab("e");
    lab.up();
    const pcap = `${lab.dir}/cap.pcapng`;
    const keylog = `${lab.dir}/w/ikev2_decryption_table`;
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256-sha256-modp2048", esp: "aes256-sha256-modp2048", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
    await lab.pluto(plutoConf({ left: lab.wAddr, right: lab.eAddr, ike: "aes256-sha2_256;modp2048", esp: "aes256-sha2_256" }), secrets, "memory", ["--keylog", keylog]);
    await lab.captureStart(pcap);
    expect(lab.whack("--up", "--name", "lab").code).toBe(0);
    await lab.until("both sides agree", () => agree(lab!));
    expect(lab.whack("--rekey-child", "--name", "lab").code).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(lab.whack("--down", "--name", "lab").code).toBe(0);
    await lab.until("no SAs", () => lab!.states().length === 0);
    await lab.captureStop();
    const keys = readFileSync(keylog, "utf8").trim().split("\n");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{16},[0-9a-f]{16},[0-9a-f]{64},[0-9a-f]{64},"AES-CBC-256 \[RFC3602\]",[0-9a-f]{64},[0-9a-f]{64},"HMAC_SHA2_256_128 \[RFC4868\]"$/);
    const tshark = (...a: string[]) => execFileSync("tshark", ["-r", pcap, "-o", `uat:ikev2_decryption_table:${keys[0]}`, ...a], { encoding: "utf8" });
    const ours = `ip.src == ${lab.wAddr} && isakmp`;
    const sent = tshark("-Y", ours, "-T", "fields", "-e", "frame.number").trim().split("\n").filter(Boolean);
    expect(sent.length).toBeGreaterThanOrEqual(4); // IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL
    expect(tshark("-Y", `(${ours}) && (_ws.malformed || _ws.expert.severity >= 8388608)`).trim()).toBe("");
    const encrypted = tshark("-Y", `(${ours}) && isakmp.typepayload == 46`, "-T", "fields", "-e", "frame.number").trim().split("\n").filter(Boolean);
    const decrypted = tshark("-Y", `(${ours}) && isakmp.enc.decrypted`, "-T", "fields", "-e", "frame.number").trim().split("\n").filter(Boolean);
    expect(encrypted.length).toBeGreaterThanOrEqual(3);
    expect(decrypted).toEqual(encrypted);
  });

  test("strongSwan as a road warrior to our template: right=%any, rightsubnet=vnet:%priv; an instance per peer, gone when the peer leaves", async () => {
    lab = new Lab("f");
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16-x25519", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
    const conf = `config setup
	listen=${lab.wAddr}
	virtual-private=%v4:198.51.100.0/24,%v4:!198.51.100.0/25
conn lab
	left=${lab.wAddr}
	leftid=@west.lab.example
	leftsubnet=198.51.100.0/25
	right=%any
	rightid=@east.lab.example
	rightsubnet=vnet:%priv
	authby=secret
	ike=aes_gcm256-sha2_256;dh31
	esp=aes_gcm256
	auto=add
`;
    await lab.pluto(conf, secrets);
    expect(lab.whack("--status").out).toMatch(/"lab": [^ ]+\.\.\.%any; kind: TEMPLATE/);
    lab.swanctl("--initiate", "--child", "net", "--timeout", "10");
    await lab.until("both sides agree", () => agree(lab!));
    const status = lab.whack("--status").out;
    const peer = lab.eAddr.replace(/\./g, "\\.");
    expect(status).toMatch(new RegExp(`"lab"\\[1\\] ${peer}: [^ ]+\\.\\.\\.${peer}:\\d+; kind: INSTANCE; .*198\\.51\\.100\\.0-198\\.51\\.100\\.127 === 198\\.51\\.100\\.128-198\\.51\\.100\\.255; 1 IKE SA`));
    lab.swanctl("--terminate", "--ike", "lab", "--timeout", "10");
    await lab.until("no SAs on our side", () => lab!.states().length === 0);
    expect(lab.whack("--status").out).not.toMatch(/INSTANCE/);
  });

  test("IPv6 endpoints: strongSwan initiates to us over IPv6", async () => {
    lab = new Lab("d", { v6: true });
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16-x25519", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
    await lab.pluto(plutoConf({ left: lab.wAddr, right: lab.eAddr, ike: "aes_gcm256-sha2_256;dh31", esp: "aes_gcm256" }), secrets);
    await new Promise((r) => setTimeout(r, 500));
    lab.swanctl("--initiate", "--child", "net", "--timeout", "10");
    await lab.until("both sides agree", () => agree(lab!));
    expect(lab.whack("--status").out).toMatch(/2001:db8::2/);
  });
});
