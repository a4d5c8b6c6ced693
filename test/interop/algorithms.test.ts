// A representative set of the algorithms test/sim/algorithms.test.ts runs between two of our
// cores, against strongSwan 5.9 (namespaces, root): the older and fixed-key transforms of issue
// 10 item 7 (AES-CTR, 3DES, HMAC-MD5, AES-XCBC, short GCM tags, MODP 1536 and 8192) for IKE,
// and ESP transforms the kernel runs. Passing means both sides established the IKE SA and the
// Child SA with the same SPIs and algorithms, and the IKE SA keys we wrote to --keylog are
// the ones charon logged (its ike=4 key dump): SKEYSEED and prf+ agree with an independent
// implementation, the AES-XCBC nonce rule of RFC 7296 2.14 included. The Child SA keys come
// from prf+(SK_d, Ni | Nr) with that same PRF; their lengths are compared with charon's.
import { afterEach, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { Lab, parseListSas, readLog, unavailable } from "./lab.ts";
import { PSK, agree, labConf, labSecrets, ssConf } from "./lab-conf.ts";

const why = unavailable();
if (why) console.log(`interop tests skipped: ${why}`);

// charon's %B dump: "01[IKE] <what> => N bytes @ 0x...", then lines "01[IKE]    0: CA 73 ...  .s..",
// into hex, by what it is called (a list: the same name may come more than once)
function charonKeys(log: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = log.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /\] (.+?) => (\d+) bytes @ /.exec(lines[i]);
    if (!m) continue;
    let hex = "";
    for (let j = i + 1; j < lines.length && hex.length < Number(m[2]) * 2; j++) {
      const d = /^\d+\[\w+\]\s+\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})/.exec(lines[j]);
      if (!d) break;
      hex += d[1].replace(/\s/g, "").toLowerCase();
    }
    out.set(m[1], [...(out.get(m[1]) ?? []), hex.slice(0, Number(m[2]) * 2)]);
  }
  return out;
}

let lab: Lab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

interface Case {
  ours: { ike: string; esp: string };
  theirs: { ike: string; esp: string };
  plugins: string;
  initiator: "we" | "strongSwan";
  ike: object; // our IKE SA's transforms
  child: object; // our Child SA's
  espKeys?: false; // Wireshark's esp_sa table has no such cipher, so --keylog writes no line for it
}
const CASES: Case[] = [
  { ours: { ike: "aes_ctr256-sha2;modp2048", esp: "aes_ctr128-sha1" }, theirs: { ike: "aes256ctr-sha256-modp2048", esp: "aes128ctr-sha1-modp2048" }, plugins: "ctr", initiator: "we",
    ike: { encr: 13, keyBits: 256, prf: 5, integ: 12, dh: 14 }, child: { encr: 13, keyBits: 128, integ: 2 } },
  { ours: { ike: "3des-md5;modp1536", esp: "3des-md5" }, theirs: { ike: "3des-md5-modp1536", esp: "3des-md5-modp1536" }, plugins: "md5", initiator: "strongSwan",
    ike: { encr: 3, prf: 1, integ: 1, dh: 5 }, child: { encr: 3, integ: 1 } },
  ...(["we", "strongSwan"] as const).map((initiator): Case => ({
    ours: { ike: "aes128-aes_xcbc;dh19", esp: "aes128-aes_xcbc" }, theirs: { ike: "aes128-aesxcbc-ecp256", esp: "aes128-aesxcbc-ecp256" }, plugins: "xcbc", initiator,
    ike: { encr: 12, keyBits: 128, prf: 4, integ: 5, dh: 19 }, child: { encr: 12, keyBits: 128, integ: 5 },
  })),
  { ours: { ike: "aes_gcm_8-256-sha2_384;dh20", esp: "aes_gcm_12-128" }, theirs: { ike: "aes256gcm8-prfsha384-ecp384", esp: "aes128gcm12-ecp384" }, plugins: "", initiator: "we",
    ike: { encr: 18, keyBits: 256, prf: 6, dh: 20 }, child: { encr: 19, keyBits: 128 } },
  { ours: { ike: "aes128-sha1;modp8192", esp: "aes128-aes_cmac" }, theirs: { ike: "aes128-sha1-modp8192", esp: "aes128-aescmac-modp8192" }, plugins: "cmac", initiator: "we",
    ike: { encr: 12, keyBits: 128, prf: 2, integ: 2, dh: 18 }, child: { encr: 12, keyBits: 128, integ: 8 } },
  { ours: { ike: "aes_gcm256-sha2;dh31", esp: "aes_ccm-256" }, theirs: { ike: "aes256gcm16-prfsha256-x25519", esp: "aes256ccm16-x25519" }, plugins: "ccm", initiator: "strongSwan",
    ike: { encr: 20, keyBits: 256, prf: 5, dh: 31 }, child: { encr: 16, keyBits: 256 }, espKeys: false },
];

