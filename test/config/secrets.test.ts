// ipsec.secrets: PSK forms, selectors, include, key entries, file mode, and secrets kept out of
// every diagnostic and printable form.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../hosts/config/diagnostics.ts";
import { findPsk, parseSecrets, parseSecretsString, type SecretsResult } from "../../hosts/config/secrets.ts";
import { conf, memIO } from "./memio.ts";

const F = "/etc/ipsec.secrets";
const bytes = (r: SecretsResult, i: number) => Buffer.from(r.entries[i]!.secret!.reveal()).toString("latin1");
const errs = (r: SecretsResult) => r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.line}:${d.column}: ${d.message}`);

describe("PSK entries", () => {
  it("reads quoted, 0x hex, 0s base64 and 0t text secrets", () => {
    const r = parseSecretsString(
      F,
      conf(
        '@west @east : PSK "a quoted secret"',
        "192.0.2.1 192.0.2.2 : PSK 0x0102_0304_a0b0",
        "%any %any : PSK 0sSGVsbG8=",
        "@a @b: PSK 0tplain",
      ),
    );
    expect(errs(r)).toEqual([]);
    expect(r.entries.map((e) => e.kind)).toEqual(["PSK", "PSK", "PSK", "PSK"]);
    expect(bytes(r, 0)).toBe("a quoted secret");
    expect([...r.entries[1]!.secret!.reveal()]).toEqual([1, 2, 3, 4, 0xa0, 0xb0]);
    expect(bytes(r, 2)).toBe("Hello");
    expect(bytes(r, 3)).toBe("plain");
  });

  it("reads the selectors: IDs, addresses (IPv6 quoted or bare), %any, several per line, none", () => {
    const r = parseSecretsString(
      F,
      conf(
        '@east 192.1.2.23 "2001:db8::23" 2001:db8:1:2::45:  PSK "x"',
        ': PSK "for any pair"',
        '%any6 user@example.com "C=CA, O=Libreswan, CN=east" : PSK "y"',
        '0.0.0.0 @#0a0b : PSK "z"',
      ),
    );
    expect(errs(r)).toEqual([]);
    expect(r.entries[0]!.selectors).toEqual([
      { kind: "fqdn", text: "@east" },
      { kind: "address", text: "192.1.2.23", family: 4 },
      { kind: "address", text: "2001:db8::23", family: 6 },
      { kind: "address", text: "2001:db8:1:2::45", family: 6 },
    ]);
    expect(r.entries[1]!.selectors).toEqual([]);
    expect(r.entries[2]!.selectors.map((s) => s.kind)).toEqual(["any", "user_fqdn", "dn"]);
    expect(r.entries[3]!.selectors).toEqual([
      { kind: "any", text: "%any" },
      { kind: "keyid", text: "@#0a0b" },
    ]);
  });

  it("continues an entry on indented lines and skips comments", () => {
    const r = parseSecretsString(F, conf("# comment", "@west @east", "   : PSK", '\t"continued"  # trailing', "", "@a @b : PSK \"c\""));
    expect(errs(r)).toEqual([]);
    expect(r.entries.length).toBe(2);
    expect(bytes(r, 0)).toBe("continued");
  });

  it("reports malformed entries with their position", () => {
    const r = parseSecretsString(
      F,
      conf("   @indented : PSK \"x\"", "@a @b PSK \"no colon\"", "@a @b : PSK 0xabc", "@a @b : PSK bare", "@a : FOO \"x\"", '@a : PSK "x" extra'),
    );
    expect(errs(r)).toEqual([
      "1:4: indented line outside of an entry",
      "2:1: entry has no ':' separating the indices from the secret",
      '3:13: malformed PSK secret: expected "quoted text", 0x hex, 0s base64 or 0t text',
      '4:13: malformed PSK secret: expected "quoted text", 0x hex, 0s base64 or 0t text',
      "6:14: unexpected token after the PSK secret",
    ]);
    // an unknown type is ignored with a warning, as pluto does
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => `${d.line}:${d.column}: ${d.message}`)).toEqual([
      "5:6: ignored unrecognized secret type 'FOO' (expected PSK, XAUTH, PPKS, RSA or ECDSA)",
    ]);
    expect(r.ok).toBe(false);
  });
});

describe("other entries", () => {
  it("reads XAUTH and PPKS, and records RSA / ECDSA key entries with a warning", () => {
    const r = parseSecretsString(
      F,
      conf(
        '@user1 : XAUTH "password"',
        '@west @east : PPKS "PPK_ID_1" "a post-quantum key"',
        ": RSA {",
        "\tModulus: 0x00ab",
        "\tPublicExponent: 0x03",
        "\t}",
        ': RSA "east"',
        ": ECDSA ckaid0123",
        ': PPK "not a Libreswan type"',
      ),
    );
    expect(errs(r)).toEqual([]);
    expect(r.entries.map((e) => e.kind)).toEqual(["XAUTH", "PPKS", "RSA", "RSA", "ECDSA"]);
    expect(r.entries[1]!.ppkId).toBe("PPK_ID_1");
    expect(r.entries[3]!.reference).toBe("east");
    expect(r.entries[2]!.reference).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => d.line)).toEqual([3, 7, 8, 9]);
  });
});

describe("include and file mode", () => {
  it("includes relative to the including file, globbed", () => {
    const io = memIO({
      [F]: conf('@a @b : PSK "main"', "include ipsec.d/*.secrets", "include /nowhere/x.secrets"),
      "/etc/ipsec.d/one.secrets": conf('@c @d : PSK "one"'),
      "/etc/ipsec.d/two.secrets": conf('@e @f : PSK "two"'),
    });
    const r = parseSecrets(F, io, { mode: 0o600 });
    expect(r.entries.map((e) => e.file)).toEqual([F, "/etc/ipsec.d/one.secrets", "/etc/ipsec.d/two.secrets"]);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line}:${d.column}: ${d.message}`)).toEqual([
      "warning 3:9: could not open include file '/nowhere/x.secrets'",
    ]);
  });

  it("warns when group or others can read the file", () => {
    const io = memIO({ [F]: conf('@a @b : PSK "x"') });
    expect(parseSecrets(F, io, { mode: 0o600 }).diagnostics).toEqual([]);
    expect(parseSecrets(F, io, { mode: 0o644 }).diagnostics.map((d) => d.message)).toEqual([
      "secrets file is accessible by group and others (mode 0644); it should be mode 0600",
    ]);
    expect(parseSecrets(F, io, { mode: 0o640 }).diagnostics.map((d) => d.message)).toEqual([
      "secrets file is accessible by group (mode 0640); it should be mode 0600",
    ]);
  });

  it("reports a missing file", () => {
    const r = parseSecrets("/none", memIO({}));
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.message).toBe("cannot open secrets file '/none'");
  });
});

