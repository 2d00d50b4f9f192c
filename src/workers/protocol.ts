/**
 * The typed protocol between the app and its compute worker (Comlink). Types only: importing it
 * never pulls tfjs into the main bundle.
 */
import type { CheckRequest, CheckResult } from './tf/equivalence';

export type { BlockCheckRequest, CheckRequest, CheckResult, Diff, FormPair, FormResult, NetworkCheckRequest, PairResult } from './tf/equivalence';

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
  wasm?: { simd: boolean; threads: boolean };
}

export type ProgressCallback = (message: string, fraction: number) => void;

/** What the worker exposes. Job ids let the app cancel a job (an AbortSignal cannot cross threads). */
export interface RuntimeApi {
  init(preferred?: BackendName): Promise<BackendInfo>;
  equivalence(jobId: number, request: CheckRequest, onProgress?: ProgressCallback): Promise<CheckResult>;
  cancel(jobId: number): void;
  /** Live tensors in the worker (for leak checks). */
  tensorCount(): number;
}
