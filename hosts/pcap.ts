// Capture reader: classic pcap and pcapng in, UDP datagrams out.
//
// Used by ikedump, the corpus tests and the interop tests to get at the IKE messages inside a
// capture. Runtime-neutral (Uint8Array / DataView only), so it runs under Node and Deno.
//
//   file  := pcap | pcapng                 (sections, interfaces, link types, timestamps)
//   frame := link header, IPv4 | IPv6      (Ethernet + VLAN tags, SLL, SLL2, RAW, NULL/LOOP)
//   IP    := header, options / extension headers, fragments reassembled
//   UDP   := header, payload               -> CapturedUdp
//
// Nothing here throws on bad input: a malformed frame becomes "frame N: why" in `errors` and the
// next frame is read; a damaged file structure ends the walk with an error.

export interface CapturedUdp {
  /** 1-based packet index in the file, as tshark's frame.number; for a reassembled datagram,
   *  the frame of the fragment that completed it (where tshark shows the reassembly). */
  frame: number;
  tsSec: number;
  tsNsec: number;
  family: 4 | 6;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array;
}

export interface CaptureResult {
  packets: CapturedUdp[];
  errors: string[];
}

// LINKTYPE_* values (tcpdump.org link-layer header types)
const LT_NULL = 0;
const LT_ETHERNET = 1;
const LT_RAW = 101;
const LT_LOOP = 108;
const LT_LINUX_SLL = 113;
const LT_IPV4 = 228;
const LT_IPV6 = 229;
const LT_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100; // 802.1Q
const ETH_QINQ = 0x88a8; // 802.1ad
const ETH_QINQ_OLD = 0x9100; // pre-standard double tagging

const IPPROTO_HOPOPTS = 0;
const IPPROTO_UDP = 17;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;
const IPPROTO_NONE = 59;
const IPPROTO_DSTOPTS = 60;

const MAX_PENDING_DATAGRAMS = 64;
const MAX_DATAGRAM_BYTES = 65535;

/** Read a pcap or pcapng capture; returns every UDP datagram (any port) in frame order. */
export function readCapture(bytes: Uint8Array): CaptureResult {
  const r = new Reader(bytes);
  try {
    if (bytes.length < 4) {
      r.errors.push(`file: too short to be a capture (${bytes.length} bytes)`);
    } else {
      const dv = view(bytes);
      const magicBE = dv.getUint32(0, false);
      if (magicBE === 0x0a0d0d0a) readPcapng(r, dv);
      else if (
        magicBE === 0xa1b2c3d4 || magicBE === 0xd4c3b2a1 ||
        magicBE === 0xa1b23c4d || magicBE === 0x4d3cb2a1
      ) readPcap(r, dv);
      else r.errors.push(`file: not a pcap or pcapng file (magic 0x${hex32(magicBE)})`);
    }
  } catch (e) {
    // Every read is bounds-checked; this is the last line of defence, not a code path.
    r.errors.push(`file: internal error: ${String(e)}`);
  }
  r.flushIncomplete();
  return { packets: r.packets, errors: r.errors };
}

/** 4 bytes -> dotted quad, 16 bytes -> RFC 5952 text; anything else -> hex with a marker. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) {
    let h = "";
    for (const b of bytes) h += b.toString(16).padStart(2, "0");
    return `<address ${h}>`;
  }
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad in the last 32 bits.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  return compressIPv6(g);
}

/** RFC 5952 4.2: eight 16-bit groups as text, "::" for the longest run (two or more) of zero
 * groups, the first one on ties. */
export function compressIPv6(g: number[]): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const part = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return part(0, 8);
  return `${part(0, bestAt)}::${part(bestAt + bestLen, 8)}`;
}

// ---- file formats -------------------------------------------------------------------------

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

