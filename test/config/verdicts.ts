// Our verdict on a corpus file, in the shape of Libreswan 4.10's (libreswan-4.10-verdicts.jsonl),
// and the comparison of the two. Shared by corpus.test.ts and the fixture generator.
import { join } from "node:path";
import { loadIpsecConf } from "../../hosts/config/ipsecconf.ts";
import { isFileError } from "../../hosts/config/diagnostics.ts";
import { normalizeConfig } from "../../hosts/config/normalize.ts";
import { CORPUS, corpusIO, type Verdict } from "./corpus-io.ts";

export interface OurVerdict {
  accepted: boolean;
  conns: string[];
  /** in 4.10's terms: add, start, route (ondemand), ignore, keep */
  auto: Record<string, string>;
  connErrors: string[];
  firstError: string | null;
}

const AUTO_410: Record<string, string> = { ignore: "ignore", add: "add", ondemand: "route", start: "start", keep: "keep" };

export function ourVerdict(file: string): OurVerdict {
  const real = join(CORPUS, file);
  const r = loadIpsecConf(real, corpusIO(real));
  const fileErr = r.diagnostics.find(isFileError);
  const auto: Record<string, string> = {};
  for (const c of r.conns) auto[c.name] = AUTO_410[c.auto]!;
  return {
    accepted: r.ok,
    conns: r.conns.map((c) => c.name),
    auto,
    connErrors: r.ok ? normalizeConfig(r).failed : [],
    firstError: fileErr ? `${fileErr.line}:${fileErr.column}: ${fileErr.message}` : null,
  };
}

export interface Difference {
  ours: string;
  theirs: string;
}

/** null when we agree with 4.10: same accept/reject, and when accepted, same conns and auto=. */
export function compare(v: Verdict, o: OurVerdict): Difference | null {
  const theirsAccepted = v.exit === 0;
  if (theirsAccepted !== o.accepted) {
    return {
      ours: o.accepted ? `accepted (${o.conns.length} conns)` : `rejected: ${o.firstError}`,
      theirs: theirsAccepted ? `accepted (${v.conns.length} conns)` : `rejected (exit ${v.exit}): ${v.stderr.trim().split("\n")[0]}`,
    };
  }
  if (!theirsAccepted) return null;
  if (JSON.stringify(v.conns) !== JSON.stringify(o.conns)) {
    return { ours: `conns ${JSON.stringify(o.conns)}`, theirs: `conns ${JSON.stringify(v.conns)}` };
  }
  for (const c of v.conns) {
    if (v.auto[c] !== o.auto[c]) return { ours: `${c}: auto=${o.auto[c]}`, theirs: `${c}: auto=${v.auto[c]}` };
  }
  return null;
}
