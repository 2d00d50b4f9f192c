/**
 * The typed protocol between the app and its compute worker (Comlink). Types only: importing it
 * never pulls tfjs into the main bundle.
 */
import type { ArchSpec } from '../models';
import type { CheckRequest, CheckResult } from './equivalence/check';
import type { LiveEvalOptions, Prediction } from './training/liveEval';
import type { TrainSettings } from './training/settings';
import type { EvalMetrics, StepMetrics, TrainCheckpoint, TrainData } from './training/types';

export type { BlockCheckRequest, CheckRequest, CheckResult, Diff, FormPair, FormResult, NetworkCheckRequest, PairResult } from './equivalence/check';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** A software rasteriser (SwiftShader) or fallback adapter: correct but slow. */
  software: boolean;
}

export interface ProbeResult {
  backend: BackendName;
  ok: boolean;
  /** Achieved GFLOP/s on the matMul probe. */
  gflops?: number;
  error?: string;
}

export interface BackendInfo {
  backend: BackendName;
  reason: string;
  probes: ProbeResult[];
  adapter?: AdapterInfo;
  /**
   * WASM only: SIMD, the threaded build in use (needs cross-origin isolation), XNNPACK's thread
   * count (1 when single-threaded), the threads the app's own kernels run on (kernels/wasm/pool.ts), and
   * whether those kernels run their relaxed SIMD builds (fused multiply-adds: kernels/wasm/native.ts).
   */
  wasm?: { simd: boolean; threads: boolean; threadCount: number; kernelThreads: number; relaxedSimd: boolean };
}

export type ProgressCallback = (message: string, fraction: number) => void;

export type { EvalMetrics, LiveEvalOptions, Prediction, StepMetrics, TrainCheckpoint, TrainData, TrainSettings };
export type { ComputeErrorKind } from './errors';

export interface TrainRequest {
  spec: ArchSpec;
  settings: Partial<TrainSettings>;
  /** Continue an interrupted run from its checkpoint. */
  resume?: TrainCheckpoint;
  /** Evaluate on the test set after every epoch (and at the end). */
  evaluateEachEpoch: boolean;
  /** Evaluate a fixed held-out slice of the test set on a cadence in seconds while training (training/liveEval.ts). */
  liveEvaluation?: LiveEvalOptions;
  /**
   * Save a checkpoint after this many steps or this many seconds since the last one, whichever
   * comes first, for resume after a lost device or worker.
   */
  checkpointEvery: { steps: number; seconds: number };
}

/** The measured memory of a training image and how the job fits a step in the backend's budget. */
export interface TrainMemoryPlan {
  bytesPerImage: number;
  budgetBytes: number;
  /** Set when the batch runs as micro-batches of this size. */
  microBatchSize?: number;
}

/** One held-out evaluation, as the run's timeline keeps it. */
export interface HeldOutPoint {
  /** Wall seconds of the run so far (a resumed run goes on from its checkpoint's). */
  seconds: number;
  /** Training images seen (steps x batch). */
  images: number;
  step: number;
  heldOutAccuracy: number;
}

/** What a training job reports, in order. */
export type TrainEvent =
  | { type: 'started'; totalSteps: number; stepsPerEpoch: number; backend: string; memory: TrainMemoryPlan }
  /** A time-budget run fixed its length from the measured speed. */
  | { type: 'sized'; totalSteps: number; secondsPerStep: number; budgetSeconds: number }
  /** A held-out evaluation: the timeline's point, the full metrics (confusion matrix) and the prediction images' top classes. */
  | { type: 'heldOut'; point: HeldOutPoint; metrics: EvalMetrics; predictions: Prediction[] }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; step: number; epoch: number; metrics: EvalMetrics }
  | { type: 'checkpoint'; checkpoint: TrainCheckpoint }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number };

export type TrainOutcome = { status: 'finished' | 'stopped'; step: number; checkpoint: TrainCheckpoint; final?: EvalMetrics };

/** What the worker exposes. Job ids let the app cancel a job (an AbortSignal cannot cross threads). */
export interface RuntimeApi {
  init(preferred?: BackendName): Promise<BackendInfo>;
  equivalence(jobId: number, request: CheckRequest, onProgress?: ProgressCallback): Promise<CheckResult>;
  /** Aborts a job: a training run stops at once, without an evaluation. */
  cancel(jobId: number): void;
  /** Stops a training run after its current step and evaluates it on the whole test set (the outcome's `final`). */
  stop(jobId: number): void;
  /** Live tensors in the worker (for leak checks). */
  tensorCount(): number;
  /** Gives the worker the dataset (kept there for the runs that follow). */
  setTrainData(data: TrainData): void;
  train(jobId: number, request: TrainRequest, onEvent: (e: TrainEvent) => void): Promise<TrainOutcome>;
  pause(jobId: number): void;
  resume(jobId: number): void;
  setLearningRate(jobId: number, lr: number): void;
  /** Class probabilities for `count` test images (the evaluation grid). */
  predictTest(jobId: number, count: number): Promise<Float32Array>;
}