// Classic pcap: 24-byte global header, then per record ts_sec, ts_frac, incl_len, orig_len.
function readPcap(r: Reader, dv: DataView): void {
  const magicLE = dv.getUint32(0, true);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const nano = magicLE === 0xa1b23c4d || dv.getUint32(0, false) === 0xa1b23c4d;
  if (dv.byteLength < 24) {
    r.errors.push(`file: truncated pcap header (${dv.byteLength} of 24 bytes)`);
    return;
  }
  // The low 16 bits are the link type; the upper bits may carry FCS information.
  const linktype = dv.getUint32(20, le) & 0xffff;
  const iface: Iface = {
    linktype,
    tsDiv: nano ? 1_000_000_000n : 1_000_000n,
    tsOffset: 0n,
    warned: false,
    snaplen: dv.getUint32(16, le),
  };
  let off = 24;
  while (off < dv.byteLength) {
    const frame = r.frame + 1;
    if (dv.byteLength - off < 16) {
      r.errors.push(`frame ${frame}: truncated record header (${dv.byteLength - off} of 16 bytes)`);
      return;
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    if (incl > dv.byteLength - off - 16) {
      r.errors.push(`frame ${frame}: truncated record (${incl} bytes announced, ${dv.byteLength - off - 16} present)`);
      return;
    }
    r.frame = frame;
    const data = r.bytes.subarray(off + 16, off + 16 + incl);
    r.packet(iface, data, sec, nano ? frac : frac * 1000);
    off += 16 + incl;
  }
}

interface Iface {
  linktype: number;
  tsDiv: bigint; // timestamp units per second (if_tsresol)
  tsOffset: bigint; // seconds to add (if_tsoffset)
  warned: boolean; // unsupported link type already reported
  snaplen: number; // 0: no limit
}

// pcapng: a sequence of sections, each an SHB followed by IDBs and packet blocks. Every block is
// type, total length, body, total length again; the SHB's byte-order magic fixes the endianness.
function readPcapng(r: Reader, dv: DataView): void {
  let off = 0;
  let le = true;
  let ifaces: Iface[] = [];
  let inSection = false;
  const n = dv.byteLength;
  while (off < n) {
    const at = `block at offset ${off}`;
    if (n - off < 12) {
      r.errors.push(`${at}: truncated block header (${n - off} bytes left)`);
      return;
    }
    const typeBE = dv.getUint32(off, false);
    if (typeBE === 0x0a0d0d0a) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else {
        r.errors.push(`${at}: section header with a bad byte-order magic 0x${hex32(bom)}`);
        return;
      }
      ifaces = [];
      inSection = true;
    } else if (!inSection) {
      r.errors.push(`${at}: pcapng data before any section header`);
      return;
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) {
      r.errors.push(`${at}: bad block length ${len}`);
      return;
    }
    if (len > n - off) {
      r.errors.push(`${at}: truncated block (${len} bytes announced, ${n - off} present)`);
      return;
    }
    if (dv.getUint32(off + len - 4, le) !== len) {
      r.errors.push(`${at}: trailing block length differs from the leading one (${len})`);
      return;
    }
    const body = off + 8;
    const bodyLen = len - 12;
    switch (type) {
      case 0x0a0d0d0a: // Section Header Block
        if (bodyLen < 16) r.errors.push(`${at}: section header too short`);
        else if (dv.getUint16(body + 4, le) !== 1) {
          r.errors.push(`${at}: unsupported pcapng major version ${dv.getUint16(body + 4, le)}`);
          return;
        }
        break;
      case 1: { // Interface Description Block
        if (bodyLen < 8) {
          r.errors.push(`${at}: interface description too short`);
          ifaces.push({ linktype: -1, tsDiv: 1_000_000n, tsOffset: 0n, warned: false, snaplen: 0 });
          break;
        }
        const iface: Iface = {
          linktype: dv.getUint16(body, le),
          tsDiv: 1_000_000n,
          tsOffset: 0n,
          warned: false,
          snaplen: dv.getUint32(body + 4, le),
        };
        readIdbOptions(r, dv, body + 8, body + bodyLen, le, iface, at);
        ifaces.push(iface);
        break;
      }
      case 6: { // Enhanced Packet Block
        r.frame++;
        if (bodyLen < 20) {
          r.errors.push(`frame ${r.frame}: enhanced packet block too short`);
          break;
        }
        const ifid = dv.getUint32(body, le);
        const caplen = dv.getUint32(body + 12, le);
        if (caplen > bodyLen - 20) {
          r.errors.push(`frame ${r.frame}: captured length ${caplen} exceeds its block`);
          break;
        }
        if (ifid >= ifaces.length) {
          r.errors.push(`frame ${r.frame}: unknown interface ${ifid}`);
          break;
        }
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        r.packetAt(ifaces[ifid], r.bytes.subarray(body + 20, body + 20 + caplen), ts);
        break;
      }
      case 3: { // Simple Packet Block: interface 0, no timestamp
        r.frame++;
        if (bodyLen < 4) {
          r.errors.push(`frame ${r.frame}: simple packet block too short`);
          break;
        }
        if (ifaces.length === 0) {
          r.errors.push(`frame ${r.frame}: simple packet block without an interface`);
          break;
        }
        // The captured length is not recorded: the original length, cut to the snapshot length
        // and to the block (whose body is padded to 4 bytes).
        const orig = dv.getUint32(body, le);
        const snap = ifaces[0].snaplen;
        const caplen = Math.min(orig, bodyLen - 4, snap > 0 ? snap : orig);
        r.packetAt(ifaces[0], r.bytes.subarray(body + 4, body + 4 + caplen), null);
        break;
      }
      case 2: { // obsolete Packet Block
        r.frame++;
        if (bodyLen < 20) {
          r.errors.push(`frame ${r.frame}: packet block too short`);
          break;
        }
        const ifid = dv.getUint16(body, le);
        const caplen = dv.getUint32(body + 12, le);
        if (caplen > bodyLen - 20) {
          r.errors.push(`frame ${r.frame}: captured length ${caplen} exceeds its block`);
          break;
        }
        if (ifid >= ifaces.length) {
          r.errors.push(`frame ${r.frame}: unknown interface ${ifid}`);
          break;
        }
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        r.packetAt(ifaces[ifid], r.bytes.subarray(body + 20, body + 20 + caplen), ts);
        break;
      }
      default: // statistics, name resolution, decryption secrets, custom blocks: not packets
        break;
    }
    off += len;
  }
}

