import { describe, expect, it } from 'vitest';
import { NUMERIC_SETTING_FIELDS, RECIPE_NUMERIC_FIELDS, resolveSettings } from './settings';

describe('the settings schema: the form offers the ranges the trainer accepts', () => {
  it('every numeric field accepts its bounds and refuses just outside them', () => {
    for (const field of [...NUMERIC_SETTING_FIELDS, ...RECIPE_NUMERIC_FIELDS]) {
      // A field whose unset value is its minimum (Steps, the time budget) excludes that minimum.
      const excludes = field.unset === field.min;
      const min = excludes ? field.min + (field.integer ? 1 : 1e-6) : field.min;
      expect(() => resolveSettings({ [field.key]: min }), `${field.key} = ${min}`).not.toThrow();
      expect(() => resolveSettings({ [field.key]: field.max }), `${field.key} = ${field.max}`).not.toThrow();
      const below = field.integer ? min - 1 : field.min === 0 ? -1e-3 : field.min / 2;
      const above = field.integer ? field.max + 1 : field.max * 2;
      if (field.unset !== below) expect(() => resolveSettings({ [field.key]: below }), `${field.key} = ${below}`).toThrow(new RegExp(`^${field.key} must be`));
      expect(() => resolveSettings({ [field.key]: above }), `${field.key} = ${above}`).toThrow(new RegExp(`^${field.key} must be`));
      if (field.integer) expect(() => resolveSettings({ [field.key]: min + 0.5 })).toThrow(new RegExp(`^${field.key} must be an integer`));
    }
  });

  it('batch 1 and batch 1024 are refused with the range; the slider\'s 10 ** -4 is the minimum learning rate', () => {
    expect(() => resolveSettings({ batchSize: 1 })).toThrow('batchSize must be an integer from 2 to 512 (BatchNorm needs batch statistics), not 1');
    expect(() => resolveSettings({ batchSize: 1024 })).toThrow(/from 2 to 512/);
    expect(resolveSettings({ learningRate: 10 ** -4 }).learningRate).toBe(10 ** -4);
    expect(() => resolveSettings({ steps: 0 })).toThrow('steps must be an integer from 1 to 100000, not 0');
  });
});
