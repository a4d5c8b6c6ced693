// XFRM against the real kernel, in a network namespace this file creates and deletes (root
// only; skipped with the reason printed otherwise).
//
// 1. Byte equality with iproute2: for each request, `ip xfrm ...` runs under strace inside the
//    namespace, and the request it sends must equal ours byte for byte, apart from nlmsg_seq and
//    nlmsg_pid. Whether the kernel then accepts it does not matter here.
// 2. The Node transport: test/kernel/netns.inner.ts runs in its own vitest process inside the
//    namespace (`ip netns exec`), talking to the kernel through kernel-shims/netlink-node.ts.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PolicyId, PolicySpec, SaId, SaSpec, SpiRequest } from "../../kernel-shims/kernel.ts";
import { loadNetlinkPackage } from "../../kernel-shims/netlink-node.ts";
import * as X from "../../kernel-shims/xfrm.ts";
import { captureIproute, createNetns, deleteNetns, ensureStrace, hexdump, netnsSkipReason } from "./netns-util.ts";

const skipReason = netnsSkipReason();
if (skipReason) console.log(`network namespace tests skipped: ${skipReason}`);

const bytes = (n: number, from = 1) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const hex = (b: Uint8Array) => "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

interface Case {
  name: string;
  ip: string[];
  ours: Uint8Array;
}

const INF = X.XFRM_INF;
const h = { seq: 0 };

const gcmSa: SaSpec = {
  src: "10.0.0.1",
  dst: "10.0.0.2",
  spi: 0x12345678,
  reqid: 7,
  mode: "tunnel",
  encr: { id: 20, key: bytes(20) },
  encap: { sport: 4500, dport: 4500 },
  selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" },
  replayWindow: 32,
};

const cbcSa: SaSpec = {
  src: "10.0.0.1",
  dst: "10.0.0.2",
  spi: 0x100,
  reqid: 3,
  mode: "transport",
  encr: { id: 12, key: bytes(16) },
  integ: { id: 12, key: bytes(32, 0x40) },
  encap: { sport: 4500, dport: 4501 },
  esn: true,
  replayWindow: 128,
  mark: { value: 5, mask: 0xff },
  lifetime: { hardAddSeconds: 3600n, softAddSeconds: 3000n, hardBytes: 1_000_000n },
};

const chachaSa: SaSpec = {
  src: "2001:db8::1",
  dst: "2001:db8::2",
  spi: 0xc0ffee01,
  reqid: 11,
  mode: "tunnel",
  encr: { id: 28, key: bytes(36, 0) },
  selector: { src: "2001:db8:1::/48", dst: "2001:db8:2::/48" },
};

const sha1Sa: SaSpec = {
  src: "192.0.2.1",
  dst: "198.51.100.7",
  spi: 0xdeadbeef,
  reqid: 1,
  mode: "tunnel",
  encr: { id: 12, key: bytes(32) },
  integ: { id: 2, key: bytes(20, 0x80) },
  selector: { src: "192.0.2.0/24", dst: "198.51.100.0/24", proto: 6, dport: 443 },
  replayWindow: 0,
};

const saId: SaId = { src: "10.0.0.1", dst: "10.0.0.2", spi: 0x100 };
const spiReq: SpiRequest = { src: "10.0.0.1", dst: "10.0.0.2", reqid: 9, mode: "tunnel", min: 0x1000, max: 0x2000 };

const fwdPolicy: PolicySpec = {
  selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16", proto: 6, dport: 80 },
  dir: "fwd",
  priority: 1234,
  templates: [{ src: "10.0.0.1", dst: "10.0.0.2", mode: "tunnel", reqid: 7 }],
};
const blockPolicy: PolicySpec = {
  selector: { src: "2001:db8:1::/48", dst: "2001:db8:2::/48" },
  dir: "in",
  priority: 100,
  action: "block",
  mark: { value: 0x10, mask: 0xffff },
};
const transportPolicy: PolicySpec = {
  selector: { src: "192.0.2.1", dst: "198.51.100.7", proto: 17, sport: 500 },
  dir: "out",
  priority: 2000,
  templates: [{ mode: "transport", reqid: 42 }],
};
const fwdPolicyId: PolicyId = { selector: fwdPolicy.selector, dir: "fwd" };

