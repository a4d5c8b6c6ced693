// The tshark oracle (test/wire/tshark.ts) against the corpus: its JSON parser keeps duplicate
// keys, and its normalized messages agree with what the corpus README says each capture holds.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { NormMsg, NormPayload } from "./norm.ts";
import { JsonObject, parseJsonDup, tsharkDecode, tsharkInnerPayloads, tsharkMessages } from "./tshark.ts";

const CORPUS = new URL("../../../shared/corpus/pcap/", import.meta.url);
const names = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -5))
  .sort();
const json = (name: string) => readFileSync(new URL(`${name}.json`, CORPUS), "utf8");

// ---- what the README lists ------------------------------------------------------------------

const V2_PAYLOADS: Record<string, number> = {
  SA: 33, KE: 34, IDi: 35, IDr: 36, CERT: 37, CERTREQ: 38, AUTH: 39, Nonce: 40, N: 41, D: 42,
  V: 43, TSi: 44, TSr: 45, SK: 46, CP: 47, EAP: 48, SKF: 53,
};
const V1_PAYLOADS: Record<string, number> = {
  SA: 1, KE: 4, ID: 5, CERT: 6, CR: 7, HASH: 8, SIG: 9, NONCE: 10, N: 11, D: 12, VID: 13,
  "NAT-D": 20, FRAG: 132,
};
const EXCHANGES: Record<string, number> = {
  IKE_SA_INIT: 34, IKE_AUTH: 35, CREATE_CHILD_SA: 36, INFORMATIONAL: 37,
  MainMode: 2, Aggressive: 4, Informational: 5, QuickMode: 32,
};
// IANA "IKEv2 Notify Message Types" and IKEv1 notify / DPD (RFC 3706) numbers named in the README
const NOTIFY: Record<string, number> = {
  INVALID_KE_PAYLOAD: 17, TS_UNACCEPTABLE: 38, INITIAL_CONTACT: 16384, COOKIE: 16390,
  NAT_DETECTION_SOURCE_IP: 16388, NAT_DETECTION_DESTINATION_IP: 16389, REKEY_SA: 16393,
  MOBIKE_SUPPORTED: 16396, NO_ADDITIONAL_ADDRESSES: 16399, MULTIPLE_AUTH_SUPPORTED: 16404,
  REDIRECT_SUPPORTED: 16406, EAP_ONLY_AUTHENTICATION: 16417, CHILDLESS_IKEV2_SUPPORTED: 16418,
  IKEV2_MESSAGE_ID_SYNC_SUPPORTED: 16420, IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431, R_U_THERE: 36136, R_U_THERE_ACK: 36137,
};
const V1_INITIAL_CONTACT = 24578;

interface Listed {
  exchange: number;
  response?: boolean; // IKEv2 only
  types: number[]; // outer chain followed by the inner one, as the README writes it
  notifies: string[];
}

/** "payloads: IKE_SA_INIT req [SA KE N(X)]; ..." of a scenario line in the corpus README. */
function readmeListing(name: string): Listed[] {
  const readme = readFileSync(new URL("README.md", CORPUS), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith(`- \`${name}\``));
  if (!line) throw new Error(`README has no scenario ${name}`);
  const m = /\| payloads: (.*?) \| note:/.exec(line);
  if (!m) throw new Error(`README line of ${name} has no payload list`);
  const v2 = name.startsWith("ikev2");
  return m[1].split("; ").map((msg) => {
    const mm = /^(\w+)(?: (req|resp))? \[(.*)\]$/.exec(msg.trim());
    if (!mm) throw new Error(`cannot read "${msg}"`);
    const items = mm[3].split(" ").filter((x) => x);
    return {
      exchange: EXCHANGES[mm[1]],
      response: mm[2] === undefined ? undefined : mm[2] === "resp",
      types: items.map((it) => {
        const base = it.replace(/\(.*\)$/, "");
        const t = (v2 ? V2_PAYLOADS : V1_PAYLOADS)[base];
        if (t === undefined) throw new Error(`unknown payload name ${it}`);
        return t;
      }),
      notifies: items.filter((it) => it.startsWith("N(")).map((it) => it.slice(2, -1)),
    };
  });
}

const flat = (m: NormMsg, inner?: NormPayload[]) => [...m.payloads, ...(inner ?? [])];

// ---- the JSON parser ------------------------------------------------------------------------

