// The Deno daemon's way of running a leftupdown= script (hosts/updown.ts decides when and
// bounds it): `/bin/sh -c COMMAND` with pluto's environment and the PLUTO_* variables, stdout
// and stderr both read, in a process group of its own so that a kill takes what it started.
import type { UpdownExit, UpdownProcess, UpdownSpawn } from "../updown.ts";

export const denoSpawnUpdown: UpdownSpawn = (command, env) => {
  const listeners: ((c: Uint8Array) => void)[] = [];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/bin/sh", { args: ["-c", command], env, stdin: "null", stdout: "piped", stderr: "piped", detached: true }).spawn();
  } catch (e) {
    return { output: () => {}, exited: Promise.resolve({ kind: "error", message: (e as Error).message }), kill: () => {} };
  }
  const pump = async (r: ReadableStream<Uint8Array>) => {
    try {
      for await (const c of r) listeners.forEach((f) => f(c));
    } catch {
      // cancelled after the script exited
    }
  };
  const pumps = [pump(child.stdout), pump(child.stderr)];
  const exited: Promise<UpdownExit> = child.status.then(async (s) => {
    // output still held open by something it left running is read for a moment, then let go
    await Promise.race([Promise.all(pumps), new Promise((r) => setTimeout(r, 500))]);
    return s.signal ? { kind: "signal", signal: s.signal } : { kind: "exit", code: s.code };
  });
  // (Deno.kill of a group needs --allow-run for everything; the shell we may run can do it)
  const group = (sig: "TERM" | "KILL") => {
    try {
      new Deno.Command("/bin/sh", { args: ["-c", `kill -s ${sig} -- -${child.pid} 2>/dev/null`], stdin: "null", stdout: "null", stderr: "null" }).spawn();
    } catch {
      try {
        child.kill(`SIG${sig}`);
      } catch {
        // gone already
      }
    }
  };
  const p: UpdownProcess = {
    output: (f) => listeners.push(f),
    exited,
    kill: () => {
      group("TERM");
      setTimeout(() => group("KILL"), 1000);
    },
  };
  return p;
};
