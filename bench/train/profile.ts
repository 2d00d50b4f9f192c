/**
 * `npm run bench:train -- --profile`: where the time of one training step goes, per tfjs kernel.
 * `profileStep` runs one step under `tf.profile` and `summarizeProfile` aggregates its kernels by
 * name: calls, ms, fraction of the step's wall time and, for kernels with multiply-accumulates
 * (convolutions and matMuls, dense, grouped or depthwise; MACs from the recorded shapes), the achieved
 * GMAC/s.
 *
 * Kernel times: on WASM (and CPU) `kernelMs` is the synchronous wall time of the kernel function;
 * on WebGPU it comes from GPU timestamp queries when the device has 'timestamp-query' (the bench
 * starts Chromium with --enable-dawn-features=allow_unsafe_apis for --profile), else tfjs reports 0
 * for every kernel: then the rows keep calls and MACs and `timing` says 'unavailable'. On WebGL it
 * is the GPU time of the kernel's programs (EXT_disjoint_timer_query), or wall time.
 *
 * Entries whose name is no registered kernel are scopes (tf.customGrad forward functions, say):
 * the kernels they run are recorded too, so scopes are listed apart and left out of the sums.
 */
import * as tf from '@tensorflow/tfjs';

export interface ProfileRow {
  /** The tfjs kernel name. */
  op: string;
  calls: number;
  ms: number;
  /** ms / the step's wall time. */
  fractionOfStep: number;
  /** Multiply-accumulates of all its calls in the step (convolutions and matMuls only). */
  macs?: number;
  gMacsPerSecond?: number;
  /**
   * Kernels with multiply-accumulates: their calls split by what they computed. BatchMatMul by operand form
   * (A·B forward, A·Bᵀ and Aᵀ·B gradients, read from the shapes); convolutions by input shapes.
   */
  parts?: Array<{ part: string; calls: number; ms: number; macs: number; gMacsPerSecond?: number }>;
}

export interface StepProfile {
  model: string;
  batch: number;
  /** How the kernel times were measured. */
  timing: 'synchronous' | 'gpu-timestamps' | 'unavailable';
  /** Wall time of the profiled step (kernel launches, JavaScript, the loss read back). */
  stepMs: number;
  /** A step's time in the timed run (batch / img/s), for comparison: profiling adds per-kernel timing (GPU: a submit per kernel). */
  unprofiledStepMs?: number;
  /** Sum of every kernel's time. */
  kernelMs: number;
  /** stepMs - kernelMs: JavaScript between kernels (tape, augmentation, uploads), the read back. */
  outsideKernelsMs: number;
  kernelCalls: number;
  /** MACs of the step's conv and matMul kernels, and 3 x forward MACs x batch for comparison. */
  macsCounted: number;
  macsExpected: number;
  /** The top rows by ms (by MACs, then calls, when times are unavailable). */
  rows: ProfileRow[];
  /** The rows left out of `rows`, summed. */
  rest: { ops: number; calls: number; ms: number; fractionOfStep: number };
  scopes?: Array<{ name: string; calls: number; ms: number }>;
}

type Shape = readonly number[] | null | undefined;
const size = (s: Shape) => (s ? s.reduce((a, b) => a * b, 1) : 0);
const dim = (s: Shape, i: number) => (s ? (s[i < 0 ? s.length + i : i] ?? 0) : 0);

/**
 * MACs of one call from its input and output shapes (tfjs' input order: Conv2D {x, filter},
 * Conv2DBackpropInput {dy, filter}, Conv2DBackpropFilter {x, dy}, the depthwise ones alike, BatchMatMul {a, b};
 * the app's GroupedConv2D* kernels take the same inputs with the compact filter [kh, kw, Cin/G, Cout]).
 * Undefined for kernels without multiply-accumulates.
 */
export function kernelMacs(name: string, inputs: Shape[], outputs: Shape[]): number | undefined {
  const out = outputs[0];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D':
    case 'GroupedConv2D':
      // Every output: kh x kw x (Cin / groups).
      return size(out) * dim(inputs[1], 0) * dim(inputs[1], 1) * dim(inputs[1], 2);
    case 'Conv2DBackpropInput':
    case 'GroupedConv2DBackpropInput':
      return size(inputs[0]) * dim(inputs[1], 0) * dim(inputs[1], 1) * dim(inputs[1], 2);
    case 'Conv2DBackpropFilter':
    case 'GroupedConv2DBackpropFilter':
      return size(inputs[1]) * dim(out, 0) * dim(out, 1) * dim(out, 2);
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D':
      return size(out) * dim(inputs[1], 0) * dim(inputs[1], 1);
    case 'DepthwiseConv2dNativeBackpropInput':
      return size(inputs[0]) * dim(inputs[1], 0) * dim(inputs[1], 1);
    case 'DepthwiseConv2dNativeBackpropFilter':
      return size(inputs[1]) * dim(out, 0) * dim(out, 1);
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // a holds M x K in its last two dimensions (either order: transposeA is not recorded).
      const m = dim(out, -2);
      const k = m > 0 ? (dim(inputs[0], -1) * dim(inputs[0], -2)) / m : 0;
      return size(out) * k;
    }
    default:
      return undefined;
  }
}

