// The daemon with --kernel xfrm on this machine's kernel, which has XFRM but no ESP: every SA
// is refused with EPROTONOSUPPORT (../shared/DESIGN.md). Two Node daemons in two network
// namespaces (test/interop/lab.ts's veth pair), the one on XFRM in either role, the other on
// the memory kernel. No Child SA is established where the kernel refused it: whack --status
// and --trafficstatus show none, `ip xfrm state` and `ip xfrm policy` are empty, and the peer
// was told (a Delete of its SPI; as responder, TS_UNACCEPTABLE in the IKE_AUTH answer). Needs
// root; skips, saying why, otherwise. Every namespace and process is removed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import { PLUTO } from "../interop/lab.ts";
import { labConf, labSecrets } from "../interop/lab-conf.ts";
import { DenoLab, type Side } from "../deno/netns-lab.ts";
import { daemonPair, pairConf } from "./daemon-pair.ts";

function unavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root: the test needs network namespaces";
  if (!existsSync(PLUTO)) return "dist/ is not built (npm run build)";
  if (spawnSync("ip", ["netns", "list"], { stdio: "ignore" }).status !== 0) return "ip netns does not work here";
  return null;
}
const why = unavailable();
if (why) console.log(`XFRM daemon tests skipped: ${why}`);

const PSK = "a secret for the xfrm namespaces";
const secrets = labSecrets(PSK);
// AES-CBC with HMAC-SHA2: this kernel refuses the SA with EPROTONOSUPPORT (AES-GCM: ENOSYS)
const conf = (lab: DenoLab, me: string) => labConf({ listen: me, west: lab.wAddr, east: lab.eAddr, ike: "aes256-sha2_256;dh19", esp: "aes256-sha2_256" });

let lab: DenoLab | null = null;
afterEach(() => {
  lab?.down();
  lab = null;
});

// What the XFRM side says and holds: an established IKE SA, no Child SA anywhere.
function nothingInstalled(l: DenoLab, side: Side): void {
  const status = l.whackAt(side, "--status").out;
  expect(status).toMatch(/ESTABLISHED_IKE_SA/);
  expect(status).not.toMatch(/ESTABLISHED_CHILD_SA/);
  expect(status).not.toMatch(/kernel: #\d+ ESP SA/);
  expect(status).not.toMatch(/kernel: policy/);
  expect(l.whackAt(side, "--trafficstatus").out.trim()).toBe("");
  const json = JSON.parse(l.whackAt(side, "--showstates", "--json").out) as { states: { children: { state: string }[] }[] };
  expect(json.states.flatMap((s) => s.children).filter((c) => c.state === "ESTABLISHED_CHILD_SA")).toEqual([]);
  expect(l.xfrmAt(side, "state")).toBe("");
  expect(l.xfrmAt(side, "policy")).toBe("");
}

describe.skipIf(why !== null)("--kernel xfrm on a kernel without ESP: no Child SA where the kernel refused it", () => {
  test("initiator on XFRM: the refused Child SA is not established, the peer gets a Delete of its SPI, and neither side shows one", async () => {
    lab = new DenoLab("kxi");
    lab.up();
    await lab.node("e", conf(lab, lab.eAddr), secrets);
    await lab.node("w", conf(lab, lab.wAddr), secrets, "xfrm");
    expect(lab.whackAt("w", "--up", "--name", "lab", "--asynchronous").code).toBe(0);
    await lab.wait("the refusal", () => /the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\): not established; deleting it with the peer/.test(lab!.logs.w));
    expect(lab.logs.w).toMatch(/kernel refused the inbound SA 0x[0-9a-f]+: XFRM_MSG_NEWSA: EPROTONOSUPPORT/);
    const spi = /deleting it with the peer \(ESP SPI 0x([0-9a-f]+)\)/.exec(lab.logs.w)![1];
    await lab.wait("the peer told", () => /deleted Child SA \(deleted by the peer\)/.test(lab!.logs.e));
    expect(lab.logs.w).toMatch(new RegExp(`deleting ESP SPI 0x${spi} `));
    nothingInstalled(lab, "w");
    // the peer holds no Child SA either, in its status or its (memory) kernel
    const east = lab.whackAt("e", "--status").out;
    expect(east).not.toMatch(/ESTABLISHED_CHILD_SA/);
    expect(east).not.toMatch(/kernel: #\d+ ESP SA/);
    expect(lab.whackAt("e", "--trafficstatus").out.trim()).toBe("");
    expect(lab.alive("w")).toBe(true);
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
  }, 60000);

  test("responder on XFRM: the Child SA is installed before the IKE_AUTH answer, which says TS_UNACCEPTABLE when the kernel refuses; neither side shows a Child SA", async () => {
    lab = new DenoLab("kxr");
    lab.up();
    await lab.node("e", conf(lab, lab.eAddr), secrets, "xfrm");
    await lab.node("w", conf(lab, lab.wAddr), secrets);
    expect(lab.whackAt("w", "--up", "--name", "lab", "--asynchronous").code).toBe(0);
    await lab.wait("the initiator told", () => /no Child SA: the responder answered with TS_UNACCEPTABLE/.test(lab!.logs.w));
    expect(lab.logs.e).toMatch(/the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\): answering IKE_AUTH with TS_UNACCEPTABLE/);
    // the refusal came before the answer: the IKE SA was established after it
    expect(lab.logs.e.indexOf("answering IKE_AUTH with TS_UNACCEPTABLE")).toBeLessThan(lab.logs.e.indexOf("established IKE SA"));
    nothingInstalled(lab, "e");
    expect(lab.whackAt("w", "--trafficstatus").out.trim()).toBe("");
    expect(lab.alive("e")).toBe(true);
    expect(lab.whackAt("w", "--down", "--name", "lab").code).toBe(0);
    await lab.wait("both forget", () => lab!.statesAt("w").length === 0 && lab!.statesAt("e").length === 0);
  }, 60000);
});

