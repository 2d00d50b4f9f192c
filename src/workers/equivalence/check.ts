/**
 * The equivalence lab (ResNeXt Fig. 3 and 4): build forms (a), (b), (c) from the same graph
 * template and the same parameters, run them on the same input, and compare outputs (evaluation
 * and training-mode BatchNorm) and parameter gradients. Backend-agnostic: runs in a worker on
 * WebGPU/WASM/WebGL and in Node on the CPU backend (npm run equiv).
 */
import * as tf from '@tensorflow/tfjs';
import {
  type BlockForm,
  type GraphNode,
  type NetworkGraph,
  type ResNetSpec,
  BN_EPSILON,
  Mulberry32,
  RESNET_DEFAULTS,
  SPEC_DEFAULTS,
  analyzeOrThrow,
  findPreset,
  opsOf,
  paramInfos,
  trainableCount,
  uniformArray,
} from '../../models';
import { throwIfAborted } from '../abort';
import { type ExecOptions, execute } from '../engine/execute';
import { initParams, paramTensors } from '../engine/params';
import { type Activation, type ForcedDerivative, type RecordedActivation, type ReluTie, canonicalActivations, forcedDerivatives, reluTies } from './ties';
import { EQUIVALENCE_TOLERANCE } from './verdict';

export const FORMS: BlockForm[] = ['a', 'b', 'c'];
export type FormPair = `${BlockForm}-${BlockForm}`;
export const DEFAULT_PAIRS: FormPair[] = ['a-b', 'a-c', 'b-c'];

export interface BlockCheckRequest {
  kind: 'block';
  /** 'bottleneck': Fig. 3; 'basic': the depth-2 block of Fig. 4. */
  block: 'bottleneck' | 'basic';
  cardinality: number;
  bottleneckWidth: number;
  /** Input (and output) channels of the block, e.g. 256. */
  width: number;
  /** Spatial size of the input maps. */
  size: number;
  stride: 1 | 2;
  batch: number;
  seed: number;
  pairs?: FormPair[];
  /** Repetitions for the timings; 0 skips timing. */
  timingRuns?: number;
}

export interface NetworkCheckRequest {
  kind: 'network';
  /** A spec of the ResNet family (e.g. the classroom ResNeXt-29); its form is overridden. */
  spec: ResNetSpec;
  batch: number;
  seed: number;
  pairs?: FormPair[];
  timingRuns?: number;
}

export type CheckRequest = BlockCheckRequest | NetworkCheckRequest;

export interface Diff {
  maxAbs: number;
  /** max |a - b| / max(|b|) over the tensor: scale-free. */
  maxRel: number;
}

export interface PairResult {
  pair: FormPair;
  eval: Diff;
  train: Diff;
  /** Over every parameter gradient (loss = mean(output x fixed random weights), training mode). */
  gradients: Diff;
  /**
   * Only where some ReLU input is at a tie (`CheckResult.ties`): the gradients again, with ReLU's
   * derivative at every tie taken on form (c)'s side in every form.
   */
  gradientsOneChoice?: Diff;
}

export interface FormResult {
  form: BlockForm;
  /** Trainable parameters the form's graph counts (core counting convention). */
  params: number;
  ops: number;
  branches: number;
  /** Median ms over timingRuns; undefined when not timed. */
  forwardMs?: number;
  forwardBackwardMs?: number;
}

export interface CheckResult {
  request: CheckRequest;
  backend: string;
  inputShape: number[];
  outputShape: number[];
  forms: FormResult[];
  pairs: PairResult[];
  /** The largest difference over all pairs and modes, gradients as computed (no choice at ties). */
  worst: Diff;
  /**
   * ReLU inputs on different sides of 0 in two forms yet within the tolerance of each other: ReLU
   * has no derivative there (docs/papers.md#ties-at-relus-kink). One entry per op and pair.
   */
  ties: ReluTie[];
}

export interface CheckHooks {
  signal?: AbortSignal;
  onProgress?: (message: string, fraction: number) => void;
}

/** The one-block ResNet spec whose only block is the block under test. */
export function blockCheckSpec(r: BlockCheckRequest, form: BlockForm): ResNetSpec {
  return {
    ...SPEC_DEFAULTS,
    ...RESNET_DEFAULTS,
    family: 'resnet',
    name: `${r.block} block ${r.cardinality}x${r.bottleneckWidth}d`,
    input: { resolution: r.size, channels: r.width, classes: 10 },
    stem: { width: r.width, kernel: 1, stride: 1, maxPool: false },
    block: r.block,
    cardinality: r.cardinality,
    bottleneckWidth: r.bottleneckWidth,
    // Expansion 1 keeps the block output = planes = width; the branch width is d (C·d in all).
    expansion: 1,
    stages: [{ blocks: 1, planes: r.width, stride: r.stride }],
    form,
  };
}

