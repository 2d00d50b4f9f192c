import { describe, expect, it } from 'vitest';
import { type ArchSpec, type ResNetSpec, analyze, findPreset } from '../../models';
import { ComputeError, errorKind } from '../errors';
import { MIN_STEP_IMAGES, TFJS_ACTIVATION_FACTOR, checkTrainingMemory, memoryRefusal, planMicroBatchSize, planTrainingMemory, trainingMemoryBudget } from './memory';

const MiB = 2 ** 20;
const classroom = findPreset('classroom_resnet29_1x18d')!.spec as ResNetSpec;
const widths = (w: number): ArchSpec => ({ ...classroom, stages: classroom.stages.map((s) => ({ ...s, planes: w })) });
const totals = (spec: ArchSpec) => {
  const a = analyze(spec);
  if (!a.ok) throw new Error('does not analyze');
  return a.stats.totals;
};

describe('the memory plan before any allocation', () => {
  it('the classroom models fit every backend at the default batch, whole', () => {
    for (const name of ['classroom_resnet29_1x18d', 'classroom_resnext29_8x4d']) {
      for (const backend of ['wasm', 'webgpu']) {
        const plan = planTrainingMemory(totals(findPreset(name)!.spec), trainingMemoryBudget(backend));
        expect(plan.measured).toBe(false);
        expect(memoryRefusal(plan, backend, 32)).toBeUndefined();
        expect(planMicroBatchSize(plan, 32)).toBeUndefined();
      }
    }
  });

  it('widths 4096: weights, gradients and momentum alone exceed WASM (one sentence, no batch to try)', () => {
    const plan = planTrainingMemory(totals(widths(4096)), trainingMemoryBudget('wasm'));
    expect(plan.stateBytes).toBeGreaterThan(plan.budgetBytes);
    expect(plan.maxImages).toBe(0);
    const sentence = memoryRefusal(plan, 'wasm', 2)!;
    expect(sentence).toBe(
      'This model cannot train on WASM: its 543M parameters need 8.1 GiB for weights, gradients and momentum before a single image, and the WASM backend holds about 3.0 GiB; make it narrower or shallower (fewer than about 201M parameters).',
    );
    expect(sentence).not.toMatch(/batch/);
    expect(() => checkTrainingMemory(plan, 'wasm', 32)).toThrow(ComputeError);
    try {
      checkTrainingMemory(plan, 'wasm', 32);
    } catch (e) {
      expect(errorKind(e)).toBe('out-of-memory');
      expect((e as Error).message).toBe(sentence);
    }
  });

  it('widths 65536: 138G parameters, refused from the counts (no typed array of that size is ever made)', () => {
    const plan = planTrainingMemory(totals(widths(65536)), trainingMemoryBudget('webgpu'));
    expect(memoryRefusal(plan, 'webgpu', 32)).toBe(
      'This model cannot train on WebGPU: its 138G parameters need 2.0 TiB for weights, gradients and momentum before a single image, and the WebGPU backend holds about 2.0 GiB; make it narrower or shallower (fewer than about 134M parameters).',
    );
  });

  it('a model whose weights fit but whose images do not: the activation sentence', () => {
    const plan = planTrainingMemory({ params: 1e6, activations: 100e6, inputValues: 3072 }, trainingMemoryBudget('wasm'));
    expect(plan.bytesPerImage).toBeCloseTo(TFJS_ACTIVATION_FACTOR * 4 * (100e6 + 3072));
    expect(plan.maxImages).toBeLessThan(MIN_STEP_IMAGES);
    expect(memoryRefusal(plan, 'wasm', 8)).toMatch(
      /^This model cannot train on WASM: each training image needs about 2\.0 GiB \(estimated from its counted activations\) on top of 15\.3 MiB for weights, gradients and momentum, so even 2 images \(the fewest BatchNorm trains on\) need 4\.1 GiB, and the WASM backend holds about 3\.0 GiB; make it narrower or shallower\.$/,
    );
  });

  it('a measured figure replaces the estimate; a batch over the budget runs as micro-batches of its largest fitting divisor', () => {
    const counts = { params: 1e6, activations: 1e6, inputValues: 3072 };
    const budget = 16 * MiB + 4 * 1e6 * 4;
    const plan = planTrainingMemory(counts, budget, 1 * MiB);
    expect(plan).toMatchObject({ measured: true, bytesPerImage: MiB, maxImages: 16 });
    expect(planMicroBatchSize(plan, 16)).toBeUndefined();
    expect(planMicroBatchSize(plan, 64)).toBe(16);
    expect(planMicroBatchSize(plan, 30)).toBe(15);
    // 17 is prime: no micro-batch of it fits; the sentence offers the batches that do.
    expect(memoryRefusal(plan, 'wasm', 17)).toMatch(/^Batch 17 cannot be split into micro-batches that fit on WASM: at most 16 images .* \(measured\) .* choose a batch of at most 16 or an even one\.$/);
    expect(memoryRefusal(plan, 'wasm', 34)).toBeUndefined();
  });
});
