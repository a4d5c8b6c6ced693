// ipsec.conf reader, in Libreswan's syntax. Runtime-neutral: files come through ConfigIO.
//
// Layout of the language (ipsec.conf(5)):
//   - a line starting at the left margin opens a section (`config setup`, `conn NAME`), includes
//     files (`include PATTERN`, relative to the including file, globbed) or gives `version 2`;
//   - the indented lines that follow, until the next line at the left margin, are the section's
//     `keyword=value` lines; blank lines and comment lines (`#` after optional blanks) do not end
//     a section; `# ...` after a value is a comment;
//   - a value is a "quoted string" (no quote or newline inside), a {braced string} or a run of
//     non-blank characters; an unquoted empty value is ignored;
//   - `also=NAME` inserts section NAME in place (nested; duplicates ignored; a cycle is an
//     error here), `conn %default` gives defaults to every conn.
//
// Two levels of error, as in Libreswan: file errors (syntax, unknown keyword, keyword in the
// wrong section, a value outside a keyword's enumeration) reject the file; connection errors
// (bad address, bad duration, missing also= target, conflicting duplicate) stop only that
// connection from loading ("while loading 'NAME'").

import { diag, isFileError, type Diagnostic, type Position } from "./diagnostics.ts";
import { breaksSecret, isBlank, isControl, strangeChar, strangeMessage, visible } from "./chars.ts";
import { chargeFile, expandInclude, newWork, resolveFrom, type ConfigIO, type Work } from "./io.ts";
import {
  checkDebugList,
  displayName,
  enumValue,
  lookupKeyword,
  type KeywordDef,
  type KeywordMatch,
  type Section as KwSection,
} from "./keywords.ts";
import {
  isHex,
  isHostname,
  parseAddress,
  parseBinary,
  parseCidr,
  parseVirtualSpec,
  parseDuration,
  parseMark,
  parsePercent,
  parseProtoport,
  parseRange,
  parseUnsigned,
  parseCount,
  parseVirtualPrivate,
  splitCommas,
  splitList,
} from "./values.ts";

export const MAX_INCLUDE_DEPTH = 10;
/** the also= sections one conn may insert, transitively */
export const ALSO_LIMIT = 32;

export interface Setting {
  match: KeywordMatch;
  /** the keyword as written */
  written: string;
  value: string;
  quoted: boolean;
  file: string;
  line: number;
  column: number;
  valueColumn: number;
  /** the section it was written in: "config setup" or the conn name */
  sectionName: string;
}

export interface ConnSection {
  name: string;
  file: string;
  line: number;
  column: number;
  settings: Setting[];
  isDefault: boolean;
}

export interface ParsedConfig {
  file: string;
  /** every file read, in the order read */
  files: string[];
  /** config setup, the effective value of each keyword (later sections override earlier ones) */
  setup: Map<string, Setting>;
  /** conn sections in file order (first definition of each name), %default ones included */
  sections: ConnSection[];
  diagnostics: Diagnostic[];
  /** what reading took: files, characters, steps (bounded: see io.ts) */
  work: Work;
}

export type AutoValue = "ignore" | "add" | "ondemand" | "start" | "keep";

export interface ResolvedConn {
  name: string;
  section: ConnSection;
  /** effective settings after also= and %default, by canonical key (leftsubnet, ike, ...) */
  settings: Map<string, Setting>;
  /** keywords whose values accumulate (connalias=) */
  appended: Map<string, Setting[]>;
  /** the also= sections inserted, transitively, in order */
  alsos: string[];
  auto: AutoValue;
  /** connection-level errors and warnings */
  diagnostics: Diagnostic[];
  /** false when the connection has errors and would not load */
  ok: boolean;
}

export interface LoadedConfig {
  parsed: ParsedConfig;
  conns: ResolvedConn[];
  /** file diagnostics then connection diagnostics */
  diagnostics: Diagnostic[];
  /** no file-level error: Libreswan's parser would accept the file */
  ok: boolean;
}

