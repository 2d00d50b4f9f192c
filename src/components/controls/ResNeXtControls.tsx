import { type BlockForm, type ComplexityMetric, type ComplexityScope, type ResNetSpec, currentCost, formatInt, templateBlockFormula } from '../../models';
import { dialCheck, useExplorer } from '../../store/explorer';
import { type Model, errorsFor } from '../../store/currentModel';
import { Choice, NumberDial, Section, Toggle } from './fields';

type PreserveMode = 'off' | `${ComplexityScope}-${ComplexityMetric}`;

const PRESERVE_OPTIONS: { value: PreserveMode; label: string }[] = [
  { value: 'off', label: 'off' },
  { value: 'block-params', label: 'block (Table 2)' },
  { value: 'network-params', label: 'network params' },
  { value: 'network-macs', label: 'network MACs' },
];

const FORM_OPTIONS: { value: BlockForm; label: string }[] = [
  { value: 'a', label: '(a) aggregated' },
  { value: 'b', label: '(b) concatenation' },
  { value: 'c', label: '(c) grouped conv' },
];

/**
 * What preserve-complexity's d gives: whole channels rarely hit the budget exactly, so the solver
 * takes the closest d, and the hint says by how much it misses (8x14d: 71,456 vs 70,144).
 */
function solvedHint(cost: number | undefined, target: number): string {
  if (cost === undefined) return 'solved for the closest cost to the budget below';
  const diff = cost - target;
  if (diff === 0) return 'solved: exactly the budget below';
  return `solved for the closest cost to the budget below: ${formatInt(cost)}, ${formatInt(Math.abs(diff))} ${diff > 0 ? 'over' : 'under'} (${diff > 0 ? '+' : '−'}${((100 * Math.abs(diff)) / target).toFixed(1)}%)`;
}

/** Cardinality, bottleneck width, preserve complexity, block form and shortcuts (ResNeXt Sec. 3-5). */
export function ResNeXtControls({ model, disabled }: { model: Model; disabled: boolean }) {
  const setCardinality = useExplorer((s) => s.setCardinality);
  const setDial = useExplorer((s) => s.setDial);
  const preserve = useExplorer((s) => s.preserve);
  const setPreserve = useExplorer((s) => s.setPreserve);
  const r = model.dials.resnet;
  if (!r) return null;
  const spec = model.spec as ResNetSpec;
  const mode: PreserveMode = preserve ? `${preserve.scope}-${preserve.metric}` : 'off';
  const solved = preserve && model.base.family === 'resnet' ? currentCost(model.base, preserve.scope, preserve.metric) : undefined;
  const budget = preserve && (preserve.scope === 'block' ? `${formatInt(preserve.target)} conv params per conv2 block` : `${formatInt(preserve.target)} ${preserve.metric === 'params' ? 'params' : 'MACs'} in the network`);
  return (
    <Section title="ResNeXt: cardinality and width" testId="controls-resnext">
      <NumberDial
        label="Cardinality C"
        value={r.cardinality}
        min={1}
        max={4096}
        sliderMax={64}
        onChange={setCardinality}
        validate={dialCheck.cardinality}
        errors={errorsFor(model.errors, 'cardinality')}
        disabled={disabled}
        testId="dial-cardinality"
      />
      <NumberDial
        label="Bottleneck width d"
        value={r.bottleneckWidth}
        min={1}
        max={8192}
        sliderMax={256}
        onChange={(v) => setDial('bottleneckWidth', v)}
        validate={dialCheck.dial('bottleneckWidth')}
        errors={errorsFor(model.errors, 'bottleneckWidth')}
        disabled={disabled || preserve !== null}
        hint={preserve ? solvedHint(solved, preserve.target) : 'width of one branch in the first stage; doubles with the stage width'}
        testId="dial-width"
      />
      <p className="formula" data-testid="template-formula">
        conv2 block: {templateBlockFormula(spec, r.cardinality, r.bottleneckWidth)}
      </p>
      <Choice
        legend="Preserve complexity when C changes"
        value={mode}
        options={PRESERVE_OPTIONS}
        disabled={disabled}
        onChange={(v) => setPreserve(v === 'off' ? null : { scope: v.split('-')[0] as ComplexityScope, metric: v.split('-')[1] as ComplexityMetric })}
      />
      {budget && <p className="hint" data-testid="preserve-budget">Budget: {budget}</p>}
      <Choice legend="Block form (Fig. 3)" value={r.form} options={FORM_OPTIONS} disabled={disabled} onChange={(v) => setDial('form', v)} errors={errorsFor(model.errors, 'form')} />
      <Toggle
        label="Shortcut connections"
        checked={model.dials.shortcuts}
        disabled={disabled}
        onChange={(v) => setDial('shortcuts', v)}
        hint="Off = the residual-connection ablation (ResNeXt-50: 22.2% → 26.1% top-1 error)"
      />
    </Section>
  );
}