/** What tf.profile resolves to (tfjs exports no name for it). */
type ProfileInfo = Awaited<ReturnType<typeof tf.profile>>;

/**
 * What one call of a kernel computed, for the profile's `parts`: a matMul's operand form from its
 * shapes (the transpose flags are not recorded): A·Bᵀ when both share their last dimension, Aᵀ·B when
 * they share the one before, else A·B; a convolution's input shapes; the app's own kernels (App*:
 * BatchNorm, squeeze-excitation) their first input's shape.
 */
export function kernelPart(name: string, inputs: Shape[], outputs: Shape[]): string | undefined {
  if (name.startsWith('App')) return `[${inputs[0]?.join(',') ?? ''}]`;
  if (name !== 'BatchMatMul' && name !== '_FusedMatMul') return kernelMacs(name, inputs, outputs) === undefined ? undefined : inputs.map((s) => `[${s?.join(',') ?? ''}]`).join(' ');
  const [a, b] = inputs;
  if (dim(a, -1) === dim(b, -2)) return 'A·B';
  if (dim(a, -1) === dim(b, -1)) return 'A·Bᵀ';
  if (dim(a, -2) === dim(b, -2)) return 'Aᵀ·B';
  return 'Aᵀ·Bᵀ';
}

const kernelTime = (t: unknown): number => (typeof t === 'number' && Number.isFinite(t) ? t : NaN);

export function summarizeProfile(
  info: ProfileInfo,
  opts: { model: string; batch: number; stepMs: number; macsExpected: number; backend: string; top?: number; steps?: number },
): StepProfile {
  // Over `steps` steps, every figure per step: their mean.
  const per = 1 / (opts.steps ?? 1);
  const byName = new Map<string, { calls: number; ms: number; macs: number; hasMacs: boolean }>();
  const parts = new Map<string, Map<string, { calls: number; ms: number; macs: number }>>();
  const scopes = new Map<string, { calls: number; ms: number }>();
  let kernelMs = 0;
  let kernelCalls = 0;
  let macsCounted = 0;
  let anyTime = false;
  for (const k of info.kernels) {
    const ms = kernelTime(k.kernelTimeMs) * per;
    if (tf.getKernel(k.name, opts.backend) === undefined) {
      const s = scopes.get(k.name) ?? { calls: 0, ms: 0 };
      s.calls += per;
      s.ms += Number.isNaN(ms) ? 0 : ms;
      scopes.set(k.name, s);
      continue;
    }
    const kernelMacsOf = kernelMacs(k.name, k.inputShapes, k.outputShapes);
    const macs = kernelMacsOf === undefined ? undefined : kernelMacsOf * per;
    const row = byName.get(k.name) ?? { calls: 0, ms: 0, macs: 0, hasMacs: false };
    row.calls += per;
    if (!Number.isNaN(ms)) {
      row.ms += ms;
      kernelMs += ms;
      if (ms > 0) anyTime = true;
    }
    if (macs !== undefined) {
      row.macs += macs;
      row.hasMacs = true;
      macsCounted += macs;
    }
    kernelCalls += per;
    byName.set(k.name, row);
    const part = kernelPart(k.name, k.inputShapes, k.outputShapes);
    if (part !== undefined) {
      const ofKernel = parts.get(k.name) ?? new Map<string, { calls: number; ms: number; macs: number }>();
      const f = ofKernel.get(part) ?? { calls: 0, ms: 0, macs: 0 };
      f.calls += per;
      f.ms += Number.isNaN(ms) ? 0 : ms;
      f.macs += macs ?? 0;
      ofKernel.set(part, f);
      parts.set(k.name, ofKernel);
    }
  }
  const timing: StepProfile['timing'] = !anyTime ? 'unavailable' : opts.backend === 'webgpu' ? 'gpu-timestamps' : 'synchronous';
  const round = (x: number, d = 3) => +x.toFixed(d);
  const all: ProfileRow[] = [...byName].map(([op, r]) => ({
    op,
    calls: round(r.calls, 2),
    ms: round(r.ms),
    fractionOfStep: round(r.ms / opts.stepMs, 4),
    ...(r.hasMacs ? { macs: r.macs, ...(r.ms > 0 ? { gMacsPerSecond: round(r.macs / (r.ms / 1000) / 1e9) } : {}) } : {}),
    ...(parts.has(op)
      ? {
          parts: [...parts.get(op)!].map(([part, f]) => ({
            part,
            calls: round(f.calls, 2),
            ms: round(f.ms),
            macs: f.macs,
            ...(f.ms > 0 ? { gMacsPerSecond: round(f.macs / (f.ms / 1000) / 1e9) } : {}),
          })),
        }
      : {}),
  }));
  all.sort((a, b) => b.ms - a.ms || (b.macs ?? 0) - (a.macs ?? 0) || b.calls - a.calls);
  const top = opts.top ?? 20;
  const rows = all.slice(0, top);
  const restRows = all.slice(top);
  const restMs = restRows.reduce((s, r) => s + r.ms, 0);
  return {
    model: opts.model,
    batch: opts.batch,
    timing,
    stepMs: round(opts.stepMs),
    kernelMs: round(kernelMs),
    outsideKernelsMs: round(opts.stepMs - kernelMs),
    kernelCalls: round(kernelCalls, 2),
    macsCounted,
    macsExpected: opts.macsExpected,
    rows,
    rest: { ops: restRows.length, calls: restRows.reduce((s, r) => s + r.calls, 0), ms: round(restMs), fractionOfStep: round(restMs / opts.stepMs, 4) },
    ...(scopes.size ? { scopes: [...scopes].map(([name, s]) => ({ name, calls: round(s.calls, 2), ms: round(s.ms) })) } : {}),
  };
}

