// One whack request over pluto's control socket: its progress lines handed to `progress` as
// they come, then its answer (or why there is none).
import net from "node:net";
import type { WhackProgress, WhackRequest, WhackResponse } from "../whack-protocol.ts";

// How long to wait without a line from pluto, unless pluto said it may take longer (waitMs).
const IDLE_MS = 30000;

export function whackRequest(path: string, req: WhackRequest, progress?: (p: WhackProgress) => void, idleMs = IDLE_MS): Promise<WhackResponse> {
  return new Promise((resolve) => {
    const sock = net.connect(path);
    let buf = "";
    let answered = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (r: WhackResponse) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const idle = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => done({ ok: false, error: `no answer from pluto on ${path} within ${ms / 1000} s` }), ms);
    };
    idle(idleMs);
    sock.setEncoding("utf8");
    let connected = false;
    sock.on("connect", () => {
      connected = true;
      sock.write(JSON.stringify(req) + "\n");
    });
    sock.on("error", (e: NodeJS.ErrnoException) => done({
      ok: false,
      error: connected
        ? `pluto on ${path} closed the connection without an answer (${e.code ?? e.message})`
        : `cannot talk to pluto on ${path}: ${e.message} (is pluto running? --ctlsocket PATH or --rundir DIR)`,
    }));
    // closed with no answer line: refused or cut off without a word, or pluto went away
    sock.on("end", () => done({ ok: false, error: `pluto on ${path} closed the connection without an answer` }));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0 && !answered; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let v: WhackResponse & WhackProgress;
        try {
          v = JSON.parse(line) as WhackResponse & WhackProgress;
        } catch {
          return done({ ok: false, error: "pluto sent something that is not JSON" });
        }
        if (typeof v !== "object" || v === null) return done({ ok: false, error: "pluto sent something that is not a JSON object" });
        if (typeof v.ok === "boolean") return done(v);
        idle(typeof v.waitMs === "number" && v.waitMs > 0 ? v.waitMs + idleMs : idleMs);
        progress?.(v);
      }
    });
  });
}
