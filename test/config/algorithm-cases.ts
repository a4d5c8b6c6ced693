// One ike= or esp= proposal per transform the proposal parser knows, with companions every peer
// has, and the conn loaded from an ipsec.conf text as the daemon loads it: the cases that
// test/sim/algorithms.test.ts runs between two cores and test/config/algparse.test.ts puts
// to Libreswan's own parser.
import { loadConfigText, type NormalizedConn } from "../../hosts/config/normalize.ts";
import { parserVocabulary } from "../../hosts/config/proposals.ts";

export type Kind = "encr" | "prf" | "integ" | "dh";
export interface Case {
  proto: "ike" | "esp";
  kind: Kind;
  id: number;
  keyBits: number;
  text: string;
  /** the name of the transform under test in text, and the same proposal with another name */
  name: string;
  make: (name: string) => string;
}

// One proposal per transform: the transform under test, with companions every peer has.
export function cases(): Case[] {
  const out: Case[] = [];
  const vocabulary = parserVocabulary();
  const prfNames = new Set(vocabulary.filter((v) => v.kind === "prf").flatMap((v) => v.names));
  for (const v of vocabulary) {
    const n = v.names[0]!;
    const add = (proto: "ike" | "esp", kind: Kind, keyBits: number, make: (name: string) => string, name = n) =>
      out.push({ proto, kind, id: v.id, keyBits, text: make(name), name, make });
    if (v.kind === "encr") {
      for (const kl of v.keylens.length > 1 ? v.keylens : [0]) {
        const e = (x: string) => (kl > 0 ? `${x}-${kl}` : x);
        add("ike", "encr", kl, (x) => `${e(x)}-sha2_256;modp2048`);
        add("esp", "encr", kl, (x) => (v.aead ? e(x) : `${e(x)}-sha2_256`));
      }
    } else if (v.kind === "prf") {
      add("ike", "prf", 0, (x) => `aes128-${x};dh19`);
    } else if (v.kind === "integ") {
      // ENCR-INTEG-PRF: an integrity name that is also a PRF name would be read as the PRF
      add("ike", "integ", 0, (x) => `aes128-${x}-sha2_256;dh19`, v.names.find((x) => !prfNames.has(x)) ?? n);
      add("esp", "integ", 0, (x) => `aes128-${x}`);
    } else {
      add("ike", "dh", 0, (x) => `aes_gcm128-sha2_256;${x}`);
      add("esp", "dh", 0, (x) => `aes_gcm128;${x}`);
    }
  }
  return out;
}

// The conn as the daemon loads it; the error is the load's own diagnostic.
export function load(proto: "ike" | "esp", text: string): { conn: NormalizedConn } | { error: string } {
  const r = loadConfigText("/etc/ipsec.conf", `conn t\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauthby=secret\n\t${proto}=${text}\n`);
  const errs = r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
  return errs.length > 0 ? { error: errs.join("; ") } : { conn: r.conns[0]! };
}