const cases: Case[] = [
  {
    name: "NEWSA tunnel, AES-GCM-16 (rfc4106), NAT-T, selector, replay window 32",
    ip: ["xfrm", "state", "add", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "spi", "0x12345678", "reqid", "7", "mode", "tunnel",
      "replay-window", "32", "aead", "rfc4106(gcm(aes))", hex(gcmSa.encr.key), "128", "encap", "espinudp", "4500", "4500", "0.0.0.0",
      "sel", "src", "10.1.0.0/16", "dst", "10.2.0.0/16"],
    ours: X.encodeNewSa(gcmSa, h),
  },
  {
    name: "NEWSA transport, AES-CBC + HMAC-SHA2-256-128, NAT-T, ESN window 128, mark, lifetimes",
    ip: ["xfrm", "state", "add", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "spi", "0x100", "reqid", "3", "mode", "transport",
      "enc", "cbc(aes)", hex(cbcSa.encr.key), "auth-trunc", "hmac(sha256)", hex(cbcSa.integ!.key), "128",
      "encap", "espinudp", "4500", "4501", "0.0.0.0", "flag", "esn", "replay-window", "128", "mark", "0x5", "mask", "0xff",
      "limit", "time-hard", "3600", "limit", "time-soft", "3000", "limit", "byte-hard", "1000000"],
    ours: X.encodeNewSa(cbcSa, h),
  },
  {
    name: "UPDSA IPv6 tunnel, ChaCha20-Poly1305 (rfc7539esp)",
    ip: ["xfrm", "state", "update", "src", "2001:db8::1", "dst", "2001:db8::2", "proto", "esp", "spi", "0xc0ffee01", "reqid", "11", "mode", "tunnel",
      "aead", "rfc7539esp(chacha20,poly1305)", hex(chachaSa.encr.key), "128", "sel", "src", "2001:db8:1::/48", "dst", "2001:db8:2::/48"],
    ours: X.encodeNewSa(chachaSa, h, true),
  },
  {
    name: "NEWSA tunnel, AES-256-CBC + HMAC-SHA1-96, selector with protocol and port",
    ip: ["xfrm", "state", "add", "src", "192.0.2.1", "dst", "198.51.100.7", "proto", "esp", "spi", "0xdeadbeef", "reqid", "1", "mode", "tunnel",
      "enc", "cbc(aes)", hex(sha1Sa.encr.key), "auth-trunc", "hmac(sha1)", hex(sha1Sa.integ!.key), "96",
      "sel", "src", "192.0.2.0/24", "dst", "198.51.100.0/24", "proto", "tcp", "dport", "443"],
    ours: X.encodeNewSa(sha1Sa, h),
  },
  {
    name: "DELSA",
    ip: ["xfrm", "state", "delete", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "spi", "0x100"],
    ours: X.encodeDelSa(saId, h),
  },
  {
    name: "GETSA",
    ip: ["xfrm", "state", "get", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "spi", "0x100"],
    ours: X.encodeGetSa(saId, h),
  },
  {
    name: "ALLOCSPI",
    ip: ["xfrm", "state", "allocspi", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "reqid", "9", "mode", "tunnel", "min", "0x1000", "max", "0x2000"],
    ours: X.encodeAllocSpi(spiReq, h),
  },
  {
    name: "NEWPOLICY fwd, TCP port 80, priority, tunnel template",
    ip: ["xfrm", "policy", "add", "src", "10.1.0.0/16", "dst", "10.2.0.0/16", "proto", "tcp", "dport", "80", "dir", "fwd", "priority", "1234",
      "tmpl", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "reqid", "7", "mode", "tunnel"],
    ours: X.encodeNewPolicy(fwdPolicy, h),
  },
  {
    name: "NEWPOLICY out, transport template without addresses, UDP source port",
    ip: ["xfrm", "policy", "add", "src", "192.0.2.1/32", "dst", "198.51.100.7/32", "proto", "udp", "sport", "500", "dir", "out", "priority", "2000",
      "tmpl", "proto", "esp", "reqid", "42", "mode", "transport"],
    ours: X.encodeNewPolicy(transportPolicy, h),
  },
  {
    name: "UPDPOLICY IPv6 in, block, mark",
    ip: ["xfrm", "policy", "update", "src", "2001:db8:1::/48", "dst", "2001:db8:2::/48", "dir", "in", "priority", "100", "mark", "0x10", "mask", "0xffff", "action", "block"],
    ours: X.encodeNewPolicy(blockPolicy, h, true),
  },
  {
    name: "DELPOLICY",
    ip: ["xfrm", "policy", "delete", "src", "10.1.0.0/16", "dst", "10.2.0.0/16", "proto", "tcp", "dport", "80", "dir", "fwd"],
    ours: X.encodeDelPolicy(fwdPolicyId, h),
  },
];