describe("parseJsonDup", () => {
  it("keeps duplicate keys in order", () => {
    const v = parseJsonDup('{"a": "1", "b": {"x": 1}, "a": "2", "a": [true, null, -1.5e2]}');
    expect(v).toBeInstanceOf(JsonObject);
    const o = v as JsonObject;
    expect(o.entries.map(([k]) => k)).toEqual(["a", "b", "a", "a"]);
    expect(o.all("a")).toEqual(["1", "2", [true, null, -150]]);
    expect(o.obj("b")?.get("x")).toBe(1);
  });
  it("decodes string escapes", () => {
    expect(parseJsonDup('"a\\"b\\\\c\\/\\n\\t\\u00e9\\ud83d\\ude00"')).toBe('a"b\\c/\n\té😀');
  });
  it("agrees with JSON.parse where keys are unique", () => {
    const text = '[{"k": [1, 2, {"z": "y"}], "e": {}, "f": []}, 0, "s"]';
    const plain = (v: unknown): unknown =>
      v instanceof JsonObject
        ? Object.fromEntries(v.entries.map(([k, x]) => [k, plain(x)]))
        : Array.isArray(v) ? v.map(plain) : v;
    expect(plain(parseJsonDup(text))).toEqual(JSON.parse(text));
  });
  it("rejects malformed input", () => {
    for (const bad of ["", "{", '{"a" 1}', "[1,]", '"\\x"', "tru", "[1] 2", '{"a":1,}', '"\u0001"']) {
      expect(() => parseJsonDup(bad), bad).toThrow(SyntaxError);
    }
  });
  it("sees every payload of a message that JSON.parse would collapse", () => {
    const text = json("ikev2-psk-x25519-gcm");
    const first = (JSON.parse(text) as any[])[0]._source.layers.isakmp;
    expect(typeof first["isakmp.typepayload"]).toBe("string"); // only the last one survives
    expect(tsharkMessages(text)[0].payloads.map((p) => p.type)).toEqual([33, 34, 40, 41, 41, 41, 41, 41]);
  });
});

// ---- the corpus -----------------------------------------------------------------------------

describe.each(names)("%s", (name) => {
  const text = json(name);
  const { msgs, inner } = tsharkDecode(text);
  const listed = readmeListing(name);

  it("has one message per frame with an isakmp layer", () => {
    const root = parseJsonDup(text) as JsonObject[];
    const frames = root
      .map((p) => p.obj("_source")!.obj("layers")!)
      .filter((l) => l.get("isakmp") !== undefined)
      .map((l) => Number(l.obj("frame")!.str("frame.number")));
    expect(msgs.map((m) => m.frame)).toEqual(frames);
    expect(tsharkMessages(text)).toEqual(msgs);
    expect(tsharkInnerPayloads(text)).toEqual(inner);
  });

  it("matches the README's message list, outer and inner chains", () => {
    expect(msgs.length).toBe(listed.length);
    msgs.forEach((m, i) => {
      const want = listed[i];
      const at = `${name} frame ${m.frame}`;
      expect(m.exchange, at).toBe(want.exchange);
      if (want.response !== undefined) expect((m.flags & 0x20) !== 0, at).toBe(want.response);
      expect(flat(m, inner.get(m.frame)).map((p) => p.type), at).toEqual(want.types);
      const ns = flat(m, inner.get(m.frame)).filter((p) => p.type === (m.version === 2 ? 41 : 11));
      expect(
        ns.map((p) => p.notify?.type),
        at,
      ).toEqual(want.notifies.map((n) => (m.version === 1 && n === "INITIAL_CONTACT" ? V1_INITIAL_CONTACT : NOTIFY[n])));
    });
  });

  it("gives sane headers and outer chains", () => {
    for (const m of msgs) {
      const at = `${name} frame ${m.frame}`;
      expect(m.version, at).toBe(name.startsWith("ikev2") ? 2 : 1);
      expect(m.ispi, at).toMatch(/^[0-9a-f]{16}$/);
      expect(m.rspi, at).toMatch(/^[0-9a-f]{16}$/);
      expect(m.msgid, at).toBeGreaterThanOrEqual(0);
      expect(m.flags, at).toBeGreaterThanOrEqual(0);
      const outerLen = m.payloads.reduce((s, p) => s + p.length, 0);
      if (m.version === 2 || (m.flags & 1) === 0) expect(28 + outerLen, at).toBe(m.length);
      else expect(m.payloads, at).toEqual([]); // IKEv1 E: ciphertext, no outer payloads
      if (m.version === 2) {
        // SK / SKF, when present, ends the outer chain.
        const sk = m.payloads.findIndex((p) => p.type === 46 || p.type === 53);
        if (sk >= 0) expect(sk, at).toBe(m.payloads.length - 1);
      }
    }
  });

  it("fills the properties of every payload type", () => {
    for (const m of msgs) {
      const inn = inner.get(m.frame);
      for (const p of flat(m, inn)) {
        const at = `${name} frame ${m.frame} payload ${p.type}`;
        expect(p.type, at).toBeGreaterThan(0);
        expect(p.length, at).toBeGreaterThanOrEqual(4);
        checkPayload(m.version, p, at);
      }
    }
  });

  it("has the inner chain of every decrypted or reassembled message", () => {
    for (const m of msgs) {
      const at = `${name} frame ${m.frame}`;
      const inn = inner.get(m.frame);
      const last = m.payloads[m.payloads.length - 1];
      if (m.version === 2 && last?.type === 46) expect(inn, at).toBeDefined();
      if (m.version === 2 && last?.type === 53) {
        expect(inn !== undefined, at).toBe(last.frag!.num === last.frag!.total);
      }
      if (m.version === 1 && m.flags & 1) expect(inn?.length, at).toBeGreaterThan(0);
      if (inn) for (const p of inn) expect([46, 53, 132], at).not.toContain(p.type);
    }
  });
});

