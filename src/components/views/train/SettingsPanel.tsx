/**
 * The Train tab's settings: the run's settings (fields, ranges and defaults from the training
 * settings schema, src/workers/training/settings.ts), the recipe (paper or fast) with each of its
 * tricks as a toggle and its one-line why, the memory estimate (the worker's own plan,
 * src/workers/training/memory.ts, on the backend in use), and the run controls.
 */
import { useState } from 'react';
import { CIFAR_IMAGE_SIZE, CIFAR_LAYOUTS, classCount } from '../../../data/format';
import { formatBytes, formatShort } from '../../../models';
import type { Model } from '../../../store/currentModel';
import { useExplorer } from '../../../store/explorer';
import { useRuntime } from '../../../store/runtime';
import { training, useTraining } from '../../../store/training';
import { chooseRecipe, enterField, fieldValue, recipeLabel } from '../../../store/training/form';
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

/**
 * A numeric setting. What is typed shows as typed while the field has focus (so "16" can be typed
 * into a field whose minimum is 2); the setting takes it kept in range at once, and the field shows
 * the setting when it loses focus.
 */
function NumberField({ field, value, disabled, onEnter }: { field: NumericSettingField; value: number | undefined; disabled: boolean; onEnter: (value: number) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <label className="field" title={field.why}>
      <span>{field.label}</span>
      <input
        type="number"
        min={field.min}
        max={field.max}
        step={field.integer ? undefined : 0.01}
        value={draft ?? value ?? ''}
        disabled={disabled}
        onChange={(e) => {
          setDraft(e.target.value);
          if (e.target.value !== '') onEnter(Number(e.target.value));
        }}
        onBlur={() => setDraft(null)}
      />
    </label>
  );
}

export function SettingsPanel({ model }: { model: Model }) {
  const kind = useTraining((s) => s.kind);
  const form = useTraining((s) => s.form);
  const busy = useTraining((s) => s.state !== 'idle');
  const spec = model.shown.spec;
  const backend = useTrainingBackend();
  const plan = planTrainingMemory(model.shown.stats.totals, trainingMemoryBudget(backend));
  const refusal = memoryRefusal(plan, backend, form.batchSize);
  const micro = refusal ? undefined : planMicroBatchSize(plan, form.batchSize);
  const total = stepBytes(plan, Math.min(form.batchSize, micro ?? form.batchSize));
  const specFits = spec.input.resolution === CIFAR_IMAGE_SIZE && spec.input.classes === classCount(kind);
  return (
    <section className="control-section" aria-label="Training settings">
      <h3>Train {spec.name}</h3>
      {!specFits && (
        <p role="alert" className="field-errors">
          This model is built for {spec.input.resolution} px and {spec.input.classes} classes: set the Dataset dial to {CIFAR_LAYOUTS[kind].title} (or pick a CIFAR preset).
        </p>
      )}
      <div className="equivalence-form">
        {NUMERIC_SETTING_FIELDS.map((field) => (
          <NumberField key={field.key} field={field} value={fieldValue(form, field)} disabled={busy} onEnter={(v) => training.updateForm(enterField(training.state.form, field, v))} />
        ))}
        <label className="field">
          <span>Schedule</span>
          <select value={form.schedule} disabled={busy} onChange={(e) => training.updateForm({ ...form, schedule: e.target.value as LrSchedule })}>
            {LR_SCHEDULES.map((s) => (
              <option key={s} value={s}>
                {SCHEDULE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={form.augment} disabled={busy} onChange={(e) => training.updateForm({ ...form, augment: e.target.checked })} /> pad-4 crop + flip
        </label>
      </div>
      <RecipeFields busy={busy} />
      <p className={`hint${refusal ? ' field-errors' : ''}`} data-testid="memory-estimate">
        Training memory estimate at batch {form.batchSize} on {backendLabel(backend)}: {formatBytes(stepBytes(plan, form.batchSize))} ({formatShort(plan.parameters)} parameters:{' '}
        {formatBytes(plan.stateBytes)} of weights, gradients and momentum; about {formatBytes(plan.bytesPerImage)} per image, the counted activations times tfjs' measured
        overhead; the run measures it) against the ~{formatBytes(plan.budgetBytes)} the backend holds
        {refusal
          ? ` — ${refusal}`
          : micro
            ? ` — the run will split each batch into micro-batches of ${micro} (${formatBytes(total)} a step; BatchNorm normalises per micro-batch), or choose batch ${plan.maxImages} or less.`
            : '.'}
      </p>
      <RunControls spec={spec} specFits={specFits} />
    </section>
  );
}

const RECIPE_WHY = SETTING_FIELDS.find((f) => f.key === 'recipe')?.why;

/** The recipe and its tricks: choosing a recipe sets them; each stays a toggle with its one-line why. */
function RecipeFields({ busy }: { busy: boolean }) {
  const form = useTraining((s) => s.form);
  return (
    <fieldset className="recipe" aria-label="Recipe" data-testid="recipe">
      <legend>
        Recipe: <span data-testid="recipe-status">{recipeLabel(form)}</span>
      </legend>
      <label className="field inline">
        <span>Recipe</span>
        <select value={form.recipe} disabled={busy} onChange={(e) => training.updateForm(chooseRecipe(training.state.form, e.target.value as Recipe))}>
          {RECIPES_LIST.map((r) => (
            <option key={r} value={r}>
              {r === 'paper' ? 'paper (ResNeXt, Sec. 5.3)' : 'fast (warm-up, Nesterov, smoothing, averaging, zero-init, flip TTA)'}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">{RECIPE_WHY}; a trick changed afterwards keeps the name, marked "modified".</p>
      <ul className="recipe-tricks">
        {RECIPE_BOOLEAN_FIELDS.map((f) => (
          <li key={f.key}>
            <label className="toggle">
              <input type="checkbox" checked={form[f.key]} disabled={busy} onChange={(e) => training.updateForm({ ...training.state.form, [f.key]: e.target.checked })} /> {f.label}
            </label>
            <span className="hint"> — {f.why}</span>
          </li>
        ))}
        {RECIPE_NUMERIC_FIELDS.map((f) => (
          <li key={f.key}>
            <NumberField field={f} value={fieldValue(form, f)} disabled={busy} onEnter={(v) => training.updateForm(enterField(training.state.form, f, v))} />
            <span className="hint"> — {f.why}</span>
          </li>
        ))}
        <li>
          <span className="hint">
            Schedule "{SCHEDULE_LABELS.triangular}" is the fast recipe's; the time budget above (its why: {NUMERIC_SETTING_FIELDS.find((f) => f.key === 'timeBudgetMinutes')?.why}) works with either recipe.
          </span>
        </li>
      </ul>
    </fieldset>
  );
}
