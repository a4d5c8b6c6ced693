// ipsec.secrets reader, in Libreswan's syntax (ipsec.secrets(5)). Runtime-neutral.
//
//   @west @east : PSK "a shared secret"
//   192.0.2.1 %any : PSK 0x0123_4567_89ab      (0x hex, 0s base64, 0t text, or "quoted")
//   : PSK "matches any pair"
//   @east @west : PPKS "ppk-id" "the post-quantum key"
//   @user : XAUTH "password"
//   : RSA { ... }         RSA / ECDSA private-key entries: recorded, not used (keys live in NSS)
//   : PPK ...             any other type: ignored with a warning, as pluto does
//   include /etc/ipsec.d/*.secrets
//
// An entry starts at the left margin; its continuation lines are indented. Secret material is
// held in SecretBytes, whose printable forms are redacted, and never appears in a diagnostic.

import { diag, type Diagnostic, type Position } from "./diagnostics.ts";
import { breaksSecret, isBlank, strangeChar, strangeMessage, visible } from "./chars.ts";
import { chargeFile, expandInclude, newWork, resolveFrom, type ConfigIO, type Work } from "./io.ts";
import { formatAddress, parseAddress } from "./values.ts";

export const MAX_SECRETS_INCLUDE_DEPTH = 10;
/** the longest secret taken (a connection record carries it in a 16-bit length) */
export const MAX_SECRET_BYTES = 8192;

const REDACTED = "[secret]";

