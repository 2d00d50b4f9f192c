import { type BlockForm, type ComplexityMetric, type ComplexityScope, type ResNetSpec, formatInt, templateBlockFormula } from '../../models';
import { useExplorer } from '../../store/explorer';
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
        errors={errorsFor(model.errors, 'bottleneckWidth')}
        disabled={disabled || preserve !== null}
        hint={preserve ? 'solved to keep the budget below' : 'width of one branch in the first stage; doubles with the stage width'}
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
