// The struct layouts and constants of kernel-shims/xfrm.ts, proven against the system's own
// headers: a C program generated from xfrm.ts's tables is compiled with gcc and prints
// sizeof/offsetof of every member the encoders use, and the value of every constant.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as X from "../../kernel-shims/xfrm.ts";

function which(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const headers = existsSync("/usr/include/linux/xfrm.h") && existsSync("/usr/include/linux/netlink.h");
const skipReason = !which("gcc") ? "gcc not installed" : !headers ? "linux headers (linux-libc-dev) not installed" : "";
if (skipReason) console.log(`layout tests skipped: ${skipReason}`);

// Constants whose C name is the same as the export's name.
const CONSTANTS = [
  "NETLINK_XFRM",
  "NLMSG_NOOP",
  "NLMSG_ERROR",
  "NLMSG_DONE",
  "NLMSG_OVERRUN",
  "NLM_F_REQUEST",
  "NLM_F_MULTI",
  "NLM_F_ACK",
  "NLM_F_ECHO",
  "NLM_F_ROOT",
  "NLM_F_MATCH",
  "NLM_F_DUMP",
  "NLM_F_CAPPED",
  "NLM_F_ACK_TLVS",
  "NLMSGERR_ATTR_MSG",
  "NLMSGERR_ATTR_OFFS",
  "XFRM_MSG_NEWSA",
  "XFRM_MSG_DELSA",
  "XFRM_MSG_GETSA",
  "XFRM_MSG_NEWPOLICY",
  "XFRM_MSG_DELPOLICY",
  "XFRM_MSG_GETPOLICY",
  "XFRM_MSG_ALLOCSPI",
  "XFRM_MSG_ACQUIRE",
  "XFRM_MSG_EXPIRE",
  "XFRM_MSG_UPDPOLICY",
  "XFRM_MSG_UPDSA",
  "XFRM_MSG_POLEXPIRE",
  "XFRM_MSG_FLUSHSA",
  "XFRM_MSG_FLUSHPOLICY",
  "XFRMA_ALG_AUTH",
  "XFRMA_ALG_CRYPT",
  "XFRMA_ALG_COMP",
  "XFRMA_ENCAP",
  "XFRMA_TMPL",
  "XFRMA_SA",
  "XFRMA_POLICY",
  "XFRMA_SEC_CTX",
  "XFRMA_LTIME_VAL",
  "XFRMA_REPLAY_VAL",
  "XFRMA_SRCADDR",
  "XFRMA_POLICY_TYPE",
  "XFRMA_ALG_AEAD",
  "XFRMA_ALG_AUTH_TRUNC",
  "XFRMA_MARK",
  "XFRMA_REPLAY_ESN_VAL",
  "XFRMA_SA_EXTRA_FLAGS",
  "XFRMA_IF_ID",
  "XFRMNLGRP_ACQUIRE",
  "XFRMNLGRP_EXPIRE",
  "XFRMNLGRP_SA",
  "XFRMNLGRP_POLICY",
  "XFRM_MODE_TRANSPORT",
  "XFRM_MODE_TUNNEL",
  "XFRM_POLICY_IN",
  "XFRM_POLICY_OUT",
  "XFRM_POLICY_FWD",
  "XFRM_POLICY_ALLOW",
  "XFRM_POLICY_BLOCK",
  "XFRM_STATE_ESN",
  "UDP_ENCAP_ESPINUDP",
  "IPPROTO_ESP",
  "IPPROTO_AH",
  "IPPROTO_COMP",
  "AF_INET",
  "AF_INET6",
] as const;

function cProgram(): string {
  const lines = [
    "#include <stdio.h>",
    "#include <stddef.h>",
    "#include <sys/socket.h>",
    "#include <netinet/in.h>",
    "#include <linux/netlink.h>",
    "#include <linux/xfrm.h>",
    "#include <linux/udp.h>",
    "int main(void) {",
    '  printf("sizeof xfrm_address_t %zu\\n", sizeof(xfrm_address_t));',
    '  printf("const XFRM_INF %llu\\n", (unsigned long long)XFRM_INF);',
  ];
  for (const [struct, fields] of Object.entries(X.LAYOUTS)) {
    lines.push(`  printf("sizeof ${struct} %zu\\n", sizeof(struct ${struct}));`);
    for (const f of Object.keys(fields)) {
      if (f === "size") continue;
      lines.push(`  printf("offsetof ${struct}.${f} %zu\\n", offsetof(struct ${struct}, ${f}));`);
    }
  }
  for (const c of CONSTANTS) lines.push(`  printf("const ${c} %lld\\n", (long long)(${c}));`);
  lines.push("  return 0;", "}");
  return lines.join("\n") + "\n";
}

describe.skipIf(!!skipReason)("struct layouts and constants against gcc and <linux/xfrm.h>", () => {
  const dir = skipReason ? "" : mkdtempSync(join(tmpdir(), "pw-layout-"));
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const facts = new Map<string, string>();
  const load = () => {
    if (facts.size) return facts;
    writeFileSync(join(dir, "layout.c"), cProgram());
    execFileSync("gcc", ["-Wall", "-Werror", "-o", join(dir, "layout"), join(dir, "layout.c")], { stdio: "pipe" });
    const out = execFileSync(join(dir, "layout"), { encoding: "utf8", timeout: 10_000 });
    for (const line of out.trim().split("\n")) {
      const [kind, name, value] = line.split(" ");
      facts.set(`${kind} ${name}`, value!);
    }
    return facts;
  };

  it("xfrm_address_t is 16 bytes and XFRM_INF is ~0", () => {
    const f = load();
    expect(Number(f.get("sizeof xfrm_address_t"))).toBe(X.XFRM_ADDRESS_SIZE);
    expect(BigInt(f.get("const XFRM_INF")!)).toBe(X.XFRM_INF);
  });

  for (const [struct, fields] of Object.entries(X.LAYOUTS)) {
    it(`struct ${struct}: size and every member offset`, () => {
      const f = load();
      const got: Record<string, number> = {};
      for (const k of Object.keys(fields)) {
        got[k] = Number(f.get(k === "size" ? `sizeof ${struct}` : `offsetof ${struct}.${k}`));
      }
      expect(got).toEqual(fields);
    });
  }

  it("every message type, attribute, group, flag and mode number", () => {
    const f = load();
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const c of CONSTANTS) {
      got[c] = Number(f.get(`const ${c}`));
      want[c] = (X as unknown as Record<string, number>)[c]!;
    }
    expect(got).toEqual(want);
  });

  it("the host is little-endian, as the fixtures in xfrm.test.ts assume", () => {
    expect(X.HOST_LITTLE_ENDIAN).toBe(true);
  });
});
