import { EFFICIENTNET_RELEASES, compoundMultipliers } from '../../models';
import { dialCheck, useExplorer } from '../../store/explorer';
import { type Model, errorsFor } from '../../store/currentModel';
import { FieldErrors, NumberDial, Section, Toggle } from './fields';

/** How far alpha·beta²·gamma² may be from 2 before we warn (the paper's constraint is "~2"). */
const PRODUCT_TOLERANCE = 0.1;

/** EfficientNet compound scaling (Sec. 3.3): phi, alpha, beta, gamma, for any base model. */
export function CompoundControls({ model, disabled }: { model: Model; disabled: boolean }) {
  const setDial = useExplorer((s) => s.setDial);
  const { compound, phi, alpha, beta, gamma } = model.dials;
  const m = compoundMultipliers({ phi, alpha, beta, gamma });
  const off = Math.abs(m.flopsBase - 2) > PRODUCT_TOLERANCE;
  const base = model.preset.spec;
  return (
    <Section title="Compound scaling (EfficientNet)" testId="controls-compound">
      <Toggle label={`Scale this ${base.family === 'resnet' ? 'ResNet' : 'EfficientNet'} by φ`} checked={compound} disabled={disabled} onChange={(v) => setDial('compound', v)} />
      <NumberDial label="φ (compound coefficient)" value={phi} min={0} max={8} step={0.5} onChange={(v) => setDial('phi', v)} validate={dialCheck.dial('phi')} disabled={disabled} testId="dial-phi" />
      <NumberDial label="α (depth)" value={alpha} min={1} max={3} step={0.01} onChange={(v) => setDial('alpha', v)} validate={dialCheck.dial('alpha')} disabled={disabled} />
      <NumberDial label="β (width)" value={beta} min={1} max={3} step={0.01} onChange={(v) => setDial('beta', v)} validate={dialCheck.dial('beta')} disabled={disabled} />
      <NumberDial label="γ (resolution)" value={gamma} min={1} max={3} step={0.01} onChange={(v) => setDial('gamma', v)} validate={dialCheck.dial('gamma')} disabled={disabled} />
      <p className={`formula${off ? ' warning' : ''}`} data-testid="compound-product" role={off ? 'status' : undefined}>
        α·β²·γ² = {m.flopsBase.toFixed(3)}
        {off ? ' — far from 2: FLOPs will not grow by ~2^φ' : ' ≈ 2'}
      </p>
      <p className="formula" data-testid="compound-multipliers">
        depth ×{m.depth.toFixed(3)}, width ×{m.width.toFixed(3)}, resolution ×{m.resolution.toFixed(3)} ({Math.round(base.input.resolution * m.resolution)} px);
        ideal FLOPs ×{m.flopsFactor.toFixed(2)}
      </p>
      <FieldErrors errors={errorsFor(model.errors, 'compound')} />
      <details>
        <summary>Released B0–B7 beside the pure formula</summary>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">model</th>
              <th scope="col">φ</th>
              <th scope="col">depth α^φ</th>
              <th scope="col">released</th>
              <th scope="col">width β^φ</th>
              <th scope="col">released</th>
              <th scope="col">res 224·γ^φ</th>
              <th scope="col">released</th>
            </tr>
          </thead>
          <tbody>
            {EFFICIENTNET_RELEASES.map((r, k) => {
              const f = compoundMultipliers({ phi: k, alpha, beta, gamma });
              return (
                <tr key={r.name}>
                  <th scope="row">B{k}</th>
                  <td>{k}</td>
                  <td>{f.depth.toFixed(2)}</td>
                  <td>{r.depth.toFixed(1)}</td>
                  <td>{f.width.toFixed(2)}</td>
                  <td>{r.width.toFixed(1)}</td>
                  <td>{Math.round(224 * f.resolution)}</td>
                  <td>{r.resolution}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
    </Section>
  );
}
