// The Deno pluto in network namespaces (veth pair, test/interop/lab.ts): with the Node pluto in
// both roles, the Deno side on the XFRM kernel interface (FFI to libc), and against strongSwan.
// This kernel has no ESP: the SAs are refused (EPROTONOSUPPORT for AES-CBC+HMAC, ENOSYS for
// AES-GCM), which proves the FFI path's messages well-formed; the daemon logs it, establishes
// no Child SA (as initiator it deletes it with the peer, as responder it answers
// TS_UNACCEPTABLE), leaves nothing in the kernel, and goes on. Needs root; skips, saying why,
// otherwise. Every namespace and process is removed.
import { afterEach, describe, expect, test } from "vitest";
import { parseListSas } from "../interop/lab.ts";
import { labConf, labSecrets, ssConf } from "../interop/lab-conf.ts";
import { DenoLab, netnsUnavailable, strongswanUnavailable, type Side } from "./netns-lab.ts";

const why = netnsUnavailable();
if (why) console.log(`Deno namespace tests skipped: ${why}`);
const whySs = why ? null : strongswanUnavailable();
if (whySs) console.log(`Deno-strongSwan test skipped: ${whySs}`);

const PSK = "a namespace secret for deno";
const secrets = labSecrets(PSK);
const conf = (listen: string, lab: DenoLab, ike: string, esp: string) => labConf({ listen, west: lab.wAddr, east: lab.eAddr, ike, esp });
const hex = (s: string, n: number) => s.padStart(n, "0");

// Both daemons show one IKE SA and one Child SA, established, with the same SPIs (crossed for
// the Child SA) and the same algorithms.
function agree(lab: DenoLab): boolean {
  const [a, b] = (["w", "e"] as Side[]).map((s) => lab.statesAt(s).filter((x) => x.state === "ESTABLISHED_IKE_SA"));
  if (a.length !== 1 || b.length !== 1) return false;
  const [x, y] = [a[0], b[0]];
  if (x.spiI !== y.spiI || x.spiR !== y.spiR || x.initiator === y.initiator) return false;
  if (x.encr !== y.encr || x.keyBits !== y.keyBits || x.prf !== y.prf || x.integ !== y.integ || x.dh !== y.dh) return false;
  const [cx, cy] = [x.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"), y.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA")];
  if (cx.length !== 1 || cy.length !== 1) return false;
  return cx[0].spiIn === cy[0].spiOut && cx[0].spiOut === cy[0].spiIn && cx[0].encr === cy[0].encr && cx[0].integ === cy[0].integ;
}

// Both daemons show one IKE SA, established, with the same SPIs and algorithms, and no
// established Child SA.
function ikeAgree(lab: DenoLab): boolean {
  const [a, b] = (["w", "e"] as Side[]).map((s) => lab.statesAt(s).filter((x) => x.state === "ESTABLISHED_IKE_SA"));
  if (a.length !== 1 || b.length !== 1) return false;
  const [x, y] = [a[0], b[0]];
  if (x.spiI !== y.spiI || x.spiR !== y.spiR || x.initiator === y.initiator || x.encr !== y.encr || x.prf !== y.prf || x.dh !== y.dh) return false;
  return [x, y].every((s) => !s.children.some((c) => c.state === "ESTABLISHED_CHILD_SA"));
}

let lab: DenoLab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

