/**
 * CIFAR input pipeline: CHW uint8 records -> NHWC float32, per-channel normalisation, and ResNeXt's
 * CIFAR augmentation (Sec. 5.3: zero-pad 4, random 32x32 crop, random horizontal flip), in one
 * JavaScript pass that writes the batch the network takes; the backend gets one upload. The random
 * choices are drawn from a seeded generator, so a run is reproducible on any backend.
 *
 * As in the paper's code (fb.resnet.torch's CIFAR pipeline), the image is normalised first and the
 * padding is zeros after normalisation, i.e. the mean colour.
 *
 * (It was a chain of backend ops: upload, transpose, subtract, multiply, pad, and a gather of the
 * cropped pixels; on WASM the gather alone took 5-7 ms of an 80 ms step of the lesson ResNeXt,
 * the pass here well under 1 ms. The float32 operations are the same, in the same order, so the
 * values are bit for bit those of that chain.)
 */
import * as tf from '@tensorflow/tfjs';
import { CIFAR_CHANNELS, CIFAR_IMAGE_BYTES, CIFAR_IMAGE_SIZE, CIFAR_PLANE, type ChannelStats } from '../../data/format';
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
 * Records `indices` of `images` (N x CIFAR_IMAGE_BYTES, CHW) written to `out` (at least
 * `batch` x CIFAR_IMAGE_BYTES floats) as the network's input: NHWC, each value
 * (v - mean[c]) / std[c] in float32 (v - mean, then times 1/std, each rounded to float32, as the
 * backend ops computed it), cropped and flipped by `plan`: output row i of image b is padded row
 * offsetY[b] + i; output column j is padded column offsetX[b] + j, or offsetX[b] + W - 1 - j when
 * flipped; the padding is 0. Without a plan the image as it is. Images past `indices.length` (the
 * padding of a last partial evaluation batch) are all 0.
 */
export function fillBatch(images: Uint8Array, indices: ArrayLike<number>, batch: number, out: Float32Array, norm: Normalization, plan?: AugmentPlan, pad = CIFAR_PAD): Float32Array {
  const size = CIFAR_IMAGE_SIZE;
  const channels = CIFAR_CHANNELS;
  if (norm.mean.length !== channels || norm.std.length !== channels) throw new Error(`normalisation has ${norm.mean.length} means and ${norm.std.length} stds for ${channels} channels`);
  if (plan && plan.flip.length !== batch) throw new Error(`augmentation plan for ${plan.flip.length} images, batch of ${batch}`);
  if (indices.length > batch) throw new Error(`${indices.length} records for a batch of ${batch}`);
  if (out.length < batch * CIFAR_IMAGE_BYTES) throw new Error(`a batch of ${batch} needs ${batch * CIFAR_IMAGE_BYTES} floats, got ${out.length}`);
  const mean = norm.mean.map(Math.fround);
  const scale = norm.std.map((s) => Math.fround(1 / s));
  const count = indices.length;
  for (let b = 0; b < count; b++) {
    const src = indices[b]! * CIFAR_IMAGE_BYTES;
    const oy = plan ? plan.offsetY[b]! - pad : 0;
    const ox = plan ? plan.offsetX[b]! - pad : 0;
    if (oy < -pad || ox < -pad || oy > pad || ox > pad) throw new Error(`crop offset (${oy + pad}, ${ox + pad}) is outside the padding of ${pad}`);
    const flip = plan?.flip[b] === 1;
    let at = b * CIFAR_IMAGE_BYTES;
    for (let i = 0; i < size; i++) {
      const row = oy + i;
      for (let j = 0; j < size; j++, at += channels) {
        const col = ox + (flip ? size - 1 - j : j);
        if (row < 0 || row >= size || col < 0 || col >= size) {
          for (let c = 0; c < channels; c++) out[at + c] = 0;
          continue;
        }
        const pixel = src + row * size + col;
        for (let c = 0; c < channels; c++) out[at + c] = Math.fround(images[pixel + c * CIFAR_PLANE]! - mean[c]!) * scale[c]!;
      }
    }
  }
  out.fill(0, count * CIFAR_IMAGE_BYTES, batch * CIFAR_IMAGE_BYTES);
  return out;
}

/**
 * A batch on the backend: records `indices` of `images`, normalised and augmented by `plan` (no
 * augmentation when `plan` is undefined), as a [batch, 32, 32, 3] tensor. Its values are a new
 * array each time: the CPU backend keeps the array it is given.
 */
export function makeBatch(images: Uint8Array, indices: ArrayLike<number>, batch: number, norm: Normalization, plan?: AugmentPlan): tf.Tensor4D {
  return batchTensor(fillBatch(images, indices, batch, new Float32Array(batch * CIFAR_IMAGE_BYTES), norm, plan), batch);
}

/** A [batch, 32, 32, 3] tensor of `values` as fillBatch fills them (a new array for each tensor: the CPU backend keeps it). */
export function batchTensor(values: Float32Array, batch: number): tf.Tensor4D {
  return tf.tensor4d(values, [batch, CIFAR_IMAGE_SIZE, CIFAR_IMAGE_SIZE, CIFAR_CHANNELS]);
}
