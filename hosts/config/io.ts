// File access for the config readers, injected by the host so that the same code runs under
// Node and Deno (and over in-memory files in tests). Runtime-neutral: no node: imports.
//
// Paths are POSIX paths. `include` patterns are globbed the way glob(3) does for Libreswan:
// `*`, `?`, `[...]` within one path component, `{a,b}` alternatives (GLOB_BRACE), a leading `.`
// only matched explicitly, matches sorted.

export interface ConfigIO {
  /** the file's text, or null when it does not exist or cannot be read */
  readFile(path: string): string | null;
  /** the names in a directory (not paths), or null when it is not a readable directory */
  listDir?(dir: string): string[] | null;
  /** a complete glob implementation; when absent, globbing uses listDir */
  glob?(pattern: string): string[];
}

export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return p.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  if (isAbsolute(name)) return name;
  if (dir === "" || dir === ".") return name;
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Collapse `.` and `..` components and repeated slashes. */
export function normalizePath(p: string): string {
  const abs = isAbsolute(p);
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part === ".." && abs) continue;
    else out.push(part);
  }
  const s = out.join("/");
  return abs ? `/${s}` : s === "" ? "." : s;
}

/** Resolve `p` against the directory of the file that names it (ipsec.conf's rule for include). */
export function resolveFrom(includingFile: string, p: string): string {
  return normalizePath(isAbsolute(p) ? p : joinPath(dirname(includingFile), p));
}

export function hasGlobMagic(p: string): boolean {
  return /[*?[{]/.test(p);
}

/** Expand `{a,b}` alternatives (nested allowed), as GLOB_BRACE does. */
export function expandBraces(pattern: string): string[] {
  const open = findBraceOpen(pattern);
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === "," && depth === 1) commas.push(i);
  }
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const cuts = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const alt = pattern.slice(cuts[k]! + 1, cuts[k + 1]);
    for (const e of expandBraces(head + alt + tail)) out.push(e);
  }
  return out;
}

function findBraceOpen(p: string): number {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "\\") {
      i++;
      continue;
    }
    if (p[i] === "{") return i;
  }
  return -1;
}

/** fnmatch(3) for one path component: `*`, `?`, `[...]` (with `!`/`^` negation and ranges). */
export function matchComponent(pattern: string, name: string): boolean {
  if (name.startsWith(".") && !pattern.startsWith(".")) return false;
  return matchFrom(pattern, 0, name, 0);
}

function matchFrom(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === "*") {
      while (p[pi] === "*") pi++;
      if (pi === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchFrom(p, pi, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === "?") {
      pi++;
      si++;
      continue;
    }
    if (c === "[") {
      const r = matchClass(p, pi, s[si]!);
      if (r === null) {
        // an unterminated '[' matches itself
        if (s[si] !== "[") return false;
        pi++;
        si++;
        continue;
      }
      if (!r.ok) return false;
      pi = r.next;
      si++;
      continue;
    }
    if (c === "\\" && pi + 1 < p.length) {
      if (p[pi + 1] !== s[si]) return false;
      pi += 2;
      si++;
      continue;
    }
    if (c !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

function matchClass(p: string, pi: number, ch: string): { ok: boolean; next: number } | null {
  let i = pi + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  let matched = false;
  let first = true;
  while (i < p.length && (first || p[i] !== "]")) {
    first = false;
    let lo = p[i]!;
    i++;
    if (p[i] === "-" && i + 1 < p.length && p[i + 1] !== "]") {
      const hi = p[i + 1]!;
      i += 2;
      if (ch >= lo && ch <= hi) matched = true;
    } else if (ch === lo) matched = true;
  }
  if (i >= p.length) return null;
  return { ok: matched !== negate, next: i + 1 };
}

/** Expand a glob pattern with the host's listDir; matches sorted, as glob(3) sorts them. */
export function globWithListDir(pattern: string, listDir: (dir: string) => string[] | null): string[] {
  const results = new Set<string>();
  for (const alt of expandBraces(pattern)) {
    const abs = isAbsolute(alt);
    const parts = alt.split("/").filter((x, i) => x !== "" || i === 0);
    let current: string[] = [abs ? "/" : ""];
    const comps = abs ? parts.slice(1) : parts;
    for (let k = 0; k < comps.length; k++) {
      const comp = comps[k]!;
      const next: string[] = [];
      for (const base of current) {
        if (!hasGlobMagic(comp)) {
          next.push(base === "" ? comp : base === "/" ? `/${comp}` : `${base}/${comp}`);
          continue;
        }
        const names = listDir(base === "" ? "." : base);
        if (names === null) continue;
        for (const n of [...names].sort()) {
          if (matchComponent(comp, n)) next.push(base === "" ? n : base === "/" ? `/${n}` : `${base}/${n}`);
        }
      }
      current = next;
    }
    for (const c of current) results.add(c);
  }
  return [...results].sort();
}

/**
 * The files an include pattern names. A pattern without glob characters names itself (whether
 * or not it exists: the caller reports a missing file); a pattern with them names its matches.
 */
export function expandInclude(pattern: string, io: ConfigIO): { paths: string[]; glob: boolean } {
  if (!hasGlobMagic(pattern)) return { paths: [pattern], glob: false };
  let matches: string[];
  if (io.glob) matches = io.glob(pattern);
  else if (io.listDir) {
    const ld = io.listDir.bind(io);
    matches = globWithListDir(pattern, ld);
  } else matches = [];
  return { paths: matches, glob: true };
}
