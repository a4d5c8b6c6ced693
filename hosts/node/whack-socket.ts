// The control socket's calls under Node: each accepted connection as a WhackSocket for the
// shared policy (hosts/whack-server.ts), which decides everything else.
import type net from "node:net";
import type { WhackServer } from "../whack-server.ts";

// One whack client; the server is created with allowHalfOpen, so a client that half-closes
// after its request still gets the answer.
export function serveWhack(whack: WhackServer, conn: net.Socket): void {
  const c = whack.accept({
    write: (bytes, taken) => conn.write(bytes, (err) => err || taken()),
    pause: () => conn.pause(),
    resume: () => conn.resume(),
    end: () => conn.end(),
    destroy: () => conn.destroy(),
  });
  conn.on("data", (b: Buffer) => c.received(new Uint8Array(b.buffer, b.byteOffset, b.length)));
  conn.on("end", () => c.ended());
  conn.on("error", () => conn.destroy()); // a client that went away mid-command
  conn.on("close", () => c.closed());
}
