import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS, NUMERIC_SETTING_FIELDS, RECIPES } from '../../workers/training/settings';
import { DEFAULT_TRAIN_FORM, chooseRecipe, enterField, fieldValue, formSettings, recipeLabel } from './form';

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
    const { steps: _, timeBudgetMinutes: __, ...defaults } = DEFAULT_TRAIN_SETTINGS;
    const offered = Object.fromEntries(Object.keys(DEFAULT_TRAIN_FORM).filter((k) => k in defaults).map((k) => [k, defaults[k as keyof typeof defaults]]));
    expect(formSettings(form)).toEqual({ ...offered, batchSize: 16, steps: 30, schedule: 'step', augment: false });
  });

  it('a time budget replaces Steps (the run sizes itself); unset, Steps is back', () => {
    const budget = enterField(enterField(DEFAULT_TRAIN_FORM, field('steps'), 40), field('timeBudgetMinutes'), 0.5);
    expect(formSettings(budget)).toMatchObject({ timeBudgetMinutes: 0.5 });
    expect(formSettings(budget)).not.toHaveProperty('steps');
    const off = enterField(budget, field('timeBudgetMinutes'), 0);
    expect(off.timeBudgetMinutes).toBeUndefined();
    expect(formSettings(off).steps).toBe(40);
  });

  it('choosing a recipe sets its schedule and tricks (not the length, batch, rate or seed); a changed trick keeps the name, marked', () => {
    const form = { ...DEFAULT_TRAIN_FORM, batchSize: 64, learningRate: 0.2, seed: 3 };
    const fast = chooseRecipe(form, 'fast');
    expect(fast).toMatchObject({ ...RECIPES.fast, recipe: 'fast', batchSize: 64, learningRate: 0.2, seed: 3 });
    expect(recipeLabel(fast)).toBe('fast');
    expect(recipeLabel({ ...fast, tta: false })).toBe('fast (modified)');
    expect(recipeLabel({ ...fast, labelSmoothing: 0.1 })).toBe('fast (modified)');
    const paper = chooseRecipe(fast, 'paper');
    expect(paper).toEqual({ ...form, ...RECIPES.paper, recipe: 'paper' });
    expect(recipeLabel(paper)).toBe('paper');
    expect(recipeLabel(DEFAULT_TRAIN_FORM)).toBe('paper');
  });
});
