import type { BlockDesign } from '../../store/dials';
import { useExplorer } from '../../store/explorer';
import { type Model, errorsFor } from '../../store/currentModel';
import { Choice, Section, Toggle } from './fields';

const DESIGNS: { value: BlockDesign; label: string }[] = [
  { value: 'resnet', label: 'bottleneck (×4)' },
  { value: 'resgroupfix', label: 'ResGroupFix (C groups)' },
  { value: 'resgroup', label: 'ResGroup (32 ch / group)' },
];

/** iResNet's three changes, each usable alone (Duta et al. Sec. 3). */
export function IResNetControls({ model, disabled }: { model: Model; disabled: boolean }) {
  const setDial = useExplorer((s) => s.setDial);
  const setCardinality = useExplorer((s) => s.setCardinality);
  const r = model.dials.resnet;
  if (!r) return null;
  return (
    <Section title="iResNet" testId="controls-iresnet">
      <Toggle label="ResStage (Start / Middle / End blocks)" checked={r.resStage} disabled={disabled} onChange={(v) => setDial('resStage', v)} />
      <Toggle
        label="Improved shortcut (max pool → 1×1 conv)"
        checked={r.improvedShortcut}
        disabled={disabled}
        onChange={(v) => setDial('improvedShortcut', v)}
      />
      <Toggle
        label="Stem max pool"
        checked={r.stemMaxPool}
        disabled={disabled}
        onChange={(v) => setDial('stemMaxPool', v)}
        hint="iResNet drops it and strides conv2 by 2 instead"
      />
      <Choice
        legend="Block design"
        value={r.design}
        options={DESIGNS}
        disabled={disabled}
        errors={errorsFor(model.errors, 'design')}
        onChange={(v) => {
          setDial('design', v);
          // ResGroup(Fix)-50: a 3x3 of 256 channels in the first stage = 64 groups of 4.
          if (v !== 'resnet' && r.design === 'resnet') {
            setDial('bottleneckWidth', 4);
            setCardinality(64);
          }
        }}
      />
    </Section>
  );
}
