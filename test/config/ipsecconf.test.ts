// ipsec.conf syntax: one test per feature and per error, with exact file:line:column.
import { describe, expect, it } from "vitest";
import { formatDiagnostic, type Diagnostic } from "../../hosts/config/diagnostics.ts";
import { loadIpsecConf, loadIpsecConfText, type LoadedConfig } from "../../hosts/config/ipsecconf.ts";
import { KEYWORDS, lookupKeyword } from "../../hosts/config/keywords.ts";
import { conf, memIO } from "./memio.ts";

const F = "/etc/ipsec.conf";
const load = (text: string, files: Record<string, string> = {}) => loadIpsecConf(F, memIO({ [F]: text, ...files }));
const errors = (r: LoadedConfig) => r.diagnostics.filter((d) => d.severity === "error");
const warnings = (r: LoadedConfig) => r.diagnostics.filter((d) => d.severity === "warning");
const at = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}`;
const conn = (r: LoadedConfig, name: string) => r.conns.find((c) => c.name === name)!;
const val = (r: LoadedConfig, name: string, key: string) => conn(r, name).settings.get(key)?.value;

describe("sections and layout", () => {
  it("reads config setup and conns, skipping comments and blank lines inside sections", () => {
    const r = load(
      conf(
        "# a comment",
        "version 2",
        "",
        "config setup",
        "\tlogfile=/tmp/pluto.log   # trailing comment",
        "",
        "# a comment at the margin does not end the section",
        "\tplutodebug=all",
        "conn a",
        "    left=192.0.2.1",
        "\t   # indented comment",
        "",
        "\tright=192.0.2.2",
        "conn b",
        "\tleft=192.0.2.3",
      ),
    );
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([]);
    expect(r.parsed.setup.get("logfile")!.value).toBe("/tmp/pluto.log");
    expect(r.parsed.setup.get("plutodebug")!.value).toBe("all");
    expect(r.conns.map((c) => c.name)).toEqual(["a", "b"]);
    expect(val(r, "a", "right")).toBe("192.0.2.2");
    const s = conn(r, "a").settings.get("left")!;
    expect([s.line, s.column, s.valueColumn]).toEqual([10, 5, 10]);
  });

  it("takes quoted and braced values, and keeps '#' inside a value written without a blank", () => {
    const r = load(
      conf(
        "conn a",
        '\tleftid="@west side"  # comment',
        "\trightrsasigkey={0sAQO abc}",
        "\tleftupdown=/bin/true#x",
        '\trightupdown=""',
        "\trightid = @east",
        "\tauto\t=\tadd",
      ),
    );
    expect(errors(r)).toEqual([]);
    expect(val(r, "a", "leftid")).toBe("@west side");
    expect(val(r, "a", "rightrsasigkey")).toBe("0sAQO abc");
    expect(val(r, "a", "leftupdown")).toBe("/bin/true#x");
    expect(val(r, "a", "rightupdown")).toBe("");
    expect(conn(r, "a").auto).toBe("add");
  });

  it("matches keywords case-insensitively and accepts Libreswan 5's left-X spelling", () => {
    const r = load(conf("conn a", "\tLeftSubnet=10.0.0.0/8", "\tright-subnet=10.1.0.0/16", "\tleft-updown=/bin/true"));
    expect(errors(r)).toEqual([]);
    expect(val(r, "a", "leftsubnet")).toBe("10.0.0.0/8");
    expect(val(r, "a", "rightsubnet")).toBe("10.1.0.0/16");
  });

  it("treats x-... keywords as comments", () => {
    const r = load(conf("conn a", "\tx-my-note=anything at all", "\tX_other=1"));
    expect(r.diagnostics).toEqual([]);
  });

  it("accepts 'version 2' only before the sections", () => {
    expect(load(conf("version 2.0", "conn a", "\tleft=1.2.3.4")).ok).toBe(true);
    const r = load(conf("conn a", "\tleft=1.2.3.4", "version 2"));
    expect(errors(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([`${F}:3:1: 'version' must come before every section`]);
  });

  it("ignores an unquoted empty value, so %default's value applies", () => {
    const r = load(conf("conn %default", "\trightsubnet=10.0.0.0/8", "conn a", "\trightsubnet=", "\tright=192.0.2.9"));
    expect(errors(r)).toEqual([]);
    expect(val(r, "a", "rightsubnet")).toBe("10.0.0.0/8");
  });

  it("keeps the first of two conns with the same name, with a warning", () => {
    const r = load(conf("conn a", "\tleft=1.1.1.1", "conn a", "\tleft=2.2.2.2"));
    expect(r.conns.map((c) => c.name)).toEqual(["a"]);
    expect(val(r, "a", "left")).toBe("1.1.1.1");
    expect(warnings(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:3:1: duplicate conn 'a' ignored (first defined at ${F}:1)`,
    ]);
  });

  it("warns about and ignores a repeated keyword in one section (the first value stays)", () => {
    const r = load(conf("conn a", "\tleft=1.1.1.1", "\tleft=2.2.2.2"));
    expect(val(r, "a", "left")).toBe("1.1.1.1");
    expect(warnings(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:3:2: ignoring duplicate keyword 'left' in conn 'a' (first set at line 2)`,
    ]);
  });

  it("lets a later config setup value override an earlier one, with a warning", () => {
    const r = load(conf("config setup", "\tlogfile=/a", "config setup", "\tlogfile=/b"));
    expect(r.parsed.setup.get("logfile")!.value).toBe("/b");
    expect(warnings(r)[0]!.message).toBe("overriding earlier 'config setup' keyword with new value: logfile=/b");
  });
});

describe("syntax errors, with file:line:column", () => {
  const firstError = (text: string) => {
    const e = errors(load(text))[0]!;
    return `${at(e)}: ${e.message}`;
  };

  it("an unknown keyword", () => {
    expect(firstError(conf("config setup", "\tlogfile=/x", "conn a", "     unknown=no"))).toBe(
      `${F}:4:6: unrecognized 'conn' keyword 'unknown'`,
    );
  });

  it("a misspelled keyword", () => {
    expect(firstError(conf("conn a", "\tleft=1.2.3.4", "\tlefsubnet=10.0.0.0/8"))).toBe(
      `${F}:3:2: unrecognized 'conn' keyword 'lefsubnet'`,
    );
  });

  it("a non-keyword line inside a section (addconn-04)", () => {
    expect(firstError(conf("config setup", "\t# File not used", "\tJust here to throw an error"))).toBe(
      `${F}:3:2: unrecognized 'config setup' keyword 'Just'`,
    );
  });

  it("a keyword in the wrong section", () => {
    expect(firstError(conf("config setup", "\tleft=1.2.3.4"))).toBe(`${F}:2:2: 'left' is a conn keyword, not valid in 'config setup'`);
    expect(firstError(conf("conn a", "\t  logfile=/x"))).toBe(`${F}:2:4: 'logfile' is a 'config setup' keyword, not valid in a conn`);
  });

  it("a per-end keyword without left/right", () => {
    expect(firstError(conf("conn a", "\tsubnet=10.0.0.0/8"))).toBe(`${F}:2:2: keyword 'subnet' needs a 'left' or 'right' prefix`);
  });

  it("also= in conn %default", () => {
    expect(firstError(conf("conn %default", "\talso=x"))).toBe(`${F}:2:2: also= is not valid in conn %default`);
  });

  it("a keyword line at the left margin, and an indented line before any section", () => {
    expect(firstError(conf("conn a", "left=1.2.3.4"))).toBe(`${F}:2:1: 'left=' must be indented, inside a 'config setup' or 'conn' section`);
    expect(firstError(conf("  left=1.2.3.4"))).toBe(
      `${F}:1:3: indented line outside of a section (expected 'config setup' or 'conn NAME' first)`,
    );
  });

  it("an unknown statement, 'config' without 'setup', 'conn' without a name", () => {
    expect(firstError(conf("connection a"))).toMatch(/^\/etc\/ipsec.conf:1:1: syntax error: unexpected 'connection'/);
    expect(firstError(conf("config foo"))).toBe(`${F}:1:8: expected 'config setup', found 'config foo'`);
    expect(firstError(conf("conn"))).toBe(`${F}:1:5: 'conn' needs a name`);
  });

  it("a missing '=', an unterminated quote, text after the value", () => {
    expect(firstError(conf("conn a", "\tleft 1.2.3.4"))).toBe(`${F}:2:7: expected '=' after 'left'`);
    expect(firstError(conf("conn a", '\tleftid="@west'))).toBe(`${F}:2:9: leftid: unterminated quoted string`);
    expect(firstError(conf("conn a", "\tleftid=@west side"))).toBe(
      `${F}:2:15: unexpected 'side' after the value of 'leftid' (quote a value that contains blanks)`,
    );
  });

  it("a value outside the keyword's enumeration, or two values", () => {
    expect(firstError(conf("conn a", "\tauto=sometimes"))).toBe(
      `${F}:2:7: keyword auto, invalid value: sometimes (expected ignore, add, ondemand, route, start, up, keep)`,
    );
    expect(firstError(conf("conn a", "\tauto=add,start"))).toBe(`${F}:2:7: keyword auto accepts only one value, not add,start`);
    expect(firstError(conf("conn a", "\tdpdaction=drop"))).toMatch(/^\/etc\/ipsec.conf:2:12: keyword dpdaction, invalid value: drop/);
    expect(firstError(conf("config setup", "\tplutodebug=all,bogus"))).toBe(`${F}:2:13: keyword plutodebug, invalid value: bogus`);
  });

  it("yes/no keywords: a bad value, and no value", () => {
    expect(firstError(conf("conn a", "\tmobike=nat"))).toBe(`${F}:2:9: keyword mobike, invalid value: nat (expected yes or no)`);
    expect(firstError(conf("conn a", "\tnarrowing="))).toBe(`${F}:2:2: 'narrowing=' needs a value`);
    const ok = load(conf("conn a", "\tpfs=No", "\tmobike=\"yes\"", "\tcompress=off", "\tnarrowing=y"));
    expect(errors(ok)).toEqual([]);
  });

  it("reports every file error, and lists no conns for a rejected file", () => {
    const r = load(conf("conn a", "\tfoo=1", "\tbar=2"));
    expect(r.ok).toBe(false);
    expect(r.conns).toEqual([]);
    expect(errors(r).map((d) => d.line)).toEqual([2, 3]);
    expect(formatDiagnostic(errors(r)[0]!)).toBe(`${F}:2:2: error: unrecognized 'conn' keyword 'foo'`);
  });
});

describe("keywords", () => {
  it("knows the 100 most frequent keywords of the corpus", () => {
    const top100 = [
      "left right also leftid rightid logfile logappend plutodebug logtime dumpdir rightsubnet authby leftsubnet",
      "rightnexthop leftnexthop keyexchange rightrsasigkey leftrsasigkey auto ikev1-policy leftcert type rightcert ike",
      "failureshunt negotiationshunt leftsourceip rightsendcert esp retransmit-timeout leftmodecfgclient",
      "retransmit-interval leftsendcert narrowing leftaddresspool rightsourceip compress rightauth leftauth phase2",
      "rightca nhelpers leftca aggressive sendca leftxauthclient rightxauthserver rightsubnets rightmodecfgserver",
      "modecfgdns modecfgpull dpddelay pfs rekey rightprotoport leftprotoport virtual-private ipsec-interface",
      "shuntlifetime xauthby replay-window dpdaction rekeymargin leftcat ikelifetime ah enable-tcp salifetime",
      "fragmentation dpdtimeout policy-label dnssec-enable listen-tcp leftsubnets connalias rightaddresspool ocsp-enable",
      "dnssec-anchors ppk ocsp-trustname rightmodecfgclient intermediate ocsp-uri accept-redirect ikev2",
      "dnssec-rootkey-file esn overlapip rekeyfuzz vti-interface vti-routing vti-shared ocsp-timeout hostaddrfamily",
      "require-id-on-certificate protostack encapsulation leftmodecfgserver mobike xfrmlifetime",
    ]
      .join(" ")
      .split(" ");
    expect(top100.length).toBe(100);
    const setup = new Set(["logfile", "logappend", "plutodebug", "logtime", "dumpdir", "ikev1-policy", "nhelpers", "virtual-private",
      "shuntlifetime", "dnssec-enable", "listen-tcp", "ocsp-enable", "dnssec-anchors", "ocsp-trustname", "ocsp-uri",
      "dnssec-rootkey-file", "ocsp-timeout", "protostack", "xfrmlifetime"]);
    for (const k of top100) {
      const m = lookupKeyword(k, setup.has(k) ? "setup" : "conn");
      expect(m, k).not.toBeNull();
      expect(m, k).not.toBe("noprefix");
    }
  });

  it("warns about a known keyword that is not supported yet, naming it", () => {
    const r = load(conf("conn a", "\tleft=1.2.3.4", "\tleftcat=yes", "\tvti-interface=vti01"));
    expect(r.ok).toBe(true);
    expect(warnings(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:3:2: keyword 'leftcat' is not supported yet; ignored`,
      `${F}:4:2: keyword 'vti-interface' is not supported yet; ignored`,
    ]);
  });

  it("warns about an obsolete keyword and ignores it", () => {
    const r = load(conf("config setup", "\tinterfaces=%defaultroute", "conn a", "\tforceencaps=yes"));
    expect(r.ok).toBe(true);
    expect(warnings(r).map((d) => d.message)).toEqual([
      "obsolete keyword ignored: interfaces=%defaultroute",
      "obsolete keyword ignored: forceencaps=yes",
    ]);
  });

  it("marks which keywords Libreswan 4.10 did not know", () => {
    const newer = KEYWORDS.filter((k) => !k.in410).map((k) => k.name);
    for (const k of ["ppk-ids", "iptfs", "session-resumption", "send-supported-auth-methods", "clones", "seccomp", "crl-timeout"]) {
      expect(newer).toContain(k);
    }
  });

  it("accepts keyexchange=ikev1 and ikev2 (Libreswan 5) as well as ike", () => {
    const r = load(conf("conn a", "\tkeyexchange=ikev1", "conn b", "\tkeyexchange=ikev2", "conn c", "\tkeyexchange=ike"));
    expect(errors(r)).toEqual([]);
  });
});

