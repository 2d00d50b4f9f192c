/**
 * Evaluation and prediction of a trained network: the images run in evaluation mode (BatchNorm with
 * running statistics) in fixed-size batches, the last one padded with zeros and the padding ignored
 * (evaluation BatchNorm is per image, so padding changes nothing). With test-time augmentation the
 * logits of each image are averaged with those of its mirror image (airbench's flip TTA).
 */
import * as tf from '@tensorflow/tfjs';
import { CIFAR_IMAGE_BYTES } from '../../data/format';
import type { NetworkGraph } from '../../models';
import { throwIfAborted, yieldToEventLoop } from '../abort';
import { type ExecOptions, execute } from '../engine/execute';
import type { ParamTensors } from '../engine/params';
import { type Normalization, makeBatch } from './augment';
import type { EvalMetrics } from './types';

export interface EvalContext {
  graph: NetworkGraph;
  /** A snapshot of the parameters (owned by the context: `disposeEval`). */
  params: ParamTensors;
  classes: number;
  batchSize: number;
  normalization: Normalization;
  /** Test-time flip: the logits are the mean of the image's and its mirror image's. */
  tta?: boolean;
}

/** The logits of an NHWC batch in evaluation mode: the mean over the image and its mirror with `tta`. */
export function evalLogits(graph: NetworkGraph, x: tf.Tensor4D, opts: ExecOptions, classes: number, tta = false): tf.Tensor2D {
  return tf.tidy(() => {
    const b = x.shape[0];
    const plain = tf.reshape(execute(graph, x, opts), [b, classes]);
    if (!tta) return plain as tf.Tensor2D;
    const mirrored = tf.reshape(execute(graph, tf.reverse(x, 2), opts), [b, classes]);
    return tf.mul(tf.add(plain, mirrored), 0.5) as tf.Tensor2D;
  });
}

export function disposeEval(ctx: EvalContext): void {
  tf.dispose([...ctx.params.values()]);
}

/** Runs `count` records of `images` through the network in evaluation mode, batch by batch. */
async function forEachEvalBatch(
  ctx: EvalContext,
  images: Uint8Array,
  count: number,
  signal: AbortSignal | undefined,
  visit: (logits: tf.Tensor2D, start: number, size: number) => Promise<void>,
): Promise<void> {
  const b = ctx.batchSize;
  const opts: ExecOptions = { params: ctx.params, training: false };
  for (let start = 0; start < count; start += b) {
    throwIfAborted(signal);
    const size = Math.min(b, count - start);
    const indices = Int32Array.from({ length: size }, (_, i) => start + i);
    const x = makeBatch(images, indices, b, ctx.normalization);
    const logits = evalLogits(ctx.graph, x, opts, ctx.classes, ctx.tta);
    x.dispose();
    try {
      await visit(logits, start, size);
    } finally {
      logits.dispose();
    }
    await yieldToEventLoop();
  }
}

/**
 * Loss, accuracy, per-class accuracy and confusion matrix on the first `limit` (default all) images;
 * with `keepProbabilities`, also the class probabilities of the first that many images (row-major).
 */
export async function evaluateImages(
  ctx: EvalContext,
  images: Uint8Array,
  labels: Uint8Array,
  opts: { split: EvalMetrics['split']; limit?: number; signal?: AbortSignal; keepProbabilities?: number },
): Promise<EvalMetrics & { probabilities?: Float32Array }> {
  const t0 = performance.now();
  const count = Math.min(labels.length, opts.limit ?? Infinity);
  const k = ctx.classes;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let lossSum = 0;
  let correct = 0;
  const kept = Math.min(count, opts.keepProbabilities ?? 0);
  const probabilities = kept > 0 ? new Float32Array(kept * k) : undefined;
  await forEachEvalBatch(ctx, images, count, opts.signal, async (logits, start, size) => {
    const [losses, predicted] = tf.tidy(() => {
      const onehot = tf.oneHot(tf.tensor1d(Int32Array.from({ length: logits.shape[0] }, (_, i) => (i < size ? labels[start + i]! : 0)), 'int32'), k);
      return [tf.losses.softmaxCrossEntropy(onehot, logits, undefined, undefined, tf.Reduction.NONE), tf.argMax(logits, 1)];
    });
    try {
      if (probabilities && start < kept) {
        const probs = tf.softmax(logits);
        const p = await probs.data();
        probs.dispose();
        const rows = Math.min(size, kept - start);
        probabilities.set(p.subarray(0, rows * k), start * k);
      }
      const [l, p] = await Promise.all([losses!.data(), predicted!.data()]);
      for (let i = 0; i < size; i++) {
        const truth = labels[start + i]!;
        const guess = p[i]!;
        lossSum += l[i]!;
        confusion[truth]![guess]!++;
        if (truth === guess) correct++;
      }
    } finally {
      tf.dispose([losses!, predicted!]);
    }
  });
  const perClassAccuracy = confusion.map((row, c) => {
    const total = row.reduce((a, v) => a + v, 0);
    return total > 0 ? row[c]! / total : NaN;
  });
  const metrics: EvalMetrics = { split: opts.split, images: count, loss: lossSum / count, accuracy: correct / count, perClassAccuracy, confusion, seconds: (performance.now() - t0) / 1000 };
  return probabilities ? { ...metrics, probabilities } : metrics;
}

/** Class probabilities (softmax), count x classes, for `count` records of `images`. */
export async function predictImages(ctx: EvalContext, images: Uint8Array, count: number, signal?: AbortSignal): Promise<Float32Array> {
  if (images.length < count * CIFAR_IMAGE_BYTES) throw new Error(`${images.length} bytes hold fewer than ${count} images`);
  const out = new Float32Array(count * ctx.classes);
  await forEachEvalBatch(ctx, images, count, signal, async (logits, start, size) => {
    const probs = tf.softmax(logits);
    try {
      const p = await probs.data();
      out.set(p.subarray(0, size * ctx.classes), start * ctx.classes);
    } finally {
      probs.dispose();
    }
  });
  return out;
}