describe("secrets stay secret", () => {
  const SECRET = "Tr0ub4dor&3-very-secret";
  const cases = [
    `@a @b : PSK "${SECRET}"`,
    `@a @b : PSK ${SECRET}`,
    `@a @b : PSK 0x${SECRET}`,
    `@a @b : PSK 0s${SECRET}`,
    `@a @b : PSK "${SECRET}" trailing`,
    `@a @b : PSK "${SECRET}`,
    `@a @b : PPKS "id" ${SECRET}`,
    `@a @b : XAUTH ${SECRET} "${SECRET}"`,
    `@a @b PSK "${SECRET}"`,
    `@a : PSKK "${SECRET}"`,
    `"${SECRET}" : PSK "${SECRET}"`,
    `: "${SECRET}"`,
  ];
  it("never appear in a diagnostic", () => {
    let withErrors = 0;
    for (const c of cases) {
      const r = parseSecretsString(F, conf(c));
      if (r.diagnostics.length > 0) withErrors++;
      for (const d of r.diagnostics) {
        expect(formatDiagnostic(d), c).not.toContain("Tr0ub4dor");
        expect(JSON.stringify(d), c).not.toContain("Tr0ub4dor");
      }
    }
    expect(withErrors).toBe(cases.length - 1); // all but the first are malformed (or warned about)
  });

  it("never appear in the printed or JSON form of the result", () => {
    const r = parseSecretsString(F, conf(`@a @b : PSK "${SECRET}"`, `@c @d : PPKS "id" "${SECRET}"`, `@u : XAUTH "${SECRET}"`));
    expect(r.entries.length).toBe(3);
    expect(JSON.stringify(r)).not.toContain("Tr0ub4dor");
    expect(inspect(r, { depth: 10 })).not.toContain("Tr0ub4dor");
    expect(String(r.entries[0]!.secret)).toBe("[secret]");
    expect(`${r.entries[0]!.secret}`).toBe("[secret]");
    // but the crypto code can have it
    expect(Buffer.from(r.entries[0]!.secret!.reveal()).toString()).toBe(SECRET);
  });
});

describe("choosing a PSK", () => {
  it("prefers the entry matching both ends, then one end, then none; %any matches addresses", () => {
    const r = parseSecretsString(
      F,
      conf(': PSK "default"', '@west : PSK "west only"', '@west @east : PSK "pair"', '192.0.2.1 %any : PSK "addr"'),
    );
    const pick = (l: string, rr: string) => {
      const e = findPsk(r.entries, l, rr);
      return e === null ? null : Buffer.from(e.secret!.reveal()).toString();
    };
    expect(pick("@west", "@east")).toBe("pair");
    expect(pick("@east", "@west")).toBe("pair");
    expect(pick("@west", "@road")).toBe("west only");
    expect(pick("@north", "@south")).toBe("default");
    expect(pick("192.0.2.1", "198.51.100.7")).toBe("addr");
  });
});
