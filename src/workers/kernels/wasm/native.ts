/**
 * The app's native WASM kernels (native/*.c, built by `npm run build:kernels` into base64 modules):
 * instantiated synchronously on first use (each a few KB: allowed in workers and Node).
 *
 * Each module imports its linear memory. Where it can, it imports tfjs' own (the backend's Emscripten
 * heap): the kernels then read their inputs and write their outputs where tfjs keeps its tensors, with
 * no copies (`Call`). The modules have no data, no stack and no globals (scripts/build-kernels.mjs
 * checks), so they touch only the buffers they are given. Where tfjs' memory cannot be imported, a
 * module gets a memory of its own and a `Call` copies its tensors in and its results out: O(elements)
 * against the kernels' O(elements x reduction length); 6-7% of a classroom ResNeXt step when measured.
 *
 * The memory is shared (a SharedArrayBuffer) where the platform allows it (tfjs' threaded build, or a
 * memory of the module's own), so that helper threads can run ranges of the same kernel on it
 * (pool.ts); otherwise the module's unshared build runs alone. Both builds compute the same values.
 *
 * The product kernels (native/simd.h) also come built with relaxed SIMD, their multiply-adds fused
 * where the CPU has FMA: loaded where the engine validates that build (Chromium since 114; Node only
 * with --experimental-wasm-relaxed-simd) unless nativeOptions.relaxedSimd is false. Helper threads
 * instantiate the very module the caller compiled, so all threads run the same build.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Info, heap, offsetOf } from './plumbing';

export interface NativeModule {
  heap_base(): number;
}

/** The builds' memory limits (scripts/build-kernels.mjs): 1 MiB to start, up to 4 GiB, in 64 KiB pages. */
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 65536;

function decodeBase64(text: string): Uint8Array {
  if (typeof atob === 'function') return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Uint8Array((globalThis as unknown as { Buffer: { from(s: string, e: string): Uint8Array } }).Buffer.from(text, 'base64'));
}

/** A module's builds, as scripts/build-kernels.mjs writes them (native/*.wasm.ts), base64. */
export interface NativeBuilds {
  WASM_BASE64: string;
  WASM_BASE64_UNSHARED: string;
  /** Relaxed SIMD builds: for sources that include native/simd.h. */
  RELAXED_WASM_BASE64?: string;
  RELAXED_WASM_BASE64_UNSHARED?: string;
}

interface Instantiated<T> {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: T;
  shared: boolean;
  /** The relaxed SIMD build. */
  relaxed: boolean;
  /** On tfjs' own memory (no copies). */
  onBackend: boolean;
}

/** Every native module, in the order made: helper threads instantiate the same list (pool.ts). */
export const NATIVES: Native<NativeModule>[] = [];

/** Called when modules move to another memory (a new tfjs backend): helpers holding the old instances must stop. */
let onRebind: () => void = () => {};
export function setRebindListener(listener: () => void): void {
  onRebind = listener;
}

/** tfjs' own WASM memory: exposed by its threaded build's glue, exported by the plain build's module. */
function backendMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  const m = backend.wasm as unknown as { wasmMemory?: unknown; asm?: { memory?: unknown }; HEAPU8: Uint8Array };
  const memory = m.wasmMemory ?? m.asm?.memory;
  return memory instanceof WebAssembly.Memory && memory.buffer === m.HEAPU8.buffer ? memory : undefined;
}

/**
 * The modules ignore tfjs' memory and copy through their own (the fallback path): for tests, and for
 * helper threads in Node, where tfjs' memory is not shared. Takes effect at `bindNatives`.
 */
export const nativeOptions = {
  ownMemory: false,
  /** Load a module's relaxed SIMD build where the engine validates it (false: the plain builds, for tests and benchmarks). Takes effect at `bindNatives`. */
  relaxedSimd: true,
};

/**
 * Puts every native module on `backend`'s memory (or its own: nativeOptions), before helper threads
 * take their instances (pool.ts). The wasm kernels' registration calls it.
 */
export function bindNatives(backend: BackendWasm): void {
  for (const n of NATIVES) n.on(backend, true);
}

/** Switches every native module to its relaxed SIMD build (where it has one that validates) or to the plain builds, on `backend`'s memory (tests, benchmarks). */
export function useRelaxedSimd(on: boolean, backend: BackendWasm): void {
  nativeOptions.relaxedSimd = on;
  bindNatives(backend);
}

/** Whether every native module made so far runs on tfjs' own memory (no copies). */
export function nativesOnBackendMemory(): boolean {
  return NATIVES.every((n) => n.onBackendMemory !== false);
}

