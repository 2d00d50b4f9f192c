/**
 * The equivalence lab: forms (a), (b), (c) built with the same weights, run on the same input in
 * the compute worker; per-pair max |difference| in evaluation and training mode and over the
 * weight gradients, with parameter counts and timings. Fig. 4 (depth 2) and a whole network too.
 */
import { useRef, useState } from 'react';
import { formatInt } from '../../models';
import { useExplorer } from '../../store/explorer';
import type { Model } from '../../store/currentModel';
import { useRuntime } from '../../store/runtime';
import { runEquivalence } from '../../workers/client';
import { DEFAULT_SEED, classroomNetworkCheck } from '../../workers/equivalence/defaults';
import { EQUIVALENCE_TOLERANCE, describeTie, verdictOf } from '../../workers/equivalence/verdict';
import type { BackendInfo, BlockCheckRequest, CheckRequest, CheckResult, Diff } from '../../workers/protocol';

const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(2));

function defaultsFrom(model: Model): BlockCheckRequest {
  const r = model.dials.resnet;
  const spec = model.spec;
  const width = spec.family === 'resnet' ? (spec.stages[0]?.planes ?? 64) * spec.expansion : 256;
  return {
    kind: 'block',
    block: spec.family === 'resnet' ? spec.block : 'bottleneck',
    cardinality: r?.cardinality ?? 32,
    bottleneckWidth: r?.bottleneckWidth ?? 4,
    width,
    size: 8,
    stride: 1,
    batch: 2,
    seed: DEFAULT_SEED,
    timingRuns: 3,
  };
}

/**
 * "2 threads", or why there is one; when the app's own kernels run on fewer (their helpers did not start);
 * and, as its title, how the threads are shared between XNNPACK's pool and the app kernels' helpers.
 */
function WasmThreads({ wasm: { threads, threadCount, kernelThreads } }: { wasm: NonNullable<BackendInfo['wasm']> }) {
  if (!threads) return <>{globalThis.crossOriginIsolated === false ? 'single-threaded (the page is not cross-origin isolated)' : 'single-threaded'}</>;
  const total = Math.max(threadCount, kernelThreads);
  const title = `XNNPACK's operators on ${threadCount} thread${threadCount === 1 ? '' : 's'}, the app's own kernels on ${kernelThreads}`;
  return (
    <span title={title}>
      {total} thread{total === 1 ? '' : 's'}
      {kernelThreads < total && ` (the app's own kernels on ${kernelThreads})`}
    </span>
  );
}

