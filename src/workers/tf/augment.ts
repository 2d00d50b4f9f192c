/**
 * CIFAR input pipeline on the backend: CHW uint8 records -> NHWC float, per-channel normalisation,
 * and ResNeXt's CIFAR augmentation (Sec. 5.3: zero-pad 4, random 32x32 crop, random horizontal
 * flip). The random choices are drawn in JavaScript from a seeded generator (so a run is
 * reproducible on any backend); the pixels never leave the backend: the crop and flip are one
 * gather of the padded batch.
 *
 * As in the paper's code (fb.resnet.torch's CIFAR pipeline), the image is normalised first and the
 * padding is zeros after normalisation, i.e. the mean colour.
 */
import * as tf from '@tensorflow/tfjs';

export const CIFAR_SIZE = 32;
export const CIFAR_CHANNELS = 3;
export const CIFAR_RECORD = CIFAR_SIZE * CIFAR_SIZE * CIFAR_CHANNELS;
export const CIFAR_PAD = 4;

export interface Normalization {
  /** Per-channel mean and standard deviation on the 0-255 scale, R, G, B. */
  mean: readonly number[];
  std: readonly number[];
}

/** CIFAR-10 training-set statistics as fb.resnet.torch (the ResNeXt code) uses them. */
export const CIFAR10_NORMALIZATION: Normalization = { mean: [125.3, 123.0, 113.9], std: [63.0, 62.1, 66.7] };

/** mulberry32 with its state exposed, so a run's randomness is a pure function of (seed, step). */
export class Mulberry32 {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** A 32-bit seed for stream `stream` at position `index` of a run seeded `seed` (murmur3's finaliser). */
export function deriveSeed(seed: number, stream: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher-Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, random: Mulberry32): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Per-image crop offsets (in the padded image, 0..2·pad) and flips. */
export interface AugmentPlan {
  offsetY: Int32Array;
  offsetX: Int32Array;
  flip: Uint8Array;
}

export function planAugmentation(batch: number, random: Mulberry32, pad = CIFAR_PAD): AugmentPlan {
  const plan: AugmentPlan = { offsetY: new Int32Array(batch), offsetX: new Int32Array(batch), flip: new Uint8Array(batch) };
  for (let b = 0; b < batch; b++) {
    plan.offsetY[b] = random.int(2 * pad + 1);
    plan.offsetX[b] = random.int(2 * pad + 1);
    plan.flip[b] = random.next() < 0.5 ? 1 : 0;
  }
  return plan;
}

/**
 * Copies records `indices` of `images` (N x 3072, CHW) into `out` as float 0-255, CHW; positions
 * past `indices.length` are zero (padding of a last partial evaluation batch).
 */
export function gatherRecords(images: Uint8Array, indices: ArrayLike<number>, out: Float32Array): Float32Array {
  const count = indices.length;
  for (let i = 0; i < count; i++) {
    const src = indices[i]! * CIFAR_RECORD;
    out.set(images.subarray(src, src + CIFAR_RECORD), i * CIFAR_RECORD);
  }
  out.fill(0, count * CIFAR_RECORD);
  return out;
}

/** [B, 3, H, W] float 0-255 (the CIFAR file's planes) -> normalised NHWC. */
export function normalizeBatch(chw: tf.Tensor4D, norm: Normalization = CIFAR10_NORMALIZATION): tf.Tensor4D {
  return tf.tidy(() => {
    const c = chw.shape[1];
    if (norm.mean.length !== c || norm.std.length !== c) throw new Error(`normalisation has ${norm.mean.length} means and ${norm.std.length} stds for ${c} channels`);
    const nhwc = tf.transpose(chw, [0, 2, 3, 1]);
    const scale = tf.tensor1d(norm.std.map((s) => 1 / s));
    return tf.mul(tf.sub(nhwc, tf.tensor1d([...norm.mean])), scale) as tf.Tensor4D;
  });
}

/**
 * Zero-pad by `pad`, crop each image at its (offsetY, offsetX) to the input size, flip where asked:
 * output row i of image b is padded row offsetY[b] + i; output column j is padded column
 * offsetX[b] + j, or offsetX[b] + W - 1 - j when flipped. Shapes are kept.
 *
 * One gather of whole pixels from the padded batch seen as [B·H'·W', C]. (A per-image gather
 * with `batchDims` would send fewer indices, but tfjs-wasm 4.22's Gather gets batchDims wrong:
 * every image after the first comes out wrong, and large batches read out of bounds.)
 */
export function augmentBatch(x: tf.Tensor4D, plan: AugmentPlan, pad = CIFAR_PAD): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  if (plan.flip.length !== batch) throw new Error(`augmentation plan for ${plan.flip.length} images, batch of ${batch}`);
  const paddedH = height + 2 * pad;
  const paddedW = width + 2 * pad;
  const pixels = new Int32Array(batch * height * width);
  for (let b = 0, k = 0; b < batch; b++) {
    const oy = plan.offsetY[b]!;
    const ox = plan.offsetX[b]!;
    if (oy < 0 || ox < 0 || oy > 2 * pad || ox > 2 * pad) throw new Error(`crop offset (${oy}, ${ox}) is outside the padding of ${pad}`);
    const flip = plan.flip[b] === 1;
    for (let i = 0; i < height; i++) {
      const row = (b * paddedH + oy + i) * paddedW + ox;
      for (let j = 0; j < width; j++, k++) pixels[k] = row + (flip ? width - 1 - j : j);
    }
  }
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ]);
    const flat = tf.reshape(padded, [batch * paddedH * paddedW, channels]);
    return tf.reshape(tf.gather(flat, tf.tensor1d(pixels, 'int32')), [batch, height, width, channels]) as tf.Tensor4D;
  });
}

/**
 * A training batch on the backend: records `indices` of `images`, normalised, and augmented by
 * `plan` (no augmentation when `plan` is undefined). `scratch` (B x 3072 floats) is reused between calls.
 */
export function makeBatch(images: Uint8Array, indices: ArrayLike<number>, batch: number, scratch: Float32Array, norm: Normalization, plan?: AugmentPlan): tf.Tensor4D {
  gatherRecords(images, indices, scratch);
  return tf.tidy(() => {
    const chw = tf.tensor4d(scratch, [batch, CIFAR_CHANNELS, CIFAR_SIZE, CIFAR_SIZE]);
    const x = normalizeBatch(chw, norm);
    return plan ? augmentBatch(x, plan) : x;
  });
}
