/**
 * (Over 400 lines: one data set loaded once for every trainer test, which share it.)
 *
 * The training engine on the real CIFAR-10 subset (932 images per file), WASM backend (with the
 * training kernels), as a browser without a GPU runs it. The test network is the classroom ResNet
 * reduced to three basic-block stages (16/32/64 channels, 78k params, 12.5 M MACs) so that the
 * file stays around a minute. Same seed and backend => same run, so the figures here are stable.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path, { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR_IMAGE_BYTES as CIFAR_RECORD, CIFAR_NORMALIZATION } from '../../data/format';
import { parseCifarFiles } from '../../data/cifar';
import { Mulberry32, type ResNetSpec, analyze, findPreset, paramInfos, paramShape, weightDecayApplies } from '../../models';
import { switchBackend } from '../engine/backend';
import { execute } from '../engine/execute';
import { fillBatch, makeBatch, planAugmentation } from './augment';
import { planMicroBatch } from './memory';
import { SgdMomentum } from './optimizer';
import { learningRateAt } from './schedule';
import { Trainer, trainerOptions } from './trainer';
import type { StepMetrics, TrainData } from './types';

const CIFAR10_NORMALIZATION = CIFAR_NORMALIZATION.cifar10;

const TIMEOUT_MS = 120_000;
const WASM_DIR = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CIFAR_DIR = resolve(repoRoot, '..', 'shared', 'data', 'cifar10-subset', 'cifar-10-batches-bin');

/** The subset's official binary files, read by the app's own reader. */
function readSubset(): { train: { images: Uint8Array; labels: Uint8Array }; test: { images: Uint8Array; labels: Uint8Array } } {
  const names = [...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin', 'batches.meta.txt'];
  return parseCifarFiles(names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(resolve(CIFAR_DIR, name))) })));
}

let data: TrainData;

const classroom = findPreset('classroom_resnet29_1x18d')!.spec as ResNetSpec;
/** The classroom ResNet with one basic block per stage: a small network that still learns in 40 steps. */
const SMALL: ResNetSpec = {
  ...classroom,
  name: 'classroom_resnet_small_basic',
  block: 'basic',
  expansion: 1,
  bottleneckWidth: 16,
  stem: { ...classroom.stem, width: 16 },
  stages: [16, 32, 64].map((planes, i) => ({ blocks: 1, planes, stride: i === 0 ? 1 : 2 })),
};
/** Smaller still, for the tests that check mechanics rather than learning. */
const TINY: ResNetSpec = { ...SMALL, name: 'tiny', bottleneckWidth: 4, stem: { ...SMALL.stem, width: 4 }, stages: [4, 8, 8].map((planes, i) => ({ blocks: 1, planes, stride: i === 0 ? 1 : 2 })) };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function maxAbs(t: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(t)));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.sub(a, b);
  const v = await maxAbs(d);
  d.dispose();
  return v;
}

beforeAll(async () => {
  setWasmPaths(WASM_DIR);
  expect(await switchBackend('wasm')).toBe(true);
  const { train, test } = readSubset();
  data = { trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels, dataset: 'cifar10' };
  expect(data.trainLabels.length).toBe(4660);
  expect(data.testLabels.length).toBe(932);
}, TIMEOUT_MS);

afterAll(() => {
  expect(tf.memory().numTensors).toBe(0);
});

describe('learning-rate schedules (golden values from PyTorch 1.13 schedulers, 100 steps, lr 0.1)', () => {
  it("'step' divides by 10 at 50% and 75% of the run (MultiStepLR milestones [50, 75])", () => {
    const lr = (s: number) => learningRateAt('step', 0.1, s, 100);
    expect([0, 49, 50, 74, 75, 99].map(lr)).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 ** 2, 0.1 * 0.1 ** 2]);
    expect(lr(50)).toBeCloseTo(0.01, 15);
    expect(lr(75)).toBeCloseTo(0.001, 15);
  });
  it("'cosine' follows CosineAnnealingLR(T_max = total)", () => {
    const golden: Record<number, number> = { 0: 0.1, 25: 0.0853553390593274, 50: 0.05, 99: 2.4671981713420017e-5 };
    for (const [s, v] of Object.entries(golden)) expect(learningRateAt('cosine', 0.1, Number(s), 100)).toBeCloseTo(v, 12);
  });
  it("'onecycle' follows OneCycleLR (pct_start 0.3, div 25, final div 1e4, cosine)", () => {
    const golden: Record<number, number> = { 0: 0.004, 10: 0.029516394846410082, 28: 0.09971862194340926, 29: 0.1, 30: 0.09994965352845243, 50: 0.0793893450575732, 98: 5.07464715475788e-5, 99: 4e-7 };
    for (const [s, v] of Object.entries(golden)) expect(learningRateAt('onecycle', 0.1, Number(s), 100)).toBeCloseTo(v, 12);
  });
});

