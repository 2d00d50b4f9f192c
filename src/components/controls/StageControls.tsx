import { useId } from 'react';
import { dialCheck, useExplorer } from '../../store/explorer';
import { type Model, errorsFor } from '../../store/currentModel';
import { FieldErrors, Section, useNumberDraft } from './fields';

/** One stage's number box: committed on Enter or blur, its error under it. */
function StageBox({ label, value, max, current, stage, field, disabled }: { label: string; value: number; max: number; current: number[]; stage: number; field: 'blocks' | 'planes'; disabled: boolean }) {
  const setStageDial = useExplorer((s) => s.setStageDial);
  const errorId = useId();
  const { error, inputProps } = useNumberDraft({
    value,
    min: 1,
    max,
    integer: true,
    onCommit: (v) => setStageDial(field, stage, v, current),
    validate: dialCheck.stage(field, stage, current),
    disabled,
  });
  return (
    <>
      <input {...inputProps} aria-label={label} disabled={disabled} aria-invalid={error !== ''} aria-describedby={error ? errorId : undefined} />
      {error && (
        <small className="field-errors" id={errorId} role="alert">
          {error}
        </small>
      )}
    </>
  );
}

/** Blocks per stage (depth) and stage widths (planes), one number box per stage. */
export function StageControls({ model, disabled }: { model: Model; disabled: boolean }) {
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
                  <StageBox label={`${row.label} in conv${i + 2}`} value={v} max={row.max} current={row.values} stage={i} field={row.key} disabled={disabled} />
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