interface Subject {
  form: BlockForm;
  graph: NetworkGraph;
  /** What is executed: the block under test, or the whole network. */
  node: GraphNode;
}

function subjects(request: CheckRequest): Subject[] {
  return FORMS.map((form) => {
    const spec = request.kind === 'block' ? blockCheckSpec(request, form) : { ...request.spec, form };
    const graph = analyzeOrThrow(spec).graph;
    if (request.kind === 'network') return { form, graph, node: graph };
    const stage = graph.children.find((s) => s.name === 'layer1');
    const block = stage?.kind === 'node' ? stage.children[0] : undefined;
    if (block?.kind !== 'node') throw new Error('the block under test is missing from its graph');
    return { form, graph, node: block };
  });
}

async function diffOf(a: tf.Tensor, b: tf.Tensor): Promise<Diff> {
  const [maxAbs, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))), tf.max(tf.abs(b))]);
  const [abs, ref] = [(await maxAbs!.data())[0] ?? NaN, (await scale!.data())[0] ?? NaN];
  maxAbs!.dispose();
  scale!.dispose();
  return { maxAbs: abs, maxRel: ref > 0 ? abs / ref : abs };
}

const worse = (a: Diff, b: Diff): Diff => ({ maxAbs: Math.max(a.maxAbs, b.maxAbs), maxRel: Math.max(a.maxRel, b.maxRel) });
const ZERO: Diff = { maxAbs: 0, maxRel: 0 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Waits for every tensor's data (the only reliable sync on WebGPU), then disposes them. */
async function settle(ts: tf.Tensor[]): Promise<void> {
  await Promise.all(ts.map((t) => t.data()));
  tf.dispose(ts);
}

/**
 * Runs the check. Every tensor it makes is disposed before it returns (or throws).
 */
export async function runEquivalenceCheck(request: CheckRequest, hooks: CheckHooks = {}): Promise<CheckResult> {
  const { signal, onProgress } = hooks;
  const subs = subjects(request);
  const canonical = subs.find((s) => s.form === 'c')!;
  const values = initParams(canonical.graph, request.seed);
  const inputShape = [request.batch, canonical.node.input.height, canonical.node.input.width, canonical.node.input.channels];
  const random = new Mulberry32(request.seed + 1);
  const inputValues = uniformArray(inputShape.reduce((a, b) => a * b, 1), 1, random);
  const outShape = [request.batch, canonical.node.output.height, canonical.node.output.width, canonical.node.output.channels];
  const projectionValues = uniformArray(outShape.reduce((a, b) => a * b, 1), 1, random);
  const pairs = request.pairs ?? DEFAULT_PAIRS;
  const runs = request.timingRuns ?? 0;

  const params = paramTensors(values, true);
  const variables = [...params.values()].filter((t): t is tf.Variable => t instanceof tf.Variable);
  const x = tf.tensor4d(inputValues, inputShape as [number, number, number, number]);
  const projection = tf.tensor(projectionValues, outShape);
  const outputs = new Map<BlockForm, { eval: tf.Tensor; train: tf.Tensor; grads: tf.Tensor[]; oneChoice?: tf.Tensor[] }>();
  const activations = new Map<BlockForm, Map<string, Activation>>();
  const forms: FormResult[] = [];
  const channelsOf = reluChannels(canonical.node);
  try {
    for (const [i, s] of subs.entries()) {
      throwIfAborted(signal, 'The check was stopped.');
      onProgress?.(`form (${s.form}): forward and gradients`, i / (subs.length + 1));
      const evalOpts: ExecOptions = { params, training: false };
      const trainOpts: ExecOptions = { params, training: true };
      const evalOut = tf.tidy(() => execute(s.node, x, evalOpts));
      const trainOut = tf.tidy(() => execute(s.node, x, trainOpts));
      // A fixed random linear read-out of the output, averaged: a loss whose gradient reaches every parameter.
      const lossWith = (opts: ExecOptions) => () => tf.mean(tf.mul(execute(s.node, x, opts), projection)) as tf.Scalar;
      const loss = lossWith(trainOpts);
      // The gradient pass records every ReLU's input, to find inputs at ReLU's kink.
      const recorded: { name: string; input: tf.Tensor }[] = [];
      const recording: ExecOptions['relu'] = (op, input) => {
        recorded.push({ name: op.name, input: tf.keep(tf.clone(input)) });
        return tf.relu(input);
      };
      try {
        const { value, grads } = tf.variableGrads(lossWith({ ...trainOpts, relu: recording }), variables);
        value.dispose();
        const gradList = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
        outputs.set(s.form, { eval: evalOut, train: trainOut, grads: gradList });
        await Promise.all([evalOut.data(), trainOut.data(), ...gradList.map((g) => g.data())]);
        const values: RecordedActivation[] = await Promise.all(recorded.map(async (r) => ({ name: r.name, shape: r.input.shape, values: (await r.input.data()) as Float32Array })));
        activations.set(s.form, canonicalActivations(values, channelsOf));
      } finally {
        tf.dispose(recorded.map((r) => r.input));
      }

      const result: FormResult = {
        form: s.form,
        params: trainableCount(paramInfos(s.node)),
        ops: [...opsOf(s.node)].length,
        branches: countBranches(s.node),
      };
      if (runs > 0) {
        const fwd: number[] = [];
        const fwdBwd: number[] = [];
        for (let r = 0; r < runs + 1; r++) {
          throwIfAborted(signal, 'The check was stopped.');
          let t0 = performance.now();
          await settle([tf.tidy(() => execute(s.node, x, trainOpts))]);
          if (r > 0) fwd.push(performance.now() - t0); // the first run warms up (shader compiles)
          t0 = performance.now();
          const g = tf.variableGrads(loss, variables);
          await settle([g.value, ...Object.values(g.grads)]);
          if (r > 0) fwdBwd.push(performance.now() - t0);
        }
        result.forwardMs = median(fwd);
        result.forwardBackwardMs = median(fwdBwd);
      }
      forms.push(result);
    }

    onProgress?.('comparing', subs.length / (subs.length + 1));
    const ties = pairs.flatMap((pair) => reluTies(activations.get(pair[0] as BlockForm)!, activations.get(pair[2] as BlockForm)!, pair, EQUIVALENCE_TOLERANCE));
    // At a tie each form takes ReLU's derivative on its own side: compute the gradients again with
    // form (c)'s side in every form, so that the comparison is of the same choice.
    let oneChoice = ties.length > 0;
    for (const s of subs) {
      if (s.form === 'c') continue;
      const ops = [...opsOf(s.node)].filter((o) => o.type === 'relu').map((o) => ({ name: o.name, shape: [request.batch, o.input.height, o.input.width, o.input.channels] }));
      const forced = forcedDerivatives(activations.get(s.form)!, activations.get('c')!, ops, EQUIVALENCE_TOLERANCE);
      if (forced.size === 0) continue;
      oneChoice = true;
      throwIfAborted(signal, 'The check was stopped.');
      onProgress?.(`form (${s.form}): gradients with one choice at ReLU ties`, subs.length / (subs.length + 1));
      const out = outputs.get(s.form)!;
      out.oneChoice = gradientsWithForcedRelu(s.node, x, projection, params, variables, forced);
      await Promise.all(out.oneChoice.map((g) => g.data()));
    }
    const pairResults: PairResult[] = [];
    let worst = ZERO;
    for (const pair of pairs) {
      const [p, q] = pair.split('-') as [BlockForm, BlockForm];
      const a = outputs.get(p)!;
      const b = outputs.get(q)!;
      let gradients = ZERO;
      for (let k = 0; k < a.grads.length; k++) gradients = worse(gradients, await diffOf(a.grads[k]!, b.grads[k]!));
      const r: PairResult = { pair, eval: await diffOf(a.eval, b.eval), train: await diffOf(a.train, b.train), gradients };
      if (oneChoice) {
        let d = ZERO;
        const [ga, gb] = [a.oneChoice ?? a.grads, b.oneChoice ?? b.grads];
        for (let k = 0; k < ga.length; k++) d = worse(d, await diffOf(ga[k]!, gb[k]!));
        r.gradientsOneChoice = d;
      }
      worst = worse(worst, worse(worse(r.eval, r.train), r.gradients));
      pairResults.push(r);
    }
    onProgress?.('done', 1);
    return { request, backend: tf.getBackend(), inputShape, outputShape: outShape, forms, pairs: pairResults, worst, ties };
  } finally {
    for (const o of outputs.values()) tf.dispose([o.eval, o.train, ...o.grads, ...(o.oneChoice ?? [])]);
    tf.dispose([x, projection, ...params.values()]);
  }
}

/** Channels of every ReLU op in form (c)'s node, by name. */
function reluChannels(node: GraphNode): (name: string) => number | undefined {
  const channels = new Map([...opsOf(node)].filter((o) => o.type === 'relu').map((o) => [o.name, o.input.channels]));
  return (name) => channels.get(name);
}

/**
 * Parameter gradients with ReLU's derivative forced where `forced` says (per op of this form);
 * elsewhere tfjs' own (1 above 0, 0 otherwise). The forward pass is unchanged.
 */
export function gradientsWithForcedRelu(node: GraphNode, x: tf.Tensor4D, projection: tf.Tensor, params: Map<string, tf.Tensor>, variables: tf.Variable[], forced: Map<string, ForcedDerivative>): tf.Tensor[] {
  const masks = new Map([...forced].map(([name, f]) => [name, { forced: tf.tensor(f.forced, f.shape, 'bool'), value: tf.tensor(f.value, f.shape) }]));
  try {
    const relu = (op: { name: string }, input: tf.Tensor): tf.Tensor => {
      const m = masks.get(op.name);
      if (!m) return tf.relu(input);
      const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
        save([t]);
        return { value: tf.relu(t), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.where(m.forced, m.value, tf.step(saved!))) };
      });
      return f(input);
    };
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.mul(execute(node, x, { params, training: true, relu }), projection)) as tf.Scalar, variables);
    value.dispose();
    return variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
  } finally {
    for (const m of masks.values()) tf.dispose([m.forced, m.value]);
  }
}

