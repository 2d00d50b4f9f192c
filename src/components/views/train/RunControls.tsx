/**
 * Train, pause / resume, stop, the "cardinality vs width" queue, the live learning rate, the model
 * in training (read-only, from its run record), and the current run's progress and errors.
 */
import { Fragment } from 'react';
import { type ArchSpec, analyze, formatInt, formatShort } from '../../../models';
import { formatBytes } from '../../../models';
import { isLive, type RunRecord } from '../../../store/runs';
import { training, useTraining } from '../../../store/training';
import { COMPARISON_SEEDS, comparisonQueue } from '../../../store/training/comparison';
import { COMPARISON_PRESETS } from '../../../store/training/controller';
import { mean } from '../../../store/training/series';

/** Counts per spec object: a record keeps its spec object while it trains, and re-renders at every step. */
const countsBySpec = new WeakMap<ArchSpec, { params: number; macs: number } | null>();
function countsOf(spec: ArchSpec): { params: number; macs: number } | null {
  if (!countsBySpec.has(spec)) {
    const a = analyze(spec);
    countsBySpec.set(spec, a.ok ? { params: a.stats.totals.params, macs: a.stats.totals.macs } : null);
  }
  return countsBySpec.get(spec) ?? null;
}

/** A spec's dials as a reader sees them: name, value. */
function dialsOf(spec: ArchSpec): [string, string][] {
  const input: [string, string][] = [['input', `${spec.input.resolution} px, ${spec.input.classes} classes`]];
  if (spec.family !== 'resnet') return [...input, ['width × depth', `${spec.widthMultiplier} × ${spec.depthMultiplier}`]];
  return [
    ['C × d', `${spec.cardinality} × ${spec.bottleneckWidth}d`],
    ['blocks', spec.stages.map((s) => s.blocks).join(', ')],
    ['planes', spec.stages.map((s) => s.planes).join(', ')],
    ['form', `(${spec.form})${spec.shortcuts ? '' : ', no shortcuts'}${spec.resStage ? ', ResStage' : ''}`],
    ...input,
  ];
}

/**
 * The model a run trains, from its record (not the dials): what the curves below belong to. One
 * line or two (name · params · MACs · its key dial), so Train / Pause / Stop stay in view; every dial
 * is in the disclosure (and the line's tooltip).
 */
export function RunningModel({ run }: { run: RunRecord }) {
  const counts = countsOf(run.spec);
  const dials = dialsOf(run.spec);
  const all = [
    ...(counts ? [`${formatInt(counts.params)} params (${formatShort(counts.params)})`, `${formatInt(counts.macs)} MACs (${formatShort(counts.macs)})`] : []),
    ...dials.map(([name, value]) => `${name} ${value}`),
  ].join(' · ');
  // The key dial (C × d, or width × depth), unless the name already says it (classroom_resnet11_2x18d).
  const key = dials.find(([name]) => name === 'C × d' || name === 'width × depth');
  const keyDial = key && !run.spec.name.includes(key[1].replace(/ × /g, 'x')) ? key : undefined;
  return (
    <section className="running-model" aria-label="Model in training" data-testid="running-model">
      <details>
        <summary title={`${run.spec.name}: ${all}`}>
          {run.status === 'paused' ? 'Paused' : 'Training'}: <strong data-testid="running-model-name">{run.spec.name}</strong>{' '}
          <span className="running-model-counts">
            {counts && (
              <>
                <span data-testid="running-model-params">
                  <strong>{formatInt(counts.params)}</strong> params
                </span>
                {' · '}
                <span data-testid="running-model-macs">
                  <strong>{formatInt(counts.macs)}</strong> MACs
                </span>
                {keyDial && ' · '}
              </>
            )}
            {keyDial && <span title={keyDial[0]}>{keyDial[1]}</span>}
          </span>
        </summary>
        <p>
          {counts && (
            <>
              {formatShort(counts.params)} params · {formatShort(counts.macs)} MACs ·{' '}
            </>
          )}
          {dials.map(([name, value], i) => (
            <Fragment key={name}>
              {i > 0 && ' · '}
              {name} <strong>{value}</strong>
            </Fragment>
          ))}
        </p>
      </details>
    </section>
  );
}

