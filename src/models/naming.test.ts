import { describe, expect, it } from 'vitest';
import { designName, resnetDepth } from './naming';
import { PRESETS, findPreset } from './registry';
import type { ResNetSpec } from './spec';

const preset = (name: string) => findPreset(name)!;
const resnet = (name: string) => preset(name).spec as ResNetSpec;
/** `name`'s spec with some fields replaced (blocks per stage as a list). */
function dialled(name: string, patch: Partial<ResNetSpec> & { blocks?: number[] } = {}): ResNetSpec {
  const { blocks, ...rest } = patch;
  const stages = rest.stages ?? resnet(name).stages;
  return { ...resnet(name), ...rest, name: 'anything', stages: blocks ? stages.map((s, i) => ({ ...s, blocks: blocks[i]! })) : stages };
}

describe('designName', () => {
  it('every preset, unchanged, is called by its own name', () => {
    for (const p of PRESETS) expect(designName({ ...p.spec, name: 'x' }, p)).toBe(p.name);
  });

  it('ResNeXt-50 at C=64, d=8 is resnext50_64x8d (torchvision style)', () => {
    expect(designName(dialled('resnext50_32x4d', { cardinality: 64, bottleneckWidth: 8 }), preset('resnext50_32x4d'))).toBe('resnext50_64x8d');
  });

  it('a design equal to another preset takes that preset’s name', () => {
    expect(designName(dialled('resnext50_32x4d', { blocks: [3, 4, 23, 3] }), preset('resnext50_32x4d'))).toBe('resnext101_32x4d');
    expect(designName(dialled('resnet50', { cardinality: 32, bottleneckWidth: 4 }), preset('resnet50'))).toBe('resnext50_32x4d');
    expect(designName(dialled('classroom_resnext29_8x4d', { cardinality: 1, bottleneckWidth: 18 }), preset('classroom_resnext29_8x4d'))).toBe('classroom_resnet29_1x18d');
  });

  it('changed blocks rewrite the depth in the name by torchvision’s count', () => {
    expect(designName(dialled('resnext50_32x4d', { blocks: [3, 4, 12, 3], cardinality: 16 }), preset('resnext50_32x4d'))).toBe('resnext68_16x4d');
    expect(designName(dialled('classroom_resnext29_8x4d', { blocks: [2, 2, 2], cardinality: 16, bottleneckWidth: 8 }), preset('classroom_resnext29_8x4d'))).toBe(
      'classroom_resnext20_16x8d',
    );
  });

  it('anything else is "<preset>, modified: <changes>"', () => {
    expect(designName(dialled('resnext50_32x4d', { cardinality: 64, bottleneckWidth: 8, form: 'a' }), preset('resnext50_32x4d'))).toBe(
      'resnext50_32x4d, modified: C=64, d=8, form (a)',
    );
    expect(designName(dialled('resnet50', { cardinality: 16 }), preset('resnet50'))).toBe('resnet50, modified: C=16');
    expect(designName(dialled('resnext50_32x4d', { shortcuts: false }), preset('resnext50_32x4d'))).toBe('resnext50_32x4d, modified: no shortcuts');
    const cifar = dialled('resnext50_32x4d', { input: { resolution: 32, channels: 3, classes: 10 } });
    expect(designName(cifar, preset('resnext50_32x4d'))).toBe('resnext50_32x4d, modified: 32 px, 10 classes');
    const widths = dialled('resnext50_32x4d', { stages: resnet('resnext50_32x4d').stages.map((s) => ({ ...s, planes: s.planes * 2 })) });
    expect(designName(widths, preset('resnext50_32x4d'))).toBe('resnext50_32x4d, modified: widths=128,256,512,1024');
  });

  it('a name whose depth is not torchvision’s count keeps "modified" for changed blocks', () => {
    const fake = { name: 'odd7_2x2d', spec: { ...resnet('classroom_resnext29_8x4d'), name: 'odd7_2x2d' } };
    expect(designName({ ...fake.spec, stages: fake.spec.stages.map((s) => ({ ...s, blocks: 2 })) }, fake, [])).toBe('odd7_2x2d, modified: blocks=2,2,2');
    expect(designName({ ...fake.spec, cardinality: 4 }, fake, [])).toBe('odd7_4x4d');
  });

  it('EfficientNet changes are listed', () => {
    const b0 = preset('efficientnet_b0');
    expect(designName({ ...b0.spec, input: { ...b0.spec.input, resolution: 240 } }, b0)).toBe('efficientnet_b0, modified: 240 px');
  });

  it('resnetDepth counts 3 layers per bottleneck and 2 per basic block, plus stem and fc', () => {
    expect(resnetDepth(resnet('resnet50'))).toBe(50);
    expect(resnetDepth(resnet('resnet18'))).toBe(18);
    expect(resnetDepth(resnet('resnext101_32x8d'))).toBe(101);
  });
});
