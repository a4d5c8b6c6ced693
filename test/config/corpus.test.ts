// The ipsec.conf parser against Libreswan 4.10's own verdicts on the Libreswan test suite's
// configs (../shared/corpus/ipsec-conf, see its README). Our verdict (accepted or rejected, and
// when accepted the conns in file order with their auto=) must equal 4.10's, except for the
// differences listed in verdict-differences.json, each with its reason. An unlisted difference
// fails, and so does a listed one that no longer differs.
//
// To regenerate the list after a deliberate change:
//   UPDATE_VERDICT_DIFFERENCES=1 npx vitest run test/config/corpus.test.ts
// (entries whose reason cannot be derived from 4.10's message are left as "unclassified" and
// fail until a reason is written by hand).
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lookupKeyword, checkDebugList } from "../../hosts/config/keywords.ts";
import { parseSecrets } from "../../hosts/config/secrets.ts";
import { CORPUS, corpusAvailable, corpusIO, readManifest, readVerdicts, type Verdict } from "./corpus-io.ts";
import { compare, ourVerdict, type Difference, type OurVerdict } from "./verdicts.ts";

const FIXTURE = new URL("./verdict-differences.json", import.meta.url);

interface Listed {
  reason: string;
  detail: string;
  ours: string;
  theirs: string;
}
interface Fixture {
  about: string;
  reasons: Record<string, string>;
  differences: Record<string, Listed>;
}

const REASONS: Record<string, string> = {
  "keyexchange-ikev1-ikev2":
    "4.10 accepts only keyexchange=ike (it chose the IKE version with ikev2=); the test suite and Libreswan 5 " +
    "write keyexchange=ikev1|ikev2, which this parser accepts. 4.10 stops at that first error, so it never " +
    "checked the rest of these files.",
  "keyword-newer-than-4.10":
    "the keyword is newer than 4.10 (or, like seccomp, compiled out of that 4.10 build), including the " +
    "left-X/right-X spellings; Libreswan 5 knows it and so does this parser.",
  "value-newer-than-4.10":
    "4.10 knew the keyword but not this value, added later: nic-offload=crypto|packet, sendcert=yes|no, " +
    "plutodebug=routing.",
  unclassified: "not derived from 4.10's message: needs a reason written by hand",
};

/** Why 4.10 and we differ on a file, from 4.10's message; "unclassified" when it cannot tell. */
function classify(v: Verdict, o: OurVerdict): { reason: string; detail: string } {
  if (v.exit !== 0 && o.accepted) {
    const kx = /keyword keyexchange, invalid value: (ikev[12])/.exec(v.stderr);
    if (kx) return { reason: "keyexchange-ikev1-ikev2", detail: `keyexchange=${kx[1]}` };
    const syn = /syntax error \[([^\]]+)\]/.exec(v.stderr);
    if (syn) {
      const k = syn[1]!;
      for (const section of ["conn", "setup"] as const) {
        const m = lookupKeyword(k, section);
        if (m !== null && m !== "noprefix" && (!m.def.in410 || m.newerSpelling)) {
          return { reason: "keyword-newer-than-4.10", detail: k };
        }
      }
    }
    const val = /keyword (\S+), invalid value: (\S+)/.exec(v.stderr);
    if (val) {
      const [, k, value] = val as unknown as [string, string, string];
      for (const section of ["conn", "setup"] as const) {
        let m = lookupKeyword(k, section);
        if (m === "noprefix") m = lookupKeyword(`left${k}`, section); // 4.10 names leftX keywords X
        if (m === null || m === "noprefix") continue;
        if (m.def.newerValues?.includes(value.toLowerCase())) return { reason: "value-newer-than-4.10", detail: `${k}=${value}` };
        if (m.def.type === "plutodebug" && checkDebugList(value).newer.length > 0) {
          return { reason: "value-newer-than-4.10", detail: `${k}=${value}` };
        }
      }
    }
  }
  return { reason: "unclassified", detail: "" };
}

const available = corpusAvailable();
if (!available) console.log(`corpus tests skipped: ${CORPUS} not found`);

