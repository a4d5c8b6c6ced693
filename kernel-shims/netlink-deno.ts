// The Deno host's XFRM transport: NETLINK_XFRM sockets through FFI to libc (Deno.dlopen, which
// needs --allow-ffi). Deno has no netlink sockets of its own, and the npm package `netlink` reads
// its socket in a way that blocks Deno's event loop, so this file opens the sockets itself:
// socket(AF_NETLINK, SOCK_RAW|SOCK_NONBLOCK|SOCK_CLOEXEC, NETLINK_XFRM), bind (nl_groups for the
// ACQUIRE and EXPIRE multicast groups), sendto and recvfrom with MSG_DONTWAIT, close.
//
// The event loop never blocks: every socket is non-blocking, so sendto and recvfrom are quick
// synchronous calls (which keeps errno on the calling thread, where __errno_location reads it),
// and the wait for a datagram is poll(2) declared `nonblocking: true`, which Deno runs on a
// thread of its own and resolves as a promise. Once it says the socket is readable, every
// datagram is read until EAGAIN. The poll has a timeout, so a closed socket's waiting thread ends
// within POLL_MS; its file descriptor is closed only then, never under a poll still using it.
//
// Runtime-neutral code (requests, replies, errnos, events) is XfrmKernel's; this is only the socket.
// This file uses the Deno namespace, so only hosts/deno imports it.

import { XfrmKernel, type NetlinkSocket } from "./xfrm-kernel.ts";
import { errnoMessage, errnoName, NETLINK_XFRM, XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE } from "./xfrm.ts";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const EINTR = 4;
const EAGAIN = 11;
const ENOBUFS = 105;
const POLL_MS = 250;
const RECV_BYTES = 1 << 16;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | undefined;

/** libc, opened once. Throws Deno.errors.NotCapable without --allow-ffi. */
function open(): Libc {
  libc ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return libc;
}

/** A failed call's errno as an Error with its name as `code`, as Node's errors have. */
function failure(c: Libc, call: string): Error & { code: string; errno: number } {
  const p = c.__errno_location();
  const errno = p ? new Deno.UnsafePointerView(p).getInt32() : 0;
  return Object.assign(new Error(`${call}: ${errnoName(errno)}: ${errnoMessage(errno)}`), { code: errnoName(errno), errno });
}

/** struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid, nl_groups; } */
function sockaddrNl(pid: number, groups: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_NETLINK, true);
  v.setUint32(4, pid, true);
  v.setUint32(8, groups, true);
  return b;
}

/**
 * One non-blocking NETLINK_XFRM socket, bound (the kernel picks the port id) and joined to
 * `groups` (a bit mask: 1 << (group - 1)).
 */