// ------------------------------------------------------------------------------- lexing helpers

function skipBlanks(s: string, i: number): number {
  while (i < s.length && isBlank(s[i])) i++;
  return i;
}

interface Token {
  text: string;
  quoted: boolean;
  start: number;
  end: number;
}

/** A value: "quoted", {braced} or a run of non-blank characters. */
function readValue(s: string, i: number): Token | { error: string; at: number } {
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) return { error: "unterminated quoted string", at: i };
    return { text: s.slice(i + 1, close), quoted: true, start: i, end: close + 1 };
  }
  if (s[i] === "{") {
    const close = s.indexOf("}", i + 1);
    if (close >= 0 && !s.slice(i, close).includes('"')) {
      return { text: s.slice(i + 1, close), quoted: true, start: i, end: close + 1 };
    }
  }
  let j = i;
  while (j < s.length && !isBlank(s[j])) j++;
  return { text: s.slice(i, j), quoted: false, start: i, end: j };
}

/** A word at the left margin: up to a blank, '=', '"' or '#'. */
function readWord(s: string, i: number): Token {
  let j = i;
  while (j < s.length && !isBlank(s[j]) && s[j] !== "=" && s[j] !== '"' && s[j] !== "#") j++;
  return { text: s.slice(i, j), quoted: false, start: i, end: j };
}

function restIsEmpty(s: string, i: number): number | null {
  const j = skipBlanks(s, i);
  if (j >= s.length || s[j] === "#") return null;
  return j;
}

// ------------------------------------------------------------------------------- parser

interface ParseState {
  io: ConfigIO;
  out: ParsedConfig;
  current: ConnSection | "setup" | null;
  /** the section being filled belongs to a duplicate name: parse but do not keep */
  sectionNames: Map<string, ConnSection>;
  sawStatement: boolean;
  /** the last line at the left margin had a bad character: its section's lines are dropped quietly */
  lost: boolean;
}

export function parseIpsecConf(path: string, io: ConfigIO): ParsedConfig {
  const out: ParsedConfig = { file: path, files: [], setup: new Map(), sections: [], diagnostics: [], work: newWork() };
  const text = io.readFile(path);
  if (text === null) {
    out.diagnostics.push(diag("error", { file: path, line: 0, column: 0 }, `cannot open config file '${path}'`));
    return out;
  }
  const st: ParseState = { io, out, current: null, sectionNames: new Map(), sawStatement: false, lost: false };
  readConfFile(st, { file: path, line: 0, column: 0 }, path, text, 1);
  return out;
}

/** Parse config text held in memory (includes still go through io). */
export function parseIpsecConfText(path: string, text: string, io: ConfigIO = { readFile: () => null }): ParsedConfig {
  const out: ParsedConfig = { file: path, files: [], setup: new Map(), sections: [], diagnostics: [], work: newWork() };
  const st: ParseState = { io, out, current: null, sectionNames: new Map(), sawStatement: false, lost: false };
  readConfFile(st, { file: path, line: 0, column: 0 }, path, text, 1);
  return out;
}

// Counts the file against the read's bounds (io.ts), then parses it; past a bound, one error
// and nothing more is read.
function readConfFile(st: ParseState, at: Position, file: string, text: string, depth: number): void {
  const work = st.out.work;
  if (work.stopped) return;
  const over = chargeFile(work, text.length);
  if (over !== null) {
    work.stopped = true;
    st.out.diagnostics.push(diag("error", at, `stopped reading the configuration at '${visible(file, 200)}': ${over}`));
    return;
  }
  parseText(st, file, text, depth);
}

// In a quoted string, what ipsec.conf cannot take: control characters, and what a secret could not
const quotedBad = (code: number) => isControl(code) || breaksSecret(code);

