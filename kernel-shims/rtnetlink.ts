// rtnetlink (NETLINK_ROUTE) for the user-space data plane, runtime-neutral: a link's index by
// name, the link up with an MTU, and routes through it (RFC 3549; <linux/rtnetlink.h>,
// <linux/if_link.h>). The host brings a bound NETLINK_ROUTE datagram socket (the same
// NetlinkSocket the XFRM kernel takes: netlink-node.ts on Node, netlink-deno.ts on Deno).
import { parseAddress, parsePrefix, AF_INET, AF_INET6 } from "./address.ts";
import type { NetlinkSocket } from "./xfrm-kernel.ts";
import { decodeError, NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR, splitMessages } from "./xfrm.ts";
import { KernelError } from "./kernel.ts";

export const NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const NLM_F_REPLACE = 0x100;
const NLM_F_CREATE = 0x400;
const IFLA_MTU = 4;
const IFLA_IFNAME = 3;
const IFLA_TXQLEN = 13;
const IFF_UP = 1;
const IFLA_AF_SPEC = 26;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_PREFSRC = 7;
const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

function attr(type: number, data: Uint8Array): Uint8Array {
  const len = 4 + data.length;
  const out = new Uint8Array((len + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  out.set(data, 4);
  return out;
}
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const cstr = (s: string) => new Uint8Array([...new TextEncoder().encode(s), 0]);

function message(type: number, flags: number, seq: number, parts: Uint8Array[]): Uint8Array {
  const len = 16 + parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  let off = 16;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// struct ifinfomsg { u8 family, pad; u16 type; s32 index; u32 flags, change; }
function ifinfomsg(index: number, flags: number, change: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

/** The routes of the data plane: one per remote selector, through the TUN device. */
export class RtNetlink {
  private seq = 1;
  private pending = new Map<number, { resolve: (m: Uint8Array | undefined) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly socket: NetlinkSocket, private readonly timeoutMs = 5000) {
    socket.onDatagram((bytes) => {
      let msgs;
      try {
        msgs = splitMessages(bytes);
      } catch {
        return;
      }
      for (const m of msgs) {
        const p = this.pending.get(m.seq);
        if (!p) continue;
        this.pending.delete(m.seq);
        clearTimeout(p.timer);
        if (m.type === NLMSG_ERROR) {
          const e = decodeError(m);
          if (e.errno === 0) p.resolve(undefined);
          else p.reject(new KernelError(this.ops.get(m.seq) ?? "rtnetlink", e.errno, e.code, e.detail));
        } else {
          p.resolve(m.payload);
        }
        this.ops.delete(m.seq);
      }
    });
  }
  private ops = new Map<number, string>();

  private request(op: string, type: number, flags: number, parts: Uint8Array[]): Promise<Uint8Array | undefined> {
    const seq = this.seq++;
    const bytes = message(type, flags | NLM_F_REQUEST | NLM_F_ACK, seq, parts);
    this.ops.set(seq, op);
    const reply = new Promise<Uint8Array | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        this.ops.delete(seq);
        reject(new KernelError(op, 110, "ETIMEDOUT", `no reply in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
    });
    reply.catch(() => undefined);
    return this.socket.send(bytes).then(() => reply);
  }

  /** The interface index of a link by name (RTM_GETLINK). */
  async linkIndex(name: string): Promise<number> {
    const reply = await this.request("RTM_GETLINK", RTM_GETLINK, 0, [ifinfomsg(0, 0, 0), attr(IFLA_IFNAME, cstr(name))]);
    if (!reply || reply.length < 16) throw new KernelError("RTM_GETLINK", 19, "ENODEV", `no link ${name}`);
    return new DataView(reply.buffer, reply.byteOffset).getInt32(4, true);
  }

  /**
   * Sets a link up, with an MTU (RTM_NEWLINK on an existing link), and without an IPv6
   * link-local address (IFLA_INET6_ADDR_GEN_MODE none, first), so that the kernel sends no
   * router solicitations into the tunnel.
   */
  async linkUp(index: number, mtu: number, txqlen = 1000): Promise<void> {
    const inet6 = attr(IFLA_AF_SPEC, attr(AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, Uint8Array.of(IN6_ADDR_GEN_MODE_NONE))));
    await this.request("RTM_NEWLINK", RTM_NEWLINK, 0, [ifinfomsg(index, 0, 0), inet6]).catch(() => undefined); // no IPv6 here: nothing to stop
    await this.request("RTM_NEWLINK", RTM_NEWLINK, 0, [ifinfomsg(index, IFF_UP, IFF_UP), attr(IFLA_MTU, u32(mtu)), attr(IFLA_TXQLEN, u32(txqlen))]);
  }

  private route(index: number, prefix: string, src?: string): Uint8Array[] {
    const p = parsePrefix(prefix);
    // struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
    const rtm = Uint8Array.of(p.family, p.prefixLen, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_LINK, RTN_UNICAST, 0, 0, 0, 0);
    const parts = [rtm, attr(RTA_DST, p.bytes), attr(RTA_OIF, u32(index))];
    if (src) {
      const s = parseAddress(src);
      if (s.family === p.family) parts.push(attr(RTA_PREFSRC, s.bytes));
    }
    return parts;
  }

  /** `ip route replace PREFIX dev INDEX [src SRC]`. */
  async addRoute(index: number, prefix: string, src?: string): Promise<void> {
    await this.request("RTM_NEWROUTE", RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, this.route(index, prefix, src));
  }

  /** `ip route del PREFIX dev INDEX`. */
  async delRoute(index: number, prefix: string): Promise<void> {
    await this.request("RTM_DELROUTE", RTM_DELROUTE, 0, this.route(index, prefix));
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.socket.close();
  }
}

export { AF_INET, AF_INET6 };
