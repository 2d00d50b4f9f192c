import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS, NUMERIC_SETTING_FIELDS } from '../../workers/training/settings';
import { DEFAULT_TRAIN_FORM, enterField, fieldValue, formSettings } from './form';

const field = (key: string) => NUMERIC_SETTING_FIELDS.find((f) => f.key === key)!;

describe('the settings form', () => {
  it("starts at the schema's defaults, Steps unset (shown as 0: run by epochs)", () => {
    for (const key of ['batchSize', 'epochs', 'learningRate', 'schedule', 'seed', 'augment'] as const) expect(DEFAULT_TRAIN_FORM[key]).toBe(DEFAULT_TRAIN_SETTINGS[key]);
    expect(DEFAULT_TRAIN_FORM.steps).toBeUndefined();
    expect(fieldValue(DEFAULT_TRAIN_FORM, field('steps'))).toBe(0);
    expect(formSettings(DEFAULT_TRAIN_FORM)).not.toHaveProperty('steps');
  });

  it("keeps an entry in the field's range, whole for integer fields; the unset value unsets", () => {
    expect(enterField(DEFAULT_TRAIN_FORM, field('batchSize'), 1000).batchSize).toBe(field('batchSize').max);
    expect(enterField(DEFAULT_TRAIN_FORM, field('batchSize'), 1).batchSize).toBe(field('batchSize').min);
    expect(enterField(DEFAULT_TRAIN_FORM, field('epochs'), 2.6).epochs).toBe(3);
    expect(enterField(DEFAULT_TRAIN_FORM, field('learningRate'), 0.125).learningRate).toBe(0.125);
    const withSteps = enterField(DEFAULT_TRAIN_FORM, field('steps'), 40);
    expect(formSettings(withSteps).steps).toBe(40);
    expect(enterField(withSteps, field('steps'), 0).steps).toBeUndefined();
    expect(enterField(DEFAULT_TRAIN_FORM, field('seed'), NaN)).toBe(DEFAULT_TRAIN_FORM);
  });

  it('a run takes the settings the form shows', () => {
    const form = { ...DEFAULT_TRAIN_FORM, batchSize: 16, steps: 30, schedule: 'step' as const, augment: false };
    expect(formSettings(form)).toEqual({ batchSize: 16, epochs: DEFAULT_TRAIN_SETTINGS.epochs, steps: 30, learningRate: DEFAULT_TRAIN_SETTINGS.learningRate, schedule: 'step', seed: DEFAULT_TRAIN_SETTINGS.seed, augment: false });
  });
});
