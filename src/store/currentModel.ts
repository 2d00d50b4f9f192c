/**
 * The model on screen, derived from the store: preset + dials -> spec -> analyze. When the dials
 * describe something that cannot be built, the errors are returned and the last valid model
 * stays on screen.
 */
import { useMemo, useState } from 'react';
import { type ArchSpec, type Preset, type SpecError, type ValidAnalysis, analyze, analyzeOrThrow, findPreset, DEFAULT_PRESET } from '../models';
import { type DialValues, effectiveDials, specFromDials } from './dials';
import { useExplorer } from './explorer';

export interface Model {
  preset: Preset;
  dials: DialValues;
  spec: ArchSpec;
  /** The dialled model before compound scaling: what phi scales. */
  base: ArchSpec;
  /** What is drawn: the current model if valid, else the last valid one. */
  shown: ValidAnalysis;
  /** Validation errors of the current dials (empty when valid). */
  errors: SpecError[];
}

const presetAnalysis = (preset: Preset): ValidAnalysis => analyzeOrThrow(preset.spec, `preset ${preset.name} does not validate`);

export function useModel(): Model {
  const presetName = useExplorer((s) => s.preset);
  const rawDials = useExplorer((s) => s.dials);
  const preset = findPreset(presetName) ?? (findPreset(DEFAULT_PRESET) as Preset);
  const spec = useMemo(() => specFromDials(preset, rawDials), [preset, rawDials]);
  const base = useMemo(() => specFromDials(preset, { ...rawDials, compound: false }), [preset, rawDials]);
  const dials = useMemo(() => effectiveDials(preset, rawDials), [preset, rawDials]);
  const analysis = useMemo(() => analyze(spec), [spec]);
  // "Storing information from previous renders" (React docs): keep the last model that built.
  const [lastValid, setLastValid] = useState<ValidAnalysis>(() => (analysis.ok ? analysis : presetAnalysis(preset)));
  if (analysis.ok && analysis !== lastValid) setLastValid(analysis);
  return { preset, dials, spec, base, shown: analysis.ok ? analysis : lastValid, errors: analysis.ok ? [] : analysis.errors };
}

/** Which control a validation error belongs next to. */
export type ControlId = 'dataset' | 'resolution' | 'cardinality' | 'bottleneckWidth' | 'blocks' | 'widths' | 'form' | 'design' | 'compound' | 'general';

export function controlOf(error: SpecError): ControlId {
  const f = error.field;
  if (f === 'input.resolution') return 'resolution';
  if (f === 'input.classes') return 'dataset';
  if (f === 'cardinality') return 'cardinality';
  if (f === 'bottleneckWidth' || f === 'expansion') return 'bottleneckWidth';
  if (/^stages\[\d+\]\.blocks$/.test(f)) return 'blocks';
  if (/^stages\[\d+\]\.(planes|width)$/.test(f)) return 'widths';
  if (/^stages\[\d+\]\.groups$/.test(f)) return 'design';
  if (f === 'form') return 'form';
  if (f === 'depthMultiplier' || f === 'widthMultiplier') return 'compound';
  return 'general';
}

export function errorsFor(errors: SpecError[], control: ControlId): SpecError[] {
  return errors.filter((e) => controlOf(e) === control);
}
