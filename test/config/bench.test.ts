// Benchmark figure (reported, loosely bounded): parse, resolve and normalize a generated
// ipsec.conf of 10,000 conns that use conn %default and also=.
import { describe, expect, it } from "vitest";
import { loadConfigText } from "../../hosts/config/normalize.ts";

export function generateConfig(n: number): string {
  const out: string[] = [
    "version 2",
    "config setup",
    "\tlogfile=/tmp/pluto.log",
    "\tplutodebug=all",
    "\tvirtual-private=%v4:10.0.0.0/8,%v4:!10.1.0.0/16",
    "",
    "conn %default",
    "\tkeyexchange=ikev2",
    "\tikelifetime=8h",
    "\tsalifetime=1h",
    "\trekeymargin=3m",
    "\trekeyfuzz=50%",
    "\tdpddelay=30s",
    "\tauthby=secret",
    "\tleft=192.0.2.1",
    "\tleftid=@gateway",
    "\tleftsubnet=10.0.0.0/16",
    "",
    "conn base-gcm",
    "\tike=aes_gcm256-sha2_256;dh19,aes256-sha2;modp2048",
    "\tesp=aes_gcm256",
    "\tfragmentation=yes",
    "\tmobike=no",
    "",
    "conn base-cbc",
    "\tike=aes128-sha1-modp2048",
    "\tesp=aes128-sha2_256;modp2048",
    "\tpfs=yes",
    "",
  ];
  for (let i = 0; i < n; i++) {
    const a = (i >> 8) & 255;
    const b = i & 255;
    out.push(
      `conn peer-${i}`,
      `\talso=${i % 2 === 0 ? "base-gcm" : "base-cbc"}`,
      `\tright=198.51.${a}.${b}`,
      `\trightid=@peer-${i}.example`,
      `\trightsubnet=172.${16 + (a & 15)}.${b}.0/24`,
      `\tauto=${i % 3 === 0 ? "start" : "add"}`,
      "",
    );
  }
  return out.join("\n");
}

describe("10,000 conns", () => {
  it("parse and normalize in about a second", () => {
    const text = generateConfig(10_000);
    loadConfigText("/bench/ipsec.conf", generateConfig(200)); // warm up
    const runs: number[] = [];
    let conns = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const res = loadConfigText("/bench/ipsec.conf", text);
      runs.push(performance.now() - t0);
      conns = res.conns.length;
      expect(res.ok).toBe(true);
    }
    const best = Math.min(...runs);
    console.log(
      `bench: ${conns} conns (${(text.length / 1e6).toFixed(2)} MB) parsed and normalized in ${best.toFixed(0)} ms ` +
        `(runs: ${runs.map((x) => x.toFixed(0)).join(", ")} ms)`,
    );
    expect(conns).toBe(10_002); // and the two also= bases, which are conns too
    expect(best).toBeLessThan(5000); // the aim is < 1 s; the bound only catches gross regressions
  });
});
