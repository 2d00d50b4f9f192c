/**
 * `npx tsx bench/gates.bench.ts`: a training step's forward and backward (tf.variableGrads of execute, no
 * optimizer) of EfficientNet-B0 at 32 px, batch BENCH_BATCH (default 32), on tfjs' WASM backend in Node
 * (one thread), with its 16 squeeze-and-excitation gates by the app's kernel (kernels/wasm/squeezeExcite.ts)
 * against the gates op by op (ExecOptions.gatesOpByOp), alternating in one process, BENCH_ROUNDS (default 8)
 * rounds of 4 steps each. Prints ms a step per round, the medians and tfjs kernel calls a step. Not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeOrThrow, isTrainable, paramInfos, parameterGraph } from '../src/models';
import { switchBackend } from '../src/workers/engine/backend';
import { execute } from '../src/workers/engine/execute';
import { initParams, paramTensors } from '../src/workers/engine/params';
import { presetSpec } from './train/presetVariants';
setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
await switchBackend('wasm');
const a = analyzeOrThrow(presetSpec('efficientnet_b0@cifar'));
const params = paramTensors(initParams(parameterGraph(a), 11), true);
const variables = paramInfos(parameterGraph(a)).filter(isTrainable).map((info) => params.get(info.key) as tf.Variable);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const x = tf.randomUniform([BATCH, 32, 32, 3], -1, 1) as tf.Tensor4D;
const step = (gatesOpByOp: boolean) => {
  const { value, grads } = tf.variableGrads(() => tf.sum(execute(a.graph, x, { params, training: true, gatesOpByOp })) as tf.Scalar, variables);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
step(false);
step(true);
/** tfjs kernel calls a step (counted at once: tfjs reuses one profile record). */
const calls: number[] = [];
for (const opByOp of [false, true]) calls.push((await tf.profile(() => step(opByOp))).kernels.length);
const ms: number[][] = [[], []];
for (let r = 0; r < ROUNDS; r++) for (const k of [0, 1]) { const t0 = performance.now(); for (let i = 0; i < 4; i++) step(k === 1); ms[k]!.push((performance.now() - t0) / 4); }
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
console.log(`EfficientNet-B0 @32 px, batch ${BATCH}, forward + backward, ms a step (Node, one thread):`);
console.log(`gates by the kernel: ${ms[0]!.map((v) => v.toFixed(1)).join(' ')}, median ${med(ms[0]!).toFixed(1)}, ${calls[0]} kernel calls`);
console.log(`gates op by op:      ${ms[1]!.map((v) => v.toFixed(1)).join(' ')}, median ${med(ms[1]!).toFixed(1)}, ${calls[1]} kernel calls`);
console.log(`op by op / kernel, round by round: ${ms[0]!.map((v, i) => (ms[1]![i]! / v).toFixed(2)).join(' ')}`);
