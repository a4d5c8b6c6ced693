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
