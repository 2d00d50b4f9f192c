import { beforeEach, describe, expect, it } from 'vitest';
import { refusalOf, useExplorer } from './explorer';
import { defaultState } from './state';

const store = () => useExplorer.getState();

describe('the explorer store', () => {
  beforeEach(() => {
    store().setDialLock(null);
    store().load(defaultState());
  });

  it('while a run trains (dialLock), the model dials keep still; units and view still change', () => {
    store().setCardinality(16);
    store().setDialLock('resnext50_16x4d');
    store().setCardinality(64);
    store().setDial('bottleneckWidth', 8);
    store().setStageDial('blocks', 2, 12, [3, 4, 6, 3]);
    store().selectPreset('resnet50');
    store().setDataset('cifar10');
    store().setPreserve({ scope: 'block', metric: 'params' });
    expect(store().preset).toBe('resnext50_32x4d');
    expect(store().dials).toEqual({ cardinality: 16 });
    expect(store().preserve).toBeNull();
    store().setUnit('flops');
    store().setView('train');
    expect([store().unit, store().view]).toEqual(['flops', 'train']);
  });

  it('back/forward during a run changes the view but not the model in training', () => {
    store().setDialLock('resnext50_32x4d');
    store().load({ ...defaultState(), preset: 'resnet50', dials: { cardinality: 4 }, view: 'charts' });
    expect([store().preset, store().dials, store().view]).toEqual(['resnext50_32x4d', {}, 'charts']);
    store().setDialLock(null);
    store().setCardinality(8);
    expect(store().dials.cardinality).toBe(8);
  });

  it('refusalOf refuses a change that breaks a valid model, with the validation message', () => {
    const s = { ...defaultState(), preset: 'resnet50' };
    expect(refusalOf(s, { resolution: 16 })).toContain('16 px is too small');
    expect(refusalOf(s, { resolution: 448 })).toBeUndefined();
    // A model that is already invalid accepts changes, so it can be fixed one box at a time.
    expect(refusalOf({ ...s, dials: { resolution: 16 } }, { resolution: 8 })).toBeUndefined();
  });
});
