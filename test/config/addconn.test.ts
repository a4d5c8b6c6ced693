// The addconn CLI (dist/hosts/node/addconn.js, built by `npx tsc -p tsconfig.json`): exit codes,
// listings, JSON, and --autoall without a daemon (test/hosts/daemon.test.ts has one).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "dist/hosts/node/addconn.js");
const SRC = join(ROOT, "hosts/node/addconn.ts");
const built = existsSync(CLI);
if (!built) console.log(`addconn CLI tests skipped: ${CLI} is missing (run \`npx tsc -p tsconfig.json\` first)`);
else if (statSync(CLI).mtimeMs < statSync(SRC).mtimeMs) console.log(`addconn CLI tests: ${CLI} is older than ${SRC}; rebuild with \`npx tsc -p tsconfig.json\``);

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "addconn-test-"));
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = [
  "config setup",
  "\tlogfile=/tmp/pluto.log",
  "conn %default",
  "\tleft=192.0.2.1",
  "\tauthby=secret",
  "conn a-start",
  "\tright=192.0.2.2",
  "\tauto=start",
  "conn b-add",
  "\tright=192.0.2.3",
  "\tauto=add",
  "conn c-route",
  "\tright=192.0.2.4",
  "\tauto=route",
  "conn d-ignored",
  "\tright=192.0.2.5",
  "conn e-ondemand",
  "\tright=192.0.2.6",
  "\tauto=ondemand",
  "conn f-up",
  "\tright=192.0.2.7",
  "\tauto=up",
  "",
].join("\n");

