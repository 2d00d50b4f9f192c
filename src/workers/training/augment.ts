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
import { CIFAR_CHANNELS, CIFAR_IMAGE_BYTES, CIFAR_IMAGE_SIZE, type ChannelStats } from '../../data/format';
import type { Mulberry32 } from '../../models';

/** Zero padding before the random crop (ResNeXt Sec. 5.3). */
export const CIFAR_PAD = 4;

/** Per-channel normalisation of a dataset (`CIFAR_NORMALIZATION[kind]` in src/data/format.ts). */
export type Normalization = ChannelStats;

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
 * Copies records `indices` of `images` (N x CIFAR_IMAGE_BYTES, CHW) into `out` as float 0-255, CHW; positions
 * past `indices.length` are zero (padding of a last partial evaluation batch).
 */
export function gatherRecords(images: Uint8Array, indices: ArrayLike<number>, out: Float32Array): Float32Array {
  const count = indices.length;
  for (let i = 0; i < count; i++) {
    const src = indices[i]! * CIFAR_IMAGE_BYTES;
    out.set(images.subarray(src, src + CIFAR_IMAGE_BYTES), i * CIFAR_IMAGE_BYTES);
  }
  out.fill(0, count * CIFAR_IMAGE_BYTES);
  return out;
}

/** [B, 3, H, W] float 0-255 (the CIFAR file's planes) -> normalised NHWC. */
export function normalizeBatch(chw: tf.Tensor4D, norm: Normalization): tf.Tensor4D {
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
 * `plan` (no augmentation when `plan` is undefined). `scratch` (at least B x CIFAR_IMAGE_BYTES floats;
 * the trainer's serves training and evaluation batches of different sizes) is reused between calls.
 */
export function makeBatch(images: Uint8Array, indices: ArrayLike<number>, batch: number, scratch: Float32Array, norm: Normalization, plan?: AugmentPlan): tf.Tensor4D {
  const values = scratch.subarray(0, batch * CIFAR_IMAGE_BYTES);
  gatherRecords(images, indices, values);
  return tf.tidy(() => {
    const chw = tf.tensor4d(values, [batch, CIFAR_CHANNELS, CIFAR_IMAGE_SIZE, CIFAR_IMAGE_SIZE]);
    const x = normalizeBatch(chw, norm);
    return plan ? augmentBatch(x, plan) : x;
  });
}
