// core/names: IANA registries and their printable names, checked through a small Wasm build of
// test/names/entry.ts (the project loader is not used, so this test stands alone).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as A from "../../core/abi.ts";

interface Entry {
  buffer(): number;
  name(reg: number, v: number): number;
  xformName(type: number, id: number): number;
  v1XformName(protocol: number, id: number): number;
  v1AttrName(phase: number, attr: number, value: number): number;
  selfCheck(): number;
}

let dir = "";
let wasm: Entry;
let mem: WebAssembly.Memory;
const utf8 = new TextDecoder();

function text(len: number): string {
  return utf8.decode(new Uint8Array(mem.buffer, wasm.buffer(), len));
}
const nameOf = (reg: number, v: number) => text(wasm.name(reg, v));
const xform = (type: number, id: number) => text(wasm.xformName(type, id));
const v1xform = (protocol: number, id: number) => text(wasm.v1XformName(protocol, id));
const v1attr = (phase: number, attr: number, v: number) => text(wasm.v1AttrName(phase, attr, v));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "names-"));
  const out = join(dir, "entry.wasm");
  // --initialMemory 0 lets asc size the memory itself, whatever asconfig.json says.
  execFileSync(
    "npx",
    ["asc", "test/names/entry.ts", "--outFile", out, "-O3", "--initialMemory", "0"],
    { cwd: join(import.meta.dirname, "..", ".."), stdio: "pipe" },
  );
  const module = new WebAssembly.Module(readFileSync(out));
  const imported = WebAssembly.Module.imports(module).some(
    (i) => i.module === "env" && i.name === "memory",
  );
  const memory = new WebAssembly.Memory({ initial: 16 });
  const env: WebAssembly.ModuleImports = {
    abort(msg: number, file: number, line: number, col: number): never {
      throw new Error(`core/names aborted at ${line}:${col} (${msg}, ${file})`);
    },
  };
  // asconfig.json may ask for an imported memory; give one only if the module wants it.
  if (imported) env.memory = memory;
  const instance = new WebAssembly.Instance(module, { env });
  wasm = instance.exports as unknown as Entry;
  mem = imported ? memory : (instance.exports.memory as WebAssembly.Memory);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("core/names tables", () => {
  it("are well formed: sorted values, one name each, every registry present", () => {
    expect(wasm.selfCheck()).toBe(0);
  });

  it("answer every value of every registry without trapping, and never repeat a name", () => {
    for (let reg = 1; reg < A.REG_MAX; reg++) {
      const seen = new Map<string, number>();
      let named = 0;
      for (let v = -1; v <= 70000; v++) {
        const len = wasm.name(reg, v);
        if (len === 0) continue;
        const n = text(len);
        expect(n, `reg ${reg} value ${v}`).toMatch(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/);
        const prev = seen.get(n);
        if (prev !== undefined) throw new Error(`reg ${reg}: ${prev} and ${v} are both named ${n}`);
        seen.set(n, v);
        named++;
      }
      expect(named, `registry ${reg} has names`).toBeGreaterThan(0);
    }
    // Registry ids outside 1..REG_MAX-1 have no names.
    for (const reg of [0, -1, A.REG_MAX, 1000, 0x7fffffff, -0x80000000]) {
      expect(nameOf(reg, 1)).toBe("");
      expect(nameOf(reg, 0)).toBe("");
    }
  });

  it("answer extreme arguments in every entry point", () => {
    const extremes = [-0x80000000, -65536, -1, 0, 1, 65535, 65536, 0x7fffffff];
    for (const a of extremes) {
      for (const b of extremes) {
        expect(() => xform(a, b)).not.toThrow();
        expect(() => v1xform(a, b)).not.toThrow();
        for (const c of extremes) expect(() => v1attr(a, b, c)).not.toThrow();
      }
    }
  });
});

