// The identity scenario (issue 6): two pluto daemons (hosts/daemon.ts, the same class both hosts
// run) on a virtual network with a virtual clock, seeded randomness and seeded DH private keys,
// driven by whack requests on a fixed schedule. The transcript holds every datagram (hex), every
// log line and every whack answer, each with its virtual time. Runtime-neutral: it runs under
// Node (vitest, or `node dist/test/deno/transcript-main.js`) and under Deno
// (`deno run --allow-read test/deno/transcript-main.ts`); identity.test.ts compares the two.
//
// Determinism: nothing reads the real clock or a real random source. The provider is wrapped so
// that randomBytes comes from the seeded generator and dhGenerate picks its private key from it
// and asks the provider only for the public value (dhPublic), in the private key format of
// hosts/crypto/algorithms.ts that both providers share. Helper jobs finish after a fixed virtual
// delay; after each virtual event every promise the daemons chained is let settle before the
// next event, so the order of everything is the schedule's, not the runtime's.
import { Daemon, type DaemonHost } from "../../hosts/daemon.ts";
import { endpointText, type Endpoint } from "../../hosts/engine.ts";
import { runJob, type JobResult } from "../../hosts/crypto/jobs.ts";
import { GROUPS } from "../../hosts/crypto/algorithms.ts";
import type { CryptoProvider } from "../../hosts/crypto/provider.ts";
import { parseRequest } from "../../hosts/whack-protocol.ts";
import type { ConfigIO } from "../../hosts/config/io.ts";

// sfc32, seedable (as test/sim's)
export class Rng {
  private s: number[];
  constructor(seed: number) {
    this.s = [0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0];
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    const s = this.s;
    const t = (((s[0] + s[1]) | 0) + s[3]) | 0;
    s[3] = (s[3] + 1) | 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) | 0;
    s[2] = (((s[2] << 21) | (s[2] >>> 11)) + t) | 0;
    return t >>> 0;
  }
  float(): number {
    return this.next() / 4294967296;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 255;
    return b;
  }
}

