// What the daemon cannot do yet is refused (or ignored) with one message, naming the keyword:
// hosts/config/support.ts.
import { describe, expect, it } from "vitest";
import { loadConfigText } from "../../hosts/config/normalize.ts";
import { unsupported } from "../../hosts/config/support.ts";

const conf = (extra: string[]) =>
  ["conn a", "\tleft=192.0.2.1", "\tright=192.0.2.2", "\tauthby=secret", ...extra.map((l) => `\t${l}`), "\tauto=add", ""].join("\n");

describe("unsupported()", () => {
  it("phase2=ah is refused, not negotiated as ESP with AH's proposal", () => {
    const c = loadConfigText("/t/ipsec.conf", conf(["phase2=ah", "ah=sha2_256"]));
    const conn = c.conns.find((x) => x.name === "a")!;
    expect(conn.phase2).toBe("ah");
    expect(unsupported(conn)).toContainEqual({ keyword: "phase2", message: "phase2=ah is not supported yet (AH Child SAs; use phase2=esp)", refused: true });
  });
  it("phase2=esp (the default) draws nothing", () => {
    const c = loadConfigText("/t/ipsec.conf", conf([]));
    expect(unsupported(c.conns.find((x) => x.name === "a")!)).toEqual([]);
  });
});

describe("ikev1-policy=", () => {
  const setup = (v: string | null) =>
    loadConfigText("/t/ipsec.conf", [...(v ? ["config setup", `\tikev1-policy=${v}`] : []), ...conf([]).split("\n")].join("\n"));
  it("accept and reject draw a warning at the keyword's line: IKEv1 packets are dropped (as Libreswan 4.10 built without IKEv1)", () => {
    for (const v of ["accept", "reject"]) {
      const c = setup(v);
      const w = c.diagnostics.filter((d) => d.keyword === "ikev1-policy");
      expect(w.map((d) => [d.severity, d.line, d.message])).toEqual([["warning", 2, `ikev1-policy=${v} is not supported yet (IKEv1): incoming IKEv1 packets are dropped`]]);
    }
  });
  it("drop, or no ikev1-policy=, draws nothing", () => {
    expect(setup("drop").diagnostics.filter((d) => d.keyword === "ikev1-policy")).toEqual([]);
    expect(setup(null).diagnostics).toEqual([]);
  });
});

describe("encapsulation=", () => {
  it("yes and no draw 'not supported yet', auto nothing", () => {
    for (const v of ["yes", "no"]) {
      const c = loadConfigText("/t/ipsec.conf", conf([`encapsulation=${v}`]));
      expect(unsupported(c.conns.find((x) => x.name === "a")!)).toEqual([
        { keyword: "encapsulation", message: `encapsulation=${v} is not supported yet (UDP encapsulation follows NAT detection, as encapsulation=auto); ignored`, refused: false },
      ]);
    }
    expect(unsupported(loadConfigText("/t/ipsec.conf", conf(["encapsulation=auto"])).conns.find((x) => x.name === "a")!)).toEqual([]);
  });
});
