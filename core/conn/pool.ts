// Address pools (rightaddresspool=) and their leases, as Libreswan 4.10 keeps them
// (programs/pluto/addresspool.c, read for its behaviour):
// - connections that name the same range share one pool; a range that overlaps another pool
//   without being equal to it is refused ("INEXACTLY OVERLAPS");
// - a pool holds at most 2^32-1 addresses (a larger IPv6 range is cut there) and none may start
//   at address zero; leases are made as they are first needed;
// - a lease belongs to a connection instance, not to an SA: the instance keeps it across IKE
//   and Child SA rekeys, a reconnect that finds the instance again (the same peer address) finds
//   its lease, and the lease goes back to the pool when the instance goes;
// - a returned lease goes to the head of the free list, so the next client takes it (the
//   reconnecting peer, when no other came between); an empty free list grows the pool by a
//   never-used address; a full pool is an error the caller turns into INTERNAL_ADDRESS_FAILURE.
// Libreswan keeps a released lease "reusable" for the same peer ID only when the peer does not
// authenticate with a PSK or NULL, its ID is not an address, and uniqueids=yes: with PSK, the
// only authentication here so far, every lease is one-time, as it is there.
// Leases are connection state and live in the core (DESIGN.md): deterministic, and they follow
// instances without the host's help.

export class Pool {
  type: i32 = 7; // TS type: 7 IPv4, 8 IPv6
  start: Uint8Array = new Uint8Array(4);
  end: Uint8Array = new Uint8Array(4);
  size: u32 = 0; // addresses in the range (at most 0xffffffff)
  owners: Array<i32> = new Array<i32>(); // per offset made so far: the holder's Conn.seq, -1 free
  ownerLabels: Array<string> = new Array<string>(); // the holder as status names it
  free: Array<i32> = new Array<i32>(); // free offsets, the next to lease first
  inUse: i32 = 0;
  refs: i32 = 0; // connections (not instances) that name it

  get text(): string {
    return addrText(this.start) + "-" + addrText(this.end);
  }
  // a free address's offset for `seq`, or -1 when the pool is full
  lease(seq: i32, label: string): i32 {
    let off = -1;
    if (this.free.length > 0) {
      off = this.free.shift();
    } else if (<u32>this.owners.length < this.size) {
      off = this.owners.length;
      this.owners.push(-1);
      this.ownerLabels.push("");
    } else {
      return -1;
    }
    this.owners[off] = seq;
    this.ownerLabels[off] = label;
    this.inUse++;
    return off;
  }
  // `seq` gives back the address at `off` (nothing when it does not hold it)
  release(off: i32, seq: i32): bool {
    if (off < 0 || off >= this.owners.length || this.owners[off] != seq) return false;
    this.owners[off] = -1;
    this.ownerLabels[off] = "";
    this.inUse--;
    this.free.unshift(off); // one-time lease: the head of the free list, as Libreswan's PREPEND
    return true;
  }
  relabel(off: i32, seq: i32, label: string): void {
    if (off >= 0 && off < this.owners.length && this.owners[off] == seq) this.ownerLabels[off] = label;
  }
  address(off: i32): Uint8Array {
    return addOffset(this.start, <u32>off);
  }
  // the offset of `addr` in the range, or -1 when it is outside
  offsetOf(addr: Uint8Array): i64 {
    if (addr.length != this.start.length || cmp(addr, this.start) < 0 || cmp(addr, this.end) > 0) return -1;
    // the difference fits in 32 bits once the upper bytes agree
    const n = addr.length;
    for (let i = 0; i < n - 4; i++) {
      if (addr[i] != this.start[i]) {
        // an IPv6 range larger than 2^32: only the first 2^32-1 addresses are the pool's
        return -1;
      }
    }
    const d = be32at(addr, n - 4) - be32at(this.start, n - 4);
    return <i64>d < <i64>this.size ? <i64>d : -1;
  }
}

export const pools = new Array<Pool>();
export let poolError: string = "";

// The pool of exactly this range, shared, or a new one; null with `poolError` when the range is
// empty, starts at zero or overlaps another pool without being it (as install_addresspool and
// find_addresspool refuse them). `create` false: only checks (null and "" in `poolError`: it
// would be made).
export function poolFor(type: i32, start: Uint8Array, end: Uint8Array, create: bool = true): Pool | null {
  const t = addrText(start) + "-" + addrText(end);
  poolError = "";
  if (start.length != end.length || (start.length != 4 && start.length != 16) || cmp(start, end) > 0) {
    poolError = "address pool " + t + " is empty";
    return null;
  }
  let zero = true;
  for (let i = 0; i < start.length; i++) if (start[i] != 0) zero = false;
  if (zero) {
    poolError = "address pool " + t + " starts at address zero";
    return null;
  }
  for (let i = 0; i < pools.length; i++) {
    const p = pools[i];
    if (p.start.length != start.length) continue;
    if (cmp(p.start, start) == 0 && cmp(p.end, end) == 0) return p;
    if (cmp(start, p.end) <= 0 && cmp(p.start, end) <= 0) {
      poolError = "new addresspool " + t + " INEXACTLY OVERLAPS with existing one " + p.text;
      return null;
    }
  }
  if (!create) return null;
  poolError = "";
  const p = new Pool();
  p.type = type;
  p.start = start;
  p.end = end;
  p.size = rangeSize(start, end);
  pools.push(p);
  return p;
}

export function poolRef(p: Pool): void {
  p.refs++;
}
// A connection that named the pool is gone; the last one takes the pool away.
export function poolUnref(p: Pool): void {
  if (--p.refs > 0) return;
  const i = pools.indexOf(p);
  if (i >= 0) pools.splice(i, 1);
}

function rangeSize(start: Uint8Array, end: Uint8Array): u32 {
  const n = start.length;
  for (let i = 0; i < n - 4; i++) if (start[i] != end[i]) return 0xffffffff;
  const d = be32at(end, n - 4) - be32at(start, n - 4);
  return d == 0xffffffff ? d : d + 1;
}

function be32at(b: Uint8Array, o: i32): u32 {
  return (<u32>b[o] << 24) | (<u32>b[o + 1] << 16) | (<u32>b[o + 2] << 8) | <u32>b[o + 3];
}

function cmp(a: Uint8Array, b: Uint8Array): i32 {
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

export function addOffset(start: Uint8Array, off: u32): Uint8Array {
  const r = start.slice();
  let carry: u32 = off;
  for (let i = r.length - 1; i >= 0 && carry != 0; i--) {
    const v = <u32>r[i] + (carry & 0xff);
    r[i] = <u8>v;
    carry = (carry >> 8) + (v >> 8);
  }
  return r;
}

// an address as ipsec.conf writes it (IPv6 without "::" shortening: status and logs only)
export function addrText(a: Uint8Array): string {
  if (a.length == 4) return a[0].toString() + "." + a[1].toString() + "." + a[2].toString() + "." + a[3].toString();
  const parts = new Array<string>();
  for (let i = 0; i + 1 < a.length; i += 2) parts.push(((<u32>a[i] << 8) | a[i + 1]).toString(16));
  return shortV6(parts);
}

// RFC 5952: the longest run of two or more zero words becomes "::"
function shortV6(w: Array<string>): string {
  let best = -1, bestLen = 0;
  for (let i = 0; i < w.length; ) {
    if (w[i] != "0") { i++; continue; }
    let j = i;
    while (j < w.length && w[j] == "0") j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return w.join(":");
  return w.slice(0, best).join(":") + "::" + w.slice(best + bestLen).join(":");
}
