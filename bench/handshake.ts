// `npm run bench -- handshake`: complete IKE_SA_INIT + IKE_AUTH exchanges with PSK between two
// cores in one process (helpers inline, no network), beside the rate that the same suite's
// crypto operations alone allow on this machine (the floor), measured in the same run.
import * as abi from "../core/abi.ts";
import { Engine, type ConnSpec, type ProposalSpec } from "../hosts/engine.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import type { CryptoProvider } from "../hosts/crypto/provider.ts";
import { runJob, type Job } from "../hosts/crypto/jobs.ts";
import type { Emit } from "./util.ts";

interface Suite {
  name: string;
  group: number;
  ike: ProposalSpec;
  esp: ProposalSpec;
  encr: number;
  keyBytes: number; // cipher key + salt
  integ: number;
  integKey: number;
  prf: number;
}

const SUITES: Suite[] = [
  { name: "x25519_aes_gcm_256", group: 31, ike: { encr: [[20, 256]], prf: [5], dh: [31] }, esp: { encr: [[20, 256]], esn: [0] }, encr: 20, keyBytes: 36, integ: 0, integKey: 0, prf: 5 },
  { name: "ecp256_aes_cbc_256_sha256", group: 19, ike: { encr: [[12, 256]], prf: [5], integ: [12], dh: [19] }, esp: { encr: [[12, 256]], integ: [12], esn: [0] }, encr: 12, keyBytes: 32, integ: 12, integKey: 32, prf: 5 },
];

const te = new TextEncoder();
function conn(self: "west" | "east", s: Suite): ConnSpec {
  const w = Uint8Array.of(192, 0, 2, 1);
  const e = Uint8Array.of(192, 0, 2, 2);
  const [me, peer] = self === "west" ? [w, e] : [e, w];
  return {
    name: "bench", left: { family: 4, port: 500, addr: me }, right: { family: 4, port: 500, addr: peer },
    leftId: { type: 2, data: te.encode(`${self}.example`) }, rightId: { type: 2, data: te.encode(`${self === "west" ? "east" : "west"}.example`) },
    psk: te.encode("benchmark pre-shared key"),
    ike: [s.ike], esp: [s.esp],
    leftTs: [{ start: Uint8Array.of(10, self === "west" ? 1 : 2, 0, 0), end: Uint8Array.of(10, self === "west" ? 1 : 2, 255, 255) }],
    rightTs: [{ start: Uint8Array.of(10, self === "west" ? 2 : 1, 0, 0), end: Uint8Array.of(10, self === "west" ? 2 : 1, 255, 255) }],
    initialContact: false,
  };
}

// Two engines wired back to back; returns a function that runs one complete handshake.
function pairRunner(s: Suite, provider: CryptoProvider): () => void {
  let now = 1;
  const queue: (() => void)[] = [];
  let established = 0;
  const make = (self: "west" | "east"): Engine => {
    const e: Engine = new Engine(coreModule(), { provider }, {
      send: (c) => queue.push(() => other(e).datagram(now, c.bytes, c.remote, c.local, false)),
      log: (_l, line) => {
        if (self === "west" && line.includes("established IKE SA")) established++;
      },
      job: (id, job: Job) => queue.push(() => e.helperDone(now, id, runJob(provider, job))),
    });
    return e;
  };
  let west!: Engine;
  let east!: Engine;
  const other = (e: Engine) => (e === west ? east : west);
  let made = 0;
  const fresh = () => {
    west = make("west");
    east = make("east");
    west.setInterfaces(0, [{ family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 1) }]);
    east.setInterfaces(0, [{ family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) }]);
    if (!west.addConn(0, conn("west", s)).ok || !east.addConn(0, conn("east", s)).ok) throw new Error("bench: connection refused");
    made = 0;
  };
  fresh();
  return () => {
    // a fresh pair of cores every 64 handshakes keeps the state tables small, as a daemon
    // that deletes its SAs would
    if (made++ >= 64) fresh();
    const before = established;
    west.initiate(now, "bench");
    for (let guard = 0; queue.length && guard < 100; guard++) {
      now += 0.001;
      queue.shift()!();
    }
    if (established !== before + 1) throw new Error("bench: handshake did not complete");
  };
}

// The floor: every call the handshake made to the crypto provider (DH key pairs and shared
// secrets, PRFs, prf+, integrity, ciphers, random bytes), recorded during one handshake and
// replayed in a tight loop with the same arguments. Its rate is what the crypto alone allows.
function recording(p: CryptoProvider, calls: [string, unknown[]][]): CryptoProvider {
  return new Proxy(p, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        calls.push([String(prop), args]);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function cryptoOnly(s: Suite, p: CryptoProvider): { replay: () => void; calls: number } {
  const calls: [string, unknown[]][] = [];
  const once = pairRunner(s, recording(p, calls));
  once(); // warm up the pair (connections, first allocations) without recording
  calls.length = 0;
  once();
  const recorded = calls.slice();
  const fns = recorded.map(([name, args]) => {
    const f = (p as unknown as Record<string, (...a: unknown[]) => unknown>)[name].bind(p);
    return () => f(...args);
  });
  return {
    replay: () => {
      for (const f of fns) f();
    },
    calls: recorded.length,
  };
}

function perSecond(fn: () => void, ms: number, rounds = 3): number {
  for (let i = 0; i < 30; i++) fn();
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      fn();
      n++;
      t = performance.now();
    }
    best = Math.max(best, (n * 1000) / (t - t0));
  }
  return best;
}

export function pairRunnerForProfile(): () => void {
  return pairRunner(SUITES[0], nativeProvider);
}

export function benchHandshake(emit: Emit, ms = 1500): void {
  for (const s of SUITES) {
    // the two are measured in alternating rounds, best of each: a slow moment of the machine
    // (a shared VM) then hits both alike instead of one of them
    const run = pairRunner(s, nativeProvider);
    const c = cryptoOnly(s, nativeProvider);
    let hs = 0;
    let floor = 0;
    for (let round = 0; round < 5; round++) {
      hs = Math.max(hs, perSecond(run, ms / 3, 1));
      floor = Math.max(floor, perSecond(c.replay, ms / 3, 1));
    }
    emit(`${s.name}_crypto_calls_per_ike_sa`, c.calls, "calls");
    emit(`${s.name}_ike_sa_per_s`, hs, "IKE SA/s");
    emit(`${s.name}_crypto_floor_per_s`, floor, "IKE SA/s");
    emit(`${s.name}_handshake_vs_crypto_floor`, hs / floor, "ratio");
  }
  void abi;
}
