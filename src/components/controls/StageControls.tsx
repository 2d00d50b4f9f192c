import { useExplorer } from '../../store/explorer';
import { type Model, errorsFor } from '../../store/currentModel';
import { FieldErrors, Section } from './fields';

/** Blocks per stage (depth) and stage widths (planes), one number box per stage. */
export function StageControls({ model, disabled }: { model: Model; disabled: boolean }) {
  const setStageDial = useExplorer((s) => s.setStageDial);
  const r = model.dials.resnet;
  if (!r) return null;
  const rows: { key: 'blocks' | 'planes'; label: string; values: number[]; max: number; control: 'blocks' | 'widths' }[] = [
    { key: 'blocks', label: 'Blocks', values: r.blocks, max: 1000, control: 'blocks' },
    { key: 'planes', label: 'Planes', values: r.planes, max: 65536, control: 'widths' },
  ];
  return (
    <Section title="Stages (depth and width)" testId="controls-stages">
      <table className="stage-dials">
        <thead>
          <tr>
            <th scope="col" />
            {r.blocks.map((_, i) => (
              <th scope="col" key={i}>
                conv{i + 2}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.values.map((v, i) => (
                <td key={i}>
                  <input
                    type="number"
                    aria-label={`${row.label} in conv${i + 2}`}
                    min={1}
                    max={row.max}
                    value={v}
                    disabled={disabled}
                    onChange={(e) => {
                      const n = Number(e.target.value);
                      if (e.target.value !== '' && Number.isFinite(n)) setStageDial(row.key, i, Math.round(n), row.values);
                    }}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">Block output = planes × expansion; the grouped 3×3 is C·d·(planes / first planes) wide.</p>
      <FieldErrors errors={[...errorsFor(model.errors, 'blocks'), ...errorsFor(model.errors, 'widths')]} />
    </Section>
  );
}