/** What "Cardinality vs width" queues: startComparison's COMPARISON_PRESETS, COMPARISON_SEEDS seeds each from the form's seed, interleaved (comparisonQueue). */
function comparisonTitle(seed: number): string {
  const seeds = Array.from({ length: COMPARISON_SEEDS }, (_, i) => seed + i);
  const order = comparisonQueue(COMPARISON_PRESETS, COMPARISON_SEEDS, seed)
    .slice(0, 4)
    .map((q) => `${q.preset === COMPARISON_PRESETS[0] ? 'A' : 'B'} seed ${q.seed}`)
    .join(', ');
  return (
    `Queues ${COMPARISON_PRESETS.length * COMPARISON_SEEDS} runs, one after the other, with the settings below: ` +
    `the lesson ResNeXt-11 (A: ${COMPARISON_PRESETS[0]}) and its ResNet twin at about the same MACs (B: ${COMPARISON_PRESETS[1]}), ` +
    `seeds ${seeds.join(', ')} each, interleaved (${order}, …) so a queue stopped part-way has runs of both. Stop ends the queue.`
  );
}

export function RunControls({ spec, specFits }: { spec: ArchSpec; specFits: boolean }) {
  const state = useTraining((s) => s.state);
  const loaded = useTraining((s) => s.dataset !== undefined);
  const kind = useTraining((s) => s.kind);
  const lr = useTraining((s) => s.lr);
  const run = useTraining((s) => s.run);
  const progress = useTraining((s) => s.progress);
  const error = useTraining((s) => s.error);
  const seed = useTraining((s) => s.form.seed);
  const busy = state !== 'idle';
  return (
    <>
      {busy && run && isLive(run) && <RunningModel run={run} />}
      <div className="table-tools">
        <button type="button" className="primary" disabled={busy || !loaded || !specFits} onClick={() => void training.start(spec)}>
          Train
        </button>
        <button type="button" disabled={!busy} onClick={() => training.togglePause()}>
          {state === 'paused' ? 'Resume' : 'Pause'}
        </button>
        <button type="button" disabled={!busy} title="Stop after this step and evaluate on the whole test set" onClick={() => training.stop()}>
          Stop
        </button>
        <button type="button" disabled={!busy} title="End the run now, without an evaluation" onClick={() => training.abort()}>
          Abort
        </button>
        <button
          type="button"
          disabled={busy || !loaded || kind !== 'cifar10'}
          title={comparisonTitle(seed)}
          onClick={() => void training.startComparison()}
        >
          Cardinality vs width: {COMPARISON_PRESETS.length * COMPARISON_SEEDS} runs
        </button>
        <label className="field inline">
          <span>Learning rate now</span>
          <input type="range" min={-4} max={0} step={0.1} value={Math.log10(lr)} disabled={!busy} onChange={(e) => training.setLearningRate(10 ** Number(e.target.value))} />
          <output>{lr.toPrecision(2)}</output>
        </label>
      </div>
      {run && run.steps.length >= 10 && (
        <p className="hint" data-testid="loss-trend">
          loss {mean(run.steps.slice(0, 5).map((p) => p.loss)).toFixed(3)} → {mean(run.steps.slice(-5).map((p) => p.loss)).toFixed(3)} (mean of the first and last 5 steps)
        </p>
      )}
      {run && (
        <p role="status" data-testid="train-progress">
          <progress max={progress.total || 1} value={progress.step} />{' '}
          {/* Phrases that wrap whole (at 1280 px a narrow column broke "step 13 /" from its total). */}
          <span className="phrase">
            step {progress.step} / {progress.total}
          </span>{' '}
          · <span className="phrase">{progress.ips.toFixed(0)} img/s</span> · <span className="phrase">ETA {Math.round(progress.eta)} s</span> ·{' '}
          <span className="phrase">
            {run.status} on {run.backend || '…'}
          </span>
          {run.memory && (
            <span className="hint" data-testid="train-memory">
              {' '}
              · measured {formatBytes(run.memory.bytesPerImage)} per image
              {run.memory.microBatchSize
                ? `: batch ${run.settings.batchSize} runs as ${(run.settings.batchSize ?? 0) / run.memory.microBatchSize} micro-batches of ${run.memory.microBatchSize} to stay within ~${formatBytes(run.memory.budgetBytes)} (BatchNorm normalises per micro-batch)`
                : ` (the batch fits in ~${formatBytes(run.memory.budgetBytes)})`}
            </span>
          )}
        </p>
      )}
      {error && (
        <p role="alert" className="field-errors">
          {error}
        </p>
      )}
    </>
  );
}
