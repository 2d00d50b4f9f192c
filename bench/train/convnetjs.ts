/**
 * ConvNetJS's CIFAR-10 demo network (cs.stanford.edu/people/karpathy/convnetjs/demo/cifar10.html),
 * trained by our engine's pieces: the active tfjs backend with our training kernels, momentum SGD
 * with weight decay (src/workers/training/optimizer.ts), each step synced by `await data()` as the
 * Trainer does. ConvNetJS's own trainer on this network is timed by ./convnetjsOwn.ts (bench:train).
 *
 * conv5x5/16 pad 2 relu, maxpool 2x2/2, conv5x5/20 pad 2 relu, pool, conv5x5/20 pad 2 relu, pool,
 * fc10, softmax cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { SgdMomentum } from '../../src/workers/training/optimizer';

/** ConvNetJS's own img/s once measured on the dev machine: wasmTraining.bench.ts's reference, and bench:train's fallback when convnetjsOwn.ts fails. */
export const CONVNETJS_IMAGES_PER_SECOND = 80;

/** [kernel, filters] of the conv layers, each followed by relu and a 2x2/2 max pool. */
const CONV_LAYERS = [
  [5, 16],
  [5, 20],
  [5, 20],
] as const;
const IMAGE = 32;
const CLASSES = 10;

/** Forward multiply-accumulates per 32x32x3 image ('same' padding: pad 2 for 5x5). */
export function convNetJsForwardMacs(): number {
  let size = IMAGE;
  let channels = 3;
  let macs = 0;
  for (const [k, filters] of CONV_LAYERS) {
    macs += size * size * filters * k * k * channels;
    channels = filters;
    size /= 2;
  }
  return macs + size * size * channels * CLASSES;
}

export class ConvNetJsNet {
  private readonly convs: Array<{ filter: tf.Variable; bias: tf.Variable }>;
  private readonly dense: tf.Variable;
  private readonly denseBias: tf.Variable;
  private readonly optimizer: SgdMomentum;

  constructor(seed = 1) {
    let channels = 3;
    this.convs = CONV_LAYERS.map(([k, filters], i) => {
      const fanIn = k * k * channels;
      const filter = tf.variable(tf.randomNormal([k, k, channels, filters], 0, Math.sqrt(2 / fanIn), 'float32', seed + i));
      channels = filters;
      return { filter, bias: tf.variable(tf.zeros([filters])) };
    });
    const flat = (IMAGE / 2 ** CONV_LAYERS.length) ** 2 * channels;
    this.dense = tf.variable(tf.randomNormal([flat, CLASSES], 0, Math.sqrt(1 / flat), 'float32', seed + 9));
    this.denseBias = tf.variable(tf.zeros([CLASSES]));
    const params = [...this.convs.flatMap((c, i) => [
      { key: `conv${i}.weight`, variable: c.filter, decay: true },
      { key: `conv${i}.bias`, variable: c.bias, decay: false },
    ]), { key: 'fc.weight', variable: this.dense, decay: true }, { key: 'fc.bias', variable: this.denseBias, decay: false }];
    this.optimizer = new SgdMomentum(params, { momentum: 0.9, weightDecay: 1e-4 });
  }

  private loss(x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar {
    let h = x;
    for (const { filter, bias } of this.convs) {
      const y = tf.fused.conv2d({ x: h, filter: filter as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu' });
      h = tf.maxPool(y, 2, 2, 'valid');
    }
    const logits = tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D, this.dense as tf.Tensor2D), this.denseBias);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }

  /** One SGD step on a batch of images (NHWC, floats) and one-hot labels; resolves to the loss. */
  async step(x: tf.Tensor4D, labels: tf.Tensor2D, lr = 0.01): Promise<number> {
    const { value, grads } = tf.variableGrads(() => this.loss(x, labels));
    this.optimizer.apply(grads, lr);
    tf.dispose(grads);
    const loss = (await value.data())[0]!;
    value.dispose();
    return loss;
  }

  dispose(): void {
    this.optimizer.dispose();
    tf.dispose([...this.convs.flatMap((c) => [c.filter, c.bias]), this.dense, this.denseBias]);
  }
}