/** Whether some native module made so far runs its relaxed SIMD build (fused multiply-adds where the CPU has FMA). */
export function nativesRelaxedSimd(): boolean {
  return NATIVES.some((n) => n.relaxedSimd === true);
}

/** A lazily instantiated native module, on tfjs' memory where it can be, else on its own. */
export class Native<T extends NativeModule> {
  private instance: Instantiated<T> | undefined;
  /** The backend whose memory the instance was made for (undefined: made without one). */
  private backend: BackendWasm | undefined;
  /** This module's place in NATIVES. */
  readonly index: number;

  /** Decoded relaxed builds that validate here (null: none, or it does not validate), by sharedness. */
  private readonly relaxedBytes = new Map<boolean, Uint8Array | null>();

  constructor(private readonly builds: NativeBuilds) {
    this.index = NATIVES.push(this as unknown as Native<NativeModule>) - 1;
  }

  /** The relaxed SIMD build for a shared or unshared memory, where there is one, it is wanted and the engine validates it. */
  private relaxedBuild(shared: boolean): Uint8Array | null {
    if (!nativeOptions.relaxedSimd) return null;
    if (!this.relaxedBytes.has(shared)) {
      const text = shared ? this.builds.RELAXED_WASM_BASE64 : this.builds.RELAXED_WASM_BASE64_UNSHARED;
      const bytes = text === undefined ? null : decodeBase64(text);
      this.relaxedBytes.set(shared, bytes && WebAssembly.validate(bytes as BufferSource) ? bytes : null);
    }
    return this.relaxedBytes.get(shared)!;
  }

  private instantiate(memory: WebAssembly.Memory): Instantiated<T> {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const relaxed = this.relaxedBuild(shared);
    const bytes = relaxed ?? decodeBase64(shared ? this.builds.WASM_BASE64 : this.builds.WASM_BASE64_UNSHARED);
    const module = new WebAssembly.Module(bytes as BufferSource);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T;
    return { module, memory, exports, shared, relaxed: relaxed !== null, onBackend: false };
  }

  private ownMemory(): Instantiated<T> {
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    } catch {
      memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
    }
    return this.instantiate(memory);
  }

  /**
   * The instance for `backend`: on its memory where that can be imported (the limits match: 4 GiB at
   * most, shared or not as the build), else on a memory of its own. A module made for another
   * backend (tests switch) is made again, and the helpers are told.
   */
  on(backend: BackendWasm, again = false): Instantiated<T> {
    if (this.instance && this.backend === backend && !again) return this.instance;
    const memory = nativeOptions.ownMemory ? undefined : backendMemory(backend);
    this.backend = backend;
    const sameBuild = this.instance !== undefined && this.instance.relaxed === (this.relaxedBuild(this.instance.shared) !== null);
    if (this.instance && sameBuild && (memory ? this.instance.memory === memory : !this.instance.onBackend)) return this.instance;
    let made: Instantiated<T> | undefined;
    if (memory) {
      try {
        made = { ...this.instantiate(memory), onBackend: true };
      } catch {
        // limits that do not match: a memory of its own
      }
    }
    const next = made ?? (this.instance && sameBuild && !this.instance.onBackend ? this.instance : this.ownMemory());
    if (this.instance && this.instance !== next) onRebind();
    this.instance = next;
    return this.instance;
  }

  /** On tfjs' own memory; undefined until made. */
  get onBackendMemory(): boolean | undefined {
    return this.instance?.onBackend;
  }

  /** The backend whose memory the instance was made for (undefined: none yet). */
  get boundBackend(): BackendWasm | undefined {
    return this.instance ? this.backend : undefined;
  }

  /** Running the relaxed SIMD build; undefined until made. */
  get relaxedSimd(): boolean | undefined {
    return this.instance?.relaxed;
  }

  private get instantiated(): Instantiated<T> {
    if (!this.instance) this.instance = this.ownMemory();
    return this.instance;
  }

  get exports(): T {
    return this.instantiated.exports;
  }

  /** The compiled module and its shared memory, for a helper thread; undefined when the memory is not shared. */
  sharing(): { module: WebAssembly.Module; memory: WebAssembly.Memory; functions: string[] } | undefined {
    const { module, memory, shared } = this.instantiated;
    if (!shared) return undefined;
    return { module, memory, functions: this.functions() };
  }

  /** The module's exported function names, in the order helper threads index them. */
  functions(): string[] {
    return WebAssembly.Module.exports(this.instantiated.module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name);
  }

  /** Starts one kernel call's buffers on `backend` (see Call). */
  call(backend: BackendWasm): Call {
    return new Call(backend, this.on(backend));
  }
}

