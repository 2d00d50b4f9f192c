/**
 * (Over 400 lines: the Trainer class, whose steps, micro-batches, checkpoints and resume share its
 * state; the pure parts are settings.ts, schedule.ts, init.ts, memory.ts, and the tfjs parts
 * batchNormStats.ts, evaluation.ts, augment.ts, optimizer.ts.)
 *
 * The training engine: trains any network the explorer builds at CIFAR size, from its
 * graph via `execute`, on whatever tfjs backend is active (WebGPU, WASM, WebGL, CPU).
 *
 * Recipe: ResNeXt's CIFAR recipe (Sec. 5.3) scaled to a browser: SGD with momentum 0.9 in PyTorch's
 * semantics, weight decay 5e-4 on conv and FC weights only, lr / 10 at 50% and 75% of the run
 * (or cosine, or one-cycle), zero-pad 4 + random crop + random flip on the backend, per-channel
 * normalisation, softmax cross-entropy. BatchNorm trains on batch statistics and keeps PyTorch's
 * running estimates (momentum 0.1, unbiased variance), which evaluation uses. The fast recipe's
 * tricks (settings.ts, docs/training.md) are each a setting: the triangular schedule, Nesterov,
 * label smoothing, weight averaging (ema.ts), zero-init of residual branches (init.ts), flip TTA
 * (evaluation.ts); with all of them off a run does exactly what it did before they existed.
 * A time-budget run starts without a length: steps run at the schedule's starting rate until the
 * job fixes the total (`fixTotalSteps`).
 *
 * Determinism: initial weights, each epoch's batch order and each step's crops and flips are pure
 * functions of (seed, epoch) and (seed, step), so a run is reproducible on the same backend and a
 * checkpoint needs no generator state beyond the seed and the step.
 *
 * Fixed shapes: the last partial batch of an epoch is dropped; evaluation pads its last batch with
 * zeros and ignores the padding (evaluation BatchNorm is per image, so padding changes nothing).
 * WebGPU's buffer pool never shrinks (docs/tfjs.md#buffer-pool-never-shrinks), so every step reuses the same buffers.
 *
 * Memory: tfjs' autodiff keeps every saved activation until the backward pass ends: a classroom
 * ResNeXt-29 step needs ~57 MiB per image on wasm (ResNet-29 ~44 MiB), several times the activations
 * the core counts. `measureBytesPerImage` measures it and `microBatchSize` bounds it.
 *
 * Not modelled: dropout and stochastic depth (`execute` runs dropout as the identity).
 */
import * as tf from '@tensorflow/tfjs';
import { CIFAR_CHANNELS, CIFAR_IMAGE_BYTES, CIFAR_IMAGE_SIZE, CIFAR_NORMALIZATION, classCount } from '../../data/format';
import {
  type ArchSpec,
  Mulberry32,
  type NetworkGraph,
  type ParamInfo,
  analyzeOrThrow,
  deriveSeed,
  isTrainable,
  paramInfos,
  paramShape,
  paramSize,
  parameterGraph,
  shuffledIndices,
  weightDecayApplies,
} from '../../models';
import { yieldToEventLoop } from '../abort';
import { type ExecOptions, execute } from '../engine/execute';
import type { ParamTensors, ParamValues } from '../engine/params';
import { kernelsRegistered, settleQueuedKernels } from '../kernels';
import { type Normalization, batchTensor, fillBatch, makeBatch, planAugmentation } from './augment';
import { type BatchStats, type BnOp, bnOpsOf, updateRunningStats } from './batchNormStats';
import { WeightAverage } from './ema';
import { type EvalContext, disposeEval, evaluateImages, predictImages } from './evaluation';
import { STREAM, residualBranchEndGammas, trainingInit } from './init';
import { SgdMomentum, type SgdParam } from './optimizer';
import { learningRateAt } from './schedule';
import { type TrainSettings, resolveSettings } from './settings';
import type { EvalMetrics, StepMetrics, TrainCheckpoint, TrainData } from './types';