// IDB options: code(2) length(2) value padded to 4. if_tsresol (9): a 1-byte exponent, base 10
// (high bit clear) or base 2 (high bit set); if_tsoffset (14): signed seconds to add.
function readIdbOptions(r: Reader, dv: DataView, p: number, end: number, le: boolean, iface: Iface, at: string): void {
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const olen = dv.getUint16(p + 2, le);
    if (code === 0) return;
    if (p + 4 + olen > end) {
      r.errors.push(`${at}: interface option ${code} overruns its block`);
      return;
    }
    if (code === 9 && olen >= 1) {
      const v = dv.getUint8(p + 4);
      const exp = v & 0x7f;
      if (v & 0x80) {
        if (exp > 62) r.errors.push(`${at}: if_tsresol 2^-${exp} not supported`);
        else {
          iface.tsDiv = 1n << BigInt(exp);
        }
      } else if (exp > 18) r.errors.push(`${at}: if_tsresol 10^-${exp} not supported`);
      else iface.tsDiv = 10n ** BigInt(exp);
    } else if (code === 14 && olen >= 8) {
      iface.tsOffset = dv.getBigInt64(p + 4, le);
    }
    p += 4 + ((olen + 3) & ~3);
  }
}

// ---- packets ------------------------------------------------------------------------------

interface Pending {
  key: string;
  family: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  firstFrame: number;
  parts: { off: number; data: Uint8Array }[];
  total: number; // payload length once the last fragment is seen, else -1
  nextProto: number; // from the fragment at offset 0, else -1
  got: number;
}

class Reader {
  readonly packets: CapturedUdp[] = [];
  readonly errors: string[] = [];
  frame = 0;
  private pending = new Map<string, Pending>();
  private tsSec = 0;
  private tsNsec = 0;

  constructor(readonly bytes: Uint8Array) {}

  // pcapng timestamp in interface units, or null for a Simple Packet Block.
  packetAt(iface: Iface, data: Uint8Array, ts: bigint | null): void {
    let sec = 0;
    let nsec = 0;
    if (ts !== null) {
      const s = ts / iface.tsDiv;
      const frac = ts % iface.tsDiv;
      sec = Number(s + iface.tsOffset);
      nsec = Number((frac * 1_000_000_000n) / iface.tsDiv);
    }
    this.packet(iface, data, sec, nsec);
  }

