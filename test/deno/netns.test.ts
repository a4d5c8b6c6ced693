// The Deno pluto in network namespaces (veth pair, test/interop/lab.ts): with the Node pluto in
// both roles, the Deno side on the XFRM kernel interface (FFI to libc), and against strongSwan.
// This kernel has no ESP: the policies go in (seen with `ip -n NS xfrm policy`), the SAs are
// refused (EPROTONOSUPPORT for AES-CBC+HMAC, ENOSYS for AES-GCM), which the daemon logs and
// survives. Needs root; skips, saying why, otherwise. Every namespace and process is removed.
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

let lab: DenoLab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

describe.skipIf(why !== null)("the Deno pluto in network namespaces", () => {
  test("Deno (west, --kernel xfrm) initiates, Node (east) responds: AES-CBC+HMAC policies in the kernel, the SA refused with EPROTONOSUPPORT, down", async () => {
    lab = new DenoLab("dx");
    lab.up();
    await lab.node("e", conf(lab.eAddr, lab, "aes256-sha2_256;modp2048", "aes256-sha2_256"), secrets);
    await lab.deno("w", conf(lab.wAddr, lab, "aes256-sha2_256;modp2048", "aes256-sha2_256"), secrets, "xfrm");
    expect(lab.logs.w).toMatch(/pluto \d+ starting \(kernel: xfrm, helpers: pool\)/);
    expect(lab.logs.w).not.toMatch(/needs --allow/);
    expect(lab.whackAt("w", "--up", "--name", "lab").code).toBe(0);
    await lab.wait("both sides agree", () => agree(lab!));
    const st = lab.statesAt("w")[0];
    expect(st).toMatchObject({ initiator: true, encr: 12, keyBits: 256, prf: 5, integ: 12, dh: 14 });
    expect(st.children[0]).toMatchObject({ encr: 12, keyBits: 256, integ: 12 });
    // the policies, out/in/fwd, in west's kernel; none in east's (memory kernel there)
    await lab.wait("our policies in the kernel", () => /src 198\.51\.100\.0\/25 dst 198\.51\.100\.128\/25\s+dir out/.test(lab!.xfrmAt("w", "policy")));
    const pol = lab.xfrmAt("w", "policy");
    expect(pol).toMatch(/src 198\.51\.100\.128\/25 dst 198\.51\.100\.0\/25\s+dir in/);
    expect(pol).toMatch(/src 198\.51\.100\.128\/25 dst 198\.51\.100\.0\/25\s+dir fwd/);
    expect(pol).toMatch(new RegExp(`tmpl src ${lab.wAddr.replace(/\./g, "\\.")} dst ${lab.eAddr.replace(/\./g, "\\.")}\\s+proto esp reqid \\d+ mode tunnel`));
    expect(lab.xfrmAt("e", "policy")).toBe("");
    // the kernel's refusal of both SAs is logged, with the SPIs both sides agree on
    const spiIn = hex(st.children[0].spiIn, 8).replace(/^0+/, "");
    await lab.wait("the kernel's refusal logged", () => new RegExp(`kernel refused the inbound SA 0x${spiIn}: .*EPROTONOSUPPORT`).test(lab!.logs.w));
    expect(lab.logs.w).toMatch(/kernel refused the outbound SA 0x[0-9a-f]+: .*EPROTONOSUPPORT/);
    expect(lab.xfrmAt("w", "state")).toBe("");
    // and the daemon goes on: it answers whack, it is still running
    expect(lab.whackAt("w", "--status").out).toMatch(/using kernel interface: xfrm/);
    expect(lab.alive("w")).toBe(true);
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
    await lab.wait("our policies removed", () => lab!.xfrmAt("w", "policy") === "");
    expect(lab.alive("w")).toBe(true);
  });

  test("Node (west) initiates, Deno (east, --kernel xfrm) responds: AES-GCM, the SA refused with ENOSYS; Node deletes, SIGTERM stops the Deno daemon cleanly", async () => {
    lab = new DenoLab("dy");
    lab.up();
    await lab.deno("e", conf(lab.eAddr, lab, "aes_gcm256-sha2_256;dh31", "aes_gcm256"), secrets, "xfrm");
    await lab.node("w", conf(lab.wAddr, lab, "aes_gcm256-sha2_256;dh31", "aes_gcm256"), secrets);
    expect(lab.whackAt("w", "--up", "--name", "lab").code).toBe(0);
    await lab.wait("both sides agree", () => agree(lab!));
    expect(lab.statesAt("e")[0]).toMatchObject({ initiator: false, encr: 20, keyBits: 256, prf: 5, dh: 31 });
    await lab.wait("the responder's policies in its kernel", () => /src 198\.51\.100\.128\/25 dst 198\.51\.100\.0\/25\s+dir out/.test(lab!.xfrmAt("e", "policy")));
    await lab.wait("the kernel's refusal logged", () => /kernel refused the inbound SA 0x[0-9a-f]+: .*ENOSYS/.test(lab!.logs.e));
    expect(lab.whackAt("e", "--status").out).toMatch(/ESTABLISHED_IKE_SA \(responder\)/);
    // a Child SA rekey from Node: the Deno side tries the new SAs in its kernel (refused again)
    const before = lab.statesAt("e")[0].children[0].spiIn;
    expect(lab.whackAt("w", "--rekey-child", "--name", "lab").code).toBe(0);
    await lab.wait("the rekeyed Child SA on both sides", () => agree(lab!) && lab!.statesAt("e")[0].children[0].spiIn !== before);
    expect(lab.alive("e")).toBe(true);
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
    await lab.wait("the responder's policies removed", () => lab!.xfrmAt("e", "policy") === "");
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
  test("Deno initiates (--kernel xfrm): x25519 + AES-GCM-256, both sides agree on SPIs and algorithms, down", async () => {
    lab = new DenoLab("ds");
    lab.up();
    await lab.charon(ssConf({ local: lab.eAddr, remote: lab.wAddr, ike: "aes256gcm16-prfsha256-x25519", esp: "aes256gcm16-x25519", lts: "198.51.100.128/25", rts: "198.51.100.0/25", psk: PSK }));
    await lab.deno("w", conf(lab.wAddr, lab, "aes_gcm256-sha2_256;dh31", "aes_gcm256"), secrets, "xfrm");
    expect(lab.whackAt("w", "--up", "--name", "lab").code).toBe(0);
    const same = () => {
      const ours = lab!.statesAt("w").filter((s) => s.state === "ESTABLISHED_IKE_SA");
      const theirs = parseListSas(lab!.swanctl("--list-sas"));
      if (ours.length !== 1 || theirs.ike.length !== 1 || theirs.ike[0].state !== "ESTABLISHED") return false;
      if (hex(ours[0].spiI, 16) !== theirs.ike[0].spiI || hex(ours[0].spiR, 16) !== theirs.ike[0].spiR) return false;
      const oc = ours[0].children.filter((c) => c.state === "ESTABLISHED_CHILD_SA");
      const tc = theirs.child.filter((c) => c.state === "INSTALLED");
      return oc.length === 1 && tc.length === 1 && hex(oc[0].spiOut, 8) === tc[0].spiIn && hex(oc[0].spiIn, 8) === tc[0].spiOut;
    };
    await lab.wait("both sides agree", same);
    expect(lab.statesAt("w")[0]).toMatchObject({ initiator: true, encr: 20, keyBits: 256, prf: 5, dh: 31 });
    expect(lab.statesAt("w")[0].children[0]).toMatchObject({ encr: 20, keyBits: 256 });
    const theirs = parseListSas(lab.swanctl("--list-sas"));
    expect(theirs.ike[0].algs).toBe("AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519");
    expect(theirs.child[0].algs).toMatch(/^AES_GCM_16-256/);
    await lab.wait("our policies in the kernel", () => /dir out/.test(lab!.xfrmAt("w", "policy")));
    await lab.wait("the kernel's refusal logged", () => /kernel refused the inbound SA 0x[0-9a-f]+: .*ENOSYS/.test(lab!.logs.w));
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("no SAs on either side", () => lab!.statesAt("w").length === 0 && parseListSas(lab!.swanctl("--list-sas")).ike.length === 0);
    await lab.wait("our policies removed", () => lab!.xfrmAt("w", "policy") === "");
    expect(lab.alive("w")).toBe(true);
  });
});
