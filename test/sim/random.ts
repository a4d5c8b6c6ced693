// Random fault schedules for the simulator: a seed picks the network's faults, the suite, the
// timers and a sequence of operations from both sides; after the network heals, the two sides
// must agree (check.ts), and after a delete nothing may be left.
import * as abi from "../../core/abi.ts";
import { Rng, pair, pairConn, type Node } from "./sim.ts";
import { consistency, empty, established } from "./check.ts";

const SUITES = [
  { ike: [{ encr: [[20, 256]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 256]], esn: [0] }] },
  { ike: [{ encr: [[12, 256]], prf: [5], integ: [12], dh: [19] }], esp: [{ encr: [[12, 256]], integ: [12], esn: [0] }] },
  { ike: [{ encr: [[28, 0]], prf: [7], dh: [31] }], esp: [{ encr: [[28, 0]], esn: [0] }] },
  { ike: [{ encr: [[12, 128]], prf: [2], integ: [2], dh: [19, 31] }], esp: [{ encr: [[12, 128]], integ: [2], esn: [0], dh: [19] }], pfs: true },
];

export interface Outcome {
  seed: number;
  failures: string[];
  events: number;
}

export function scenario(seed: number): Outcome {
  return scenarioWithLogs(seed).outcome;
}

export function scenarioWithLogs(seed: number): { outcome: Outcome; logs: string } {
  const r = new Rng(seed * 7919 + 17);
  const faults = { loss: r.float() * 0.25, dup: r.float() * 0.25, delayMin: 1, delayMax: 1 + r.int(0, 200) };
  const suite = SUITES[r.int(0, SUITES.length - 1)];
  const lifetimes = r.float() < 0.3;
  const timers = { dpdDelay: 15, retransmitLimit: 8, ...(lifetimes ? { ikeLifetime: 90, childLifetime: 50, rekeyMargin: 15, rekeyFuzz: 100 } : {}) };
  const frag = r.float() < 0.2 ? { fragmentation: true, fragSize: 576 } : {};
  const spec = { ...suite, timers, ...frag } as never;
  const { sim, w, e } = pair(seed, faults, spec, spec);
  const failures: string[] = [];
  const nodes = [w, e];
  const pick = (): Node => nodes[r.int(0, 1)];
  try {
    sim.act(w, (x) => x.initiate(sim.now, "west-east"));
    sim.run(sim.now + r.int(50, 3000));
    const ops = r.int(0, 8);
    for (let i = 0; i < ops; i++) {
      const n = pick();
      const ike = established(n)[0];
      if (ike) {
        const child = ike.children.find((c) => c.state === "ESTABLISHED_CHILD_SA");
        const op = r.int(0, 4);
        if (op === 0 && child) n.engine.saOp(sim.now, abi.SAOP_REKEY_CHILD, child.serial);
        else if (op === 1) n.engine.saOp(sim.now, abi.SAOP_REKEY_IKE, ike.serial);
        else if (op === 2) n.engine.saOp(sim.now, abi.SAOP_LIVENESS, ike.serial);
        else if (op === 3 && child) n.engine.saOp(sim.now, abi.SAOP_DELETE_CHILD, child.serial);
        else if (op === 4) {
          // both sides at once: a collision
          const o = n === w ? e : w;
          const oi = established(o)[0];
          if (oi) {
            n.engine.saOp(sim.now, abi.SAOP_REKEY_IKE, ike.serial);
            o.engine.saOp(sim.now, abi.SAOP_REKEY_IKE, oi.serial);
            sim.rearm(o);
          }
        }
        sim.rearm(n);
      }
      sim.run(sim.now + r.int(0, lifetimes ? 40_000 : 3000));
    }
    // heal the network and let retransmissions, liveness checks and lifetimes settle
    sim.faults = { loss: 0, dup: 0, delayMin: 1, delayMax: 20 };
    sim.run(sim.now + 600_000);
    // compare at rest: an exchange in flight at this instant (a lifetime rekey, say) has been
    // seen by one side and not yet by the other; let it finish (bounded) before looking
    const busy = (x: typeof w) => x.status().ike.some((s) => s.state !== "ESTABLISHED_IKE_SA" || s.outstanding || s.children.some((c) => c.state !== "ESTABLISHED_CHILD_SA"));
    for (let i = 0; i < 200 && (busy(w) || busy(e)); i++) sim.run(sim.now + 50);
    failures.push(...consistency(sim, w, e), ...consistency(sim, e, w));
    // then a delete from one side must leave nothing anywhere
    const n = pick();
    if (established(n).length) n.engine.terminate(sim.now, "west-east");
    const o = n === w ? e : w;
    if (established(o).length && !established(n).length) o.engine.terminate(sim.now, "west-east");
    sim.rearm(w);
    sim.rearm(e);
    sim.run(sim.now + 600_000);
    failures.push(...empty(w), ...empty(e));
  } catch (err) {
    failures.push(String((err as Error).stack ?? err));
  }
  void pairConn;
  const logs = nodes.map((x) => `== ${x.name}\n${x.logs.join("\n")}`).join("\n");
  return { outcome: { seed, failures, events: sim.packets.length }, logs };
}
