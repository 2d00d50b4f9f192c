/**
 * The Train tab's settings: the run's settings (fields, ranges and defaults from the training
 * settings schema, src/workers/training/settings.ts), the recipe (paper or fast) with each of its
 * tricks as a toggle and its one-line why, the memory estimate (the worker's own plan,
 * src/workers/training/memory.ts, on the backend in use), and the run controls.
 */
import { useId } from 'react';
import { CIFAR_IMAGE_SIZE, CIFAR_LAYOUTS, classCount } from '../../../data/format';
import { formatBytes, formatShort } from '../../../models';
import type { Model } from '../../../store/currentModel';
import { useExplorer } from '../../../store/explorer';
import { useRuntime } from '../../../store/runtime';
import { training, useTraining } from '../../../store/training';
import { chooseRecipe, enterField, fieldValue, recipeLabel, type TrainForm } from '../../../store/training/form';
import { useNumberDraft } from '../../controls/fields';
import { backendLabel } from '../../../workers/errors';
import { memoryRefusal, planMicroBatchSize, planTrainingMemory, stepBytes, trainingMemoryBudget } from '../../../workers/training/memory';
import { LR_SCHEDULES, type LrSchedule } from '../../../workers/training/schedule';
import {
  NUMERIC_SETTING_FIELDS,
  type NumericSettingField,
  RECIPES_LIST,
  RECIPE_BOOLEAN_FIELDS,
  RECIPE_NUMERIC_FIELDS,
  type Recipe,
  SCHEDULE_LABELS,
  SETTING_FIELDS,
} from '../../../workers/training/settings';
import { RunControls } from './RunControls';

/**
 * The backend a run will use: the running worker's, else the one asked for; the automatic choice
 * plans for the smaller budget (WebGPU's).
 */
function useTrainingBackend(): string {
  const running = useRuntime((s) => s.info?.backend);
  const asked = useExplorer((s) => s.backend);
  return running ?? (asked === 'auto' ? 'webgpu' : asked);
}

/** What the tab shows beside a box where the schema's label is long; the box keeps the whole label as its name. */
const SHORT_LABELS: Partial<Record<NumericSettingField['key'], string>> = {
  steps: 'Steps',
  timeBudgetMinutes: 'Minutes',
  warmup: 'Warm-up',
  labelSmoothing: 'Label smoothing',
  emaDecay: 'Average decay',
};

/**
 * A numeric setting: free typing, committed on Enter or blur (useNumberDraft), the error under the
 * box; nothing out of range reaches the form (nor the URL). The box is named by the schema's whole
 * label ("Steps (0 = epochs)"); the tab shows a short one where that is long, the whole label and
 * the why as its tooltip.
 */