  packet(iface: Iface, data: Uint8Array, sec: number, nsec: number): void {
    this.tsSec = sec;
    this.tsNsec = nsec;
    try {
      this.link(iface, data);
    } catch (e) {
      this.errors.push(`frame ${this.frame}: internal error: ${String(e)}`);
    }
  }

  private err(why: string): void {
    this.errors.push(`frame ${this.frame}: ${why}`);
  }

  private link(iface: Iface, d: Uint8Array): void {
    const dv = view(d);
    switch (iface.linktype) {
      case LT_ETHERNET: {
        if (d.length < 14) return this.err(`truncated Ethernet header (${d.length} bytes)`);
        let p = 12;
        let et = dv.getUint16(p, false);
        // 802.1Q / 802.1ad tags: TPID(2) TCI(2), then the next EtherType; any depth.
        while (et === ETH_VLAN || et === ETH_QINQ || et === ETH_QINQ_OLD) {
          p += 4;
          if (d.length < p + 2) return this.err("truncated VLAN tag");
          et = dv.getUint16(p, false);
        }
        return this.ethertype(et, d.subarray(p + 2));
      }
      case LT_LINUX_SLL:
        // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
        if (d.length < 16) return this.err(`truncated Linux cooked header (${d.length} bytes)`);
        return this.ethertype(dv.getUint16(14, false), d.subarray(16));
      case LT_LINUX_SLL2:
        // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
        if (d.length < 20) return this.err(`truncated Linux cooked v2 header (${d.length} bytes)`);
        return this.ethertype(dv.getUint16(0, false), d.subarray(20));
      case LT_RAW: {
        if (d.length < 1) return this.err("empty raw IP packet");
        const v = d[0] >> 4;
        if (v === 4) return this.ipv4(d);
        if (v === 6) return this.ipv6(d);
        return this.err(`raw packet with IP version ${v}`);
      }
      case LT_IPV4:
        return this.ipv4(d);
      case LT_IPV6:
        return this.ipv6(d);
      case LT_NULL:
      case LT_LOOP: {
        // A 4-byte address family: host byte order of the capturing machine (NULL) or network
        // byte order (LOOP). Families are small, so the order that gives a small number wins.
        if (d.length < 4) return this.err(`truncated loopback header (${d.length} bytes)`);
        let fam = dv.getUint32(0, iface.linktype === LT_LOOP ? false : true);
        if (fam > 0xffff) fam = dv.getUint32(0, iface.linktype === LT_LOOP);
        const rest = d.subarray(4);
        if (fam === 2) return this.ipv4(rest);
        if (fam === 10 || fam === 24 || fam === 28 || fam === 30) return this.ipv6(rest);
        return; // not IP
      }
      default:
        if (!iface.warned) {
          iface.warned = true;
          this.err(`unsupported link type ${iface.linktype}; packets of this interface are skipped`);
        }
    }
  }

  private ethertype(et: number, d: Uint8Array): void {
    if (et === ETH_IPV4) this.ipv4(d);
    else if (et === ETH_IPV6) this.ipv6(d);
    // ARP, LLDP, 802.3 lengths, ...: not IP, not an error.
  }

