import { PRESETS, type PresetGroup } from '../models';
import { useSpecStore } from '../store/spec';

const groups = PRESETS.reduce((map, p) => map.set(p.group, [...(map.get(p.group) ?? []), p.name]), new Map<PresetGroup, string[]>());

export function PresetPicker() {
  const presetName = useSpecStore((s) => s.presetName);
  const selectPreset = useSpecStore((s) => s.selectPreset);
  return (
    <label className="field">
      <span>Preset</span>
      <select value={presetName} onChange={(e) => selectPreset(e.target.value)}>
        {[...groups].map(([group, names]) => (
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
  );
}