export interface RunHooks {
  signal?: AbortSignal;
  onStep?: (m: StepMetrics) => void;
}

/** Smoothing of the step time behind the ETA. */
const ETA_SMOOTHING = 0.1;

function validateData(data: TrainData, classes: number): void {
  const dataClasses = classCount(data.dataset);
  if (dataClasses !== classes) throw new Error(`the network has ${classes} outputs but the data has ${dataClasses} classes`);
  const check = (split: string, images: Uint8Array, labels: Uint8Array) => {
    if (images.length !== labels.length * CIFAR_IMAGE_BYTES) throw new Error(`${split}: ${images.length} image bytes for ${labels.length} labels (expected ${CIFAR_IMAGE_BYTES} per image)`);
    const bad = labels.findIndex((l) => l >= classes);
    if (bad >= 0) throw new Error(`${split}: label ${labels[bad]} at ${bad} is not below ${classes}`);
  };
  check('train', data.trainImages, data.trainLabels);
  check('test', data.testImages, data.testLabels);
}

/** The graph the network runs and the form-(c) graph its canonical parameters come from. */
function graphsOf(spec: ArchSpec): { graph: NetworkGraph; paramGraph: NetworkGraph } {
  const a = analyzeOrThrow(spec);
  const { input } = a.spec;
  if (input.resolution !== CIFAR_IMAGE_SIZE || input.channels !== CIFAR_CHANNELS) {
    throw new Error(`training takes CIFAR images (${CIFAR_IMAGE_SIZE}x${CIFAR_IMAGE_SIZE}, ${CIFAR_CHANNELS} channels); the spec's input is ${input.resolution} px, ${input.channels} channels`);
  }
  const out = a.graph.output;
  if (out.height !== 1 || out.width !== 1 || out.channels !== input.classes) throw new Error(`the network's output is ${out.channels}x${out.height}x${out.width}, not ${input.classes} class scores`);
  // Forms (a) and (b) read slices of the form-(c) parameters (execute.ts).
  return { graph: a.graph, paramGraph: parameterGraph(a) };
}

/** `fillAhead`: the next step's batch is filled at the end of a step (off: at its own step; the bench's A/B switch). */
export const trainerOptions = { fillAhead: true };

/** sum + t, disposing both inputs (sum may be undefined: the first term). */
function accumulate(sum: tf.Tensor | undefined, t: tf.Tensor): tf.Tensor {
  if (!sum) return t;
  const out = tf.add(sum, t);
  tf.dispose([sum, t]);
  return out;
}

let nextTrainerId = 0;

export class Trainer {
  readonly spec: ArchSpec;
  readonly graph: NetworkGraph;
  readonly stepsPerEpoch: number;
  /** The run's length; undefined while a time-budget run has not fixed it. */
  private total: number | undefined;
  readonly classes: number;
  private readonly data: TrainData;
  private runSettings: TrainSettings;
  private readonly infos: ParamInfo[];
  /** Every parameter and running statistic, by state_dict key. */
  private readonly variables: Map<string, tf.Variable>;
  private readonly optimizer: SgdMomentum;
  /** The weight average evaluation uses (settings.ema). */
  private readonly average?: WeightAverage;
  private readonly bnOps: Map<string, BnOp>;
  /** The dataset's per-channel statistics (CIFAR-10's and CIFAR-100's differ). */
  readonly normalization: Normalization;
  private stepsDone: number;
  /** Started with a time budget and no length: its length is fixed, then refitted, from its measured speed. */
  private readonly budgeted: boolean;
  private lrBase: number;
  private order?: { epoch: number; indices: Int32Array };
  /** The next step's batch values, filled while the kernel helpers still ran the step before (`batchValues`). */
  private nextBatch?: { key: string; values: Float32Array; labels: Int32Array };
  private secondsPerStep?: number;
  private running = false;
  private disposed = false;

