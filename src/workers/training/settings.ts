/**
 * The training settings schema: every setting a run takes, its default, the range the Train tab
 * offers, and the validation the trainer applies. Pure (no tfjs): the page imports it for the
 * settings form, the worker for the trainer, so the defaults have this one home.
 */
import { LR_SCHEDULES, type LrSchedule } from './schedule';

export type Recipe = 'paper' | 'fast';
export const RECIPES_LIST: readonly Recipe[] = ['paper', 'fast'];

export interface TrainSettings {
  batchSize: number;
  /** Length of the run in epochs (of floor(N / batchSize) steps); `steps` overrides it. */
  epochs: number;
  /** Length of the run in steps. A time-budget run writes the total it fixed here, so a checkpoint resumes it exactly. */
  steps?: number;
  /**
   * Train for this many minutes of wall time (live evaluations included, pauses and the final
   * evaluation not): the job measures the speed over the first steps, fixes `steps` so the schedule
   * ends at the budget, and refits it as it measures on. Ignored once `steps` is set.
   */
  timeBudgetMinutes?: number;
  /** Base (peak) learning rate of the schedule. */
  learningRate: number;
  schedule: LrSchedule;
  /** The triangular schedule's warm-up, as a fraction of the run. */
  warmup: number;
  momentum: number;
  /** Nesterov momentum, as torch.optim.SGD(nesterov=True). */
  nesterov: boolean;
  weightDecay: number;
  /** Label smoothing of the cross-entropy, as torch.nn.CrossEntropyLoss(label_smoothing); 0 = off. */
  labelSmoothing: number;
  /** Evaluate an exponential moving average of the weights (and BN running statistics) instead of the weights. */
  ema: boolean;
  /** The weight average's decay per step (warmed up as min(decay, (1 + t) / (10 + t))). */
  emaDecay: number;
  /** Zero-initialise the last BatchNorm gamma of each residual branch (torchvision's zero_init_residual). */
  zeroInitResidual: boolean;
  /** Test-time augmentation: evaluation averages the logits of each image and its mirror image. */
  tta: boolean;
  /** The recipe the tricks were chosen from; a trick changed afterwards keeps the name (recipeModified says so). */
  recipe: Recipe;
  seed: number;
  /** Pad-crop-flip augmentation (the paper's); off gives plain normalised images. */
  augment: boolean;
  /** BatchNorm running-statistics momentum, PyTorch's convention (new = (1 - m)·old + m·batch). */
  bnMomentum: number;
  /** Batch size of evaluation and prediction (fixed; the last batch is padded). Default: batchSize. */
  evalBatchSize?: number;
  /**
   * Split each batch into micro-batches of this size (a divisor of batchSize) to bound memory: the
   * gradient is still the whole batch's, and so are the BN running estimates, but BatchNorm
   * normalises with each micro-batch's statistics (as data-parallel training without SyncBatchNorm).
   * Default: batchSize (the job sets it from the measured memory: memory.ts).
   */
  microBatchSize?: number;
}

/** The settings a recipe chooses: the schedule and the tricks (the run's length, batch, rate and seed stay the user's). */
export type RecipeKey = 'schedule' | 'warmup' | 'nesterov' | 'labelSmoothing' | 'ema' | 'emaDecay' | 'zeroInitResidual' | 'tta';
export type RecipeSettings = Pick<TrainSettings, RecipeKey>;

/**
 * The two recipes. 'paper': ResNeXt's CIFAR recipe (Sec. 5.3) as this app scales it to a browser
 * (below); none of the tricks. 'fast': the tricks of fast CIFAR training (airbench, arXiv
 * 2404.00498; Goyal et al. 2017 for warm-up and zero-init; Szegedy et al. 2016 for label smoothing)
 * that suit any network the explorer builds. docs/training.md explains each.
 */
export const RECIPES: Readonly<Record<Recipe, Readonly<RecipeSettings>>> = {
  paper: { schedule: 'cosine', warmup: 0.2, nesterov: false, labelSmoothing: 0, ema: false, emaDecay: 0.99, zeroInitResidual: false, tta: false },
  // Label smoothing and zero-init stay toggles, off: in a lesson-length run (~1.5 epochs) they cost the
  // lesson ResNeXt ~1 and ~4 points at 5 minutes (docs/lessons.md); they pay off in longer, deeper runs.
  fast: { schedule: 'triangular', warmup: 0.2, nesterov: true, labelSmoothing: 0, ema: true, emaDecay: 0.99, zeroInitResidual: false, tta: true },
};

export const RECIPE_KEYS = Object.keys(RECIPES.paper) as RecipeKey[];

/** `settings` with `recipe`'s schedule and tricks. */
export function applyRecipe<T extends Partial<TrainSettings>>(settings: T, recipe: Recipe): T & RecipeSettings & { recipe: Recipe } {
  return { ...settings, ...RECIPES[recipe], recipe };
}

