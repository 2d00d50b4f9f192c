/**
 * `node --experimental-wasm-relaxed-simd --import tsx bench/filterGradient.bench.ts`: a dense 3x3 convolution's
 * filter gradient (Conv2DBackpropFilter, stride 1, 'same') on tfjs' 'wasm' backend in Node, one thread, by the
 * native direct kernel (kernels/wasm/groupedConv.ts with one group) and by im2col + the Aᵀ·B GEMM, alternating,
 * in GMAC/s. SHAPES='n,size,cin,cout;…' (default: the classroom ResNet twin's three stages at batch 32).
 * Without the flag Node 20 runs the kernels' plain SIMD builds. Not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { switchBackend } from '../src/workers/engine/backend';
import { NATIVE_FILTER_GRADIENT } from '../src/workers/kernels/wasm/gradients';
setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
await switchBackend('wasm');
const shapes = (process.env.SHAPES ?? '32,32,18,18;32,16,36,36;32,8,72,72').split(';').map((s) => s.split(',').map(Number));
for (const [n, hw, ci, co] of shapes) {
  const x = tf.randomNormal([n!, hw!, hw!, ci!]) as tf.Tensor4D;
  const dy = tf.randomNormal([n!, hw!, hw!, co!]) as tf.Tensor4D;
  const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], filterShape: [3, 3, ci!, co!] }) as tf.Tensor;
  const row: string[] = [];
  for (let r = 0; r < 3; r++)
    for (const on of [true, false]) {
      NATIVE_FILTER_GRADIENT.enabled = on;
      tf.dispose(run());
      let k = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 500) { const o = run(); o.dataSync(); o.dispose(); k++; }
      const ms = (performance.now() - t0) / k;
      row.push(`${on ? 'direct' : 'im2col'} ${(n! * hw! * hw! * 9 * ci! * co! / ms / 1e6).toFixed(1)}`);
    }
  console.log(`[${n},${hw},${hw},${ci}]->${co}: ${row.join(' ')} GMAC/s`);
}
