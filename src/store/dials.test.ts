import { describe, expect, it } from 'vitest';
import { findPreset } from '../models';
import { specFromDials } from './dials';

const preset = (name: string) => findPreset(name)!;

describe('specFromDials names the design', () => {
  it('unchanged dials keep the preset name; C=64, d=8 on resnext50_32x4d is resnext50_64x8d', () => {
    expect(specFromDials(preset('resnext50_32x4d'), {}).name).toBe('resnext50_32x4d');
    expect(specFromDials(preset('resnext50_32x4d'), { cardinality: 64, bottleneckWidth: 8 }).name).toBe('resnext50_64x8d');
  });

  it('a change with no torchvision-style name says "modified"', () => {
    expect(specFromDials(preset('resnext50_32x4d'), { cardinality: 64, bottleneckWidth: 8, dataset: 'cifar10' }).name).toBe(
      'resnext50_32x4d, modified: C=64, d=8, 32 px, 10 classes',
    );
  });

  it('compound scaling names the dialled base it scales', () => {
    expect(specFromDials(preset('resnext50_32x4d'), { cardinality: 16, compound: true, phi: 1 }).name).toBe('resnext50_16x4d (phi=1)');
  });
});