function parseText(st: ParseState, file: string, text: string, depth: number): void {
  st.out.files.push(file);
  const lines = text.split("\n");
  const err = (line: number, column: number, message: string, keyword?: string) =>
    st.out.diagnostics.push(diag("error", { file, line, column }, message, keyword === undefined ? undefined : { keyword }));
  const warn = (line: number, column: number, message: string, keyword?: string) =>
    st.out.diagnostics.push(diag("warning", { file, line, column }, message, keyword === undefined ? undefined : { keyword }));

  for (let n = 0; n < lines.length; n++) {
    st.out.work.steps++;
    const s = lines[n]!;
    const lineNo = n + 1;
    const first = skipBlanks(s, 0);
    if (first >= s.length || s[first] === "#") continue; // blank or comment line
    const bad = strangeChar(s, quotedBad);
    if (bad !== null) {
      err(lineNo, bad.at + 1, strangeMessage(bad));
      if (first === 0) {
        st.current = null;
        st.lost = true;
      }
      continue;
    }

    if (first > 0) {
      // a keyword line of the open section
      if (st.current === null) {
        if (!st.lost) err(lineNo, first + 1, "indented line outside of a section (expected 'config setup' or 'conn NAME' first)");
        continue;
      }
      parseKeywordLine(st, file, s, lineNo, first, err, warn);
      continue;
    }

    // a statement at the left margin
    st.lost = false;
    const word = readWord(s, 0);
    const afterWord = skipBlanks(s, word.end);
    switch (word.text) {
      case "config": {
        const w2 = readWord(s, afterWord);
        if (w2.text !== "setup") {
          err(lineNo, afterWord + 1, `expected 'config setup', found 'config ${w2.text}'`);
          st.current = null;
          continue;
        }
        const extra = restIsEmpty(s, w2.end);
        if (extra !== null) err(lineNo, extra + 1, `unexpected '${visible(s.slice(extra).trim())}' after 'config setup'`);
        st.current = "setup";
        st.sawStatement = true;
        continue;
      }
      case "conn": {
        if (afterWord >= s.length || s[afterWord] === "#") {
          err(lineNo, word.end + 1, "'conn' needs a name");
          st.current = null;
          continue;
        }
        const name = readValue(s, afterWord);
        if ("error" in name) {
          err(lineNo, name.at + 1, `conn name: ${name.error}`);
          st.current = null;
          continue;
        }
        const extra = restIsEmpty(s, name.end);
        if (extra !== null) {
          err(lineNo, extra + 1, `unexpected '${visible(s.slice(extra).trim())}' after 'conn ${name.text}'`);
        }
        if (name.text === "") {
          err(lineNo, afterWord + 1, "'conn' needs a name");
          st.current = null;
          continue;
        }
        const sec: ConnSection = {
          name: name.text,
          file,
          line: lineNo,
          column: 1,
          settings: [],
          isDefault: name.text === "%default",
        };
        const prev = st.sectionNames.get(name.text);
        if (prev !== undefined && !sec.isDefault) {
          warn(
            lineNo,
            1,
            `duplicate conn '${name.text}' ignored (first defined at ${prev.file}:${prev.line})`,
          );
        } else {
          st.out.sections.push(sec);
          if (!sec.isDefault) st.sectionNames.set(name.text, sec);
        }
        st.current = sec;
        st.sawStatement = true;
        continue;
      }
      case "include": {
        st.current = null;
        st.sawStatement = true;
        if (afterWord >= s.length || s[afterWord] === "#") {
          err(lineNo, word.end + 1, "'include' needs a file name");
          continue;
        }
        const pat = readValue(s, afterWord);
        if ("error" in pat) {
          err(lineNo, pat.at + 1, `include: ${pat.error}`);
          continue;
        }
        const extra = restIsEmpty(s, pat.end);
        if (extra !== null) {
          err(lineNo, extra + 1, `unexpected '${visible(s.slice(extra).trim())}' after the include file name (one file name, no blanks)`);
          continue;
        }
        doInclude(st, { file, line: lineNo, column: afterWord + 1 }, pat.text, depth);
        continue;
      }
      case "version": {
        const v = readValue(s, afterWord);
        if ("error" in v || v.text === "") {
          err(lineNo, afterWord + 1, "'version' needs a value");
        } else if (st.sawStatement) {
          err(lineNo, 1, "'version' must come before every section");
        }
        st.sawStatement = true;
        continue;
      }
      default: {
        st.current = null;
        if (word.text === "") {
          err(lineNo, 1, `syntax error at '${visible(s.trim(), 20)}'`);
        } else if (s[word.end] === "=" || s[afterWord] === "=") {
          err(lineNo, 1, `'${word.text}=' must be indented, inside a 'config setup' or 'conn' section`, word.text);
        } else {
          err(lineNo, 1, `syntax error: unexpected '${word.text}' (expected 'config setup', 'conn NAME', 'include FILE' or 'version 2')`);
        }
        continue;
      }
    }
  }
}

