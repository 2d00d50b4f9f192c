/**
 * ConvNetJS's own trainer (npm `convnetjs` 0.3, plain JavaScript on one thread) on its own CIFAR-10
 * demo network, in Node: the peer of our tfjs port of that network (./convnetjs.ts). The layer
 * definitions and trainer options are the demo's (cs.stanford.edu/people/karpathy/convnetjs/demo/cifar10.html):
 *
 *   input 32x32x3; conv 5x5/16 stride 1 pad 2 relu; pool 2/2; conv 5x5/20 pad 2 relu; pool 2/2;
 *   conv 5x5/20 pad 2 relu; pool 2/2; softmax 10
 *   new convnetjs.SGDTrainer(net, { method: 'adadelta', batch_size: 4, l2_decay: 0.0001 })
 *
 * ConvNetJS trains one image at a time (`trainer.train(x, label)`) and updates the weights every
 * batch_size images. Inputs are random CIFAR-shaped volumes cycled from a small pool (the demo also
 * crops and flips each image, left out here as our port has no augmentation either). Timed as the
 * bench times everything: one untimed warm-up batch, then images until `seconds` have passed.
 */
import { createRequire } from 'node:module';
import { Mulberry32 } from '../../src/models';

interface Vol {
  w: Float64Array;
}
interface Net {
  makeLayers(defs: object[]): void;
}
interface Trainer {
  train(x: Vol, y: number): { loss: number; cost_loss: number };
}
interface ConvNetJs {
  Net: new () => Net;
  Vol: new (sx: number, sy: number, depth: number, c?: number) => Vol;
  SGDTrainer: new (net: Net, options: object) => Trainer;
}

/** The demo's layer definitions, verbatim. */
export const CONVNETJS_DEMO_LAYERS = [
  { type: 'input', out_sx: 32, out_sy: 32, out_depth: 3 },
  { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'conv', sx: 5, filters: 20, stride: 1, pad: 2, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'conv', sx: 5, filters: 20, stride: 1, pad: 2, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'softmax', num_classes: 10 },
];
/** The demo's trainer options. */
export const CONVNETJS_DEMO_TRAINER = { method: 'adadelta', batch_size: 4, l2_decay: 0.0001 };

export interface ConvNetJsOwnTiming {
  what: string;
  trainer: typeof CONVNETJS_DEMO_TRAINER;
  /** JavaScript in Node: one thread. */
  threads: 1;
  images: number;
  seconds: number;
  warmupSeconds: number;
  imagesPerSecond: number;
  lastLoss: number;
}

export function timeConvNetJsOwn(seconds: number, pool = 64): ConvNetJsOwnTiming {
  const convnetjs = createRequire(import.meta.url)('convnetjs') as ConvNetJs;
  const net = new convnetjs.Net();
  net.makeLayers(CONVNETJS_DEMO_LAYERS);
  const trainer = new convnetjs.SGDTrainer(net, CONVNETJS_DEMO_TRAINER);
  const random = new Mulberry32(1);
  const samples = Array.from({ length: pool }, () => {
    const x = new convnetjs.Vol(32, 32, 3, 0.0);
    // The demo's input scaling: pixel / 255 - 0.5.
    for (let i = 0; i < x.w.length; i++) x.w[i] = random.next() - 0.5;
    return { x, y: random.int(10) };
  });
  const batch = CONVNETJS_DEMO_TRAINER.batch_size;
  let i = 0;
  let lastLoss = NaN;
  const train = () => {
    const s = samples[i++ % samples.length]!;
    lastLoss = trainer.train(s.x, s.y).loss;
  };
  const w0 = performance.now();
  for (let k = 0; k < batch; k++) train();
  const warmupSeconds = (performance.now() - w0) / 1000;
  let images = 0;
  const t0 = performance.now();
  do {
    for (let k = 0; k < batch; k++) train();
    images += batch;
  } while (performance.now() - t0 < seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  return {
    what: "ConvNetJS 0.3's own trainer on its CIFAR-10 demo net (Node, JavaScript)",
    trainer: CONVNETJS_DEMO_TRAINER,
    threads: 1,
    images,
    seconds: elapsed,
    warmupSeconds,
    imagesPerSecond: images / elapsed,
    lastLoss,
  };
}