/** A setting the recipe chose was changed afterwards (the recipe's name then carries a mark). */
export function recipeModified(settings: Partial<TrainSettings>): boolean {
  const recipe = RECIPES[settings.recipe ?? DEFAULT_TRAIN_SETTINGS.recipe];
  return RECIPE_KEYS.some((key) => settings[key] !== undefined && settings[key] !== recipe[key]);
}

/**
 * ResNeXt's CIFAR recipe (Sec. 5.3: SGD momentum 0.9, weight decay 5e-4, batch 128, lr 0.1, 300 epochs)
 * scaled to a browser: batch 32, lr 0.05 (the linear scaling rule, rounded up), a cosine schedule so a
 * short run ends annealed, 5 epochs.
 */
export const DEFAULT_TRAIN_SETTINGS: Readonly<TrainSettings> = {
  batchSize: 32,
  epochs: 5,
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  seed: 1,
  augment: true,
  bnMomentum: 0.1,
  recipe: 'paper',
  ...RECIPES.paper,
};

/** A numeric setting: the range the Train tab offers is the range the trainer accepts (resolveSettings). */
export interface NumericSettingField {
  key: 'batchSize' | 'epochs' | 'steps' | 'timeBudgetMinutes' | 'seed' | 'learningRate' | 'warmup' | 'labelSmoothing' | 'emaDecay';
  label: string;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
  /** The form's value when the setting is unset (`steps`: 0 = run by epochs); not a value the trainer takes (the range excludes it). */
  unset?: number;
  /** One line: what the setting buys (the recipe's tricks). */
  why?: string;
}

/** An on/off setting of the form, with the one line that says what it buys. */
export interface BooleanSettingField {
  key: 'nesterov' | 'ema' | 'zeroInitResidual' | 'tta' | 'augment';
  label: string;
  why: string;
}

/** Batch sizes a run takes: from 2 (BatchNorm needs batch statistics) to 512. */
export const BATCH_SIZE_RANGE = { min: 2, max: 512 } as const;

/** The run's length, batch, rate and seed (the recipe leaves them alone). */
export const NUMERIC_SETTING_FIELDS: readonly NumericSettingField[] = [
  { key: 'batchSize', label: 'Batch size', ...BATCH_SIZE_RANGE, integer: true },
  { key: 'epochs', label: 'Epochs', min: 1, max: 1000, integer: true },
  { key: 'steps', label: 'Steps (0 = epochs)', min: 0, max: 100_000, integer: true, unset: 0 },
  { key: 'timeBudgetMinutes', label: 'Time budget, minutes (0 = off)', min: 0, max: 600, integer: false, unset: 0, why: 'measures the speed as it trains and sizes the schedule to end at the budget' },
  { key: 'seed', label: 'Seed', min: 0, max: 1_000_000, integer: true },
  { key: 'learningRate', label: 'Learning rate', min: 1e-4, max: 2, integer: false },
];

/** The recipe's amounts (each used only when its trick is on). */
export const RECIPE_NUMERIC_FIELDS: readonly NumericSettingField[] = [
  { key: 'warmup', label: 'Warm-up (fraction of the run)', min: 0, max: 0.5, integer: false, why: 'a high rate from step 0 overshoots while BatchNorm statistics settle: ramp up, then decay linearly to 0' },
  { key: 'labelSmoothing', label: 'Label smoothing (0 = off)', min: 0, max: 0.5, integer: false, why: 'targets of 1 - ε on the true class stop the logits growing without bound; better-calibrated, often more accurate in long runs' },
  { key: 'emaDecay', label: 'Weight-average decay', min: 0.5, max: 0.9999, integer: false, why: 'how many recent steps the average spans, about 1 / (1 - decay)' },
];

/** The recipe's on/off tricks. */
export const RECIPE_BOOLEAN_FIELDS: readonly BooleanSettingField[] = [
  { key: 'nesterov', label: 'Nesterov momentum', why: 'steps from where momentum is about to carry the weights: a little faster and steadier at high rates' },
  { key: 'ema', label: 'Weight averaging (EMA)', why: 'evaluates an average of the recent weights, which smooths out the noise of the last steps' },
  { key: 'zeroInitResidual', label: 'Zero-init last BN of each residual branch', why: 'every block starts as the identity, so a deep network trains like a shallow one at first (slower in a short run)' },
  { key: 'tta', label: 'Test-time flip', why: 'evaluation averages each image with its mirror image: a free point or so of accuracy, at twice the evaluation cost' },
];

/** Every setting the Train tab's form offers, as a plain list (the URL and the form derive from it). */
export type SettingField =
  | ({ type: 'number' } & NumericSettingField & { default: number | undefined })
  | ({ type: 'boolean' } & BooleanSettingField & { default: boolean })
  | { type: 'choice'; key: 'schedule' | 'recipe'; label: string; options: readonly string[]; default: string; why?: string };

