// Libreswan 4.10's own proposal parser (`ipsec algparse -v2`, in /opt/pw-libreswan) as the
// reference for what to refuse: each one-transform proposal of test/config/algorithm-cases.ts,
// and each alias of its transform, goes to algparse and to our loader. What Libreswan refuses
// we refuse at load; what we accept Libreswan accepts too. (We refuse a few that Libreswan
// accepts, each listed below with the reason, and the test prints them.) Skips, saying why,
// where algparse is not unpacked.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parserVocabulary } from "../../hosts/config/proposals.ts";
import { cases, load, type Case } from "./algorithm-cases.ts";

const ALGPARSE = `${process.env.PW_LIBRESWAN ?? "/opt/pw-libreswan"}/usr/libexec/ipsec/algparse`;
const why = existsSync(ALGPARSE) ? null : `Libreswan's algparse is not at ${ALGPARSE} (see .ci/run)`;
if (why) console.log(`algparse comparison skipped: ${why}`);

// Libreswan's verdict: its expansion of the proposal, or its error line
function algparse(proto: "ike" | "esp", text: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync(ALGPARSE, ["-v2", ...(proto === "esp" ? ["-pfs"] : []), `${proto}=${text}`], { encoding: "utf8", timeout: 10000, stdio: ["ignore", "pipe", "pipe"] });
    return { ok: !/ERROR/.test(out), out: out.trim().split("\n").pop()!.trim() };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${x.stdout ?? ""}${x.stderr ?? ""}`.trim().split("\n").pop()!.trim() };
  }
}

// Accepted by Libreswan 4.10, refused here on purpose
const OURS_ONLY: { match: (c: Case, text: string) => boolean; why: string }[] = [
  { match: (c) => c.proto === "ike" && c.kind === "encr" && c.id === 23, why: "Camellia for IKE: the portable provider has no Camellia" },
];

describe.skipIf(why !== null)("our loader against Libreswan 4.10's algparse", () => {
  test("every one-transform proposal and every alias in it: Libreswan's refusals are ours, our acceptances are Libreswan's", () => {
    // the harness tells the two verdicts apart
    expect(algparse("ike", "aes128-sha1;dh14")).toEqual({ ok: true, out: "AES_CBC_128-HMAC_SHA1-MODP2048" });
    expect(algparse("ike", "aes128-sha1;dh2")).toEqual({ ok: false, out: "ERROR: IKE DH algorithm 'dh2' is not recognized" });
    const vocab = parserVocabulary();
    const disagree: string[] = [];
    const oursOnly: string[] = [];
    let n = 0;
    for (const c of cases()) {
      const v = vocab.find((x) => x.kind === c.kind && x.id === c.id)!;
      for (const name of v.names) {
        const text = c.make(name);
        const ours = load(c.proto, text);
        const theirs = algparse(c.proto, text);
        n++;
        const weAccept = "conn" in ours;
        if (weAccept && !theirs.ok) disagree.push(`${c.proto}=${text}: we accept it, Libreswan says ${theirs.out}`);
        if (!weAccept && theirs.ok) {
          const known = OURS_ONLY.find((o) => o.match(c, text));
          if (known) oursOnly.push(`${c.proto}=${text}: ${known.why}`);
          else disagree.push(`${c.proto}=${text}: we refuse it (${(ours as { error: string }).error}), Libreswan takes it as ${theirs.out}`);
        }
      }
    }
    console.log(`${n} proposals put to both; refused here though Libreswan 4.10 accepts them:\n  ${oursOnly.join("\n  ")}`);
    expect(disagree).toEqual([]);
    expect(n).toBeGreaterThan(200);
  });
});
