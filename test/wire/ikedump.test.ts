// ikedump (hosts/dump.ts, hosts/node/ikedump.ts) over the capture corpus, with tshark's JSON
// decode of each capture (NAME.json) as the oracle for which frames hold IKE and what their
// headers say.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import * as abi from "../../core/abi.ts";
import { dumpCapture, parseKeyTable, decryptSk, keyId } from "../../hosts/dump.ts";
import { readCapture } from "../../hosts/pcap.ts";
import { loadWire } from "../../hosts/node/corefile.ts";
import type { Wire, WireNode } from "../../hosts/wire.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CORPUS = join(ROOT, "../shared/corpus/pcap");
const names = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".pcap"))
  .map((f) => f.slice(0, -5))
  .sort();
const pcap = (name: string) => readFileSync(join(CORPUS, `${name}.pcap`));

type Layers = Record<string, unknown>;
/** tshark -T json: the layers of every frame, by frame number. */
function tsharkFrames(name: string): Map<number, Layers> {
  const doc = JSON.parse(readFileSync(join(CORPUS, `${name}.json`), "utf8")) as { _source: { layers: Layers } }[];
  const m = new Map<number, Layers>();
  for (const p of doc) {
    const layers = p._source.layers;
    m.set(Number((layers.frame as Record<string, string>)["frame.number"]), layers);
  }
  return m;
}

interface JsonMessage {
  frame: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  port4500: boolean;
  ike?: Record<string, unknown> & { payloads: Record<string, unknown>[] };
  esp?: { spi: number; seq: number | null };
  keepalive?: true;
  error?: { code: number; notify: number; offset: number; message: string };
}
interface JsonDoc {
  file: string | null;
  messages: JsonMessage[];
  summary: { ike: number; malformed: number; esp: number; keepalive: number };
}

let wire: Wire;
beforeAll(() => {
  wire = loadWire();
});

describe("ikedump over the corpus", () => {
  it("finds the corpus", () => {
    expect(names.length).toBeGreaterThan(20);
  });

  for (const name of names) {
    it(name, () => {
      const bytes = pcap(name);
      const frames = tsharkFrames(name);
      const ikeFrames = [...frames].filter(([, l]) => "isakmp" in l).map(([n]) => n);
      const espFrames = [...frames].filter(([, l]) => "esp" in l && !("isakmp" in l)).map(([n]) => n);

      const text = dumpCapture(wire, bytes, {});
      expect(text.fatal).toBeUndefined();
      expect(text.errors).toBe(0);
      expect(text.stats.malformed).toBe(0);
      expect(text.stats.ike).toBe(ikeFrames.length);
      expect(text.stats.esp).toBe(espFrames.length);
      expect(text.summary).toBe(`ikedump: ${ikeFrames.length} IKE messages, 0 malformed, ${espFrames.length} ESP`);
      expect(text.text).not.toMatch(/malformed/);
      // one "Frame N:" line per datagram, each followed by its tree
      const heads = [...text.text.matchAll(/^Frame (\d+): .*\(\d+ bytes.*\)$/gm)].map((m) => Number(m[1]));
      expect(heads).toEqual(ikeFrames);

      const json = dumpCapture(wire, bytes, { json: true, file: `${name}.pcap` });
      expect(json.errors).toBe(0);
      const doc = JSON.parse(json.text) as JsonDoc;
      expect(doc.file).toBe(`${name}.pcap`);
      expect(doc.messages.length).toBe(ikeFrames.length + espFrames.length + json.stats.keepalive);
      expect(doc.messages.filter((m) => m.ike).map((m) => m.frame)).toEqual(ikeFrames);
      expect(doc.messages.filter((m) => m.esp).map((m) => m.frame)).toEqual(espFrames);
      expect(doc.summary).toEqual({ ike: ikeFrames.length, malformed: 0, esp: espFrames.length, keepalive: 0 });

      // every header agrees with tshark's
      for (const m of doc.messages) {
        if (!m.ike) continue;
        const t = frames.get(m.frame)!.isakmp as Record<string, string>;
        const h = m.ike;
        const colon = (hex: unknown) => (hex as string).match(/../g)!.join(":");
        // IKEv2 names the SPIs spi_i/spi_r, IKEv1 the cookies icookie/rcookie (describe.ts)
        expect(colon(h.spi_i ?? h.icookie), `frame ${m.frame}`).toBe(t["isakmp.ispi"]);
        expect(colon(h.spi_r ?? h.rcookie), `frame ${m.frame}`).toBe(t["isakmp.rspi"]);
        expect(h.exchange, `frame ${m.frame}`).toBe(Number(t["isakmp.exchangetype"]));
        expect(h.flags, `frame ${m.frame}`).toBe(Number(t["isakmp.flags"]));
        expect(h.message_id, `frame ${m.frame}`).toBe(Number(t["isakmp.messageid"]));
        expect(h.length, `frame ${m.frame}`).toBe(Number(t["isakmp.length"]));
        expect(h.next_payload, `frame ${m.frame}`).toBe(Number(t["isakmp.nextpayload"]));
        expect(m.port4500).toBe(m.sport === 4500 || m.dport === 4500);
      }
      for (const m of doc.messages) {
        if (!m.esp) continue;
        const t = frames.get(m.frame)!.esp as Record<string, string>;
        expect(m.esp.spi, `frame ${m.frame}`).toBe(Number(t["esp.spi"]));
        expect(m.esp.seq, `frame ${m.frame}`).toBe(Number(t["esp.sequence"]));
      }
    });
  }
});

