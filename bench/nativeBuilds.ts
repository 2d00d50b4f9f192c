/**
 * The app's native kernels (src/workers/kernels/wasm/native/*.c) as builds to time against each other in
 * the kernel benches (bench/groupedConvKernels.bench.ts, bench/batchNormKernels.bench.ts): the working
 * tree's unshared build and the one committed at a git revision, each in a memory of its own.
 */
import { execFileSync } from 'node:child_process';

export type Exports = Record<string, (...args: number[]) => number>;
export interface Build {
  memory: WebAssembly.Memory;
  exports: Exports;
}

export function instantiate(base64: string): Build {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
  return { memory, exports: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports };
}

/** A file of the repository as committed at `revision`. */
export function committedSource(revision: string, path: string): string {
  return execFileSync('git', ['show', `${revision}:${path}`], { encoding: 'utf8' });
}

/** The unshared build of native/<name>.c as committed at `revision`. */
export function committedModule(name: string, revision: string): string {
  const text = committedSource(revision, `src/workers/kernels/wasm/native/${name}.wasm.ts`);
  const match = /WASM_BASE64_UNSHARED =\s*'([^']+)'/.exec(text);
  if (!match) throw new Error(`no unshared build in ${name}.wasm.ts at ${revision}`);
  return match[1]!;
}

/** A bump allocator over a build's memory from its heap base (16-byte aligned), growing the memory as needed. */
export function allocator(b: Build): (floats: number) => number {
  let top = (b.exports.heap_base!() + 15) & ~15;
  return (n: number) => {
    const p = top;
    top += (n * 4 + 15) & ~15;
    if (top > b.memory.buffer.byteLength) b.memory.grow(Math.ceil((top - b.memory.buffer.byteLength) / 65536));
    return p;
  };
}

/** Pseudo-random floats in [-1, 1) (the same sequence for every build). */
export function randomFloats(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
}

/**
 * Best-of-`reps` ms per kernel for each build's setup of one case, the builds and kernels alternating
 * (a shared machine's noise is one-sided), and the largest |difference| between the first two builds'
 * outputs, output by output.
 */
export function timeAlternating<K extends string>(
  setups: Array<{ run: Record<K, () => void>; outputs: () => Float32Array[] }>,
  kernels: readonly K[],
  reps: number,
): { best: number[][]; diff: number[] } {
  const best = setups.map(() => kernels.map(() => Infinity));
  for (let rep = 0; rep < reps; rep++)
    setups.forEach((one, i) =>
      kernels.forEach((k, j) => {
        const t = performance.now();
        one.run[k]();
        best[i]![j] = Math.min(best[i]![j]!, performance.now() - t);
      }),
    );
  const [a, b] = [setups[0]!.outputs(), setups[1]!.outputs()];
  const diff = a.map((o, i) => o.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i]![j]!)), 0));
  return { best, diff };
}
