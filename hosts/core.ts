// The one loader of core.wasm, used by every host and test. Runtime-neutral: it needs only the
// WebAssembly API, so Node and Deno load the module the same way (the bytes come from the host).
//
// Every call into the module goes through `call()`. A trap (unreachable, out-of-bounds access,
// an AssemblyScript abort) is caught here, reported with context to `onTrap`, and the instance
// is replaced by a fresh one: a bad input may cost the state inside the module, never the
// daemon.
import * as abi from "../core/abi.ts";

export interface CoreExports {
  abiVersion(): number;
  inPtr(): number;
  outPtr(): number;
  textPtr(): number;
  tapePtr(): number;
  wireDecode(len: number, flags: number): number;
  wireDecodeChain(version: number, np: number, len: number): number;
  wireEncode(n: number): number;
  wireClassify4500(len: number): number;
  wireDescribe(kind: number): number;
  errCode(): number;
  errKind(): number;
  errPtype(): number;
  errField(): number;
  errOffset(): number;
  errValue(): number;
  errLimit(): number;
  errNotify(): number;
  errVersion(): number;
  nameOf(reg: number, value: number): number;
  transformIdName(type: number, id: number): number;
  v1TransformIdName(protocol: number, id: number): number;
  v1AttrValueName(phase: number, type: number, value: number): number;
  selftestTrap(how: number): number;
  kernelTextPtr(): number;
  __collect(): void;
  pollCommand(): number;
  cmdData(): number;
  cmdArg(i: number): number;
  setKernelOps(on: number): void;
  [name: string]: unknown;
}

export interface TrapReport {
  call: string; // the export that trapped
  args: number[];
  message: string; // the runtime's message, or the abort's
  abort?: { message: string; file: string; line: number; column: number };
  traps: number; // traps so far in this Core, this one included
}

export interface CoreOptions {
  // Memory cap in 64 KiB pages (the fuzzing sandbox uses a small one). Default 16384 (1 GiB).
  maxPages?: number;
  onTrap?: (report: TrapReport) => void;
  // Functions the module imports besides memory and abort (the engine's crypto), made for each
  // instance; the codec alone needs none.
  hostImports?: (core: Core) => Record<string, (...args: number[]) => number | void>;
}

const DEFAULT_MAX_PAGES = 16384;
const utf8 = new TextDecoder();

// Thrown to the caller of call() after a trap has been reported and the instance replaced.
export class CoreTrap extends Error {
  constructor(readonly report: TrapReport) {
    super(`core trapped in ${report.call}(${report.args.join(", ")}): ${report.message}`);
    this.name = "CoreTrap";
  }
}

class AbortSignalled extends Error {
  constructor(readonly info: { message: string; file: string; line: number; column: number }) {
    super(`abort: ${info.message} at ${info.file}:${info.line}:${info.column}`);
  }
}

export class Core {
  private instance!: WebAssembly.Instance;
  private memory!: WebAssembly.Memory;
  private buffer: ArrayBuffer | null = null;
  private u8!: Uint8Array;
  private u32!: Uint32Array;
  private ptrs = { in: 0, out: 0, text: 0, tape: 0 };
  traps = 0;
  generation = 0; // bumps when the instance is replaced

  private constructor(readonly module: WebAssembly.Module, private readonly opts: CoreOptions) {
    this.instantiate();
  }

  static async load(bytes: BufferSource | WebAssembly.Module, opts: CoreOptions = {}): Promise<Core> {
    const module = bytes instanceof WebAssembly.Module ? bytes : await WebAssembly.compile(bytes);
    return new Core(module, opts);
  }

  static loadSync(bytes: BufferSource | WebAssembly.Module, opts: CoreOptions = {}): Core {
    const module = bytes instanceof WebAssembly.Module ? bytes : new WebAssembly.Module(bytes);
    return new Core(module, opts);
  }

