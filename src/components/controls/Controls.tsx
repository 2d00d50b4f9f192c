import { useEffect } from 'react';
import type { Model } from '../../store/currentModel';
import { errorsFor } from '../../store/currentModel';
import { useExplorer } from '../../store/explorer';
import { isLive } from '../../store/runs';
import { training, useTraining } from '../../store/training';
import { CompoundControls } from './CompoundControls';
import { IResNetControls } from './IResNetControls';
import { MemoryControls } from './MemoryControls';
import { ModelControls } from './ModelControls';
import { ResNeXtControls } from './ResNeXtControls';
import { StageControls } from './StageControls';
import { FieldErrors } from './fields';

/**
 * The name of the model a run in this tab trains (running or paused), or null when none does, and the
 * explorer's dial lock held on it meanwhile (the store then refuses model changes, back/forward
 * included: src/store/explorer.ts `dialLock`). The run's record names it once the worker has started;
 * until then it is the model on screen, which is what Train was pressed for. Called by the app itself,
 * so the lock holds when the controls are hidden too.
 */
export function useDialLockWhileTraining(model: Model): string | null {
  const busy = useTraining((s) => s.state !== 'idle');
  const runName = useTraining((s) => (s.run && isLive(s.run) ? s.run.spec.name : null));
  const trainingModel = busy ? (runName ?? model.shown.spec.name) : null;
  const setDialLock = useExplorer((s) => s.setDialLock);
  useEffect(() => setDialLock(trainingModel), [trainingModel, setDialLock]);
  useEffect(() => () => setDialLock(null), [setDialLock]);
  return trainingModel;
}

/**
 * The dial panel. With `locked` (classroom), everything is visible but read-only. While a run
 * trains (`trainingModel`, from useDialLockWhileTraining), the model dials lock too, under a banner
 * naming the model in training, with Stop.
 */
export function Controls({ model, locked, trainingModel }: { model: Model; locked: boolean; trainingModel: string | null }) {
  const isResNet = model.preset.spec.family === 'resnet';
  const paused = useTraining((s) => s.state === 'paused');
  const off = locked || trainingModel !== null;
  return (
    <aside className="controls-panel" aria-label="Controls">
      {trainingModel !== null && (
        <div className="notices dial-lock" role="status" data-testid="dial-lock">
          <p style={{ display: 'block', overflowWrap: 'anywhere' }}>
            <strong>
              {paused ? 'Paused' : 'Training'} {trainingModel}…
            </strong>{' '}
            — the model dials are locked until the run stops.{' '}
            <button type="button" style={{ textDecoration: 'underline', fontSize: 'inherit', padding: 0 }} onClick={() => training.stop()}>
              Stop the run
            </button>
          </p>
        </div>
      )}
      <ModelControls model={model} disabled={off} />
      <FieldErrors errors={errorsFor(model.errors, 'general')} />
      {isResNet && <ResNeXtControls model={model} disabled={off} />}
      {isResNet && <StageControls model={model} disabled={off} />}
      {isResNet && <IResNetControls model={model} disabled={off} />}
      <CompoundControls model={model} disabled={off} />
      <MemoryControls disabled={locked} />
    </aside>
  );
}
