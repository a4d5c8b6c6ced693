// ipsec.conf and ipsec.secrets that mean harm or were mangled by an editor: characters that
// look like blanks and are not, bytes that are not UTF-8, huge lines, includes that recurse
// and fan out, patterns built to take exponential time. Each is handled or is an error at its
// file:line:column; reading always ends, within bounds counted by the readers themselves (files,
// characters, steps: io.ts), and no exception escapes.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatDiagnostic, MAX_MESSAGE, type Diagnostic } from "../../hosts/config/diagnostics.ts";
import { MAX_CONFIG_BYTES, MAX_CONFIG_FILES, MAX_CONFIG_STEPS, MAX_GLOB_NAMES, matchComponent, newWork, type Work } from "../../hosts/config/io.ts";
import { loadIpsecConf, loadIpsecConfText } from "../../hosts/config/ipsecconf.ts";
import { normalizeConfig } from "../../hosts/config/normalize.ts";
import { parseSecrets, parseSecretsString } from "../../hosts/config/secrets.ts";
import { conf, memIO } from "./memio.ts";

const S = "/etc/ipsec.secrets";
const C = "/etc/ipsec.conf";
// what a host's readFile gives for these bytes (Node and Deno decode UTF-8 the same way)
const fromBytes = (...b: number[]) => Buffer.from(b).toString("utf8");
const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error").map(formatDiagnostic);

describe("ipsec.secrets: characters that are not blanks", () => {
  it("the bytes 0b f0 are an error naming the vertical tab at 1:1 (they used to loop forever)", () => {
    const r = parseSecretsString(S, fromBytes(0x0b, 0xf0));
    expect(r.ok).toBe(false);
    expect(errors(r.diagnostics)).toEqual([`${S}:1:1: error: unexpected U+000B (vertical tab): only spaces and tabs separate words`]);
    expect(r.entries).toEqual([]);
  });

  it("a no-break space, a vertical tab or a form feed between the words: an error at its column", () => {
    for (const [sep, name] of [["\u00a0", "U+00A0 (no-break space)"], ["\v", "U+000B (vertical tab)"], ["\f", "U+000C (form feed)"]] as const) {
      const r = parseSecretsString(S, conf('@west @east : PSK "good"', `@a @b :${sep}PSK "x"`));
      expect(errors(r.diagnostics), name).toEqual([`${S}:2:8: error: unexpected ${name}: only spaces and tabs separate words`]);
      expect(r.ok).toBe(false);
    }
  });

  it("at the start of a continuation line, after the secret, alone on a line, as a byte order mark", () => {
    expect(errors(parseSecretsString(S, '@a @b :\n \u00a0PSK "x"\n').diagnostics)).toEqual([
      `${S}:2:2: error: unexpected U+00A0 (no-break space): only spaces and tabs separate words`,
    ]);
    expect(errors(parseSecretsString(S, '@a @b : PSK "x"\f\n').diagnostics)).toEqual([
      `${S}:1:16: error: unexpected U+000C (form feed): only spaces and tabs separate words`,
    ]);
    expect(errors(parseSecretsString(S, '@a @b : PSK "x"\n\u00a0\n').diagnostics)).toEqual([
      `${S}:2:1: error: unexpected U+00A0 (no-break space): only spaces and tabs separate words`,
    ]);
    expect(errors(parseSecretsString(S, '\ufeff@a @b : PSK "x"\n').diagnostics)).toEqual([
      `${S}:1:1: error: unexpected U+FEFF (byte order mark): only spaces and tabs separate words`,
    ]);
    // a continuation of a broken entry says nothing more
    expect(errors(parseSecretsString(S, '@a\v@b :\n  PSK "x"\n').diagnostics)).toHaveLength(1);
  });

  it("bytes that are not UTF-8 in a quoted secret: an error (its bytes would change), never the secret", () => {
    const r = parseSecretsString(S, `@a @b : PSK "ab${fromBytes(0xff)}cd"\n`);
    expect(errors(r.diagnostics)).toEqual([`${S}:1:16: error: U+FFFD (bytes that are not UTF-8) inside a quoted string`]);
    expect(JSON.stringify(r.diagnostics)).not.toContain("ab");
  });

  it("handles what is text: Unicode and a no-break space inside quotes, tabs, CRLF line ends, anything in a comment", () => {
    const r = parseSecretsString(S, '@a\t@b : PSK "pass\u00a0wörd"\r\n# \v\f\u00a0\ufffd\u0000 anything\r\n@c @d : PSK 0x0102 # \v\n');
    expect(errors(r.diagnostics)).toEqual([]);
    expect(Buffer.from(r.entries[0]!.secret!.reveal()).toString("utf8")).toBe("pass\u00a0wörd");
    expect([...r.entries[1]!.secret!.reveal()]).toEqual([1, 2]);
  });
});

