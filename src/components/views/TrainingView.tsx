/**
 * Live CIFAR training in the compute worker: load the data, train the model on screen, watch the
 * curves, pause / resume / stop / change the learning rate, evaluate, and keep every run in the ledger.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { type CifarKind, CIFAR10_CLASS_NAMES, CIFAR100_CLASS_NAMES } from '../../data/cifar';
import { type LoadPhase, cachedDatasetInfo, clearCachedData, loadDataset, type LoadedDataset } from '../../data/sources';
import { type ArchSpec, analyze, findPreset, formatBytes, formatInt, trainingMemory } from '../../models';
import { useExplorer } from '../../store/explorer';
import type { Model } from '../../store/currentModel';
import { type RunRecord, useLedger } from '../../store/runs';
import { useRuntime } from '../../store/runtime';
import { type RunHandle, sendTrainData, startTraining } from '../../workers/client';
import type { EvalMetrics, TrainEvent, TrainRequest, TrainSettings } from '../../workers/protocol';
import { XYChart } from '../charts/Chart';
import type { XYChartData } from '../charts/types';
import { downloadBlob, downloadText } from '../download';

type Settings = Pick<TrainSettings, 'batchSize' | 'epochs' | 'learningRate' | 'schedule' | 'seed' | 'augment'> & { steps: number };
const DEFAULT_SETTINGS: Settings = { batchSize: 32, epochs: 5, learningRate: 0.05, schedule: 'cosine', seed: 1, augment: true, steps: 0 };
/** A device budget for the memory warning: WebGPU's default max buffer (SwiftShader: 1 GiB) as a rough ceiling. */
const MEMORY_BUDGET = 1024 ** 3;
/** A lost device or worker costs at most this much training. */
const CHECKPOINT_EVERY = { steps: 50, seconds: 15 } as const;

let dataset: LoadedDataset | undefined;

function DataSection({ kind, setKind, onLoaded }: { kind: CifarKind; setKind: (k: CifarKind) => void; onLoaded: (d: LoadedDataset) => void }) {
  const [progress, setProgress] = useState<{ loaded: number; total: number; phase: LoadPhase } | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [url, setUrl] = useState('');
  useEffect(() => {
    let live = true;
    void cachedDatasetInfo(kind)
      .then((c) => live && setInfo(c ? `A cached copy is available (${formatInt(c.trainCount)} training, ${formatInt(c.testCount)} test images).` : 'No cached copy yet.'))
      .catch(() => live && setInfo('IndexedDB is unavailable: data cannot be kept for offline use.'));
    return () => {
      live = false;
    };
  }, [kind]);
  const loading = useRef<AbortController | null>(null);
  const load = async (options: Parameters<typeof loadDataset>[1]) => {
    setError('');
    loading.current?.abort();
    const controller = new AbortController();
    loading.current = controller;
    try {
      const d = await loadDataset(kind, { ...options, signal: controller.signal, onProgress: (loaded, total, phase) => setProgress({ loaded, total, phase }) });
      dataset = d;
      const checksum = d.md5 ? ` md5 ${d.md5.hex}: ${d.md5.official ? 'the official archive' : 'not the official archive (no checksum to compare with)'}.` : '';
      setInfo(`Loaded ${formatInt(d.train.count)} training and ${formatInt(d.test.count)} test images${d.fromCache ? ' from the cache' : ''}.${checksum}${d.cacheWarning ? ` ${d.cacheWarning}` : ''}`);
      onLoaded(d);
    } catch (e) {
      setError(controller.signal.aborted ? 'Loading was cancelled; nothing changed.' : (e as Error).message);
    } finally {
      if (loading.current === controller) loading.current = null;
      setProgress(null);
    }
  };
  return (
    <section className="control-section" aria-label="Training data">
      <h3>Data</h3>
      <div className="table-tools">
        <label className="field inline">
          <span>Dataset</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as CifarKind)}>
            <option value="cifar10">CIFAR-10</option>
            <option value="cifar100">CIFAR-100</option>
          </select>
        </label>
        <button type="button" onClick={() => load({ source: 'hosted' })}>
          Load (cached or self-hosted)
        </button>
        <label className="field inline">
          <span>Archive or .bin files</span>
          <input type="file" multiple accept=".gz,.tgz,.tar,.bin,.txt" onChange={(e) => e.target.files?.length && load({ source: 'file', file: e.target.files })} />
        </label>
        <label className="field inline">
          <span>URL</span>
          <input type="url" placeholder="official archive" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <button type="button" onClick={() => load({ source: 'url', url: url || undefined, refresh: true })}>
          Download
        </button>
        <button
          type="button"
          onClick={async () => {
            await clearCachedData();
            setInfo('Cached data cleared.');
          }}
        >
          Clear cached data
        </button>
      </div>
      {progress && (
        <p role="status">
          <progress max={progress.total || 1} value={progress.total ? progress.loaded : undefined} /> {progress.phase}
          {progress.total > 1 ? ` ${formatBytes(progress.loaded)} / ${formatBytes(progress.total)}` : ''}{' '}
          <button type="button" onClick={() => loading.current?.abort()}>
            Cancel
          </button>
        </p>
      )}
      <p className="hint" data-testid="data-status">
        {info}
      </p>
      {error && (
        <p role="alert" className="field-errors" data-testid="data-error">
          {error}
        </p>
      )}
    </section>
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function smooth(values: number[], alpha = 0.1): number[] {
  let s = values[0] ?? 0;
  return values.map((v) => (s = alpha * v + (1 - alpha) * s));
}

