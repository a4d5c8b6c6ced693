// Our user-space ESP (--kernel userspace) against strongSwan 5.9's kernel-libipsec, both roles:
// ping through the tunnel is the proof that our Child SA keys, SPIs and framing are right, and
// tshark decrypts the tunnel's ESP in both directions with the esp_sa table our --keylog
// writes. Namespaces esp<pid><tag>w/e (test/interop/lab.ts); root only, skips saying why.
import { afterEach, describe, expect, test } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Lab, unavailable } from "./lab.ts";
import { agree, labConf, labSecrets, PSK, ssConf } from "./lab-conf.ts";

const why = unavailable();
if (why) console.log(`user-space ESP interop tests skipped: ${why}`);
let lab: Lab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

const ping = (ns: string, from: string, to: string) =>
  spawnSync("ip", ["netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "3", "-I", from, to], { encoding: "utf8", timeout: 30_000 }).stdout;

describe.skipIf(why !== null)("--kernel userspace against strongSwan's kernel-libipsec", () => {
  for (const initiator of ["we", "strongSwan"] as const) {
    test(`${initiator} initiate${initiator === "we" ? "" : "s"}: ping both ways through the tunnel; tshark decrypts its ESP with our esp_sa`, async () => {
      lab = new Lab(initiator === "we" ? "a" : "b", { prefix: "esp" });
      lab.up();
      await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes128gcm16", lts: "198.51.100.128/25", rts: "198.51.100.0/25" }));
      const keylog = `${lab.dir}/w/ikev2_decryption_table`;
      await lab.pluto(labConf({ listen: lab.wAddr, west: lab.wAddr, east: lab.eAddr, ike: "aes_gcm256-sha2_256;dh31", esp: "aes_gcm128" }), labSecrets(PSK), "userspace", ["--keylog", keylog]);
      const pcap = `${lab.dir}/esp.pcap`;
      let err = "";
      const cap = spawn("ip", ["netns", "exec", lab.w, "timeout", "60", "tshark", "-q", "-i", "vw", "-f", "esp or udp port 4500", "-w", pcap], { stdio: ["ignore", "ignore", "pipe"] });
      cap.stderr!.on("data", (b) => (err += b));
      await lab.until("tshark", () => err.includes("Capturing on"));
      if (initiator === "we") expect(lab.whack("--up", "--name", "lab").code).toBe(0);
      else lab.swanctl("--initiate", "--child", "net", "--timeout", "10");
      await lab.until("both sides agree", () => agree(lab!));
      await lab.until("our route through ipsec0", () => /route 198\.51\.100\.128\/25 dev ipsec0/.test(lab!.plutoLog));
      expect(ping(lab.w, "198.51.100.1", "198.51.100.129")).toMatch(/3 packets transmitted, 3 received/);
      expect(ping(lab.e, "198.51.100.129", "198.51.100.1")).toMatch(/3 packets transmitted, 3 received/);
      expect(lab.whack("--status").out).toMatch(/kernel userspace: ipsec0: \d+ packets sent through ESP, \d+ received; dropped: none/);
      await new Promise((r) => setTimeout(r, 300));
      cap.kill("SIGINT");
      await new Promise((r) => cap.once("exit", r));
      // tshark with our esp_sa lines as its ESP SA table: every ESP packet of the capture decrypts to ICMP
      const espSa = readFileSync(`${lab.dir}/w/esp_sa`, "utf8").trim().split("\n");
      expect(espSa.length).toBe(2);
      const tshark = (...a: string[]) => execFileSync("tshark", ["-r", pcap, "-o", "esp.enable_encryption_decode:TRUE", ...espSa.flatMap((l) => ["-o", `uat:esp_sa:${l}`]), ...a], { encoding: "utf8" });
      const esp = tshark("-Y", "esp", "-T", "fields", "-e", "frame.number").trim().split("\n").filter(Boolean);
      const icmp = tshark("-Y", "esp && icmp", "-T", "fields", "-e", "icmp.type").trim().split("\n").filter(Boolean);
      expect(esp.length).toBe(12); // 6 echo requests and their 6 replies, both directions
      expect(icmp.filter((t) => t === "8").length).toBe(6);
      expect(icmp.filter((t) => t === "0").length).toBe(6);
    }, 120_000);
  }
});