describe('SGD with momentum, PyTorch semantics', () => {
  it('v = mu·v + g + wd·p, p -= lr·v; weight decay only where asked; lr changes apply outside the buffer', async () => {
    const inits = [tf.tensor1d([1, -2]), tf.tensor1d([1, 3])];
    const w = tf.variable(inits[0]!, true, 'sgdtest/w');
    const gamma = tf.variable(inits[1]!, true, 'sgdtest/gamma');
    const sgd = new SgdMomentum(
      [
        { key: 'w', variable: w, decay: true },
        { key: 'gamma', variable: gamma, decay: false },
      ],
      { momentum: 0.9, weightDecay: 0.5 },
    );
    const g1 = { [w.name]: tf.tensor1d([0.1, 0.2]), [gamma.name]: tf.tensor1d([0.1, 0.2]) };
    sgd.apply(g1, 0.1);
    // w: v = [0.1 + 0.5, 0.2 - 1] = [0.6, -0.8]; p = [1 - 0.06, -2 + 0.08]. gamma: v = g.
    expect(Array.from(await w.data())).toEqual([expect.closeTo(0.94, 6), expect.closeTo(-1.92, 6)]);
    expect(Array.from(await gamma.data())).toEqual([expect.closeTo(0.99, 6), expect.closeTo(2.98, 6)]);
    const g2 = { [w.name]: tf.tensor1d([0, 0]), [gamma.name]: tf.tensor1d([0, 0]) };
    sgd.apply(g2, 0.01);
    // w: v = 0.9·[0.6, -0.8] + 0.5·[0.94, -1.92] = [1.01, -1.68]; p -= 0.01·v.
    expect(Array.from(await w.data())).toEqual([expect.closeTo(0.94 - 0.0101, 6), expect.closeTo(-1.92 + 0.0168, 6)]);
    // gamma: v = 0.9·[0.1, 0.2], never decayed.
    expect(Array.from(await gamma.data())).toEqual([expect.closeTo(0.99 - 0.0009, 6), expect.closeTo(2.98 - 0.0018, 6)]);
    expect(Array.from(await sgd.buffers.get('gamma')!.data())).toEqual([expect.closeTo(0.09, 6), expect.closeTo(0.18, 6)]);
    tf.dispose([...inits, ...Object.values(g1), ...Object.values(g2), w, gamma]);
    sgd.dispose();
  });

  it('the trainer decays exactly the conv and FC weights (not BN gamma/beta, not biases)', () => {
    const a = analyze(findPreset('classroom_resnext29_8x4d')!.spec);
    if (!a.ok) throw new Error('preset does not analyze');
    const infos = paramInfos(a.graph);
    const decayed = infos.filter(weightDecayApplies).map((i) => i.key);
    expect(decayed).toContain('conv1.weight');
    expect(decayed).toContain('layer2.0.conv2.weight');
    expect(decayed).toContain('layer2.0.downsample.0.weight');
    expect(decayed).toContain('fc.weight');
    expect(decayed.every((k) => /(conv\d|downsample\.0|fc)\.weight$/.test(k))).toBe(true);
    const convAndFc = infos.filter((i) => paramShape(i, 'tfjs').length === 4 || (paramShape(i, 'tfjs').length === 2 && i.key.endsWith('.weight')));
    expect(decayed.length).toBe(convAndFc.length);
    expect(infos.filter((i) => /bn\d?\.|downsample\.1\./.test(i.key)).some(weightDecayApplies)).toBe(false);
    expect(infos.filter((i) => i.key === 'fc.bias').some(weightDecayApplies)).toBe(false);
  });
});

