/**
 * Initial values for training, and the run's independent random streams. Pure: values are plain
 * arrays in tfjs layouts, a function of (parameter list, seed) only.
 */
import { type GraphNode, Mulberry32, type ParamInfo, deriveSeed, paramShape, paramSize } from '../../models';
import type { ParamValues } from '../engine/params';

/** Independent random streams of a run: every draw of stream s at index i comes from deriveSeed(seed, s, i). */
export const STREAM = { init: 0, shuffle: 1, augment: 2 } as const;

/**
 * torchvision's ResNet/EfficientNet initialisation: conv weights Kaiming-normal with fan_out
 * (std = sqrt(2 / (k·k·out))), conv biases 0, BN gamma 1 and beta 0, running mean 0 and variance 1,
 * FC as nn.Linear (uniform ±1/sqrt(fan_in) for weight and bias). (engine/params.ts' initParams
 * perturbs BN on purpose, for the equivalence checks; training wants this.) The gammas in
 * `zeroGammas` (residualBranchEndGammas) start at 0 instead; no random draw changes, so every other
 * value is the same with or without them.
 */
export function trainingInit(infos: readonly ParamInfo[], seed: number, zeroGammas: ReadonlySet<string> = new Set()): ParamValues {
  const random = new Mulberry32(deriveSeed(seed, STREAM.init, 0));
  const values: ParamValues = new Map();
  const fcFanIn = new Map<string, number>();
  for (const info of infos) if (info.role === 'fcWeight') fcFanIn.set(info.key.replace(/\.weight$/, ''), info.in!);
  for (const info of infos) {
    const n = paramSize(info);
    const v = new Float32Array(n);
    const op = info.key.replace(/\.[a-z_]+$/, '');
    switch (info.role) {
      case 'conv': {
        const k = info.kernel!;
        const std = Math.sqrt(2 / (k * k * info.out));
        for (let i = 0; i < n; i++) v[i] = std * random.gaussian();
        break;
      }
      case 'fcWeight': {
        const bound = 1 / Math.sqrt(info.in!);
        for (let i = 0; i < n; i++) v[i] = (2 * random.next() - 1) * bound;
        break;
      }
      case 'bias': {
        const fanIn = fcFanIn.get(op);
        if (fanIn !== undefined) for (let i = 0; i < n; i++) v[i] = (2 * random.next() - 1) / Math.sqrt(fanIn);
        break;
      }
      case 'gamma':
        v.fill(zeroGammas.has(info.key) ? 0 : 1);
        break;
      case 'runningVar':
        v.fill(1);
        break;
      default:
        break; // beta, running mean: 0
    }
    values.set(info.key, { shape: paramShape(info, 'tfjs'), values: v });
  }
  return values;
}

/**
 * The gamma keys (`layer1.0.bn3.weight`) of the BatchNorm that ends each residual branch, for
 * torchvision's `zero_init_residual` (bn3 of a bottleneck, bn2 of a basic block; Goyal et al. 2017,
 * Sec. 5.1): with them at 0 every block starts as its shortcut. In any family: a block whose main path
 * reaches its `add` straight from a BatchNorm (dropout aside). A branch that ends in a convolution
 * (iResNet's pre-activation middle blocks) has no such BatchNorm and is left alone. `graph` is the
 * parameter graph (form (c): canonical names).
 */
export function residualBranchEndGammas(graph: GraphNode): string[] {
  const out: string[] = [];
  const visit = (node: GraphNode) => {
    if (node.level === 'block') {
      const add = node.children.findIndex((c) => c.kind === 'op' && c.type === 'add');
      const main = node.children.slice(0, Math.max(0, add)).filter((c) => !(c.kind === 'node' && c.branch === 'shortcut') && !(c.kind === 'op' && c.type === 'dropout'));
      const last = main.at(-1);
      if (add >= 0 && last?.kind === 'op' && last.type === 'batchnorm') out.push(`${last.name}.weight`);
    }
    for (const c of node.children) if (c.kind === 'node') visit(c);
  };
  visit(graph);
  return out;
}
