// `npm run bench -- scale`: SCALE_N (100,000) established IKE SAs with one Child SA each in one
// daemon (hosts/daemon.ts as pluto runs it, the memory kernel, helpers inline), brought up by
// initiators in a child process (bench/scale-initiator.ts) over the IPC channel: x25519 and
// AES-GCM-128, PSK, at most 256 on their way at once. Prints the bytes per IKE SA in the core
// (the growth of its Wasm memory) and in RSS, both again once the initiators have deleted them
// all (Wasm memory never shrinks: what counts is that the next ones reuse it), and the growth
// of both across SCALE_CHURN (20,000) more IKE SAs created and deleted in rounds of 1,000.
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Daemon, type DaemonHost } from "../hosts/daemon.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import { runJob } from "../hosts/crypto/jobs.ts";
import { MemoryKernel } from "../kernel-shims/memory.ts";
import type { Emit } from "./util.ts";
import { E, PSK, W, type FromInitiator, type ToInitiator } from "./scale-initiator.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const rssBytes = () => {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
};

export async function benchScale(emit: Emit): Promise<void> {
  const n = Number(process.env.SCALE_N ?? 100_000);
  const churn = Number(process.env.SCALE_CHURN ?? 20_000);
  const window = 256;
  const files: Record<string, string> = {
    "/scale/ipsec.conf": `config setup\n\tlisten=192.0.2.2\n\nconn scale\n\tleft=192.0.2.2\n\tleftid=@srv.scale.example\n\tright=192.0.2.1\n\trightid=%any\n\tauthby=secret\n\tike=aes_gcm128-sha2_256;dh31\n\tesp=aes_gcm128\n\tauto=add\n`,
    "/scale/ipsec.secrets": `: PSK "${PSK}"\n`,
  };
  let child!: ChildProcess;
  let timer: NodeJS.Timeout | null = null;
  const t0 = performance.now();
  const host: DaemonHost = {
    now: () => performance.now() - t0 + 1,
    io: { readFile: (p) => files[p] ?? null },
    fileMode: () => 0o600,
    localAddresses: () => ["192.0.2.2"],
    send: (_l, _r, bytes) => child.send({ t: "d", b: bytes } satisfies ToInitiator),
    runJob: (job) => Promise.resolve(runJob(nativeProvider, job)),
    setTimer: (at) => {
      if (timer) clearTimeout(timer);
      timer = at > 0 ? setTimeout(() => daemon.timeout(), Math.max(0, at - host.now())) : null;
    },
    log: (line) => {
      if (/refus|fail|drop|error/i.test(line) && errors.length < 5) errors.push(line);
    },
    listen: async () => [],
  };
  const errors: string[] = [];
  const daemon = new Daemon(coreModule(), nativeProvider, host, { config: "/scale/ipsec.conf", secrets: "/scale/ipsec.secrets", kernel: "memory", kernelImpl: new MemoryKernel({ lean: true }) });
  const l = daemon.load();
  if (!l.ok) throw new Error(`bench scale: ${l.errors.join("; ")}`);
  await daemon.start();
  const core = daemon.engine.core;

  child = fork(new URL(import.meta.url.endsWith(".ts") ? "./scale-initiator.ts" : "./scale-initiator.js", import.meta.url), [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<string, (count: number) => void>();
  let datagrams = 0;
  child.on("message", (m: FromInitiator) => {
    if (m.t === "d") {
      daemon.datagram(m.b, E, W, false);
      // a collection every 64 datagrams: the Wasm memory's high-water mark then shows what the
      // states hold, not the garbage the engine's own pacing lets wait (hosts/engine.ts drain)
      if (++datagrams % 64 === 0) core.guard("__collect", (x) => x.__collect());
    }
    else if (m.t === "done") waiting.get(m.what)?.(m.count);
    else console.error(`bench scale: ${m.message}`);
  });
  const ask = (m: ToInitiator & { t: "conns" | "up" | "down" }) => new Promise<number>((res) => {
    waiting.set(m.t, res);
    child.send(m);
  });
  const measure = () => {
    core.guard("__collect", (x) => x.__collect());
    gc();
    return { core: core.memoryBytes, rss: rssBytes() };
  };
  try {
    await ask({ t: "conns", n: n + churn });
    const m0 = measure();
    const c0 = process.cpuUsage();
    const tUp = performance.now();
    const up = await ask({ t: "up", from: 1, to: n, window });
    const upS = (performance.now() - tUp) / 1000;
    const cpu = process.cpuUsage(c0);
    const m1 = measure();
    const held = daemon.engine.status(host.now()).ike.filter((s) => s.state === "ESTABLISHED_IKE_SA" && s.children.length === 1).length;
    emit("ike_sas", n, "IKE SA");
    emit("ike_sas_with_child_sa_held", held, "IKE SA");
    emit("up_ike_sa_per_s", up / upS, "IKE SA/s");
    emit("responder_ike_sa_per_cpu_s", up / ((cpu.user + cpu.system) / 1e6), "IKE SA/CPU-s");
    emit("core_start_mib", m0.core / 2 ** 20, "MiB");
    emit("core_bytes_per_ike_sa", (m1.core - m0.core) / n, "bytes");
    emit("core_mib", m1.core / 2 ** 20, "MiB");
    emit("rss_start_mib", m0.rss / 2 ** 20, "MiB");
    emit("rss_bytes_per_ike_sa", (m1.rss - m0.rss) / n, "bytes");
    emit("rss_mib", m1.rss / 2 ** 20, "MiB");
    await ask({ t: "down", from: 1, to: n, window });
    const m2 = measure();
    emit("after_delete_ike_sas_held", daemon.engine.status(host.now()).ike.length, "IKE SA");
    emit("after_delete_rss_mib", m2.rss / 2 ** 20, "MiB");
    emit("after_delete_rss_vs_start", m2.rss / m0.rss, "ratio");
    // churn: rounds of 1,000 up and down again, from connections never used yet
    for (let i = 0; i < churn; i += 1000) {
      const from = n + 1 + i;
      const to = Math.min(n + churn, from + 999);
      await ask({ t: "up", from, to, window });
      await ask({ t: "down", from, to, window });
    }
    const m3 = measure();
    emit("churn_ike_sas", churn, "IKE SA");
    emit("churn_core_growth_bytes", m3.core - m2.core, "bytes");
    emit("churn_rss_growth_mib", (m3.rss - m2.rss) / 2 ** 20, "MiB");
    emit("after_churn_ike_sas_held", daemon.engine.status(host.now()).ike.length, "IKE SA");
    if (errors.length) console.error(`bench scale: the daemon said:\n  ${errors.join("\n  ")}`);
  } finally {
    if (timer) clearTimeout(timer);
    child.kill();
  }
}
