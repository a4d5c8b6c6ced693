// Helpers for the kernel tests that run in a network namespace: privileges, tools, namespaces,
// and capturing the netlink requests iproute2 sends (via strace) to compare with ours.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Why namespace tests cannot run here, or "" when they can. */
export function netnsSkipReason(): string {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (creating a network namespace and using XFRM need CAP_NET_ADMIN)";
  if (!which("ip")) return "iproute2 (`ip`) not installed";
  return "";
}

/** Runs a command, bounded; returns status and output without throwing. */
export function run(cmd: string, args: string[], timeoutMs = 15_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function ip(ns: string, ...args: string[]): string {
  return execFileSync("ip", ["-n", ns, ...args], { encoding: "utf8", timeout: 15_000 });
}

export function netnsExec(ns: string, cmd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return run("ip", ["netns", "exec", ns, cmd, ...args]);
}

export function createNetns(ns: string): void {
  execFileSync("ip", ["netns", "add", ns], { timeout: 15_000 });
  ip(ns, "link", "set", "lo", "up");
}

export function deleteNetns(ns: string): void {
  spawnSync("ip", ["netns", "del", ns], { timeout: 15_000, stdio: "ignore" });
}

/** strace, installed with apt-get if missing (root only); "" if available, else why not. */
export function ensureStrace(): string {
  if (which("strace")) return "";
  if (process.getuid?.() !== 0) return "strace not installed";
  const r = spawnSync("sh", ["-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y strace || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y strace)"], {
    stdio: "ignore",
    timeout: 180_000,
  });
  return r.status === 0 && which("strace") ? "" : "strace not installed and apt-get install strace failed";
}

export interface CapturedRequest {
  len: number;
  type: string;
  flags: number;
  seq: number;
  pid: number;
  /** The bytes after nlmsghdr. */
  body: Uint8Array;
}

const FLAG_NAMES: Record<string, number> = {
  NLM_F_REQUEST: 0x1,
  NLM_F_MULTI: 0x2,
  NLM_F_ACK: 0x4,
  NLM_F_ECHO: 0x8,
  NLM_F_DUMP_INTR: 0x10,
  NLM_F_DUMP_FILTERED: 0x20,
  NLM_F_ROOT: 0x100,
  NLM_F_MATCH: 0x200,
  NLM_F_ATOMIC: 0x400,
  NLM_F_DUMP: 0x300,
};

function parseFlags(s: string): number {
  let f = 0;
  for (const part of s.split("|")) {
    if (/^0x[0-9a-f]+$/i.test(part)) f |= parseInt(part, 16);
    else if (part in FLAG_NAMES) f |= FLAG_NAMES[part]!;
    else throw new Error(`unknown netlink flag in strace output: ${part}`);
  }
  return f;
}

/**
 * Runs `ip ARGS` inside the namespace under strace and returns the XFRM requests it sent
 * (strace decodes nlmsghdr and prints the rest as \xNN bytes). The command's own success does
 * not matter: the request is captured either way.
 */
export function captureIproute(ns: string, args: string[]): { requests: CapturedRequest[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "pw-strace-"));
  try {
    const out = join(dir, "trace");
    const r = run("ip", ["netns", "exec", ns, "strace", "-o", out, "-e", "trace=sendmsg,sendto", "-xx", "-s", "65536", "ip", ...args]);
    const text = readFileSync(out, "utf8");
    const requests: CapturedRequest[] = [];
    const re = /nlmsg_len=(\d+), nlmsg_type=([A-Za-z0-9_]+)[^,]*, nlmsg_flags=([A-Za-z0-9_|]+), nlmsg_seq=(\d+), nlmsg_pid=(\d+)\}, "((?:\\x[0-9a-f]{2})*)"(\.\.\.)?/g;
    for (const m of text.matchAll(re)) {
      if (!m[2]!.startsWith("XFRM_MSG_")) continue;
      if (m[7]) throw new Error("strace truncated the request");
      const hex = m[6]!.replace(/\\x/g, "");
      const body = new Uint8Array(hex.length / 2);
      for (let i = 0; i < body.length; i++) body[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      requests.push({ len: Number(m[1]), type: m[2]!, flags: parseFlags(m[3]!), seq: Number(m[4]), pid: Number(m[5]), body });
    }
    return { requests, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hex with a space every 4 bytes and a newline every 32, so that diffs point at the field. */
export function hexdump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 32) {
    const words: string[] = [];
    for (let w = off; w < Math.min(off + 32, b.length); w += 4) {
      words.push(Array.from(b.subarray(w, Math.min(w + 4, b.length)), (x) => x.toString(16).padStart(2, "0")).join(""));
    }
    lines.push(`${off.toString().padStart(4)}: ${words.join(" ")}`);
  }
  return lines.join("\n");
}