export function openNetlinkSocket(protocol: number, groups = 0, rcvbuf?: number): NetlinkSocket {
  const c = open();
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) throw failure(c, "socket(AF_NETLINK, NETLINK_XFRM)");
  let port = 0;
  try {
    if (rcvbuf !== undefined) {
      const v = new Int32Array([rcvbuf]);
      // the kernel caps SO_RCVBUF at net.core.rmem_max; a refusal only leaves the default
      c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new Uint8Array(v.buffer), 4);
    }
    if (c.bind(fd, sockaddrNl(0, groups), 12) < 0) {
      const e = failure(c, "bind(AF_NETLINK)");
      if (e.code === "EPERM") e.message += " (the XFRM multicast groups need CAP_NET_ADMIN)";
      throw e;
    }
    const addr = new Uint8Array(12);
    const len = new Uint32Array([12]);
    if (c.getsockname(fd, addr, new Uint8Array(len.buffer)) < 0) throw failure(c, "getsockname(AF_NETLINK)");
    port = new DataView(addr.buffer).getUint32(4, true);
  } catch (e) {
    c.close(fd);
    throw e;
  }

  const datagramListeners: ((bytes: Uint8Array) => void)[] = [];
  const errorListeners: ((error: { code?: string; message: string }) => void)[] = [];
  let closed = false;
  const error = (e: Error & { code?: string }) => {
    for (const l of errorListeners) l({ message: e.message, ...(e.code ? { code: e.code } : {}) });
  };
  const kernel = sockaddrNl(0, 0);
  const buf = new Uint8Array(RECV_BYTES);
  const from = new Uint8Array(12);
  const fromLen = new Uint32Array(1);

  // Reads every datagram waiting, until EAGAIN.
  const drain = () => {
    while (!closed) {
      fromLen[0] = 12;
      const n = Number(c.recvfrom(fd, buf, BigInt(buf.length), MSG_DONTWAIT, from, new Uint8Array(fromLen.buffer)));
      if (n < 0) {
        const e = failure(c, "recvfrom(NETLINK_XFRM)");
        if (e.errno === EAGAIN) return;
        if (e.errno === EINTR) continue;
        error(e); // ENOBUFS: events were lost; the socket goes on
        if (e.errno !== ENOBUFS) return;
        continue;
      }
      // Only the kernel (port 0) may answer or notify; other processes can send to our port.
      if (new DataView(from.buffer).getUint32(4, true) !== 0) continue;
      const bytes = buf.slice(0, n);
      for (const l of datagramListeners) l(bytes);
    }
  };
  // Waits on its own thread (nonblocking FFI), reads on the event loop, until closed.
  const pollfd = new Uint8Array(8);
  new DataView(pollfd.buffer).setInt32(0, fd, true);
  new DataView(pollfd.buffer).setInt16(4, POLLIN, true);
  void (async () => {
    while (!closed) {
      const r = await c.poll(pollfd, 1n, POLL_MS);
      if (closed) break;
      if (r > 0) drain();
      else if (r < 0) await new Promise((res) => setTimeout(res, 10)); // EINTR; nothing else for one pollfd
    }
    c.close(fd);
  })();

  return {
    port,
    send: (bytes) => {
      if (closed) return Promise.reject(Object.assign(new Error("socket closed"), { code: "EBADF" }));
      for (;;) {
        const n = Number(c.sendto(fd, bytes, BigInt(bytes.length), 0, kernel, 12));
        if (n >= 0) break;
        const e = failure(c, "sendto(NETLINK_XFRM)");
        if (e.errno !== EINTR) return Promise.reject(e);
      }
      // the kernel answers during sendto: read the reply now rather than after the next poll
      queueMicrotask(drain);
      return Promise.resolve();
    },
    onDatagram: (l) => void datagramListeners.push(l),
    onError: (l) => void errorListeners.push(l),
    close: () => {
      closed = true;
    },
  };
}

export interface DenoXfrmOptions {
  /** Receive ACQUIRE and EXPIRE (default true). */
  events?: boolean;
  /** Longest wait for a reply in ms (default 5000). */
  timeoutMs?: number;
  /** SO_RCVBUF of the event socket (default 1 MiB, capped by net.core.rmem_max). */
  eventBufferBytes?: number;
}

/**
 * Opens the XFRM kernel interface of the current network namespace: one socket for requests, one
 * bound to XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE. Throws an Error saying what failed (without
 * --allow-ffi: Deno.errors.NotCapable; without CAP_NET_ADMIN for the groups: EPERM).
 */
export function openDenoXfrmKernel(options: DenoXfrmOptions = {}): XfrmKernel {
  const requests = openNetlinkSocket(NETLINK_XFRM);
  let events: NetlinkSocket | undefined;
  try {
    if (options.events !== false) {
      events = openNetlinkSocket(NETLINK_XFRM, (1 << (XFRMNLGRP_ACQUIRE - 1)) | (1 << (XFRMNLGRP_EXPIRE - 1)), options.eventBufferBytes ?? 1 << 20);
    }
  } catch (e) {
    requests.close();
    throw e;
  }
  return new XfrmKernel({
    requests,
    ...(events ? { events } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}