const numeric = (f: NumericSettingField): SettingField => ({ type: 'number', ...f, default: DEFAULT_TRAIN_SETTINGS[f.key] });
export const SETTING_FIELDS: readonly SettingField[] = [
  { type: 'choice', key: 'recipe', label: 'Recipe', options: RECIPES_LIST, default: DEFAULT_TRAIN_SETTINGS.recipe, why: 'sets the schedule and every trick below at once' },
  ...NUMERIC_SETTING_FIELDS.map(numeric),
  { type: 'choice', key: 'schedule', label: 'Schedule', options: LR_SCHEDULES, default: DEFAULT_TRAIN_SETTINGS.schedule },
  { type: 'boolean', key: 'augment', label: 'pad-4 crop + flip', why: 'the paper\'s augmentation', default: DEFAULT_TRAIN_SETTINGS.augment },
  ...RECIPE_NUMERIC_FIELDS.map(numeric),
  ...RECIPE_BOOLEAN_FIELDS.map((f): SettingField => ({ type: 'boolean', ...f, default: DEFAULT_TRAIN_SETTINGS[f.key] })),
];

export const SCHEDULE_LABELS: Readonly<Record<LrSchedule, string>> = {
  step: 'step (/10 at 50%, 75%)',
  cosine: 'cosine',
  onecycle: 'one-cycle',
  triangular: 'triangular (warm-up, linear decay)',
  constant: 'constant',
};

const SETTING_KEYS: readonly (keyof TrainSettings)[] = [
  'batchSize',
  'epochs',
  'steps',
  'timeBudgetMinutes',
  'learningRate',
  'schedule',
  'warmup',
  'momentum',
  'nesterov',
  'weightDecay',
  'labelSmoothing',
  'ema',
  'emaDecay',
  'zeroInitResidual',
  'tta',
  'recipe',
  'seed',
  'augment',
  'bnMomentum',
  'evalBatchSize',
  'microBatchSize',
];

/** Throws a message naming `field` unless `value` is in its range (whole for an integer field; never its unset value). */
function checkField(field: NumericSettingField, value: number): void {
  // A field whose unset value is its minimum excludes it: an integer starts one above, a real number just above.
  const excludesMin = field.unset === field.min;
  const min = excludesMin && field.integer ? field.min + 1 : field.min;
  // A real-valued setting may sit a rounding error off its bound (the live rate slider sets 10 ** -4).
  const slack = field.integer ? 0 : 1e-9;
  const aboveMin = excludesMin && !field.integer ? value > min : value >= min * (1 - slack);
  const ok = typeof value === 'number' && Number.isFinite(value) && aboveMin && value <= field.max * (1 + slack) && (!field.integer || Number.isInteger(value));
  const range = excludesMin && !field.integer ? `above ${min} up to ${field.max}` : `from ${min} to ${field.max}`;
  if (!ok) throw new Error(`${field.key} must be ${field.integer ? 'an integer' : 'a number'} ${range}${field.key === 'batchSize' ? ' (BatchNorm needs batch statistics)' : ''}, not ${value}`);
}

/**
 * The defaults with `settings` over them, validated: throws a message naming the first bad setting.
 * The numeric settings the Train tab offers must lie in NUMERIC_SETTING_FIELDS' ranges.
 */
export function resolveSettings(settings: Partial<TrainSettings> = {}): TrainSettings {
  // Known settings only: a checkpoint saved by an older version may carry settings that are gone.
  const s: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS };
  for (const key of SETTING_KEYS) if (settings[key] !== undefined) (s as unknown as Record<string, unknown>)[key] = settings[key];
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`${name} must be a positive integer, not ${v}`);
  };
  positiveInt('evalBatchSize', s.evalBatchSize);
  positiveInt('microBatchSize', s.microBatchSize);
  if (s.microBatchSize !== undefined && (s.batchSize % s.microBatchSize !== 0 || s.microBatchSize < 2)) {
    throw new Error(`microBatchSize must divide batchSize and be >= 2 (BatchNorm needs batch statistics), not ${s.microBatchSize}`);
  }
  for (const field of [...NUMERIC_SETTING_FIELDS, ...RECIPE_NUMERIC_FIELDS]) {
    const value = s[field.key];
    if (value !== undefined) checkField(field, value);
  }
  for (const key of ['nesterov', 'ema', 'zeroInitResidual', 'tta', 'augment'] as const) if (typeof s[key] !== 'boolean') throw new Error(`${key} must be true or false, not ${String(s[key])}`);
  if (!RECIPES_LIST.includes(s.recipe)) throw new Error(`recipe must be one of ${RECIPES_LIST.join(', ')}, not ${String(s.recipe)}`);
  if (!LR_SCHEDULES.includes(s.schedule)) throw new Error(`schedule must be one of ${LR_SCHEDULES.join(', ')}, not ${String(s.schedule)}`);
  if (!(s.momentum >= 0 && s.momentum < 1)) throw new Error(`momentum must be in [0, 1), not ${s.momentum}`);
  if (!(s.weightDecay >= 0 && Number.isFinite(s.weightDecay))) throw new Error(`weightDecay must be >= 0, not ${s.weightDecay}`);
  if (!(s.bnMomentum > 0 && s.bnMomentum <= 1)) throw new Error(`bnMomentum must be in (0, 1], not ${s.bnMomentum}`);
  return s;
}
