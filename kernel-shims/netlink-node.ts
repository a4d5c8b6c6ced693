// The Node host's XFRM transport: NETLINK_XFRM sockets from the npm package `netlink`
// (mildsunrise/node_netlink, MIT), whose RawNetlinkSocket is a small N-API addon that opens
// socket(AF_NETLINK, SOCK_RAW, protocol) for any protocol number, binds it, joins multicast groups
// (NETLINK_ADD_MEMBERSHIP) and reads it with a libuv poll handle, so the event loop never blocks.
// It ships prebuilt binaries for linux x64/ia32/arm/arm64; elsewhere its install step compiles
// the addon with node-gyp.
//
// Node itself has no netlink sockets (node:dgram is UDP only and node:net is TCP/Unix), so without
// that package, or another addon, there is no way to reach XFRM from a Node process.
//
// The package is loaded lazily with require(), so this file compiles and the rest of the host runs
// (on the memory kernel) where it is not installed. PLUTO_NETLINK_MODULE may name another
// directory holding the package (for trying an unpacked copy).

import { createRequire } from "node:module";
import { XfrmKernel, type NetlinkSocket } from "./xfrm-kernel.ts";
import { NETLINK_XFRM, XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE } from "./xfrm.ts";

/** The part of `netlink`'s RawNetlinkSocket (0.3.x) used here. */
interface RawNetlinkSocket {
  send(msg: Uint8Array, options: { port?: number } | undefined, callback: (error?: Error & { code?: string }) => void): void;
  on(event: "message", listener: (msg: Uint8Array, rinfo: { port: number; groups: number }) => void): unknown;
  on(event: "error", listener: (error: Error & { code?: string }) => void): unknown;
  address(): { port: number; groups: number };
  addMembership(group: number): void;
  setRecvBufferSize(size: number): unknown;
  close(): void;
}

interface NetlinkPackage {
  RawNetlinkSocket: new (protocol: number, options?: Record<string, unknown>) => RawNetlinkSocket;
}

/** Loads the `netlink` package, or says why it cannot. */
export function loadNetlinkPackage(): { pkg: NetlinkPackage } | { error: string } {
  const require = createRequire(import.meta.url);
  const name = process.env.PLUTO_NETLINK_MODULE || "netlink";
  try {
    const pkg = require(name) as Partial<NetlinkPackage>;
    if (typeof pkg.RawNetlinkSocket !== "function") return { error: `${name} has no RawNetlinkSocket (not the netlink package 0.3?)` };
    return { pkg: pkg as NetlinkPackage };
  } catch (e) {
    return { error: `cannot load the npm package ${name}: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** Wraps a RawNetlinkSocket as the runtime-neutral NetlinkSocket, keeping only the kernel's datagrams. */
export function wrapRawSocket(raw: RawNetlinkSocket): NetlinkSocket {
  const port = raw.address().port;
  return {
    port,
    send: (bytes) =>
      new Promise<void>((resolve, reject) => {
        raw.send(bytes, { port: 0 }, (error) => (error ? reject(error) : resolve()));
      }),
    onDatagram: (listener) => {
      raw.on("message", (msg, rinfo) => {
        // Only the kernel (port 0) may answer or notify; other processes can send to our port.
        if (rinfo.port === 0) listener(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
      });
    },
    onError: (listener) => {
      raw.on("error", (error) => listener({ message: error.message, ...(error.code ? { code: error.code } : {}) }));
    },
    close: () => raw.close(),
  };
}

export interface NodeXfrmOptions {
  /** Receive ACQUIRE and EXPIRE (default true). */
  events?: boolean;
  /** Longest wait for a reply in ms (default 5000). */
  timeoutMs?: number;
  /** SO_RCVBUF of the event socket (default 1 MiB, capped by net.core.rmem_max). */
  eventBufferBytes?: number;
}

/**
 * Opens the XFRM kernel interface of the current network namespace: one socket for requests, one
 * joined to XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE. Throws an Error saying what is missing when
 * the package cannot be loaded or the socket cannot be opened (no CAP_NET_ADMIN, no XFRM).
 */
export function openNodeXfrmKernel(options: NodeXfrmOptions = {}): XfrmKernel {
  const loaded = loadNetlinkPackage();
  if ("error" in loaded) throw new Error(loaded.error);
  const { RawNetlinkSocket } = loaded.pkg;
  const requests = new RawNetlinkSocket(NETLINK_XFRM);
  let events: RawNetlinkSocket | undefined;
  try {
    if (options.events !== false) {
      events = new RawNetlinkSocket(NETLINK_XFRM);
      events.setRecvBufferSize(options.eventBufferBytes ?? 1 << 20);
      events.addMembership(XFRMNLGRP_ACQUIRE);
      events.addMembership(XFRMNLGRP_EXPIRE);
    }
  } catch (e) {
    requests.close();
    events?.close();
    throw e;
  }
  return new XfrmKernel({
    requests: wrapRawSocket(requests),
    ...(events ? { events: wrapRawSocket(events) } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}