describe.skipIf(!built)("addconn", () => {
  it("the compiled file starts with a shebang", () => {
    expect(spawnSync("head", ["-n1", CLI], { encoding: "utf8" }).stdout).toBe("#!/usr/bin/env node\n");
  });

  it("--checkconfig exits 0 on a valid file, silently", () => {
    const r = run("--config", file("good.conf", GOOD), "--checkconfig");
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  // (leftupdown= draws no warning: the daemon runs it)
  it("--checkconfig warns, in the daemon's words, about what pluto will refuse or ignore", () => {
    const p = file("later.conf", ["conn a", "\tleft=192.0.2.1", "\tright=vpn.example.com", "\tleftcert=west.pem", "\tauto=add",
      "conn b", "\tleft=192.0.2.1", "\tright=192.0.2.2", "\tauthby=secret", "\tmodecfgbanner=hello", "\tleftupdown=/bin/true",
      // what the Configuration payload does now draws no warning; other sourceip= values do
      "\trightaddresspool=10.9.0.10-10.9.0.100", "\tmodecfgdns=10.9.0.1", "\tleftmodecfgserver=yes", "\trightsourceip=10.9.0.7", ""].join("\n"));
    const r = run("--config", p, "--checkconfig");
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      `${p}:1:1: warning: conn 'a': authby=rsasig,ecdsa is not supported yet (use authby=secret): pluto will not load this connection`,
      `${p}:3:2: warning: conn 'a': right=vpn.example.com is not an address (host names are not resolved yet): pluto will not load this connection`,
      `${p}:4:2: warning: conn 'a': leftcert= is not supported yet (certificates); ignored`,
      `${p}:10:2: warning: conn 'b': modecfgbanner= is for IKEv1 ModeCfg: IKEv2's Configuration payload has no banner (Libreswan 4.10 sends none either); ignored`,
      `${p}:15:2: warning: conn 'b': rightsourceip=10.9.0.7 is not supported yet (the source address of the tunnel's traffic); ignored`,
    ]);
  });

  it("--checkconfig exits 1 and prints file:line:column: message for each error", () => {
    const p = file("bad.conf", ["conn a", "\tleft=1.2.3.4", "\tlefsubnet=10.0.0.0/8", "conn b", "\tauto=maybe", ""].join("\n"));
    const r = run("--config", p, "--checkconfig");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `${p}:3:2: unrecognized 'conn' keyword 'lefsubnet'\n` +
        `${p}:5:7: keyword auto, invalid value: maybe (expected ignore, add, ondemand, route, start, up, keep)\n`,
    );
  });

  it("--checkconfig exits 1 on a conn-level error too (the conn would not load)", () => {
    const p = file("connerr.conf", ["conn a", "\tleft=1.2.3.4", "\trekeymargin=0xA", ""].join("\n"));
    const r = run("--config", p, "--checkconfig");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${p}:3:2: conn 'a': rekeymargin=0xA: unrecognized duration multiplier 'xA'\n`);
  });

  it("--listall / --listadd / --listroute / --liststart / --listignore print names in file order", () => {
    const p = file("good.conf", GOOD);
    expect(run("--config", p, "--listall").stdout).toBe("a-start\nb-add\nc-route\nd-ignored\ne-ondemand\nf-up\n");
    expect(run("--config", p, "--listadd").stdout).toBe("b-add\n");
    expect(run("--config", p, "--listroute").stdout).toBe("c-route\ne-ondemand\n");
    expect(run("--config", p, "--liststart").stdout).toBe("a-start\nf-up\n");
    expect(run("--config", p, "--listignore").stdout).toBe("d-ignored\n");
    expect(run(`--config=${p}`, "--listall").code).toBe(0);
  });

  it("follows includes", () => {
    file("inc-part.conf", "conn included\n\tleft=192.0.2.9\n\tauto=add\n");
    const p = file("inc-main.conf", "conn first\n\tleft=192.0.2.8\ninclude inc-part.conf\nconn last\n\tleft=192.0.2.10\n");
    expect(run("--config", p, "--listall").stdout).toBe("first\nincluded\nlast\n");
  });

  it("--json prints ok, errors, warnings and conns", () => {
    const r = run("--config", file("good.conf", GOOD), "--listall", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toEqual({
      ok: true,
      errors: [],
      warnings: [],
      conns: [
        { name: "a-start", auto: "start" },
        { name: "b-add", auto: "add" },
        { name: "c-route", auto: "ondemand" },
        { name: "d-ignored", auto: "ignore" },
        { name: "e-ondemand", auto: "ondemand" },
        { name: "f-up", auto: "start" },
      ],
    });
    const bad = file("bad2.conf", "conn a\n\tleft=1.2.3.4\n\tleftcat=yes\n\tbogus=1\n");
    const r2 = run("--config", bad, "--checkconfig", "--json");
    expect(r2.code).toBe(1);
    const d2 = JSON.parse(r2.stdout) as { ok: boolean; errors: unknown[]; warnings: unknown[]; conns: unknown[] };
    expect(d2.ok).toBe(false);
    expect(d2.errors).toEqual([
      { file: bad, line: 4, column: 2, message: "unrecognized 'conn' keyword 'bogus'", severity: "error", keyword: "bogus" },
    ]);
    expect(d2.warnings).toEqual([
      { file: bad, line: 3, column: 2, message: "keyword 'leftcat' is not supported yet; ignored", severity: "warning", keyword: "leftcat" },
    ]);
    expect(d2.conns).toEqual([]);
  });

  it("--json --normalized adds the connection objects", () => {
    const r = run("--config", file("good.conf", GOOD), "--checkconfig", "--json", "--normalized");
    const doc = JSON.parse(r.stdout) as { normalized: { name: string; left: { host: string } }[]; setup: { listenUdp: boolean } };
    expect(doc.normalized.map((c) => c.name)).toEqual(["a-start", "b-add", "c-route", "d-ignored", "e-ondemand", "f-up"]);
    expect(doc.normalized[0]!.left.host).toBe("192.0.2.1");
    expect(doc.setup.listenUdp).toBe(true);
  });

  it("--autoall without a running pluto says so and exits 1", () => {
    const r = run("--config", file("good.conf", GOOD), "--autoall", "--ctlsocket", join(dir, "no-such.ctl"));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/cannot talk to pluto on .*no-such\.ctl/);
  });

  it("a missing file exits 1", () => {
    const r = run("--config", join(dir, "nope.conf"), "--checkconfig");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot open config file");
  });

  it("an unknown option, a missing --config value, or nothing to do: usage, exit 2", () => {
    for (const args of [["--bogus"], ["--config"], [], ["--listall", "--checkconfig"]]) {
      const r = run(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain("usage: addconn");
    }
    expect(run("--help").code).toBe(0);
  });
});