function BackendLine({ info }: { info: BackendInfo }) {
  const a = info.adapter;
  return (
    <div className="backend-line" data-testid="backend-info">
      <strong>Backend: {info.backend}</strong>
      {a && (
        <span>
          {' '}
          — {a.vendor} {a.architecture} {a.description && `(${a.description})`} {a.software ? '· software adapter' : '· hardware adapter'}
        </span>
      )}
      {info.wasm && (
        <span>
          {' '}
          — SIMD {info.wasm.simd ? 'on' : 'off'}, <WasmThreads wasm={info.wasm} />
          {info.wasm.relaxedSimd && (
            <span title="The app's product and grouped-convolution kernels run WebAssembly's relaxed SIMD build: fused multiply-adds where the CPU has them">, relaxed SIMD</span>
          )}
        </span>
      )}
      <span className="hint"> ({info.reason})</span>
      <details>
        <summary>Probe results</summary>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">backend</th>
              <th scope="col">matMul GFLOP/s</th>
              <th scope="col">note</th>
            </tr>
          </thead>
          <tbody>
            {info.probes.map((p) => (
              <tr key={p.backend}>
                <th scope="row">{p.backend}</th>
                <td>{p.gflops !== undefined ? p.gflops.toFixed(2) : '–'}</td>
                <td>{p.ok ? '' : p.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

function DiffCells({ d }: { d: Diff }) {
  const ok = d.maxAbs <= EQUIVALENCE_TOLERANCE;
  return (
    <>
      <td className={`num ${ok ? 'pass' : 'fail'}`}>{fmt(d.maxAbs)}</td>
      <td className="num">{fmt(d.maxRel)}</td>
    </>
  );
}

/** ReLU inputs at 0 to float32 precision, on different sides in two forms: what they are and what they do. */
function Ties({ result }: { result: CheckResult }) {
  const verdict = verdictOf(result);
  if (verdict.ties.length === 0) return null;
  const ops = new Set(verdict.ties.map((t) => t.op)).size;
  return (
    <div className="equivalence-ties" data-testid="equivalence-ties">
      <p>
        <strong>At ReLU’s kink:</strong> {ops === 1 ? 'one ReLU has' : `${ops} ReLUs have`} an input that is 0 to float32 precision. ReLU has no
        derivative at 0: each form rounds in its own order, lands on its own side, and takes that side’s slope (1 or 0), so the raw weight gradients
        differ by up to {fmt(verdict.gradientsAtTies?.maxAbs ?? 0)}. Taking the same side (form (c)’s) at those inputs in every form, the gradients
        agree to {fmt(Math.max(...result.pairs.map((p) => p.gradientsOneChoice?.maxAbs ?? p.gradients.maxAbs)))}; the outputs agree either way.
      </p>
      <ul>
        {verdict.ties.map((t) => (
          <li key={`${t.op} ${t.pair}`} data-testid="equivalence-tie">
            ({t.pair[0]}) vs ({t.pair[2]}), {describeTie(t)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Results({ result }: { result: CheckResult }) {
  const verdict = verdictOf(result);
  const ok = verdict.equivalent;
  const oneChoice = result.pairs.some((p) => p.gradientsOneChoice !== undefined);
  return (
    <div data-testid="equivalence-results" data-seed={result.request.seed}>
      <p className={`verdict ${ok ? 'pass' : 'fail'}`} data-testid="equivalence-verdict">
        {ok ? '✓ Equivalent' : '✗ Not equivalent'}: largest |difference| {fmt(verdict.worst.maxAbs)} over all pairs, modes and gradients
        {verdict.ties.length > 0 ? ', with one slope at ReLU’s kink (below)' : ''}; tolerance {fmt(EQUIVALENCE_TOLERANCE)} (float32); on{' '}
        <strong>{result.backend}</strong>; input {result.inputShape.join('×')}, output {result.outputShape.join('×')} (NHWC); seed {result.request.seed}.
      </p>
      <Ties result={result} />
      <table className="layers">
        <caption>Per pair of forms: max |difference| and max relative difference</caption>
        <thead>
          <tr>
            <th scope="col">pair</th>
            <th scope="col" className="num">eval |Δ|</th>
            <th scope="col" className="num">eval rel.</th>
            <th scope="col" className="num">train |Δ|</th>
            <th scope="col" className="num">train rel.</th>
            <th scope="col" className="num">gradients |Δ|</th>
            <th scope="col" className="num">gradients rel.</th>
            {oneChoice && (
              <th scope="col" className="num">
                gradients |Δ|, one slope at ReLU ties
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {result.pairs.map((p) => (
            <tr key={p.pair} data-testid={`pair-${p.pair}`}>
              <th scope="row">
                ({p.pair[0]}) vs ({p.pair[2]})
              </th>
              <DiffCells d={p.eval} />
              <DiffCells d={p.train} />
              <DiffCells d={p.gradients} />
              {oneChoice && (
                <td className={`num ${(p.gradientsOneChoice ?? p.gradients).maxAbs <= EQUIVALENCE_TOLERANCE ? 'pass' : 'fail'}`}>{fmt((p.gradientsOneChoice ?? p.gradients).maxAbs)}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <table className="layers">
        <caption>Per form: the same parameters, different graphs</caption>
        <thead>
          <tr>
            <th scope="col">form</th>
            <th scope="col" className="num">params</th>
            <th scope="col" className="num">ops</th>
            <th scope="col" className="num">branches</th>
            <th scope="col" className="num">forward ms</th>
            <th scope="col" className="num">fwd + bwd ms</th>
          </tr>
        </thead>
        <tbody>
          {result.forms.map((f) => (
            <tr key={f.form} data-testid={`form-${f.form}`}>
              <th scope="row">({f.form})</th>
              <td className="num">{formatInt(f.params)}</td>
              <td className="num">{formatInt(f.ops)}</td>
              <td className="num">{f.branches}</td>
              <td className="num">{f.forwardMs !== undefined ? f.forwardMs.toFixed(1) : '–'}</td>
              <td className="num">{f.forwardBackwardMs !== undefined ? f.forwardBackwardMs.toFixed(1) : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NumberField({ label, value, min, max, onChange }: { label: string; value: number; min: number; max: number; onChange: (v: number) => void }) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        min={min}
        max={max}
        value={value}
        onChange={(e) => {
          const n = Number(e.target.value);
          if (e.target.value !== '' && Number.isInteger(n)) onChange(Math.min(max, Math.max(min, n)));
        }}
      />
    </label>
  );
}

export function EquivalencePanel({ model }: { model: Model }) {
  const choice = useExplorer((s) => s.backend);
  const runtime = useRuntime();
  const [request, setRequest] = useState<BlockCheckRequest>(() => defaultsFrom(model));
  const [result, setResult] = useState<CheckResult | null>(null);
  const [progress, setProgress] = useState<{ message: string; fraction: number } | null>(null);
  const [error, setError] = useState('');
  const controller = useRef<AbortController | null>(null);
  const set = (patch: Partial<BlockCheckRequest>) => setRequest((r) => ({ ...r, ...patch }));

  const run = async (req: CheckRequest) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setError('');
    setProgress({ message: 'starting the compute worker', fraction: 0 });
    try {
      if (!(await runtime.ensureStarted(choice))) throw new Error(useRuntime.getState().error ?? 'the compute worker did not start');
      const r = await runEquivalence(req, { signal: c.signal, onProgress: (message, fraction) => setProgress({ message, fraction }) });
      setResult(r);
    } catch (e) {
      const err = e as Error;
      if (err.name === 'AbortError') setError('Stopped.');
      else {
        setError(err.message);
        if (err.message.startsWith('The compute worker stopped')) runtime.reset(err.message);
      }
    } finally {
      if (controller.current === c) controller.current = null;
      setProgress(null);
    }
  };

  const busy = progress !== null;
  return (
    <section aria-label="Equivalence lab" className="equivalence">
      <p>
        ResNeXt’s three block forms (Fig. 3) compute the same function. Here they are built from one set of weights (the grouped conv’s compact
        layout, sliced per branch for (a) and (b)), run on the same input, and compared — outputs in evaluation and training mode, and every weight
        gradient. A depth-2 block (Fig. 4) collapses to one wide dense block.
      </p>
      {runtime.info ? <BackendLine info={runtime.info} /> : <p className="hint">Backend: {runtime.status === 'starting' ? 'starting…' : runtime.status === 'error' ? `failed: ${runtime.error}` : 'starts with the first run'}</p>}
      <div className="equivalence-form">
        <label className="field wide">
          <span>Block</span>
          <select value={request.block} onChange={(e) => set({ block: e.target.value as BlockCheckRequest['block'] })}>
            <option value="bottleneck">bottleneck, depth 3 (Fig. 3)</option>
            <option value="basic">basic, depth 2 (Fig. 4)</option>
          </select>
        </label>
        <NumberField label="C" value={request.cardinality} min={1} max={256} onChange={(v) => set({ cardinality: v })} />
        <NumberField label="d" value={request.bottleneckWidth} min={1} max={256} onChange={(v) => set({ bottleneckWidth: v })} />
        <NumberField label="Input width" value={request.width} min={1} max={2048} onChange={(v) => set({ width: v })} />
        <NumberField label="Spatial size" value={request.size} min={1} max={64} onChange={(v) => set({ size: v })} />
        <label className="field wide">
          <span>Stride</span>
          <select value={request.stride} onChange={(e) => set({ stride: Number(e.target.value) as 1 | 2 })}>
            <option value={1}>1 (identity shortcut)</option>
            <option value={2}>2 (projection shortcut)</option>
          </select>
        </label>
        <NumberField label="Batch" value={request.batch} min={1} max={64} onChange={(v) => set({ batch: v })} />
        <NumberField label="Seed" value={request.seed} min={0} max={1_000_000} onChange={(v) => set({ seed: v })} />
        <NumberField label="Timing runs" value={request.timingRuns ?? 0} min={0} max={20} onChange={(v) => set({ timingRuns: v })} />
      </div>
      <div className="table-tools">
        <button type="button" className="primary" disabled={busy} onClick={() => run(request)}>
          Run check
        </button>
        <button type="button" disabled={busy} onClick={() => setRequest(defaultsFrom(model))}>
          Use the model’s C, d and width
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => run(classroomNetworkCheck(request.seed))}
        >
          Check a whole network (classroom ResNeXt-29, 16 px)
        </button>
        <button type="button" disabled={!busy} onClick={() => controller.current?.abort()}>
          Stop
        </button>
      </div>
      {progress && (
        <p role="status">
          <progress max={1} value={progress.fraction} /> {progress.message}
        </p>
      )}
      {error && (
        <p role="alert" className="field-errors">
          {error}
        </p>
      )}
      {result && <Results result={result} />}
    </section>
  );
}

