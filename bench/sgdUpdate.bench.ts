/**
 * `npx tsx bench/sgdUpdate.bench.ts`: the fused SGD-with-momentum update (kernels/wasm/batchNorm.ts) on
 * tfjs' WASM backend in Node, one thread, over 5.6M parameters in 212 tensors (EfficientNet-B0-like: a
 * few large, many small), best of 15 rounds of one update each. Not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { switchBackend } from '../src/workers/engine/backend';
import { SGD_MOMENTUM_UPDATE } from '../src/workers/kernels/batchNormOp';
setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
if (!(await switchBackend('wasm'))) throw new Error('no wasm');
// EfficientNet-B0's 4.0M parameters as 1 large and many small tensors: one update of all of them.
const sizes = [1280 * 320, 1152 * 320, ...Array.from({ length: 20 }, () => 1152 * 192), ...Array.from({ length: 190 }, () => 2000)];
const ps = sizes.map((n) => tf.randomUniform([n]));
const vs = sizes.map((n) => tf.randomUniform([n]));
const gs = sizes.map((n) => tf.randomUniform([n]));
const attrs = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, decay: 1, nesterov: 0 };
let best = Infinity;
for (let r = 0; r < 15; r++) {
  const t = performance.now();
  const outs = sizes.map((_, i) => tf.engine().runKernel(SGD_MOMENTUM_UPDATE, { p: ps[i]!, v: vs[i]!, grad: gs[i]! }, attrs) as tf.Tensor[]);
  best = Math.min(best, performance.now() - t);
  tf.dispose(outs.flat());
}
console.log(`${sizes.reduce((a, b) => a + b, 0)} parameters in ${sizes.length} tensors: best ${best.toFixed(2)} ms`);
