// The Node daemon's way of running a leftupdown= script (hosts/updown.ts decides when and
// bounds it): `/bin/sh -c COMMAND`, as pluto's popen does, with pluto's environment and the
// PLUTO_* variables, stdout and stderr both read, in a process group of its own so that a kill
// takes whatever it started too.
import { spawn } from "node:child_process";
import type { UpdownExit, UpdownProcess, UpdownSpawn } from "../updown.ts";

// After the script exits, output still held open by something it left running is read for
// this long, then let go.
const LINGER_MS = 500;

export const nodeSpawnUpdown: UpdownSpawn = (command, env) => {
  const child = spawn("/bin/sh", ["-c", command], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const listeners: ((c: Uint8Array) => void)[] = [];
  for (const s of [child.stdout, child.stderr]) s?.on("data", (c: Buffer) => listeners.forEach((f) => f(c)));
  let killTimer: NodeJS.Timeout | null = null;
  const exited = new Promise<UpdownExit>((res) => {
    let exit: UpdownExit | null = null;
    child.once("error", (e) => res({ kind: "error", message: e.message }));
    child.once("exit", (code, signal) => {
      exit = signal ? { kind: "signal", signal } : { kind: "exit", code: code ?? 0 };
      if (killTimer) clearTimeout(killTimer);
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        res(exit!);
      }, LINGER_MS).unref();
    });
    child.once("close", () => exit && res(exit));
  });
  const group = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // gone already
    }
  };
  const p: UpdownProcess = {
    output: (f) => listeners.push(f),
    exited,
    // SIGTERM to the group, SIGKILL a second later if it is still there
    kill: () => {
      group("SIGTERM");
      killTimer = setTimeout(() => group("SIGKILL"), 1000);
      killTimer.unref();
    },
  };
  return p;
};
