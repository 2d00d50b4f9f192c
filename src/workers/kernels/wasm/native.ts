/**
 * The app's native WASM kernels (native/*.c, built by `npm run build:kernels` into base64 modules):
 * instantiated synchronously on first use (each a few KB: allowed in workers and Node), each with its
 * own linear memory. A kernel copies its tfjs inputs in, runs, and copies its result into a new tfjs
 * tensor: copies are O(elements), the kernels O(elements x reduction length).
 *
 * The memory is shared (a SharedArrayBuffer) where the platform allows it, so that helper threads
 * can run ranges of the same kernel on it (pool.ts); otherwise the module's unshared build runs
 * alone. Both builds compute the same values.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Info, heap } from './plumbing';

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

interface Instantiated<T> {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: T;
  shared: boolean;
}

/** Every native module, in the order made: helper threads instantiate the same list (pool.ts). */
export const NATIVES: Native<NativeModule>[] = [];

/** A lazily instantiated native module with helpers to move float32 tensors in and out of its memory. */
export class Native<T extends NativeModule> {
  private instance: Instantiated<T> | undefined;
  /** This module's place in NATIVES. */
  readonly index: number;

  constructor(
    private readonly sharedBase64: string,
    private readonly unsharedBase64: string,
  ) {
    this.index = NATIVES.push(this as unknown as Native<NativeModule>) - 1;
  }

  private get instantiated(): Instantiated<T> {
    if (this.instance) return this.instance;
    let memory: WebAssembly.Memory;
    let shared = true;
    try {
      memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    } catch {
      shared = false;
      memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES });
    }
    const module = new WebAssembly.Module(decodeBase64(shared ? this.sharedBase64 : this.unsharedBase64) as BufferSource);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T;
    this.instance = { module, memory, exports, shared };
    return this.instance;
  }

  get exports(): T {
    return this.instantiated.exports;
  }

  get memory(): WebAssembly.Memory {
    return this.instantiated.memory;
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

  /** Byte offsets for buffers of `floats` float32 each, after the module's heap base (grows its memory). */
  layout(...floats: number[]): number[] {
    const m = this.exports;
    const offsets: number[] = [];
    let at = (m.heap_base() + 15) & ~15;
    for (const n of floats) {
      offsets.push(at);
      at += (n * 4 + 15) & ~15;
    }
    const missing = at - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    return offsets;
  }

  f32(offset: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, floats);
  }

  /** Copies `t` (a tfjs tensor on the wasm heap) to `offset`. */
  copyIn(backend: BackendWasm, t: Info, offset: number): void {
    this.f32(offset, sizeOf(t.shape)).set(heap(backend, t));
  }

  /** A new tfjs tensor of `shape` holding the floats at `offset`. */
  copyOut(backend: BackendWasm, shape: number[], offset: number): Info {
    const out = backend.makeOutput(shape, 'float32');
    heap(backend, out).set(this.f32(offset, sizeOf(shape)));
    return out;
  }
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
