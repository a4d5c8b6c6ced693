// The only export list of core.wasm. Hosts reach the core through these functions and the
// buffers they point to; layouts and codes are in abi.ts, shared with the hosts.
import { IN, OUT, TEXT, TAPE, textOut } from "./wire/buffers";
import { decodeMessage, decodeChain, classify4500 } from "./wire/message";
import { encodeTape } from "./wire/encode";
import { describeKind } from "./wire/describe";
import * as E from "./wire/error";
import * as names from "./names/index";
import { xformText as proposalText } from "./ikev2/proposals";
import { ABI_VERSION, IN_CAP, SELFTEST_ABORT, SELFTEST_UNREACHABLE, SELFTEST_OOB } from "./abi";

export function abiVersion(): i32 {
  return ABI_VERSION;
}
export function inPtr(): usize {
  return IN;
}
export function outPtr(): usize {
  return OUT;
}
export function textPtr(): usize {
  return TEXT;
}
export function tapePtr(): usize {
  return TAPE;
}

// ---- wire codec ----------------------------------------------------------------------------
// Decode the `len` bytes in IN as one IKE datagram. Returns the number of tape nodes or -1.
export function wireDecode(len: i32, flags: i32): i32 {
  if (len < 0 || len > IN_CAP) return E.failWith(12, 0, 0, -1, 0, <u32>len, IN_CAP, 0);
  return decodeMessage(IN, <usize>len, flags);
}
// Decode `len` bytes of decrypted payloads in IN (IKEv1 or IKEv2), first payload type np.
export function wireDecodeChain(version: i32, np: i32, len: i32): i32 {
  if (len < 0 || len > IN_CAP) return E.failWith(12, 0, 0, -1, 0, <u32>len, IN_CAP, 0);
  return decodeChain(version, <u32>np & 255, IN, <usize>len);
}
// Encode the tape's first n nodes into OUT; returns the byte count or -1.
export function wireEncode(n: i32): i32 {
  E.clearError();
  return encodeTape(n);
}
// What a datagram on port 4500 is: DG_IKE, DG_ESP, DG_KEEPALIVE or DG_INVALID.
export function wireClassify4500(len: i32): i32 {
  if (len < 0 || len > IN_CAP) return 4;
  return classify4500(IN, <usize>len);
}
export function errCode(): i32 { return E.errCode; }
export function errKind(): i32 { return E.errKind; }
export function errPtype(): i32 { return E.errPtype; }
export function errField(): i32 { return E.errField; }
export function errOffset(): i32 { return E.errOffset; }
export function errValue(): u32 { return E.errValue; }
export function errLimit(): u32 { return E.errLimit; }
export function errNotify(): i32 { return E.errNotify; }
export function errVersion(): i32 { return E.curVersion; }

// JSON describing a node kind's fields, written to TEXT; returns its length (0: no such kind).
export function wireDescribe(kind: i32): i32 {
  return textOut(describeKind(kind));
}

// ---- self-test hooks: deliberate traps so that hosts can prove they recover ------------------
export function selftestTrap(how: i32): i32 {
  if (how == SELFTEST_ABORT) abort("selftest abort", "core/index.ts", 1, 1);
  if (how == SELFTEST_UNREACHABLE) unreachable();
  if (how == SELFTEST_OOB) return load<i32>(0xfffffff0);
  return 0;
}

// ---- names (core/names): the printable name of a registry value, written to TEXT -----------
export function nameOf(reg: i32, value: i32): i32 {
  return textOut(names.nameOf(reg, value));
}
export function transformIdName(type: i32, id: i32): i32 {
  return textOut(names.transformIdName(type, id));
}
export function v1TransformIdName(protocol: i32, id: i32): i32 {
  return textOut(names.v1TransformIdName(protocol, id));
}
export function v1AttrValueName(phase: i32, type: i32, value: i32): i32 {
  return textOut(names.v1AttrValueName(phase, type, value));
}
// An IKEv2 transform as pluto's log lines print it (AES_GCM_16_256, HMAC_SHA2_256, CURVE25519).
export function xformText(type: i32, id: i32, keyBits: i32): i32 {
  return textOut(proposalText(type, id, keyBits));
}

// ---- events in, commands out (core/pump.ts, core/ikev2/engine.ts) ---------------------------
// The host calls an ev* export with the time in ms, then drains pollCommand() until CMD_NONE,
// then arms one timer at nextDeadline() (0: none) and calls evTimeout when it fires.
export { pollCommand, cmdArg, cmdData, kernelTextPtr, queuedCommands } from "./pump";
export { evDatagram, evTimeout, evHelper, evKernel, nextDeadline, scanDeadline } from "./ikev2/engine";
import { evAdmin as admin, adminReply } from "./ikev2/engine";
import { EP } from "./ikev2/state";
import { setEpBuffer, setDebugging } from "./pump";
import { setDdos as ddos, setHalfOpenMemory as halfOpenMemory } from "./ikev2/ddos";
import "./ikev2/create_child_sa";
import { setKernelOps as kernelOps } from "./kernel";
setEpBuffer(EP);
export function epPtr(): usize {
  return EP;
}
// An admin request (ADM_*; its bytes in IN). Returns ADM_OK or ADM_ERROR; the reply is in TEXT
// (length replyLen()).
export function evAdmin(now: f64, op: i32, len: i32): i32 {
  return admin(now, op, len);
}
// The reply as UTF-8 in a buffer of its own (a status of thousands of states does not fit
// TEXT): replyLen() encodes it, replyPtr() says where it is until the next admin call.
let replyBytes: Uint8Array = new Uint8Array(0);
export function replyLen(): i32 {
  replyBytes = Uint8Array.wrap(String.UTF8.encode(adminReply, false));
  return replyBytes.length;
}
export function replyPtr(): usize {
  return replyBytes.dataStart;
}
// Whether the host has a kernel for Child SAs (CMD_KERNEL commands are sent only then).
export function setKernelOps(on: i32): void {
  kernelOps(on != 0);
}
// Whether the host shows debug lines (its --debug): each message's payload list is made only then.
export function setDebug(on: i32): void {
  setDebugging(on != 0);
}
// Libreswan's ddos-mode (DDOS_*), ddos-ike-threshold and max-halfopen-ike.
export function setDdos(mode: i32, ikeThreshold: i32, maxHalfOpen: i32): void {
  ddos(mode, ikeThreshold, maxHalfOpen);
}
// The memory the core may spend on half-open IKE SAs (KiB); the host gives a share of its ceiling.
export function setHalfOpenMemory(kib: i32): void {
  halfOpenMemory(kib);
}