const STEP_OPTIONS = { xLabel: 'step', height: 220 } as const;
const EPOCH_OPTIONS = { xLabel: 'epoch', yLabel: 'test accuracy (%)', height: 220 } as const;
const SPEED_OPTIONS = { xLabel: 'step', yLabel: 'images/s', height: 220 } as const;

function RunCharts({ run }: { run: RunRecord }) {
  const loss = useMemo<XYChartData>(() => {
    const s = run.steps;
    return {
      series: [
        { name: 'loss', kind: 'line', points: s.map((p) => ({ x: p.step, y: p.loss })), styleSlot: 4 },
        { name: 'loss (smoothed)', kind: 'line', points: smooth(s.map((p) => p.loss)).map((y, i) => ({ x: s[i]!.step, y })), styleSlot: 0 },
      ],
    };
  }, [run.steps]);
  const acc = useMemo<XYChartData>(
    () => ({
      series: [
        { name: 'train batch accuracy (smoothed, %)', kind: 'line', points: smooth(run.steps.map((p) => 100 * p.accuracy)).map((y, i) => ({ x: run.steps[i]!.step, y })) },
        { name: 'learning rate x 1000', kind: 'line', dashed: true, points: run.steps.map((p) => ({ x: p.step, y: 1000 * p.lr })) },
      ],
    }),
    [run.steps],
  );
  const test = useMemo<XYChartData>(() => ({ series: [{ name: 'test accuracy', kind: 'line', points: run.evals.map((e) => ({ x: e.epoch, y: 100 * e.accuracy })) }] }), [run.evals]);
  const speed = useMemo<XYChartData>(
    () => ({ series: [{ name: 'images/s (smoothed)', kind: 'line', points: smooth(run.steps.map((p) => p.imagesPerSecond)).map((y, i) => ({ x: run.steps[i]!.step, y })) }] }),
    [run.steps],
  );
  return (
    <div className="charts-grid">
      <XYChart title="Training loss per step" options={LOSS_OPTIONS} data={loss} testId="chart-train-loss" />
      <XYChart title="Accuracy and learning rate per step" options={STEP_OPTIONS} data={acc} testId="chart-train-acc" />
      {run.evals.length > 0 ? (
        <XYChart title="Test accuracy per epoch" options={EPOCH_OPTIONS} data={test} testId="chart-test-acc" />
      ) : (
        <figure className="chart chart-empty" data-testid="chart-test-acc">
          <figcaption className="chart-title">Test accuracy per epoch</figcaption>
          <p className="hint">No evaluation yet: the test set is evaluated after each epoch and at the end of the run.</p>
        </figure>
      )}
      <XYChart title="Training speed per step" options={SPEED_OPTIONS} data={speed} testId="chart-speed" />
    </div>
  );
}
const LOSS_OPTIONS = { xLabel: 'step', yLabel: 'cross-entropy', height: 220 } as const;

