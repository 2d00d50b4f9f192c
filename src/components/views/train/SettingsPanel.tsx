/**
 * The Train tab's settings: the run's settings (fields, ranges and defaults from the training
 * settings schema, src/workers/training/settings.ts), the memory estimate, and the run controls.
 */
import { useState } from 'react';
import { CIFAR_IMAGE_SIZE, CIFAR_LAYOUTS, classCount } from '../../../data/format';
import { formatBytes, trainingMemory } from '../../../models';
import type { Model } from '../../../store/currentModel';
import { training, useTraining } from '../../../store/training';
import { enterField, fieldValue } from '../../../store/training/form';
import { LR_SCHEDULES, type LrSchedule } from '../../../workers/training/schedule';
import { NUMERIC_SETTING_FIELDS, type NumericSettingField, SCHEDULE_LABELS } from '../../../workers/training/settings';
import { RunControls } from './RunControls';

/** A device budget for the memory warning: WebGPU's default max buffer (SwiftShader: 1 GiB) as a rough ceiling. */
const MEMORY_BUDGET = 1024 ** 3;

/**
 * A numeric setting. What is typed shows as typed while the field has focus (so "16" can be typed
 * into a field whose minimum is 2); the setting takes it kept in range at once, and the field shows
 * the setting when it loses focus.
 */
function NumberField({ field, value, disabled, onEnter }: { field: NumericSettingField; value: number | undefined; disabled: boolean; onEnter: (value: number) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <label className="field">
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
  const memory = trainingMemory(model.shown.stats, { batch: form.batchSize });
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
      <p className={`hint${memory.totalBytes > MEMORY_BUDGET ? ' field-errors' : ''}`} data-testid="memory-estimate">
        Training memory estimate at batch {form.batchSize}: {formatBytes(memory.totalBytes)} (activations, weights, gradients and momentum as the
        architecture counts them; tfjs keeps several times the activations: the run measures it and splits a batch that would not fit)
        {memory.totalBytes > MEMORY_BUDGET ? ` — more than the ~${formatBytes(MEMORY_BUDGET)} a browser GPU allows; try batch ${Math.max(1, Math.floor((form.batchSize * MEMORY_BUDGET) / memory.totalBytes))}.` : ''}
      </p>
      <RunControls spec={spec} specFits={specFits} />
    </section>
  );
}
