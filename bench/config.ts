// `npm run bench -- config`: parse and load a generated ipsec.conf of 10,000 connections into
// the core (through the daemon, as `pluto` does at start), then list them with whack --status.
import { Daemon, type DaemonHost } from "../hosts/daemon.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import { rate, type Emit } from "./util.ts";
import { Engine, type ConnSpec, type Endpoint } from "../hosts/engine.ts";
import { runJob } from "../hosts/crypto/jobs.ts";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Libreswan 4.10 unpacked from its .deb (see ../shared/lab): its addconn is the reference parser.
const LS_ADDCONN = "/opt/pw-libreswan/usr/libexec/ipsec/addconn";

export function generatedConfig(n: number): { conf: string; secrets: string } {
  const lines = ["config setup", "\tlisten=192.0.2.1", "", "conn %default", "\tauthby=secret", "\tike=aes256-sha2_256;modp2048", "\tesp=aes256-sha2_256", "\tkeyexchange=ikev2", "", "conn base", "\tleft=192.0.2.1", "\tleftid=@gw.example", ""];
  for (let i = 0; i < n; i++) {
    const a = (i >> 8) & 255;
    const b = i & 255;
    lines.push(`conn peer-${i}`, "\talso=base", `\tleftsubnet=10.${a}.${b}.0/24`, `\tright=198.18.${a}.${b}`, `\trightid=@peer-${i}.example`, `\trightsubnet=172.16.${b}.0/24`, "\tauto=add", "");
  }
  return { conf: lines.join("\n"), secrets: `@gw.example %any : PSK "bench secret for ten thousand peers"\n` };
}

export async function benchConfig(emit: Emit, n = 10000): Promise<void> {
  const { conf, secrets } = generatedConfig(n);
  const files: Record<string, string> = { "/bench/ipsec.conf": conf, "/bench/ipsec.secrets": secrets };
  const host: DaemonHost = {
    now: () => performance.now(),
    io: { readFile: (p) => files[p] ?? null },
    fileMode: () => 0o600,
    localAddresses: () => ["192.0.2.1"],
    send: () => {},
    runJob: () => Promise.reject(new Error("no jobs in this benchmark")),
    setTimer: () => {},
    log: () => {},
    listen: async () => [],
  };
  // CPU-seconds beside the wall time: on a busy machine the wall time is mostly waiting
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const c0 = cpu();
  const t0 = performance.now();
  const d = new Daemon(coreModule(), nativeProvider, host, { config: "/bench/ipsec.conf", secrets: "/bench/ipsec.secrets", kernel: "memory" });
  const l = d.load();
  if (!l.ok) throw new Error(`bench config: ${l.errors.slice(0, 3).join("; ")}`);
  const t1 = performance.now();
  const c1 = cpu();
  const results = await d.start();
  const t2 = performance.now();
  const c2 = cpu();
  const added = results.filter((r) => r.startsWith("added")).length;
  if (added !== n) throw new Error(`bench config: ${added} of ${n} connections loaded: ${results.find((r) => !r.startsWith("added"))}`);
  const s = await d.whack({ cmd: "status" });
  const t3 = performance.now();
  const c3 = cpu();
  const lines = s.text!.split("\n").length;
  emit("config_bytes", conf.length, "bytes");
  emit("config_parse_10k_s", (t1 - t0) / 1000, "s");
  emit("config_load_10k_s", (t2 - t0) / 1000, "s");
  emit("status_10k_s", (t3 - t2) / 1000, "s");
  emit("config_parse_10k_cpu_s", c1 - c0, "CPU-s");
  emit("config_load_10k_cpu_s", c2 - c0, "CPU-s");
  emit("status_10k_cpu_s", c3 - c2, "CPU-s");
  emit("status_10k_lines", lines, "lines");
  initLookup(emit, n);
  const ls = libreswanAddconn(conf, n);
  if (ls !== null) {
    emit("libreswan_addconn_10k_s", ls, "s");
    emit("config_parse_vs_libreswan_addconn", (t1 - t0) / 1000 / ls, "ratio");
  }
}

