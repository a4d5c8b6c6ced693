// Carries out the core's kernel operations (core/kernel.ts) on a Kernel (kernel-shims): the
// two SAs of a Child SA and the policies of its traffic selectors (out, in, fwd), removed again
// when it goes. Policies are shared by a Child SA and its rekeyed successor (same reqid), so
// they are counted and removed with the last one. An "add" is all or nothing: when the kernel
// refuses an SA or a policy, what it took of that Child SA is removed again, and the answer
// (`done`, for engine.kernelDone) says what was refused and why; the core then does not
// establish the Child SA. Failures are logged; the daemon goes on.
import { KernelError, type Kernel, type SaSpec, type PolicySpec, type Selector, type SaCounters } from "../kernel-shims/kernel.ts";
import { formatAddress } from "./pcap.ts";

export interface KernelTs {
  proto: number;
  sport: number;
  eport: number;
  start: string; // hex
  end: string;
}

export interface KernelChildOp {
  op: "add" | "del";
  id?: number; // an "add": what the answer names (engine.kernelDone)
  serial: number;
  reqid: number;
  conn: string;
  family: 4 | 6;
  local: string; // hex address
  remote: string;
  localPort: number;
  remotePort: number;
  natT: boolean;
  mode: "tunnel" | "transport";
  spiIn: number;
  spiOut: number;
  encr: number;
  keyBits: number;
  integ: number;
  esn: boolean;
  tsLocal: KernelTs[];
  tsRemote: KernelTs[];
  encrIn?: string;
  integIn?: string;
  encrOut?: string;
  integOut?: string;
}

export interface KernelUnrouteOp {
  op: "unroute";
  conn: string;
}

const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

export function addrText(hex: string): string {
  return formatAddress(fromHex(hex));
}

// A TS range as the prefix XFRM selectors need; null when the range is not one prefix.
export function rangePrefix(startHex: string, endHex: string): string | null {
  const s = fromHex(startHex);
  const e = fromHex(endHex);
  if (s.length !== e.length || s.length === 0) return null;
  let bits = 0;
  let i = 0;
  for (; i < s.length && s[i] === e[i]; i++) bits += 8;
  if (i < s.length) {
    const diff = s[i] ^ e[i];
    let k = 0;
    while (k < 8 && !(diff & (0x80 >> k))) k++;
    bits += k;
    // the rest must be all zeros in start and all ones in end
    const mask = 0xff >> k;
    if ((s[i] & mask) !== 0 || (e[i] & mask) !== mask) return null;
    for (let j = i + 1; j < s.length; j++) if (s[j] !== 0 || e[j] !== 0xff) return null;
  }
  return `${addrText(startHex)}/${bits}`;
}

