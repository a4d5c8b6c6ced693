// `npm run bench -- config`: parse and load a generated ipsec.conf of 10,000 connections into
// the core (through the daemon, as `pluto` does at start), then list them with whack --status.
import { Daemon, type DaemonHost } from "../hosts/daemon.ts";
import { coreModule } from "../hosts/node/corefile.ts";
import { nativeProvider } from "../hosts/crypto/native.ts";
import type { Emit } from "./util.ts";

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
}