/**
 * One kernel call's buffers, as byte offsets into the module's memory. On tfjs' memory: an input is
 * the tensor itself, an output a new tensor the kernel writes, scratch a tensor freed at the end. On
 * the module's own memory: inputs are copied in, outputs copied into new tensors by `finish`.
 * Kernels must write every element of their outputs (new tensors hold whatever was there).
 */
export class Call {
  private readonly outputs: { info: Info | undefined; offset: number; shape: number[] }[] = [];
  /**
   * The byte ranges the call's kernels read (inputs, updates) and write (outputs, scratch, updates), as
   * the kernel queue orders calls by them (pool.ts Access): pass the Call to parallel/serial.
   */
  readonly reads: number[] = [];
  readonly writes: number[] = [];
  private readonly scratches: Info[] = [];
  /** Own memory: the next free byte. */
  private top: number;

  constructor(
    private readonly backend: BackendWasm,
    private readonly instance: Instantiated<NativeModule>,
  ) {
    this.top = instance.onBackend ? 0 : (instance.exports.heap_base() + 15) & ~15;
  }

  private allocate(floats: number): number {
    const at = this.top;
    this.top += (floats * 4 + 15) & ~15;
    const missing = this.top - this.instance.memory.buffer.byteLength;
    if (missing > 0) this.instance.memory.grow(Math.ceil(missing / 65536));
    return at;
  }

  /** `t`'s byte offset on tfjs' heap. */
  private offsetOf(t: Info): number {
    return 4 * offsetOf(this.backend, t);
  }

  /** `t`'s floats as the kernel reads them. */
  input(t: Info): number {
    if (this.instance.onBackend) {
      const offset = this.offsetOf(t);
      this.reads.push(offset, offset + 4 * sizeOf(t.shape));
      return offset;
    }
    const at = this.allocate(sizeOf(t.shape));
    this.view(at, sizeOf(t.shape)).set(heap(this.backend, t));
    this.reads.push(at, at + 4 * sizeOf(t.shape));
    return at;
  }

  /** Where the kernel writes the next output of `shape` (returned by `finish`, in order). */
  output(shape: readonly number[]): number {
    if (this.instance.onBackend) {
      const info = this.backend.makeOutput([...shape], 'float32');
      const offset = this.offsetOf(info);
      this.outputs.push({ info, offset, shape: [...shape] });
      this.writes.push(offset, offset + 4 * sizeOf(shape));
      return offset;
    }
    const offset = this.allocate(sizeOf(shape));
    this.outputs.push({ info: undefined, offset, shape: [...shape] });
    this.writes.push(offset, offset + 4 * sizeOf(shape));
    return offset;
  }

  /**
   * An output written over input `t`'s own memory (an update in place: t's data changes, so only for a
   * tensor nothing else holds, e.g. backend refCount 1), returned by `finish` in output order as a tensor
   * sharing t's data (as a reshape does). On the module's own memory: t copied in, a new tensor out.
   */
  update(t: Info): number {
    if (!this.instance.onBackend) {
      const at = this.input(t);
      this.outputs.push({ info: undefined, offset: at, shape: [...t.shape] });
      this.writes.push(at, at + 4 * sizeOf(t.shape));
      return at;
    }
    const offset = this.offsetOf(t);
    this.reads.push(offset, offset + 4 * sizeOf(t.shape));
    this.writes.push(offset, offset + 4 * sizeOf(t.shape));
    this.backend.incRef(t.dataId);
    this.outputs.push({ info: { dataId: t.dataId, shape: [...t.shape], dtype: t.dtype }, offset, shape: [...t.shape] });
    return offset;
  }

  /** `floats` of working space for this call only. */
  scratch(floats: number): number {
    let at: number;
    if (this.instance.onBackend) {
      const info = this.backend.makeOutput([floats], 'float32');
      this.scratches.push(info);
      at = this.offsetOf(info);
    } else {
      at = this.allocate(floats);
    }
    this.writes.push(at, at + 4 * floats);
    return at;
  }

  /** A view of the module's memory (taken after the last allocation: growing detaches views). */
  view(offset: number, floats: number): Float32Array {
    return new Float32Array(this.instance.memory.buffer, offset, floats);
  }

  /** The outputs as tfjs tensors, in the order asked for; the scratch freed. */
  finish(): Info[] {
    for (const t of this.scratches) this.backend.disposeData(t.dataId);
    return this.outputs.map(({ info, offset, shape }) => {
      if (info) return info;
      const out = this.backend.makeOutput(shape, 'float32');
      heap(this.backend, out).set(this.view(offset, sizeOf(shape)));
      return out;
    });
  }
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