describe("IKEv2 names", () => {
  it("exchange types", () => {
    expect(nameOf(A.REG_EXCHANGE_V2, 34)).toBe("IKE_SA_INIT");
    expect(nameOf(A.REG_EXCHANGE_V2, 35)).toBe("IKE_AUTH");
    expect(nameOf(A.REG_EXCHANGE_V2, 36)).toBe("CREATE_CHILD_SA");
    expect(nameOf(A.REG_EXCHANGE_V2, 37)).toBe("INFORMATIONAL");
    expect(nameOf(A.REG_EXCHANGE_V2, 38)).toBe("IKE_SESSION_RESUME");
    expect(nameOf(A.REG_EXCHANGE_V2, 43)).toBe("IKE_INTERMEDIATE");
    expect(nameOf(A.REG_EXCHANGE_V2, 44)).toBe("IKE_FOLLOWUP_KE");
    expect(nameOf(A.REG_EXCHANGE_V2, 33)).toBe("");
    expect(nameOf(A.REG_EXCHANGE_V2, 45)).toBe("");
    expect(nameOf(A.REG_EXCHANGE_V2, 240)).toBe("");
  });

  it("payload types", () => {
    const want: [number, string][] = [
      [A.PT2_SA, "SA"], [A.PT2_KE, "KE"], [A.PT2_IDI, "IDi"], [A.PT2_IDR, "IDr"],
      [A.PT2_CERT, "CERT"], [A.PT2_CERTREQ, "CERTREQ"], [A.PT2_AUTH, "AUTH"],
      [A.PT2_NONCE, "Nx"], [A.PT2_N, "N"], [A.PT2_D, "D"], [A.PT2_V, "V"],
      [A.PT2_TSI, "TSi"], [A.PT2_TSR, "TSr"], [A.PT2_SK, "SK"], [A.PT2_CP, "CP"],
      [A.PT2_EAP, "EAP"], [A.PT2_GSPM, "GSPM"], [A.PT2_SKF, "SKF"], [A.PT2_PS, "PS"],
    ];
    for (const [v, n] of want) expect(nameOf(A.REG_PAYLOAD_V2, v)).toBe(n);
    expect(nameOf(A.REG_PAYLOAD_V2, 0)).toBe("NONE");
    expect(nameOf(A.REG_PAYLOAD_V2, 1)).toBe("");
    expect(nameOf(A.REG_PAYLOAD_V2, 55)).toBe("");
  });

  it("notify types: errors, status, private use unnamed", () => {
    expect(nameOf(A.REG_NOTIFY_V2, 1)).toBe("UNSUPPORTED_CRITICAL_PAYLOAD");
    expect(nameOf(A.REG_NOTIFY_V2, 7)).toBe("INVALID_SYNTAX");
    expect(nameOf(A.REG_NOTIFY_V2, 14)).toBe("NO_PROPOSAL_CHOSEN");
    expect(nameOf(A.REG_NOTIFY_V2, 17)).toBe("INVALID_KE_PAYLOAD");
    expect(nameOf(A.REG_NOTIFY_V2, 24)).toBe("AUTHENTICATION_FAILED");
    expect(nameOf(A.REG_NOTIFY_V2, 38)).toBe("TS_UNACCEPTABLE");
    expect(nameOf(A.REG_NOTIFY_V2, 43)).toBe("TEMPORARY_FAILURE");
    expect(nameOf(A.REG_NOTIFY_V2, 44)).toBe("CHILD_SA_NOT_FOUND");
    expect(nameOf(A.REG_NOTIFY_V2, 47)).toBe("STATE_NOT_FOUND");
    expect(nameOf(A.REG_NOTIFY_V2, 16384)).toBe("INITIAL_CONTACT");
    expect(nameOf(A.REG_NOTIFY_V2, 16388)).toBe("NAT_DETECTION_SOURCE_IP");
    expect(nameOf(A.REG_NOTIFY_V2, 16389)).toBe("NAT_DETECTION_DESTINATION_IP");
    expect(nameOf(A.REG_NOTIFY_V2, 16390)).toBe("COOKIE");
    expect(nameOf(A.REG_NOTIFY_V2, 16393)).toBe("REKEY_SA");
    expect(nameOf(A.REG_NOTIFY_V2, 16396)).toBe("MOBIKE_SUPPORTED");
    expect(nameOf(A.REG_NOTIFY_V2, 16404)).toBe("MULTIPLE_AUTH_SUPPORTED");
    expect(nameOf(A.REG_NOTIFY_V2, 16430)).toBe("IKEV2_FRAGMENTATION_SUPPORTED");
    expect(nameOf(A.REG_NOTIFY_V2, 16431)).toBe("SIGNATURE_HASH_ALGORITHMS");
    expect(nameOf(A.REG_NOTIFY_V2, 16435)).toBe("USE_PPK");
    expect(nameOf(A.REG_NOTIFY_V2, 16438)).toBe("INTERMEDIATE_EXCHANGE_SUPPORTED");
    expect(nameOf(A.REG_NOTIFY_V2, 16441)).toBe("ADDITIONAL_KEY_EXCHANGE");
    expect(nameOf(A.REG_NOTIFY_V2, 16443)).toBe("SUPPORTED_AUTH_METHODS");
    for (const v of [0, 2, 50, 8191, 8192, 16383, 40960, 65535]) {
      expect(nameOf(A.REG_NOTIFY_V2, v), `notify ${v}`).toBe("");
    }
  });

  it("transform types and IDs", () => {
    expect(nameOf(A.REG_TRANSFORM_TYPE, 1)).toBe("ENCR");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 2)).toBe("PRF");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 3)).toBe("INTEG");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 4)).toBe("KE");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 5)).toBe("ESN");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 6)).toBe("ADDKE1");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 12)).toBe("ADDKE7");
    expect(nameOf(A.REG_TRANSFORM_TYPE, 0)).toBe("");
    expect(nameOf(A.REG_ENCR, 3)).toBe("ENCR_3DES");
    expect(nameOf(A.REG_ENCR, 12)).toBe("ENCR_AES_CBC");
    expect(nameOf(A.REG_ENCR, 13)).toBe("ENCR_AES_CTR");
    expect(nameOf(A.REG_ENCR, 20)).toBe("ENCR_AES_GCM_16");
    expect(nameOf(A.REG_ENCR, 28)).toBe("ENCR_CHACHA20_POLY1305");
    expect(nameOf(A.REG_ENCR, 10)).toBe("");
    expect(nameOf(A.REG_ENCR, 17)).toBe("");
    expect(nameOf(A.REG_ENCR, 22)).toBe("");
    expect(nameOf(A.REG_ENCR, 1024)).toBe("");
    expect(nameOf(A.REG_PRF, 2)).toBe("PRF_HMAC_SHA1");
    expect(nameOf(A.REG_PRF, 4)).toBe("PRF_AES128_XCBC");
    expect(nameOf(A.REG_PRF, 5)).toBe("PRF_HMAC_SHA2_256");
    expect(nameOf(A.REG_PRF, 7)).toBe("PRF_HMAC_SHA2_512");
    expect(nameOf(A.REG_INTEG, 0)).toBe("NONE");
    expect(nameOf(A.REG_INTEG, 2)).toBe("AUTH_HMAC_SHA1_96");
    expect(nameOf(A.REG_INTEG, 12)).toBe("AUTH_HMAC_SHA2_256_128");
    expect(nameOf(A.REG_INTEG, 14)).toBe("AUTH_HMAC_SHA2_512_256");
    expect(nameOf(A.REG_DH, 0)).toBe("NONE");
    expect(nameOf(A.REG_DH, 2)).toBe("MODP_1024");
    expect(nameOf(A.REG_DH, 5)).toBe("MODP_1536");
    expect(nameOf(A.REG_DH, 14)).toBe("MODP_2048");
    expect(nameOf(A.REG_DH, 19)).toBe("ECP_256");
    expect(nameOf(A.REG_DH, 21)).toBe("ECP_521");
    expect(nameOf(A.REG_DH, 31)).toBe("CURVE25519");
    expect(nameOf(A.REG_DH, 32)).toBe("CURVE448");
    expect(nameOf(A.REG_DH, 36)).toBe("ML_KEM_768");
    expect(nameOf(A.REG_DH, 38)).toBe("");
    expect(nameOf(A.REG_ESN, 0)).toBe("NO_ESN");
    expect(nameOf(A.REG_ESN, 1)).toBe("ESN");
    expect(nameOf(A.REG_XFORM_ATTR_V2, 14)).toBe("KEY_LENGTH");
    expect(nameOf(A.REG_XFORM_ATTR_V2, 0x800e)).toBe("");
  });

  it("transformIdName picks the registry by transform type", () => {
    expect(xform(1, 20)).toBe("ENCR_AES_GCM_16");
    expect(xform(1, 12)).toBe("ENCR_AES_CBC");
    expect(xform(2, 5)).toBe("PRF_HMAC_SHA2_256");
    expect(xform(3, 12)).toBe("AUTH_HMAC_SHA2_256_128");
    expect(xform(4, 31)).toBe("CURVE25519");
    expect(xform(5, 0)).toBe("NO_ESN");
    expect(xform(6, 36)).toBe("ML_KEM_768");
    expect(xform(12, 35)).toBe("ML_KEM_512");
    expect(xform(13, 1)).toBe("KW_5649_128");
    expect(xform(14, 2)).toBe("DIGITAL_SIGNATURE");
    expect(xform(0, 12)).toBe("");
    expect(xform(15, 12)).toBe("");
    expect(xform(1, 0)).toBe("");
  });

  it("IDs, auth, TS, certificates, CP, protocols", () => {
    expect(nameOf(A.REG_ID_V2, 1)).toBe("ID_IPV4_ADDR");
    expect(nameOf(A.REG_ID_V2, 2)).toBe("ID_FQDN");
    expect(nameOf(A.REG_ID_V2, 3)).toBe("ID_RFC822_ADDR");
    expect(nameOf(A.REG_ID_V2, 4)).toBe("");
    expect(nameOf(A.REG_ID_V2, 5)).toBe("ID_IPV6_ADDR");
    expect(nameOf(A.REG_ID_V2, 9)).toBe("ID_DER_ASN1_DN");
    expect(nameOf(A.REG_ID_V2, 10)).toBe("ID_DER_ASN1_GN");
    expect(nameOf(A.REG_ID_V2, 11)).toBe("ID_KEY_ID");
    expect(nameOf(A.REG_ID_V2, 12)).toBe("ID_FC_NAME");
    expect(nameOf(A.REG_ID_V2, 13)).toBe("ID_NULL");
    expect(nameOf(A.REG_AUTH_V2, 1)).toBe("RSA_DIGITAL_SIGNATURE");
    expect(nameOf(A.REG_AUTH_V2, 2)).toBe("SHARED_KEY_MAC");
    expect(nameOf(A.REG_AUTH_V2, 14)).toBe("DIGITAL_SIGNATURE");
    expect(nameOf(A.REG_AUTH_V2, 4)).toBe("");
    expect(nameOf(A.REG_TS_TYPE, 7)).toBe("TS_IPV4_ADDR_RANGE");
    expect(nameOf(A.REG_TS_TYPE, 8)).toBe("TS_IPV6_ADDR_RANGE");
    expect(nameOf(A.REG_TS_TYPE, 9)).toBe("TS_FC_ADDR_RANGE");
    expect(nameOf(A.REG_TS_TYPE, 10)).toBe("TS_SECLABEL");
    expect(nameOf(A.REG_CERT, 4)).toBe("CERT_X509_SIGNATURE");
    expect(nameOf(A.REG_CERT, 5)).toBe("");
    expect(nameOf(A.REG_CERT, 12)).toBe("CERT_X509_CERT_URL");
    expect(nameOf(A.REG_CP_TYPE, 1)).toBe("CFG_REQUEST");
    expect(nameOf(A.REG_CP_TYPE, 2)).toBe("CFG_REPLY");
    expect(nameOf(A.REG_CP_ATTR, 1)).toBe("INTERNAL_IP4_ADDRESS");
    expect(nameOf(A.REG_CP_ATTR, 3)).toBe("INTERNAL_IP4_DNS");
    expect(nameOf(A.REG_CP_ATTR, 8)).toBe("INTERNAL_IP6_ADDRESS");
    expect(nameOf(A.REG_CP_ATTR, 13)).toBe("INTERNAL_IP4_SUBNET");
    expect(nameOf(A.REG_CP_ATTR, 25)).toBe("INTERNAL_DNS_DOMAIN");
    expect(nameOf(A.REG_CP_ATTR, 5)).toBe("");
    expect(nameOf(A.REG_PROTO_V2, 1)).toBe("IKE");
    expect(nameOf(A.REG_PROTO_V2, 2)).toBe("AH");
    expect(nameOf(A.REG_PROTO_V2, 3)).toBe("ESP");
    expect(nameOf(A.REG_PROTO_V2, 0)).toBe("");
  });
});