  // IPv4 (RFC 791): version/IHL, TOS, total length, id, flags/fragment offset, TTL, protocol,
  // checksum (not checked), source, destination, options.
  private ipv4(d: Uint8Array): void {
    if (d.length < 20) return this.err(`truncated IPv4 header (${d.length} bytes)`);
    const dv = view(d);
    const ver = d[0] >> 4;
    if (ver !== 4) return this.err(`IPv4 header with version ${ver}`);
    const ihl = (d[0] & 15) * 4;
    if (ihl < 20) return this.err(`IPv4 header length ${ihl} < 20`);
    const total = dv.getUint16(2, false);
    if (total < ihl) return this.err(`IPv4 total length ${total} < header length ${ihl}`);
    if (total > d.length) return this.err(`truncated IPv4 packet (${total} bytes announced, ${d.length} captured)`);
    const id = dv.getUint16(4, false);
    const ff = dv.getUint16(6, false);
    const more = (ff & 0x2000) !== 0;
    const fragOff = (ff & 0x1fff) * 8;
    const proto = d[9];
    const src = d.slice(12, 16);
    const dst = d.slice(16, 20);
    const payload = d.subarray(ihl, total); // drops link-layer padding
    if (!more && fragOff === 0) {
      if (proto === IPPROTO_UDP) this.udp(4, src, dst, payload);
      return;
    }
    const key = `4/${formatAddress(src)}/${formatAddress(dst)}/${proto}/${id}`;
    const done = this.fragment(key, 4, src, dst, fragOff, more, payload, proto);
    if (done && done.proto === IPPROTO_UDP) this.udp(4, src, dst, done.data);
  }

  // IPv6 (RFC 8200): fixed header, then a chain of extension headers. Hop-by-hop, routing and
  // destination options are (len+1)*8 bytes; AH is (len+2)*4; the fragment header is 8 bytes.
  private ipv6(d: Uint8Array): void {
    if (d.length < 40) return this.err(`truncated IPv6 header (${d.length} bytes)`);
    const dv = view(d);
    const ver = d[0] >> 4;
    if (ver !== 6) return this.err(`IPv6 header with version ${ver}`);
    const plen = dv.getUint16(4, false);
    if (plen === 0) return this.err("IPv6 jumbogram or empty payload length; not supported");
    if (40 + plen > d.length) return this.err(`truncated IPv6 packet (${40 + plen} bytes announced, ${d.length} captured)`);
    const src = d.slice(8, 24);
    const dst = d.slice(24, 40);
    this.ipv6Chain(d[6], d.subarray(40, 40 + plen), src, dst, true);
  }

  private ipv6Chain(nh: number, d: Uint8Array, src: Uint8Array, dst: Uint8Array, fragAllowed: boolean): void {
    let p = 0;
    for (;;) {
      switch (nh) {
        case IPPROTO_UDP:
          return this.udp(6, src, dst, d.subarray(p));
        case IPPROTO_HOPOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_DSTOPTS:
        case IPPROTO_AH: {
          if (d.length - p < 8) return this.err(`truncated IPv6 extension header ${nh}`);
          const hlen = nh === IPPROTO_AH ? (d[p + 1] + 2) * 4 : (d[p + 1] + 1) * 8;
          if (d.length - p < hlen) return this.err(`truncated IPv6 extension header ${nh} (${hlen} bytes announced)`);
          nh = d[p];
          p += hlen;
          break;
        }
        case IPPROTO_FRAGMENT: {
          if (!fragAllowed) return this.err("IPv6 fragment header inside a reassembled datagram");
          if (d.length - p < 8) return this.err("truncated IPv6 fragment header");
          const dv = view(d);
          const next = d[p];
          const ofm = dv.getUint16(p + 2, false);
          const fragOff = ofm & 0xfff8;
          const more = (ofm & 1) !== 0;
          const id = dv.getUint32(p + 4, false);
          const body = d.subarray(p + 8);
          if (!more && fragOff === 0) {
            // An atomic fragment (RFC 6946): process it on its own.
            nh = next;
            p += 8;
            fragAllowed = false;
            break;
          }
          const key = `6/${formatAddress(src)}/${formatAddress(dst)}/${id}`;
          const done = this.fragment(key, 6, src, dst, fragOff, more, body, fragOff === 0 ? next : -1);
          if (done) this.ipv6Chain(done.proto, done.data, src, dst, false);
          return;
        }
        case IPPROTO_NONE:
        default:
          return; // ESP, ICMPv6, TCP, ...: not ours
      }
    }
  }

