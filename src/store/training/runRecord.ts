/**
 * A run record as the worker's events build it: the pure reducer `applyEvent` folds each event of a
 * training job (src/workers/protocol.ts: started, sized, step, eval, heldOut, checkpoint, paused, resumed) into the
 * record the Train tab shows and the ledger keeps; the helpers make a new record, reopen one to
 * resume from its checkpoint, and close one from the job's outcome or its error. Pure: no React, no
 * DOM, no tfjs; each function returns a new record and leaves its input untouched.
 */
import type { ArchSpec } from '../../models';
import type { CifarKind } from '../../data/format';
import type { TrainEvent, TrainOutcome, TrainSettings } from '../../workers/protocol';
import type { RunRecord } from '../runs';

/** `record` after `event`. */
export function applyEvent(record: RunRecord, event: TrainEvent): RunRecord {
  switch (event.type) {
    case 'started':
      return { ...record, backend: event.backend, totalSteps: event.totalSteps, memory: event.memory };
    case 'sized':
      // A time-budget run's length, fixed from its measured speed: a resume goes on to the same total.
      return { ...record, totalSteps: event.totalSteps, settings: { ...record.settings, steps: event.totalSteps } };
    case 'step': {
      const m = event.metrics;
      return { ...record, steps: [...record.steps, { step: m.step, epoch: m.epoch, loss: m.loss, accuracy: m.accuracy, lr: m.lr, imagesPerSecond: m.imagesPerSecond }] };
    }
    case 'eval':
      return { ...record, evals: [...record.evals, { step: event.step, epoch: event.epoch, accuracy: event.metrics.accuracy, loss: event.metrics.loss }] };
    case 'heldOut': {
      const { seconds, images, step, heldOutAccuracy } = event.point;
      return { ...record, heldOut: [...(record.heldOut ?? []), { seconds, images, step, heldOutAccuracy }] };
    }
    case 'checkpoint':
      return { ...record, checkpoint: event.checkpoint };
    case 'paused':
      return { ...record, status: 'paused' };
    case 'resumed':
      return { ...record, status: 'running' };
  }
}

/** A run's name in the ledger: the model, seed, batch and start time (hours:minutes). */
export function runName(specName: string, settings: Partial<Pick<TrainSettings, 'seed' | 'batchSize'>>, startedAt: Date): string {
  return `${specName} seed ${settings.seed}, batch ${settings.batchSize}, ${startedAt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`;
}

/** A new run, running, with no history yet (the 'started' event fills in backend and length). */
export function newRunRecord(run: { id: string; createdAt: number; spec: ArchSpec; settings: Partial<TrainSettings>; dataset: CifarKind }): RunRecord {
  return {
    id: run.id,
    name: runName(run.spec.name, run.settings, new Date(run.createdAt)),
    createdAt: run.createdAt,
    status: 'running',
    spec: run.spec,
    settings: run.settings,
    dataset: run.dataset,
    backend: '',
    totalSteps: 0,
    steps: [],
    evals: [],
  };
}

/**
 * `record` running again from its checkpoint: the steps and evaluations logged after the checkpoint
 * are dropped (they are done again), so a resumed run continues one history.
 */
export function resumeRecord(record: RunRecord): RunRecord {
  const upTo = record.checkpoint?.step ?? 0;
  return {
    ...record,
    status: 'running',
    error: undefined,
    steps: record.steps.filter((p) => p.step <= upTo),
    evals: record.evals.filter((p) => p.step <= upTo),
    ...(record.heldOut ? { heldOut: record.heldOut.filter((p) => p.step <= upTo) } : {}),
  };
}

/**
 * `record` closed by the job's outcome: its status, last checkpoint and final metrics. The final
 * evaluation joins the test-accuracy history unless the last step was already evaluated.
 */
export function finishRecord(record: RunRecord, outcome: TrainOutcome): RunRecord {
  const last = record.steps.at(-1);
  const finalPoint = outcome.final && last && record.evals.at(-1)?.step !== last.step ? [{ step: last.step, epoch: last.epoch, accuracy: outcome.final.accuracy, loss: outcome.final.loss }] : [];
  return { ...record, status: outcome.status, checkpoint: outcome.checkpoint, final: outcome.final, evals: [...record.evals, ...finalPoint] };
}

/** `record` cut short by an error: interrupted, with the message (its checkpoint, if any, can resume it). */
export function failRecord(record: RunRecord, message: string): RunRecord {
  return { ...record, status: 'interrupted', error: message };
}
