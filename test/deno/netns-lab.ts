// test/interop/lab.ts's two namespaces (veth pair, 192.0.2.1 west / 192.0.2.2 east), with the
// Deno pluto in either one and the Node pluto in either one. Lab.down() removes the namespaces
// and stops every process left in them by PID, so the daemons started here go with it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lab, PLUTO, WHACK, unavailable } from "../interop/lab.ts";

const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
export const DENO = join(root, "node_modules/.bin/deno");

/** Why these tests cannot run here (no root, no ip netns, no deno, dist/ not built), or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root: the tests need network namespaces";
  if (!existsSync(PLUTO)) return "dist/ is not built (npm run build)";
  if (!existsSync(DENO) || spawnSync(DENO, ["--version"], { timeout: 20000 }).status !== 0) return "node_modules/.bin/deno cannot start";
  if (spawnSync("ip", ["netns", "list"], { stdio: "ignore" }).status !== 0) return "ip netns does not work here";
  return null;
}
/** As netnsUnavailable, and strongSwan is installed. */
export const strongswanUnavailable = (): string | null => netnsUnavailable() ?? unavailable();

export type Side = "w" | "e";
export type State = { state: string; initiator: boolean; spiI: string; spiR: string; encr: number; keyBits: number; prf: number; integ: number; dh: number; children: { state: string; spiIn: string; spiOut: string; encr: number; keyBits: number; integ: number }[] };

export class DenoLab extends Lab {
  readonly logs: Record<Side, string> = { w: "", e: "" };
  readonly daemons: Partial<Record<Side, ChildProcess>> = {};

  ns(side: Side): string {
    return side === "w" ? this.w : this.e;
  }
  addr(side: Side): string {
    return side === "w" ? this.wAddr : this.eAddr;
  }
  run(side: Side): string {
    return join(this.dir, side);
  }

  private files(side: Side, conf: string, secrets: string): string[] {
    const d = this.run(side);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(d, "ipsec.conf"), conf);
    writeFileSync(join(d, "ipsec.secrets"), secrets);
    chmodSync(join(d, "ipsec.secrets"), 0o600);
    return ["--config", join(d, "ipsec.conf"), "--secrets", join(d, "ipsec.secrets"), "--rundir", d, "--nhelpers", "1", "--stderrlog"];
  }

  private async started(side: Side, cmd: string[]): Promise<void> {
    const p = spawn("ip", ["netns", "exec", this.ns(side), ...cmd], { stdio: ["ignore", "pipe", "pipe"], cwd: root });
    p.stdout!.on("data", (b) => (this.logs[side] += b));
    p.stderr!.on("data", (b) => (this.logs[side] += b));
    this.daemons[side] = p;
    await this.wait(`the daemon in ${this.ns(side)} to start`, () => this.logs[side].includes("added connection") || p.exitCode !== null, 60000);
    if (!this.logs[side].includes("added connection")) throw new Error(`the daemon in ${this.ns(side)} did not start:\n${this.logs[side]}`);
  }

  /** The Deno pluto in one namespace, with the narrowest permissions (--allow-ffi only for xfrm). */
  async deno(side: Side, conf: string, secrets: string, kernel: "memory" | "xfrm" = "memory"): Promise<void> {
    const args = this.files(side, conf, secrets);
    const d = this.run(side);
    await this.started(side, [DENO, "run", "--no-prompt", "--unstable-net", `--allow-read=${root},${d}`, `--allow-write=${d}`,
      `--allow-net=${this.wAddr},${this.eAddr},unix:${d}/pluto.ctl`, ...(kernel === "xfrm" ? ["--allow-ffi"] : []),
      join(root, "hosts/deno/pluto.ts"), ...args, "--kernel", kernel]);
  }

  /** The Node pluto in one namespace. */
  async node(side: Side, conf: string, secrets: string, kernel: "memory" | "xfrm" = "memory"): Promise<void> {
    await this.started(side, [process.execPath, PLUTO, ...this.files(side, conf, secrets), "--kernel", kernel]);
  }

  whackAt(side: Side, ...args: string[]): { code: number; out: string } {
    const r = spawnSync(process.execPath, [WHACK, "--rundir", this.run(side), ...args], { encoding: "utf8", timeout: 20000 });
    return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  }

  statesAt(side: Side): State[] {
    const r = this.whackAt(side, "--showstates", "--json");
    return r.code === 0 ? JSON.parse(r.out).states : [];
  }

  xfrmAt(side: Side, what: string): string {
    const r = spawnSync("ip", ["-n", this.ns(side), "xfrm", what], { encoding: "utf8", timeout: 10000 });
    return r.stdout ?? "";
  }

  alive(side: Side): boolean {
    const p = this.daemons[side];
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** Bounded wait; yields to the event loop before each check so the logs are current. */
  async wait(what: string, f: () => boolean, ms = 30000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      if (f()) return;
    }
    throw new Error(`timed out waiting for ${what}\n--- west\n${this.logs.w}\n--- east\n${this.logs.e}\n--- charon\n${this.charonLog().split("\n").slice(-40).join("\n")}`);
  }
}
