/**
 * The Train tab: live CIFAR training in the compute worker. Load the data, train the model on
 * screen, watch the curves, pause / resume / stop / change the learning rate, evaluate, and keep
 * every run in the ledger. Composition only: the run controller is src/store/training.
 */
import { classNamesOf } from '../../../data/format';
import type { Model } from '../../../store/currentModel';
import { useTraining } from '../../../store/training';
import { DataPanel } from './DataPanel';
import { EvaluationPanel } from './EvaluationPanel';
import { LedgerPanel } from './LedgerPanel';
import { LiveCharts } from './LiveCharts';
import { SettingsPanel } from './SettingsPanel';

export function TrainingView({ model }: { model: Model }) {
  const run = useTraining((s) => s.run);
  const grid = useTraining((s) => s.grid);
  return (
    <section aria-label="Training" className="training">
      <DataPanel />
      <SettingsPanel model={model} />
      {run && <LiveCharts run={run} />}
      {run?.final && <EvaluationPanel metrics={run.final} classNames={classNamesOf(run.dataset)} grid={grid} />}
      <LedgerPanel />
    </section>
  );
}
