/**
 * Initial values for training, and the run's independent random streams. Pure: values are plain
 * arrays in tfjs layouts, a function of (parameter list, seed) only.
 */
import { Mulberry32, type ParamInfo, deriveSeed, paramShape, paramSize } from '../../models';
import type { ParamValues } from '../engine/params';

/** Independent random streams of a run: every draw of stream s at index i comes from deriveSeed(seed, s, i). */
export const STREAM = { init: 0, shuffle: 1, augment: 2 } as const;

/**
 * torchvision's ResNet/EfficientNet initialisation: conv weights Kaiming-normal with fan_out
 * (std = sqrt(2 / (k·k·out))), conv biases 0, BN gamma 1 and beta 0, running mean 0 and variance 1,
 * FC as nn.Linear (uniform ±1/sqrt(fan_in) for weight and bias). (engine/params.ts' initParams
 * perturbs BN on purpose, for the equivalence checks; training wants this.)
 */
export function trainingInit(infos: readonly ParamInfo[], seed: number): ParamValues {
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
