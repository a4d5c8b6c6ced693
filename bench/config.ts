// `npm run bench -- config`: parse and load a generated ipsec.conf of 10,000 connections into
// the core (through the daemon, as `pluto` does at start), then list them with whack --status.
import { Daemon, type DaemonHost } from "../hosts/daemon.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import type { Emit } from "./util.ts";
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
  const t0 = performance.now();
  const d = new Daemon(coreModule(), nativeProvider, host, { config: "/bench/ipsec.conf", secrets: "/bench/ipsec.secrets", kernel: "memory" });
  const l = d.load();
  if (!l.ok) throw new Error(`bench config: ${l.errors.slice(0, 3).join("; ")}`);
  const t1 = performance.now();
  const results = await d.start();
  const t2 = performance.now();
  const added = results.filter((r) => r.startsWith("added")).length;
  if (added !== n) throw new Error(`bench config: ${added} of ${n} connections loaded: ${results.find((r) => !r.startsWith("added"))}`);
  const s = await d.whack({ cmd: "status" });
  const t3 = performance.now();
  const lines = s.text!.split("\n").length;
  emit("config_bytes", conf.length, "bytes");
  emit("config_parse_10k_s", (t1 - t0) / 1000, "s");
  emit("config_load_10k_s", (t2 - t0) / 1000, "s");
  emit("status_10k_s", (t3 - t2) / 1000, "s");
  emit("status_10k_lines", lines, "lines");
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