function checkPayload(version: number, p: NormPayload, at: string): void {
  const hex = /^([0-9a-f]{2})*$/;
  const t = p.type;
  if (t === 33 || t === 1) {
    expect(p.proposals?.length, at).toBeGreaterThan(0);
    for (const pr of p.proposals!) {
      // Libreswan numbers its IKEv1 proposal and transform 0
      expect(pr.num, at).toBeGreaterThanOrEqual(version === 2 ? 1 : 0);
      expect([1, 2, 3, 4], at).toContain(pr.proto);
      expect(pr.spi, at).toMatch(hex);
      expect(pr.transforms.length, at).toBeGreaterThan(0);
      for (const tf of pr.transforms) {
        expect(tf.type, at).toBeGreaterThanOrEqual(version === 2 ? 1 : 0);
        expect(tf.id, at).toBeGreaterThanOrEqual(0);
        for (const a of tf.attrs) expect(a.type, at).toBeGreaterThan(0);
      }
    }
    if (version === 1) expect(p.proposals![0].transforms[0].attrs.length, at).toBeGreaterThan(0);
  } else if (version === 2 && t === 34) {
    expect([14, 19, 31], at).toContain(p.ke?.group);
  } else if ((version === 2 && (t === 35 || t === 36)) || (version === 1 && t === 5)) {
    expect(p.id, at).toBeDefined();
    expect(p.id!.data.length / 2, at).toBe(p.length - 8);
    if (version === 1) expect(p.id!.proto, at).toBeDefined();
  } else if ((version === 2 && t === 41) || (version === 1 && t === 11)) {
    expect(p.notify, at).toBeDefined();
    const fixed = version === 2 ? 8 : 12;
    expect((p.notify!.spi.length + p.notify!.data.length) / 2, at).toBe(p.length - fixed);
  } else if ((version === 2 && t === 42) || (version === 1 && t === 12)) {
    expect(p.del, at).toBeDefined();
    expect(p.del!.spis.every((s) => s.length === p.del!.spiSize * 2), at).toBe(true);
  } else if ((version === 2 && (t === 44 || t === 45))) {
    expect(p.ts?.length, at).toBeGreaterThan(0);
    for (const ts of p.ts!) {
      expect(ts.sport, at).toBeLessThanOrEqual(ts.eport);
      expect(ts.start, at).toMatch(/^\d+\.\d+\.\d+\.\d+$|:/);
    }
  } else if (version === 2 && t === 53) {
    expect(p.frag!.num, at).toBeGreaterThanOrEqual(1);
    expect(p.frag!.num, at).toBeLessThanOrEqual(p.frag!.total);
  } else if (version === 1 && t === 132) {
    expect(p.frag, at).toBeDefined();
  }
  // Bodies that tshark shows as bytes: the whole body after the fixed part.
  const fixed: Record<number, number> = version === 2
    ? { 39: 4, 40: 0, 43: 0, 38: 1 }
    : { 4: 0, 8: 0, 9: 0, 10: 0, 13: 0, 20: 0 };
  if (fixed[t] !== undefined) {
    expect(p.data, at).toMatch(hex);
    expect(p.data!.length / 2, at).toBe(p.length - 4 - fixed[t]);
  }
}