// The provider with its randomness, DH private keys included, taken from `rng`.
export function seededProvider(base: CryptoProvider, rng: Rng): CryptoProvider {
  return {
    ...base,
    randomBytes: (n) => rng.bytes(n),
    dhGenerate(group) {
      const g = GROUPS.get(group);
      if (!g) return base.dhGenerate(group); // the provider says what is wrong
      for (;;) {
        const priv = rng.bytes(g.privLen);
        if (group === 21) priv[0] &= 1; // a 521-bit scalar
        try {
          return { priv, pub: base.dhPublic(group, priv) };
        } catch {
          // zero, or not below the group order: draw again
        }
      }
    },
  };
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

// no listen=: each daemon listens on both of its addresses, one connection on each pair
const ADDRS = { west: ["192.0.2.1", "198.51.100.1"], east: ["192.0.2.2", "198.51.100.2"] };
const CONF = `conn %default
	leftid=@west.example
	rightid=@east.example
	authby=secret
	auto=add

conn cbc
	left=192.0.2.1
	right=192.0.2.2
	leftikeport=500
	rightikeport=500
	leftsubnet=10.1.0.0/16
	rightsubnet=10.2.0.0/16
	ike=aes256-sha2_256;modp2048
	esp=aes256-sha2_256
	ikelifetime=120s
	salifetime=60s
	rekeymargin=20s
	rekeyfuzz=50%
	dpddelay=10s
	dpdtimeout=60s
	retransmit-interval=500

conn gcm
	left=198.51.100.1
	right=198.51.100.2
	leftikeport=5600
	rightikeport=5601
	leftsubnet=10.1.1.0/24
	rightsubnet=10.2.1.0/24
	leftprotoport=tcp
	rightprotoport=tcp
	ike=aes_gcm256-sha2_256;dh19,chacha20_poly1305-sha2_512;dh31
	esp=aes_gcm128
	pfs=yes
	fragmentation=yes
`;
const SECRETS = `@west.example @east.example : PSK "the identity scenario's shared secret"\n`;

type Ev = { at: number; seq: number; run: () => void };

export class World {
  now = 0;
  private seq = 0;
  private events: Ev[] = [];
  readonly lines: string[] = [];
  readonly rng: Rng;
  loss = 0;
  private listeners = new Map<string, { name: string; daemon: Daemon; ep: Endpoint; port4500: boolean }>();

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  note(who: string, what: string): void {
    for (const l of what.split("\n")) this.lines.push(`${(this.now / 1000).toFixed(3)} ${who} ${l}`);
  }
  at(t: number, run: () => void): void {
    const ev = { at: t, seq: this.seq++, run };
    let i = this.events.length;
    while (i > 0 && this.events[i - 1].at > t) i--;
    this.events.splice(i, 0, ev);
  }
  // Lets every promise chained off the last event settle (a macrotask turn drains microtasks).
  private settle(): Promise<void> {
    return new Promise((r) => setTimeout(r, 0));
  }
  async run(until: number, max = 100000): Promise<void> {
    await this.settle();
    for (let n = 0; this.events.length > 0 && this.events[0].at <= until; n++) {
      if (n > max) throw new Error(`no quiet after ${max} events`);
      const ev = this.events.shift()!;
      this.now = Math.max(this.now, ev.at);
      ev.run();
      await this.settle();
    }
    this.now = Math.max(this.now, until);
  }

  bind(name: string, daemon: Daemon, ep: Endpoint, port4500: boolean): void {
    this.listeners.set(endpointText(ep), { name, daemon, ep, port4500 });
  }
  transmit(from: string, local: Endpoint, remote: Endpoint, bytes: Uint8Array): void {
    const to = this.listeners.get(endpointText(remote));
    const lost = this.rng.float() < this.loss;
    this.note(from, `${lost ? "LOST " : ""}${endpointText(local)} > ${endpointText(remote)} ${bytes.length} ${hex(bytes)}`);
    if (!to || lost) return;
    this.at(this.now + 5 + Math.floor(this.rng.float() * 10), () => to.daemon.datagram(bytes, to.ep, local, to.port4500));
  }

  // jobDelay: virtual ms a helper job takes on this daemon
  daemon(name: "west" | "east", base: CryptoProvider, seed: number, jobDelay = 3): Daemon {
    const rng = new Rng(seed * 31 + (name === "west" ? 1 : 2));
    const provider = seededProvider(base, rng);
    const files: Record<string, string> = { "/etc/ipsec.conf": CONF, "/etc/ipsec.secrets": SECRETS };
    const io: ConfigIO = { readFile: (p) => files[p] ?? null, listDir: () => null };
    let timerSeq = 0;
    const host: DaemonHost = {
      now: () => this.now,
      io,
      fileMode: () => 0o600,
      localAddresses: () => ADDRS[name],
      send: (local, remote, bytes, natT) => this.transmit(name, local, remote, natT ? Uint8Array.of(0, 0, 0, 0, ...bytes) : bytes),
      runJob: (job) => {
        const r = runJob(provider, job);
        return new Promise<JobResult>((res) => this.at(this.now + jobDelay, () => res(r)));
      },
      setTimer: (at) => {
        const s = ++timerSeq;
        if (at > 0) this.at(Math.max(at, this.now), () => s === timerSeq && daemon.timeout());
      },
      log: (line) => this.note(name, line),
      listen: async (eps) => {
        for (const e of eps) {
          const port4500 = e.port === (daemon.config?.setup.nattPort ?? 4500);
          this.bind(name, daemon, e, port4500);
          this.note(name, `listening for IKE messages on ${endpointText(e)}${port4500 ? " (NAT-T)" : ""}`);
        }
        return [];
      },
    };
    const daemon: Daemon = new Daemon(this.module, provider, host, { config: "/etc/ipsec.conf", secrets: "/etc/ipsec.secrets", kernel: "memory", debug: name === "east" ? ["all"] : [] });
    return daemon;
  }
  module!: WebAssembly.Module;
}

// A whack request line as a client sends it; the answer goes into the transcript.
async function whack(w: World, who: string, d: Daemon, line: string): Promise<void> {
  const p = parseRequest(line);
  const r = p.ok ? await d.whack(p.req) : { ok: false, error: p.error };
  w.note(who, `whack ${line} => ${JSON.stringify(r)}`);
}

export async function transcript(module: WebAssembly.Module, base: CryptoProvider, seed = 1): Promise<string> {
  const w = new World(seed);
  w.module = module;
  const west = w.daemon("west", base, seed);
  const east = w.daemon("east", base, seed);
  for (const [n, d] of [["west", west], ["east", east]] as const) {
    const l = d.load();
    w.note(n, `load ${JSON.stringify(l)}`);
    for (const e of await d.host.listen(d.ports())) w.note(n, e);
    for (const line of await d.start()) w.note(n, line);
  }
  const step = async (dt: number) => w.run(w.now + dt);
  await whack(w, "west", west, `{"cmd":"initiate","name":"cbc","async":true}`);
  await whack(w, "east", east, `{"cmd":"initiate","name":"gcm","async":true}`);
  await step(2000);
  for (const [n, d] of [["west", west], ["east", east]] as const) {
    for (const cmd of ["status", "briefstatus", "trafficstatus"]) await whack(w, n, d, `{"cmd":"${cmd}"}`);
  }
  await whack(w, "west", west, `{"cmd":"rekey-child","name":"gcm","async":true}`);
  await whack(w, "east", east, `{"cmd":"rekey-ike","name":"cbc","async":true}`);
  await step(2000);
  // a lossy minute: liveness checks and retransmissions
  w.loss = 0.3;
  await step(60_000);
  w.loss = 0;
  // lifetimes run out: rekeys and replacements on their own
  await step(200_000);
  await whack(w, "west", west, `{"cmd":"showstates","json":true}`);
  await whack(w, "east", east, `{"cmd":"connectionstatus"}`);
  await whack(w, "west", west, `not json`);
  await whack(w, "west", west, `{"cmd":"status","evil":1}`);
  await whack(w, "east", east, `{"cmd":"rereadall"}`);
  await whack(w, "east", east, `{"cmd":"rereadsecrets"}`);
  await whack(w, "west", west, `{"cmd":"terminate","name":"cbc","async":true}`);
  await whack(w, "east", east, `{"cmd":"terminate","name":"gcm","async":true}`);
  await step(5000);
  for (const [n, d] of [["west", west], ["east", east]] as const) await whack(w, n, d, `{"cmd":"status"}`);
  return w.lines.join("\n") + "\n";
}