describe('the input pipeline (normalise, crop, flip in one pass)', () => {
  const batchOf = (indices: number[], plan?: ReturnType<typeof planAugmentation>) => makeBatch(data.trainImages, indices, indices.length, CIFAR10_NORMALIZATION, plan);

  it('normalises CHW records to NHWC: (v - mean[c]) / std[c]', async () => {
    const x = batchOf([0, 7]);
    expect(x.shape).toEqual([2, 32, 32, 3]);
    const v = await x.data();
    for (const [b, y, xx, c] of [
      [0, 0, 0, 0],
      [1, 31, 5, 2],
      [1, 12, 30, 1],
    ] as const) {
      const raw = data.trainImages[[0, 7][b]! * CIFAR_RECORD + c * 1024 + y * 32 + xx]!;
      expect(v[((b * 32 + y) * 32 + xx) * 3 + c]).toBeCloseTo((raw - CIFAR10_NORMALIZATION.mean[c]!) / CIFAR10_NORMALIZATION.std[c]!, 5);
    }
    x.dispose();
  });

  it('bit for bit the backend-op chain it replaced (transpose, subtract, multiply, pad, gather), with and without a plan', async () => {
    const n = 24;
    const indices = Array.from({ length: n }, (_, i) => 300 + 7 * i);
    const plan = planAugmentation(n, new Mulberry32(5));
    const reference = tf.tidy(() => {
      const chw = tf.tensor4d(Float32Array.from(indices.flatMap((i) => Array.from(data.trainImages.subarray(i * CIFAR_RECORD, (i + 1) * CIFAR_RECORD)))), [n, 3, 32, 32]);
      const { mean, std } = CIFAR10_NORMALIZATION;
      const x = tf.mul(tf.sub(tf.transpose(chw, [0, 2, 3, 1]), tf.tensor1d([...mean])), tf.tensor1d(std.map((s) => 1 / s))) as tf.Tensor4D;
      const pixels = new Int32Array(n * 32 * 32);
      for (let b = 0, k = 0; b < n; b++)
        for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++, k++) pixels[k] = (b * 40 + plan.offsetY[b]! + i) * 40 + plan.offsetX[b]! + (plan.flip[b] ? 31 - j : j);
      const padded = tf.reshape(tf.pad(x, [[0, 0], [4, 4], [4, 4], [0, 0]]), [n * 40 * 40, 3]);
      return [x, tf.reshape(tf.gather(padded, tf.tensor1d(pixels, 'int32')), [n, 32, 32, 3])];
    });
    const [plain, augmented] = [batchOf(indices), batchOf(indices, plan)];
    expect(Array.from(await plain.data())).toEqual(Array.from(await reference[0]!.data()));
    expect(Array.from(await augmented.data())).toEqual(Array.from(await reference[1]!.data()));
    tf.dispose([plain, augmented, ...reference]);
  });

  it('centre crop = identity; centre crop + flip = mirror; corner crop shifts and pads zeros', async () => {
    const x = batchOf([3, 4]);
    const plan = (oy: number, ox: number, flip: number) => ({ offsetY: Int32Array.of(oy, oy), offsetX: Int32Array.of(ox, ox), flip: Uint8Array.of(flip, flip) });
    const same = batchOf([3, 4], plan(4, 4, 0));
    const mirrored = batchOf([3, 4], plan(4, 4, 1));
    const reversed = tf.reverse(x, 2);
    const corner = batchOf([3, 4], plan(0, 8, 0));
    expect(same.shape).toEqual([2, 32, 32, 3]);
    expect(await maxAbsDiff(same, x)).toBe(0);
    expect(await maxAbsDiff(mirrored, reversed)).toBe(0);
    expect(await maxAbsDiff(mirrored, x)).toBeGreaterThan(0.5);
    // Offset (0, 8): rows shift down by 4 (4 zero rows on top), columns left by 4 (4 zero columns on the right).
    const inner = tf.slice(corner, [0, 4, 0, 0], [2, 28, 28, 3]);
    const source = tf.slice(x, [0, 0, 4, 0], [2, 28, 28, 3]);
    expect(await maxAbsDiff(inner, source)).toBe(0);
    const top = tf.slice(corner, [0, 0, 0, 0], [2, 4, 32, 3]);
    const right = tf.slice(corner, [0, 0, 28, 0], [2, 32, 4, 3]);
    expect(await maxAbs(top)).toBe(0);
    expect(await maxAbs(right)).toBe(0);
    tf.dispose([x, same, mirrored, reversed, corner, inner, source, top, right]);
  });

  it('random crops and flips of a 48-image batch equal a per-pixel reference in JavaScript', async () => {
    const n = 48;
    const indices = Array.from({ length: n }, (_, i) => 100 + i);
    const plan = planAugmentation(n, new Mulberry32(9));
    const x = batchOf(indices);
    const y = batchOf(indices, plan);
    const [xs, ys] = [await x.data(), await y.data()];
    let mismatches = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < 32; i++) {
        for (let j = 0; j < 32; j++) {
          const sy = plan.offsetY[b]! + i - 4;
          const sx = plan.offsetX[b]! + (plan.flip[b] ? 31 - j : j) - 4;
          for (let c = 0; c < 3; c++) {
            const want = sy < 0 || sy > 31 || sx < 0 || sx > 31 ? 0 : xs[((b * 32 + sy) * 32 + sx) * 3 + c]!;
            if (ys[((b * 32 + i) * 32 + j) * 3 + c] !== want) mismatches++;
          }
        }
      }
    }
    expect(mismatches).toBe(0);
    tf.dispose([x, y]);
  });

  it('a partial batch: the records, then zeros; a plan of the wrong size, an offset outside the padding and too few floats are refused', () => {
    const out = new Float32Array(3 * CIFAR_RECORD).fill(7);
    fillBatch(data.trainImages, [5], 3, out, CIFAR10_NORMALIZATION);
    expect(out.subarray(0, CIFAR_RECORD).some((v) => v !== 0 && v !== 7)).toBe(true);
    expect(out.subarray(CIFAR_RECORD).every((v) => v === 0)).toBe(true);
    expect(() => fillBatch(data.trainImages, [5], 3, out, CIFAR10_NORMALIZATION, planAugmentation(2, new Mulberry32(1)))).toThrow('augmentation plan for 2 images, batch of 3');
    const far = { offsetY: Int32Array.of(9), offsetX: Int32Array.of(0), flip: Uint8Array.of(0) };
    expect(() => fillBatch(data.trainImages, [5], 1, out, CIFAR10_NORMALIZATION, far)).toThrow('crop offset (9, 0) is outside the padding of 4');
    expect(() => fillBatch(data.trainImages, [5, 6], 2, new Float32Array(10), CIFAR10_NORMALIZATION)).toThrow('a batch of 2 needs 6144 floats, got 10');
  });

  it('random plans are seeded: same seed => same batch, another seed => another; they change most images', async () => {
    const indices = Array.from({ length: 32 }, (_, i) => i);
    const planA = planAugmentation(32, new Mulberry32(42));
    const planB = planAugmentation(32, new Mulberry32(42));
    const planC = planAugmentation(32, new Mulberry32(43));
    expect(planB).toEqual(planA);
    expect(planC).not.toEqual(planA);
    const [a, b, c, plain] = [batchOf(indices, planA), batchOf(indices, planB), batchOf(indices, planC), batchOf(indices)];
    expect(a.shape).toEqual([32, 32, 32, 3]);
    expect(await maxAbsDiff(a, b)).toBe(0);
    expect(await maxAbsDiff(a, c)).toBeGreaterThan(0);
    const unchanged = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.max(tf.abs(tf.sub(a, plain)), [1, 2, 3]), 0), 'int32')));
    const expectedUnchanged = Array.from(planA.flip).filter((f, i) => f === 0 && planA.offsetY[i] === 4 && planA.offsetX[i] === 4).length;
    expect((await unchanged.data())[0]).toBe(expectedUnchanged);
    expect(expectedUnchanged).toBeLessThan(4);
    tf.dispose([a, b, c, plain, unchanged]);
    // Offsets cover 0..8 and about half the images flip.
    const big = planAugmentation(4000, new Mulberry32(1));
    expect(Math.min(...big.offsetX)).toBe(0);
    expect(Math.max(...big.offsetY)).toBe(8);
    const flips = big.flip.reduce((n, f) => n + f, 0);
    expect(flips).toBeGreaterThan(1800);
    expect(flips).toBeLessThan(2200);
  });
});

