/**
 * Every preset in the registry, built by the engine (the tfjs graph interpreter) in training mode: the
 * output has the right shape, the loss is finite, and every trainable parameter gets a non-zero
 * gradient. A new preset is checked here without a new test (as timm's test_model_backward does for
 * its registry).
 *
 * Backend: WASM with the app's kernels, in Node. The plain CPU backend took 13 minutes for the
 * registry (wide_resnet50_2 alone 50 s against 2 s on WASM); WASM is also what trains in the browser,
 * so its custom gradient kernels are checked on every architecture as well.
 *
 * Small inputs keep it fast: each network runs at the smallest resolution its strides allow (a 1x1
 * map before the global pool: ImageNet models at 32 px, CIFAR ones at 4 px), on a batch of 3 so that
 * BatchNorm's batch statistics of a 1x1 map are not degenerate (with 2 values per channel the
 * normalised output is ±1 whatever the input, and the gradient through it vanishes).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ArchSpec, PRESETS, analyze, analyzeOrThrow, isTrainable, paramInfos, parameterGraph } from '../../models';
import { switchBackend } from './backend';
import { execute } from './execute';
import { initParams, paramTensors } from './params';

const BATCH = 3;
const TIMEOUT_MS = 180_000;

/** The spec at the smallest resolution it builds at (the validator refuses a stage of less than one pixel). */
function smallest(spec: ArchSpec): ArchSpec {
  for (let resolution = 1; resolution <= spec.input.resolution; resolution++) {
    const small = { ...spec, input: { ...spec.input, resolution } } as ArchSpec;
    if (analyze(small).ok) return small;
  }
  return spec;
}

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

describe('every registry preset trains in the engine', () => {
  it.each(PRESETS.map((p) => [p.name, p] as const))(
    '%s: output shape, finite loss, a gradient for every trainable parameter',
    async (_name, preset) => {
      const spec = smallest(preset.spec);
      const a = analyzeOrThrow(spec);
      const classes = spec.input.classes;
      const r = spec.input.resolution;
      const before = tf.memory().numTensors;
      const params = paramTensors(initParams(parameterGraph(a), 7), true);
      const trainable = paramInfos(parameterGraph(a)).filter(isTrainable);
      const variables = trainable.map((info) => params.get(info.key) as tf.Variable);
      expect(variables.every((v) => v instanceof tf.Variable)).toBe(true);
      const x = tf.randomUniform([BATCH, r, r, spec.input.channels], -1, 1, 'float32', 1) as tf.Tensor4D;
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1 % classes, 2 % classes], 'int32'), classes));
      let shape: number[] = [];
      try {
        const { value, grads } = tf.variableGrads(() => {
          const out = execute(a.graph, x, { params, training: true });
          shape = out.shape;
          return tf.losses.softmaxCrossEntropy(labels, tf.reshape(out, [BATCH, classes])) as tf.Scalar;
        }, variables);
        try {
          expect(a.graph.output).toMatchObject({ channels: classes, height: 1, width: 1 });
          expect(shape).toEqual([BATCH, classes]);
          expect(r).toBeLessThanOrEqual(32);
          const loss = (await value.data())[0]!;
          expect(Number.isFinite(loss)).toBe(true);
          const noGradient: string[] = [];
          for (const [i, info] of trainable.entries()) {
            const g = grads[variables[i]!.name];
            const values = g ? await g.data() : undefined;
            if (!values || !values.some((v) => v !== 0 && Number.isFinite(v)) || values.some((v) => !Number.isFinite(v))) noGradient.push(info.key);
          }
          expect(noGradient).toEqual([]);
        } finally {
          tf.dispose([value, ...Object.values(grads)]);
        }
      } finally {
        tf.dispose([x, labels, ...params.values()]);
      }
      expect(tf.memory().numTensors).toBe(before);
    },
    TIMEOUT_MS,
  );
});
