/**
 * The run ledger: every run kept in IndexedDB, with its status, progress, accuracy, size and speed;
 * resume one from its checkpoint, export its metrics or weights, rename it, delete it (with Undo
 * for a few seconds), or overlay the loss curves of several. A run another tab is training shows its live progress there, read-only (no
 * resume, no delete: src/store/runs.ts).
 */
import { useEffect, useMemo, useState } from 'react';
import { UNDO_DELETE_MS, type RunRecord } from '../../../store/runs';
import { type ArchSpec, analyze, formatInt } from '../../../models';
import { useLedger } from '../../../store/runs';
import { training, useTraining } from '../../../store/training';
import { median, smooth, thin } from '../../../store/training/series';
import type { XYChartData } from '../../../viz/charts/types';
import { XYChart } from '../../charts/Chart';
import { downloadBlob, downloadText, fileStem } from '../../download';

/**
 * The weights a run was evaluated with: with weight averaging on, the average the checkpoint keeps
 * (`ema`: every state_dict entry, BatchNorm statistics included); otherwise the live weights.
 */
function evaluatedWeights(checkpoint: NonNullable<RunRecord['checkpoint']>): { values: NonNullable<RunRecord['checkpoint']>['params']; which: 'averaged (EMA)' | 'live' } {
  return checkpoint.ema ? { values: checkpoint.ema, which: 'averaged (EMA)' } : { values: checkpoint.params, which: 'live' };
}

function weightsTitle(checkpoint: NonNullable<RunRecord['checkpoint']>): string {
  return checkpoint.ema
    ? 'Saves the averaged (EMA) weights, the ones the run was evaluated with, at the last checkpoint'
    : 'Saves the weights at the last checkpoint (the ones the run was evaluated with)';
}

const OVERLAY_OPTIONS = { xLabel: 'epoch', yLabel: 'loss', height: 240 } as const;

/** Parameters per spec object (a record keeps its spec object while it trains: the ledger re-renders at every save). */
const paramsBySpec = new WeakMap<ArchSpec, number>();
function paramsOf(spec: ArchSpec): number {
  let params = paramsBySpec.get(spec);
  if (params === undefined) {
    const a = analyze(spec);
    params = a.ok ? a.stats.totals.params : NaN;
    paramsBySpec.set(spec, params);
  }
  return params;
}


/** A run's name, or a box to rename it (Enter or blur keeps the new name, Escape drops it). */
function RunName({ run, editing, onDone }: { run: RunRecord; editing: boolean; onDone: () => void }) {
  const rename = useLedger((s) => s.rename);
  const [draft, setDraft] = useState(run.name);
  if (!editing) return <span title={`started ${new Date(run.createdAt).toLocaleString('en-GB')}`}>{run.name}</span>;
  const keep = () => {
    void rename(run.id, draft);
    onDone();
  };
  return (
    <input
      aria-label={`New name for ${run.name}`}
      value={draft}
      // The box opens on the Rename click that asked for it.
      autoFocus
      onChange={(e) => setDraft(e.target.value)}
      onBlur={keep}
      onKeyDown={(e) => {
        if (e.key === 'Enter') keep();
        else if (e.key === 'Escape') onDone();
      }}
    />
  );
}

/** "Deleted run …  Undo" for each run deleted in the last UNDO_DELETE_MS. */
function UndoDeletes() {
  const pending = useLedger((s) => s.pending);
  const undo = useLedger((s) => s.undo);
  if (pending.length === 0) return null;
  return (
    <div className="notices" role="status" data-testid="ledger-undo">
      {pending.map((p) => (
        <p key={p.run.id}>
          <span>
            Deleted run <strong>{p.run.name}</strong> (kept for {UNDO_DELETE_MS / 1000} s).
          </span>
          <button type="button" style={{ fontSize: 'inherit', textDecoration: 'underline' }} onClick={() => undo(p.run.id)}>
            Undo
          </button>
        </p>
      ))}
    </div>
  );
}

