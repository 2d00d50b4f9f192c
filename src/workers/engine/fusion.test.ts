/**
 * The engine fuses ops where the backend has fused kernels (WASM): BatchNorm + ReLU, BatchNorm + SiLU,
 * and a residual join (BatchNorm, the shortcut's addition, ReLU). Fusion must not change a value: whole
 * networks in training mode, fused against op by op on the same backend (opts.unfused runs each op
 * alone with the same kernels), give the same output, batch statistics and parameter gradients, bit
 * for bit. Covers identity and projection shortcuts, form (a)'s join after the branch sum, iResNet's
 * blocks (joins with no ReLU, pre-activation) and EfficientNet's SiLUs (the fused SiLU does the
 * standalone SiLU kernel's float operations). Squeeze-and-excitation's kernel runs in both (it changes
 * last bits: kernels/wasm/squeezeExcite.test.ts holds it to float64 and to the gates op by op).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ArchSpec, analyzeOrThrow, findPreset, isTrainable, paramInfos, parameterGraph } from '../../models';
import { BATCH_NORM_TRAINING, hasKernel } from '../kernels/batchNormOp';
import { switchBackend } from './backend';
import { execute } from './execute';
import { initParams, paramTensors } from './params';

const TIMEOUT_MS = 120_000;

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
  expect(hasKernel(BATCH_NORM_TRAINING)).toBe(true);
});

function spec(name: string, change: Partial<ArchSpec> = {}, resolution?: number): ArchSpec {
  const base = findPreset(name)!.spec;
  return { ...base, ...change, input: { ...base.input, resolution: resolution ?? base.input.resolution } } as ArchSpec;
}

/** Output, batch statistics and gradients of one training step's forward and backward, fused or not. */
async function step(s: ArchSpec, fused: boolean): Promise<Map<string, Float32Array>> {
  const a = analyzeOrThrow(s);
  const params = paramTensors(initParams(parameterGraph(a), 11), true);
  const trainable = paramInfos(parameterGraph(a)).filter(isTrainable);
  const variables = trainable.map((info) => params.get(info.key) as tf.Variable);
  const r = s.input.resolution;
  const x = tf.randomUniform([3, r, r, s.input.channels], -1, 1, 'float32', 5) as tf.Tensor4D;
  const stats = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  const out = new Map<string, Float32Array>();
  const { value, grads } = tf.variableGrads(() => {
    const y = execute(a.graph, x, { params, training: true, bnBatchStats: stats, ...(fused ? {} : { unfused: true }) });
    out.set('output', y.dataSync() as Float32Array);
    return tf.sum(tf.mul(y, tf.linspace(-1, 1, y.size).reshape(y.shape))) as tf.Scalar;
  }, variables);
  for (const [i, info] of trainable.entries()) out.set(`d ${info.key}`, (await grads[variables[i]!.name]!.data()) as Float32Array);
  for (const [name, st] of stats) {
    out.set(`mean ${name}`, (await st.mean.data()) as Float32Array);
    out.set(`variance ${name}`, (await st.variance.data()) as Float32Array);
  }
  tf.dispose([value, x, ...Object.values(grads), ...[...stats.values()].flatMap((st) => [st.mean, st.variance]), ...params.values()]);
  return out;
}

describe('fused kernels change no value (wasm, a training step, fused against op by op)', () => {
  it.each([
    ['classroom ResNeXt-29 8x4d (identity and projection shortcuts)', spec('classroom_resnext29_8x4d', {}, 8)],
    ['ResNet-18, basic blocks', spec('resnet18', {}, 32)],
    ["ResNeXt-50 in form (a) (the join after the branches' sum)", spec('resnext50_32x4d', { form: 'a', cardinality: 4 } as Partial<ArchSpec>, 32)],
    ['iResNet-50 (joins without a ReLU)', spec('iresnet50', {}, 32)],
    ['EfficientNet-B0 (BatchNorm + SiLU, squeeze-and-excitation)', spec('efficientnet_b0', {}, 32)],
  ])(
    '%s',
    async (_name, s) => {
      const before = tf.memory().numTensors;
      const [fused, apart] = [await step(s, true), await step(s, false)];
      expect([...fused.keys()].sort()).toEqual([...apart.keys()].sort());
      const differing: string[] = [];
      for (const [key, a] of fused) {
        const b = apart.get(key)!;
        if (a.length !== b.length || a.some((v, e) => v !== b[e] && !(Number.isNaN(v) && Number.isNaN(b[e]!)))) differing.push(key);
      }
      expect(differing).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    },
    TIMEOUT_MS,
  );
});
