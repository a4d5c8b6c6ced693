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

// What one read of a configuration may cost, whatever its files say. Includes fan out (a file
// that includes itself twice, ten levels deep, is 2,046 reads) and patterns can be written to
// take exponential time ({a,b}{a,b}..., *a*a*a*...): past a bound the read stops with an error,
// and a daemon that was rereading keeps what it had.
export const MAX_CONFIG_FILES = 4096; // files read, counting each time a file is included again
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024; // characters read, likewise
export const MAX_GLOB_NAMES = 4096; // names one include pattern may expand to ({a,b} alternatives, matches)
export const MAX_CONFIG_STEPS = 64 * 1024 * 1024; // pattern-matching steps

/** The work a read has done so far: files and characters read, matching steps taken. */
export interface Work {
  files: number;
  bytes: number;
  steps: number;
  /** a bound was reached: nothing more is read */
  stopped?: boolean;
}

export function newWork(): Work {
  return { files: 0, bytes: 0, steps: 0 };
}

/** Counts one more file of `length` characters; the reason to stop, or null. */
export function chargeFile(w: Work, length: number): string | null {
  w.files++;
  w.bytes += length;
  if (w.files > MAX_CONFIG_FILES) return `more than ${MAX_CONFIG_FILES} files read (are includes fanning out or recursing?)`;
  if (w.bytes > MAX_CONFIG_BYTES) return `more than ${MAX_CONFIG_BYTES} characters read (are includes fanning out or recursing?)`;
  return null;
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

/**
 * Expand `{a,b}` alternatives (nested allowed), as GLOB_BRACE does; null when there would be
 * more than `limit`.
 */
export function expandBraces(pattern: string, limit = MAX_GLOB_NAMES): string[] | null {
  const out: string[] = [];
  return braces(pattern, out, limit) ? out : null;
}

function braces(pattern: string, out: string[], limit: number): boolean {
  const open = findBraceOpen(pattern);
  if (open < 0) {
    out.push(pattern);
    return out.length <= limit;
  }
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
  if (close < 0) {
    out.push(pattern);
    return out.length <= limit;
  }
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const cuts = [open, ...commas, close];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const alt = pattern.slice(cuts[k]! + 1, cuts[k + 1]);
    if (!braces(head + alt + tail, out, limit)) return false;
  }
  return true;
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

/**
 * fnmatch(3) for one path component: `*`, `?`, `[...]` (with `!`/`^` negation and ranges).
 * Each `*` that fails moves on by one character instead of recursing, so a match costs at
 * most pattern x name steps (counted in `work`).
 */
export function matchComponent(pattern: string, name: string, work: Work = newWork()): boolean {
  if (name.startsWith(".") && !pattern.startsWith(".")) return false;
  const p = pattern;
  const s = name;
  let pi = 0;
  let si = 0;
  let star = -1; // the pattern index after the last '*' seen
  let resume = 0; // the name index that '*' would take up to next
  while (si < s.length) {
    work.steps++;
    if (pi < p.length && p[pi] === "*") {
      while (p[pi] === "*") pi++;
      star = pi;
      resume = si;
      continue;
    }
    const next = pi < p.length ? matchOne(p, pi, s[si]!) : -1;
    if (next >= 0) {
      pi = next;
      si++;
      continue;
    }
    if (star < 0) return false;
    pi = star;
    si = ++resume;
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}

// One pattern element at pi against one character: the index after the element, or -1.
function matchOne(p: string, pi: number, ch: string): number {
  const c = p[pi]!;
  if (c === "?") return pi + 1;
  if (c === "[") {
    const r = matchClass(p, pi, ch);
    if (r === null) return ch === "[" ? pi + 1 : -1; // an unterminated '[' matches itself
    return r.ok ? r.next : -1;
  }
  if (c === "\\" && pi + 1 < p.length) return p[pi + 1] === ch ? pi + 2 : -1;
  return c === ch ? pi + 1 : -1;
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

/**
 * Expand a glob pattern with the host's listDir; matches sorted, as glob(3) sorts them. A
 * string when the pattern names too much (MAX_GLOB_NAMES) or takes too long (MAX_CONFIG_STEPS).
 */
export function globWithListDir(pattern: string, listDir: (dir: string) => string[] | null, work: Work = newWork()): string[] | string {
  const alts = expandBraces(pattern);
  if (alts === null) return `its {a,b} alternatives make more than ${MAX_GLOB_NAMES} patterns`;
  const results = new Set<string>();
  const tooMany = () => `it names more than ${MAX_GLOB_NAMES} files`;
  for (const alt of alts) {
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
          if (matchComponent(comp, n, work)) next.push(base === "" ? n : base === "/" ? `/${n}` : `${base}/${n}`);
          if (work.steps > MAX_CONFIG_STEPS) return `matching it takes more than ${MAX_CONFIG_STEPS} steps`;
        }
        if (next.length > MAX_GLOB_NAMES) return tooMany();
      }
      current = next;
    }
    for (const c of current) results.add(c);
    if (results.size > MAX_GLOB_NAMES) return tooMany();
  }
  return [...results].sort();
}

/**
 * The files an include pattern names. A pattern without glob characters names itself (whether
 * or not it exists: the caller reports a missing file); a pattern with them names its matches.
 * `error` says why a pattern was not expanded.
 */
export function expandInclude(pattern: string, io: ConfigIO, work: Work = newWork()): { paths: string[]; glob: boolean; error?: string } {
  if (!hasGlobMagic(pattern)) return { paths: [pattern], glob: false };
  let matches: string[] | string;
  if (io.glob) matches = io.glob(pattern);
  else if (io.listDir) {
    const ld = io.listDir.bind(io);
    matches = globWithListDir(pattern, ld, work);
  } else matches = [];
  if (typeof matches === "string") return { paths: [], glob: true, error: matches };
  if (matches.length > MAX_GLOB_NAMES) return { paths: [], glob: true, error: `it names more than ${MAX_GLOB_NAMES} files` };
  return { paths: matches, glob: true };
}
