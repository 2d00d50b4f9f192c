/**
 * The fast recipe's tricks, each against a reference: the triangular schedule and Nesterov SGD
 * against PyTorch 1.13 (golden values printed by Debian's python3-torch, the script is in
 * docs/training.md#checking-the-tricks-against-pytorch), label smoothing against its formula, the
 * weight average against its recurrence, zero-init against torchvision's zero_init_residual, flip
 * TTA against the mean of two forward passes; and the pure parts of live evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, type ResNetSpec, analyzeOrThrow, findPreset, paramInfos, parameterGraph } from '../../models';
import { switchBackend } from '../engine/backend';
import { execute } from '../engine/execute';
import { initParams, paramTensors } from '../engine/params';
import { WeightAverage, emaDecayAt } from './ema';
import { evalLogits } from './evaluation';
import { residualBranchEndGammas, trainingInit } from './init';
import { budgetTotalSteps, evaluationGap, heldOutIndices, topK } from './liveEval';
import { SgdMomentum } from './optimizer';
import { TRIANGULAR, learningRateAt } from './schedule';
import { DEFAULT_TRAIN_SETTINGS, RECIPES, RECIPE_KEYS, SETTING_FIELDS, applyRecipe, recipeModified, resolveSettings } from './settings';

beforeAll(async () => {
  expect(await switchBackend('cpu')).toBe(true);
});

describe('triangular schedule (OneCycleLR, anneal linear, pct_start 0.2, div 10, final div 1e4; PyTorch 1.13, 100 steps, lr 0.1)', () => {
  it('warms up linearly from base / 10 to the peak at step 19, then decays linearly to ~0', () => {
    const golden: Record<number, number> = { 0: 0.01, 5: 0.03368421052631579, 18: 0.09526315789473684, 19: 0.1, 20: 0.09875001250000001, 50: 0.0612503875, 98: 0.0012509874999999948, 99: 1.000000000001e-6 };
    for (const [s, v] of Object.entries(golden)) expect(learningRateAt('triangular', 0.1, Number(s), 100, 0.2), `step ${s}`).toBeCloseTo(v, 12);
    expect(TRIANGULAR).toEqual({ divFactor: 10, finalDivFactor: 1e4 });
  });
  it('is sized to the run: the same fraction of any length reaches the peak', () => {
    expect(learningRateAt('triangular', 0.4, 199, 1000, 0.2)).toBeCloseTo(0.4, 12);
    expect(learningRateAt('triangular', 0.4, 99, 1000, 0.1)).toBeCloseTo(0.4, 12);
    // A run of unknown length (a time budget before it is sized) stays at the start.
    expect(learningRateAt('triangular', 0.4, 3, Number.MAX_SAFE_INTEGER, 0.2)).toBeCloseTo(0.04, 9);
  });
});

describe('Nesterov SGD as torch.optim.SGD(nesterov=True)', () => {
  it('three steps with changing lr and weight decay on one parameter match PyTorch and the hand-computed first step', () => {
    const w = tf.variable(tf.tensor1d([1, -2]), true, 'nesterov/w');
    const b = tf.variable(tf.tensor1d([0.5]), true, 'nesterov/b');
    const sgd = new SgdMomentum(
      [
        { key: 'w', variable: w, decay: true },
        { key: 'b', variable: b, decay: false },
      ],
      { momentum: 0.9, weightDecay: 0.1, nesterov: true },
    );
    const grads: [number[], number[]][] = [
      [[0.3, -0.1], [0.2]],
      [[-0.4, 0.25], [-0.1]],
      [[0.05, 0.5], [0.3]],
    ];
    // PyTorch 1.13 (float64) after each step.
    const torch = [
      [[0.924, -1.943], [0.462]],
      [[0.937022, -1.9361415], [0.4634]],
      [[0.9307124364, -1.9443125023], [0.450704]],
    ];
    // By hand, step 1: g = 0.3 + 0.1·1 = 0.4, v = 0.4, p = 1 - 0.1·(g + 0.9·v) = 0.924.
    expect(1 - 0.1 * (0.4 + 0.9 * 0.4)).toBeCloseTo(0.924, 15);
    [0.1, 0.05, 0.02].forEach((lr, i) => {
      const g = { [w.name]: tf.tensor1d(grads[i]![0]), [b.name]: tf.tensor1d(grads[i]![1]) };
      sgd.apply(g, lr);
      tf.dispose(Object.values(g));
      const [tw, tb] = torch[i]!;
      Array.from(w.dataSync()).forEach((v, j) => expect(v, `step ${i + 1} w[${j}]`).toBeCloseTo(tw![j]!, 5));
      expect(b.dataSync()[0], `step ${i + 1} b`).toBeCloseTo(tb![0]!, 5);
    });
    // Plain momentum would differ by far more than the tolerance: p = 1 - 0.1·0.4 = 0.96 after step 1.
    expect(Math.abs(0.96 - 0.924)).toBeGreaterThan(1e-3);
    sgd.dispose();
    tf.dispose([w, b]);
  });
});

describe('label smoothing', () => {
  it("tfjs' smoothed cross-entropy is (1 - ε)·CE + ε·mean_k(-log p_k), PyTorch's CrossEntropyLoss(label_smoothing)", () => {
    const logits = [
      [2, -1, 0.5],
      [0.1, 0.2, 0.3],
    ];
    const labels = [0, 2];
    const eps = 0.2;
    const formula =
      logits
        .map((row, i) => {
          const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
          const nll = lse - row[labels[i]!]!;
          const uniform = row.reduce((a, v) => a + (lse - v), 0) / row.length;
          return (1 - eps) * nll + eps * uniform;
        })
        .reduce((a, b) => a + b) / logits.length;
    const loss = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), tf.tensor2d(logits), undefined, eps).dataSync()[0]!);
    expect(loss).toBeCloseTo(formula, 6);
    expect(loss).toBeCloseTo(0.7816270724432006, 6); // PyTorch 1.13
    const plain = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), tf.tensor2d(logits)).dataSync()[0]!);
    expect(Math.abs(plain - formula)).toBeGreaterThan(0.05);
  });
});

describe('weight averaging', () => {
  it('average = d·average + (1 - d)·w with d = min(decay, (1 + t) / (10 + t)); starts at the weights', () => {
    expect([0, 1, 10, 90, 1000].map((t) => emaDecayAt(0.99, t))).toEqual([0.1, 2 / 11, 11 / 20, 0.91, 0.99]);
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'ema/w');
    const source = new Map([['w', w]]);
    const average = new WeightAverage(source, 0.99);
    let expected = [1, 2];
    for (let t = 0; t < 4; t++) {
      w.assign(tf.tensor1d([t + 3, -t]));
      average.update(source, t);
      const d = emaDecayAt(0.99, t);
      expected = expected.map((e, j) => d * e + (1 - d) * [t + 3, -t][j]!);
      Array.from(average.values.get('w')!.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 6));
    }
    average.dispose();
    w.dispose();
  });
});

describe('zero-init of the residual branches', () => {
  const gammasOf = (name: string) => residualBranchEndGammas(parameterGraph(analyzeOrThrow(findPreset(name)!.spec)));
  it("is torchvision's zero_init_residual: bn3 of every bottleneck, bn2 of every basic block", () => {
    expect(gammasOf('resnet18')).toEqual(['layer1.0.bn2.weight', 'layer1.1.bn2.weight', 'layer2.0.bn2.weight', 'layer2.1.bn2.weight', 'layer3.0.bn2.weight', 'layer3.1.bn2.weight', 'layer4.0.bn2.weight', 'layer4.1.bn2.weight']);
    const resnext = gammasOf('classroom_resnext29_8x4d');
    expect(resnext).toHaveLength(9);
    expect(resnext.every((k) => /^layer\d\.\d\.bn3\.weight$/.test(k))).toBe(true);
  });
  it("EfficientNet: the projection BN of each residual MBConv; iResNet: the start blocks' bn3 (its middle blocks' branches end in a conv)", () => {
    const eff = gammasOf('efficientnet_b0');
    expect(eff.length).toBeGreaterThan(0);
    expect(eff.every((k) => /^features\.\d\.[1-9]\.block\.3\.1\.weight$/.test(k))).toBe(true);
    expect(eff).not.toContain('features.2.0.block.3.1.weight'); // the first block of a stage has no shortcut
    expect(gammasOf('iresnet50')).toEqual(['layer1.0.bn3.weight', 'layer2.0.bn3.weight', 'layer3.0.bn3.weight', 'layer4.0.bn3.weight']);
  });
  it('sets exactly those gammas to 0 and leaves every other value (and every random draw) as it was', { timeout: 60_000 }, () => {
    const graph = parameterGraph(analyzeOrThrow(findPreset('classroom_resnext29_8x4d')!.spec));
    const infos = paramInfos(graph);
    const zero = new Set(residualBranchEndGammas(graph));
    const plain = trainingInit(infos, 5);
    const zeroed = trainingInit(infos, 5, zero);
    for (const [key, v] of plain) {
      const z = zeroed.get(key)!.values;
      if (zero.has(key)) {
        expect(Array.from(v.values).every((x) => x === 1)).toBe(true);
        expect(Array.from(z).every((x) => x === 0), key).toBe(true);
      } else expect(z, key).toEqual(v.values);
    }
  });
  it('every preset builds its list without error (any model the explorer builds)', () => {
    for (const { name } of PRESETS) expect(() => gammasOf(name)).not.toThrow();
  });
});

describe('flip TTA', () => {
  it('the logits are the mean of the image\'s and its mirror image\'s; off, the plain logits', () => {
    const spec = findPreset('classroom_resnet29_1x18d')!.spec as ResNetSpec;
    const tiny: ResNetSpec = { ...spec, block: 'basic', expansion: 1, bottleneckWidth: 4, stem: { ...spec.stem, width: 4 }, stages: [4, 8].map((planes, i) => ({ blocks: 1, planes, stride: i === 0 ? 1 : 2 })) };
    const a = analyzeOrThrow(tiny);
    const params = paramTensors(initParams(a.graph, 3), false);
    const k = a.graph.output.channels;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
      const opts = { params, training: false };
      const plain = tf.reshape(execute(a.graph, x, opts), [2, k]);
      const mirrored = tf.reshape(execute(a.graph, tf.reverse(x, 2), opts), [2, k]);
      const tta = evalLogits(a.graph, x, opts, k, true);
      const expected = tf.div(tf.add(plain, mirrored), 2);
      expect(tf.max(tf.abs(tf.sub(tta, expected))).dataSync()[0]).toBeLessThan(1e-5);
      // The mirror image changes the logits (so the test can tell TTA from no TTA).
      expect(tf.max(tf.abs(tf.sub(plain, mirrored))).dataSync()[0]).toBeGreaterThan(1e-3);
      expect(tf.max(tf.abs(tf.sub(evalLogits(a.graph, x, opts, k, false), plain))).dataSync()[0]).toBe(0);
    });
    tf.dispose([...params.values()]);
  });
});

describe('recipes in the settings schema', () => {
  it('the paper recipe is the defaults: every trick off, cosine schedule', () => {
    expect(DEFAULT_TRAIN_SETTINGS).toMatchObject({ ...RECIPES.paper, recipe: 'paper', nesterov: false, labelSmoothing: 0, ema: false, zeroInitResidual: false, tta: false, schedule: 'cosine' });
    expect(recipeModified(DEFAULT_TRAIN_SETTINGS)).toBe(false);
  });
  it('the fast recipe turns its tricks on (label smoothing and zero-init are toggles, off); changing one afterwards marks it modified', () => {
    const fast = resolveSettings(applyRecipe({}, 'fast'));
    // Label smoothing and zero-init are its toggles, off by default (measured slower at a lesson's length).
    expect(fast).toMatchObject({ recipe: 'fast', schedule: 'triangular', nesterov: true, ema: true, zeroInitResidual: false, tta: true, labelSmoothing: 0 });
    expect(recipeModified(fast)).toBe(false);
    for (const key of RECIPE_KEYS) {
      const value = fast[key];
      const changed = { ...fast, [key]: typeof value === 'boolean' ? !value : key === 'schedule' ? 'cosine' : value === 0 ? 0.1 : (value as number) / 2 };
      expect(recipeModified(changed), key).toBe(true);
    }
  });
  it('validates the new settings by name', () => {
    expect(() => resolveSettings({ labelSmoothing: 0.6 })).toThrow(/^labelSmoothing must be a number from 0 to 0.5/);
    expect(() => resolveSettings({ warmup: -0.1 })).toThrow(/^warmup must be/);
    expect(() => resolveSettings({ emaDecay: 1 })).toThrow(/^emaDecay must be/);
    expect(() => resolveSettings({ timeBudgetMinutes: 0 })).toThrow('timeBudgetMinutes must be a number above 0 up to 600, not 0');
    expect(resolveSettings({ timeBudgetMinutes: 0.25 }).timeBudgetMinutes).toBe(0.25);
    expect(() => resolveSettings({ nesterov: 'yes' as unknown as boolean })).toThrow('nesterov must be true or false, not yes');
    expect(() => resolveSettings({ recipe: 'slow' as 'fast' })).toThrow('recipe must be one of paper, fast, not slow');
  });
  it('the form schema is a plain list: every field has a key, a type and its default', () => {
    const keys = SETTING_FIELDS.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const f of SETTING_FIELDS) expect(f.default, f.key).toEqual(DEFAULT_TRAIN_SETTINGS[f.key]);
    for (const key of RECIPE_KEYS) expect(keys, key).toContain(key);
    expect(JSON.parse(JSON.stringify(SETTING_FIELDS))).toEqual(SETTING_FIELDS);
  });
});

describe('live evaluation: the pure parts', () => {
  it('the held-out slice is class-balanced, in test-set order, one per class first; fewer when the set is smaller', () => {
    const labels = Uint8Array.from([2, 0, 0, 1, 2, 0, 1, 1, 0, 2, 0]);
    expect(Array.from(heldOutIndices(labels, 3, 6))).toEqual([1, 3, 0, 2, 6, 4]);
    expect(Array.from(heldOutIndices(labels, 3, 100)).sort((a, b) => a - b)).toEqual(Array.from(labels, (_, i) => i));
    expect(heldOutIndices(labels, 3, 100)).toHaveLength(labels.length);
    const slice = heldOutIndices(labels, 3, 9);
    const counts = [0, 1, 2].map((c) => Array.from(slice).filter((i) => labels[i] === c).length);
    expect(counts).toEqual([3, 3, 3]);
  });
  it('top-k: most probable first, ties to the lower class', () => {
    const p = Float32Array.from([0.1, 0.2, 0.7, 0.25, 0.25, 0.5]);
    expect(topK(p, 0, 3, 2).map((t) => t.label)).toEqual([2, 1]);
    expect(topK(p, 1, 3, 3).map((t) => t.label)).toEqual([2, 0, 1]);
    expect(topK(p, 1, 3, 3)[0]!.probability).toBeCloseTo(0.5, 6);
  });
  it('the gap between held-out evaluations: the cadence, or longer where evaluations would take more than their share of the time', () => {
    const live = { everySeconds: 15, maxShare: 0.25 };
    expect(evaluationGap(live)).toBe(15);
    expect(evaluationGap(live, 2)).toBe(15);
    expect(evaluationGap(live, 5)).toBe(15);
    // A 20 s evaluation (a slow backend) is followed by 60 s of training: a quarter of the time.
    expect(evaluationGap(live, 20)).toBe(60);
    expect(evaluationGap({ everySeconds: 15 }, 20)).toBe(15);
    expect(evaluationGap({ everySeconds: 15, maxShare: 1 }, 20)).toBe(15);
  });

  it("a time budget's total: the rest of the budget at the measured pace, less the evaluations' share", () => {
    expect(budgetTotalSteps({ budgetSeconds: 300, elapsedSeconds: 20, stepsDone: 10, secondsPerStep: 0.5 })).toBe(10 + 560);
    expect(budgetTotalSteps({ budgetSeconds: 300, elapsedSeconds: 20, stepsDone: 10, secondsPerStep: 0.5, evalSeconds: 5, everySeconds: 15 })).toBe(10 + 420);
    expect(budgetTotalSteps({ budgetSeconds: 10, elapsedSeconds: 20, stepsDone: 10, secondsPerStep: 0.5 })).toBe(11);
  });
});