/**
 * Profiles `steps` calls of `step` (1 unless given; run it at least once before, so one-time setup is not in
 * the profile), every figure per step (their mean).
 */
export async function profileStep(
  step: () => Promise<unknown>,
  opts: { model: string; batch: number; macsExpected: number; top?: number; steps?: number },
): Promise<StepProfile> {
  const steps = opts.steps ?? 1;
  let stepMs = 0;
  const info = await tf.profile(async () => {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    stepMs = (performance.now() - t0) / steps;
  });
  return summarizeProfile(info, { ...opts, stepMs, backend: tf.getBackend() });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Prints a step's profile as a table on stderr; `parts` adds each conv/matMul row's parts. */
export function printProfile(backend: string, p: StepProfile, parts = false): void {
  const e = (s: string) => console.error(s);
  e(`\n[${backend}] profile of one step, ${p.model} batch ${p.batch}: step ${p.stepMs} ms${p.unprofiledStepMs ? ` (unprofiled ${p.unprofiledStepMs} ms)` : ''}, kernels ${p.kernelMs} ms (${pct(p.kernelMs / p.stepMs)}) in ${p.kernelCalls} calls, kernel times ${p.timing}`);
  e(`${'op'.padEnd(36)} ${'calls'.padStart(5)} ${'ms'.padStart(9)} ${'of step'.padStart(8)} ${'GMAC/s'.padStart(7)}`);
  const gmacs = (g: number | undefined) => (g === undefined ? '' : g.toFixed(2)).padStart(7);
  for (const r of p.rows) {
    e(`${r.op.padEnd(36)} ${String(r.calls).padStart(5)} ${r.ms.toFixed(1).padStart(9)} ${pct(r.fractionOfStep).padStart(8)} ${gmacs(r.gMacsPerSecond)}`);
    if (parts) for (const f of r.parts ?? []) e(`${`  ${f.part}`.padEnd(36)} ${String(f.calls).padStart(5)} ${f.ms.toFixed(1).padStart(9)} ${pct(f.ms / p.stepMs).padStart(8)} ${gmacs(f.gMacsPerSecond)}`);
  }
  if (p.rest.ops) e(`${`(${p.rest.ops} other ops)`.padEnd(36)} ${String(p.rest.calls).padStart(5)} ${p.rest.ms.toFixed(1).padStart(9)} ${pct(p.rest.fractionOfStep).padStart(8)}`);
  e(`${'(outside kernels: JS, tape, read back)'.padEnd(42)} ${p.outsideKernelsMs.toFixed(1).padStart(9)} ${pct(p.outsideKernelsMs / p.stepMs).padStart(8)}`);
  e(`MACs in conv/matMul kernels: ${(p.macsCounted / 1e9).toFixed(3)} G (3 x forward x batch: ${(p.macsExpected / 1e9).toFixed(3)} G)`);
  if (p.timing === 'unavailable') e('kernel times unavailable on this backend (WebGPU without timestamp-query): rows show calls and MACs only');
}