describe("auto=", () => {
  it("maps the values to ignore, add, ondemand, start and keep; absent is ignore", () => {
    const r = load(
      conf(
        "conn none",
        "conn i",
        "\tauto=ignore",
        "conn a",
        "\tauto=add",
        "conn o",
        "\tauto=ondemand",
        "conn r",
        "\tauto=route",
        "conn s",
        "\tauto=start",
        "conn u",
        "\tauto=up",
        "conn k",
        "\tauto=keep",
      ),
    );
    expect(Object.fromEntries(r.conns.map((c) => [c.name, c.auto]))).toEqual({
      none: "ignore",
      i: "ignore",
      a: "add",
      o: "ondemand",
      r: "ondemand",
      s: "start",
      u: "start",
      k: "keep",
    });
  });

  it("takes auto= from %default and from also=", () => {
    const r = load(conf("conn %default", "\tauto=add", "conn base", "\tauto=start", "conn x", "\talso=base", "conn y"));
    expect(r.conns.map((c) => `${c.name}=${c.auto}`)).toEqual(["base=start", "x=start", "y=add"]);
  });
});

describe("%default and also=", () => {
  it("applies every %default section, wherever it is, the last value winning; a conn's own value wins", () => {
    const r = load(
      conf(
        "conn a",
        "\tikelifetime=1h",
        "conn %default",
        "\tikelifetime=2h",
        "\tleft=192.0.2.1",
        "conn %default",
        "\tikelifetime=3h",
        "conn b",
      ),
    );
    expect(errors(r)).toEqual([]);
    expect(val(r, "a", "ikelifetime")).toBe("1h");
    expect(val(r, "b", "ikelifetime")).toBe("3h");
    expect(val(r, "a", "left")).toBe("192.0.2.1");
    expect(r.conns.map((c) => c.name)).toEqual(["a", "b"]);
  });

  it("inserts also= sections recursively, in place, each once", () => {
    const r = load(
      conf(
        "conn x",
        '\talso="b c"',
        "\tauto=add",
        "conn b",
        "\talso=d",
        "\tleft=192.0.2.1",
        "conn c",
        "\talso=d",
        "\tright=192.0.2.2",
        "conn d",
        "\tike=aes256-sha2",
      ),
    );
    expect(errors(r)).toEqual([]);
    const x = conn(r, "x");
    expect(x.alsos).toEqual(["b", "d", "c"]);
    expect([val(r, "x", "left"), val(r, "x", "right"), val(r, "x", "ike")]).toEqual(["192.0.2.1", "192.0.2.2", "aes256-sha2"]);
  });

  it("a missing also= target stops that conn only, with its location", () => {
    const r = load(conf("conn x", "\tleft=1.2.3.4", "\talso=nowhere", "conn y", "\tleft=1.2.3.5"));
    expect(r.ok).toBe(true);
    expect(conn(r, "x").ok).toBe(false);
    expect(conn(r, "y").ok).toBe(true);
    const e = errors(r)[0]!;
    expect(`${at(e)}: ${e.message}`).toBe(`${F}:3:2: conn 'x': cannot find conn 'nowhere' needed by also=`);
    expect(e.conn).toBe("x");
    expect(e.keyword).toBe("also");
  });

  it("an also= cycle is an error", () => {
    const r = load(conf("conn a", "\talso=b", "conn b", "\talso=a", "\tleft=1.2.3.4"));
    expect(errors(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:4:2: conn 'a': also= cycle: a -> b -> a`,
      `${F}:2:2: conn 'b': also= cycle: b -> a -> b`,
    ]);
  });

  it("a conflicting value from an also= section is an error, the same value is not", () => {
    const same = load(conf("conn a", "\tleft=1.2.3.4", "\talso=b", "conn b", "\tleft=1.2.3.4"));
    expect(errors(same)).toEqual([]);
    const r = load(conf("conn a", "\tleft=1.2.3.4", "\talso=b", "conn b", "\tleft=5.6.7.8"));
    expect(errors(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:5:2: conn 'a': duplicate key 'left' while processing 'b': 5.6.7.8 conflicts with 1.2.3.4 set at ${F}:2`,
    ]);
  });
});