describe("ipsec.conf: characters that are not blanks", () => {
  const base = conf("config setup", "\tlogfile=/dev/null", "conn a", "\tleft=192.0.2.1", "\tright=192.0.2.2", "\tauto=add");

  it("a vertical tab, a form feed, a no-break space, a byte order mark, bytes that are not UTF-8: an error at line:column", () => {
    const cases: [string, string][] = [
      [base.replace("auto=add", "auto=add\v"), `${C}:6:10: error: unexpected U+000B (vertical tab)`],
      [base + "\f\n", `${C}:7:1: error: unexpected U+000C (form feed)`],
      [base.replace("\tleft", "\u00a0left"), `${C}:4:1: error: unexpected U+00A0 (no-break space)`],
      [base.replace("left=192", "left=\u00a0192"), `${C}:4:7: error: unexpected U+00A0 (no-break space)`],
      ["\ufeff" + base, `${C}:1:1: error: unexpected U+FEFF (byte order mark)`],
      [base + fromBytes(0x0b, 0xf0), `${C}:7:1: error: unexpected U+000B (vertical tab)`],
      [base + fromBytes(0xf0) + "\n", `${C}:7:1: error: unexpected U+FFFD (bytes that are not UTF-8)`],
      [base.replace("conn a", "conn a\u202eb"), `${C}:3:7: error: unexpected U+202E (right-to-left override)`],
      [base.replace("\tauto=add", '\tleftid="@a\u001bb"'), `${C}:6:12: error: U+001B (escape) inside a quoted string`],
    ];
    for (const [text, want] of cases) {
      const r = loadIpsecConfText(C, text);
      expect(r.ok, want).toBe(false);
      expect(errors(r.diagnostics)[0], want).toMatch(new RegExp("^" + want.replace(/[()+]/g, "\\$&")));
    }
  });

  it("one error for a section whose heading is broken, not one per line of it", () => {
    const r = loadIpsecConfText(C, base.replace("conn a", "conn\u00a0a"));
    expect(errors(r.diagnostics)).toEqual([`${C}:3:5: error: unexpected U+00A0 (no-break space): only spaces and tabs separate words`]);
  });

  it("handles CRLF line ends, Unicode inside quotes, and anything in a comment", () => {
    const text = base.replace(/\n/g, "\r\n") + '\tleftid="@caf\u00e9\u00a0x"\r\n# \v\f\ufffd\u0000\r\n\tleftsubnet=10.0.0.0/8 # \u00a0\v\r\n';
    const r = loadIpsecConfText(C, text);
    expect(errors(r.diagnostics)).toEqual([]);
    expect(r.conns.map((c) => c.name)).toEqual(["a"]);
    expect(r.conns[0]!.settings.get("leftid")?.value).toBe("@caf\u00e9\u00a0x");
  });

  it("a message quotes at most a bounded part of what it found", () => {
    const huge = "x".repeat(1_000_000);
    const r = loadIpsecConfText(C, conf("conn a", `\tleft=${huge}`, `\tright=192.0.2.2 ${huge}`));
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) expect(d.message.length).toBeLessThanOrEqual(MAX_MESSAGE + 3);
  });
});

