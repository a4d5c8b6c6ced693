import { describe, expect, test } from "vitest";
import { pair } from "./sim.ts";

describe("IKEv2 between two cores", () => {
  test("IKE_SA_INIT and IKE_AUTH establish an IKE SA and a Child SA with the same keys", () => {
    const { sim, w, e } = pair(1);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(5000);
    const ws = w.status(true);
    const es = e.status(true);
    if (ws.ike[0]?.state !== "ESTABLISHED_IKE_SA") console.log(w.logs.join("\n"), "\n---\n", e.logs.join("\n"));
    expect(ws.ike).toHaveLength(1);
    expect(es.ike).toHaveLength(1);
    expect(ws.ike[0].state).toBe("ESTABLISHED_IKE_SA");
    expect(es.ike[0].state).toBe("ESTABLISHED_IKE_SA");
    expect(ws.ike[0].SK_d).toBe(es.ike[0].SK_d);
    expect(ws.ike[0].SK_ei).toBe(es.ike[0].SK_ei);
    expect(ws.ike[0].children).toHaveLength(1);
    const wc = ws.ike[0].children[0];
    const ec = es.ike[0].children[0];
    expect(wc.spiIn).toBe(ec.spiOut);
    expect(wc.encrOut).toBe(ec.encrIn);
    expect(wc.encrIn).toBe(ec.encrOut);
    console.log(w.logs.join("\n"), "\n---\n", e.logs.join("\n"));
  });
});

describe("IKE_SA_INIT notifies", () => {
  test("both sides announce SIGNATURE_HASH_ALGORITHMS (RFC 7427) with SHA2-256/384/512, and NAT detection", async () => {
    const { Wire } = await import("../../hosts/wire.ts");
    const { pair } = await import("./sim.ts");
    const { sim, w } = pair(60);
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(2000);
    const wire = new Wire(w.engine.core);
    const inits = sim.packets.filter((p) => p.bytes[18] === 34).map((p) => wire.decode(p.bytes));
    expect(inits).toHaveLength(2);
    for (const d of inits) {
      if (!d.ok) throw new Error(d.error.message);
      const n = d.msg.children.filter((c) => c.ptype === 41).map((c) => [c.f[2], Array.from(c.b ?? [])]);
      expect(n).toContainEqual([16431, [0, 2, 0, 3, 0, 4]]);
      expect(n.map((x) => x[0])).toEqual(expect.arrayContaining([16388, 16389]));
    }
  });
});

describe("--debug all: each message's payloads and the chosen proposals", () => {
  test("with debugging on, every message sent and received is listed by its payloads; off, none is", () => {
    for (const on of [true, false]) {
      const p = pair(71);
      p.w.engine.setDebug(on);
      p.e.engine.setDebug(on);
      p.sim.act(p.w, (x) => x.initiate(p.sim.now, "west-east"));
      p.sim.run(p.sim.now + 2000);
      const w = p.w.logs.join("\n");
      const e = p.e.logs.join("\n");
      if (!on) {
        expect(w).not.toMatch(/sending IKE_SA_INIT|SK\{/);
        continue;
      }
      expect(w).toMatch(/"west-east" #1: sending IKE_SA_INIT request 0: SA,KE,Ni,N\(NAT_DETECTION_SOURCE_IP\),N\(NAT_DETECTION_DESTINATION_IP\)/);
      expect(e).toMatch(/received IKE_SA_INIT request 0 from 192\.0\.2\.1:500: SA,KE,Ni,N\(NAT_DETECTION_SOURCE_IP\)/);
      expect(e).toMatch(/"west-east": proposal 1:IKE=AES_GCM_16_256-HMAC_SHA2_256-CURVE25519 chosen from remote proposals 1:IKE=AES_GCM_16_256-HMAC_SHA2_256-CURVE25519/);
      expect(w).toMatch(/"west-east" #1: sending IKE_AUTH request 1: SK\{IDi,N\(INITIAL_CONTACT\),IDr,AUTH,SA,TSi,TSr/);
      expect(e).toMatch(/"west-east" #1: received IKE_AUTH request 1: SK\{IDi,N\(INITIAL_CONTACT\),IDr,AUTH,SA,TSi,TSr/);
      expect(e).toMatch(/"west-east" #2: proposal 1:ESP=AES_GCM_16_256-NO_ESN chosen from remote proposals 1:ESP=AES_GCM_16_256-NO_ESN/);
      expect(w).toMatch(/"west-east" #1: received IKE_AUTH response 1: SK\{IDr,AUTH,SA,TSi,TSr\}/);
    }
  });
});