function doInclude(st: ParseState, at: Position, pattern: string, depth: number): void {
  const target = resolveFrom(at.file, pattern);
  const { paths, glob, error } = expandInclude(target, st.io, st.out.work);
  if (error !== undefined) {
    st.out.diagnostics.push(diag("error", at, `cannot include '${visible(pattern, 200)}': ${error}`));
    return;
  }
  if (glob && paths.length === 0) return; // a pattern that matches nothing is silently ignored
  if (depth + 1 > MAX_INCLUDE_DEPTH) {
    st.out.diagnostics.push(
      diag("warning", at, `including '${pattern}' exceeds max inclusion depth of ${MAX_INCLUDE_DEPTH}`),
    );
    return;
  }
  for (const p of paths) {
    const text = st.io.readFile(p);
    if (text === null) {
      st.out.diagnostics.push(diag("warning", at, `could not open include file '${p}'`));
      continue;
    }
    readConfFile(st, at, p, text, depth + 1);
    st.current = null;
  }
}

type Report = (line: number, column: number, message: string, keyword?: string) => void;

/** keyword types for which an empty value is a syntax error (Libreswan's lexer wants a token) */
const NEEDS_VALUE = new Set(["bool", "time", "time_ms", "percent", "bytes", "binary"]);

function parseKeywordLine(
  st: ParseState,
  file: string,
  s: string,
  lineNo: number,
  first: number,
  err: Report,
  warn: Report,
): void {
  const sectionKind: KwSection = st.current === "setup" ? "setup" : "conn";
  const sectionLabel = st.current === "setup" ? "config setup" : "conn";
  const key = readWord(s, first);
  if (key.text === "") {
    err(lineNo, first + 1, `syntax error at '${visible(s.slice(first).trim(), 20)}'`);
    return;
  }
  const col = first + 1;
  const written = key.text;
  // x-... and x_... keywords are comments
  if (/^x[-_]/i.test(written)) return;

  const m = lookupKeyword(written, sectionKind);
  if (m === null) {
    const other = lookupKeyword(written, sectionKind === "setup" ? "conn" : "setup");
    if (other !== null && other !== "noprefix") {
      err(
        lineNo,
        col,
        sectionKind === "setup"
          ? `'${written}' is a conn keyword, not valid in 'config setup'`
          : `'${written}' is a 'config setup' keyword, not valid in a conn`,
        written,
      );
    } else {
      err(lineNo, col, `unrecognized '${sectionLabel}' keyword '${written}'`, written);
    }
    return;
  }
  if (m === "noprefix") {
    err(lineNo, col, `keyword '${written}' needs a 'left' or 'right' prefix`, written);
    return;
  }
  const sec = st.current as ConnSection | "setup";
  if (sec !== "setup" && sec.isDefault && m.def.type === "also") {
    err(lineNo, col, "also= is not valid in conn %default", written);
    return;
  }

  let i = skipBlanks(s, key.end);
  if (s[i] !== "=") {
    err(lineNo, i + 1, `expected '=' after '${written}'`, written);
    return;
  }
  i = skipBlanks(s, i + 1);
  let value: Token;
  if (i >= s.length || (s[i] === "#" && isBlank(s[i - 1]))) {
    value = { text: "", quoted: false, start: i, end: i };
  } else {
    const v = readValue(s, i);
    if ("error" in v) {
      err(lineNo, v.at + 1, `${written}: ${v.error}`, written);
      return;
    }
    value = v;
  }
  const extra = restIsEmpty(s, value.end);
  if (extra !== null) {
    err(
      lineNo,
      extra + 1,
      `unexpected '${visible(s.slice(extra).trim())}' after the value of '${written}' (quote a value that contains blanks)`,
      written,
    );
    return;
  }
  const def = m.def;
  const name = def.leftright ? displayName(def, m.end) : def.name;

  if (value.text === "" && !value.quoted) {
    if (NEEDS_VALUE.has(def.type)) {
      err(lineNo, col, `'${written}=' needs a value`, written);
    }
    return; // an empty value sets nothing, as in Libreswan
  }

  // values checked while parsing (file-level): enumerations, booleans, debug categories
  if (def.type === "bool" || def.type === "enum") {
    const pieces = /[:,\s]/.test(value.text) ? value.text.split(/[:,\s]+/).filter((x) => x !== "") : [value.text];
    if (pieces.length === 0) {
      err(lineNo, value.start + 1, `'${written}=' needs a value`, written);
      return;
    }
    for (const p of pieces) {
      if (enumValue(def, p) === undefined) {
        const expected =
          def.type === "bool" ? "yes or no" : Object.keys(def.values ?? {}).join(", ");
        err(lineNo, value.start + 1, `keyword ${name}, invalid value: ${p} (expected ${expected})`, written);
        return;
      }
    }
    if (pieces.length > 1) {
      err(lineNo, value.start + 1, `keyword ${name} accepts only one value, not ${value.text}`, written);
      return;
    }
  } else if (def.type === "plutodebug") {
    const r = checkDebugList(value.text);
    if (r.bad !== null) {
      err(lineNo, value.start + 1, `keyword ${name}, invalid value: ${r.bad}`, written);
      return;
    }
  } else if (def.type === "debug") {
    const r = checkDebugList(value.text);
    if (r.bad !== null) {
      warn(lineNo, value.start + 1, `${name}=${value.text} invalid, ignored`, written);
      return;
    }
  }

  const setting: Setting = {
    match: m,
    written,
    value: value.text,
    quoted: value.quoted,
    file,
    line: lineNo,
    column: col,
    valueColumn: value.start + 1,
    sectionName: sec === "setup" ? "config setup" : sec.name,
  };

  if (def.status === "obsolete") {
    warn(lineNo, col, `obsolete keyword ignored: ${written}=${value.text}`, written);
    return;
  }
  if (def.status === "unsupported") {
    warn(lineNo, col, `keyword '${written}' is not supported yet; ignored`, written);
  }

  if (sec === "setup") {
    if (!setupValueCheck(setting, err, warn)) return;
    const prev = st.out.setup.get(m.key);
    if (prev !== undefined) {
      warn(lineNo, col, `overriding earlier 'config setup' keyword with new value: ${written}=${value.text}`, written);
      st.out.setup.delete(m.key);
    }
    st.out.setup.set(m.key, setting);
    return;
  }

  if (def.type !== "also" && def.type !== "append") {
    const dup = sec.settings.find((x) => x.match.key === m.key);
    if (dup !== undefined) {
      warn(lineNo, col, `ignoring duplicate keyword '${written}' in conn '${sec.name}' (first set at line ${dup.line})`, written);
      return;
    }
  }
  sec.settings.push(setting);
}

