/**
 * The Train tab's settings form over the training settings schema (src/workers/training/settings.ts):
 * which settings it offers, their defaults and ranges come from there, so the form holds no copy of
 * them. Choosing a recipe sets its schedule and tricks; a trick changed afterwards keeps the recipe's
 * name, which the tab then marks as modified (`recipeModified`). Pure.
 */
import {
  DEFAULT_TRAIN_SETTINGS,
  NUMERIC_SETTING_FIELDS,
  type NumericSettingField,
  type Recipe,
  type TrainSettings,
  applyRecipe,
  recipeModified,
} from '../../workers/training/settings';

/** The settings a run takes from the form (the others keep the schema's defaults). */
export type TrainForm = Pick<
  TrainSettings,
  | 'batchSize'
  | 'epochs'
  | 'steps'
  | 'timeBudgetMinutes'
  | 'learningRate'
  | 'schedule'
  | 'seed'
  | 'augment'
  | 'recipe'
  | 'warmup'
  | 'nesterov'
  | 'labelSmoothing'
  | 'ema'
  | 'emaDecay'
  | 'zeroInitResidual'
  | 'tta'
>;

export const DEFAULT_TRAIN_FORM: Readonly<TrainForm> = {
  batchSize: DEFAULT_TRAIN_SETTINGS.batchSize,
  epochs: DEFAULT_TRAIN_SETTINGS.epochs,
  steps: DEFAULT_TRAIN_SETTINGS.steps,
  timeBudgetMinutes: DEFAULT_TRAIN_SETTINGS.timeBudgetMinutes,
  learningRate: DEFAULT_TRAIN_SETTINGS.learningRate,
  schedule: DEFAULT_TRAIN_SETTINGS.schedule,
  seed: DEFAULT_TRAIN_SETTINGS.seed,
  augment: DEFAULT_TRAIN_SETTINGS.augment,
  recipe: DEFAULT_TRAIN_SETTINGS.recipe,
  warmup: DEFAULT_TRAIN_SETTINGS.warmup,
  nesterov: DEFAULT_TRAIN_SETTINGS.nesterov,
  labelSmoothing: DEFAULT_TRAIN_SETTINGS.labelSmoothing,
  ema: DEFAULT_TRAIN_SETTINGS.ema,
  emaDecay: DEFAULT_TRAIN_SETTINGS.emaDecay,
  zeroInitResidual: DEFAULT_TRAIN_SETTINGS.zeroInitResidual,
  tta: DEFAULT_TRAIN_SETTINGS.tta,
};

/** What a numeric field shows for `form`: its setting, or the field's unset value (Steps: 0). */
export function fieldValue(form: TrainForm, field: NumericSettingField): number | undefined {
  return form[field.key] ?? field.unset;
}

/** `value` kept in `field`'s range (whole for an integer field): what the trainer accepts, or the field's unset value. */
export function fieldInRange(field: NumericSettingField, value: number): number {
  return Math.min(field.max, Math.max(field.min, field.integer ? Math.round(value) : value));
}

/** The form after `value` was entered in `field`: kept in the field's range (whole for an integer field); its unset value unsets it. */
export function enterField(form: TrainForm, field: NumericSettingField, value: number): TrainForm {
  if (!Number.isFinite(value)) return form;
  const v = fieldInRange(field, value);
  return { ...form, [field.key]: v === field.unset ? undefined : v };
}

/** The form with `recipe`'s schedule and tricks (the run's length, batch, rate and seed stay). */
export function chooseRecipe(form: TrainForm, recipe: Recipe): TrainForm {
  return applyRecipe(form, recipe);
}

/** The recipe as the tab names it: its name, marked when a trick was changed after choosing it. */
export function recipeLabel(settings: Partial<TrainSettings>): string {
  const name = settings.recipe ?? DEFAULT_TRAIN_SETTINGS.recipe;
  return recipeModified(settings) ? `${name} (modified)` : name;
}

const LEARNING_RATE_FIELD = NUMERIC_SETTING_FIELDS.find((f) => f.key === 'learningRate')!;

/** A live learning rate (the slider's) kept in the learning-rate setting's range. */
export function learningRateInRange(lr: number): number {
  return fieldInRange(LEARNING_RATE_FIELD, lr);
}

/**
 * The settings of a run started from `form` (unset settings left out: the trainer applies the
 * defaults). A time budget sizes the run itself, so it replaces Steps and Epochs.
 */
export function formSettings(form: TrainForm): Partial<TrainSettings> {
  const settings: Partial<TrainSettings> = {};
  for (const [key, value] of Object.entries(form) as [keyof TrainForm, TrainForm[keyof TrainForm]][]) if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  if (settings.timeBudgetMinutes !== undefined) delete settings.steps;
  return settings;
}