describe("include", () => {
  it("includes relative to the including file, globbed, in sorted order", () => {
    const r = load(conf("include conns/*.conf", "conn last"), {
      "/etc/conns/b.conf": conf("conn b", "\tleft=1.1.1.2"),
      "/etc/conns/a.conf": conf("conn a", "\tleft=1.1.1.1", "include ../more/{x,y}.conf"),
      "/etc/more/x.conf": conf("conn x"),
      "/etc/more/y.conf": conf("conn y"),
      "/etc/conns/.hidden.conf": conf("conn hidden"),
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.conns.map((c) => c.name)).toEqual(["a", "x", "y", "b", "last"]);
    expect(conn(r, "b").settings.get("left")!.file).toBe("/etc/conns/b.conf");
  });

  it("warns about a missing file (addconn-19-include-missing) and is silent about an empty glob", () => {
    const r = load(conf("conn west", "\tleft=1.2.3.4", "# should report error", "include /etc/file-not-found.conf", "include /tmp/file-not-found.*"));
    expect(r.ok).toBe(true);
    expect(r.conns.map((c) => c.name)).toEqual(["west"]);
    expect(r.diagnostics.map((d) => `${d.severity} ${at(d)}: ${d.message}`)).toEqual([
      `warning ${F}:4:9: could not open include file '/etc/file-not-found.conf'`,
    ]);
  });

  it("stops recursion at 10 levels with a warning (addconn-19-include-recursive)", () => {
    const io = memIO({ [F]: conf("config setup", "\tlogfile=/tmp/x", "conn west", "\tleft=1.2.3.4", "include /etc/ipsec.conf") });
    const r = loadIpsecConf(F, io);
    expect(r.ok).toBe(true);
    expect(io.reads.filter((p) => p === F).length).toBe(10);
    const w = warnings(r);
    expect(w.filter((d) => d.message.includes("exceeds max inclusion depth of 10")).map(at)).toEqual([`${F}:5:9`]);
    expect(r.conns.map((c) => c.name)).toEqual(["west"]);
  });

  it("needs exactly one file name", () => {
    const r = load(conf("include a.conf b.conf"));
    expect(errors(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:1:16: unexpected 'b.conf' after the include file name (one file name, no blanks)`,
    ]);
  });
});

describe("values checked per conn (the rest of the file still loads)", () => {
  const connErrors = (text: string) =>
    errors(load(text)).map((d) => `${at(d)}: ${d.message}`);

  it("durations with s/m/h/d suffixes, as addconn-17: 10s and 10seconds load, 0xA does not", () => {
    const r = load(
      conf(
        "conn time-good",
        "\trekeymargin=10s",
        "conn time-wip",
        "\trekeymargin=10seconds",
        "conn time-wip-hex",
        "\trekeymargin=0xA",
        "conn times",
        "\tikelifetime=1h",
        "\tsalifetime=30m",
        "\tdpddelay=1d",
        "\tdpdtimeout=120",
        "\tretransmit-interval=250",
        "\trekey=no",
      ),
    );
    expect(r.ok).toBe(true);
    expect(r.conns.filter((c) => !c.ok).map((c) => c.name)).toEqual(["time-wip-hex"]);
    expect(errors(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:6:2: conn 'time-wip-hex': rekeymargin=0xA: unrecognized duration multiplier 'xA'`,
    ]);
  });

  it("percentages, as addconn-18: 10% loads, 10foo does not", () => {
    const r = load(conf("conn percentage-good", "\trekeyfuzz = 10%", "conn percentage-wip", "\trekeyfuzz = 10foo"));
    expect(r.conns.map((c) => `${c.name}:${c.ok}`)).toEqual(["percentage-good:true", "percentage-wip:false"]);
    expect(errors(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:4:2: conn 'percentage-wip': rekeyfuzz=10foo: '10foo': expecting a % character after the number`,
    ]);
  });

  it("addresses and subnets", () => {
    expect(connErrors(conf("conn a", "\tleft=192.0.2.300"))).toEqual([
      `${F}:2:2: conn 'a': left=192.0.2.300: '192.0.2.300' is not an IP address, a host name or a %-keyword`,
    ]);
    expect(connErrors(conf("conn a", "\tleftsubnet=10.0.0.0/33"))).toEqual([
      `${F}:2:2: conn 'a': leftsubnet=10.0.0.0/33: bad subnet '10.0.0.0/33': prefix length /33 is larger than 32`,
    ]);
    expect(connErrors(conf("conn a", "\trightsubnet=10.0.0.0/8,,10.1.0.0/16"))).toEqual([
      `${F}:2:2: conn 'a': rightsubnet=10.0.0.0/8,,10.1.0.0/16: empty field`,
    ]);
    expect(connErrors(conf("conn a", "\tleftnexthop=%bogus"))).toEqual([
      `${F}:2:2: conn 'a': leftnexthop=%bogus: '%bogus' is not an IP address, %defaultroute or %direct`,
    ]);
    const ok = load(
      conf(
        "conn a",
        "\tleft=%defaultroute",
        "\tright=%any",
        "\tleftsubnet=2001:db8::/32,192.0.2.0/24",
        "\trightsubnets={10.0.0.0/8 10.1.0.0/16}",
        "\tleftnexthop=%direct",
        "\trightprotoport=17/%any",
        "\tleftprotoport=tcp/80",
        "\tleftsourceip=192.0.2.1,2001:db8::1",
        "\trightaddresspool=10.9.0.1-10.9.0.200",
        "conn b",
        "\tleft=%any6",
        "\tright=vpn.example.com",
        "\tleftsubnet=vhost:%priv,%no",
        "\trightsubnet=vnet:%v4:10.0.0.0/8",
        "\tleft-interface-ip=192.0.2.1/24",
      ),
    );
    expect(errors(ok)).toEqual([]);
  });

  it("virtual-private in config setup: %v4:/%v6:, exclusions with !, bad entries ignored with a warning", () => {
    const r = load(conf("config setup", "\tvirtual-private=%v4:10.0.0.0/8,%v6:fd00::/8,%v4:!10.1.0.0/16,%v4:192.1.2.024"));
    expect(r.ok).toBe(true);
    expect(warnings(r).map((d) => `${at(d)}: ${d.message}`)).toEqual([
      `${F}:2:18: virtual-private: '%v4:192.1.2.024': no / in subnet specification; entry ignored`,
    ]);
  });

  it("a bad number in config setup is ignored with a warning; a bad listen= is an error", () => {
    const r = load(conf("config setup", "\tseedbits=XXX", "\tnhelpers=4"));
    expect(r.ok).toBe(true);
    expect(r.parsed.setup.has("seedbits")).toBe(false);
    expect(warnings(r).map((d) => d.message)).toContain("seedbits=XXX: 'XXX' is not an unsigned decimal number; keyword ignored");
    const l = load(conf("config setup", "\tlisten=eth0"));
    expect(errors(l).map((d) => `${at(d)}: ${d.message}`)).toEqual([`${F}:2:9: listen=eth0: not an IP address`]);
  });
});

describe("in-memory text", () => {
  it("loads text without a file system", () => {
    const r = loadIpsecConfText("/mem.conf", conf("conn a", "\tleft=1.2.3.4"));
    expect(r.ok).toBe(true);
    expect(r.conns[0]!.section.file).toBe("/mem.conf");
  });
});
