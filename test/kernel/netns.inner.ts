// The Node XFRM transport against the real kernel. Not collected by the main vitest run: the
// outer test (netns.test.ts) runs this file in its own process inside a fresh network namespace
// (PW_NETNS names it), so everything done here vanishes with the namespace. Observations go to
// PW_NETNS_REPORT as JSON for the outer test to print.
//
// This kernel has XFRM but no ESP: NEWSA is parsed and validated, then refused with
// EPROTONOSUPPORT ("Requested type not found") when the ESP type is looked up; an algorithm the
// kernel's crypto API lacks is refused earlier, with ENOSYS.

import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelError, type AcquireEvent, type ExpireEvent, type KernelEvent, type PolicySpec, type SaSpec } from "../../kernel-shims/kernel.ts";
import { openNodeXfrmKernel } from "../../kernel-shims/netlink-node.ts";
import type { XfrmKernel } from "../../kernel-shims/xfrm-kernel.ts";

const ns = process.env.PW_NETNS;
const observations: Record<string, unknown> = {};

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", timeout: 10_000 });
}

/** `ip xfrm ...` output with trailing blanks removed, for exact comparison. */
function ipx(...args: string[]): string {
  return ip("xfrm", ...args)
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trim();
}

async function waitFor<T>(what: string, f: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function refusal(p: Promise<unknown>): Promise<KernelError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
  throw new Error("the kernel accepted it");
}

const bytes = (n: number, from = 1) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

const outPolicy: PolicySpec = {
  selector: { src: "10.1.0.0/16", dst: "10.2.0.0/16" },
  dir: "out",
  priority: 1000,
  templates: [{ src: "10.0.0.1", dst: "10.0.0.2", mode: "tunnel", reqid: 7 }],
};

const cbcSa: SaSpec = {
  src: "10.0.0.2",
  dst: "10.0.0.1",
  spi: 0xc1000001,
  reqid: 7,
  mode: "tunnel",
  encr: { id: 12, key: bytes(16) },
  integ: { id: 12, key: bytes(32) },
  replayWindow: 32,
};

