// The Node host's calls for the user-space data plane (--kernel userspace): a TUN device and a
// raw IP socket for plain ESP, through koffi (the npm package, an FFI with prebuilt binaries in
// its npm packages; Node has neither TUN nor raw sockets), and NETLINK_ROUTE through the
// `netlink` package's RawNetlinkSocket (as netlink-node.ts opens NETLINK_XFRM).
//
// Nothing blocks, neither the event loop nor a thread for long: both descriptors are
// non-blocking, the wait for input is poll(2) with a 200 ms timeout through koffi's async call
// (a thread of libuv's pool), and once it says readable every packet waiting is read on the
// event loop until EAGAIN (one wake-up per burst, not per packet). A closed device's descriptor
// is closed only once its poll has returned, and no thread is left blocked for the process's
// exit to wait on.
import { createRequire } from "node:module";
import { UserspaceKernel, type RawEspSocket, type TunDevice } from "../../kernel-shims/userspace.ts";
import { errnoMessage, errnoName } from "../../kernel-shims/xfrm.ts";
import { loadNetlinkPackage, wrapRawSocket } from "../../kernel-shims/netlink-node.ts";
import { NETLINK_ROUTE, RtNetlink } from "../../kernel-shims/rtnetlink.ts";

const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const SOCK_NONBLOCK = 0o4000;
const POLLIN = 1;
const POLL_MS = 200;
const EAGAIN = 11;
const EINTR = 4;
const O_CLOEXEC = 0o2000000;
const TUNSETIFF = 0x400454ca; // _IOW('T', 202, int)
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const AF_INET = 2;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ESP = 50;
const MAX_PACKET = 65536;

interface Libc {
  open: (path: string, flags: number) => number;
  ioctl: (fd: number, req: number, arg: Uint8Array) => number;
  socket: (domain: number, type: number, proto: number) => number;
  sendto: (fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: number) => number;
  recvfrom: (fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: Uint32Array) => number;
  read: (fd: number, buf: Uint8Array, len: number) => number;
  write: (fd: number, buf: Uint8Array, len: number) => number;
  poll: { async: (fds: Uint8Array, n: number, timeout: number, cb: (err: unknown, r: number) => void) => void };
  close: (fd: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Uint8Array, len: number) => number;
  errno: () => number;
}

let libc: Libc | undefined;
function loadLibc(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  let koffi;
  try {
    koffi = require("koffi");
  } catch (e) {
    throw new Error(`cannot load the npm package koffi: ${(e as Error).message.split("\n")[0]}`);
  }
  const lib = koffi.load("libc.so.6");
  libc = {
    open: lib.func("int open(const char *path, int flags)"),
    ioctl: lib.func("int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)"),
    socket: lib.func("int socket(int domain, int type, int protocol)"),
    sendto: lib.func("intptr_t sendto(int fd, const uint8_t *buf, size_t len, int flags, const uint8_t *addr, uint32_t alen)"),
    recvfrom: lib.func("intptr_t recvfrom(int fd, _Out_ uint8_t *buf, size_t len, int flags, _Out_ uint8_t *addr, _Inout_ uint32_t *alen)"),
    read: lib.func("intptr_t read(int fd, _Out_ uint8_t *buf, size_t len)"),
    write: lib.func("intptr_t write(int fd, const uint8_t *buf, size_t len)"),
    poll: lib.func("int poll(_Inout_ uint8_t *fds, unsigned long n, int timeout)"),
    close: lib.func("int close(int fd)"),
    setsockopt: lib.func("int setsockopt(int fd, int level, int name, const uint8_t *val, uint32_t len)"),
    errno: () => koffi.errno(),
  } as Libc;
  return libc;
}

function failure(call: string, errno: number): Error & { code: string } {
  return Object.assign(new Error(`${call}: ${errnoName(errno)}: ${errnoMessage(errno)}`), { code: errnoName(errno) });
}

/** Opens /dev/net/tun as the TUN device `name` (IFF_TUN | IFF_NO_PI: bare IP packets). Throws saying why not. */
export function openTun(name: string): TunDevice {
  if (new TextEncoder().encode(name).length > 15) throw new Error(`TUN device name ${name} is longer than 15 bytes`);
  const c = loadLibc();
  const fd = c.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw failure("open(/dev/net/tun)", c.errno());
  const ifr = new Uint8Array(40);
  ifr.set(new TextEncoder().encode(name));
  new DataView(ifr.buffer).setUint16(16, IFF_TUN | IFF_NO_PI, true);
  if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
    const e = failure(`ioctl(TUNSETIFF ${name})`, c.errno());
    c.close(fd);
    if (e.code === "EPERM") e.message += " (a TUN device needs CAP_NET_ADMIN)";
    throw e;
  }
  const actual = new TextDecoder().decode(ifr.subarray(0, ifr.indexOf(0) < 0 ? 16 : ifr.indexOf(0)));
  const listeners: ((p: Uint8Array) => void)[] = [];
  const errors: ((e: Error) => void)[] = [];
  const buf = new Uint8Array(MAX_PACKET);
  const poller = pollLoop(c, fd, () => {
    for (;;) {
      const n = c.read(fd, buf, MAX_PACKET);
      if (n < 0) {
        const errno = c.errno();
        if (errno === EINTR) continue;
        if (errno !== EAGAIN) for (const l of errors) l(failure(`read(${actual})`, errno));
        return;
      }
      const p = buf.slice(0, n);
      for (const l of listeners) l(p);
    }
  });
  return {
    name: actual,
    write: (p) => {
      if (poller.closed) return;
      if (c.write(fd, p, p.length) < 0) {
        const e = failure(`write(${actual})`, c.errno());
        for (const l of errors) l(e);
      }
    },
    onPacket: (l) => {
      listeners.push(l);
      poller.start();
    },
    onError: (l) => void errors.push(l),
    close: () => poller.close(),
  };
}