  private constructor(spec: ArchSpec, data: TrainData, settings: TrainSettings, resume?: TrainCheckpoint) {
    const { graph, paramGraph } = graphsOf(spec);
    this.spec = spec;
    this.graph = graph;
    this.classes = graph.output.channels;
    validateData(data, this.classes);
    this.data = data;
    this.normalization = CIFAR_NORMALIZATION[data.dataset];
    this.runSettings = settings;
    this.stepsPerEpoch = Math.floor(data.trainLabels.length / settings.batchSize);
    if (this.stepsPerEpoch < 1) throw new Error(`${data.trainLabels.length} training images make no batch of ${settings.batchSize}`);
    this.total = settings.steps ?? (settings.timeBudgetMinutes ? undefined : settings.epochs * this.stepsPerEpoch);
    this.budgeted = this.total === undefined;
    this.infos = paramInfos(paramGraph);
    this.bnOps = bnOpsOf(graph);
    this.stepsDone = resume?.step ?? 0;
    this.lrBase = settings.learningRate;

    const values = resume ? resume.params : trainingInit(this.infos, settings.seed, settings.zeroInitResidual ? new Set(residualBranchEndGammas(paramGraph)) : undefined);
    const id = nextTrainerId++;
    this.variables = new Map();
    try {
      for (const info of this.infos) {
        const v = values.get(info.key);
        const size = paramSize(info);
        if (!v || v.values.length !== size) throw new Error(`checkpoint: ${info.key} is ${v ? `${v.values.length} values` : 'missing'}, the network needs ${size}`);
        // A copy: the CPU backend would keep the checkpoint's array as its storage.
        const t = tf.tensor(resume ? v.values.slice() : v.values, paramShape(info, 'tfjs'));
        this.variables.set(info.key, tf.variable(t, isTrainable(info), `train${id}/${info.key}`));
        t.dispose();
      }
      const trainable: SgdParam[] = this.infos
        .filter(isTrainable)
        .map((i) => ({ key: i.key, variable: this.variables.get(i.key)!, decay: weightDecayApplies(i) }));
      const buffers = resume ? new Map([...resume.momentum].map(([k, v]) => [k, v.values])) : undefined;
      if (buffers) for (const p of trainable) if (!buffers.has(p.key)) throw new Error(`checkpoint: no momentum buffer for ${p.key}`);
      // A checkpoint of an averaged run carries its averages; without them the average restarts from the weights.
      if (settings.ema) this.average = new WeightAverage(this.variables, settings.emaDecay, resume?.ema);
      this.optimizer = new SgdMomentum(trainable, { momentum: settings.momentum, weightDecay: settings.weightDecay, nesterov: settings.nesterov }, buffers);
    } catch (e) {
      this.average?.dispose();
      tf.dispose([...this.variables.values()]);
      throw e;
    }
  }

  /**
   * A trainer for `spec` on `data` (the active tfjs backend must be ready). With `resume`, the run
   * continues from the checkpoint: its settings (and seed) win over `settings`.
   */
  static create(spec: ArchSpec, data: TrainData, settings: Partial<TrainSettings> = {}, resume?: TrainCheckpoint): Trainer {
    if (resume && resume.version !== 1) throw new Error(`checkpoint version ${String(resume.version)} is not supported`);
    // Stock tfjs-wasm cannot train convolutions at all (kernels/wasm): the backend must have been
    // started by switchBackend, which registers the app's kernels.
    if (!kernelsRegistered(tf.getBackend())) throw new Error(`the ${tf.getBackend()} backend was not started with switchBackend (engine/backend.ts): its kernels are missing`);
    return new Trainer(spec, data, resolveSettings(resume ? resume.settings : settings), resume);
  }