// Wall time of Libreswan 4.10's `addconn --config FILE --listadd` on the same file: it parses
// every conn (with also= and %default) and prints the auto=add names, without a pluto. 4.10
// knows no keyexchange=ikev2 (Libreswan 5 syntax, "invalid value"): it gets its ikev2=yes.
function libreswanAddconn(conf: string, n: number): number | null {
  if (!existsSync(LS_ADDCONN)) {
    console.error(`bench config: no Libreswan reference (${LS_ADDCONN} is absent)`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-ls-"));
  try {
    const file = join(dir, "ipsec.conf");
    writeFileSync(file, conf.replace("\tkeyexchange=ikev2\n", "\tikev2=yes\n"));
    const t0 = performance.now();
    const r = spawnSync(LS_ADDCONN, ["--config", file, "--listadd"], { encoding: "utf8", timeout: 120_000, maxBuffer: 16 << 20 });
    const t = (performance.now() - t0) / 1000;
    const why = r.error?.message ?? (r.status !== 0 ? `exit ${r.status ?? r.signal}: ${r.stderr.trim().split("\n")[0]}` : "");
    if (why) throw new Error(`bench config: ${LS_ADDCONN} failed: ${why}`);
    const names = r.stdout.split(/\s+/).filter(Boolean).length;
    if (names !== n) throw new Error(`bench config: Libreswan addconn --listadd named ${names} of ${n} connections`);
    return t;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// What one more IKE_SA_INIT costs a responder that holds n connections of other host pairs,
// against one that holds only the connection it needs: the host-pair index should make the
// ratio about 1 (a scan of every connection would make it grow with n). Each request has a new
// SPIi; past the cookie threshold the answer is a cookie request, so no state accumulates.
function initLookup(emit: Emit, n: number): void {
  const WEST: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 1) };
  const EAST: Endpoint = { family: 4, port: 500, addr: Uint8Array.of(192, 0, 2, 2) };
  const te = new TextEncoder();
  const conn = (name: string, right: Endpoint): ConnSpec => ({
    name, left: EAST, right, leftId: { type: 2, data: te.encode("east.example") }, psk: te.encode("bench secret"),
    ike: [{ encr: [[20, 256]], prf: [5], dh: [31] }], esp: [{ encr: [[20, 256]], esn: [0] }],
  });
  // one IKE_SA_INIT request, as a west engine makes it
  let request: Uint8Array | null = null;
  const queue: (() => void)[] = [];
  const west: Engine = new Engine(coreModule(), { provider: nativeProvider }, {
    send: (c) => { request ??= c.bytes.slice(); },
    log: () => {},
    job: (id, job) => queue.push(() => west.helperDone(0, id, runJob(nativeProvider, job))),
  });
  west.setInterfaces(0, [WEST]);
  west.addConn(0, { ...conn("west-east", EAST), left: WEST, right: EAST, leftId: { type: 2, data: te.encode("west.example") } });
  west.initiate(0, "west-east");
  for (let i = 0; i < 10 && queue.length; i++) queue.shift()!();
  if (!request) throw new Error("bench config: no IKE_SA_INIT request to replay");
  const req: Uint8Array = request;
  const responder = (others: number): Engine => {
    let answered = 0;
    const e = new Engine(coreModule(), { provider: nativeProvider }, { send: () => void answered++, log: () => {}, job: () => {} });
    e.setInterfaces(0, [EAST]);
    const specs: ConnSpec[] = [];
    for (let i = 0; i < others; i++) specs.push(conn(`peer-${i}`, { family: 4, port: 500, addr: Uint8Array.of(198, 18, i >> 8, i & 255) }));
    specs.push(conn("west-east", WEST));
    const r = e.addConns(0, specs);
    if (r.added !== others + 1) throw new Error(`bench config: ${r.refused[0]}`);
    return e;
  };
  const one = responder(0);
  const many = responder(n);
  // the core's memory (its high-water mark: wasm memory does not shrink) with n more connections
  emit("core_memory_per_conn_bytes", (many.core.memoryBytes - one.core.memoryBytes) / n, "bytes");
  const dv = new DataView(req.buffer, req.byteOffset, req.byteLength);
  let spi = 1;
  const feed = (e: Engine) => () => {
    dv.setUint32(4, spi++); // a new SPIi: a new request, not a retransmission
    e.datagram(1, req, EAST, WEST, false);
  };
  let bestOne = 0;
  let bestMany = 0;
  for (let round = 0; round < 3; round++) {
    bestOne = Math.max(bestOne, rate(feed(one), 300, 1));
    bestMany = Math.max(bestMany, rate(feed(many), 300, 1));
  }
  emit("init_per_s_1_conn", bestOne, "1/s");
  emit("init_per_s_10k_conns", bestMany, "1/s");
  emit("init_10k_conns_vs_1_conn", bestMany / bestOne, "ratio");
}