export class KernelAdapter {
  private policies = new Map<string, Set<number>>(); // policy key -> Child SA serials using it
  private sas = new Map<number, { local: string; remote: string; spiIn: number; spiOut: number }>();
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly kernel: Kernel, readonly name: string, private log: (line: string) => void) {}

  // Kernel operations run one after another, in the order the core asked for them; "unroute"
  // (dpdaction=clear) removes a connection's trap policies. `done` gets the outcome of an
  // "add": refused is null when the kernel took it all, else what it refused and why.
  apply(op: KernelChildOp | KernelUnrouteOp, done?: (refused: string | null) => void): void {
    const run = async () => {
      if (op.op === "unroute") this.log(`"${op.conn}": dpdaction=clear: unrouted (${await this.unroute(op.conn)} trap policies removed)`);
      else if (op.op === "del") await this.del(op);
      else {
        let refused: string | null;
        try {
          refused = await this.add(op);
        } catch (e) {
          refused = `kernel: ${(e as Error).message}`;
        }
        done?.(refused);
      }
    };
    this.chain = this.chain.then(run).catch((e) => this.log(`kernel: ${(e as Error).message}`));
  }

  async settled(): Promise<void> {
    await this.chain;
  }

  private selectors(op: KernelChildOp): { out: Selector; in: Selector }[] {
    const out: { out: Selector; in: Selector }[] = [];
    for (const l of op.tsLocal) {
      for (const r of op.tsRemote) {
        const lp = rangePrefix(l.start, l.end);
        const rp = rangePrefix(r.start, r.end);
        if (!lp || !rp) {
          this.log(`"${op.conn}" #${op.serial}: kernel: traffic selector range is not a prefix; policy not installed`);
          continue;
        }
        const proto = l.proto || r.proto || 0;
        const sel = (src: string, dst: string, sp: KernelTs, dp: KernelTs): Selector => {
          const s: Selector = { src, dst };
          if (proto) s.proto = proto;
          if (sp.sport === sp.eport && sp.sport !== 0) s.sport = sp.sport;
          if (dp.sport === dp.eport && dp.sport !== 0) s.dport = dp.sport;
          return s;
        };
        out.push({ out: sel(lp, rp, l, r), in: sel(rp, lp, r, l) });
      }
    }
    return out;
  }

  // Returns null when the kernel took both SAs and every policy, else what it refused (after
  // taking back what it had taken of this Child SA).
  private async add(op: KernelChildOp): Promise<string | null> {
    const local = addrText(op.local);
    const remote = addrText(op.remote);
    const encap = op.natT ? { sport: op.remotePort, dport: op.localPort } : undefined;
    const base = { proto: "esp" as const, mode: op.mode, reqid: op.reqid, esn: op.esn };
    const inbound: SaSpec = { ...base, src: remote, dst: local, spi: op.spiIn, encr: { id: op.encr, key: fromHex(op.encrIn ?? "") }, replayWindow: 32 };
    const outbound: SaSpec = { ...base, src: local, dst: remote, spi: op.spiOut, encr: { id: op.encr, key: fromHex(op.encrOut ?? "") }, replayWindow: 0 };
    if (op.integ) {
      inbound.integ = { id: op.integ, key: fromHex(op.integIn ?? "") };
      outbound.integ = { id: op.integ, key: fromHex(op.integOut ?? "") };
    }
    if (encap) {
      inbound.encap = encap;
      outbound.encap = { sport: op.localPort, dport: op.remotePort };
    }
    const refusal = (e: unknown) => (e instanceof KernelError ? e.code : (e as Error).message);
    for (const sa of [inbound, outbound]) {
      try {
        await this.kernel.addSa(sa);
      } catch (e) {
        const what = `${sa === inbound ? "inbound" : "outbound"} SA 0x${sa.spi.toString(16)}`;
        this.log(`"${op.conn}" #${op.serial}: kernel refused the ${what}: ${(e as Error).message}`);
        if (sa === outbound) await this.kernel.deleteSa({ src: remote, dst: local, spi: op.spiIn, proto: "esp" }).catch(() => {});
        return `${what}: ${refusal(e)}`;
      }
    }
    // (only what the kernel holds is shown, and found by its SPI for an EXPIRE)
    this.sas.set(op.serial, { local, remote, spiIn: op.spiIn, spiOut: op.spiOut });
    const tmpl = (src: string, dst: string) => [{ src: op.mode === "tunnel" ? src : undefined, dst: op.mode === "tunnel" ? dst : undefined, proto: "esp" as const, mode: op.mode, reqid: op.reqid }];
    for (const s of this.selectors(op)) {
      const specs: PolicySpec[] = [
        { selector: s.out, dir: "out", templates: tmpl(local, remote) },
        { selector: s.in, dir: "in", templates: tmpl(remote, local) },
      ];
      if (op.mode === "tunnel") specs.push({ selector: s.in, dir: "fwd", templates: tmpl(remote, local) });
      for (const p of specs) {
        const key = `${p.dir}|${JSON.stringify(p.selector)}`;
        const users = this.policies.get(key) ?? new Set<number>();
        users.add(op.serial);
        this.policies.set(key, users);
        try {
          // UPDPOLICY creates or replaces: a Child SA's policy takes over from a trap (route)
          await this.kernel.addPolicy(p, { update: true });
        } catch (e) {
          const what = `${p.dir} policy ${p.selector.src} -> ${p.selector.dst}`;
          this.log(`"${op.conn}" #${op.serial}: kernel refused the ${what}: ${(e as Error).message}`);
          await this.del(op); // its SAs, and the policies only it used (a trap comes back)
          return `${what}: ${refusal(e)}`;
        }
      }
    }
    return null;
  }

  private async del(op: KernelChildOp): Promise<void> {
    const known = this.sas.get(op.serial);
    const local = known?.local ?? addrText(op.local);
    const remote = known?.remote ?? addrText(op.remote);
    this.sas.delete(op.serial);
    for (const id of [{ src: remote, dst: local, spi: op.spiIn }, { src: local, dst: remote, spi: op.spiOut }]) {
      try {
        await this.kernel.deleteSa({ ...id, proto: "esp" });
      } catch {
        // an SA the kernel refused earlier, or already expired: nothing to remove
      }
    }
    for (const s of this.selectors(op)) {
      for (const [dir, selector] of [["out", s.out], ["in", s.in], ["fwd", s.in]] as const) {
        const key = `${dir}|${JSON.stringify(selector)}`;
        const users = this.policies.get(key);
        if (!users) continue;
        users.delete(op.serial);
        if (users.size > 0) continue; // a rekeyed successor still uses it
        this.policies.delete(key);
        const trap = this.traps.get(key);
        try {
          if (trap) await this.kernel.addPolicy(trap.spec, { update: true }); // back to on-demand
          else await this.kernel.deletePolicy({ selector, dir });
        } catch {
          // refused at install time
        }
      }
    }
  }

  // ---- on-demand (whack --route, auto=route/ondemand) ------------------------------------------
  // Trap policies: outbound policies whose template has no SA yet, so that the first packet
  // makes the kernel send an ACQUIRE (RFC 4301's "SA on demand"), which starts the connection.
  private traps = new Map<string, { conn: string; spec: PolicySpec; reqid: number }>();
  private nextTrapReqid = 0x7f000000;

  async route(conn: string, op: Omit<KernelChildOp, "op" | "serial" | "reqid" | "spiIn" | "spiOut">): Promise<number> {
    const reqid = this.nextTrapReqid++;
    const local = addrText(op.local);
    const remote = addrText(op.remote);
    let n = 0;
    for (const s of this.selectors({ ...op, op: "add", serial: 0, reqid, spiIn: 0, spiOut: 0 })) {
      const spec: PolicySpec = { selector: s.out, dir: "out", templates: [{ src: op.mode === "tunnel" ? local : undefined, dst: op.mode === "tunnel" ? remote : undefined, proto: "esp", mode: op.mode, reqid }] };
      const key = `out|${JSON.stringify(s.out)}`;
      this.traps.set(key, { conn, spec, reqid });
      if (this.policies.has(key)) continue; // a Child SA's policy is in place; the trap waits
      await this.kernel.addPolicy(spec, { update: true });
      n++;
    }
    return n;
  }

  async unroute(conn: string): Promise<number> {
    let n = 0;
    for (const [key, t] of [...this.traps]) {
      if (t.conn !== conn) continue;
      this.traps.delete(key);
      if (this.policies.has(key)) continue; // held by a Child SA now
      try {
        await this.kernel.deletePolicy({ selector: t.spec.selector, dir: "out" });
        n++;
      } catch {
        // gone already
      }
    }
    return n;
  }

  // Which connection an ACQUIRE is for (by the trap policy's reqid), and which Child SA a
  // kernel EXPIRE names (by its SPI).
  connOfTrap(reqid: number): string | null {
    for (const t of this.traps.values()) if (t.reqid === reqid) return t.conn;
    return null;
  }
  childOfSpi(spi: number): number | null {
    for (const [serial, s] of this.sas) if (s.spiIn === spi || s.spiOut === spi) return serial;
    return null;
  }

  async counters(serial: number): Promise<{ in: SaCounters | null; out: SaCounters | null }> {
    const s = this.sas.get(serial);
    if (!s) return { in: null, out: null };
    const get = async (src: string, dst: string, spi: number) => {
      try {
        return await this.kernel.getSaCounters({ src, dst, spi, proto: "esp" });
      } catch {
        return null;
      }
    };
    return { in: await get(s.remote, s.local, s.spiIn), out: await get(s.local, s.remote, s.spiOut) };
  }

  // What the kernel holds for us, one line each (whack --status).
  holdings(): string[] {
    const out: string[] = [];
    for (const [serial, s] of this.sas) out.push(`kernel: #${serial} ESP SA in 0x${s.spiIn.toString(16).padStart(8, "0")} ${s.remote} -> ${s.local}, out 0x${s.spiOut.toString(16).padStart(8, "0")} ${s.local} -> ${s.remote}`);
    for (const [key, users] of this.policies) {
      const [dir, sel] = key.split("|");
      const s = JSON.parse(sel) as Selector;
      out.push(`kernel: policy ${dir} ${s.src} -> ${s.dst}${s.proto ? ` proto ${s.proto}` : ""} (#${[...users].join(", #")})`);
    }
    return out;
  }

  // After a trap in the core: the Child SAs it held are gone with it, and so are their kernel
  // entries (the peers will be asked for new ones). Trap policies (whack --route) stay, and
  // take the Child SAs' places again. Returns how many Child SAs were removed, once done.
  forgetChildren(): Promise<number> {
    const done = this.chain.then(async () => {
      const n = this.sas.size;
      for (const s of this.sas.values()) {
        for (const id of [{ src: s.remote, dst: s.local, spi: s.spiIn }, { src: s.local, dst: s.remote, spi: s.spiOut }]) {
          await this.kernel.deleteSa({ ...id, proto: "esp" }).catch(() => {}); // refused when installed, or expired
        }
      }
      this.sas.clear();
      for (const key of this.policies.keys()) {
        const bar = key.indexOf("|");
        const dir = key.slice(0, bar) as PolicySpec["dir"];
        const trap = this.traps.get(key);
        if (trap) await this.kernel.addPolicy(trap.spec, { update: true }).catch(() => {});
        else await this.kernel.deletePolicy({ selector: JSON.parse(key.slice(bar + 1)) as Selector, dir }).catch(() => {});
      }
      this.policies.clear();
      return n;
    });
    this.chain = done.then(() => {}, (e) => this.log(`kernel: ${(e as Error).message}`));
    return done.catch(() => 0);
  }

  async close(): Promise<void> {
    await this.chain;
    try {
      await this.kernel.flushOurs();
    } catch (e) {
      this.log(`kernel: flushing our entries failed: ${(e as Error).message}`);
    }
    await this.kernel.close();
  }
}
