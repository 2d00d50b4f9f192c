import { useExplorer } from '../../store/explorer';
import { Choice, NumberDial, Section } from './fields';

export function MemoryControls({ disabled }: { disabled: boolean }) {
  const unit = useExplorer((s) => s.unit);
  const batch = useExplorer((s) => s.batch);
  const setUnit = useExplorer((s) => s.setUnit);
  const setBatch = useExplorer((s) => s.setBatch);
  return (
    <Section title="Units and memory" testId="controls-units">
      <Choice
        legend="Compute shown as"
        value={unit}
        disabled={disabled}
        options={[
          { value: 'macs', label: 'MACs (the papers’ “FLOPs”)' },
          { value: 'flops', label: 'FLOPs = 2 × MACs' },
        ]}
        onChange={setUnit}
      />
      <NumberDial label="Batch size (training memory)" value={batch} min={1} max={4096} sliderMax={512} onChange={setBatch} disabled={disabled} testId="dial-batch" />
    </Section>
  );
}