describe.skipIf(why !== null)("the Deno pluto in network namespaces", () => {
  test("Deno (west, --kernel xfrm) initiates, Node (east) responds: AES-CBC+HMAC, the SA refused with EPROTONOSUPPORT, no Child SA established, the peer told; down", async () => {
    lab = new DenoLab("dx");
    lab.up();
    await lab.node("e", conf(lab.eAddr, lab, "aes256-sha2_256;modp2048", "aes256-sha2_256"), secrets);
    await lab.deno("w", conf(lab.wAddr, lab, "aes256-sha2_256;modp2048", "aes256-sha2_256"), secrets, "xfrm");
    expect(lab.logs.w).toMatch(/pluto \d+ starting \(kernel: xfrm, helpers: pool\)/);
    expect(lab.logs.w).not.toMatch(/needs --allow/);
    expect(lab.whackAt("w", "--up", "--name", "lab", "--asynchronous").code).toBe(0);
    await lab.wait("the kernel's refusal logged", () => /kernel refused the inbound SA 0x[0-9a-f]+: .*EPROTONOSUPPORT/.test(lab!.logs.w));
    await lab.wait("the Child SA deleted with the peer", () => /the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\): not established; deleting it with the peer/.test(lab!.logs.w) && /deleted Child SA \(deleted by the peer\)/.test(lab!.logs.e));
    await lab.wait("both sides agree on the IKE SA", () => ikeAgree(lab!));
    expect(lab.statesAt("w")[0]).toMatchObject({ initiator: true, encr: 12, keyBits: 256, prf: 5, integ: 12, dh: 14 });
    // nothing in west's kernel: the SA refused, so no policy either
    expect(lab.xfrmAt("w", "state")).toBe("");
    expect(lab.xfrmAt("w", "policy")).toBe("");
    expect(lab.whackAt("w", "--trafficstatus").out.trim()).toBe("");
    // and the daemon goes on: it answers whack, it is still running
    expect(lab.whackAt("w", "--status").out).toMatch(/using kernel interface: xfrm/);
    expect(lab.alive("w")).toBe(true);
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
    expect(lab.alive("w")).toBe(true);
  });

  test("Node (west) initiates, Deno (east, --kernel xfrm) responds: AES-GCM, the SA refused with ENOSYS, answered TS_UNACCEPTABLE; Node deletes, SIGTERM stops the Deno daemon cleanly", async () => {
    lab = new DenoLab("dy");
    lab.up();
    await lab.deno("e", conf(lab.eAddr, lab, "aes_gcm256-sha2_256;dh31", "aes_gcm256"), secrets, "xfrm");
    await lab.node("w", conf(lab.wAddr, lab, "aes_gcm256-sha2_256;dh31", "aes_gcm256"), secrets);
    expect(lab.whackAt("w", "--up", "--name", "lab", "--asynchronous").code).toBe(0);
    await lab.wait("the initiator told", () => /no Child SA: the responder answered with TS_UNACCEPTABLE/.test(lab!.logs.w));
    expect(lab.logs.e).toMatch(/the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: ENOSYS\): answering IKE_AUTH with TS_UNACCEPTABLE/);
    await lab.wait("both sides agree on the IKE SA", () => ikeAgree(lab!));
    expect(lab.statesAt("e")[0]).toMatchObject({ initiator: false, encr: 20, keyBits: 256, prf: 5, dh: 31 });
    expect(lab.whackAt("e", "--status").out).toMatch(/ESTABLISHED_IKE_SA \(responder\)/);
    expect(lab.xfrmAt("e", "state")).toBe("");
    expect(lab.xfrmAt("e", "policy")).toBe("");
    expect(lab.alive("e")).toBe(true);
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
    // SIGTERM: the Deno daemon stops by itself and leaves nothing in the kernel
    lab.daemons.e!.kill("SIGTERM");
    await lab.wait("the Deno daemon to stop", () => !lab!.alive("e"), 10000);
    expect(lab.logs.e).toMatch(/pluto: stopped/);
    expect(lab.xfrmAt("e", "policy")).toBe("");
  });

  test("Deno (east, memory kernel) initiates, Node (west) responds, IPv4 over the veth: up, rekeys, down", async () => {
    lab = new DenoLab("dz");
    lab.up();
    await lab.node("w", conf(lab.wAddr, lab, "aes_gcm256-sha2_512;dh21", "aes256-sha2_256"), secrets);
    await lab.deno("e", conf(lab.eAddr, lab, "aes_gcm256-sha2_512;dh21", "aes256-sha2_256"), secrets);
    expect(lab.whackAt("e", "--up", "--name", "lab").code).toBe(0);
    await lab.wait("both sides agree", () => agree(lab!));
    expect(lab.statesAt("e")[0]).toMatchObject({ initiator: true, encr: 20, dh: 21 });
    const ike = lab.statesAt("e")[0].spiI;
    expect(lab.whackAt("e", "--rekey-child", "--name", "lab").code).toBe(0);
    await lab.wait("a Child SA rekey from Deno", () => /rekeying Child SA/.test(lab!.logs.e) && agree(lab!));
    expect(lab.whackAt("e", "--rekey-ike", "--name", "lab").code).toBe(0);
    await lab.wait("an IKE SA rekey from Deno", () => agree(lab!) && lab!.statesAt("e")[0].spiI !== ike);
    expect(lab.whackAt("e", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
  });
});

// strongSwan's charon (kernel-libipsec) in east, the Deno pluto in west.
describe.skipIf(why !== null || whySs !== null)("the Deno pluto with strongSwan in a namespace", () => {
  test("Deno initiates (--kernel xfrm): x25519 + AES-GCM-256, both sides agree on SPIs and algorithms of the IKE SA; the Child SA the kernel refused (ENOSYS) is deleted with charon; down", async () => {
    lab = new DenoLab("ds");
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16-x25519", lts: "198.51.100.128/25", rts: "198.51.100.0/25", psk: PSK }));
    await lab.deno("w", conf(lab.wAddr, lab, "aes_gcm256-sha2_256;dh31", "aes_gcm256"), secrets, "xfrm");
    expect(lab.whackAt("w", "--up", "--name", "lab", "--asynchronous").code).toBe(0);
    await lab.wait("the kernel's refusal logged", () => /kernel refused the inbound SA 0x[0-9a-f]+: .*ENOSYS/.test(lab!.logs.w));
    await lab.wait("charon told", () => /received DELETE for ESP CHILD_SA with SPI/.test(lab!.charonLog()));
    const same = () => {
      const ours = lab!.statesAt("w").filter((s) => s.state === "ESTABLISHED_IKE_SA");
      const theirs = parseListSas(lab!.swanctl("--list-sas"));
      if (ours.length !== 1 || theirs.ike.length !== 1 || theirs.ike[0].state !== "ESTABLISHED") return false;
      return hex(ours[0].spiI, 16) === theirs.ike[0].spiI && hex(ours[0].spiR, 16) === theirs.ike[0].spiR;
    };
    await lab.wait("both sides agree", same);
    expect(lab.statesAt("w")[0]).toMatchObject({ initiator: true, encr: 20, keyBits: 256, prf: 5, dh: 31 });
    expect(lab.statesAt("w")[0].children.filter((c) => c.state === "ESTABLISHED_CHILD_SA")).toEqual([]);
    const theirs = parseListSas(lab.swanctl("--list-sas"));
    expect(theirs.ike[0].algs).toBe("AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519");
    expect(lab.xfrmAt("w", "state")).toBe("");
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("no SAs on either side", () => lab!.statesAt("w").length === 0 && parseListSas(lab!.swanctl("--list-sas")).ike.length === 0);
    await lab.wait("our policies removed", () => lab!.xfrmAt("w", "policy") === "");
    expect(lab.alive("w")).toBe(true);
  });
});