  get step(): number {
    return this.stepsDone;
  }
  /** Epochs completed. */
  get epoch(): number {
    return Math.floor(this.stepsDone / this.stepsPerEpoch);
  }
  get settings(): Readonly<TrainSettings> {
    return { ...this.runSettings, learningRate: this.lrBase };
  }
  /** The run's length in steps (0 while a time-budget run has not fixed it). */
  get totalSteps(): number {
    return this.total ?? 0;
  }
  /** A time-budget run whose length is not fixed yet. */
  get sizing(): boolean {
    return this.total === undefined;
  }
  get done(): boolean {
    return this.total !== undefined && this.stepsDone >= this.total;
  }
  /** The learning rate the next step will use (while the length is unknown: the schedule's start, as in a run without end). */
  get learningRate(): number {
    const s = this.runSettings;
    return learningRateAt(s.schedule, this.lrBase, this.stepsDone, this.total ?? Number.MAX_SAFE_INTEGER, s.warmup);
  }

  /**
   * Fixes a time-budget run's length at `total` steps (at least one more than done): the schedule
   * runs from here as in a run of that length, and checkpoints carry it as `steps`.
   */
  fixTotalSteps(total: number): void {
    if (this.total !== undefined) throw new Error(`the run's length is already fixed at ${this.total} steps`);
    this.setTotal(total);
  }

  /**
   * Refits a time-budget run's length as its speed measurement improves (a slower machine, the
   * evaluations' real cost): the schedule continues as in a run of the new length from here. Only a
   * run started with a budget and no length, after `fixTotalSteps`; never below one more step.
   */
  refitTotalSteps(total: number): void {
    if (!this.budgeted) throw new Error('only a time-budget run refits its length');
    if (this.total === undefined) throw new Error("a time-budget run's length is fixed before it is refitted");
    this.setTotal(total);
  }

  private setTotal(total: number): void {
    this.total = Math.max(this.stepsDone + 1, Math.round(total));
    this.runSettings = { ...this.runSettings, steps: this.total };
  }

