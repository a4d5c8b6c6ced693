// pluto's log to syslog, as Libreswan's pluto logs there when given neither a log file nor
// stderr (openlog("pluto", LOG_PID, LOG_AUTHPRIV), every line at LOG_WARNING): each line a
// datagram to the syslog socket (/dev/log) in the local RFC 3164 form glibc's syslog(3) sends,
// `<84>Dec  2 14:20:33 pluto[PID]: line` (no host name). Node has no Unix datagram sockets, so the datagrams
// are sent by util-linux's logger(1) (Debian's essential bsdutils), one line of its standard
// input a message. What it has not taken stays in a bounded buffer: past SYSLOG_BACKLOG bytes,
// lines are counted and the count is logged once it drains.
import { spawn } from "node:child_process";
import { statSync } from "node:fs";

export const SYSLOG_BACKLOG = 1 << 20;

export interface Syslog {
  write(line: string): void;
  close(): Promise<void>;
}

// The socket, or why there is none.
export function syslogSocket(path: string): string | null {
  try {
    return statSync(path).isSocket() ? null : `${path} is not a socket`;
  } catch (e) {
    return `no syslog socket ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}

// `failed` is told (once) when logger cannot be run or stops; the caller then logs elsewhere.
export function openSyslog(path: string, pid: number, failed: (why: string) => void): Syslog {
  const p = spawn("logger", ["--socket", path, "--socket-errors=on", "--tag", "pluto", `--id=${pid}`, "--priority", "authpriv.warning"],
    { stdio: ["pipe", "ignore", "pipe"] });
  let done = false;
  let errText = "";
  p.stderr?.on("data", (c: Buffer) => (errText = (errText + c.toString()).slice(-400)));
  const fail = (why: string) => {
    if (done) return;
    done = true;
    failed(why);
  };
  p.once("error", (e) => fail(`cannot run logger(1) for syslog: ${e.message}`));
  p.once("exit", (code, sig) => fail(`logger(1) for syslog stopped (${sig ?? `status ${code}`})${errText ? `: ${errText.trim()}` : ""}`));
  p.stdin?.on("error", () => {}); // (its exit says why)
  let dropped = 0;
  return {
    write(line: string) {
      if (done || !p.stdin) return;
      if (p.stdin.writableLength > SYSLOG_BACKLOG) {
        dropped++;
        return;
      }
      if (dropped) {
        p.stdin.write(`${dropped} log line(s) not sent to syslog: it did not take them fast enough\n`);
        dropped = 0;
      }
      // one message a line (logger makes one of each line it reads)
      p.stdin.write(line.endsWith("\n") ? line : line + "\n");
    },
    close() {
      return new Promise((res) => {
        if (done || !p.stdin) return res();
        done = true;
        p.once("exit", () => res());
        p.stdin.end();
        setTimeout(res, 2000).unref();
      });
    },
  };
}