describe('Trainer on the CIFAR-10 subset (wasm)', () => {
  it(
    'learns: loss falls and training-set accuracy beats chance; tensors flat; BN running stats move and evaluation uses them',
    async () => {
      const start = tf.memory().numTensors;
      const trainer = Trainer.create(SMALL, data, { batchSize: 32, steps: 40, learningRate: 0.1, schedule: 'cosine', seed: 1 });
      expect(trainer.stepsPerEpoch).toBe(145); // floor(4660 / 32): the partial batch is dropped
      expect(trainer.totalSteps).toBe(40);
      const initial = await trainer.checkpoint();
      const metrics: StepMetrics[] = [];
      const counts: number[] = [];
      const onStep = (m: StepMetrics) => {
        metrics.push(m);
        counts.push(tf.memory().numTensors);
      };
      expect(await trainer.runSteps(100, { onStep })).toBe(40); // never past the run
      expect(trainer.done).toBe(true);
      expect(new Set(counts).size).toBe(1); // flat across steps
      const first = mean(metrics.slice(0, 5).map((m) => m.loss));
      const last = mean(metrics.slice(-5).map((m) => m.loss));
      console.log(`small net, 40 steps of 32: loss ${first.toFixed(3)} -> ${last.toFixed(3)}, ${mean(metrics.map((m) => m.imagesPerSecond)).toFixed(0)} img/s`);
      expect(last).toBeLessThan(first - 0.1);
      expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(metrics[0]!.lr).toBe(0.1);
      expect(metrics.every((m) => m.imagesPerSecond > 0 && Number.isFinite(m.etaSeconds))).toBe(true);
      expect(metrics.at(-1)!.etaSeconds).toBe(0);

      const onTrain = await trainer.evaluate({ split: 'train', limit: 320 });
      console.log(`training-set accuracy (first 320 images, running statistics): ${onTrain.accuracy}`);
      // Chance is 0.10 (sd 0.017 over 320 images): 0.18 is > 4.5 sd above it.
      expect(onTrain.accuracy).toBeGreaterThan(0.18);
      expect(onTrain.images).toBe(320);
      expect(onTrain.confusion.flat().reduce((a, b) => a + b, 0)).toBe(320);
      const onTest = await trainer.evaluate();
      expect(onTest.images).toBe(932); // every test image, the last batch padded
      expect(onTest.perClassAccuracy).toHaveLength(10);
      expect(onTest.accuracy).toBeCloseTo(onTest.confusion.reduce((n, row, c) => n + row[c]!, 0) / 932, 12);

      // Running statistics moved away from their initial 0 / 1.
      const after = await trainer.checkpoint();
      const moved = (key: string) => Math.max(...after.params.get(key)!.values.map((v, i) => Math.abs(v - initial.params.get(key)!.values[i]!)));
      for (const key of ['bn1.running_mean', 'bn1.running_var', 'layer3.0.bn2.running_mean', 'layer3.0.bn2.running_var']) expect(moved(key), key).toBeGreaterThan(1e-3);

      // Evaluation uses them: predict() = execute in evaluation mode with the checkpoint's statistics,
      // and the same network with the initial statistics gives other outputs.
      const probs = await trainer.predict(data.testImages, 40);
      expect(probs).toHaveLength(400);
      const x = makeBatch(data.testImages, Array.from({ length: 40 }, (_, i) => i), 40, CIFAR10_NORMALIZATION);
      const params = new Map([...after.params].map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
      const ours = tf.tidy(() => tf.softmax(tf.reshape(execute(trainer.graph, x, { params, training: false }), [40, 10])));
      const predicted = tf.tensor2d(probs, [40, 10]);
      expect(await maxAbsDiff(ours, predicted)).toBeLessThan(1e-5);
      for (const [k, v] of initial.params) {
        if (!/running_(mean|var)$/.test(k)) continue;
        params.get(k)!.dispose();
        params.set(k, tf.tensor(v.values, v.shape));
      }
      const withInitialStats = tf.tidy(() => tf.softmax(tf.reshape(execute(trainer.graph, x, { params, training: false }), [40, 10])));
      expect(await maxAbsDiff(withInitialStats, ours)).toBeGreaterThan(1e-2);
      tf.dispose([x, ours, predicted, withInitialStats, ...params.values()]);

      trainer.dispose();
      expect(tf.memory().numTensors).toBe(start);
    },
    TIMEOUT_MS,
  );

  it(
    "fills the next step's batch ahead, at the end of a step: the same run as filling each at its step",
    async () => {
      const run = async (fillAhead: boolean) => {
        trainerOptions.fillAhead = fillAhead;
        try {
          const trainer = Trainer.create(TINY, data, { batchSize: 16, steps: 4, augment: true, seed: 3 });
          const ahead = () => (trainer as unknown as { nextBatch?: { key: string } }).nextBatch?.key.split(' ')[0];
          const keys: (string | undefined)[] = [];
          for (let i = 0; i < 4; i++) {
            await trainer.runSteps(1);
            keys.push(ahead());
          }
          const params = (await trainer.checkpoint()).params;
          trainer.dispose();
          return { keys, params };
        } finally {
          trainerOptions.fillAhead = true;
        }
      };
      const [ahead, atStep] = [await run(true), await run(false)];
      // Filled for the step after each (none after the last step), and taken by it.
      expect(ahead.keys).toEqual(['1', '2', '3', undefined]);
      expect(atStep.keys).toEqual([undefined, undefined, undefined, undefined]);
      for (const [k, v] of atStep.params) expect(Array.from(ahead.params.get(k)!.values), k).toEqual(Array.from(v.values));
    },
    TIMEOUT_MS,
  );

  it(
    'BatchNorm running statistics follow PyTorch: momentum 0.1, unbiased batch variance',
    async () => {
      const trainer = Trainer.create(TINY, data, { batchSize: 16, steps: 4, augment: false, seed: 5 });
      const before = await trainer.checkpoint();
      const indices = trainer.batchIndices(0);
      await trainer.runSteps(1);
      const after = await trainer.checkpoint();
      // The stem conv (3x3, pad 1) of the first batch, by hand from the initial weights.
      const w = before.params.get('conv1.weight')!;
      const x = makeBatch(data.trainImages, indices, 16, CIFAR10_NORMALIZATION);
      const filter = tf.tensor4d(w.values, w.shape as [number, number, number, number]);
      const { mean: m, variance: v } = tf.tidy(() => tf.moments(tf.conv2d(x, filter, 1, 'same'), [0, 1, 2]));
      const n = 16 * 32 * 32;
      const batchMean = await m!.data();
      const batchVar = await v!.data();
      const runningMean = after.params.get('bn1.running_mean')!.values;
      const runningVar = after.params.get('bn1.running_var')!.values;
      for (let c = 0; c < batchMean.length; c++) {
        expect(runningMean[c]).toBeCloseTo(0.9 * 0 + 0.1 * batchMean[c]!, 5);
        expect(runningVar[c]).toBeCloseTo(0.9 * 1 + (0.1 * batchVar[c]! * n) / (n - 1), 5);
      }
      tf.dispose([x, filter, m!, v!]);
      trainer.dispose();

      // Micro-batches of 4 pool their statistics into the whole batch's running estimates.
      const micro = Trainer.create(TINY, data, { batchSize: 16, microBatchSize: 4, steps: 4, augment: false, seed: 5 });
      const losses: number[] = [];
      await micro.runSteps(1, { onStep: (s) => losses.push(s.loss) });
      const pooled = await micro.checkpoint();
      micro.dispose();
      for (const key of ['bn1.running_mean', 'bn1.running_var']) {
        pooled.params.get(key)!.values.forEach((value, c) => expect(value, `${key}[${c}]`).toBeCloseTo(after.params.get(key)!.values[c]!, 5));
      }
      expect(losses[0]).toBeGreaterThan(1);
      expect(losses[0]).toBeLessThan(4);
    },
    TIMEOUT_MS,
  );

  it(
    'checkpoint -> new Trainer(resume) continues with the same next-step loss as the uninterrupted run',
    async () => {
      const start = tf.memory().numTensors;
      const settings = { batchSize: 16, epochs: 1, learningRate: 0.05, schedule: 'step' as const, seed: 11 };
      const a = Trainer.create(TINY, data, settings);
      await a.runSteps(3);
      a.setLearningRate(0.03);
      // A structured clone, as a worker would post it: the checkpoint is plain data.
      const saved = structuredClone(await a.checkpoint());
      expect(saved.step).toBe(3);
      expect(saved.settings.learningRate).toBe(0.03);
      expect(saved.rng).toEqual({ algorithm: 'mulberry32', seed: 11, step: 3 });
      const next: StepMetrics[] = [];
      await a.runSteps(2, { onStep: (m) => next.push(m) });
      a.dispose();

      const b = Trainer.create(TINY, data, {}, saved);
      expect(b.step).toBe(3);
      expect(b.learningRate).toBe(0.03);
      const resumed: StepMetrics[] = [];
      await b.runSteps(2, { onStep: (m) => resumed.push(m) });
      expect(resumed.map((m) => m.loss)).toEqual(next.map((m) => m.loss));
      expect(resumed.map((m) => m.accuracy)).toEqual(next.map((m) => m.accuracy));
      expect(resumed.map((m) => m.step)).toEqual([4, 5]);
      b.dispose();

      // Another seed is another run.
      const c = Trainer.create(TINY, data, { ...settings, seed: 12 });
      const other: number[] = [];
      await c.runSteps(5, { onStep: (m) => other.push(m.loss) });
      expect(other.slice(3)).not.toEqual(next.map((m) => m.loss));
      c.dispose();
      expect(tf.memory().numTensors).toBe(start);
    },
    TIMEOUT_MS,
  );

  it(
    'setLearningRate replaces the schedule base from the next step on; the schedule reaches its milestones',
    async () => {
      const trainer = Trainer.create(TINY, data, { batchSize: 16, steps: 8, learningRate: 0.1, schedule: 'step' });
      const lrs: number[] = [];
      const hooks = { onStep: (m: StepMetrics) => lrs.push(m.lr) };
      await trainer.runSteps(2, hooks);
      trainer.setLearningRate(0.02);
      await trainer.runSteps(6, hooks);
      // Milestones at floor(0.5·8) = 4 and floor(0.75·8) = 6.
      expect(lrs).toEqual([0.1, 0.1, 0.02, 0.02, 0.002, 0.002, 0.02 * 0.1 ** 2, 0.02 * 0.1 ** 2]);
      expect(() => trainer.setLearningRate(-1)).toThrow(/positive/);
      trainer.dispose();
    },
    TIMEOUT_MS,
  );

  it(
    'stop means stop: an abort ends runSteps between steps and evaluate with an AbortError, leaking nothing',
    async () => {
      const start = tf.memory().numTensors;
      const trainer = Trainer.create(TINY, data, { batchSize: 16, epochs: 1 });
      const controller = new AbortController();
      const done = await trainer.runSteps(50, {
        signal: controller.signal,
        onStep: (m) => {
          if (m.step === 2) controller.abort();
        },
      });
      expect(done).toBe(2);
      expect(trainer.step).toBe(2);
      await expect(trainer.evaluate({ signal: controller.signal })).rejects.toThrow(/Stopped/);
      await expect(trainer.runSteps(1)).resolves.toBe(1); // still usable
      const running = trainer.runSteps(5);
      await expect(trainer.runSteps(1)).rejects.toThrow(/already running/);
      trainer.dispose(); // while a step is in flight
      await running;
      expect(tf.memory().numTensors).toBe(start);
      await expect(trainer.runSteps(1)).rejects.toThrow(/disposed/);
    },
    TIMEOUT_MS,
  );

  it(
    'forms (a) and (c) of a ResNeXt train alike (branches read slices of one set of parameters)',
    async () => {
      const resnext: ResNetSpec = { ...TINY, name: 'tiny_resnext', block: 'bottleneck', expansion: 4, cardinality: 2, bottleneckWidth: 2, stages: [4, 8, 8].map((planes, i) => ({ blocks: 1, planes, stride: i === 0 ? 1 : 2 })) };
      const run = async (form: 'a' | 'c') => {
        const t = Trainer.create({ ...resnext, form }, data, { batchSize: 16, steps: 3, seed: 3 });
        const losses: number[] = [];
        await t.runSteps(3, { onStep: (m) => losses.push(m.loss) });
        const c = await t.checkpoint();
        t.dispose();
        return { losses, c };
      };
      const a = await run('a');
      const c = await run('c');
      expect([...a.c.params.keys()]).toEqual([...c.c.params.keys()]);
      a.losses.forEach((l, i) => expect(l).toBeCloseTo(c.losses[i]!, 4));
      const grouped = 'layer1.0.bn2.running_var'; // a BatchNorm inside the branches of form (a)
      a.c.params.get(grouped)!.values.forEach((v, i) => expect(v).toBeCloseTo(c.c.params.get(grouped)!.values[i]!, 4));
    },
    TIMEOUT_MS,
  );

  it('rejects what it cannot train, with the reason', () => {
    expect(() => Trainer.create({ ...TINY, input: { ...TINY.input, resolution: 64 } }, data)).toThrow(/32x32/);
    expect(() => Trainer.create({ ...TINY, input: { ...TINY.input, classes: 100 } }, data)).toThrow(/100 outputs but the data has 10 classes/);
    expect(() => Trainer.create(TINY, data, { batchSize: 1 })).toThrow(/batchSize/);
    expect(() => Trainer.create(TINY, data, { batchSize: 16, microBatchSize: 5 })).toThrow(/microBatchSize must divide/);
    expect(() => Trainer.create(TINY, { ...data, trainLabels: data.trainLabels.subarray(1) })).toThrow(/labels/);
    expect(() => Trainer.create({ ...TINY, cardinality: 0 }, data)).toThrow();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('a CIFAR-100 run normalises its inputs with CIFAR-100\'s statistics, not CIFAR-10\'s', async () => {
    const spec = { ...TINY, input: { ...TINY.input, classes: 100 } };
    const t = Trainer.create(spec, { ...data, dataset: 'cifar100' }, { batchSize: 8, steps: 1, evalBatchSize: 8 });
    try {
      expect(t.normalization).toEqual(CIFAR_NORMALIZATION.cifar100);
      const n = 8;
      const indices = Array.from({ length: n }, (_, i) => i);
      const probsWith = (stats: (typeof CIFAR_NORMALIZATION)['cifar100']) =>
        tf.tidy(() => {
          const x = makeBatch(data.testImages, indices, n, stats);
          return tf.softmax(tf.reshape(execute(t.graph, x, { params: t.params, training: false }), [n, 100]));
        });
      const predicted = await t.predict(data.testImages, n);
      const [right, wrong] = [probsWith(CIFAR_NORMALIZATION.cifar100), probsWith(CIFAR_NORMALIZATION.cifar10)];
      const maxDiff = async (p: tf.Tensor) => Math.max(...Array.from(await p.data(), (v, i) => Math.abs(v - predicted[i]!)));
      expect(await maxDiff(right)).toBeLessThan(1e-6);
      expect(await maxDiff(wrong)).toBeGreaterThan(1e-4);
      tf.dispose([right, wrong]);
    } finally {
      t.dispose();
    }
    expect(tf.memory().numTensors).toBe(0);
  });

  it(
    "measures a training image's memory without changing anything; a batch over the budget runs as micro-batches",
    async () => {
      const spec = findPreset('classroom_resnext29_8x4d')!.spec;
      const a = analyze(spec);
      if (!a.ok) throw new Error('does not analyze');
      const t = Trainer.create(spec, data, { batchSize: 8, steps: 1 });
      const before = await t.checkpoint();
      const tensors = tf.memory().numTensors;
      const perImage = await t.measureBytesPerImage();
      expect(tf.memory().numTensors).toBe(tensors);
      // tfjs keeps at least every activation of the forward pass (float32), and not absurdly more.
      const activations = a.stats.totals.activations * 4;
      expect(perImage).toBeGreaterThan(activations);
      expect(perImage).toBeLessThan(20 * activations);
      const after = await t.checkpoint();
      for (const [key, v] of before.params) expect(after.params.get(key)!.values, key).toEqual(v.values);

      // A budget of 5 images' worth: batch 8 runs as 2 micro-batches of 4, and trains.
      const micro = planMicroBatch(8, perImage, 5 * perImage);
      expect(micro).toBe(4);
      t.setMicroBatchSize(micro);
      expect(t.settings.microBatchSize).toBe(4);
      expect(await t.runSteps(1)).toBe(1);
      t.dispose();
    },
    TIMEOUT_MS,
  );
});

describe('planMicroBatch', () => {
  const MB = 2 ** 20;
  it('keeps the batch when it fits, else the largest divisor that fits, else says why', () => {
    expect(planMicroBatch(64, 10 * MB, 1024 * MB)).toBeUndefined();
    expect(planMicroBatch(64, 89 * MB, 3072 * MB)).toBe(32);
    expect(planMicroBatch(128, 89 * MB, 3072 * MB)).toBe(32);
    expect(planMicroBatch(96, 89 * MB, 3072 * MB)).toBe(32);
    expect(planMicroBatch(30, 100 * MB, 1000 * MB)).toBe(10);
    expect(() => planMicroBatch(64, 2000 * MB, 3072 * MB)).toThrow(/about 2000 MiB per training image .* even 2 images exceed the ~3072 MiB/);
    expect(() => planMicroBatch(31, 200 * MB, 3072 * MB)).toThrow(/no micro-batch of batch 31 fits .* or use an even batch size/);
  });
});
