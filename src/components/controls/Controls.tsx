import type { Model } from '../../store/currentModel';
import { CompoundControls } from './CompoundControls';
import { IResNetControls } from './IResNetControls';
import { MemoryControls } from './MemoryControls';
import { ModelControls } from './ModelControls';
import { ResNeXtControls } from './ResNeXtControls';
import { StageControls } from './StageControls';
import { FieldErrors } from './fields';
import { errorsFor } from '../../store/currentModel';

/** The dial panel. With `locked` (classroom), everything is visible but read-only. */
export function Controls({ model, locked }: { model: Model; locked: boolean }) {
  const isResNet = model.preset.spec.family === 'resnet';
  return (
    <aside className="controls-panel" aria-label="Controls">
      <ModelControls model={model} disabled={locked} />
      <FieldErrors errors={errorsFor(model.errors, 'general')} />
      {isResNet && <ResNeXtControls model={model} disabled={locked} />}
      {isResNet && <StageControls model={model} disabled={locked} />}
      {isResNet && <IResNetControls model={model} disabled={locked} />}
      <CompoundControls model={model} disabled={locked} />
      <MemoryControls disabled={locked} />
    </aside>
  );
}
