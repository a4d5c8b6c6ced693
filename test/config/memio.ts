// An in-memory ConfigIO for the config tests.
import type { ConfigIO } from "../../hosts/config/io.ts";

export function memIO(files: Record<string, string>): ConfigIO & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile(p: string): string | null {
      reads.push(p);
      return Object.prototype.hasOwnProperty.call(files, p) ? files[p]! : null;
    },
    listDir(dir: string): string[] | null {
      const prefix = dir.endsWith("/") ? dir : `${dir}/`;
      const names = new Set<string>();
      for (const f of Object.keys(files)) {
        if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split("/")[0]!);
      }
      return names.size > 0 ? [...names] : null;
    },
  };
}

/** tab-indent helper: lines starting with "  " get a tab instead */
export function conf(...lines: string[]): string {
  return lines.join("\n") + "\n";
}
