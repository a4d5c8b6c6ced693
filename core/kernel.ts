// Kernel operations: what the host is to install when a Child SA is established and remove when
// it goes (SAs both ways and the policies of its traffic selectors). The core decides; the host's
// kernel interface (XFRM netlink, or the in-memory kernel) carries it out. The description is
// JSON (it holds the keys: hosts pass it to the kernel and never log it).
import { ChildSa } from "./sa/sa";
import { Conn, Ts, jsonText } from "./conn/conn";
import { hex } from "./bytes";
import { kernelOp } from "./pump";

function tsList(list: Array<Ts>): string {
  let s = "[";
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (i) s += ",";
    s += '{"proto":' + t.proto.toString() + ',"sport":' + t.sport.toString() + ',"eport":' + t.eport.toString() +
      ',"start":"' + hex(t.start) + '","end":"' + hex(t.end) + '"}';
  }
  return s + "]";
}

// The addresses a server gave us (CFG_REPLY): the host puts them on the interface of our IKE
// address while a Child SA uses them (as Libreswan's updown adds leftsourceip).
function vipList(c: Conn): string {
  if (c.vips.length == 0) return "";
  let s = ',"vips":[';
  for (let i = 0; i < c.vips.length; i++) s += (i ? "," : "") + '"' + hex(c.vips[i]) + '"';
  return s + "]";
}

function describe(op: string, c: ChildSa, keys: bool): string {
  const ike = c.ike;
  let s = '{"op":"' + op + '","id":' + c.serial.toString() + ',"serial":' + c.serial.toString() + ',"reqid":' + (c.reqid > 0 ? c.reqid : c.serial).toString() +
    ',"conn":"' + jsonText(ike.conn.name) + '","family":' + ike.local.family.toString() +
    ',"local":"' + hex(ike.local.addrBytes()) + '","remote":"' + hex(ike.remote.addrBytes()) +
    '","localPort":' + ike.local.port.toString() + ',"remotePort":' + ike.remote.port.toString() +
    ',"natT":' + (ike.natT ? "true" : "false") + ',"mode":"' + (c.transport ? "transport" : "tunnel") +
    '","spiIn":' + c.spiIn.toString() + ',"spiOut":' + c.spiOut.toString() +
    ',"encr":' + c.encr.toString() + ',"keyBits":' + c.keyBits.toString() + ',"integ":' + c.integ.toString() +
    ',"esn":' + (c.esn == 1 ? "true" : "false") + ',"tsLocal":' + tsList(c.tsLocal) + ',"tsRemote":' + tsList(c.tsRemote) + vipList(ike.conn);
  if (keys) {
    s += ',"encrIn":"' + hex(c.encrIn) + '","integIn":"' + hex(c.integIn) + '","encrOut":"' + hex(c.encrOut) + '","integOut":"' + hex(c.integOut) + '"';
  }
  return s + "}";
}

// Whether the host carries out kernel operations at all (setKernelOps); without a kernel the
// descriptions are not even built.
let enabled = false;
export function setKernelOps(on: bool): void {
  enabled = on;
}

// Asks the host to install the Child SA. Returns true when there is nothing to wait for (no
// kernel, or installed already); otherwise the host answers with evKernel(id = its serial),
// saying whether the kernel took it (and, when it refused, having taken back what it took).
export function kernelAddChild(c: ChildSa): bool {
  if (c.installed || !enabled) return true;
  c.installed = true;
  c.installing = true;
  kernelOp(describe("add", c, true));
  return false;
}

export function kernelDelChild(c: ChildSa): void {
  if (!c.installed) return;
  c.installed = false;
  kernelOp(describe("del", c, false));
}

// dpdaction=clear: the connection's on-demand trap policies go too (the host keeps them).
export function kernelUnroute(c: Conn): void {
  if (!enabled) return;
  kernelOp('{"op":"unroute","conn":"' + jsonText(c.name) + '"}');
}
