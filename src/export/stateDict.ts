/**
 * The state_dict an export must have: the network's parameter list (`src/models/params.ts`: every
 * parameter and BatchNorm buffer under its PyTorch name) in PyTorch's layouts. BatchNorm's
 * `num_batches_tracked` counter is left out: it is a step count, not a weight.
 */
import { type ArchSpec, paramInfos, paramShape } from '../models/index';
import { designOf } from './design';

export type StateDictShapes = Record<string, number[]>;

/** Keys in module order (the order PyTorch lists them), with PyTorch shapes. Form (c) for ResNet-family specs. */
export function stateDictShapes(spec: ArchSpec): StateDictShapes {
  const { graph } = designOf(spec);
  return Object.fromEntries(paramInfos(graph).map((info) => [info.key, paramShape(info, 'pytorch')]));
}
