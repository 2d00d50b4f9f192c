/**
 * The app's native WASM kernels (native/*.c, built by `npm run build:kernels` into base64 modules):
 * instantiated synchronously on first use (each a few KB: allowed in workers and Node), each with its
 * own linear memory. A kernel copies its tfjs inputs in, runs, and copies its result into a new tfjs
 * tensor: copies are O(elements), the kernels O(elements x reduction length).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Info, heap } from './plumbing';

export interface NativeModule {
  memory: WebAssembly.Memory;
  heap_base(): number;
}

function decodeBase64(text: string): Uint8Array {
  if (typeof atob === 'function') return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Uint8Array((globalThis as unknown as { Buffer: { from(s: string, e: string): Uint8Array } }).Buffer.from(text, 'base64'));
}

/** A lazily instantiated native module with helpers to move float32 tensors in and out of its memory. */
export class Native<T extends NativeModule> {
  private instance: T | undefined;
  constructor(private readonly base64: string) {}

  get exports(): T {
    this.instance ??= new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(this.base64) as BufferSource)).exports as unknown as T;
    return this.instance;
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
    const missing = at - m.memory.buffer.byteLength;
    if (missing > 0) m.memory.grow(Math.ceil(missing / 65536));
    return offsets;
  }

  f32(offset: number, floats: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, offset, floats);
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
