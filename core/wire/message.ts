// Whole datagrams: what arrived on port 500 or 4500, and which version's decoder reads it.
import { u8at, be32 } from "./buffers";
import { tapeReset, tapeCount } from "./tape";
import { clearError, failWith, fail, setVersion } from "./error";
import { setMsgBase } from "./common";
import { decodeV2, decodeChainV2 } from "./v2";
import { decodeV1, decodeChainV1 } from "./v1";
import {
  DG_IKE, DG_ESP, DG_KEEPALIVE, DG_INVALID, DECODE_PORT4500, E_TRUNCATED, E_VERSION, E_NOT_IKE,
  K_NONE, K_V2_HDR, FIELD_NONE,
} from "../abi";

const INVALID_MAJOR_VERSION = 5;

// RFC 3948 2.2 / RFC 3947 4: on port 4500 a NAT keepalive is the single byte 0xFF, an IKE
// message follows four zero bytes (the non-ESP marker), and anything else is ESP whose first
// four bytes are its non-zero SPI.
export function classify4500(p: usize, len: usize): i32 {
  if (len == 1 && u8at(p) == 0xff) return DG_KEEPALIVE;
  if (len < 4) return DG_INVALID;
  return load<u32>(p) == 0 ? DG_IKE : DG_ESP;
}

// Decodes one IKE message of `len` bytes at p onto the tape. Returns the node count, or -1
// with the error record set. With DECODE_PORT4500 the non-ESP marker is expected and skipped;
// offsets then count from the IKE header.
export function decodeMessage(p: usize, len: usize, flags: i32): i32 {
  tapeReset();
  clearError();
  setVersion(2);
  if (flags & DECODE_PORT4500) {
    const c = classify4500(p, len);
    if (c != DG_IKE) return failWith(E_NOT_IKE, K_NONE, 0, FIELD_NONE, 0, <u32>c, 0, 0);
    p += 4;
    len -= 4;
  }
  setMsgBase(p);
  if (len < 28) {
    // too short to tell the version for sure: use what there is, else IKEv2's answer
    if (len > 17 && u8at(p + 17) >> 4 == 1) setVersion(1);
    return fail(E_TRUNCATED, K_V2_HDR, 0, FIELD_NONE, 0, <u32>len, 28);
  }
  const major = u8at(p + 17) >> 4;
  let r: i32;
  if (major == 2) {
    r = decodeV2(p, len);
  } else if (major == 1) {
    setVersion(1);
    r = decodeV1(p, len);
  } else {
    // RFC 7296 2.5: answered with INVALID_MAJOR_VERSION (RFC 2408 likewise)
    return failWith(E_VERSION, K_V2_HDR, 0, 1, 17, major, 2, INVALID_MAJOR_VERSION);
  }
  return r < 0 ? -1 : tapeCount;
}

// Decodes a decrypted payload chain (the plaintext of SK/SKF, or of an IKEv1 E-flag body).
export function decodeChain(version: i32, np: u32, p: usize, len: usize): i32 {
  tapeReset();
  clearError();
  setVersion(version == 1 ? 1 : 2);
  setMsgBase(p);
  const r = version == 1 ? decodeChainV1(np, p, len) : decodeChainV2(np, p, len);
  return r < 0 ? -1 : tapeCount;
}

export { be32 };
