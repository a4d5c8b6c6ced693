// ConfigIO over the Libreswan test-suite corpus, resolving include paths the way the corpus
// README says 4.10's verdicts were made: /testing/... is the corpus tree, /etc/ipsec.d/... is
// _baseconfigs/all/etc/ipsec.d/, /etc/ipsec.conf is the file itself, any other absolute path
// does not exist.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConfigIO } from "../../hosts/config/io.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CORPUS = join(ROOT, "../shared/corpus/ipsec-conf");
export const TREE = join(CORPUS, "libreswan");

export function corpusAvailable(): boolean {
  return existsSync(join(CORPUS, "libreswan-4.10-verdicts.jsonl"));
}

/** The real path of a path as the test VMs see it, or null when it does not exist there. */
export function mapPath(p: string, mainFile: string): string | null {
  if (p.startsWith(TREE + "/") || p === TREE) return p;
  if (p === "/etc/ipsec.conf") return mainFile;
  if (p.startsWith("/testing/pluto/")) return join(TREE, p.slice("/testing/pluto/".length));
  if (p === "/testing/pluto") return TREE;
  if (p.startsWith("/testing/baseconfigs/")) return join(TREE, "_baseconfigs", p.slice("/testing/baseconfigs/".length));
  if (p.startsWith("/etc/ipsec.d/")) return join(TREE, "_baseconfigs/all/etc/ipsec.d", p.slice("/etc/ipsec.d/".length));
  if (p === "/etc/ipsec.d") return join(TREE, "_baseconfigs/all/etc/ipsec.d");
  if (p.startsWith("/")) return null;
  return null;
}

export function corpusIO(mainFile: string): ConfigIO {
  return {
    readFile(p: string): string | null {
      const real = mapPath(p, mainFile);
      if (real === null) return null;
      try {
        if (!statSync(real).isFile()) return null;
        return readFileSync(real, "utf8");
      } catch {
        return null;
      }
    },
    listDir(d: string): string[] | null {
      const real = mapPath(d, mainFile);
      if (real === null) return null;
      try {
        return readdirSync(real);
      } catch {
        return null;
      }
    },
  };
}

export interface Verdict {
  file: string;
  kind: string;
  exit: number;
  conns: string[];
  auto: Record<string, string>;
  conn_errors: string[];
  stderr: string;
}

export function readVerdicts(): Verdict[] {
  return readFileSync(join(CORPUS, "libreswan-4.10-verdicts.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Verdict);
}

export function readManifest(): { file: string; kind: string }[] {
  return readFileSync(join(CORPUS, "libreswan-manifest.tsv"), "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [file, kind] = l.split("\t");
      return { file: file!, kind: kind! };
    });
}
