/** Labelled inputs shared by the control panels: every control has a label and shows its errors. */
import { type ReactNode, useId } from 'react';
import type { SpecError } from '../../models';

export function FieldErrors({ errors, id }: { errors: SpecError[]; id?: string }) {
  if (errors.length === 0) return null;
  return (
    <ul className="field-errors" id={id} role="alert">
      {errors.map((e) => (
        <li key={e.field + e.message}>{e.message}</li>
      ))}
    </ul>
  );
}

interface NumberDialProps {
  label: ReactNode;
  value: number;
  min: number;
  max: number;
  step?: number;
  /** The slider's range when the number box allows more (e.g. C up to 4096, slider to 64). */
  sliderMax?: number;
  onChange: (value: number) => void;
  errors?: SpecError[];
  disabled?: boolean;
  hint?: ReactNode;
  testId?: string;
}

/** A slider with a number box beside it: drag for exploring, type for exact values. */
export function NumberDial({ label, value, min, max, step = 1, sliderMax, onChange, errors = [], disabled, hint, testId }: NumberDialProps) {
  const id = useId();
  const errorId = `${id}-errors`;
  const commit = (raw: string) => {
    const n = Number(raw);
    if (raw !== '' && Number.isFinite(n)) onChange(step >= 1 ? Math.round(n) : n);
  };
  return (
    <div className={`dial${errors.length ? ' invalid' : ''}`} data-testid={testId}>
      <label htmlFor={id}>{label}</label>
      <div className="dial-inputs">
        <input
          type="range"
          aria-label={typeof label === 'string' ? `${label} slider` : undefined}
          min={min}
          max={sliderMax ?? max}
          step={step}
          value={Math.min(value, sliderMax ?? max)}
          disabled={disabled}
          onChange={(e) => commit(e.target.value)}
        />
        <input
          id={id}
          type="number"
          min={min}
          max={max}
          step={step}
          value={value}
          disabled={disabled}
          aria-invalid={errors.length > 0}
          aria-describedby={errors.length ? errorId : undefined}
          onChange={(e) => commit(e.target.value)}
        />
      </div>
      {hint && <div className="hint">{hint}</div>}
      <FieldErrors errors={errors} id={errorId} />
    </div>
  );
}

interface ToggleProps {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
  hint?: ReactNode;
}

export function Toggle({ label, checked, onChange, disabled, hint }: ToggleProps) {
  return (
    <div className="toggle">
      <label>
        <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      {hint && <div className="hint">{hint}</div>}
    </div>
  );
}

interface ChoiceProps<T extends string> {
  legend: string;
  value: T;
  options: { value: T; label: ReactNode }[];
  onChange: (value: T) => void;
  disabled?: boolean;
  errors?: SpecError[];
}

/** A radio group in a fieldset: keyboard operable with the arrow keys. */
export function Choice<T extends string>({ legend, value, options, onChange, disabled, errors = [] }: ChoiceProps<T>) {
  const name = useId();
  return (
    <fieldset className="choice" disabled={disabled}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value}>
          <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
      <FieldErrors errors={errors} />
    </fieldset>
  );
}

export function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="control-section" aria-label={title} data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}
