// One whack request over pluto's control socket, answered or timed out.
import net from "node:net";
import type { WhackRequest, WhackResponse } from "../whack-protocol.ts";

export function whackRequest(path: string, req: WhackRequest, timeoutMs = 30000): Promise<WhackResponse> {
  return new Promise((resolve) => {
    const sock = net.connect(path);
    let buf = "";
    let answered = false;
    const done = (r: WhackResponse) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no answer from pluto on ${path} within ${timeoutMs / 1000} s` }), timeoutMs);
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
      const i = buf.indexOf("\n");
      if (i < 0) return;
      try {
        done(JSON.parse(buf.slice(0, i)) as WhackResponse);
      } catch {
        done({ ok: false, error: "pluto sent something that is not JSON" });
      }
    });
  });
}