describe("IKEv1 names", () => {
  it("exchanges, payloads, DOI, situation, protocols", () => {
    expect(nameOf(A.REG_EXCHANGE_V1, 2)).toBe("ID_PROT");
    expect(nameOf(A.REG_EXCHANGE_V1, 4)).toBe("AGGRESSIVE");
    expect(nameOf(A.REG_EXCHANGE_V1, 5)).toBe("INFO");
    expect(nameOf(A.REG_EXCHANGE_V1, 6)).toBe("TRANSACTION");
    expect(nameOf(A.REG_EXCHANGE_V1, 32)).toBe("QUICK");
    expect(nameOf(A.REG_EXCHANGE_V1, 33)).toBe("NEW_GROUP");
    expect(nameOf(A.REG_EXCHANGE_V1, 34)).toBe("");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_SA)).toBe("SA");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_P)).toBe("P");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_T)).toBe("T");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_ID)).toBe("ID");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_HASH)).toBe("HASH");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_NONCE)).toBe("NONCE");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_VID)).toBe("VID");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_NATD)).toBe("NAT-D");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_NATOA)).toBe("NAT-OA");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_NATD_DRAFT)).toBe("NAT-D-DRAFT");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_NATOA_DRAFT)).toBe("NAT-OA-DRAFT");
    expect(nameOf(A.REG_PAYLOAD_V1, A.PT1_FRAG)).toBe("FRAG");
    expect(nameOf(A.REG_PAYLOAD_V1, 33)).toBe("");
    expect(nameOf(A.REG_DOI, 0)).toBe("ISAKMP");
    expect(nameOf(A.REG_DOI, 1)).toBe("IPSEC");
    expect(nameOf(A.REG_SITUATION, 1)).toBe("SIT_IDENTITY_ONLY");
    expect(nameOf(A.REG_SITUATION, 4)).toBe("SIT_INTEGRITY");
    expect(nameOf(A.REG_SITUATION, 3)).toBe("");
    expect(nameOf(A.REG_PROTO_V1, 1)).toBe("PROTO_ISAKMP");
    expect(nameOf(A.REG_PROTO_V1, 2)).toBe("PROTO_IPSEC_AH");
    expect(nameOf(A.REG_PROTO_V1, 3)).toBe("PROTO_IPSEC_ESP");
    expect(nameOf(A.REG_PROTO_V1, 4)).toBe("PROTO_IPCOMP");
  });

  it("notify messages", () => {
    expect(nameOf(A.REG_NOTIFY_V1, 1)).toBe("INVALID_PAYLOAD_TYPE");
    expect(nameOf(A.REG_NOTIFY_V1, 14)).toBe("NO_PROPOSAL_CHOSEN");
    expect(nameOf(A.REG_NOTIFY_V1, 18)).toBe("INVALID_ID_INFORMATION");
    expect(nameOf(A.REG_NOTIFY_V1, 24)).toBe("AUTHENTICATION_FAILED");
    expect(nameOf(A.REG_NOTIFY_V1, 30)).toBe("UNEQUAL_PAYLOAD_LENGTHS");
    expect(nameOf(A.REG_NOTIFY_V1, 16384)).toBe("CONNECTED");
    expect(nameOf(A.REG_NOTIFY_V1, 24576)).toBe("RESPONDER_LIFETIME");
    expect(nameOf(A.REG_NOTIFY_V1, 24577)).toBe("REPLAY_STATUS");
    expect(nameOf(A.REG_NOTIFY_V1, 24578)).toBe("INITIAL_CONTACT");
    expect(nameOf(A.REG_NOTIFY_V1, 36136)).toBe("R_U_THERE");
    expect(nameOf(A.REG_NOTIFY_V1, 36137)).toBe("R_U_THERE_ACK");
    expect(nameOf(A.REG_NOTIFY_V1, 31)).toBe("");
    expect(nameOf(A.REG_NOTIFY_V1, 0)).toBe("");
  });

  it("transform IDs by protocol", () => {
    expect(v1xform(1, 1)).toBe("KEY_IKE");
    expect(v1xform(2, 2)).toBe("AH_MD5");
    expect(v1xform(2, 3)).toBe("AH_SHA");
    expect(v1xform(2, 5)).toBe("AH_SHA2_256");
    expect(v1xform(3, 3)).toBe("ESP_3DES");
    expect(v1xform(3, 12)).toBe("ESP_AES");
    expect(v1xform(3, 20)).toBe("ESP_AES_GCM_16");
    expect(v1xform(3, 17)).toBe("");
    expect(v1xform(4, 2)).toBe("IPCOMP_DEFLATE");
    expect(v1xform(0, 1)).toBe("");
    expect(v1xform(5, 1)).toBe("");
  });

  it("Oakley attribute classes and values", () => {
    expect(nameOf(A.REG_OAKLEY_ATTR, 1)).toBe("OAKLEY_ENCRYPTION_ALGORITHM");
    expect(nameOf(A.REG_OAKLEY_ATTR, 4)).toBe("OAKLEY_GROUP_DESCRIPTION");
    expect(nameOf(A.REG_OAKLEY_ATTR, 14)).toBe("OAKLEY_KEY_LENGTH");
    expect(nameOf(A.REG_OAKLEY_ATTR, 16384)).toBe("");
    expect(v1attr(1, 1, 5)).toBe("OAKLEY_3DES_CBC");
    expect(v1attr(1, 0x8001, 7)).toBe("OAKLEY_AES_CBC");
    expect(v1attr(1, 2, 2)).toBe("OAKLEY_SHA1");
    expect(v1attr(1, 2, 4)).toBe("OAKLEY_SHA2_256");
    expect(v1attr(1, 3, 1)).toBe("OAKLEY_PRESHARED_KEY");
    expect(v1attr(1, 3, 3)).toBe("OAKLEY_RSA_SIG");
    expect(v1attr(1, 3, 65001)).toBe("XAUTHInitPreShared");
    expect(v1attr(1, 3, 65005)).toBe("XAUTHInitRSA");
    expect(v1attr(1, 3, 64221)).toBe("HybridInitRSA");
    expect(v1attr(1, 4, 2)).toBe("MODP_1024");
    expect(v1attr(1, 4, 14)).toBe("MODP_2048");
    expect(v1attr(1, 5, 1)).toBe("OAKLEY_GROUP_TYPE_MODP");
    expect(v1attr(1, 11, 1)).toBe("OAKLEY_LIFE_SECONDS");
    expect(v1attr(1, 11, 2)).toBe("OAKLEY_LIFE_KILOBYTES");
    expect(v1attr(1, 12, 3600)).toBe("");
    expect(v1attr(1, 14, 256)).toBe("");
  });

  it("IPsec attribute classes and values", () => {
    expect(nameOf(A.REG_IPSEC_ATTR, 1)).toBe("SA_LIFE_TYPE");
    expect(nameOf(A.REG_IPSEC_ATTR, 4)).toBe("ENCAPSULATION_MODE");
    expect(nameOf(A.REG_IPSEC_ATTR, 5)).toBe("AUTH_ALGORITHM");
    expect(nameOf(A.REG_IPSEC_ATTR, 11)).toBe("ESN_64BIT_SEQNUM");
    expect(v1attr(2, 1, 1)).toBe("SA_LIFE_TYPE_SECONDS");
    expect(v1attr(2, 1, 2)).toBe("SA_LIFE_TYPE_KBYTES");
    expect(v1attr(2, 3, 14)).toBe("MODP_2048");
    expect(v1attr(2, 4, 1)).toBe("ENCAPSULATION_MODE_TUNNEL");
    expect(v1attr(2, 4, 2)).toBe("ENCAPSULATION_MODE_TRANSPORT");
    expect(v1attr(2, 4, 3)).toBe("ENCAPSULATION_MODE_UDP_TUNNEL");
    expect(v1attr(2, 4, 4)).toBe("ENCAPSULATION_MODE_UDP_TRANSPORT");
    expect(v1attr(2, 4, 61443)).toBe("ENCAPSULATION_MODE_UDP_TUNNEL_DRAFTS");
    expect(v1attr(2, 4, 61444)).toBe("ENCAPSULATION_MODE_UDP_TRANSPORT_DRAFTS");
    expect(v1attr(2, 5, 1)).toBe("AUTH_ALGORITHM_HMAC_MD5");
    expect(v1attr(2, 5, 2)).toBe("AUTH_ALGORITHM_HMAC_SHA1");
    expect(v1attr(2, 5, 5)).toBe("AUTH_ALGORITHM_HMAC_SHA2_256");
    expect(v1attr(2, 0x8005, 2)).toBe("AUTH_ALGORITHM_HMAC_SHA1");
    expect(v1attr(2, 10, 1)).toBe("ECN_TUNNEL_ALLOWED");
    expect(v1attr(2, 11, 1)).toBe("ESN_64BIT_SEQNUM");
    expect(v1attr(2, 6, 128)).toBe("");
    expect(v1attr(3, 1, 1)).toBe("");
    expect(v1attr(0, 1, 1)).toBe("");
  });

  it("ID types and certificate encodings", () => {
    expect(nameOf(A.REG_ID_V1, 1)).toBe("ID_IPV4_ADDR");
    expect(nameOf(A.REG_ID_V1, 3)).toBe("ID_USER_FQDN");
    expect(nameOf(A.REG_ID_V1, 4)).toBe("ID_IPV4_ADDR_SUBNET");
    expect(nameOf(A.REG_ID_V1, 6)).toBe("ID_IPV6_ADDR_SUBNET");
    expect(nameOf(A.REG_ID_V1, 7)).toBe("ID_IPV4_ADDR_RANGE");
    expect(nameOf(A.REG_ID_V1, 8)).toBe("ID_IPV6_ADDR_RANGE");
    expect(nameOf(A.REG_ID_V1, 12)).toBe("ID_LIST");
    expect(nameOf(A.REG_CERT_V1, 4)).toBe("CERT_X509_SIGNATURE");
    expect(nameOf(A.REG_CERT_V1, 5)).toBe("CERT_X509_KEY_EXCHANGE");
    expect(nameOf(A.REG_CERT_V1, 11)).toBe("");
  });
});

