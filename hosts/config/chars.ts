// The characters the ipsec.conf and ipsec.secrets readers meet, and how they name them.
// Runtime-neutral.
//
// Only blanks separate words. Libreswan 4.10's lexers take space and tab (`[\t ]` in
// lib/libipsecconf/parser.lex, ' ' and '\t' in lib/libswan/lex.c's shift()); a carriage return
// is a blank here too, so files with CRLF line ends load. Anything else that looks like a blank
// or cannot be seen (a vertical tab, a form feed, a no-break space, a byte order mark, a bidi
// control) and any byte that is not UTF-8 (read as U+FFFD) is an error at its line and column,
// naming the character: Libreswan takes such characters into the word they touch, which then
// fails further on, or not at all, with a word that prints like a correct one. Comments may
// hold anything. Quoted strings may hold any printable text; ipsec.conf's no control
// character, ipsec.secrets' none that would change the secret's bytes (NUL, not UTF-8).

export function isBlank(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r";
}

/** C0 controls other than tab and CR, DEL, C1 controls */
export function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0d) || (code >= 0x7f && code <= 0x9f);
}

/** a character that must not appear outside quotes and comments */
export function isStrange(code: number): boolean {
  if (isControl(code)) return true;
  return (
    code === 0xa0 || // no-break space
    code === 0x1680 || // ogham space mark
    (code >= 0x2000 && code <= 0x200f) || // Unicode spaces, zero-width characters, LRM/RLM
    (code >= 0x2028 && code <= 0x202f) || // line and paragraph separators, bidi embeddings
    (code >= 0x205f && code <= 0x206f) || // math space, word joiner, invisible operators, bidi isolates
    code === 0x3000 || // ideographic space
    code === 0xfeff || // byte order mark
    code === 0xfffd || // what a decoder makes of bytes that are not UTF-8
    (code >= 0xd800 && code <= 0xdfff) // a lone surrogate (a pair is read as one code point)
  );
}

/** a character a quoted secret cannot hold without its bytes changing */
export function breaksSecret(code: number): boolean {
  return code === 0 || code === 0xfffd || (code >= 0xd800 && code <= 0xdfff);
}

const NAMES: Record<number, string> = {
  0x00: "NUL",
  0x08: "backspace",
  0x0a: "line feed",
  0x0b: "vertical tab",
  0x0c: "form feed",
  0x1b: "escape",
  0x7f: "delete",
  0x85: "next line",
  0xa0: "no-break space",
  0x200b: "zero width space",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x2028: "line separator",
  0x2029: "paragraph separator",
  0x202e: "right-to-left override",
  0x202f: "narrow no-break space",
  0x2060: "word joiner",
  0x3000: "ideographic space",
  0xfeff: "byte order mark",
  0xfffd: "bytes that are not UTF-8",
};

/** `U+000B (vertical tab)` */
export function charName(code: number): string {
  const u = "U+" + code.toString(16).toUpperCase().padStart(4, "0");
  const name =
    NAMES[code] ??
    (isControl(code)
      ? "a control character"
      : code >= 0xd800 && code <= 0xdfff
        ? "a lone UTF-16 surrogate"
        : (code >= 0x2000 && code <= 0x200a) || code === 0x1680 || code === 0x205f
          ? "a Unicode space"
          : "an invisible formatting character");
  return `${u} (${name})`;
}

/** The text as it may go into a message: controls and invisible characters escaped, cut at `max`. */
export function visible(s: string, max = 40): string {
  let out = "";
  let n = 0;
  for (const ch of s) {
    if (n++ >= max) return out + "...";
    const code = ch.codePointAt(0)!;
    out += isStrange(code) || code === 0x0d ? `\\u{${code.toString(16)}}` : ch;
  }
  return out;
}

export interface StrangeChar {
  /** the 0-based index in the line */
  at: number;
  code: number;
  quoted: boolean;
}

/**
 * The first character of a line that is not allowed where it stands, or null. `"..."` is
 * quoted; `#` at the start or after a blank, outside quotes, begins a comment that may hold
 * anything. Inside quotes, `quotedBad` decides.
 */
export function strangeChar(line: string, quotedBad: (code: number) => boolean): StrangeChar | null {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && c === "#" && (i === 0 || isBlank(line[i - 1]))) return null;
    const code = line.codePointAt(i)!;
    if (quoted ? quotedBad(code) : isStrange(code)) return { at: i, code, quoted };
    if (code > 0xffff) i++; // the second half of a surrogate pair
  }
  return null;
}

/** The message for a character found by strangeChar. */
export function strangeMessage(s: StrangeChar): string {
  return s.quoted
    ? `${charName(s.code)} inside a quoted string`
    : `unexpected ${charName(s.code)}: only spaces and tabs separate words`;
}
