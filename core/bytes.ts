// Small byte helpers for the engine (the codec itself works on raw memory).
export function copyIn(p: usize, n: i32): Uint8Array {
  const b = new Uint8Array(max(n, 0));
  if (n > 0) memory.copy(b.dataStart, p, <usize>n);
  return b;
}

export function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}

export function concat3(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length + c.length);
  r.set(a, 0);
  r.set(b, a.length);
  r.set(c, a.length + b.length);
  return r;
}

export function concat4(a: Uint8Array, b: Uint8Array, c: Uint8Array, d: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length + c.length + d.length);
  r.set(a, 0);
  r.set(b, a.length);
  r.set(c, a.length + b.length);
  r.set(d, a.length + b.length + c.length);
  return r;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

// Comparison as big-endian unsigned numbers of equal length (shorter sorts first).
export function bytesCompare(a: Uint8Array, b: Uint8Array): i32 {
  if (a.length != b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

// Text is written straight into one new string: a concatenation per character would leave
// a string per character behind (status of 10,000 connections makes many of these).
@inline function hexDigit(v: u32): u16 {
  return <u16>(v < 10 ? 48 + v : 87 + v);
}
export function hex(b: Uint8Array): string {
  const n = b.length;
  const s = changetype<string>(__new(<usize>n << 2, idof<string>()));
  const p = changetype<usize>(s);
  for (let i = 0; i < n; i++) {
    const v = <u32>b[i];
    store<u16>(p + (<usize>i << 2), hexDigit(v >> 4));
    store<u16>(p + (<usize>i << 2) + 2, hexDigit(v & 15));
  }
  return s;
}

// a.b.c.d of the first four bytes
export function ipv4Text(a: Uint8Array): string {
  let len = 3;
  for (let i = 0; i < 4; i++) len += a[i] >= 100 ? 3 : a[i] >= 10 ? 2 : 1;
  const s = changetype<string>(__new(<usize>len << 1, idof<string>()));
  let p = changetype<usize>(s);
  for (let i = 0; i < 4; i++) {
    const v = <u32>a[i];
    if (i) { store<u16>(p, 46); p += 2; }
    if (v >= 100) { store<u16>(p, <u16>(48 + v / 100)); p += 2; }
    if (v >= 10) { store<u16>(p, <u16>(48 + (v / 10) % 10)); p += 2; }
    store<u16>(p, <u16>(48 + v % 10));
    p += 2;
  }
  return s;
}

export function u64FromBytes(b: Uint8Array): u64 {
  let v: u64 = 0;
  for (let i = 0; i < 8 && i < b.length; i++) v = (v << 8) | <u64>b[i];
  return v;
}

export function u64ToBytes(v: u64): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    b[i] = <u8>(v & 0xff);
    v >>= 8;
  }
  return b;
}

export function u32be(v: u32): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = <u8>(v >> 24);
  b[1] = <u8>(v >> 16);
  b[2] = <u8>(v >> 8);
  b[3] = <u8>v;
  return b;
}

export function strBytes(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s, false));
}

// Blobs: u32 LE length then bytes (helper job requests and results).
export class BlobWriter {
  parts: Array<Uint8Array> = new Array<Uint8Array>();
  add(b: Uint8Array): BlobWriter {
    this.parts.push(b);
    return this;
  }
  num(v: u32): BlobWriter {
    const b = new Uint8Array(4);
    store<u32>(b.dataStart, v);
    this.parts.push(b);
    return this;
  }
  bytes(): Uint8Array {
    let n = 0;
    for (let i = 0; i < this.parts.length; i++) n += 4 + this.parts[i].length;
    const r = new Uint8Array(n);
    let o = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i];
      store<u32>(r.dataStart + o, p.length);
      r.set(p, o + 4);
      o += 4 + p.length;
    }
    return r;
  }
}

// Splits [p, p+len) into blobs; null when the framing is broken.
export function readBlobs(p: usize, len: i32): Array<Uint8Array> | null {
  const out = new Array<Uint8Array>();
  let o = 0;
  while (o < len) {
    if (len - o < 4) return null;
    const n = <i32>load<u32>(p + o);
    if (n < 0 || n > len - o - 4) return null;
    out.push(copyIn(p + o + 4, n));
    o += 4 + n;
  }
  return out;
}