describe("shared and core names", () => {
  it("EAP and IP protocols", () => {
    expect(nameOf(A.REG_EAP_CODE, 1)).toBe("REQUEST");
    expect(nameOf(A.REG_EAP_CODE, 2)).toBe("RESPONSE");
    expect(nameOf(A.REG_EAP_CODE, 3)).toBe("SUCCESS");
    expect(nameOf(A.REG_EAP_CODE, 4)).toBe("FAILURE");
    expect(nameOf(A.REG_EAP_TYPE, 1)).toBe("IDENTITY");
    expect(nameOf(A.REG_EAP_TYPE, 4)).toBe("MD5_CHALLENGE");
    expect(nameOf(A.REG_EAP_TYPE, 13)).toBe("TLS");
    expect(nameOf(A.REG_EAP_TYPE, 26)).toBe("MSCHAPV2");
    expect(nameOf(A.REG_EAP_TYPE, 49)).toBe("IKEV2");
    for (const [v, n] of [
      [0, "ANY"], [1, "ICMP"], [6, "TCP"], [17, "UDP"], [41, "IPV6"], [47, "GRE"],
      [50, "ESP"], [51, "AH"], [58, "IPV6_ICMP"], [132, "SCTP"], [136, "UDPLITE"],
    ] as [number, string][]) {
      expect(nameOf(A.REG_IP_PROTO, v)).toBe(n);
    }
    expect(nameOf(A.REG_IP_PROTO, 256)).toBe("");
  });

  it("decode errors and node kinds", () => {
    expect(nameOf(A.REG_ERROR, A.E_TRUNCATED)).toBe("truncated");
    expect(nameOf(A.REG_ERROR, A.E_LENGTH)).toBe("bad length");
    expect(nameOf(A.REG_ERROR, A.E_CRITICAL)).toBe("unknown critical payload");
    expect(nameOf(A.REG_ERROR, A.E_NOT_IKE)).toBe("not IKE");
    for (let e = A.E_TRUNCATED; e <= A.E_NOT_IKE; e++) expect(nameOf(A.REG_ERROR, e)).not.toBe("");
    expect(nameOf(A.REG_KIND, A.K_V2_HDR)).toBe("IKEv2 header");
    expect(nameOf(A.REG_KIND, A.K_V2_SA)).toBe("Security Association");
    expect(nameOf(A.REG_KIND, A.K_V2_XFORM)).toBe("Transform");
    expect(nameOf(A.REG_KIND, A.K_ATTR)).toBe("Transform Attribute");
    expect(nameOf(A.REG_KIND, A.K_V2_NOTIFY)).toBe("Notify");
    expect(nameOf(A.REG_KIND, A.K_V2_TSP)).toBe("Traffic Selectors");
    expect(nameOf(A.REG_KIND, A.K_V2_SK)).toBe("Encrypted and Authenticated");
    expect(nameOf(A.REG_KIND, A.K_V2_SKF)).toBe("Encrypted Fragment");
    expect(nameOf(A.REG_KIND, A.K_V2_UNKNOWN)).toBe("Unknown");
    for (let k = 1; k < A.K_MAX; k++) {
      const known = (k >= A.K_V2_HDR && k <= A.K_V2_SKF) || (k >= A.K_V1_HDR && k <= A.K_V1_FRAG);
      expect(nameOf(A.REG_KIND, k) !== "", `kind ${k}`).toBe(known);
    }
  });
});