  // Collects one fragment; returns the whole payload when this fragment completes it.
  private fragment(
    key: string, family: 4 | 6, src: Uint8Array, dst: Uint8Array,
    off: number, more: boolean, data: Uint8Array, proto: number,
  ): { proto: number; data: Uint8Array } | null {
    const what = `IPv${family} fragment (offset ${off}, ${data.length} bytes)`;
    if (more && data.length % 8 !== 0) {
      this.err(`${what}: a fragment other than the last must be a multiple of 8 bytes`);
      return null;
    }
    if (off + data.length > MAX_DATAGRAM_BYTES) {
      this.err(`${what}: reassembled datagram would exceed ${MAX_DATAGRAM_BYTES} bytes`);
      this.pending.delete(key);
      return null;
    }
    let pd = this.pending.get(key);
    if (!pd) {
      if (this.pending.size >= MAX_PENDING_DATAGRAMS) {
        const oldest = this.pending.values().next().value as Pending;
        this.incomplete(oldest, `dropped to stay within ${MAX_PENDING_DATAGRAMS} pending datagrams`);
        this.pending.delete(oldest.key);
      }
      pd = { key, family, src, dst, firstFrame: this.frame, parts: [], total: -1, nextProto: -1, got: 0 };
      this.pending.set(key, pd);
    }
    if (!more) {
      const end = off + data.length;
      if (pd.total >= 0 && pd.total !== end) {
        this.err(`${what}: second last fragment with a different end (${pd.total} vs ${end}); datagram dropped`);
        this.pending.delete(key);
        return null;
      }
      pd.total = end;
    }
    if (proto >= 0) pd.nextProto = proto;
    if (pd.got + data.length > 2 * MAX_DATAGRAM_BYTES) {
      this.err(`${what}: too many duplicate fragments; datagram dropped`);
      this.pending.delete(key);
      return null;
    }
    pd.parts.push({ off, data: data.slice() });
    pd.got += data.length;
    if (pd.total < 0 || pd.nextProto < 0) return null;

    // Complete when the parts cover [0, total) without a gap. Overlaps must carry the same
    // bytes (a duplicate is harmless; differing overlaps are an attack or corruption).
    const parts = pd.parts.slice().sort((a, b) => a.off - b.off);
    let covered = 0;
    for (const pt of parts) {
      if (pt.off > covered) return null; // gap: wait for more
      if (pt.off + pt.data.length > pd.total) {
        this.err(`${what}: fragment beyond the end of the datagram (${pd.total} bytes); datagram dropped`);
        this.pending.delete(key);
        return null;
      }
      covered = Math.max(covered, pt.off + pt.data.length);
    }
    if (covered < pd.total) return null;
    const out = new Uint8Array(pd.total);
    const set = new Uint8Array(pd.total);
    for (const pt of parts) {
      for (let i = 0; i < pt.data.length; i++) {
        const at = pt.off + i;
        if (set[at] && out[at] !== pt.data[i]) {
          this.err(`${what}: overlapping fragments disagree at byte ${at}; datagram dropped`);
          this.pending.delete(key);
          return null;
        }
        out[at] = pt.data[i];
        set[at] = 1;
      }
    }
    this.pending.delete(key);
    return { proto: pd.nextProto, data: out };
  }

  private incomplete(pd: Pending, why: string): void {
    this.errors.push(
      `frame ${pd.firstFrame}: incomplete IPv${pd.family} datagram from ${formatAddress(pd.src)} to ` +
        `${formatAddress(pd.dst)} (${pd.parts.length} fragments, ${pd.got} bytes): ${why}`,
    );
  }

  flushIncomplete(): void {
    for (const pd of this.pending.values()) this.incomplete(pd, "never completed");
    this.pending.clear();
  }

  // UDP (RFC 768): source port, destination port, length, checksum (not checked).
  private udp(family: 4 | 6, src: Uint8Array, dst: Uint8Array, d: Uint8Array): void {
    if (d.length < 8) return this.err(`truncated UDP header (${d.length} bytes)`);
    const dv = view(d);
    const len = dv.getUint16(4, false);
    if (len < 8) return this.err(`UDP length ${len} < 8`);
    if (len > d.length) return this.err(`truncated UDP datagram (${len} bytes announced, ${d.length} present)`);
    this.packets.push({
      frame: this.frame,
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      family,
      src: formatAddress(src),
      dst: formatAddress(dst),
      sport: dv.getUint16(0, false),
      dport: dv.getUint16(2, false),
      payload: d.slice(8, len),
    });
  }
}