function countBranches(node: GraphNode): number {
  let n = 0;
  const visit = (item: GraphNode) => {
    for (const c of item.children) {
      if (c.kind !== 'node') continue;
      if (c.branch === 'parallel') n++;
      visit(c);
    }
  };
  visit(node);
  return n;
}

export interface DumpedTensor {
  shape: number[];
  layout: string;
  values: number[];
}

/**
 * Everything needed to verify a block check in another framework: the input, every parameter of
 * form (c) in tfjs layouts, BN epsilon, and the three outputs (evaluation mode), all NHWC.
 */
export async function dumpBlockCheck(request: BlockCheckRequest): Promise<Record<string, unknown>> {
  const subs = subjects(request);
  const canonical = subs.find((s) => s.form === 'c')!;
  const values = initParams(canonical.graph, request.seed);
  const inputShape = [request.batch, canonical.node.input.height, canonical.node.input.width, canonical.node.input.channels];
  const inputValues = uniformArray(inputShape.reduce((a, b) => a * b, 1), 1, new Mulberry32(request.seed + 1));
  const params = paramTensors(values, false);
  const x = tf.tensor4d(inputValues, inputShape as [number, number, number, number]);
  try {
    const outputs: Record<string, DumpedTensor> = {};
    for (const s of subs) {
      const y = tf.tidy(() => execute(s.node, x, { params, training: false }));
      outputs[s.form] = { shape: y.shape, layout: 'NHWC', values: Array.from(await y.data()) };
      y.dispose();
    }
    const blockPrefix = `${canonical.node.name}.`;
    const weights: Record<string, DumpedTensor> = {};
    for (const [key, v] of values) {
      if (!key.startsWith(blockPrefix)) continue;
      const layout = key.endsWith('.weight') && v.shape.length === 4 ? 'conv filter [kh, kw, in/groups, out]' : 'per channel';
      weights[key] = { shape: v.shape, layout, values: Array.from(v.values) };
    }
    const groupedConvs = [...opsOf(canonical.node)].filter((o) => o.type === 'conv').map((o) => ({ name: o.name, kernel: o.kernel, stride: o.stride, padding: o.padding, groups: o.groups }));
    return {
      request,
      note: 'Form (c) block in evaluation mode (BN uses running_mean/running_var). Conv filters are tfjs layout [kh, kw, in/groups, out]; group g maps input channels [g*in/G, (g+1)*in/G) to output channels [g*out/G, (g+1)*out/G). Padding is symmetric. BN: gamma = .weight, beta = .bias.',
      bnEpsilon: BN_EPSILON,
      convs: groupedConvs,
      input: { shape: inputShape, layout: 'NHWC', values: Array.from(inputValues) },
      weights,
      outputs,
    };
  } finally {
    tf.dispose([x, ...params.values()]);
  }
}

/** The classroom ResNeXt-29 (or any ResNet-family preset) as a whole-network check. */
export function networkCheckRequest(presetName: string, batch: number, seed: number, resolution?: number): NetworkCheckRequest {
  const spec = findPreset(presetName)?.spec;
  if (spec?.family !== 'resnet') throw new Error(`${presetName} is not a ResNet-family preset`);
  return { kind: 'network', spec: resolution ? { ...spec, input: { ...spec.input, resolution } } : spec, batch, seed };
}
