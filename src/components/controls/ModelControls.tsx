import { PRESETS, type PresetGroup } from '../../models';
import { DATASETS, type Dataset } from '../../store/dials';
import { dialCheck, useExplorer } from '../../store/explorer';
import { type Model, errorsFor } from '../../store/currentModel';
import { FieldErrors, NumberDial, Section } from './fields';

const PRESET_GROUPS = PRESETS.reduce((map, p) => map.set(p.group, [...(map.get(p.group) ?? []), p.name]), new Map<PresetGroup, string[]>());

export function ModelControls({ model, disabled }: { model: Model; disabled: boolean }) {
  const selectPreset = useExplorer((s) => s.selectPreset);
  const setDataset = useExplorer((s) => s.setDataset);
  const setDial = useExplorer((s) => s.setDial);
  return (
    <Section title="Model" testId="controls-model">
      <label className="field">
        <span>Preset</span>
        <select value={model.preset.name} disabled={disabled} onChange={(e) => selectPreset(e.target.value)}>
          {[...PRESET_GROUPS].map(([group, names]) => (
            <optgroup key={group} label={group}>
              {names.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <p className="hint">{model.preset.description}</p>
      <label className="field">
        <span>Dataset</span>
        <select value={model.dials.dataset} disabled={disabled} onChange={(e) => setDataset(e.target.value as Dataset)}>
          {(Object.keys(DATASETS) as Dataset[]).map((d) => (
            <option key={d} value={d}>
              {DATASETS[d].label}
            </option>
          ))}
        </select>
      </label>
      <FieldErrors errors={errorsFor(model.errors, 'dataset')} />
      <NumberDial
        label="Input resolution (px)"
        value={model.dials.resolution}
        min={1}
        max={4096}
        sliderMax={640}
        onChange={(v) => setDial('resolution', v)}
        validate={dialCheck.dial('resolution')}
        errors={errorsFor(model.errors, 'resolution')}
        disabled={disabled}
        testId="dial-resolution"
        hint={model.dials.compound ? `compound scaling makes it ${model.spec.input.resolution} px` : undefined}
      />
    </Section>
  );
}
