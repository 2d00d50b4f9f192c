/**
 * The equivalence lab's defaults, shared by the page and the tests that hold them to their promise
 * (check.test.ts: the defaults are equivalent with no ReLU input at a tie, on CPU and WASM). Pure:
 * no tfjs, so the page imports it without pulling tfjs into its bundle.
 */
import { findPreset } from '../../models';
import type { NetworkCheckRequest } from './check';

/**
 * Seed 1 puts one input of the classroom network's `layer2.2.relu` within 1e-6 of 0 on WASM, and
 * seed 2 one on SwiftShader WebGPU, on different sides in two forms (docs/papers.md#ties-at-relus-kink);
 * seed 3 has no tie on CPU, WASM or SwiftShader WebGPU.
 */
export const DEFAULT_SEED = 3;

export const CLASSROOM_NETWORK = 'classroom_resnext29_8x4d';

/** The classroom ResNeXt-29 at 16 px, batch 2: every layer runs, fast enough for a software GPU. */
export function classroomNetworkCheck(seed: number): NetworkCheckRequest {
  const spec = findPreset(CLASSROOM_NETWORK)?.spec;
  if (spec?.family !== 'resnet') throw new Error(`the ${CLASSROOM_NETWORK} preset is missing`);
  return { kind: 'network', spec: { ...spec, input: { ...spec.input, resolution: 16 } }, batch: 2, seed, timingRuns: 0 };
}