function NumberField({ field, value, disabled, onEnter }: { field: NumericSettingField; value: number; disabled: boolean; onEnter: (value: number) => void }) {
  const id = useId();
  const { error, inputProps } = useNumberDraft({ value, min: field.min, max: field.max, integer: field.integer, onCommit: onEnter, disabled });
  const short = SHORT_LABELS[field.key];
  return (
    <div className={`field${error ? ' invalid' : ''}`} title={field.why ? `${field.label}: ${field.why}` : field.label}>
      <label htmlFor={id}>{short ?? field.label}</label>
      <input
        id={id}
        {...inputProps}
        aria-label={short ? field.label : undefined}
        step={field.integer ? 1 : 'any'}
        disabled={disabled}
        aria-invalid={error !== ''}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      {error && (
        <p className="field-errors" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A numeric setting of the form, wired to the store. */
function FormNumber({ field, busy }: { field: NumericSettingField; busy: boolean }) {
  const value = useTraining((s) => fieldValue(s.form, field));
  return <NumberField field={field} value={value ?? field.min} disabled={busy} onEnter={(v) => training.updateForm(enterField(training.state.form, field, v))} />;
}

/**
 * The memory estimate in one line (what a step needs against what the backend holds, and the
 * verdict); the whole account, and a refusal's sentence, when opened. The refusal's sentence is also
 * what Train answers.
 */
function MemoryEstimate({ model, batchSize }: { model: Model; batchSize: number }) {
  const backend = useTrainingBackend();
  const plan = planTrainingMemory(model.shown.stats.totals, trainingMemoryBudget(backend));
  const refusal = memoryRefusal(plan, backend, batchSize);
  const micro = refusal ? undefined : planMicroBatchSize(plan, batchSize);
  const total = stepBytes(plan, Math.min(batchSize, micro ?? batchSize));
  const verdict = refusal ? 'too large to train here' : micro ? `runs as micro-batches of ${micro}` : 'fits';
  return (
    <details className={`memory-estimate hint${refusal ? ' field-errors' : ''}`} data-testid="memory-estimate">
      <summary>
        Memory at batch {batchSize}: {formatBytes(stepBytes(plan, batchSize))} of ~{formatBytes(plan.budgetBytes)} on {backendLabel(backend)} — {verdict}
      </summary>
      <p>
        {formatShort(plan.parameters)} parameters: {formatBytes(plan.stateBytes)} of weights, gradients and momentum; about {formatBytes(plan.bytesPerImage)} per image, the counted
        activations times tfjs' measured overhead (the run measures it).
        {refusal
          ? ` ${refusal}`
          : micro
            ? ` The run will split each batch into micro-batches of ${micro} (${formatBytes(total)} a step; BatchNorm normalises per micro-batch), or choose batch ${plan.maxImages} or less.`
            : ''}
      </p>
    </details>
  );
}

export function SettingsPanel({ model }: { model: Model }) {
  const kind = useTraining((s) => s.kind);
  const batchSize = useTraining((s) => s.form.batchSize);
  const schedule = useTraining((s) => s.form.schedule);
  const augment = useTraining((s) => s.form.augment);
  const busy = useTraining((s) => s.state !== 'idle');
  const spec = model.shown.spec;
  const specFits = spec.input.resolution === CIFAR_IMAGE_SIZE && spec.input.classes === classCount(kind);
  return (
    <section className="control-section train-settings" aria-label="Training settings">
      <h3>Train {spec.name}</h3>
      {!specFits && (
        <p role="alert" className="field-errors">
          This model is built for {spec.input.resolution} px and {spec.input.classes} classes: set the Dataset dial to {CIFAR_LAYOUTS[kind].title} (or pick a CIFAR preset).
        </p>
      )}
      <div className="equivalence-form train-form">
        {NUMERIC_SETTING_FIELDS.map((field) => (
          <FormNumber key={field.key} field={field} busy={busy} />
        ))}
        <label className="field train-schedule">
          <span>Schedule</span>
          <select value={schedule} disabled={busy} onChange={(e) => training.updateForm({ ...training.state.form, schedule: e.target.value as LrSchedule })}>
            {LR_SCHEDULES.map((s) => (
              <option key={s} value={s}>
                {SCHEDULE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="toggle" title={AUGMENT_WHY}>
          <input type="checkbox" checked={augment} disabled={busy} onChange={(e) => training.updateForm({ ...training.state.form, augment: e.target.checked })} /> pad-4 crop + flip
        </label>
      </div>
      <RecipeFields busy={busy} />
      <MemoryEstimate model={model} batchSize={batchSize} />
      <RunControls spec={spec} specFits={specFits} />
    </section>
  );
}

const RECIPE_WHY = SETTING_FIELDS.find((f) => f.key === 'recipe')?.why;
const AUGMENT_WHY = SETTING_FIELDS.find((f) => f.key === 'augment')?.why;

/** Short names of the tricks for the recipe's one-line summary. */
const TRICK_SHORT: Record<string, string> = {
  nesterov: 'Nesterov',
  zeroInitResidual: 'zero-init',
  tta: 'flip at test',
};

/** The tricks that are on, in a few words: "Nesterov, label smoothing 0.2, …" (warm-up only counts with a schedule that uses it). */
function tricksOn(form: TrainForm): string {
  const on: string[] = [];
  if (form.schedule === 'triangular') on.push(`warm-up ${form.warmup}`);
  if (form.labelSmoothing > 0) on.push(`label smoothing ${form.labelSmoothing}`);
  for (const f of RECIPE_BOOLEAN_FIELDS) if (form[f.key]) on.push(f.key === 'ema' ? `weight averaging ${form.emaDecay}` : (TRICK_SHORT[f.key] ?? f.label));
  return on.length ? on.join(', ') : "none (the paper's recipe, ResNeXt Sec. 5.3)";
}

/**
 * The recipe: choosing one sets the schedule and its tricks. The tricks sit in a disclosure whose
 * summary says which are on; opened, each is a toggle (or a number) with its one-line why.
 */
function RecipeFields({ busy }: { busy: boolean }) {
  const form = useTraining((s) => s.form);
  return (
    <fieldset className="recipe" aria-label="Recipe" data-testid="recipe">
      <div className="recipe-head">
        <label className="field inline" title={`paper: ResNeXt's CIFAR recipe (Sec. 5.3); fast: warm-up, Nesterov, smoothing, averaging, zero-init, flip at test. The recipe ${RECIPE_WHY}`}>
          <span>Recipe</span>
          <select value={form.recipe} disabled={busy} onChange={(e) => training.updateForm(chooseRecipe(training.state.form, e.target.value as Recipe))}>
            {RECIPES_LIST.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <span className="recipe-status" data-testid="recipe-status">
          {recipeLabel(form)}
        </span>
      </div>
      <details className="recipe-tricks">
        <summary data-testid="recipe-tricks-summary">Tricks: {tricksOn(form)}</summary>
        <p className="hint">{RECIPE_WHY}; a trick changed afterwards keeps the name, marked "modified".</p>
        <ul>
          {RECIPE_BOOLEAN_FIELDS.map((f) => (
            <li key={f.key} title={f.why}>
              <label className="toggle">
                <input type="checkbox" checked={form[f.key]} disabled={busy} onChange={(e) => training.updateForm({ ...training.state.form, [f.key]: e.target.checked })} /> {f.label}
              </label>
              <span className="hint"> — {f.why}</span>
            </li>
          ))}
          {RECIPE_NUMERIC_FIELDS.map((f) => (
            <li key={f.key}>
              <FormNumber field={f} busy={busy} />
              <span className="hint">{f.why}</span>
            </li>
          ))}
          <li>
            <span className="hint">
              Schedule "{SCHEDULE_LABELS.triangular}" is the fast recipe's; the time budget (Minutes: {NUMERIC_SETTING_FIELDS.find((f) => f.key === 'timeBudgetMinutes')?.why}) works with either
              recipe.
            </span>
          </li>
        </ul>
      </details>
    </fieldset>
  );
}
