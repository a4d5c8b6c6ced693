// The initiators of `npm run bench -- scale`, in a process of their own (so that the measured
// daemon's RSS is its own): one engine with connections lt1..ltN, each with its own ID towards
// the one responder, brought up and taken down as the parent says, at most `window` on their
// way at once. Datagrams travel over the IPC channel (the parent is the responder).
import { Engine, type ConnSpec, type Endpoint } from "../hosts/engine.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import { runJob } from "../hosts/crypto/jobs.ts";

export const W: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 1) };
export const E: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
export const PSK = "scale bench pre-shared key";

export type ToInitiator =
  | { t: "d"; b: Uint8Array }
  | { t: "conns"; n: number }
  | { t: "up" | "down"; from: number; to: number; window: number };
export type FromInitiator = { t: "d"; b: Uint8Array } | { t: "done"; what: string; count: number } | { t: "error"; message: string };

const te = new TextEncoder();
const send = (m: FromInitiator) => process.send!(m);
const t0 = performance.now();
const now = () => performance.now() - t0 + 1;

let engine: Engine;
let established = 0;
let deleted = 0;
let timer: NodeJS.Timeout | null = null;
const rearm = () => {
  if (timer) clearTimeout(timer);
  const at = engine.nextDeadline();
  timer = at > 0 ? setTimeout(() => { engine.timeout(now()); rearm(); }, Math.max(0, at - now())) : null;
};

function start(): void {
  engine = new Engine(coreModule(), { provider: nativeProvider }, {
    send: (c) => send({ t: "d", b: c.bytes }),
    log: (_l, line) => {
      if (line.includes("established IKE SA")) established++;
      else if (line.includes("deleted IKE SA")) deleted++;
    },
    job: (id, job) => queueMicrotask(() => { engine.helperDone(now(), id, runJob(nativeProvider, job)); rearm(); }),
  });
  engine.setInterfaces(now(), [W]);
}

function conns(n: number): void {
  const specs: ConnSpec[] = [];
  for (let i = 1; i <= n; i++) {
    specs.push({
      name: `lt${i}`, left: W, right: E, leftId: { type: 2, data: te.encode(`c${i}.scale.example`) }, rightId: { type: 2, data: te.encode("srv.scale.example") },
      psk: te.encode(PSK), ike: [{ encr: [[20, 128]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 128]], esn: [0] }],
      initialContact: false, keyingTries: 1,
    });
  }
  const r = engine.addConns(now(), specs);
  if (r.added !== n) send({ t: "error", message: `initiator: ${r.added} of ${n} connections added: ${r.refused[0]}` });
  send({ t: "done", what: "conns", count: r.added });
}

// up or down lt<from>..lt<to>, at most `window` unanswered at once
async function run(op: "up" | "down", from: number, to: number, window: number): Promise<void> {
  const counter = () => (op === "up" ? established : deleted);
  const base = counter();
  for (let i = from; i <= to;) {
    if (i - from - (counter() - base) >= window) {
      await new Promise((r) => setTimeout(r, 1)); // (not setImmediate: a spin that starves the responder)
      continue;
    }
    const r = op === "up" ? engine.initiate(now(), `lt${i}`) : engine.terminate(now(), `lt${i}`);
    if (!r.ok) send({ t: "error", message: `initiator: ${op} lt${i}: ${r.reply}` });
    rearm();
    i++;
  }
  // the rest, unless nothing moves for 60 s (an exchange that failed: the parent sees the count)
  for (let last = counter(), since = performance.now(); counter() - base < to - from + 1 && performance.now() - since < 60_000;) {
    await new Promise((r) => setTimeout(r, 5));
    if (counter() !== last) [last, since] = [counter(), performance.now()];
  }
  send({ t: "done", what: op, count: counter() - base });
}

if (process.send) {
  start();
  process.on("message", (m: ToInitiator) => {
    if (m.t === "d") {
      engine.datagram(now(), m.b instanceof Uint8Array ? m.b : new Uint8Array(Object.values(m.b)), W, E, false);
      rearm();
    } else if (m.t === "conns") conns(m.n);
    else void run(m.t, m.from, m.to, m.window);
  });
}