  /** Like TF Playground's control: replaces the schedule's base rate from the next step on (the schedule's shape stays). */
  setLearningRate(lr: number): void {
    if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`learning rate must be positive, not ${lr}`);
    this.lrBase = lr;
  }

  /**
   * Backend memory one training image needs (its activations, their gradients and the temporaries
   * of a forward and backward pass as tfjs runs them), measured: the peak of tf.profile over the
   * gradient of `images` training images, above what was allocated before, divided by `images`.
   * Updates nothing. tfjs keeps far more than the activations the architecture core counts (the
   * classroom ResNeXt-29 on wasm: ~57 MiB per image against 11 MiB of activations).
   */
  async measureBytesPerImage(images = 2): Promise<number> {
    if (this.disposed) throw new Error('the trainer was disposed');
    const n = Math.min(images, this.runSettings.batchSize);
    const k = this.classes;
    const indices = this.batchIndices(0).subarray(0, n);
    const x = makeBatch(this.data.trainImages, indices, n, this.normalization);
    const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(indices, (i) => this.data.trainLabels[i]!), 'int32'), k).toFloat());
    const trainable = this.optimizer.params.map((p) => p.variable);
    const before = tf.memory().numBytes;
    try {
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => {
          const logits = tf.reshape(execute(this.graph, x, { params: this.variables, training: true }), [n, k]);
          return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
        }, trainable);
        tf.dispose([value, ...Object.values(grads)]);
      });
      return Math.max(0, profile.peakBytes - before) / n;
    } finally {
      tf.dispose([x, oneHot]);
    }
  }

  /** Splits every later step into micro-batches of `size` (a divisor of the batch size; see TrainSettings). */
  setMicroBatchSize(size: number | undefined): void {
    const next = resolveSettings({ ...this.runSettings, microBatchSize: size });
    this.runSettings = size === undefined || size === next.batchSize ? { ...next, microBatchSize: undefined } : next;
  }

  /** Parameter tensors as execute takes them (the trainer's variables; do not dispose). */
  get params(): ParamTensors {
    return this.variables;
  }

  /** The training images (indices into TrainData) of step `step` (0-based), in batch order. */
  batchIndices(step: number = this.stepsDone): Int32Array {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (this.order?.epoch !== epoch) {
      const random = new Mulberry32(deriveSeed(this.runSettings.seed, STREAM.shuffle, epoch));
      this.order = { epoch, indices: shuffledIndices(this.data.trainLabels.length, random) };
    }
    const b = this.runSettings.batchSize;
    const start = (step % this.stepsPerEpoch) * b;
    return this.order.indices.slice(start, start + b);
  }

  /** What step `step`'s batch depends on besides the data: the values filled ahead are used only for the same. */
  private batchKey(step: number): string {
    const s = this.runSettings;
    return `${step} ${s.batchSize} ${s.augment} ${s.seed}`;
  }

  /** Step `step`'s images (normalised, augmented as the settings say) and labels. */
  private fillBatchOf(step: number): { key: string; values: Float32Array; labels: Int32Array } {
    const s = this.runSettings;
    const b = s.batchSize;
    const indices = this.batchIndices(step);
    const plan = s.augment ? planAugmentation(b, new Mulberry32(deriveSeed(s.seed, STREAM.augment, step))) : undefined;
    const values = fillBatch(this.data.trainImages, indices, b, new Float32Array(b * CIFAR_IMAGE_BYTES), this.normalization, plan);
    return { key: this.batchKey(step), values, labels: Int32Array.from(indices, (i) => this.data.trainLabels[i]!) };
  }

  /** Step `step`'s batch: the one filled ahead where it is that step's under the same settings, else filled now. */
  private batchValues(step: number): { values: Float32Array; labels: Int32Array } {
    const ahead = this.nextBatch;
    this.nextBatch = undefined;
    return ahead && ahead.key === this.batchKey(step) ? ahead : this.fillBatchOf(step);
  }

  /**
   * One SGD step (synchronous: every op is queued on the backend). Returns the loss and the
   * number of correct predictions, still on the backend. With micro-batches, the gradient of each
   * is taken in turn and summed (each loss scaled by 1 / parts, so the sum is the batch's mean-loss
   * gradient); only one micro-batch's activations are alive at a time.
   */
  private trainStep(lr: number): { loss: tf.Tensor; correct: tf.Tensor } {
    const s = this.runSettings;
    const b = s.batchSize;
    const mb = s.microBatchSize ?? b;
    const parts = b / mb;
    const k = this.classes;
    const batch = this.batchValues(this.stepsDone);
    // The last step's calls done and the memory they held given back before this step allocates (else
    // the heap grows by what the two steps' tensors need at once, whenever the helpers fall behind).
    settleQueuedKernels();
    const x = batchTensor(batch.values, b);
    const labels = tf.tensor1d(batch.labels, 'int32');
    const oneHot = tf.tidy(() => tf.cast(tf.oneHot(labels, k), 'float32'));
    const trainable = this.optimizer.params.map((p) => p.variable);
    const stats: BatchStats[] = [];
    const owned: tf.Tensor[] = [x, labels, oneHot];
    let grads: tf.NamedTensorMap | undefined;
    let loss: tf.Tensor | undefined;
    let correct: tf.Tensor | undefined;
    const counted: Array<[tf.Tensor, tf.Tensor]> = [];
    try {
      for (let part = 0; part < parts; part++) {
        const slice = <T extends tf.Tensor>(t: T): T => {
          if (parts === 1) return t;
          const begin = t.shape.map((_, axis) => (axis === 0 ? part * mb : 0));
          const size = t.shape.map((d, axis) => (axis === 0 ? mb : d));
          const out = tf.slice(t, begin, size) as T;
          owned.push(out);
          return out;
        };
        const [xs, ys, ls] = [slice(x), slice(oneHot), slice(labels)];
        const partStats: BatchStats = new Map();
        stats.push(partStats);
        const opts: ExecOptions = { params: this.variables, training: true, bnBatchStats: partStats };
        let logits: tf.Tensor | undefined;
        const { value, grads: g } = tf.variableGrads(() => {
          const out = tf.reshape(execute(this.graph, xs, opts), [mb, k]);
          // Kept past the gradient's scope: the batch statistics feed the running estimates below.
          logits = tf.keep(out);
          for (const st of partStats.values()) {
            owned.push(tf.keep(st.mean), tf.keep(st.variance));
          }
          // tfjs smooths as PyTorch's label_smoothing does: targets (1 - ε)·onehot + ε / K.
          const l = (s.labelSmoothing > 0 ? tf.losses.softmaxCrossEntropy(ys, out, undefined, s.labelSmoothing) : tf.losses.softmaxCrossEntropy(ys, out)) as tf.Scalar;
          return parts === 1 ? l : tf.div(l, parts);
        }, trainable);
        owned.push(logits!);
        counted.push([logits!, ls]);
        loss = accumulate(loss, value);
        if (!grads) {
          grads = g;
        } else {
          for (const name of Object.keys(g)) grads[name] = accumulate(grads[name], g[name]!);
        }
      }
      this.optimizer.apply(grads!, lr);
      updateRunningStats(this.variables, this.bnOps, stats, mb, this.runSettings.bnMomentum);
      this.average?.update(this.variables, this.stepsDone);
      // The next step's images, normalised and augmented now: on WASM the kernel helpers are still on this
      // step's backward pass and update, and the JavaScript loop (~1 ms at batch 32) would otherwise run
      // between steps with nothing queued. Values only (no tensor is held between steps).
      if (trainerOptions.fillAhead && this.stepsDone + 1 < this.totalSteps) this.nextBatch = this.fillBatchOf(this.stepsDone + 1);
      // The correct predictions last: argMax is no native kernel, and on WASM a stock kernel first waits for
      // every native call queued before it (kernels/wasm/pool.ts); here the optimizer's JavaScript above has
      // run while the kernel helpers were still on the backward pass (EfficientNet-B0 at 32 px, step by step:
      // 1.02x; docs/tfjs.md#where-the-deferred-step-still-waited-and-ab-step-by-step).
      for (const [logits, ls] of counted) correct = accumulate(correct, tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ls), 'int32'))));
      return { loss: loss!, correct: correct! };
    } catch (e) {
      tf.dispose([...(loss ? [loss] : []), ...(correct ? [correct] : [])]);
      throw e;
    } finally {
      tf.dispose([...owned, ...Object.values(grads ?? {})]);
    }
  }

  /**
   * Runs up to `n` steps (never past totalSteps) and resolves with the number run. Each step's
   * metrics are read back (await data: the only safe sync on WebGPU) and passed to onStep. An abort
   * stops between steps and resolves normally: the trainer is consistent and can go on later.
   */
  async runSteps(n: number, hooks: RunHooks = {}): Promise<number> {
    if (this.disposed) throw new Error('the trainer was disposed');
    if (this.running) throw new Error('the trainer is already running');
    this.running = true;
    let done = 0;
    try {
      while (done < n && !this.done && !this.disposed && !hooks.signal?.aborted) {
        const t0 = performance.now();
        const lr = this.learningRate;
        const { loss, correct } = this.trainStep(lr);
        let lossValue: number;
        let correctValue: number;
        try {
          const [l, c] = await Promise.all([loss.data(), correct.data()]);
          lossValue = l[0]!;
          correctValue = c[0]!;
        } finally {
          tf.dispose([loss, correct]);
        }
        if (this.disposed) break;
        this.stepsDone++;
        done++;
        const seconds = (performance.now() - t0) / 1000;
        this.secondsPerStep = this.secondsPerStep === undefined ? seconds : this.secondsPerStep + ETA_SMOOTHING * (seconds - this.secondsPerStep);
        hooks.onStep?.({
          step: this.stepsDone,
          epoch: this.stepsDone / this.stepsPerEpoch,
          loss: lossValue,
          accuracy: correctValue / this.runSettings.batchSize,
          lr,
          imagesPerSecond: this.runSettings.batchSize / seconds,
          etaSeconds: Math.max(0, this.totalSteps - this.stepsDone) * this.secondsPerStep,
        });
        await yieldToEventLoop();
      }
    } finally {
      this.running = false;
    }
    return done;
  }

  /**
   * The parameters as they are now, sharing the variables' data (no copy): later steps assign new
   * data to the variables and leave the snapshot alone, so a long evaluation sees one model.
   */
  private snapshot(): ParamTensors {
    if (this.disposed) throw new Error('the trainer was disposed');
    return new Map([...this.variables].map(([k, v]) => [k, tf.clone(v)]));
  }

  /** What evaluation needs, with a snapshot of the parameters, or of their average (dispose it with disposeEval). */
  private evalContext(tta = this.runSettings.tta): EvalContext {
    if (this.disposed) throw new Error('the trainer was disposed');
    return {
      graph: this.graph,
      params: this.average ? this.average.snapshot() : this.snapshot(),
      tta,
      classes: this.classes,
      batchSize: this.runSettings.evalBatchSize ?? this.runSettings.batchSize,
      normalization: this.normalization,
    };
  }

  /**
   * Loss, accuracy, per-class accuracy and confusion matrix on the test set (or the first `limit`
   * training images, or the records of `on`, e.g. a held-out slice of the test set), of the weights'
   * average where the run keeps one; with `keepProbabilities`, the first images' class probabilities.
   * `tta` overrides the run's test-time flip setting.
   */
  async evaluate(
    opts: { signal?: AbortSignal; split?: 'test' | 'train'; limit?: number; on?: { images: Uint8Array; labels: Uint8Array }; keepProbabilities?: number; tta?: boolean } = {},
  ): Promise<EvalMetrics & { probabilities?: Float32Array }> {
    const split = opts.split ?? 'test';
    const images = opts.on?.images ?? (split === 'test' ? this.data.testImages : this.data.trainImages);
    const labels = opts.on?.labels ?? (split === 'test' ? this.data.testLabels : this.data.trainLabels);
    const ctx = this.evalContext(opts.tta);
    try {
      return await evaluateImages(ctx, images, labels, { split, limit: opts.limit, signal: opts.signal, keepProbabilities: opts.keepProbabilities });
    } finally {
      disposeEval(ctx);
    }
  }

  /** Class probabilities (softmax), count x classes, for `count` CIFAR records. */
  async predict(images: Uint8Array, count: number, opts: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    const ctx = this.evalContext();
    try {
      return await predictImages(ctx, images, count, opts.signal);
    } finally {
      disposeEval(ctx);
    }
  }

  /** Everything needed to continue the run exactly, as plain arrays (transferable). */
  async checkpoint(): Promise<TrainCheckpoint> {
    // Snapshots are taken synchronously, so a step running meanwhile cannot tear the checkpoint.
    const params = this.snapshot();
    const step = this.stepsDone;
    const momentum = new Map([...this.optimizer.buffers].map(([k, v]) => [k, tf.clone(v)]));
    const average = this.average?.snapshot();
    try {
      const read = async (m: Map<string, tf.Tensor>): Promise<ParamValues> => {
        const out: ParamValues = new Map();
        // A copy: the CPU backend hands out its own storage, which a transfer would detach.
        for (const [k, t] of m) out.set(k, { shape: [...t.shape], values: ((await t.data()) as Float32Array).slice() });
        return out;
      };
      return {
        version: 1,
        specName: this.spec.name,
        step,
        settings: this.settings,
        params: await read(params),
        momentum: await read(momentum),
        ...(average ? { ema: await read(average) } : {}),
        rng: { algorithm: 'mulberry32', seed: this.runSettings.seed, step },
      };
    } finally {
      tf.dispose([...params.values(), ...momentum.values(), ...(average?.values() ?? [])]);
    }
  }

  /** Frees every tensor the trainer owns. A step in flight finishes its read-back and stops. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
    this.average?.dispose();
    tf.dispose([...this.variables.values()]);
    this.variables.clear();
  }
}