export function LedgerPanel() {
  const current = useTraining((s) => s.run?.id);
  const busy = useTraining((s) => s.state !== 'idle');
  const { runs, load, loaded, remove, error, elsewhere } = useLedger();
  const [overlay, setOverlay] = useState<ReadonlySet<string>>(new Set());
  const [renaming, setRenaming] = useState<string | null>(null);
  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);
  const data = useMemo<XYChartData>(
    () => ({
      series: runs
        .filter((r) => overlay.has(r.id))
        .map((r, i) => ({ name: r.name, kind: 'line' as const, styleSlot: i, points: thin(smooth(r.steps.map((p) => p.loss)).map((y, j) => ({ x: r.steps[j]!.epoch, y }))) })),
    }),
    [runs, overlay],
  );
  return (
    <section aria-label="Run ledger" className="ledger">
      <h3>Runs</h3>
      {error && <p role="alert">{error}</p>}
      <UndoDeletes />
      <table className="layers" data-testid="ledger">
        <thead>
          <tr>
            <th scope="col">overlay</th>
            <th scope="col">run</th>
            <th scope="col">status</th>
            <th scope="col" className="num">steps</th>
            <th scope="col" className="num">test acc.</th>
            <th scope="col" className="num">params</th>
            <th scope="col" className="num">img/s</th>
            <th scope="col">backend</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-testid={`run-${r.id}`} className={r.id === current ? 'level-stage' : undefined}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Overlay ${r.name}`}
                  checked={overlay.has(r.id)}
                  onChange={(e) =>
                    setOverlay((s) => {
                      const n = new Set(s);
                      if (e.target.checked) n.add(r.id);
                      else n.delete(r.id);
                      return n;
                    })
                  }
                />
              </td>
              <th scope="row" data-testid="ledger-name">
                <RunName run={r} editing={renaming === r.id} onDone={() => setRenaming(null)} />
              </th>
              <td data-testid="ledger-status">
                {elsewhere[r.id] ? (elsewhere[r.id]!.status === 'paused' ? 'paused in another tab' : 'training in another tab') : r.status}
                {r.status === 'interrupted' && r.error && <small className="ledger-error">: {r.error}</small>}
              </td>
              <td className="num" data-testid="ledger-steps">
                {elsewhere[r.id]?.step ?? r.steps.at(-1)?.step ?? 0} / {elsewhere[r.id]?.total || r.totalSteps}
                {r.checkpoint && r.status !== 'finished' && <small data-testid="ledger-checkpoint"> (saved at {r.checkpoint.step})</small>}
              </td>
              <td className="num">{r.final ? `${(100 * r.final.accuracy).toFixed(1)}%` : r.evals.at(-1) ? `${(100 * r.evals.at(-1)!.accuracy).toFixed(1)}%` : '–'}</td>
              <td className="num">{Number.isFinite(paramsOf(r.spec)) ? formatInt(paramsOf(r.spec)) : '–'}</td>
              <td className="num">{r.steps.length ? median(r.steps.map((p) => p.imagesPerSecond)).toFixed(1) : '–'}</td>
              <td>{r.backend}</td>
              <td>
                {(r.status === 'interrupted' || r.status === 'stopped') && r.checkpoint && !elsewhere[r.id] && (
                  <button type="button" disabled={busy} onClick={() => void training.resumeRun(r)}>
                    Resume
                  </button>
                )}{' '}
                <button type="button" onClick={() => downloadText(JSON.stringify({ ...r, checkpoint: undefined }, null, 1), `${fileStem(r.name)}-metrics.json`, 'application/json')}>
                  Export metrics
                </button>{' '}
                {r.checkpoint && (
                  <button
                    type="button"
                    title={weightsTitle(r.checkpoint)}
                    onClick={async () => {
                      const { toSafetensors } = await import('../../../export/index');
                      const { values, which } = evaluatedWeights(r.checkpoint!);
                      const bytes = toSafetensors(values, { step: r.checkpoint!.step, metadata: { model: r.spec.name, run: r.name, weights: which } });
                      downloadBlob(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }), `${fileStem(r.name)}.safetensors`);
                    }}
                  >
                    Weights (.safetensors)
                  </button>
                )}{' '}
                {r.checkpoint && (
                  <button
                    type="button"
                    title={`TensorFlow.js weights: a manifest (.json) and a .weights.bin, as tf.io saves them; tf.io.loadWeights reads them. ${weightsTitle(r.checkpoint)}`}
                    onClick={async () => {
                      const { toTfjsWeights } = await import('../../../export/index');
                      const baseName = fileStem(r.name);
                      const { values, which } = evaluatedWeights(r.checkpoint!);
                      const files = toTfjsWeights(values, { baseName, modelTopology: r.spec, metadata: { step: r.checkpoint!.step, run: r.name, weights: which } });
                      downloadText(files.manifest, `${baseName}.json`, 'application/json');
                      downloadBlob(new Blob([files.weights as BlobPart], { type: 'application/octet-stream' }), files.weightsFileName);
                    }}
                  >
                    Weights (tf.io)
                  </button>
                )}{' '}
                <button type="button" disabled={elsewhere[r.id] !== undefined} onClick={() => setRenaming(r.id)}>
                  Rename
                </button>{' '}
                <button type="button" disabled={(r.id === current && busy) || elsewhere[r.id] !== undefined} onClick={() => void remove(r.id)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.series.length > 0 && <XYChart title="Runs compared: training loss (smoothed) per epoch" options={OVERLAY_OPTIONS} data={data} testId="chart-overlay" />}
    </section>
  );
}
