// The buffers through which bytes cross between host and core. They are static: no call
// allocates, and the host builds its Uint8Array views over them once.
import { IN_CAP, OUT_CAP, TEXT_CAP, TAPE_NODES, NODE_BYTES } from "../abi";

export const IN: usize = heap.alloc(IN_CAP);
export const OUT: usize = heap.alloc(OUT_CAP);
export const TEXT: usize = heap.alloc(TEXT_CAP);
export const TAPE: usize = heap.alloc(TAPE_NODES * NODE_BYTES);

// Big-endian reads. Callers check bounds first (one check per fixed part), as DataView does.
@inline export function u8at(p: usize): u32 {
  return <u32>load<u8>(p);
}
@inline export function be16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}
@inline export function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}
@inline export function put8(p: usize, v: u32): void {
  store<u8>(p, <u8>v);
}
@inline export function put16(p: usize, v: u32): void {
  store<u16>(p, bswap<u16>(<u16>v));
}
@inline export function put32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

// Write a string as UTF-8 into TEXT; returns its length (cut at TEXT_CAP).
export function textOut(s: string): i32 {
  const n = String.UTF8.byteLength(s, false);
  if (n > TEXT_CAP) return String.UTF8.encodeUnsafe(changetype<usize>(s), TEXT_CAP >> 2, TEXT, false) as i32;
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, TEXT, false) as i32;
}
