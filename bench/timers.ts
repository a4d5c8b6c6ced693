// `npm run bench -- timers`: what one timer event costs a core holding many established IKE
// SAs (each with a Child SA and liveness checks), against one holding 100: the deadline heap
// should make the ratio about 1 (a look at every SA would make it grow with their number).
import { Engine, type ConnSpec, type Endpoint, type SendCommand } from "../hosts/engine.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import { runJob } from "../hosts/crypto/jobs.ts";
import type { Emit } from "./util.ts";

const E: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
const te = new TextEncoder();

// east with n IKE SAs from west, one per connection (from 100 west addresses, so that setting
// them up does not also measure a search among n connections of one host pair); `sent` sees
// what east sends once they are up (test/hosts/pump.test.ts)
export function established(n: number, sent?: (c: SendCommand) => void): { east: Engine; now: number } {
  let up = false;
  let now = 1;
  const queue: (() => void)[] = [];
  const engines: Engine[] = [];
  const wests: Endpoint[] = [];
  for (let i = 0; i < 100; i++) wests.push({ family: 4, port: 500, addr: Uint8Array.of(10, 200, 0, i) });
  const mk = (me: Endpoint[]): Engine => {
    const e: Engine = new Engine(coreModule(), { provider: nativeProvider }, {
      send: (c) => {
        if (up && e === engines[1]) sent?.(c);
        queue.push(() => engines[e === engines[0] ? 1 : 0]!.datagram(now, c.bytes, c.remote, c.local, false));
      },
      log: () => {},
      job: (id, j) => queue.push(() => e.helperDone(now, id, runJob(nativeProvider, j))),
    });
    e.setInterfaces(0, me);
    engines.push(e);
    return e;
  };
  const west = mk(wests);
  const east = mk([E]);
  const specs: ConnSpec[] = [];
  for (let i = 0; i < n; i++) {
    const host = (a: number) => ({ start: Uint8Array.of(10, a, i >> 8, i & 255), end: Uint8Array.of(10, a, i >> 8, i & 255) });
    specs.push({
      name: `c${i}`, left: wests[i % 100]!, right: E, leftId: { type: 2, data: te.encode("west.example") }, rightId: { type: 2, data: te.encode("east.example") },
      psk: te.encode("timer bench secret"), ike: [{ encr: [[20, 256]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 256]], esn: [0] }],
      leftTs: [host(1)], rightTs: [host(2)], initialContact: false, timers: { dpdDelay: 30 },
    });
  }
  west.addConns(0, specs);
  east.addConns(0, specs);
  for (let i = 0; i < n; i++) {
    west.initiate(now, `c${i}`);
    for (let guard = 0; queue.length && guard < 100; guard++) {
      now += 0.01;
      queue.shift()!();
    }
  }
  const count = east.status(now).ike.filter((s) => s.state === "ESTABLISHED_IKE_SA").length;
  if (count !== n) throw new Error(`bench timers: ${count} of ${n} IKE SAs established`);
  up = true;
  return { east, now };
}

// microseconds per timer event with nothing due (the best of three rounds)
function perEvent(east: Engine, now: number): number {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const k = 5000;
    const t0 = performance.now();
    for (let i = 0; i < k; i++) {
      east.timeout(now);
      east.nextDeadline();
    }
    best = Math.min(best, ((performance.now() - t0) * 1000) / k);
  }
  return best;
}

export function benchTimers(emit: Emit, n = 10000): void {
  const small = established(100);
  const large = established(n);
  const a = perEvent(small.east, small.now);
  const b = perEvent(large.east, large.now);
  emit("timer_event_us_100_sas", a, "us");
  emit("timer_event_us_10k_sas", b, "us");
  emit("timer_event_10k_vs_100_sas", b / a, "ratio");
}