/**
 * config setup values are checked as soon as they are read. A bad number or duration is
 * ignored with a warning, as pluto does ("keyword ignored"); a bad listen= address is an error
 * (the daemon would otherwise listen on every address). Returns false when the value is dropped.
 */
function setupValueCheck(s: Setting, err: Report, warn: Report): boolean {
  const t = s.match.def.type;
  if (t === "virtualprivate") {
    const r = parseVirtualPrivate(s.value);
    for (const e of r.errors) warn(s.line, s.valueColumn, `virtual-private: ${e}; entry ignored`, s.written);
    return true;
  }
  if (s.match.key === "listen") {
    if (parseAddress(s.value) === null) {
      err(s.line, s.valueColumn, `listen=${s.value}: not an IP address`, s.written);
      return false;
    }
    return true;
  }
  const problem = checkValue(s.match.def, s.value);
  if (problem !== null) {
    warn(s.line, s.valueColumn, `${s.written}=${s.value}: ${problem}; keyword ignored`, s.written);
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------------- value checks

const HOST_SPECIALS = new Set([
  "%any",
  "%any4",
  "%any6",
  "%defaultroute",
  "%opportunistic",
  "%oppo",
  "%opportunisticgroup",
  "%oppogroup",
  "%group",
  "%hostname",
]);

/** Check a value's syntax for its keyword type; null when fine. Enumerations were checked already. */
export function checkValue(def: KeywordDef, v: string): string | null {
  switch (def.type) {
    case "number": {
      const r = parseCount(v);
      return r.ok ? null : r.error;
    }
    case "port": {
      const r = parseUnsigned(v, 65535);
      return r.ok ? null : r.error;
    }
    case "time":
    case "time_ms": {
      const r = parseDuration(v, def.type === "time_ms" ? "ms" : "s");
      return r.ok ? null : r.error;
    }
    case "percent": {
      const r = parsePercent(v);
      return r.ok ? null : r.error;
    }
    case "bytes":
    case "binary": {
      const r = parseBinary(v, def.type === "bytes");
      return r.ok ? null : r.error;
    }
    case "host": {
      const low = v.toLowerCase();
      if (HOST_SPECIALS.has(low)) return null;
      if (v.startsWith("%")) return v.length > 1 ? null : "'%' needs an interface name"; // %eth0
      if (parseAddress(v) !== null) return null;
      if (isHostname(v)) return null;
      return `'${v}' is not an IP address, a host name or a %-keyword`;
    }
    case "nexthop": {
      const low = v.toLowerCase();
      if (low === "%defaultroute" || low === "%direct") return null;
      if (parseAddress(v) !== null || isHostname(v)) return null;
      return `'${v}' is not an IP address, %defaultroute or %direct`;
    }
    case "subnet": {
      let t = v;
      if (/^(vnet|vhost):/i.test(t)) {
        const r = parseVirtualSpec(t);
        return r.ok ? null : r.error;
      }
      const items = splitCommas(t);
      if (!items.ok) return items.error;
      for (const item of items.value) {
        if (item.toLowerCase() === "%any" || item.toLowerCase() === "%any4" || item.toLowerCase() === "%any6") continue;
        const c = parseCidr(item, { bare: true, zeroHost: true });
        if (!c.ok) return `bad subnet '${item}': ${c.error}`;
      }
      return null;
    }
    case "subnets": {
      for (const item of splitList(v)) {
        const c = parseCidr(item, { bare: true, zeroHost: true });
        if (!c.ok) return `bad subnet '${item}': ${c.error}`;
      }
      return null;
    }
    case "addresses": {
      const items = splitCommas(v);
      if (!items.ok) return items.error;
      for (const item of items.value) {
        if (parseAddress(item) === null && !isHostname(item)) return `'${item}' is not an IP address`;
      }
      return null;
    }
    case "cidr": {
      const slash = v.indexOf("/");
      if (slash < 0) return "no / in address/prefix";
      const a = parseAddress(v.slice(0, slash));
      if (a === null) return `'${v.slice(0, slash)}' is not an IP address`;
      const p = parseUnsigned(v.slice(slash + 1), a.family === 4 ? 32 : 128);
      return p.ok ? null : `bad prefix length: ${p.error}`;
    }
    case "range": {
      const items = splitCommas(v);
      if (!items.ok) return items.error;
      for (const item of items.value) {
        const r = parseRange(item);
        if (!r.ok) return `bad address pool '${item}': ${r.error}`;
        if (r.value.start.every((b) => b === 0)) return `address pool ${item} starts at address zero`;
      }
      return null;
    }
    case "protoport": {
      const r = parseProtoport(v);
      return r.ok ? null : r.error;
    }
    case "ckaid":
      return isHex(v) ? null : `'${v}' is not hexadecimal`;
    case "mark": {
      const r = parseMark(v);
      return r.ok ? null : r.error;
    }
    case "ipsecif": {
      const low = v.toLowerCase();
      if (["yes", "no", "y", "n", "true", "false", "on", "off"].includes(low)) return null;
      const r = parseUnsigned(v, 0xffffffff);
      return r.ok ? null : `expected yes, no or an interface number, not '${v}'`;
    }
    case "authby": {
      for (const a of v.split(/[,\s]+/)) {
        if (a === "") continue;
        if (!AUTHBY.has(a.toLowerCase())) return `unknown authby= value '${a}'`;
      }
      return null;
    }
    default:
      return null;
  }
}

export const AUTHBY = new Set([
  "secret",
  "rsasig",
  "rsa",
  "never",
  "null",
  "rsa-sha1",
  "rsa-sha2",
  "rsa-sha2_256",
  "rsa-sha2_384",
  "rsa-sha2_512",
  "ecdsa",
  "ecdsa-sha2",
  "ecdsa-sha2_256",
  "ecdsa-sha2_384",
  "ecdsa-sha2_512",
  "eddsa",
]);

// ------------------------------------------------------------------------------- resolution

const valueProblem = new WeakMap<Setting, string | null>();

function problemOf(s: Setting): string | null {
  let p = valueProblem.get(s);
  if (p === undefined) {
    p = checkValue(s.match.def, s.value);
    valueProblem.set(s, p);
  }
  return p;
}

/** Apply %default and also= to every conn, and check the values each conn ends up with. */
export function resolveConns(parsed: ParsedConfig): ResolvedConn[] {
  const byName = new Map<string, ConnSection>();
  const defaults = new Map<string, Setting>();
  const defaultAppends = new Map<string, Setting[]>();
  for (const sec of parsed.sections) {
    if (sec.isDefault) {
      for (const s of sec.settings) {
        if (s.match.def.type === "append") {
          const list = defaultAppends.get(s.match.key) ?? [];
          list.push(s);
          defaultAppends.set(s.match.key, list);
        } else defaults.set(s.match.key, s); // the last %default value wins
      }
    } else if (!byName.has(sec.name)) byName.set(sec.name, sec);
  }

  const out: ResolvedConn[] = [];
  for (const sec of parsed.sections) {
    if (sec.isDefault) continue;
    out.push(resolveOne(sec, byName, defaults, defaultAppends));
  }
  return out;
}

function resolveOne(
  sec: ConnSection,
  byName: Map<string, ConnSection>,
  defaults: Map<string, Setting>,
  defaultAppends: Map<string, Setting[]>,
): ResolvedConn {
  const name = sec.name;
  const settings = new Map<string, Setting>();
  const appended = new Map<string, Setting[]>();
  const diagnostics: Diagnostic[] = [];
  const alsos: string[] = [];
  const visited = new Set<ConnSection>([sec]);
  const connErr = (s: Position, message: string, keyword?: string) =>
    diagnostics.push(diag("error", s, message, { conn: name, ...(keyword !== undefined ? { keyword } : {}) }));

  const visit = (cur: ConnSection, chain: ConnSection[]): void => {
    for (const s of cur.settings) {
      const t = s.match.def.type;
      if (t === "also") {
        for (const target of splitList(s.value)) {
          const found = byName.get(target);
          if (found === undefined) {
            connErr(s, `conn '${name}': cannot find conn '${target}' needed by ${s.written}=`, s.written);
            continue;
          }
          const at = chain.indexOf(found);
          if (at >= 0) {
            const cycle = [...chain.slice(at), found].map((c) => c.name).join(" -> ");
            connErr(s, `conn '${name}': also= cycle: ${cycle}`, s.written);
            continue;
          }
          if (visited.has(found)) continue; // inserted already
          if (alsos.length >= ALSO_LIMIT) {
            // Libreswan 4.10's limit too (ALSO_LIMIT): it also bounds how deep this recursion goes
            connErr(s, `conn '${name}': too many also= (more than ${ALSO_LIMIT}) used at section '${cur.name}'`, s.written);
            return;
          }
          visited.add(found);
          alsos.push(found.name);
          visit(found, [...chain, found]);
        }
        continue;
      }
      if (t === "append") {
        const list = appended.get(s.match.key) ?? [];
        list.push(s);
        appended.set(s.match.key, list);
        continue;
      }
      const prev = settings.get(s.match.key);
      if (prev === undefined) {
        settings.set(s.match.key, s);
      } else if (!sameValue(prev, s)) {
        connErr(
          s,
          `conn '${name}': duplicate key '${displayName(s.match.def, s.match.end)}' while processing '${s.sectionName}': ` +
            `${s.value} conflicts with ${prev.value} set at ${prev.file}:${prev.line}`,
          s.written,
        );
      }
    }
  };
  visit(sec, [sec]);

  for (const [k, s] of defaults) if (!settings.has(k)) settings.set(k, s);
  for (const [k, list] of defaultAppends) if (!appended.has(k)) appended.set(k, list);

  for (const s of settings.values()) {
    const p = problemOf(s);
    if (p !== null) connErr(s, `conn '${name}': ${s.written}=${s.value}: ${p}`, s.written);
  }

  const autoSetting = settings.get("auto");
  const auto = (autoSetting ? enumValue(autoSetting.match.def, autoSetting.value) : "ignore") as AutoValue;
  return {
    name,
    section: sec,
    settings,
    appended,
    alsos,
    auto,
    diagnostics,
    ok: !diagnostics.some((d) => d.severity === "error"),
  };
}

function sameValue(a: Setting, b: Setting): boolean {
  const def = a.match.def;
  if (def.type === "bool" || def.type === "enum") return enumValue(def, a.value) === enumValue(def, b.value);
  return a.value === b.value;
}

/** Read an ipsec.conf (and what it includes) and resolve its conns. */
export function loadIpsecConf(path: string, io: ConfigIO): LoadedConfig {
  const parsed = parseIpsecConf(path, io);
  return finish(parsed);
}

export function loadIpsecConfText(path: string, text: string, io?: ConfigIO): LoadedConfig {
  return finish(parseIpsecConfText(path, text, io));
}

function finish(parsed: ParsedConfig): LoadedConfig {
  const ok = !parsed.diagnostics.some(isFileError);
  const conns = ok ? resolveConns(parsed) : [];
  const diagnostics = [...parsed.diagnostics];
  for (const c of conns) diagnostics.push(...c.diagnostics);
  return { parsed, conns, diagnostics, ok };
}

/** The value of a setup keyword, or undefined. */
export function setupValue(parsed: ParsedConfig, key: string): string | undefined {
  return parsed.setup.get(key)?.value;
}
