/**
 * ReLU ties between forms: where a branch's channels go, what counts as a tie (different sides of 0
 * within the tolerance) and what does not (the same side, or different sides farther apart).
 */
import { describe, expect, it } from 'vitest';
import { type Activation, canonicalActivations, forcedDerivatives, reluTies } from './ties';

const act = (values: number[], c = values.length): Activation => ({ shape: [1, 1, values.length / c, c], values: Float32Array.from(values) });

describe('canonicalActivations', () => {
  it('puts branch g of width d into channels [g·d, (g+1)·d) at every pixel', () => {
    // Two pixels, two branches of two channels: form (c)'s op has four.
    const recorded = [
      { name: 'layer1.0.branches.1.relu1', shape: [1, 1, 2, 2], values: Float32Array.from([5, 6, 7, 8]) },
      { name: 'layer1.0.branches.0.relu1', shape: [1, 1, 2, 2], values: Float32Array.from([1, 2, 3, 4]) },
      { name: 'layer1.0.relu', shape: [1, 1, 2, 1], values: Float32Array.from([9, 10]) },
    ];
    const m = canonicalActivations(recorded, (name) => (name === 'layer1.0.relu1' ? 4 : undefined));
    expect([...m.get('layer1.0.relu1')!.values]).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
    expect(m.get('layer1.0.relu1')!.shape).toEqual([1, 1, 2, 4]);
    expect([...m.get('layer1.0.relu')!.values]).toEqual([9, 10]);
  });

  it('refuses a branch outside the op it belongs to', () => {
    const recorded = [{ name: 'x.branches.2.relu1', shape: [1, 1, 1, 2], values: new Float32Array(2) }];
    expect(() => canonicalActivations(recorded, () => 4)).toThrow(/outside/);
  });
});

describe('reluTies', () => {
  const tol = 1e-5;
  it('counts inputs on different sides of 0 within the tolerance, and only those', () => {
    const p = new Map([['r', act([4e-7, -2e-6, 0.5, -3e-6, 0, 6e-6])]]);
    const q = new Map([['r', act([-9e-7, 1e-6, 0.5, -1e-6, -1e-7, -6e-6])]]);
    // 0: tie; 1: tie; 2: same side; 3: same side (both below); 4: 0 and below 0 have ReLU's same derivative (0);
    // 5: different sides but 1.2e-5 apart: a disagreement, not a tie.
    const ties = reluTies(p, q, 'a-c', tol);
    expect(ties).toEqual([
      {
        op: 'r',
        pair: 'a-c',
        elements: 2,
        examples: [
          { index: 0, values: [Math.fround(4e-7), Math.fround(-9e-7)] },
          { index: 1, values: [Math.fround(-2e-6), Math.fround(1e-6)] },
        ],
      },
    ]);
  });

  it('no tie, no entry', () => {
    const p = new Map([['r', act([1, -1])]]);
    expect(reluTies(p, p, 'a-b', tol)).toEqual([]);
  });
});

describe('forcedDerivatives', () => {
  it("forces the derivative at a branch's ties to the reference's side, in the branch's own layout", () => {
    // Reference (c): one pixel, four channels; form (a)'s branch 1 owns channels 2 and 3.
    const reference = new Map([['b.relu1', act([1, 1, 3e-7, -2e-7], 4)]]);
    const form = new Map([['b.relu1', act([1, 1, -1e-7, 5e-7], 4)]]);
    const ops = [
      { name: 'b.branches.0.relu1', shape: [1, 1, 1, 2] },
      { name: 'b.branches.1.relu1', shape: [1, 1, 1, 2] },
    ];
    const f = forcedDerivatives(form, reference, ops, 1e-5);
    expect([...f.keys()]).toEqual(['b.branches.1.relu1']);
    expect([...f.get('b.branches.1.relu1')!.forced]).toEqual([1, 1]);
    expect([...f.get('b.branches.1.relu1')!.value]).toEqual([1, 0]);
  });
});
