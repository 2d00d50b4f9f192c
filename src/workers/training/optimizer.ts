/**
 * SGD with momentum in PyTorch's semantics (the schedules are schedule.ts).
 *
 * PyTorch (`torch.optim.SGD`, dampening 0): g = grad + wd·p (decayed parameters only);
 * v = mu·v + g; p = p - lr·v, or with Nesterov (`nesterov=True`) p = p - lr·(g + mu·v). tf.train.momentum folds lr into the buffer instead (v = mu·v + lr·g),
 * which differs as soon as lr changes, so the update is written out here. ResNeXt's CIFAR recipe
 * (Sec. 5.3): momentum 0.9, weight decay 5e-4 on conv and FC weights.
 */
import * as tf from '@tensorflow/tfjs';
import { SGD_MOMENTUM_UPDATE, SGD_MOMENTUM_UPDATE_MANY, hasKernel } from '../kernels/batchNormOp';

export interface SgdParam {
  /** state_dict name, e.g. `layer1.0.conv2.weight`. */
  key: string;
  variable: tf.Variable;
  /** Weight decay applies (conv and FC weights; not BN gamma/beta, not biases). */
  decay: boolean;
}

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  /** Nesterov momentum (torch.optim.SGD's nesterov=True). */
  nesterov?: boolean;
}

/** Momentum SGD over a fixed set of variables; owns its momentum buffers. */
export class SgdMomentum {
  readonly params: readonly SgdParam[];
  /** Momentum buffers v, by parameter key (zeros at the start: the first step gives v = g, as PyTorch). */
  readonly buffers: Map<string, tf.Variable>;
  private readonly options: SgdOptions;

  constructor(params: readonly SgdParam[], options: SgdOptions, initialBuffers?: Map<string, Float32Array>) {
    this.params = params;
    this.options = options;
    this.buffers = new Map(
      params.map((p) => {
        const values = initialBuffers?.get(p.key);
        if (values && values.length !== p.variable.size) throw new Error(`momentum buffer ${p.key}: ${values.length} values for ${p.variable.size} weights`);
        const init = values ? tf.tensor(values.slice(), p.variable.shape) : tf.zerosLike(p.variable);
        const v = tf.variable(init, false);
        init.dispose();
        return [p.key, v];
      }),
    );
  }

  /** One update with gradients keyed by variable name (as tf.variableGrads returns them). Disposes nothing it did not make. */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay, nesterov } = this.options;
    if (hasKernel(SGD_MOMENTUM_UPDATE_MANY)) {
      this.applyAllAtOnce(grads, lr);
      return;
    }
    if (hasKernel(SGD_MOMENTUM_UPDATE)) {
      this.applyFused(grads, lr);
      return;
    }
    tf.tidy(() => {
      const lrT = tf.scalar(lr);
      const muT = tf.scalar(momentum);
      const wdT = tf.scalar(weightDecay);
      for (const p of this.params) {
        const grad = grads[p.variable.name];
        if (!grad) continue; // a parameter the loss does not reach (none in our graphs)
        const g = p.decay && weightDecay !== 0 ? tf.add(grad, tf.mul(wdT, p.variable)) : grad;
        const buffer = this.buffers.get(p.key)!;
        const v = tf.add(tf.mul(muT, buffer), g);
        buffer.assign(v);
        const step = nesterov ? tf.add(g, tf.mul(muT, v)) : v;
        p.variable.assign(tf.sub(p.variable, tf.mul(lrT, step)));
      }
    });
  }

  /**
   * The same update by the backend's fused kernel (WASM: kernels/wasm/batchNorm.ts, WebGPU:
   * kernels/webgpu/batchNorm.ts), one call per parameter instead of up to seven ops, with float32
   * operations in the order above: on WASM bit for bit the same result.
   */
  private applyFused(grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay, nesterov } = this.options;
    tf.tidy(() => {
      for (const p of this.params) {
        const grad = grads[p.variable.name];
        if (!grad) continue;
        const buffer = this.buffers.get(p.key)!;
        const attrs = { lr, momentum, weightDecay, decay: p.decay && weightDecay !== 0 ? 1 : 0, nesterov: nesterov ? 1 : 0 };
        const [param, velocity] = tf.engine().runKernel(SGD_MOMENTUM_UPDATE, { p: p.variable, v: buffer, grad }, attrs) as [tf.Tensor, tf.Tensor];
        buffer.assign(velocity);
        p.variable.assign(param);
      }
    });
  }

  /**
   * The same update by one kernel call for every parameter (WASM: kernels/wasm/batchNorm.ts), split over
   * the kernel helpers as one range: bit for bit the per-parameter kernel's values.
   */
  private applyAllAtOnce(grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay, nesterov } = this.options;
    const present = this.params.filter((p) => grads[p.variable.name]);
    if (present.length === 0) return;
    const inputs: tf.NamedTensorMap = {};
    for (const [k, p] of present.entries()) {
      inputs[`p${k}`] = p.variable;
      inputs[`v${k}`] = this.buffers.get(p.key)!;
      inputs[`grad${k}`] = grads[p.variable.name]!;
    }
    const decay = present.map((p) => (p.decay && weightDecay !== 0 ? 1 : 0));
    tf.tidy(() => {
      const outputs = tf.engine().runKernel(SGD_MOMENTUM_UPDATE_MANY, inputs, { lr, momentum, weightDecay, nesterov: nesterov ? 1 : 0, decay }) as tf.Tensor[];
      for (const [k, p] of present.entries()) {
        p.variable.assign(outputs[2 * k]!);
        this.buffers.get(p.key)!.assign(outputs[2 * k + 1]!);
      }
    });
  }

  dispose(): void {
    tf.dispose([...this.buffers.values()]);
    this.buffers.clear();
  }
}