describe("ikedump text", () => {
  const frameText = (text: string, n: number) => {
    const m = new RegExp(`^Frame ${n}: [^]*?(?=^Frame |$(?![^]))`, "m").exec(text);
    return m ? m[0] : "";
  };

  it("prints the IKEv2 header and payload tree with names and numbers", () => {
    const r = dumpCapture(wire, pcap("ikev2-psk-x25519-gcm"), {});
    const f1 = frameText(r.text, 1);
    expect(f1).toMatch(/^Frame 1: 192\.0\.2\.1:500 -> 192\.0\.2\.2:500 \(232 bytes\)\n/);
    expect(f1).toContain("\nInternet Security Association and Key Management Protocol\n");
    expect(f1).toContain("    Initiator SPI: 3e0615e62cbddf79\n");
    expect(f1).toContain("    Responder SPI: 0000000000000000\n");
    expect(f1).toContain("    Version: 2.0\n");
    expect(f1).toContain("    Flags: 0x08 (Initiator, No higher version, Request)\n");
    expect(f1).toContain("    Message ID: 0x00000000\n");
    expect(f1).toContain("    Length: 232\n");
    const named = (reg: number, v: number, expected: string) => {
      const n = wire.name(reg, v);
      if (n) expect(n).toBe(expected);
      return n ? `${n} (${v})` : `${v}`;
    };
    expect(f1).toContain(`    Exchange type: ${named(abi.REG_EXCHANGE_V2, 34, "IKE_SA_INIT")}\n`);
    expect(f1.split("Exchange type:").length).toBe(2);
    expect(f1).toContain(`Transform ID (${wire.name(abi.REG_TRANSFORM_TYPE, 1) || 1}): ${named(abi.REG_ENCR, 20, "ENCR_AES_GCM_16")}\n`);
    expect(f1).toContain(`Notify Message Type: ${named(abi.REG_NOTIFY_V2, 16388, "NAT_DETECTION_SOURCE_IP")}\n`);
    expect(f1).toMatch(/Transform Attribute \(t=14,l=2\): \S+: 256\n/);
    expect(f1).toContain("        Critical Bit: Not critical\n");
    expect(f1).toContain("        Payload length: 40\n");
    // every IKEv2 payload of the message is there: 1 SA, 1 KE, 1 Nonce, 5 Notify
    expect(f1.match(/^ {4}Payload: /gm)?.length).toBe(8);
    expect(f1).toContain("Key Exchange Data: 7724596c1bbf0a0a");

    const f3 = frameText(r.text, 3);
    expect(f3).toMatch(/^Frame 3: 192\.0\.2\.1:4500 -> 192\.0\.2\.2:4500 \(281 bytes, after a non-ESP marker\)/);
    expect(f3).toContain(`    Exchange type: ${named(abi.REG_EXCHANGE_V2, 35, "IKE_AUTH")}\n`);
    expect(f3).toContain("        Encrypted Data (245 bytes)\n");
    expect(r.text).toContain("Frame 5: 192.0.2.1:4500 -> 192.0.2.2:4500 ESP SPI 0x7b8ac59c seq 1\n");
    const exchanges = [...r.text.matchAll(/^ {4}Exchange type: .*?\(?(\d+)\)?$/gm)].map((m) => Number(m[1]));
    expect(exchanges).toEqual([34, 34, 35, 35, 37, 37]);
  });

  it("prints IKEv1 messages with phase 1 attributes and identities", () => {
    const r = dumpCapture(wire, pcap("ikev1-aggr-ss2ls"), {});
    const f1 = frameText(r.text, 1);
    expect(f1).toContain("    Initiator Cookie: ");
    expect(f1).toContain("    Version: 1.0\n");
    expect(f1).toMatch(/ {4}Exchange type: (\S+ \(4\)|4)\n/);
    const attr = wire.name(abi.REG_OAKLEY_ATTR, 1);
    expect(f1).toContain(`IKE Attribute (t=1,l=2): ${attr || 1}: `);
    expect(f1).toContain("Identification Data: west.lab.example\n");
    // only E/C/A flags for IKEv1
    expect(r.text).not.toMatch(/Flags: 0x\w\w \((Initiator|Responder)/);
  });

  it("decrypts IKEv1 with the ikev1_decryption_table: Main Mode, Quick Mode, DPD notifies, fragments reassembled", () => {
    const keysOf = (n: string) => readFileSync(join(CORPUS, `${n}.ikev1_decryption_table`), "utf8");
    const dpd = dumpCapture(wire, pcap("ikev1-ss-main-dpd"), { keys: keysOf("ikev1-ss-main-dpd") });
    expect(dpd.errors).toBe(0);
    expect(dpd.text).not.toMatch(/not decrypted/);
    const decrypted = dpd.text.match(/^ {4}Decrypted Data \(\d+ bytes\)$/gm) ?? [];
    // MM 5, 6, QM 1-3, 6 DPD Informationals, 2 Deletes
    expect(decrypted.length).toBe(13);
    expect(dpd.text).toContain("Identification Data: west.lab.example\n");
    const rut = wire.name(abi.REG_NOTIFY_V1, 36136);
    expect(dpd.text).toContain(`${rut || 36136} (36136)`);
    const j = JSON.parse(dumpCapture(wire, pcap("ikev1-ss-main-dpd"), { keys: keysOf("ikev1-ss-main-dpd"), json: true }).text) as JsonDoc;
    const enc = JSON.stringify(j).match(/"encryption":"AES-CBC_256\/SHA2-256"/g) ?? [];
    expect(enc.length).toBe(13);

    // IKEv1 fragments: the two halves of Main Mode 5 and 6 become one message each, decrypted
    const cert = dumpCapture(wire, pcap("ikev1-ss-main-cert"), { keys: keysOf("ikev1-ss-main-cert") });
    expect(cert.text.match(/^Reassembled message \(2 fragments, \d+ bytes\):$/gm)?.length).toBe(2);
    expect(cert.text).not.toMatch(/not decrypted/);
    expect(cert.text).toMatch(/^ {8}Decrypted Data \(1376 bytes\)$/m);

    // a key for another SA: each encrypted message says why it is not decrypted; nothing throws
    const wrong = keysOf("ikev1-ss-main-dpd").replace(/^(\w+),(\w{2})/m, (_, c: string, k: string) => `${c},${k === "00" ? "01" : "00"}`);
    const w = dumpCapture(wire, pcap("ikev1-ss-main-dpd"), { keys: wrong });
    // AES-CBC has no integrity check: a wrong key gives a plaintext that does not decode
    expect(w.errors).toBeGreaterThan(0);
    expect(w.text).toMatch(/Decrypted Data \(\d+ bytes\): malformed: /);
    // (the reasons for what cannot be decrypted at all: test/wire/decrypt-v1.test.ts)
  });

  it("reports a corrupted packet by frame and decodes the rest", () => {
    const bytes = new Uint8Array(pcap("ikev2-psk-x25519-gcm"));
    const first = readCapture(bytes).packets[0];
    expect(first.frame).toBe(1);
    // locate frame 1's IKE message in the file and break the SA payload's length (offset 28+2)
    const at = indexOf(bytes, first.payload.subarray(0, 32));
    expect(at).toBeGreaterThan(0);
    expect(indexOf(bytes, first.payload.subarray(0, 32), at + 1)).toBe(-1);
    expect(bytes[at + 28]).toBe(34); // SA's next payload: KE
    bytes[at + 31] = 0xff; // SA length 40 -> 255, beyond the 232-byte message

    const r = dumpCapture(wire, bytes, {});
    expect(r.fatal).toBeUndefined();
    expect(r.errors).toBe(1);
    expect(r.stats).toMatchObject({ ike: 6, malformed: 1, esp: 6 });
    const bad = r.text.split("\n").filter((l) => /malformed/.test(l));
    expect(bad.length).toBe(1);
    expect(bad[0]).toMatch(/^Frame 1: malformed: IKEv2 .*offset 30\b.*\b255\b/); // the SA's length field
    expect(r.summary).toBe("ikedump: 6 IKE messages, 1 malformed, 6 ESP");
    for (const n of [2, 3, 4, 11, 12]) expect(frameText(r.text, n)).toContain("Internet Security Association");

    const j = JSON.parse(dumpCapture(wire, bytes, { json: true }).text) as JsonDoc;
    const errs = j.messages.filter((m) => m.error);
    expect(errs.map((m) => m.frame)).toEqual([1]);
    expect(errs[0].error).toMatchObject({ code: abi.E_LENGTH, offset: 30 });
    expect(typeof errs[0].error!.message).toBe("string");
    expect(j.messages.filter((m) => m.ike).length).toBe(5);
  });

  it("says when a capture cannot be read at all", () => {
    const r = dumpCapture(wire, new TextEncoder().encode("this is not a capture"), {});
    expect(r.fatal).toMatch(/not a pcap or pcapng file/);
    expect(r.text).toBe("");
  });
});

// Payload kinds the corpus carries only inside SK or encrypted IKEv1 bodies, built with the
// encoder and wrapped in a capture (raw IPv4, UDP 500).
describe("ikedump on encoded messages", () => {
  const N = (kind: number, ptype: number, f: number[], a?: Uint8Array, b?: Uint8Array, children: WireNode[] = []): WireNode =>
    ({ kind, ptype, off: 0, len: 0, f, a, b, children });
  const B = (...x: number[]) => new Uint8Array(x);

  it("prints identities, selectors, CP, Delete, EAP, IKEv1 phase 2 attributes and NAT-OA", () => {
    const spiI = B(1, 2, 3, 4, 5, 6, 7, 8);
    const spiR = B(9, 9, 9, 9, 9, 9, 9, 9);
    const v2 = N(abi.K_V2_HDR, 0, [0, 2, 0, 37, 0x08, 5], spiI, spiR, [
      N(abi.K_V2_ID, abi.PT2_IDI, [0, 1], B(192, 0, 2, 1)),
      N(abi.K_V2_ID, abi.PT2_IDR, [0, 2], new TextEncoder().encode("east.lab.example")),
      N(abi.K_V2_TSP, abi.PT2_TSI, [0], undefined, undefined, [N(abi.K_V2_TS, 0, [7, 0, 0, 65535], B(198, 51, 100, 0), B(198, 51, 100, 127))]),
      N(abi.K_V2_CP, abi.PT2_CP, [0, 2], undefined, undefined, [N(abi.K_V2_CPATTR, 0, [1], B(198, 51, 100, 17))]),
      N(abi.K_V2_DELETE, abi.PT2_D, [0, 3, 4], B(0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4)),
      N(abi.K_V2_EAP, abi.PT2_EAP, [0, 1, 7], B(1, 0x61, 0x62)),
    ]);
    const v1 = N(abi.K_V1_HDR, 0, [0, 1, 0, 32, 0, 77], spiI, spiR, [
      N(abi.K_V1_DATA, abi.PT1_HASH, [], B(1, 2, 3, 4)),
      N(abi.K_V1_SA, abi.PT1_SA, [1, 1], undefined, undefined, [
        N(abi.K_V1_PROP, abi.PT1_P, [1, 3], B(0xca, 0xfe, 0xba, 0xbe), undefined, [
          N(abi.K_V1_XFORM, abi.PT1_T, [1, 12], undefined, undefined, [
            N(abi.K_ATTR, 0, [1, 1, 1]),
            N(abi.K_ATTR, 0, [2, 0, 0], B(0, 0, 0x70, 0x80)),
          ]),
        ]),
      ]),
      N(abi.K_V1_ID, abi.PT1_ID, [4, 17, 500], B(198, 51, 100, 0, 255, 255, 255, 128)),
      N(abi.K_V1_NATOA, abi.PT1_NATOA, [1], B(10, 1, 2, 3)),
    ]);
    const msgs = [v2, v1].map((m) => {
      const e = wire.encode(m);
      if (!e.ok) throw new Error(e.error.message);
      return e.bytes;
    });
    const cap = rawCapture(msgs);
    const r = dumpCapture(wire, cap, {});
    expect(r.errors).toBe(0);
    expect(r.stats.ike).toBe(2);
    for (const s of [
      "Identification Data: 192.0.2.1\n",
      "Identification Data: east.lab.example\n",
      "Number of TSs: 1\n",
      "Starting Address: 198.51.100.0\n",
      "Ending Address: 198.51.100.127\n",
      "End Port: 65535\n",
      "Attribute Value: 198.51.100.17\n",
      "SPI Size: 4\n        Number of SPIs: 2\n        SPI: deadbeef\n        SPI: 01020304\n",
      "Identifier: 7\n",
      "Type-Data: 6162\n",
      "    Message ID: 0x0000004d\n",
      "Hash DATA: 01020304\n",
      "SPI: cafebabe\n",
      "IPsec Attribute (t=2,l=4): ",
      "Attribute Format: Type/Length/Value (TLV)\n",
      "Attribute Value: 28800\n",
      "Port: 500\n",
      "Identification Data: 198.51.100.0/255.255.255.128\n",
      "Original Address: 10.1.2.3\n",
    ]) expect(r.text).toContain(s);
    expect(r.text).toContain(`Transform ID: ${wire.name(abi.REG_ESP_XFORM_V1, 12) ? `${wire.name(abi.REG_ESP_XFORM_V1, 12)} (12)` : "12"}\n`);

    const doc = JSON.parse(dumpCapture(wire, cap, { json: true }).text) as JsonDoc;
    const p2 = doc.messages[0].ike!.payloads;
    expect(p2.map((p) => p.ptype)).toEqual([35, 36, 44, 47, 42, 48]);
    expect(p2.map((p) => p.next_payload)).toEqual([36, 44, 47, 42, 48, 0]);
    expect(p2[0]).toMatchObject({ kind_id: abi.K_V2_ID, type: 1, data: "c0000201", data_text: "192.0.2.1", critical: 0 });
    expect((p2[2].selectors as unknown[])[0]).toMatchObject({ start_text: "198.51.100.0", end_text: "198.51.100.127", end_port: 65535 });
    const attrs = (((doc.messages[1].ike!.payloads[1].proposals as Record<string, unknown>[])[0].transforms as Record<string, unknown>[])[0]
      .attributes as Record<string, unknown>[]);
    expect(attrs[0]).toMatchObject({ type: 1, tv: 1, value: 1 });
    expect(attrs[1]).toMatchObject({ type: 2, tv: 0, value_length: 4, data: "00007080", value: 28800 });
  });
});

describe("key tables", () => {
  const table = readFileSync(join(CORPUS, "ikev2-ls2ss.ikev2_decryption_table"), "utf8");

  it("parses the corpus tables", () => {
    for (const f of readdirSync(CORPUS).filter((f) => f.endsWith("_decryption_table"))) {
      const t = parseKeyTable(readFileSync(join(CORPUS, f), "utf8"));
      expect(t.errors, f).toEqual([]);
      expect(t.v1.size + t.v2.size, f).toBeGreaterThan(0);
    }
    const t = parseKeyTable(table);
    expect(t.v2.size).toBe(3);
    const k = t.v2.get(keyId("99527abee4b264d4", "288f63e97a753338"))!;
    expect(k.encAlg).toBe("AES-CBC-256 [RFC3602]");
    expect(k.integAlg).toBe("HMAC_SHA2_256_128 [RFC4868]");
    expect(k.skEi.length).toBe(32);
    expect(k.skAr.length).toBe(32);
    const gcm = parseKeyTable(readFileSync(join(CORPUS, "ikev2-psk-x25519-gcm.ikev2_decryption_table"), "utf8"));
    const g = [...gcm.v2.values()][0];
    expect(g.skEi.length).toBe(36); // key + salt
    expect(g.skAi.length).toBe(0);
    expect(g.integAlg).toBe("NONE [RFC4306]");
  });

  it("reports bad lines with their numbers", () => {
    const t = parseKeyTable(
      [
        "# comment",
        "",
        '0011223344556677,8899aabbccddeeff,00ff,11ee,"AES-CBC-128 [RFC3602]",22,33,"HMAC_SHA1_96 [RFC2404]"',
        '0011223344556677,8899aabbccddeeff,zz,11ee,"AES-CBC-128 [RFC3602]",22,33,"HMAC_SHA1_96 [RFC2404]"',
        "just,three,fields",
        '00112233,8899aabbccddeeff,00,11,"x",22,33,"y"',
        '0011223344556677,8899aabbccddeeff,00,11,"x",,,"HMAC_SHA1_96 [RFC2404]"',
        '0011223344556677,8899aabbccddeeff,00ff,11ee,"AES-CBC-128 [RFC3602]",22,33,"HMAC_SHA1_96 [RFC2404]"',
        '"unterminated,1',
      ].join("\r\n"),
    );
    expect(t.v2.size).toBe(1);
    expect(t.errors.map((e) => e.line)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(t.errors[0].message).toMatch(/SK_ei is not hex/);
    expect(t.errors[1].message).toMatch(/expected 8 fields .* found 3/);
    expect(t.errors[2].message).toMatch(/SPIi must be 8 bytes/);
    expect(t.errors[3].message).toMatch(/SK_ai is empty/);
    expect(t.errors[4].message).toMatch(/already have keys \(line 3\)/);
  });

  it("decrypts SK payloads whose SPIs have keys and decodes what is inside", () => {
    const keys = readFileSync(join(CORPUS, "ikev2-psk-x25519-gcm.ikev2_decryption_table"), "utf8");
    const r = dumpCapture(wire, pcap("ikev2-psk-x25519-gcm"), { keys });
    expect(r.warnings).toEqual([]);
    const marked = r.text.match(/Decrypted Data \(\d+ bytes\)/g);
    expect(marked?.length).toBe(4); // IKE_AUTH and INFORMATIONAL, both ways
    expect(r.text).toContain("Identification Data: west.lab.example");
    expect(r.text).not.toContain("keys known");
    const frag = dumpCapture(wire, pcap("ikev2-frag"), { keys: readFileSync(join(CORPUS, "ikev2-frag.ikev2_decryption_table"), "utf8") });
    expect(frag.text).toMatch(/Reassembled Decrypted Data \(\d+ bytes\)/);
    const j = JSON.parse(dumpCapture(wire, pcap("ikev2-psk-x25519-gcm"), { keys, json: true }).text);
    expect(j.messages.filter((m: { ike?: { payloads?: { decrypted?: boolean }[] } }) => m.ike?.payloads?.some((p) => p.decrypted === true))).toHaveLength(4);
    const other = dumpCapture(wire, pcap("ikev2-psk-ecp256-cbc"), { keys });
    expect(other.text).not.toContain("keys known");
    const k = [...parseKeyTable(keys).v2.values()][0];
    expect(decryptSk(k, new Uint8Array(0), { kind: abi.K_V2_SK, ptype: 46, off: 0, len: 0, f: [], children: [] }, true)).toBeNull();
    const bad = dumpCapture(wire, pcap("ikev2-psk-x25519-gcm"), { keys: "nonsense\n" });
    expect(bad.warnings).toEqual([expect.stringMatching(/^keys line 1: expected 8 fields/)]);
  });
});

// ---- the compiled CLI ----------------------------------------------------------------------------

const CLI = join(ROOT, "dist/hosts/node/ikedump.js");
function cliSkipReason(): string | null {
  if (!existsSync(CLI)) return `${CLI} is missing (run \`npx tsc -p tsconfig.json\`)`;
  for (const [src, out] of [["hosts/dump.ts", "dist/hosts/dump.js"], ["hosts/node/ikedump.ts", "dist/hosts/node/ikedump.js"]]) {
    const o = join(ROOT, out);
    if (!existsSync(o) || statSync(o).mtimeMs < statSync(join(ROOT, src)).mtimeMs) {
      return `${out} is older than ${src} (run \`npx tsc -p tsconfig.json\`)`;
    }
  }
  return null;
}
const skipCli = cliSkipReason();
if (skipCli) console.log(`ikedump CLI tests skipped: ${skipCli}`);

describe.skipIf(skipCli !== null)("ikedump CLI", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

  it("dumps a corpus file and exits 0", () => {
    const r = run(join(CORPUS, "ikev2-psk-x25519-gcm.pcap"));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Frame 1: 192\.0\.2\.1:500 -> 192\.0\.2\.2:500 \(232 bytes\)$/m);
    expect(r.stderr).toBe("ikedump: 6 IKE messages, 0 malformed, 6 ESP\n");
    const j = run(join(CORPUS, "ikev1-ss-main-psk.pcap"), "--json");
    expect(j.status).toBe(0);
    expect((JSON.parse(j.stdout) as JsonDoc).messages.length).toBe(17);
  });

  it("exits 0 with malformed packets, 1 on an unreadable capture, 2 on a usage error", () => {
    const dir = mkdtempSync(join(tmpdir(), "ikedump-"));
    try {
      const bytes = new Uint8Array(pcap("ikev2-psk-x25519-gcm"));
      const first = readCapture(bytes).packets[0];
      bytes[indexOf(bytes, first.payload.subarray(0, 32)) + 31] = 0xff;
      writeFileSync(join(dir, "bad.pcap"), bytes);
      const bad = run(join(dir, "bad.pcap"));
      expect(bad.status).toBe(0);
      expect(bad.stdout).toMatch(/^Frame 1: malformed: /m);
      expect(bad.stderr).toContain("ikedump: 6 IKE messages, 1 malformed, 6 ESP");

      writeFileSync(join(dir, "junk.pcap"), "not a capture at all");
      const junk = run(join(dir, "junk.pcap"));
      expect(junk.status).toBe(1);
      expect(junk.stderr).toMatch(/not a pcap or pcapng file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const missing = run(join(CORPUS, "no-such-capture.pcap"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
    const unknown = run("--frobnicate", join(CORPUS, "ikev2-psk-x25519-gcm.pcap"));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/usage: ikedump/);
    expect(run().status).toBe(2);
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/decrypts SK and SKF payloads/i);
  });
});

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A classic pcap (raw IPv4) holding each message in a UDP datagram 192.0.2.1:500 -> 192.0.2.2:500. */
function rawCapture(msgs: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const g = new DataView(new ArrayBuffer(24));
  g.setUint32(0, 0xa1b2c3d4, true);
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, 65535, true);
  g.setUint32(20, 101, true); // LINKTYPE_RAW
  parts.push(new Uint8Array(g.buffer));
  for (const m of msgs) {
    const ip = new Uint8Array(28 + m.length);
    const v = new DataView(ip.buffer);
    ip[0] = 0x45;
    v.setUint16(2, ip.length);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([192, 0, 2, 1, 192, 0, 2, 2], 12);
    v.setUint16(20, 500);
    v.setUint16(22, 500);
    v.setUint16(24, 8 + m.length);
    ip.set(m, 28);
    const h = new DataView(new ArrayBuffer(16));
    h.setUint32(0, 1700000000, true);
    h.setUint32(8, ip.length, true);
    h.setUint32(12, ip.length, true);
    parts.push(new Uint8Array(h.buffer), ip);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