// Waits for input on `fd` in a thread of libuv's pool (poll(2), bounded), calls `readable` on
// the event loop when there is some, until closed; then closes the descriptor.
function pollLoop(c: Libc, fd: number, readable: () => void): { start(): void; close(): void; readonly closed: boolean } {
  const pfd = new Uint8Array(8);
  const v = new DataView(pfd.buffer);
  v.setInt32(0, fd, true);
  let started = false;
  let closed = false;
  let waiting = false;
  const loop = () => {
    if (closed) {
      c.close(fd);
      return;
    }
    waiting = true;
    v.setInt16(6, 0, true);
    v.setInt16(4, POLLIN, true);
    c.poll.async(pfd, 1, POLL_MS, (_err, r) => {
      waiting = false;
      if (!closed && r > 0) readable();
      loop();
    });
  };
  return {
    start: () => {
      if (started || closed) return;
      started = true;
      loop();
    },
    close: () => {
      if (closed) return;
      closed = true;
      if (!waiting) c.close(fd); // else: once the poll returns
    },
    get closed() {
      return closed;
    },
  };
}

/** A raw IPv4 socket for IP protocol 50 (plain ESP), or why there is none. */
export function openRawEsp(): RawEspSocket {
  const c = loadLibc();
  const fd = c.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (fd < 0) throw failure("socket(AF_INET, SOCK_RAW, IPPROTO_ESP)", c.errno());
  // a burst must wait in the socket while the event loop seals and opens: 4 MiB (FORCE past
  // net.core.rmem_max, as root; else the default stays)
  const size = new Uint8Array(new Int32Array([4 << 20]).buffer);
  if (c.setsockopt(fd, 1, 33 /* SO_RCVBUFFORCE */, size, 4) < 0) c.setsockopt(fd, 1, 8 /* SO_RCVBUF */, size, 4);
  const listeners: ((src: string, dst: string, esp: Uint8Array) => void)[] = [];
  const buf = new Uint8Array(MAX_PACKET);
  const from = new Uint8Array(16);
  const fromLen = new Uint32Array(1);
  const poller = pollLoop(c, fd, () => {
    for (;;) {
      fromLen[0] = 16;
      const n = c.recvfrom(fd, buf, MAX_PACKET, 0, from, fromLen);
      if (n < 0) {
        if (c.errno() === EINTR) continue;
        return; // EAGAIN: all read
      }
      // a raw IPv4 socket delivers the IP header too
      const ihl = (buf[0]! & 15) * 4;
      if (n < ihl + 8 || buf[0]! >> 4 !== 4) continue;
      const src = Array.from(buf.subarray(12, 16)).join(".");
      const dst = Array.from(buf.subarray(16, 20)).join(".");
      const esp = buf.slice(ihl, n);
      for (const l of listeners) l(src, dst, esp);
    }
  });
  const sin = new Uint8Array(16);
  new DataView(sin.buffer).setUint16(0, AF_INET, true);
  return {
    send: (_src, dst, esp) => {
      if (poller.closed) return;
      // the kernel picks the source by its routes: the IKE SA's local address here
      sin.set(dst.split(".").map(Number), 4);
      if (c.sendto(fd, esp, esp.length, 0, sin, 16) < 0) throw failure(`sendto(${dst}, ESP)`, c.errno());
    },
    onPacket: (l) => {
      listeners.push(l);
      poller.start();
    },
    close: () => poller.close(),
  };
}

/** NETLINK_ROUTE through the `netlink` package, for the data plane's link and routes. */
export function openRtNetlink(): RtNetlink {
  const loaded = loadNetlinkPackage();
  if ("error" in loaded) throw new Error(loaded.error);
  return new RtNetlink(wrapRawSocket(new loaded.pkg.RawNetlinkSocket(NETLINK_ROUTE)));
}

/**
 * The user-space data plane of the Node host: the TUN device `name` (up, MTU 1400, to leave room
 * for ESP in an Ethernet MTU), its routes through rtnetlink, and the raw ESP socket when it can
 * be had. Throws, saying why, when the TUN device cannot be opened.
 */
export function openNodeUserspaceKernel(name: string, log: (line: string) => void, localAddresses: () => string[]): UserspaceKernel {
  const tun = openTun(name);
  let rt: RtNetlink;
  try {
    rt = openRtNetlink();
  } catch (e) {
    tun.close();
    throw new Error(`rtnetlink for the routes through ${tun.name}: ${(e as Error).message}`);
  }
  const index = rt.linkIndex(tun.name).then(async (i) => {
    await rt.linkUp(i, 1400);
    return i;
  });
  index.catch((e) => log(`kernel userspace: cannot set ${tun.name} up: ${(e as Error).message}`));
  let raw: RawEspSocket | { error: string };
  try {
    raw = openRawEsp();
  } catch (e) {
    raw = { error: (e as Error).message };
  }
  const t0 = performance.now();
  const k = new UserspaceKernel({
    tun,
    routes: { addRoute: async (p, src) => rt.addRoute(await index, p, src), delRoute: async (p) => rt.delRoute(await index, p) },
    raw,
    now: () => performance.now() - t0,
    wallSeconds: () => Math.floor(Date.now() / 1000),
    log,
    localAddresses,
  });
  const close = k.close.bind(k);
  k.close = async () => {
    await close();
    rt.close();
  };
  return k;
}
