/**
 * SGD with momentum in PyTorch's semantics and the learning-rate schedules of the trainer.
 *
 * PyTorch (`torch.optim.SGD`, dampening 0, no Nesterov): g = grad + wd·p (decayed parameters only);
 * v = mu·v + g; p = p - lr·v. tf.train.momentum folds lr into the buffer instead (v = mu·v + lr·g),
 * which differs as soon as lr changes, so the update is written out here. ResNeXt's CIFAR recipe
 * (Sec. 5.3): momentum 0.9, weight decay 5e-4 on conv and FC weights, lr 0.1 divided by 10 at 50%
 * and 75% of the run.
 */
import * as tf from '@tensorflow/tfjs';

export type LrSchedule = 'step' | 'cosine' | 'onecycle' | 'constant';

export const LR_SCHEDULES: readonly LrSchedule[] = ['step', 'cosine', 'onecycle', 'constant'];

/** ResNeXt CIFAR: lr / 10 at epochs 150 and 225 of 300, i.e. at 50% and 75% of the run. */
export const STEP_MILESTONES: readonly number[] = [0.5, 0.75];
export const STEP_GAMMA = 0.1;

/** PyTorch OneCycleLR defaults: warm up over 30% of the run from max/25, anneal to max/25/1e4, cosine both ways. */
export const ONECYCLE = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 } as const;

const cosineBetween = (from: number, to: number, fraction: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * fraction))) / 2;

/**
 * The learning rate of `step` (0-based: the step about to run) in a run of `totalSteps`, for base
 * (peak) rate `base`. Steps at or past the end keep the final rate.
 */
export function learningRateAt(schedule: LrSchedule, base: number, step: number, totalSteps: number): number {
  const total = Math.max(1, totalSteps);
  const t = Math.min(Math.max(step, 0), total);
  switch (schedule) {
    case 'constant':
      return base;
    case 'step': {
      // Integer milestones as PyTorch's MultiStepLR would be given them: floor(0.5·total), floor(0.75·total).
      const passed = STEP_MILESTONES.filter((m) => t >= Math.floor(m * total)).length;
      return base * STEP_GAMMA ** passed;
    }
    case 'cosine':
      // CosineAnnealingLR with T_max = totalSteps, eta_min = 0.
      return cosineBetween(base, 0, t / total);
    case 'onecycle': {
      const initial = base / ONECYCLE.divFactor;
      const final = initial / ONECYCLE.finalDivFactor;
      // OneCycleLR's phase ends: step pctStart·total - 1 reaches the peak, step total - 1 the minimum.
      const peakStep = ONECYCLE.pctStart * total - 1;
      const endStep = total - 1;
      if (t <= peakStep) return cosineBetween(initial, base, peakStep > 0 ? t / peakStep : 1);
      return cosineBetween(base, final, Math.min(1, (t - peakStep) / Math.max(1e-9, endStep - peakStep)));
    }
  }
}

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
    const { momentum, weightDecay } = this.options;
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
        p.variable.assign(tf.sub(p.variable, tf.mul(lrT, v)));
      }
    });
  }

  dispose(): void {
    tf.dispose([...this.buffers.values()]);
    this.buffers.clear();
  }
}