/** Bytes of a secret. Its string, JSON and inspect forms are redacted. */
export class SecretBytes {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  /** the secret itself: only for the crypto code that needs it */
  reveal(): Uint8Array {
    return this.#bytes;
  }
  get length(): number {
    return this.#bytes.length;
  }
  equals(other: SecretBytes): boolean {
    const a = this.#bytes;
    const b = other.#bytes;
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
    return d === 0;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

export type SelectorKind = "any" | "address" | "fqdn" | "user_fqdn" | "dn" | "keyid" | "hostname";

export interface Selector {
  kind: SelectorKind;
  /** canonical text: the address, @name, user@name, the DN, or %any / %any4 / %any6 */
  text: string;
  family?: 4 | 6;
}

export type SecretKind = "PSK" | "XAUTH" | "PPKS" | "RSA" | "ECDSA";

export interface SecretEntry {
  kind: SecretKind;
  /** the indices; empty means any pair */
  selectors: Selector[];
  /** PSK, XAUTH, PPKS: the secret */
  secret?: SecretBytes;
  /** PPKS: the PPK identity */
  ppkId?: string;
  /** RSA/ECDSA: what the entry names (a CKAID, a nickname, a file), when given; not secret */
  reference?: string;
  file: string;
  line: number;
}

export interface SecretsResult {
  entries: SecretEntry[];
  files: string[];
  diagnostics: Diagnostic[];
  ok: boolean;
  /** what reading took: files, characters, steps (bounded: see io.ts) */
  work: Work;
}

export interface SecretsOptions {
  /** the file's permission bits (st_mode & 0o777), to warn when group or others can read it */
  mode?: number;
}

// ----------------------------------------------------------------------------- decoding

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeBase64(s: string): Uint8Array | null {
  const t = s.replace(/\s+/g, "");
  if (t.length === 0 || t.length % 4 !== 0) return null;
  const out: number[] = [];
  for (let i = 0; i < t.length; i += 4) {
    const q = t.slice(i, i + 4);
    const pad = q.endsWith("==") ? 2 : q.endsWith("=") ? 1 : 0;
    if (pad > 0 && i + 4 !== t.length) return null;
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = q[j]!;
      let d: number;
      if (c === "=") {
        if (j < 4 - pad) return null;
        d = 0;
      } else {
        d = B64.indexOf(c);
        if (d < 0) return null;
      }
      v = (v << 6) | d;
    }
    out.push((v >> 16) & 0xff);
    if (pad < 2) out.push((v >> 8) & 0xff);
    if (pad < 1) out.push(v & 0xff);
  }
  return Uint8Array.from(out);
}

function decodeHex(s: string): Uint8Array | null {
  // two-digit groups; a single '_' between groups is ignored
  const t = s.replace(/_/g, "");
  if (/__/.test(s) || s.startsWith("_") || s.endsWith("_")) return null;
  if (t.length === 0 || t.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(t)) return null;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const utf8 = new TextEncoder();

/** A secret value: "quoted", 0x hex, 0s base64 or 0t text. Null when malformed. */
export function decodeSecret(tok: SecretToken): Uint8Array | null {
  if (tok.quoted) return utf8.encode(tok.text);
  const t = tok.text;
  const prefix = t.slice(0, 2).toLowerCase();
  if (prefix === "0x") return decodeHex(t.slice(2));
  if (prefix === "0s") return decodeBase64(t.slice(2));
  if (prefix === "0t") return t.length > 2 ? utf8.encode(t.slice(2)) : null;
  return null;
}

// ----------------------------------------------------------------------------- tokens

interface SecretToken {
  text: string;
  quoted: boolean;
  /** a brace block { ... } (RSA keys) */
  block?: boolean;
  line: number;
  column: number;
  /** this token is the ':' separator */
  colon?: boolean;
}

// Words end where blanks are skipped (chars.ts isBlank), so every turn of the loop moves on;
// parseSecretsText has refused the characters that look like blanks and are not.
function tokenizeEntry(lines: { text: string; line: number }[], work: Work): SecretToken[] | { error: string; line: number; column: number } {
  const out: SecretToken[] = [];
  let inBlock: SecretToken | null = null;
  let blockParts: string[] = [];
  for (const { text, line } of lines) {
    let i = 0;
    while (i < text.length) {
      work.steps++;
      const c = text[i]!;
      if (inBlock !== null) {
        const close = text.indexOf("}", i);
        if (close < 0) {
          blockParts.push(text.slice(i));
          break;
        }
        blockParts.push(text.slice(i, close));
        inBlock.text = blockParts.join("\n").trim();
        out.push(inBlock);
        inBlock = null;
        i = close + 1;
        continue;
      }
      if (isBlank(c)) {
        i++;
        continue;
      }
      if (c === "#" && (i === 0 || isBlank(text[i - 1]))) break; // comment to end of line
      if (c === "{") {
        inBlock = { text: "", quoted: false, block: true, line, column: i + 1 };
        blockParts = [];
        i++;
        continue;
      }
      if (c === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return { error: "unterminated quoted string", line, column: i + 1 };
        out.push({ text: text.slice(i + 1, close), quoted: true, line, column: i + 1 });
        i = close + 1;
        if (text[i] === ":" && (i + 1 >= text.length || isBlank(text[i + 1]))) {
          out.push({ text: ":", quoted: false, colon: true, line, column: i + 1 });
          i++;
        }
        continue;
      }
      let j = i;
      while (j < text.length && !isBlank(text[j]) && text[j] !== '"') j++;
      const word = text.slice(i, j);
      if (word === ":") out.push({ text: ":", quoted: false, colon: true, line, column: i + 1 });
      else if (word.endsWith(":") && (j >= text.length || isBlank(text[j]))) {
        out.push({ text: word.slice(0, -1), quoted: false, line, column: i + 1 });
        out.push({ text: ":", quoted: false, colon: true, line, column: j });
      } else out.push({ text: word, quoted: false, line, column: i + 1 });
      i = j;
    }
  }
  if (inBlock !== null) return { error: "unterminated { ... } block", line: inBlock.line, column: inBlock.column };
  return out;
}

function selectorOf(tok: SecretToken): Selector | string {
  const t = tok.text;
  const low = t.toLowerCase();
  if (low === "%any" || low === "%any4" || low === "%any6") return { kind: "any", text: low };
  const a = parseAddress(t);
  if (a !== null) {
    // 0.0.0.0 and :: match like %any (ipsec.secrets(5), BUGS)
    if (a.bytes.every((b) => b === 0)) return { kind: "any", text: a.family === 4 ? "%any" : "%any6" };
    return { kind: "address", text: formatAddress(a), family: a.family };
  }
  if (t.startsWith("@#")) return { kind: "keyid", text: t };
  if (t.startsWith("@")) {
    if (t.length === 1) return "an '@' selector needs a name";
    return { kind: t.includes("@", 1) ? "user_fqdn" : "fqdn", text: t };
  }
  if (t.includes("=")) return { kind: "dn", text: t };
  if (t.includes("@")) return { kind: "user_fqdn", text: t };
  if (t.startsWith("%")) return `unknown selector '${visible(t)}'`;
  if (tok.quoted) return "bad quoted selector (expected an IP address or a DN)";
  if (/^[A-Za-z0-9.-]+$/.test(t)) return { kind: "hostname", text: t };
  return `bad selector '${visible(t)}'`;
}

// ----------------------------------------------------------------------------- parser

/** "group", "others" or "group and others" when a file of this mode is theirs to read too; else null */
export function readableBy(mode: number): string | null {
  if ((mode & 0o077) === 0) return null;
  return [(mode & 0o070) !== 0 ? "group" : "", (mode & 0o007) !== 0 ? "others" : ""].filter((x) => x !== "").join(" and ");
}

export function parseSecrets(path: string, io: ConfigIO, options: SecretsOptions = {}): SecretsResult {
  const res: SecretsResult = { entries: [], files: [], diagnostics: [], ok: true, work: newWork() };
  const who = options.mode === undefined ? null : readableBy(options.mode);
  if (who !== null) {
    const m = (options.mode! & 0o777).toString(8).padStart(4, "0");
    res.diagnostics.push(
      diag("warning", { file: path, line: 0, column: 0 }, `secrets file is accessible by ${who} (mode ${m}); it should be mode 0600`),
    );
  }
  const text = io.readFile(path);
  if (text === null) {
    res.diagnostics.push(diag("error", { file: path, line: 0, column: 0 }, `cannot open secrets file '${path}'`));
    res.ok = false;
    return res;
  }
  readSecretsFile(res, io, { file: path, line: 0, column: 0 }, path, text, 1);
  res.ok = !res.diagnostics.some((d) => d.severity === "error");
  return res;
}

export function parseSecretsString(path: string, text: string, io: ConfigIO = { readFile: () => null }): SecretsResult {
  const res: SecretsResult = { entries: [], files: [], diagnostics: [], ok: true, work: newWork() };
  readSecretsFile(res, io, { file: path, line: 0, column: 0 }, path, text, 1);
  res.ok = !res.diagnostics.some((d) => d.severity === "error");
  return res;
}

// Counts the file against the read's bounds (io.ts), then parses it; past a bound, one error
// and nothing more is read.
function readSecretsFile(res: SecretsResult, io: ConfigIO, at: Position, file: string, text: string, depth: number): void {
  if (res.work.stopped) return;
  const over = chargeFile(res.work, text.length);
  if (over !== null) {
    res.work.stopped = true;
    res.diagnostics.push(diag("error", at, `stopped reading secrets at '${visible(file, 200)}': ${over}`));
    return;
  }
  parseSecretsText(res, io, file, text, depth);
}

function parseSecretsText(res: SecretsResult, io: ConfigIO, file: string, text: string, depth: number): void {
  res.files.push(file);
  const lines = text.split("\n");
  let entry: { text: string; line: number }[] | null = null;
  let broken = false; // the open entry had a bad character: its continuation lines are dropped
  const flush = () => {
    if (entry !== null) parseEntry(res, file, entry);
    entry = null;
  };
  for (let n = 0; n < lines.length; n++) {
    res.work.steps++;
    const raw = lines[n]!.replace(/\r$/, "");
    const lineNo = n + 1;
    let first = 0;
    while (first < raw.length && isBlank(raw[first])) first++;
    if (first === raw.length || raw[first] === "#") continue; // blank or comment line
    const indented = raw[0] === " " || raw[0] === "\t";
    const bad = strangeChar(raw, breaksSecret);
    if (bad !== null) {
      // never echo the line: it may hold a secret
      res.diagnostics.push(diag("error", { file, line: lineNo, column: bad.at + 1 }, strangeMessage(bad)));
      if (!indented) flush();
      entry = null;
      broken = true;
      continue;
    }
    if (indented) {
      if (broken) continue;
      if (entry === null) {
        res.diagnostics.push(
          diag("error", { file, line: lineNo, column: raw.length - raw.trimStart().length + 1 }, "indented line outside of an entry"),
        );
        continue;
      }
      (entry as { text: string; line: number }[]).push({ text: raw, line: lineNo });
      continue;
    }
    flush();
    broken = false;
    const inc = /^include([ \t\r]+)([^ \t\r]+)[ \t\r]*(#.*)?$/.exec(raw);
    if (inc !== null) {
      doInclude(res, io, { file, line: lineNo, column: 9 + inc[1]!.length - 1 }, inc[2]!, depth);
      continue;
    }
    if (/^include[ \t\r]*$/.test(raw)) {
      res.diagnostics.push(diag("error", { file, line: lineNo, column: 1 }, "'include' needs a file name"));
      continue;
    }
    entry = [{ text: raw, line: lineNo }];
  }
  flush();
}

function doInclude(res: SecretsResult, io: ConfigIO, at: Position, pattern: string, depth: number): void {
  const { paths, glob, error } = expandInclude(resolveFrom(at.file, pattern), io, res.work);
  if (error !== undefined) {
    res.diagnostics.push(diag("error", at, `cannot include '${visible(pattern, 200)}': ${error}`));
    return;
  }
  if (glob && paths.length === 0) return;
  if (depth + 1 > MAX_SECRETS_INCLUDE_DEPTH) {
    res.diagnostics.push(diag("warning", at, `including '${pattern}' exceeds max inclusion depth of ${MAX_SECRETS_INCLUDE_DEPTH}`));
    return;
  }
  for (const p of paths) {
    const text = io.readFile(p);
    if (text === null) {
      res.diagnostics.push(diag("warning", at, `could not open include file '${p}'`));
      continue;
    }
    readSecretsFile(res, io, at, p, text, depth + 1);
  }
}

function parseEntry(res: SecretsResult, file: string, lines: { text: string; line: number }[]): void {
  const first = lines[0]!;
  const err = (line: number, column: number, message: string) =>
    res.diagnostics.push(diag("error", { file, line, column }, message));
  const warn = (line: number, column: number, message: string) =>
    res.diagnostics.push(diag("warning", { file, line, column }, message));
  const toks = tokenizeEntry(lines, res.work);
  if ("error" in toks) {
    err(toks.line, toks.column, toks.error);
    return;
  }
  const colonAt = toks.findIndex((t) => t.colon === true);
  if (colonAt < 0) {
    err(first.line, 1, "entry has no ':' separating the indices from the secret");
    return;
  }
  const selectors: Selector[] = [];
  for (const t of toks.slice(0, colonAt)) {
    const s = selectorOf(t);
    if (typeof s === "string") {
      err(t.line, t.column, s);
      return;
    }
    selectors.push(s);
  }
  const rest = toks.slice(colonAt + 1);
  const kindTok = rest[0];
  if (kindTok === undefined || kindTok.quoted || kindTok.block) {
    err(first.line, toks[colonAt]!.column, "expected PSK, XAUTH, PPKS, RSA or ECDSA after ':'");
    return;
  }
  const kind = kindTok.text.toUpperCase();
  const base = { selectors, file, line: first.line };
  const secretAt = (t: SecretToken | undefined, what: string): SecretBytes | null => {
    if (t === undefined) {
      err(kindTok.line, kindTok.column, `${kind} entry has no ${what}`);
      return null;
    }
    const bytes = decodeSecret(t);
    if (bytes === null) {
      // never echo the value: it is (meant to be) a secret
      err(t.line, t.column, `malformed ${kind} ${what}: expected "quoted text", 0x hex, 0s base64 or 0t text`);
      return null;
    }
    if (bytes.length > MAX_SECRET_BYTES) {
      err(t.line, t.column, `${kind} ${what} of ${bytes.length} bytes is longer than the ${MAX_SECRET_BYTES} bytes supported`);
      return null;
    }
    return new SecretBytes(bytes);
  };
  switch (kind) {
    case "PSK":
    case "XAUTH": {
      const secret = secretAt(rest[1], "secret");
      if (secret === null) return;
      if (rest.length > 2) {
        err(rest[2]!.line, rest[2]!.column, `unexpected token after the ${kind} secret`);
        return;
      }
      if (kind === "XAUTH" && (selectors.length !== 1 || !selectors[0]!.text.startsWith("@"))) {
        warn(first.line, 1, "an XAUTH entry should have exactly one @user index");
      }
      res.entries.push({ ...base, kind, secret });
      return;
    }
    case "PPKS": {
      const idTok = rest[1];
      if (idTok === undefined || !idTok.quoted) {
        err(kindTok.line, kindTok.column, 'PPKS entry needs a "quoted" PPK identity, then the PPK');
        return;
      }
      const secret = secretAt(rest[2], "PPK");
      if (secret === null) return;
      if (rest.length > 3) {
        err(rest[3]!.line, rest[3]!.column, "unexpected token after the PPK");
        return;
      }
      res.entries.push({ ...base, kind: "PPKS", ppkId: idTok.text, secret });
      return;
    }
    case "RSA":
    case "ECDSA": {
      // Libreswan 4+ keeps private keys in NSS; such entries are recorded for later, not used.
      const e: SecretEntry = { ...base, kind };
      const ref = rest.slice(1).find((t) => !t.block);
      if (ref !== undefined && rest.slice(1).every((t) => !t.block)) {
        // `: RSA "ckaid-or-name"` or `: RSA file "passphrase"`: keep the first word, which names a key
        e.reference = ref.text;
      }
      res.entries.push(e);
      warn(first.line, 1, `${kind} private key entry recorded but not used (private keys are expected in the NSS database)`);
      return;
    }
    default:
      // as pluto: an unknown type is ignored with a warning, the rest of the file still loads
      warn(kindTok.line, kindTok.column, `ignored unrecognized secret type '${visible(kindTok.text)}' (expected PSK, XAUTH, PPKS, RSA or ECDSA)`);
  }
}

/**
 * The PSK for a pair of identities, the way pluto picks it: the entry whose indices match the
 * most (both ends > one end > none); %any matches any address.
 */
export function findPsk(entries: SecretEntry[], local: string, remote: string, kind: SecretKind = "PSK"): SecretEntry | null {
  let best: SecretEntry | null = null;
  let bestScore = -1;
  const matches = (s: Selector, id: string): number => {
    if (s.text === id) return 2;
    if (s.kind === "any") {
      // %any stands for any peer, whatever its ID; %any4 / %any6 for addresses of that family
      if (s.text === "%any") return 1;
      const a = parseAddress(id);
      if (a !== null && (s.text === "%any6") === (a.family === 6)) return 1;
    }
    return 0;
  };
  for (const e of entries) {
    if (e.kind !== kind) continue;
    let score: number;
    if (e.selectors.length === 0) score = 1;
    else {
      if (e.selectors.length === 1) {
        const l = matches(e.selectors[0]!, local);
        score = l > 0 ? 2 + l : 0;
      } else {
        // one selector for each end: the best pairing of two different selectors
        score = 0;
        e.selectors.forEach((a, i) => {
          const l = matches(a, local);
          if (l === 0) return;
          e.selectors.forEach((b, j) => {
            const r = i === j ? 0 : matches(b, remote);
            if (r > 0) score = Math.max(score, 4 + l + r);
          });
        });
      }
    }
    if (score > bestScore && score > 0) {
      best = e;
      bestScore = score;
    }
  }
  return best;
}
