// The control socket's calls under Deno: each accepted connection as a WhackSocket for the
// shared policy (hosts/whack-server.ts), which decides everything else. Writes go out in
// order, one at a time; reading stops while the policy has paused it.
import type { WhackServer } from "../whack-server.ts";

export function serveWhack(whack: WhackServer, conn: Deno.Conn): void {
  let writes = Promise.resolve();
  let paused = false;
  let wake: (() => void) | null = null;
  let gone = false;
  const close = () => {
    if (gone) return;
    gone = true;
    try {
      conn.close();
    } catch {
      // closed already
    }
    wake?.();
    client.closed();
  };
  const client = whack.accept({
    write: (bytes, taken) => {
      writes = writes.then(async () => {
        for (let o = 0; o < bytes.length;) o += await conn.write(bytes.subarray(o));
        if (!gone) taken();
      }).catch(close);
    },
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      wake?.();
    },
    end: () => void (writes = writes.then(() => conn.closeWrite()).catch(close)),
    destroy: close,
  });
  (async () => {
    const buf = new Uint8Array(16384);
    while (!gone) {
      if (paused) {
        await new Promise<void>((r) => (wake = r));
        wake = null;
        continue;
      }
      const n = await conn.read(buf);
      if (n === null) return client.ended();
      client.received(buf.slice(0, n));
    }
  })().catch(close);
}
