/**
 * The training settings schema: every setting a run takes, its default, the range the Train tab
 * offers, and the validation the trainer applies. Pure (no tfjs): the page imports it for the
 * settings form, the worker for the trainer, so the defaults have this one home.
 */
import { LR_SCHEDULES, type LrSchedule } from './schedule';

export interface TrainSettings {
  batchSize: number;
  /** Length of the run in epochs (of floor(N / batchSize) steps); `steps` overrides it. */
  epochs: number;
  steps?: number;
  /** Base (peak) learning rate of the schedule. */
  learningRate: number;
  schedule: LrSchedule;
  momentum: number;
  weightDecay: number;
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

/**
 * ResNeXt's CIFAR recipe (Sec. 5.3: SGD momentum 0.9, weight decay 5e-4, batch 128, lr 0.1, 300 epochs)
 * scaled to a browser: batch 32, lr 0.05 (the linear scaling rule, rounded up), a cosine schedule so a
 * short run ends annealed, 5 epochs.
 */
export const DEFAULT_TRAIN_SETTINGS: Readonly<TrainSettings> = {
  batchSize: 32,
  epochs: 5,
  learningRate: 0.05,
  schedule: 'cosine',
  momentum: 0.9,
  weightDecay: 5e-4,
  seed: 1,
  augment: true,
  bnMomentum: 0.1,
};

/** A numeric setting: the range the Train tab offers is the range the trainer accepts (resolveSettings). */
export interface NumericSettingField {
  key: 'batchSize' | 'epochs' | 'steps' | 'seed' | 'learningRate';
  label: string;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
  /** The form's value when the setting is unset (`steps`: 0 = run by epochs); not a value the trainer takes. */
  unset?: number;
}

/** Batch sizes a run takes: from 2 (BatchNorm needs batch statistics) to 512. */
export const BATCH_SIZE_RANGE = { min: 2, max: 512 } as const;

export const NUMERIC_SETTING_FIELDS: readonly NumericSettingField[] = [
  { key: 'batchSize', label: 'Batch size', ...BATCH_SIZE_RANGE, integer: true },
  { key: 'epochs', label: 'Epochs', min: 1, max: 1000, integer: true },
  { key: 'steps', label: 'Steps (0 = epochs)', min: 0, max: 100_000, integer: true, unset: 0 },
  { key: 'seed', label: 'Seed', min: 0, max: 1_000_000, integer: true },
  { key: 'learningRate', label: 'Learning rate', min: 1e-4, max: 2, integer: false },
];

export const SCHEDULE_LABELS: Readonly<Record<LrSchedule, string>> = {
  step: 'step (/10 at 50%, 75%)',
  cosine: 'cosine',
  onecycle: 'one-cycle',
  constant: 'constant',
};

const SETTING_KEYS: readonly (keyof TrainSettings)[] = [
  'batchSize',
  'epochs',
  'steps',
  'learningRate',
  'schedule',
  'momentum',
  'weightDecay',
  'seed',
  'augment',
  'bnMomentum',
  'evalBatchSize',
  'microBatchSize',
];

/** Throws a message naming `field` unless `value` is in its range (whole for an integer field; never its unset value). */
function checkField(field: NumericSettingField, value: number): void {
  const min = field.unset === field.min ? field.min + 1 : field.min;
  // A real-valued setting may sit a rounding error off its bound (the live rate slider sets 10 ** -4).
  const slack = field.integer ? 0 : 1e-9;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min * (1 - slack) && value <= field.max * (1 + slack) && (!field.integer || Number.isInteger(value));
  if (!ok) throw new Error(`${field.key} must be ${field.integer ? 'an integer' : 'a number'} from ${min} to ${field.max}${field.key === 'batchSize' ? ' (BatchNorm needs batch statistics)' : ''}, not ${value}`);
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
  for (const field of NUMERIC_SETTING_FIELDS) {
    const value = s[field.key];
    if (value !== undefined) checkField(field, value);
  }
  if (!LR_SCHEDULES.includes(s.schedule)) throw new Error(`schedule must be one of ${LR_SCHEDULES.join(', ')}, not ${String(s.schedule)}`);
  if (!(s.momentum >= 0 && s.momentum < 1)) throw new Error(`momentum must be in [0, 1), not ${s.momentum}`);
  if (!(s.weightDecay >= 0 && Number.isFinite(s.weightDecay))) throw new Error(`weightDecay must be >= 0, not ${s.weightDecay}`);
  if (!(s.bnMomentum > 0 && s.bnMomentum <= 1)) throw new Error(`bnMomentum must be in (0, 1], not ${s.bnMomentum}`);
  return s;
}