describe.skipIf(!!skipReason)("XFRM in a network namespace", () => {
  // One namespace for iproute2's requests (some of which succeed and leave policies behind) and
  // a clean one for the transport tests.
  const ns = `pw-test-${process.pid}`;
  const nlNs = `pw-test-${process.pid}-nl`;
  let inner: ChildProcess | undefined;
  let reportDir = "";

  beforeAll(() => {
    for (const n of [ns, nlNs]) {
      deleteNetns(n);
      createNetns(n);
    }
    reportDir = mkdtempSync(join(tmpdir(), "pw-netns-"));
  });

  afterAll(() => {
    // The inner vitest has workers of its own: end its whole process group.
    if (inner?.pid && inner.exitCode === null) {
      try {
        process.kill(-inner.pid, "SIGKILL");
      } catch {
        inner.kill("SIGKILL");
      }
    }
    deleteNetns(ns);
    deleteNetns(nlNs);
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  });

  describe("our requests equal iproute2's, byte for byte (nlmsg_seq and nlmsg_pid aside)", () => {
    const straceMissing = skipReason ? "" : ensureStrace();
    if (straceMissing) console.log(`iproute2 byte comparison skipped: ${straceMissing}`);
    for (const c of cases) {
      it.skipIf(!!straceMissing)(c.name, () => {
        const { requests, stderr } = captureIproute(ns, c.ip);
        expect(requests, `ip sent no XFRM request; stderr: ${stderr}`).toHaveLength(1);
        const r = requests[0]!;
        const ours = X.splitMessages(c.ours)[0]!;
        expect({ len: r.len, type: r.type, flags: r.flags }).toEqual({
          len: c.ours.length,
          type: X.messageTypeName(ours.type),
          flags: ours.flags,
        });
        expect(hexdump(ours.payload)).toBe(hexdump(r.body));
      });
    }
  });

  describe("through the Node transport (kernel-shims/netlink-node.ts), in its own process inside the namespace", () => {
    const loaded = skipReason ? { error: "" } : loadNetlinkPackage();
    const why = "error" in loaded ? loaded.error : "";
    if (why) console.log(`netlink transport tests skipped: ${why} (add the npm package netlink)`);

    it.skipIf(!!why)("test/kernel/netns.inner.ts passes inside the namespace", async () => {
      const report = join(reportDir, "report.json");
      const root = resolve(import.meta.dirname, "../..");
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TINYPOOL|NODE_OPTIONS)/.test(k)) env[k] = v;
      env.PW_NETNS = nlNs;
      env.PW_NETNS_REPORT = report;
      const child = spawn(
        "ip",
        ["netns", "exec", nlNs, process.execPath, join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/kernel/vitest.netns.config.ts"],
        { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
      );
      inner = child;
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      const code = await new Promise<number | null>((res) => {
        const timer = setTimeout(() => {
          process.kill(-child.pid!, "SIGKILL");
          out += "\n[killed after 100 s]";
        }, 100_000);
        child.on("close", (c) => {
          clearTimeout(timer);
          res(c);
        });
      });
      if (existsSync(report)) console.log(`netns observations: ${readFileSync(report, "utf8")}`);
      expect(code, out).toBe(0);
      expect(out).not.toMatch(/\bskipped\b/);
    }, 120_000);
  });
});
