/**
 * The cases of bench/kernelPool.bench.ts, shared by its Node run and its Chromium run (the training
 * bench's worker, `npm run bench:train -- --kernels`): the app's native kernels on the classroom
 * ResNeXt-29's largest shapes, timed with the kernel helpers off and on, alternating.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../src/workers/engine/execute';
import { groupedConv2dWith } from '../src/workers/engine/groupedConv';
import { kernelThreads, settleKernels, stopKernelHelpers } from '../src/workers/kernels/wasm/pool';

export interface KernelPoolRow {
  kernel: string;
  /** Median ms per call, the caller alone and split over the helpers. */
  oneThreadMs: number;
  splitMs: number;
  speedUp: number;
}

interface Case {
  name: string;
  run(): tf.Tensor[];
}

function cases(): { cases: Case[]; dispose(): void } {
  const rand = (shape: number[]) => tf.randomUniform(shape, -1, 1, 'float32', 1);
  const x = rand([32, 32, 32, 128]);
  const f = rand([3, 3, 16, 128]);
  const dy = rand([32, 32, 32, 128]);
  const conv = (a: tf.Tensor, b: tf.Tensor) => groupedConv2dWith('wasm', a as tf.Tensor4D, b as tf.Tensor4D, 8, 1, 1);
  const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(conv(a, f), dy)));
  const dw = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(conv(x, b), dy)));
  const a = rand([32 * 32 * 32, 64]);
  const b = rand([32 * 32 * 32, 128]);
  const w = rand([64, 128]);
  const sa = rand([32, 16, 16, 64]);
  // The classroom ResNeXt's first stage: 32 channels in 8 groups of 4, 32x32.
  const x1 = rand([32, 32, 32, 32]);
  const f1 = rand([3, 3, 4, 32]);
  const g1 = rand([32]) as tf.Tensor1D;
  const b1 = rand([32]) as tf.Tensor1D;
  const xt = rand([32 * 32 * 32, 18]);
  const wt = rand([18, 64]);
  // EfficientNet-B0 at 32 px: its most frequent narrow products (1x1 spatial, batch 32; 2x2 spatial).
  const e32 = rand([32, 1152]);
  const ew = rand([1152, 192]);
  const edy = rand([32, 192]);
  const e128 = rand([128, 480]);
  const ew2 = rand([480, 80]);
  const gamma = rand([128]) as tf.Tensor1D;
  const beta = rand([128]) as tf.Tensor1D;
  const bnGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(t as tf.Tensor4D, gamma, beta), dy)));
  return {
    cases: [
      { name: 'grouped 3x3 forward [32,32,32,128] 8x16d', run: () => [conv(x, f)] },
      { name: 'grouped 3x3 forward [32,32,32,32] 8x4d', run: () => [groupedConv2dWith('wasm', x1 as tf.Tensor4D, f1 as tf.Tensor4D, 8, 1, 1)] },
      { name: 'grouped 3x3 input gradient (+ forward)', run: () => [dx(x)] },
      { name: 'grouped 3x3 filter gradient (+ forward)', run: () => [dw(f)] },
      { name: 'Aᵀ·B [32768,64]ᵀ·[32768,128]', run: () => [tf.matMul(a, b, true, false)] },
      { name: 'A·B [32768,64]·[64,128] (ResNeXt 1x1)', run: () => [tf.matMul(a, w)] },
      { name: 'A·B after an XNNPACK Add [32,16,16,64]', run: () => [tf.add(sa, sa), tf.matMul(a, w)] },
      { name: 'A·Bᵀ [32768,128]·[64,128]ᵀ', run: () => [tf.matMul(b, w, false, true)] },
      { name: 'A·B [32768,18]·[18,64] (twin 1x1)', run: () => [tf.matMul(xt, wt)] },
      { name: 'A·B [32,1152]·[1152,192] (EfficientNet)', run: () => [tf.matMul(e32, ew)] },
      { name: 'A·Bᵀ [32,192]·[1152,192]ᵀ (EfficientNet)', run: () => [tf.matMul(edy, ew, false, true)] },
      { name: 'Aᵀ·B [32,1152]ᵀ·[32,192] (EfficientNet)', run: () => [tf.matMul(e32, edy, true, false)] },
      { name: 'A·B [128,480]·[480,80] (EfficientNet)', run: () => [tf.matMul(e128, ew2)] },
      { name: 'BatchNorm forward [32,32,32,128]', run: () => [batchNormTraining(x as tf.Tensor4D, gamma, beta)] },
      { name: 'BatchNorm forward [32,32,32,32]', run: () => [batchNormTraining(x1 as tf.Tensor4D, g1, b1)] },
      { name: 'BatchNorm gradient (+ forward)', run: () => [bnGrad(x)] },
    ],
    dispose: () => tf.dispose([sa, x1, f1, g1, b1, x, f, dy, a, b, w, xt, wt, e32, ew, edy, e128, ew2, gamma, beta]),
  };
}

/**
 * ms per call, each call's queued native work run to its end (settleKernels), nothing read back: reading a whole output
 * (`data()`: a copy into a fresh array, 16 MB for the largest cases, page-faulted in on the caller's
 * thread) added serial work to every call and understated the split (the grouped forward 1.38x with it).
 */
async function time(c: Case, ms: number): Promise<number> {
  // Each call run to its end (pool.ts settleKernels: the app's calls may still be queued when the kernel returns).
  const once = () => {
    tf.dispose(c.run());
    settleKernels();
  };
  once();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) {
    once();
    n++;
  }
  return (performance.now() - t0) / n;
}

const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;

/** `rounds` alternating rounds of every case, helpers off then on (`start` starts them). */
export async function kernelPoolRows(rounds: number, msPerCase: number, start: () => void): Promise<KernelPoolRow[]> {
  const { cases: list, dispose } = cases();
  const one = new Map<string, number[]>();
  const split = new Map<string, number[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const helpers of [false, true]) {
        if (helpers) {
          start();
          const end = Date.now() + 10_000;
          while (kernelThreads() < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        }
        for (const c of list) {
          const into = helpers ? split : one;
          into.set(c.name, [...(into.get(c.name) ?? []), await time(c, msPerCase)]);
        }
        stopKernelHelpers();
      }
    }
  } finally {
    dispose();
  }
  return list.map((c) => {
    const [o, s] = [median(one.get(c.name)!), median(split.get(c.name)!)];
    return { kernel: c.name, oneThreadMs: Math.round(o * 100) / 100, splitMs: Math.round(s * 100) / 100, speedUp: Math.round((o / s) * 100) / 100 };
  });
}

export function printKernelPoolRows(rows: KernelPoolRow[], log: (line: string) => void): void {
  log('kernel'.padEnd(48) + 'one thread'.padStart(12) + 'split'.padStart(10) + 'speed-up'.padStart(10));
  for (const r of rows) log(r.kernel.padEnd(48) + r.oneThreadMs.toFixed(2).padStart(12) + r.splitMs.toFixed(2).padStart(10) + r.speedUp.toFixed(2).padStart(10));
}
