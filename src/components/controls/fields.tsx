/** Labelled inputs shared by the control panels: every control has a label and shows its errors. */
import { type ChangeEvent, type KeyboardEvent, type ReactNode, useId, useState } from 'react';
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

/** Why `raw` is not a number in [min, max] (whole when `integer`), or undefined when it is. */
export function numberProblem(raw: string, min: number, max: number, integer: boolean): string | undefined {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const wanted = `enter ${integer ? 'a whole number' : 'a number'} from ${fmt(min)} to ${fmt(max)}`;
  const text = raw.trim();
  if (text === '') return `Empty: ${wanted}.`;
  const n = Number(text);
  if (!Number.isFinite(n)) return `"${text}" is not a number: ${wanted}.`;
  if (n < min || n > max) return `${fmt(n)} is out of range: ${wanted}.`;
  if (integer && !Number.isInteger(n)) return `${fmt(n)} is not whole: ${wanted}.`;
  return undefined;
}

interface DraftOptions {
  value: number;
  min: number;
  max: number;
  integer: boolean;
  onCommit: (value: number) => void;
  /** Why a value in range is still refused (e.g. the model would not build), or undefined to accept it. */
  validate?: (value: number) => string | undefined;
  disabled?: boolean;
}

/**
 * A number box that edits freely and commits on Enter or blur. What is typed stays a draft (it can
 * be cleared, and typing 5 then gives 5); a draft that is not a number in range, or that `validate`
 * refuses, is kept on screen with its error and never reaches the store (nor the URL). Escape
 * drops the draft. `commitValue` takes a value at once (a slider), through the same checks.
 */
export function useNumberDraft({ value, min, max, integer, onCommit, validate, disabled }: DraftOptions) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState('');
  const commitValue = (n: number): boolean => {
    const problem = numberProblem(String(n), min, max, integer) ?? validate?.(n);
    if (problem) {
      setError(problem);
      return false;
    }
    setError('');
    setDraft(null);
    if (n !== value) onCommit(n);
    return true;
  };
  const commit = () => {
    if (draft === null) return;
    const problem = numberProblem(draft, min, max, integer);
    if (problem) setError(problem);
    else commitValue(Number(draft.trim()));
  };
  const shown = disabled ? String(value) : (draft ?? String(value));
  return {
    error: disabled ? '' : error,
    commitValue,
    inputProps: {
      type: 'number',
      inputMode: integer ? 'numeric' : 'decimal',
      value: shown,
      min,
      max,
      onChange: (e: ChangeEvent<HTMLInputElement>) => {
        setDraft(e.target.value);
        setError('');
      },
      onBlur: commit,
      onKeyDown: (e: KeyboardEvent<HTMLInputElement>) => {
        if (e.key === 'Enter') commit();
        else if (e.key === 'Escape') {
          setDraft(null);
          setError('');
        }
      },
    } as const,
  };
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
  /** Why a value in range is refused (see useNumberDraft). */
  validate?: (value: number) => string | undefined;
  errors?: SpecError[];
  disabled?: boolean;
  hint?: ReactNode;
  testId?: string;
}

/**
 * A slider with a number box beside it: drag for exploring, type for exact values (committed on
 * Enter or blur). The box's own error and the model's errors for this dial sit under it, and the box
 * names them with aria-describedby.
 */
export function NumberDial({ label, value, min, max, step = 1, sliderMax, onChange, validate, errors = [], disabled, hint, testId }: NumberDialProps) {
  const id = useId();
  const errorId = `${id}-errors`;
  const boxErrorId = `${id}-box-error`;
  const integer = step >= 1;
  const { error, commitValue, inputProps } = useNumberDraft({ value, min, max, integer, onCommit: onChange, validate, disabled });
  const describedBy = [error && boxErrorId, errors.length > 0 && errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`dial${errors.length || error ? ' invalid' : ''}`} data-testid={testId}>
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
          onChange={(e) => commitValue(integer ? Math.round(Number(e.target.value)) : Number(e.target.value))}
        />
        <input id={id} {...inputProps} step={step} disabled={disabled} aria-invalid={errors.length > 0 || error !== ''} aria-describedby={describedBy} />
      </div>
      {error && (
        <p className="field-errors" id={boxErrorId} role="alert" data-testid={testId && `${testId}-error`}>
          {error}
        </p>
      )}
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