const name = (c: Case) => `${c.initiator} initiate${c.initiator === "we" ? "" : "s"}: ike=${c.ours.ike} esp=${c.ours.esp} (strongSwan ${c.theirs.ike} / ${c.theirs.esp})`;
const field = (line: string, i: number) => line.split(",")[i]!.replace(/"/g, "").replace(/^0x/, "");

describe.skipIf(why !== null)("algorithms against strongSwan 5.9", () => {
  for (const c of CASES) {
    test(name(c), async () => {
      lab = new Lab("g");
      lab.up();
      await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: c.theirs.ike, esp: c.theirs.esp, lts: "198.51.100.128/25", rts: "198.51.100.0/25" }), { plugins: c.plugins, keys: true });
      const keylog = `${lab.dir}/w/ikev2_decryption_table`;
      await lab.pluto(labConf({ listen: lab.wAddr, west: lab.wAddr, east: lab.eAddr, ike: c.ours.ike, esp: c.ours.esp }), labSecrets(PSK), "memory", ["--keylog", keylog]);
      if (c.initiator === "we") expect(lab.whack("--up", "--name", "lab").code).toBe(0);
      else lab.swanctl("--initiate", "--child", "net", "--timeout", "10");
      await lab.until("both sides agree", () => agree(lab!));
      expect(lab.states()[0]).toMatchObject(c.ike);
      expect(lab.states()[0]!.children[0]).toMatchObject(c.child);
      expect(parseListSas(lab.swanctl("--list-sas")).child[0]!.state).toBe("INSTALLED");
      await lab.until("our key logs written", () => readLog(keylog) !== "" && (c.espKeys === false || readLog(`${lab!.dir}/w/esp_sa`).split("\n").length > 2));
      const theirs = charonKeys(lab.charonLog());
      const one = (what: string) => {
        const v = theirs.get(what);
        expect(v, `charon's ${what}`).toHaveLength(1);
        return v![0]!;
      };
      // the IKE SA: SK_ei, SK_er, SK_ai, SK_ar as we wrote them and as charon derived them
      const ike = readLog(keylog).trim();
      expect(field(ike, 2), "SK_ei").toBe(one("Sk_ei secret"));
      expect(field(ike, 3), "SK_er").toBe(one("Sk_er secret"));
      if (field(ike, 5) !== "") {
        expect(field(ike, 5), "SK_ai").toBe(one("Sk_ai secret"));
        expect(field(ike, 6), "SK_ar").toBe(one("Sk_ar secret"));
      }
      // the Child SA: our inbound and outbound ESP keys, from KEYMAT in RFC 7296 2.17 order
      if (c.espKeys === false) {
        console.log(`${name(c)}: no esp_sa line for this cipher; charon installed the Child SA, its keys are not compared`);
        return;
      }
      const [inbound, outbound] = readLog(`${lab.dir}/w/esp_sa`).trim().split("\n");
      const [ourI, ourR] = c.initiator === "we" ? [outbound!, inbound!] : [inbound!, outbound!];
      expect(field(ourI, 5), "initiator's encryption key").toBe(one("encryption initiator key"));
      expect(field(ourR, 5), "responder's encryption key").toBe(one("encryption responder key"));
      if (field(ourI, 7) !== "") {
        expect(field(ourI, 7), "initiator's integrity key").toBe(one("integrity initiator key"));
        expect(field(ourR, 7), "responder's integrity key").toBe(one("integrity responder key"));
      }
    });
  }
});
