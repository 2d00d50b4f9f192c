/**
 * The state_dict an export must have, read off the graph: every parameter and BatchNorm buffer
 * under the PyTorch name the app gives it, with PyTorch's shape. The same keys as the tfjs
 * parameters (`src/models/params.ts`), in PyTorch's layouts instead of tfjs's.
 * BatchNorm's `num_batches_tracked` counter is left out: it is a step count, not a weight.
 */
import { type ArchSpec, type Op, opsOf } from '../models/index';
import { designOf } from './design';

export type StateDictShapes = Record<string, number[]>;

function opEntries(op: Op): [string, number[]][] {
  const out = op.output.channels;
  switch (op.type) {
    case 'conv': {
      const k = op.kernel ?? 1;
      const entries: [string, number[]][] = [[`${op.name}.weight`, [out, op.input.channels / (op.groups ?? 1), k, k]]];
      if (op.bias) entries.push([`${op.name}.bias`, [out]]);
      return entries;
    }
    case 'linear':
      return [
        [`${op.name}.weight`, [out, op.input.channels * op.input.height * op.input.width]],
        [`${op.name}.bias`, [out]],
      ];
    case 'batchnorm':
      return ['weight', 'bias', 'running_mean', 'running_var'].map((k) => [`${op.name}.${k}`, [op.input.channels]]);
    default:
      return [];
  }
}

/** Keys in module order (the order PyTorch lists them), with PyTorch shapes. Form (c) for ResNet-family specs. */
export function stateDictShapes(spec: ArchSpec): StateDictShapes {
  const { graph } = designOf(spec);
  return Object.fromEntries([...opsOf(graph)].flatMap(opEntries));
}