describe.skipIf(!ns)(`XFRM through netlink-node.ts in namespace ${ns}`, () => {
  let kernel: XfrmKernel;
  const events: KernelEvent[] = [];

  beforeAll(() => {
    // A veth pair with a route, so that traffic to 10.2.0.0/16 leaves through an interface and
    // meets the output policy; larval SAs expire after 2 s instead of 30.
    ip("link", "add", "pwv0", "type", "veth", "peer", "name", "pwv1");
    ip("link", "set", "pwv0", "up");
    ip("link", "set", "pwv1", "up");
    ip("addr", "add", "10.1.0.1/16", "dev", "pwv0");
    ip("route", "add", "10.2.0.0/16", "dev", "pwv0");
    writeFileSync("/proc/sys/net/core/xfrm_acq_expires", "2");
    kernel = openNodeXfrmKernel({ timeoutMs: 3000 });
    kernel.onEvent((e) => events.push(e));
  });

  afterAll(async () => {
    await kernel?.close();
    if (process.env.PW_NETNS_REPORT) writeFileSync(process.env.PW_NETNS_REPORT, JSON.stringify(observations, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  });

  it("NEWPOLICY succeeds and `ip xfrm policy` shows exactly that policy; again: EEXIST", async () => {
    await kernel.addPolicy(outPolicy);
    expect(ipx("policy")).toBe(
      [
        "src 10.1.0.0/16 dst 10.2.0.0/16",
        "\tdir out priority 1000 ptype main",
        "\ttmpl src 10.0.0.1 dst 10.0.0.2",
        "\t\tproto esp reqid 7 mode tunnel",
      ].join("\n"),
    );
    const e = await refusal(kernel.addPolicy(outPolicy));
    expect(e.code).toBe("EEXIST");
    expect(kernel.outstanding).toBe(0);
  });

  it("NEWSA (AES-CBC + HMAC-SHA2-256) reaches the ESP type lookup: EPROTONOSUPPORT", async () => {
    const e = await refusal(kernel.addSa(cbcSa));
    observations.newsaCbc = `${e.code} (${e.detail ?? "no extended-ack text"})`;
    expect(e.code).toBe("EPROTONOSUPPORT");
    expect(ipx("state")).toBe("");
  });

  it("NEWSA with AES-GCM: refused (ENOSYS where the crypto API lacks gcm, else EPROTONOSUPPORT)", async () => {
    const e = await refusal(kernel.addSa({ ...cbcSa, spi: 0xc1000002, encr: { id: 20, key: bytes(36) }, integ: undefined } as SaSpec));
    observations.newsaGcm = `${e.code} (${e.detail ?? "no extended-ack text"})`;
    expect(["ENOSYS", "EPROTONOSUPPORT"]).toContain(e.code);
  });

  it("ALLOCSPI gives an SPI in range; GETSA reads its zero counters; UPDSA on it meets EPROTONOSUPPORT; DELSA; again ESRCH", async () => {
    const spi = await kernel.allocSpi({ src: "10.0.0.2", dst: "10.0.0.1", reqid: 7, mode: "tunnel", min: 0xc2000000, max: 0xc2ffffff });
    expect(spi).toBeGreaterThanOrEqual(0xc2000000);
    expect(spi).toBeLessThanOrEqual(0xc2ffffff);
    expect(ipx("state")).toContain(`proto esp spi 0x${spi.toString(16).padStart(8, "0")} reqid 7 mode tunnel`);
    const id = { src: "10.0.0.2", dst: "10.0.0.1", spi };
    const c = await kernel.getSaCounters(id);
    expect(c.bytes).toBe(0n);
    expect(c.packets).toBe(0n);
    expect(c.addTime).toBeGreaterThan(0n);
    observations.allocSpi = `0x${spi.toString(16)}`;
    observations.updsaOnAllocated = (await refusal(kernel.updateSa({ ...cbcSa, spi }))).code;
    await kernel.deleteSa(id);
    expect(ipx("state")).toBe("");
    expect((await refusal(kernel.deleteSa(id))).code).toBe("ESRCH");
    expect((await refusal(kernel.getSaCounters(id))).code).toBe("ESRCH");
  });

  it("EXPIRE: a larval SA from ALLOCSPI expires (hard) after xfrm_acq_expires and the event is decoded", async () => {
    const spi = await kernel.allocSpi({ src: "10.0.0.2", dst: "10.0.0.3", reqid: 5, min: 0xc3000000, max: 0xc3ffffff });
    const ev = await waitFor(
      "XFRM_MSG_EXPIRE",
      () => events.find((e): e is ExpireEvent => e.kind === "expire" && e.spi === spi),
      8000,
    );
    observations.expire = ev;
    expect(ev).toMatchObject({ hard: true, src: "10.0.0.2", dst: "10.0.0.3", proto: "esp", reqid: 5 });
    expect(kernel.ours.sas.size).toBe(0);
  });

  it("ACQUIRE: a packet matching the output policy with no SA makes the kernel ask for one", async () => {
    const sock = createSocket("udp4");
    try {
      await new Promise<void>((res) => sock.send("x", 9, "10.2.0.5", () => res()));
    } finally {
      sock.close();
    }
    const ev = await waitFor("XFRM_MSG_ACQUIRE", () => events.find((e): e is AcquireEvent => e.kind === "acquire"), 5000).catch(
      (e: Error) => e,
    );
    observations.acquire = ev instanceof Error ? `none: ${ev.message}` : ev;
    if (ev instanceof Error) throw ev;
    expect(ev).toMatchObject({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "esp",
      selector: { src: "10.1.0.1", dst: "10.2.0.5", proto: 17, dport: 9 },
      policy: { dir: "out", priority: 1000, selector: outPolicy.selector, templates: outPolicy.templates },
    });
  });

  it("flushOurs deletes our policy and SPIs and leaves a policy someone else added", async () => {
    ip("xfrm", "policy", "add", "src", "10.5.0.0/16", "dst", "10.6.0.0/16", "dir", "in");
    const spi = await kernel.allocSpi({ src: "10.0.0.2", dst: "10.0.0.1", min: 0xc4000000, max: 0xc4ffffff });
    await kernel.flushOurs();
    expect(ipx("policy")).toBe(["src 10.5.0.0/16 dst 10.6.0.0/16", "\tdir in priority 0 ptype main"].join("\n"));
    expect(ipx("state")).not.toContain(`spi 0x${spi.toString(16)}`);
    expect(kernel.ours.policies.size + kernel.ours.sas.size).toBe(0);
  });

  it("DELPOLICY of a missing policy: ENOENT; UPDPOLICY creates, DELPOLICY removes", async () => {
    expect((await refusal(kernel.deletePolicy(outPolicy))).code).toBe("ENOENT");
    await kernel.addPolicy({ ...outPolicy, priority: 5 }, { update: true });
    expect(ipx("policy")).toContain("dir out priority 5 ptype main");
    await kernel.deletePolicy(outPolicy);
    expect(ipx("policy")).not.toContain("dir out");
    expect(kernel.outstanding).toBe(0);
  });
});

// When run without a namespace (someone ran this config by hand), say why nothing ran.
if (!ns) console.log("netns.inner.ts: PW_NETNS not set; run test/kernel/netns.test.ts instead");