describe.skipIf(!available)("ipsec.conf corpus vs Libreswan 4.10", () => {
  const verdicts = available ? readVerdicts() : [];
  const results = new Map<string, { v: Verdict; o: OurVerdict; d: Difference | null }>();

  it("has a verdict for every ipsec.conf file in the manifest", () => {
    const confs = readManifest().filter((m) => m.kind === "ipsec.conf" || m.kind === "ipsec.conf-fragment");
    expect(new Set(verdicts.map((v) => v.file))).toEqual(new Set(confs.map((m) => m.file)));
  });

  it("parses every file and agrees with 4.10 except for the listed differences", () => {
    const t0 = performance.now();
    for (const v of verdicts) {
      const o = ourVerdict(v.file);
      results.set(v.file, { v, o, d: compare(v, o) });
    }
    const ms = performance.now() - t0;
    let fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as Fixture;

    if (process.env.UPDATE_VERDICT_DIFFERENCES) {
      const differences: Record<string, Listed> = {};
      for (const [file, r] of results) {
        if (r.d === null) continue;
        const old = fixture.differences[file];
        const c = classify(r.v, r.o);
        differences[file] =
          c.reason === "unclassified" && old !== undefined && old.reason !== "unclassified"
            ? { ...old, ours: r.d.ours, theirs: r.d.theirs }
            : { reason: c.reason, detail: c.detail, ours: r.d.ours, theirs: r.d.theirs };
      }
      fixture = { ...fixture, reasons: REASONS, differences };
      writeFileSync(FIXTURE, JSON.stringify(fixture, null, 1) + "\n");
    }

    const unlisted: string[] = [];
    const stale: string[] = [];
    const wrongReason: string[] = [];
    let agree = 0;
    for (const [file, r] of results) {
      const listed = fixture.differences[file];
      if (r.d === null) {
        agree++;
        if (listed !== undefined) stale.push(file);
        continue;
      }
      if (listed === undefined) {
        unlisted.push(`${file}\n    ours:   ${r.d.ours}\n    theirs: ${r.d.theirs}`);
        continue;
      }
      if (!(listed.reason in fixture.reasons)) wrongReason.push(`${file}: reason '${listed.reason}' not described`);
      if (listed.reason === "unclassified") wrongReason.push(`${file}: unclassified difference`);
      const c = classify(r.v, r.o);
      if (c.reason !== "unclassified" && c.reason !== listed.reason) {
        wrongReason.push(`${file}: listed as ${listed.reason}, but 4.10's message says ${c.reason}`);
      }
    }
    const byReason = new Map<string, number>();
    for (const l of Object.values(fixture.differences)) byReason.set(l.reason, (byReason.get(l.reason) ?? 0) + 1);
    console.log(
      `corpus: ${agree} of ${results.size} files agree with Libreswan 4.10 ` +
        `(${[...byReason].map(([k, n]) => `${n} ${k}`).join(", ")}); parsed in ${ms.toFixed(0)} ms`,
    );
    expect(unlisted, "differences not listed in verdict-differences.json").toEqual([]);
    expect(stale, "listed differences that no longer differ").toEqual([]);
    expect(wrongReason).toEqual([]);
  });

  it("agrees on every file 4.10 accepted, with the same conns and auto= values", () => {
    // the listed differences are all files that 4.10 rejected
    const accepted = verdicts.filter((v) => v.exit === 0);
    expect(accepted.length).toBeGreaterThan(0); // 1199 in the shared set
    const bad = accepted.filter((v) => results.get(v.file)!.d !== null).map((v) => v.file);
    expect(bad).toEqual([]);
  });

  it("rejects the files broken on purpose", () => {
    const expectRejected: Record<string, RegExp> = {
      "libreswan/addconn-04-config-path/west.conf": /unrecognized 'config setup' keyword 'Just'/,
      "libreswan/addconn-45-unknown-parameter/bad-config-setup-key.conf": /^7:2: unrecognized 'config setup' keyword 'unknown'/,
      "libreswan/addconn-45-unknown-parameter/bad-conn-key.conf": /^9:6: unrecognized 'conn' keyword 'unknown'/,
      "libreswan/addconn-45-unknown-parameter/bad-config-setup-value.conf": /plutodebug, invalid value: aksdfjasd;fklj/,
      "libreswan/addconn-45-unknown-parameter/obsolete-conn-key.conf": /dpdaction, invalid value: drop/,
      "libreswan/ikev2-mobike-08-nat-expire-liveness-road-mobike-nat/ipsec.conf": /^20:9: keyword mobike, invalid value: nat/,
    };
    for (const [file, re] of Object.entries(expectRejected)) {
      const r = results.get(file);
      if (r === undefined) continue; // not in this corpus (the holdout set has other files)
      expect(r.o.accepted, file).toBe(false);
      expect(r.o.firstError, file).toMatch(re);
    }
  });

  it("reports how often it agrees with 4.10 on which conns fail to load (not enforced)", () => {
    let same = 0;
    let both = 0;
    for (const { v, o } of results.values()) {
      if (v.exit !== 0 || !o.accepted) continue;
      both++;
      if (JSON.stringify([...v.conn_errors].sort()) === JSON.stringify([...o.connErrors].sort())) same++;
    }
    console.log(`corpus: failed-conn lists agree with 4.10 on ${same} of ${both} accepted files`);
    expect(same).toBeGreaterThan(both * 0.95);
  });
});

describe.skipIf(!available)("ipsec.secrets corpus", () => {
  it("reads every secrets file without an error", () => {
    const files = readManifest().filter((m) => m.kind === "ipsec.secrets");
    expect(files.length).toBeGreaterThan(0); // 831 in the shared set
    const errors: string[] = [];
    let entries = 0;
    for (const f of files) {
      const real = join(CORPUS, f.file);
      const r = parseSecrets(real, corpusIO(real), { mode: statSync(real).mode & 0o777 & 0o700 });
      entries += r.entries.length;
      for (const d of r.diagnostics) if (d.severity === "error") errors.push(`${f.file}:${d.line}:${d.column}: ${d.message}`);
    }
    console.log(`secrets corpus: ${files.length} files, ${entries} entries`);
    expect(errors).toEqual([]);
  });
});