  private instantiate(): void {
    const maximum = this.opts.maxPages ?? DEFAULT_MAX_PAGES;
    this.memory = new WebAssembly.Memory({ initial: Math.min(64, maximum), maximum });
    const missing = (name: string) => () => {
      throw new Error(`core.wasm called ${name}, which this host did not provide (no crypto provider)`);
    };
    const host = this.opts.hostImports?.(this) ?? {};
    const imports = {
      env: {
        hostRandom: missing("hostRandom"),
        hostPrf: missing("hostPrf"),
        hostInteg: missing("hostInteg"),
        hostEncrypt: missing("hostEncrypt"),
        hostDecrypt: missing("hostDecrypt"),
        hostHash: missing("hostHash"),
        ...host,
        memory: this.memory,
        abort: (msg: number, file: number, line: number, column: number) => {
          throw new AbortSignalled({ message: this.asString(msg), file: this.asString(file), line, column });
        },
      },
    };
    this.instance = new WebAssembly.Instance(this.module, imports);
    const x = this.exports;
    if (x.abiVersion() !== abi.ABI_VERSION) {
      throw new Error(`core.wasm speaks ABI ${x.abiVersion()}, this host ${abi.ABI_VERSION}: rebuild (npm run build)`);
    }
    this.ptrs = { in: x.inPtr(), out: x.outPtr(), text: x.textPtr(), tape: x.tapePtr() };
    this.buffer = null;
    this.generation++;
  }

  get exports(): CoreExports {
    return this.instance.exports as unknown as CoreExports;
  }

  // Memory views, rebuilt whenever memory grows (growth detaches the old ArrayBuffer).
  private refresh(): void {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.u32 = new Uint32Array(this.buffer);
    }
  }
  get bytes(): Uint8Array {
    this.refresh();
    return this.u8;
  }
  get words(): Uint32Array {
    this.refresh();
    return this.u32;
  }
  get inPtr(): number {
    return this.ptrs.in;
  }
  get outPtr(): number {
    return this.ptrs.out;
  }
  get tapePtr(): number {
    return this.ptrs.tape;
  }
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }
  // the most the core's memory may grow to
  get maxMemoryBytes(): number {
    return (this.opts.maxPages ?? DEFAULT_MAX_PAGES) * 65536;
  }
  in(len = abi.IN_CAP): Uint8Array {
    return this.bytes.subarray(this.ptrs.in, this.ptrs.in + len);
  }
  out(len: number): Uint8Array {
    return this.bytes.subarray(this.ptrs.out, this.ptrs.out + len);
  }
  text(len: number): string {
    return utf8.decode(this.bytes.subarray(this.ptrs.text, this.ptrs.text + len));
  }
  // Word index of node i's first word in `words`.
  node(i: number): number {
    return (this.ptrs.tape >>> 2) + i * abi.NODE_WORDS;
  }

  // Calls an export; a trap is reported, the instance replaced, and CoreTrap thrown.
  call(name: keyof CoreExports & string, ...args: number[]): number {
    const f = this.exports[name] as ((...a: number[]) => number) | undefined;
    if (typeof f !== "function") throw new Error(`core.wasm has no export ${name}`);
    try {
      return f(...args);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError) && !(e instanceof AbortSignalled) && !(e instanceof RangeError)) throw e;
      this.traps++;
      const report: TrapReport = {
        call: name,
        args,
        message: e instanceof AbortSignalled ? e.message : String((e as Error).message),
        traps: this.traps,
      };
      if (e instanceof AbortSignalled) report.abort = e.info;
      this.instantiate();
      this.opts.onTrap?.(report);
      throw new CoreTrap(report);
    }
  }

  // Runs f with the exports inside the same trap guard as call(): for loops of many calls
  // (draining commands) without a guard per call.
  guard<T>(name: string, f: (x: CoreExports) => T): T {
    try {
      return f(this.exports);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError) && !(e instanceof AbortSignalled) && !(e instanceof RangeError)) throw e;
      this.traps++;
      const report: TrapReport = { call: name, args: [], message: e instanceof AbortSignalled ? e.message : String((e as Error).message), traps: this.traps };
      if (e instanceof AbortSignalled) report.abort = e.info;
      this.instantiate();
      this.opts.onTrap?.(report);
      throw new CoreTrap(report);
    }
  }

  // Copies bytes into IN (truncating errors are the caller's: IN_CAP bytes at most).
  setInput(data: Uint8Array): void {
    if (data.length > abi.IN_CAP) throw new RangeError(`input of ${data.length} bytes exceeds IN_CAP ${abi.IN_CAP}`);
    this.bytes.set(data, this.ptrs.in);
  }

  // Reads an AssemblyScript string (UTF-16, byte length at ptr-4) for abort messages.
  private asString(ptr: number): string {
    if (!ptr) return "";
    const b = this.memory.buffer;
    if (ptr < 4 || ptr > b.byteLength) return `<string at ${ptr}>`;
    const len = new Uint32Array(b, (ptr - 4) & ~3, 1)[0];
    if (ptr + len > b.byteLength || len > 4096) return `<string at ${ptr}>`;
    return String.fromCharCode(...new Uint16Array(b.slice(ptr, ptr + (len & ~1))));
  }
}
