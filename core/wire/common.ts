// Pieces shared by the IKEv1 and IKEv2 decoders.
import { u8at, be16 } from "./buffers";
import { newNode, closeNode, setF, setA } from "./tape";
import { fail, failWith, malformedNotify } from "./error";
import { K_ATTR, E_TRUNCATED, E_LENGTH, E_LIMIT, FIELD_LENGTH, FIELD_NONE } from "../abi";

// Start of the message being decoded: error offsets are relative to it.
export let msgBase: usize = 0;
export function setMsgBase(p: usize): void {
  msgBase = p;
}
@inline export function offOf(p: usize): i32 {
  return <i32>(p - msgBase);
}

// A new node, or the tape-full error.
export function node(kind: i32, ptype: u32, p: usize, len: u32): i32 {
  const i = newNode(kind, ptype, <u32>(p - msgBase), len);
  if (i < 0) failWith(E_LIMIT, kind, ptype, FIELD_NONE, offOf(p), 0, 0, malformedNotify());
  return i;
}

// Transform / SA attributes, the same shape in IKEv1 (RFC 2408 3.3) and IKEv2 (RFC 7296 3.3.5):
//   AF|type (2) | value (2)                      when AF = 1 (TV)
//   AF|type (2) | length (2) | value (length)    when AF = 0 (TLV)
// Attributes fill [p, end) exactly.
export function decodeAttributes(p: usize, end: usize): i32 {
  while (p < end) {
    if (end - p < 4) return fail(E_TRUNCATED, K_ATTR, 0, FIELD_NONE, offOf(p), <u32>(end - p), 4);
    const t = be16(p);
    if (t & 0x8000) {
      const i = node(K_ATTR, 0, p, 4);
      if (i < 0) return -1;
      setF(i, 0, t & 0x7fff);
      setF(i, 1, 1);
      setF(i, 2, be16(p + 2));
      p += 4;
    } else {
      const n = be16(p + 2);
      if (<usize>n > end - p - 4) return fail(E_LENGTH, K_ATTR, 0, FIELD_LENGTH, offOf(p + 2), n, <u32>(end - p - 4));
      const i = node(K_ATTR, 0, p, 4 + n);
      if (i < 0) return -1;
      setF(i, 0, t);
      setA(i, p + 4, n);
      p += 4 + n;
    }
  }
  return 0;
}

// Checks that an address-typed body has the length its type implies (0 = any length).
@inline export function addrLenOk(n: usize, want: u32): bool {
  return want == 0 || n == <usize>want;
}

export { u8at, be16, closeNode };