describe("includes and patterns that would not end", () => {
  it("a file that includes itself three times stops at the file bound with one error, for both readers", () => {
    const io = memIO({ [C]: conf("include /etc/ipsec.conf", "include /etc/ipsec.conf", "include /etc/ipsec.conf"), [S]: conf(`include ${S}`, `include ${S}`, `include ${S}`) });
    const c = loadIpsecConf(C, io);
    expect(c.ok).toBe(false);
    expect(c.parsed.work.files).toBe(MAX_CONFIG_FILES + 1);
    expect(errors(c.diagnostics).filter((e) => e.includes("stopped reading"))).toHaveLength(1);
    const s = parseSecrets(S, io);
    expect(s.ok).toBe(false);
    expect(s.work.files).toBe(MAX_CONFIG_FILES + 1);
    expect(errors(s.diagnostics)).toEqual([expect.stringMatching(/stopped reading secrets at .*more than 4096 files read/)]);
  });

  it("characters read are bounded too: a large file included again and again", () => {
    const big = "# " + "x".repeat(8 << 20) + "\n";
    const io = memIO({ [C]: conf(...Array.from({ length: 20 }, () => "include /etc/big.conf")), "/etc/big.conf": big });
    const c = loadIpsecConf(C, io);
    expect(c.ok).toBe(false);
    expect(c.parsed.work.bytes).toBeLessThanOrEqual(MAX_CONFIG_BYTES + big.length);
    expect(errors(c.diagnostics)[0]).toMatch(/characters read/);
  });

  it("{a,b} alternatives that multiply past the bound are an error, not 2^30 patterns", () => {
    const pat = "/etc/x" + "{a,b}".repeat(30) + ".conf";
    const c = loadIpsecConfText(C, conf(`include ${pat}`), memIO({ "/etc/xa.conf": "" }));
    expect(errors(c.diagnostics)).toEqual([`${C}:1:9: error: cannot include '${pat}': its {a,b} alternatives make more than ${MAX_GLOB_NAMES} patterns`]);
  });

  it("a pattern of many stars costs at most pattern x name steps", () => {
    const w: Work = newWork();
    const name = "a".repeat(200);
    expect(matchComponent("*a".repeat(40) + "*b", name, w)).toBe(false);
    expect(w.steps).toBeLessThanOrEqual(82 * 201);
    const w2 = newWork();
    expect(matchComponent("*a*[ab]?*a", name, w2)).toBe(true);
    expect(matchComponent("x*", "xyz", w2)).toBe(true);
    expect(matchComponent("*.conf", ".hidden.conf", w2)).toBe(false);
  });

  it("a deep also= chain and an also= cycle through many conns load or fail without a stack overflow", () => {
    const n = 20000;
    const lines = ["conn c0", "\tleft=192.0.2.1", "\tright=192.0.2.2", "\tauto=add", "\talso=c1"];
    for (let i = 1; i < n; i++) lines.push(`conn c${i}`, `\talso=c${i + 1 < n ? i + 1 : 0}`);
    const r = loadIpsecConfText(C, conf(...lines));
    expect(r.ok).toBe(true);
    expect(r.conns[0]!.ok).toBe(false);
    expect(r.conns[0]!.diagnostics[0]!.message).toMatch(/also=/);
  });
});

// Text built from what the parsers look at: syntax fragments, blanks of every kind, control
// bytes, any Unicode, long runs.
const fragment = fc.oneof(
  fc.constantFrom("conn ", "config setup", "include ", "version 2", "also=", "left=", "right=", "auto=add", "=", ":", " : PSK ", "PSK", "RSA {", "}", "{", '"', "#", "@", "%any", "0x", "0s", "0t", "*", "?", "[a-z]", "{a,b}", "/", "..", "\n", "\n\t", "\r\n", " ", "\t"),
  fc.constantFrom("\u0000", "\u000b", "\u000c", "\u001b", "\u007f", "\u0085", "\u00a0", "\u2028", "\u202e", "\ufeff", "\ufffd", "\ud800", "\udc00"),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.tuple(fc.constantFrom("a", " ", "\t", "x=", '"', "{a,", "*"), fc.integer({ min: 1, max: 400 })).map(([s, n]) => s.repeat(n)),
);
const text = fc.array(fragment, { maxLength: 60 }).map((a) => a.join(""));
// a small tree of files that include each other (themselves too), by name and by pattern
const names = ["/etc/ipsec.conf", "/etc/ipsec.secrets", "/etc/ipsec.d/a.conf", "/etc/ipsec.d/b.secrets", "/etc/ipsec.d/c"];
const includeLine = fc.constantFrom(...names, "/etc/ipsec.d/*", "ipsec.d/*.conf", "/etc/ipsec.d/{a,b,c}*", "/etc/*/*", "../etc/./ipsec.d/a.conf").map((p) => `include ${p}\n`);
const files = fc.tuple(...names.map(() => fc.array(fc.oneof(text, includeLine), { maxLength: 6 }).map((a) => a.join("")))).map((t) => Object.fromEntries(names.map((n, i) => [n, t[i]!])));

