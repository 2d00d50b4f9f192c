/**
 * The learning-rate schedules of the trainer, as PyTorch's schedulers compute them per step. Pure:
 * the settings form and the charts use it too.
 *
 * ResNeXt's CIFAR recipe (Sec. 5.3): lr 0.1 divided by 10 at 50% and 75% of the run.
 */

export type LrSchedule = 'step' | 'cosine' | 'onecycle' | 'triangular' | 'constant';

export const LR_SCHEDULES: readonly LrSchedule[] = ['step', 'cosine', 'onecycle', 'triangular', 'constant'];

/** ResNeXt CIFAR: lr / 10 at epochs 150 and 225 of 300, i.e. at 50% and 75% of the run. */
export const STEP_MILESTONES: readonly number[] = [0.5, 0.75];
export const STEP_GAMMA = 0.1;

/** PyTorch OneCycleLR defaults: warm up over 30% of the run from max/25, anneal to max/25/1e4, cosine both ways. */
export const ONECYCLE = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 } as const;

/**
 * The fast recipe's triangle (airbench, arXiv 2404.00498): a linear warm-up from base / 10 over the
 * warm-up fraction, then linear decay to ~0 at the end: PyTorch's OneCycleLR with
 * anneal_strategy='linear', pct_start = warm-up, div_factor 10, final_div_factor 1e4.
 */
export const TRIANGULAR = { divFactor: 10, finalDivFactor: 1e4 } as const;

const linearBetween = (from: number, to: number, fraction: number): number => from + (to - from) * fraction;

const cosineBetween = (from: number, to: number, fraction: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * fraction))) / 2;

/**
 * The learning rate of `step` (0-based: the step about to run) in a run of `totalSteps`, for base
 * (peak) rate `base`. Steps at or past the end keep the final rate. `warmup`: the triangular
 * schedule's warm-up fraction.
 */
export function learningRateAt(schedule: LrSchedule, base: number, step: number, totalSteps: number, warmup = 0.2): number {
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
    case 'triangular': {
      const initial = base / TRIANGULAR.divFactor;
      const final = initial / TRIANGULAR.finalDivFactor;
      // OneCycleLR's phases, annealed linearly: step warmup·total - 1 reaches the peak.
      const peakStep = warmup * total - 1;
      const endStep = total - 1;
      if (t <= peakStep) return linearBetween(initial, base, peakStep > 0 ? t / peakStep : 1);
      return linearBetween(base, final, Math.min(1, (t - peakStep) / Math.max(1e-9, endStep - peakStep)));
    }
  }
}
