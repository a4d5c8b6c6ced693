// The tape: decoded structures as fixed-size node records in preorder (layout in abi.ts).
// Decoding appends nodes; a node's subtree ends at its N_END index, patched when it closes.
import { TAPE } from "./buffers";
import {
  TAPE_NODES, N_KIND, N_PTYPE, N_END, N_OFF, N_LEN, N_APTR, N_ALEN, N_BPTR, N_BLEN, N_F0,
} from "../abi";

export let tapeCount: i32 = 0;

@inline export function tapeReset(): void {
  tapeCount = 0;
}

@inline export function nodeAddr(i: i32): usize {
  return TAPE + (<usize>i << 6);
}

// Appends a node; returns its index, or -1 when the tape is full.
export function newNode(kind: i32, ptype: u32, off: u32, len: u32): i32 {
  const i = tapeCount;
  if (i >= TAPE_NODES) return -1;
  tapeCount = i + 1;
  const a = nodeAddr(i);
  store<u32>(a, kind, N_KIND << 2);
  store<u32>(a, ptype, N_PTYPE << 2);
  store<u32>(a, i + 1, N_END << 2);
  store<u32>(a, off, N_OFF << 2);
  store<u32>(a, len, N_LEN << 2);
  // words 5..15: A, B and the seven fields start at zero
  store<u32>(a, 0, 20);
  store<u64>(a, 0, 24);
  store<u64>(a, 0, 32);
  store<u64>(a, 0, 40);
  store<u64>(a, 0, 48);
  store<u64>(a, 0, 56);
  return i;
}

@inline export function closeNode(i: i32): void {
  store<u32>(nodeAddr(i), tapeCount, N_END << 2);
}
@inline export function setF(i: i32, f: i32, v: u32): void {
  store<u32>(nodeAddr(i) + (<usize>(N_F0 + f) << 2), v);
}
@inline export function getF(i: i32, f: i32): u32 {
  return load<u32>(nodeAddr(i) + (<usize>(N_F0 + f) << 2));
}
@inline export function setA(i: i32, p: usize, n: u32): void {
  const a = nodeAddr(i);
  store<u32>(a, <u32>p, N_APTR << 2);
  store<u32>(a, n, N_ALEN << 2);
}
@inline export function setB(i: i32, p: usize, n: u32): void {
  const a = nodeAddr(i);
  store<u32>(a, <u32>p, N_BPTR << 2);
  store<u32>(a, n, N_BLEN << 2);
}
@inline export function getW(i: i32, w: i32): u32 {
  return load<u32>(nodeAddr(i) + (<usize>w << 2));
}
@inline export function setW(i: i32, w: i32, v: u32): void {
  store<u32>(nodeAddr(i) + (<usize>w << 2), v);
}