// Bounded: files and characters read within their bounds (one file past them at most), steps
// linear in what was read (glob matching may add pattern x name steps, within its own bound),
// diagnostics at most a few per line read, each message short.
function checkBounds(work: Work, diagnostics: Diagnostic[], files: Record<string, string>): void {
  expect(work.files).toBeLessThanOrEqual(MAX_CONFIG_FILES + 1);
  const longest = Math.max(...Object.values(files).map((t) => t.length));
  expect(work.bytes).toBeLessThanOrEqual(MAX_CONFIG_BYTES + longest);
  expect(work.steps).toBeLessThanOrEqual(MAX_CONFIG_STEPS + 2 * work.bytes + work.files);
  expect(diagnostics.length).toBeLessThanOrEqual(3 * (work.bytes + work.files) + 2);
  for (const d of diagnostics) {
    expect(d.message.length).toBeLessThanOrEqual(MAX_MESSAGE + 3);
    expect(d.line).toBeGreaterThanOrEqual(0);
    expect(d.column).toBeGreaterThanOrEqual(0);
  }
}

describe("property: any text, any include tree", () => {
  it("ipsec.conf: reading ends within its bounds, no exception escapes, every error has a place", () => {
    fc.assert(
      fc.property(files, (fs) => {
        const io = memIO(fs);
        const loaded = loadIpsecConf(C, io);
        checkBounds(loaded.parsed.work, loaded.diagnostics, fs);
        normalizeConfig(loaded); // the next stage takes whatever the reader accepted
        for (const d of loaded.diagnostics) if (d.severity === "error" && d.line > 0) expect(d.column).toBeGreaterThan(0);
        // no glob in any file: the steps are linear in what was read
        if (!Object.values(fs).some((t) => /include [^\n]*[*?[{]/.test(t))) {
          expect(loaded.parsed.work.steps).toBeLessThanOrEqual(2 * loaded.parsed.work.bytes + loaded.parsed.work.files);
        }
      }),
      { numRuns: 80 },
    );
  });

  it("ipsec.secrets: reading ends within its bounds, no exception escapes, no secret in a diagnostic", () => {
    fc.assert(
      fc.property(files, fc.string({ unit: "grapheme", minLength: 6, maxLength: 20 }), (fs, secret) => {
        const marked = { ...fs, [S]: `@m @n : PSK "MARK${secret.replace(/["\n]/g, "")}"\n` + fs[S] };
        const io = memIO(marked);
        const r = parseSecrets(S, io);
        checkBounds(r.work, r.diagnostics, marked);
        expect(JSON.stringify(r.diagnostics)).not.toContain("MARK");
        if (!Object.values(marked).some((t) => /include [^\n]*[*?[{]/.test(t))) {
          expect(r.work.steps).toBeLessThanOrEqual(2 * r.work.bytes + r.work.files);
        }
      }),
      { numRuns: 80 },
    );
  });

  it("one huge line of any characters, for each reader", () => {
    fc.assert(
      fc.property(fc.constantFrom(" ", "\t", "a", "\u00a0", "\v", '"', ":", "{", "#", "="), fc.integer({ min: 100_000, max: 2_000_000 }), fc.constantFrom("", "conn a\n\t", "@a @b : PSK "), (ch, n, prefix) => {
        const line = prefix + ch.repeat(n);
        const c = loadIpsecConfText(C, line);
        checkBounds(c.parsed.work, c.diagnostics, { [C]: line });
        const s = parseSecretsString(S, line);
        checkBounds(s.work, s.diagnostics, { [S]: line });
        expect(s.work.steps).toBeLessThanOrEqual(2 * s.work.bytes + s.work.files);
      }),
      { numRuns: 30 },
    );
  });
});
