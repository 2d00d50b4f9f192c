/**
 * BatchNorm's running statistics in training: which BatchNorm op of the running graph owns which
 * canonical statistics (forms (a)/(b) hold per-branch slices of one form-(c) BatchNorm), and PyTorch's
 * running-estimate update from the batch statistics `execute` reports.
 */
import * as tf from '@tensorflow/tfjs';
import { type NetworkGraph, canonicalName, opsOf } from '../../models';
import { RUNNING_UPDATE, RUNNING_UPDATE_MANY, hasKernel } from '../kernels/batchNormOp';

export interface BnOp {
  /** Canonical key prefix (`layer1.0.bn2`), branch part removed. */
  key: string;
  branch: number;
  /** Values per channel in a batch of one image (H·W): the statistics average over batch·H·W. */
  perImage: number;
}

export function bnOpsOf(graph: NetworkGraph): Map<string, BnOp> {
  const out = new Map<string, BnOp>();
  for (const op of opsOf(graph)) {
    if (op.type !== 'batchnorm') continue;
    const owner = canonicalName(op.name);
    out.set(op.name, { key: owner.name, branch: owner.branch ?? 0, perImage: op.input.height * op.input.width });
  }
  return out;
}

/** `many`: every estimate in one op where the backend has RUNNING_UPDATE_MANY (off: one op each; the bench's A/B switch). */
export const runningStatsOptions = { many: true };

/** One forward pass's BatchNorm statistics, by op name (execute's bnBatchStats). */
export type BatchStats = Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;

/**
 * PyTorch's BatchNorm running estimates: m·batch + (1 - m)·running, the batch variance unbiased
 * (n / (n - 1)). With micro-batches the statistics of the whole batch are pooled from theirs
 * (mean of the means; mean of the variances plus the variance of the means), so the running
 * estimates are those of the whole batch either way.
 */
export function updateRunningStats(
  variables: ReadonlyMap<string, tf.Variable>,
  bnOps: ReadonlyMap<string, BnOp>,
  stats: readonly BatchStats[],
  microBatch: number,
  m: number,
): void {
  // Branch ops of forms (a)/(b) hold slices of one canonical BatchNorm: put them back in branch order.
  const byKey = new Map<string, { perImage: number; parts: Array<Array<{ branch: number; mean: tf.Tensor; variance: tf.Tensor }>> }>();
  stats.forEach((partStats, part) => {
    for (const [name, st] of partStats) {
      const op = bnOps.get(name);
      if (!op) throw new Error(`BatchNorm ${name} is not in the graph`);
      const entry = byKey.get(op.key) ?? { perImage: op.perImage, parts: [] };
      (entry.parts[part] ??= []).push({ branch: op.branch, ...st });
      byKey.set(op.key, entry);
    }
  });
  // running·(1 - m) + batch·scale: one op where the backend has it (WebGPU: a dispatch instead of three), or
  // one op for all of them (WASM), the same float32 roundings.
  const many = runningStatsOptions.many && hasKernel(RUNNING_UPDATE_MANY);
  const fused = hasKernel(RUNNING_UPDATE);
  const updates: Array<{ running: tf.Variable; batch: tf.Tensor; scale: number }> = [];
  tf.tidy(() => {
    const keep = fused ? undefined : tf.scalar(1 - m);
    const ema = (running: tf.Variable, batch: tf.Tensor, scale: number): void => {
      if (many) updates.push({ running, batch, scale });
      else running.assign(fused ? (tf.engine().runKernel(RUNNING_UPDATE, { running, batch }, { keep: 1 - m, scale }) as tf.Tensor) : tf.add(tf.mul(running, keep!), tf.mul(batch, scale)));
    };
    for (const [key, { perImage, parts }] of byKey) {
      const merged = parts.map((branches) => {
        branches.sort((p, q) => p.branch - q.branch);
        return branches.length === 1
          ? branches[0]!
          : { mean: tf.concat(branches.map((p) => p.mean)), variance: tf.concat(branches.map((p) => p.variance)) };
      });
      let mean = merged[0]!.mean;
      let variance = merged[0]!.variance;
      if (merged.length > 1) {
        const means = tf.stack(merged.map((p) => p.mean));
        mean = tf.mean(means, 0);
        variance = tf.add(tf.mean(tf.stack(merged.map((p) => p.variance)), 0), tf.mean(tf.square(tf.sub(means, mean)), 0));
      }
      const n = merged.length * microBatch * perImage;
      const runningMean = variables.get(`${key}.running_mean`)!;
      const runningVar = variables.get(`${key}.running_var`)!;
      ema(runningMean, mean, m);
      ema(runningVar, variance, (m * n) / Math.max(1, n - 1));
    }
    if (updates.length === 0) return;
    const inputs: tf.NamedTensorMap = {};
    for (const [k, u] of updates.entries()) [inputs[`running${k}`], inputs[`batch${k}`]] = [u.running, u.batch];
    const outputs = tf.engine().runKernel(RUNNING_UPDATE_MANY, inputs, { keep: 1 - m, scale: updates.map((u) => u.scale) }) as tf.Tensor[];
    for (const [k, u] of updates.entries()) u.running.assign(outputs[k]!);
  });
}