// The same with the memory kernel told to refuse (two daemons in one process, no namespaces).
describe("the memory kernel refusing SAs, as this machine's kernel does", () => {
  const secrets = `@west.test @east.test : PSK "a secret for the refusing memory kernel"\n`;
  const up = () => daemonPair({ west: pairConf("west", "start"), east: pairConf("east", "add") }, secrets);

  for (const refuser of ["west", "east"] as const) {
    test(`${refuser} (${refuser === "west" ? "initiator" : "responder"}) refuses: no Child SA in its status, traffic status or kernel, nor in the peer's`, async () => {
      const { daemons, kernels, logs, settle, advance } = up();
      kernels[refuser].refuseSa = "EPROTONOSUPPORT";
      await daemons.east.start();
      await daemons.west.start();
      await settle();
      const said = logs[refuser].join("\n");
      expect(said).toMatch(refuser === "west" ? /the kernel refused the Child SA \(inbound SA 0x[0-9a-f]+: EPROTONOSUPPORT\): not established; deleting it with the peer/ : /answering IKE_AUTH with TS_UNACCEPTABLE/);
      expect(logs[refuser === "west" ? "east" : "west"].join("\n")).toMatch(refuser === "west" ? /deleted Child SA \(deleted by the peer\)/ : /no Child SA: the responder answered with TS_UNACCEPTABLE/);
      for (const me of ["west", "east"] as const) {
        const status = await daemons[me].whack({ cmd: "status" });
        expect(status.ok).toBe(true);
        const text = (status as { text: string }).text;
        expect(text, me).toMatch(/ESTABLISHED_IKE_SA/);
        expect(text, me).not.toMatch(/ESTABLISHED_CHILD_SA|kernel: #\d+ ESP SA|kernel: policy/);
        expect(((await daemons[me].whack({ cmd: "trafficstatus" })) as { text: string }).text.trim(), me).toBe("");
        expect(kernels[me].xfrm.sas.size, me).toBe(0);
        expect(kernels[me].xfrm.policies.size, me).toBe(0);
      }
      // west's kernel takes SAs again: the connection, supposed to be up, gets its Child SA
      // from revival's next CREATE_CHILD_SA (its waits grow by 5 s per attempt)
      if (refuser === "west") {
        kernels.west.refuseSa = undefined;
        await advance(30_000);
        const est = daemons.west.engine.status(1).ike.flatMap((x) => x.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA"));
        expect(est, logs.west.join("\n")).toHaveLength(1);
        expect(kernels.west.xfrm.sas.size).toBe(2);
        expect(kernels.east.xfrm.sas.size).toBe(2);
      }
    });
  }
});
