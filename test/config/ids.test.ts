// leftid=/rightid= as Libreswan 4.10's atoid and atodn read them (hosts/config/ids.ts).
import { describe, expect, test } from "vitest";
import { parseId, atodn } from "../../hosts/config/ids.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const der = (s: string) => {
  const r = atodn(s);
  if (!r.ok) throw new Error(r.error);
  return hex(r.der);
};

describe("parseId", () => {
  test("each form becomes the ID payload's type and data", () => {
    const t = (s: string) => {
      const r = parseId(s);
      return r.ok ? [r.id.type, Buffer.from(r.id.data).toString("latin1")] : r.error;
    };
    expect(t("%any")).toEqual([0, ""]);
    expect(t("0.0.0.0")).toEqual([0, ""]);
    expect(t("@east.example")).toEqual([2, "east.example"]);
    expect(t("east.example")).toEqual([2, "east.example"]);
    expect(t("alice@example.org")).toEqual([3, "alice@example.org"]);
    expect(t("192.0.2.7")).toEqual([1, "\xc0\x00\x02\x07"]);
    expect(t("@#0a0b")).toEqual([11, "\x0a\x0b"]);
    expect(t("@[key one]")).toEqual([11, "key one"]);
    expect(t("@~300d310b300906035504061302434800")).toEqual([9, Buffer.from("300d310b300906035504061302434800", "hex").toString("latin1")]);
    expect((parseId("C=CH, CN=x") as { ok: true; id: { type: number } }).id.type).toBe(9);
    expect(t("%fromcert")).toMatch(/needs certificates/);
    expect(t("@#abc")).toMatch(/even number of hex digits/);
    expect(t("C=CH, XX=y")).toMatch(/not a DN: unknown attribute 'XX'/);
  });
});

describe("atodn", () => {
  test("a wildcard CN: SEQUENCE of SETs, PrintableString where it can, T61String for '*'", () => {
    expect(der("C=CH, O=Example, CN=*")).toBe(
      "302b" + "310b300906035504061302" + "4348" + "3110300e060355040a1307" + Buffer.from("Example").toString("hex") + "310a3008060355040314012a");
  });
  test("separators, spaces, case of names, escapes and trailing spaces as atodn takes them", () => {
    expect(der("/C=CH/O=Example/CN=bob")).toBe(der("C=CH, O=Example, CN=bob"));
    expect(der("c = CH,  o=Example ,cn=bob  ")).toBe(der("C=CH, O=Example, CN=bob"));
    // a value with '_' is not a PrintableString: T61String (0x14)
    expect(der("CN=a_b")).toBe("300e310c300a06035504031403615f62");
    expect(der("CN=a\\,b")).toBe(der("CN=a\\2cb"));
    // E= is an IA5String of PKCS #9 emailAddress
    expect(der("E=a@b")).toBe("3014311230100609" + "2a864886f70d010901" + "1603614062");
    // a numeric OID takes a BER value in hex
    expect(der("2.5.4.3=#130162")).toBe(der("CN=b"));
  });
  test("what atodn refuses", () => {
    expect(atodn("CN")).toMatchObject({ ok: false, error: "missing '=' after 'CN'" });
    expect(atodn('CN="x"')).toMatchObject({ ok: false });
    expect(atodn("2.5.4.3=b")).toMatchObject({ ok: false, error: "numeric OID '2.5.4.3' needs a #hex BER value" });
  });
});