function Evaluation({ metrics, classNames, grid }: { metrics: EvalMetrics; classNames: readonly string[]; grid?: { images: Uint8Array; labels: Uint8Array; probs: Float32Array } }) {
  const canvases = useRef<(HTMLCanvasElement | null)[]>([]);
  useEffect(() => {
    if (!grid) return;
    canvases.current.forEach((canvas, i) => {
      const ctx = canvas?.getContext('2d');
      if (!ctx) return;
      const img = ctx.createImageData(32, 32);
      for (let p = 0; p < 1024; p++) {
        img.data[4 * p] = grid.images[i * 3072 + p]!;
        img.data[4 * p + 1] = grid.images[i * 3072 + 1024 + p]!;
        img.data[4 * p + 2] = grid.images[i * 3072 + 2048 + p]!;
        img.data[4 * p + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    });
  }, [grid]);
  const k = classNames.length;
  const predicted = (i: number) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (grid!.probs[i * k + c]! > grid!.probs[i * k + best]!) best = c;
    return best;
  };
  return (
    <section aria-label="Evaluation" data-testid="evaluation">
      <p className="verdict pass" data-testid="test-accuracy">
        Test accuracy {(100 * metrics.accuracy).toFixed(1)}% on {formatInt(metrics.images)} images (loss {metrics.loss.toFixed(3)}); chance is {(100 / k).toFixed(0)}%.
      </p>
      {k <= 10 && (
        <table className="layers confusion">
          <caption>Confusion matrix (rows: true class, columns: predicted) and per-class accuracy</caption>
          <thead>
            <tr>
              <th scope="col">true \ predicted</th>
              {classNames.map((c) => (
                <th key={c} scope="col" className="num">
                  {c.slice(0, 5)}
                </th>
              ))}
              <th scope="col" className="num">
                accuracy
              </th>
            </tr>
          </thead>
          <tbody>
            {metrics.confusion.map((row, t) => (
              <tr key={t}>
                <th scope="row">{classNames[t]}</th>
                {row.map((n, p) => (
                  <td key={p} className="num" style={{ background: n ? `rgba(0,114,178,${Math.min(0.8, n / Math.max(1, row.reduce((a, b) => a + b, 0)))})` : undefined }}>
                    {n}
                  </td>
                ))}
                <td className="num">{Number.isNaN(metrics.perClassAccuracy[t]) ? '–' : `${(100 * metrics.perClassAccuracy[t]!).toFixed(0)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {grid && (
        <div className="image-grid" aria-label="Test images with predicted and true labels">
          {Array.from({ length: grid.labels.length }, (_, i) => {
            const p = predicted(i);
            const ok = p === grid.labels[i];
            return (
              <figure key={i} className={ok ? 'pass' : 'fail'}>
                <canvas width={32} height={32} ref={(el) => void (canvases.current[i] = el)} />
                <figcaption>
                  {classNames[p]}
                  {ok ? '' : ` (true: ${classNames[grid.labels[i]!]})`}
                </figcaption>
              </figure>
            );
          })}
        </div>
      )}
    </section>
  );
}

function Ledger({ current, onResume, busy }: { current?: string; onResume: (run: RunRecord) => void; busy: boolean }) {
  const { runs, load, loaded, remove, error } = useLedger();
  const [overlay, setOverlay] = useState<ReadonlySet<string>>(new Set());
  const paramsOf = useMemo(() => new Map(runs.map((r) => [r.id, analyze(r.spec)] as const).map(([id, a]) => [id, a.ok ? a.stats.totals.params : NaN])), [runs]);
  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);
  const data = useMemo<XYChartData>(
    () => ({
      series: runs
        .filter((r) => overlay.has(r.id))
        .map((r, i) => ({ name: r.name, kind: 'line' as const, styleSlot: i, points: smooth(r.steps.map((p) => p.loss)).map((y, j) => ({ x: r.steps[j]!.epoch, y })) })),
    }),
    [runs, overlay],
  );
  return (
    <section aria-label="Run ledger" className="ledger">
      <h3>Runs</h3>
      {error && <p role="alert">{error}</p>}
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
              <th scope="row">{r.name}</th>
              <td>
                {r.status}
                {r.status === 'interrupted' && r.error && <small className="ledger-error">: {r.error}</small>}
              </td>
              <td className="num">
                {r.steps.at(-1)?.step ?? 0} / {r.totalSteps}
                {r.checkpoint && r.status !== 'finished' && <small data-testid="ledger-checkpoint"> (saved at {r.checkpoint.step})</small>}
              </td>
              <td className="num">{r.final ? `${(100 * r.final.accuracy).toFixed(1)}%` : (r.evals.at(-1) ? `${(100 * r.evals.at(-1)!.accuracy).toFixed(1)}%` : '–')}</td>
              <td className="num">{Number.isFinite(paramsOf.get(r.id)) ? formatInt(paramsOf.get(r.id)!) : '–'}</td>
              <td className="num">{r.steps.length ? median(r.steps.map((p) => p.imagesPerSecond)).toFixed(1) : '–'}</td>
              <td>{r.backend}</td>
              <td>
                {(r.status === 'interrupted' || r.status === 'stopped') && r.checkpoint && (
                  <button type="button" disabled={busy} onClick={() => onResume(r)}>
                    Resume
                  </button>
                )}{' '}
                <button type="button" onClick={() => downloadText(JSON.stringify({ ...r, checkpoint: undefined }, null, 1), `${r.name}-metrics.json`, 'application/json')}>
                  Export metrics
                </button>{' '}
                {r.checkpoint && (
                  <button
                    type="button"
                    onClick={async () => {
                      const { toSafetensors } = await import('../../export/index');
                      const bytes = toSafetensors(r.checkpoint!.params, { step: r.checkpoint!.step, metadata: { model: r.spec.name, run: r.name } });
                      downloadBlob(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }), `${r.name.replace(/[^A-Za-z0-9_]+/g, '_')}.safetensors`);
                    }}
                  >
                    Weights (.safetensors)
                  </button>
                )}{' '}
                {r.checkpoint && (
                  <button
                    type="button"
                    title="TensorFlow.js weights: a manifest (.json) and a .weights.bin, as tf.io saves them; tf.io.loadWeights reads them"
                    onClick={async () => {
                      const { toTfjsWeights } = await import('../../export/index');
                      const baseName = r.name.replace(/[^A-Za-z0-9_]+/g, '_');
                      const files = toTfjsWeights(r.checkpoint!.params, { baseName, modelTopology: r.spec, metadata: { step: r.checkpoint!.step, run: r.name } });
                      downloadText(files.manifest, `${baseName}.json`, 'application/json');
                      downloadBlob(new Blob([files.weights as BlobPart], { type: 'application/octet-stream' }), files.weightsFileName);
                    }}
                  >
                    Weights (tf.io)
                  </button>
                )}{' '}
                <button type="button" disabled={r.id === current && busy} onClick={() => void remove(r.id)}>
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
const OVERLAY_OPTIONS = { xLabel: 'epoch', yLabel: 'loss', height: 240 } as const;

export function TrainingView({ model }: { model: Model }) {
  const choice = useExplorer((s) => s.backend);
  const runtime = useRuntime();
  const put = useLedger((s) => s.put);
  const [kind, setKind] = useState<CifarKind>('cifar10');
  const [loaded, setLoaded] = useState<LoadedDataset | undefined>(dataset);
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  const [run, setRun] = useState<RunRecord | null>(null);
  const [state, setState] = useState<'idle' | 'running' | 'paused'>('idle');
  const [progress, setProgress] = useState({ step: 0, total: 0, eta: 0, ips: 0 });
  const [lr, setLr] = useState(DEFAULT_SETTINGS.learningRate);
  const [error, setError] = useState('');
  const [grid, setGrid] = useState<{ images: Uint8Array; labels: Uint8Array; probs: Float32Array } | undefined>();
  const handle = useRef<RunHandle | null>(null);
  const stopper = useRef<AbortController | null>(null);
  const spec = model.shown.spec;
  const classNames = kind === 'cifar10' ? CIFAR10_CLASS_NAMES : CIFAR100_CLASS_NAMES;
  const memory = trainingMemory(model.shown.stats, { batch: settings.batchSize });
  const specFits = spec.input.resolution === 32 && spec.input.classes === (kind === 'cifar10' ? 10 : 100);
  const set = (p: Partial<Settings>) => setSettings((s) => ({ ...s, ...p }));

  const begin = async (runSpec: ArchSpec, resume?: RunRecord) => {
    if (!loaded || (resume && resume.dataset !== kind)) {
      const wanted = resume?.dataset ?? kind;
      setError(`Load ${wanted === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} above first${resume ? ' to resume this run' : ''}.`);
      return;
    }
    setError('');
    setGrid(undefined);
    const controller = new AbortController();
    stopper.current = controller;
    try {
      if (!(await runtime.ensureStarted(choice))) throw new Error(useRuntime.getState().error ?? 'the compute worker did not start');
      await sendTrainData({ trainImages: loaded.train.images, trainLabels: loaded.train.labels, testImages: loaded.test.images, testLabels: loaded.test.labels, dataset: kind });
      const trainSettings: Partial<TrainSettings> = resume?.settings ?? {
        batchSize: settings.batchSize,
        epochs: settings.epochs,
        ...(settings.steps > 0 ? { steps: settings.steps } : {}),
        learningRate: settings.learningRate,
        schedule: settings.schedule,
        seed: settings.seed,
        augment: settings.augment,
      };
      // A resumed run goes on from its checkpoint: the steps logged after it are done again.
      const upTo = resume?.checkpoint?.step ?? 0;
      let record: RunRecord = resume
        ? { ...resume, status: 'running', error: undefined, steps: resume.steps.filter((p) => p.step <= upTo), evals: resume.evals.filter((p) => p.step <= upTo) }
        : {
            id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
            name: `${runSpec.name} seed ${settings.seed}, batch ${settings.batchSize}, ${new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`,
            createdAt: Date.now(),
            status: 'running',
            spec: runSpec,
            settings: trainSettings,
            dataset: kind,
            backend: '',
            totalSteps: 0,
            steps: [],
            evals: [],
          };
      setRun(record);
      setProgress({ step: upTo, total: record.totalSteps, eta: 0, ips: 0 });
      setState('running');
      const request: TrainRequest = { spec: runSpec, settings: trainSettings, resume: resume?.checkpoint, evaluateEachEpoch: true, checkpointEvery: CHECKPOINT_EVERY };
      let lastSave = 0;
      const onEvent = (e: TrainEvent) => {
        if (e.type === 'started') record = { ...record, backend: e.backend, totalSteps: e.totalSteps, memory: e.memory };
        else if (e.type === 'step') {
          const m = e.metrics;
          record = { ...record, steps: [...record.steps, { step: m.step, epoch: m.epoch, loss: m.loss, accuracy: m.accuracy, lr: m.lr, imagesPerSecond: m.imagesPerSecond }] };
          setProgress({ step: m.step, total: record.totalSteps, eta: m.etaSeconds, ips: m.imagesPerSecond });
        } else if (e.type === 'eval') record = { ...record, evals: [...record.evals, { step: e.step, epoch: e.epoch, accuracy: e.metrics.accuracy, loss: e.metrics.loss }] };
        else if (e.type === 'checkpoint') record = { ...record, checkpoint: e.checkpoint };
        else if (e.type === 'paused') record = { ...record, status: 'paused' };
        else if (e.type === 'resumed') record = { ...record, status: 'running' };
        setRun(record);
        if (e.type !== 'step' || Date.now() - lastSave > 2000) {
          lastSave = Date.now();
          void put(record);
        }
      };
      const h = startTraining(request, onEvent, controller.signal);
      handle.current = h;
      const outcome = await h.outcome;
      const last = record.steps.at(-1);
      const finalPoint = outcome.final && last && record.evals.at(-1)?.step !== last.step ? [{ step: last.step, epoch: last.epoch, accuracy: outcome.final.accuracy, loss: outcome.final.loss }] : [];
      record = { ...record, status: outcome.status, checkpoint: outcome.checkpoint, final: outcome.final, evals: [...record.evals, ...finalPoint] };
      setRun(record);
      await put(record);
      if (outcome.final) {
        const count = Math.min(24, loaded.test.count);
        const probs = await h.predictTest(count);
        setGrid({ images: loaded.test.images.subarray(0, count * 3072), labels: loaded.test.labels.subarray(0, count), probs });
      }
    } catch (e) {
      const message = (e as Error).message;
      setError(message);
      if (message.startsWith('The compute worker stopped')) runtime.reset(message);
      setRun((r) => {
        if (!r) return r;
        const failed = { ...r, status: 'interrupted' as const, error: message };
        void put(failed);
        return failed;
      });
    } finally {
      setState('idle');
      handle.current = null;
    }
  };

  const busy = state !== 'idle';
  return (
    <section aria-label="Training" className="training">
      <DataSection kind={kind} setKind={setKind} onLoaded={setLoaded} />
      <section className="control-section" aria-label="Training settings">
        <h3>Train {spec.name}</h3>
        {!specFits && (
          <p role="alert" className="field-errors">
            This model is built for {spec.input.resolution} px and {spec.input.classes} classes: set the Dataset dial to {kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} (or pick a CIFAR preset).
          </p>
        )}
        <div className="equivalence-form">
          {(
            [
              ['Batch size', 'batchSize', 1, 512],
              ['Epochs', 'epochs', 1, 300],
              ['Steps (0 = epochs)', 'steps', 0, 100000],
              ['Seed', 'seed', 0, 1000000],
            ] as const
          ).map(([label, key, min, max]) => (
            <label key={key} className="field">
              <span>{label}</span>
              <input type="number" min={min} max={max} value={settings[key]} disabled={busy} onChange={(e) => e.target.value !== '' && set({ [key]: Math.min(max, Math.max(min, Math.round(Number(e.target.value)))) })} />
            </label>
          ))}
          <label className="field">
            <span>Learning rate</span>
            <input type="number" step={0.01} min={0.0001} max={2} value={settings.learningRate} disabled={busy} onChange={(e) => e.target.value !== '' && set({ learningRate: Number(e.target.value) })} />
          </label>
          <label className="field">
            <span>Schedule</span>
            <select value={settings.schedule} disabled={busy} onChange={(e) => set({ schedule: e.target.value as Settings['schedule'] })}>
              <option value="step">step (/10 at 50%, 75%)</option>
              <option value="cosine">cosine</option>
              <option value="onecycle">one-cycle</option>
              <option value="constant">constant</option>
            </select>
          </label>
          <label className="toggle">
            <input type="checkbox" checked={settings.augment} disabled={busy} onChange={(e) => set({ augment: e.target.checked })} /> pad-4 crop + flip
          </label>
        </div>
        <p className={`hint${memory.totalBytes > MEMORY_BUDGET ? ' field-errors' : ''}`} data-testid="memory-estimate">
          Training memory estimate at batch {settings.batchSize}: {formatBytes(memory.totalBytes)} (activations, weights, gradients and momentum as the
          architecture counts them; tfjs keeps several times the activations: the run measures it and splits a batch that would not fit)
          {memory.totalBytes > MEMORY_BUDGET ? ` — more than the ~${formatBytes(MEMORY_BUDGET)} a browser GPU allows; try batch ${Math.max(1, Math.floor((settings.batchSize * MEMORY_BUDGET) / memory.totalBytes))}.` : ''}
        </p>
        <div className="table-tools">
          <button type="button" className="primary" disabled={busy || !loaded || !specFits} onClick={() => void begin(spec)}>
            Train
          </button>
          <button type="button" disabled={!busy} onClick={() => (state === 'paused' ? (handle.current?.resume(), setState('running')) : (handle.current?.pause(), setState('paused')))}>
            {state === 'paused' ? 'Resume' : 'Pause'}
          </button>
          <button type="button" disabled={!busy} onClick={() => stopper.current?.abort()}>
            Stop
          </button>
          <button
            type="button"
            disabled={busy || !loaded || kind !== 'cifar10'}
            title="Trains the classroom ResNeXt-29 (8x4d) and its ResNet twin of the same budget, one after the other"
            onClick={async () => {
              for (const name of ['classroom_resnext29_8x4d', 'classroom_resnet29_1x18d']) {
                const p = findPreset(name);
                if (p) await begin(p.spec);
                if (stopper.current?.signal.aborted) break;
              }
            }}
          >
            Cardinality vs width (queue both classroom presets)
          </button>
          <label className="field inline">
            <span>Learning rate now</span>
            <input
              type="range"
              min={-4}
              max={0}
              step={0.1}
              value={Math.log10(lr)}
              disabled={!busy}
              onChange={(e) => {
                const v = 10 ** Number(e.target.value);
                setLr(v);
                handle.current?.setLearningRate(v);
              }}
            />
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
            <progress max={progress.total || 1} value={progress.step} /> step {progress.step} / {progress.total} · {progress.ips.toFixed(0)} img/s · ETA {Math.round(progress.eta)} s ·{' '}
            {run.status} on {run.backend || '…'}
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
      </section>
      {run && <RunCharts run={run} />}
      {run?.final && <Evaluation metrics={run.final} classNames={classNames} grid={grid} />}
      <Ledger current={run?.id} busy={busy} onResume={(r) => void begin(r.spec, r)} />
    </section>
  );
}
