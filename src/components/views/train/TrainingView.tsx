/**
 * The Train tab: live CIFAR training in the compute worker. Load the data, train the model on
 * screen, watch the curves, pause / resume / stop / change the learning rate, evaluate, and keep
 * every run in the ledger. Composition only: the run controller is src/store/training.
 *
 * Laid out so the run controls and the loss curve share one screen (a projector's 1280x720 too):
 * the settings (run controls first) on the left; the live charts, then the data, on the right (so
 * before a run, Train, the loss chart's frame and Load share the first screen); evaluation and
 * ledger below (styles.css, `.train-grid`).
 */
import { classNamesOf } from '../../../data/format';
import type { Model } from '../../../store/currentModel';
import { useTraining } from '../../../store/training';
import { ComparisonTable } from './ComparisonTable';
import { DataPanel } from './DataPanel';
import { EvaluationPanel } from './EvaluationPanel';
import { LedgerPanel } from './LedgerPanel';
import { LiveCharts } from './LiveCharts';
import { SettingsPanel } from './SettingsPanel';

/** Where the loss curve will be drawn, before there is a run. */
function EmptyLossChart() {
  return (
    <figure className="chart chart-empty" data-testid="chart-train-loss">
      <figcaption className="chart-title">Training loss per step</figcaption>
      <p className="hint">Press Train: the loss is drawn here step by step, with the other live charts below it.</p>
    </figure>
  );
}

export function TrainingView({ model }: { model: Model }) {
  const run = useTraining((s) => s.run);
  const grid = useTraining((s) => s.grid);
  return (
    <section aria-label="Training" className="training">
      <div className="train-grid">
        <div className="train-setup">
          <SettingsPanel model={model} />
        </div>
        <div className="train-live">
          {run ? <LiveCharts run={run} /> : <EmptyLossChart />}
          <DataPanel />
        </div>
      </div>
      {run?.final && <EvaluationPanel metrics={run.final} classNames={classNamesOf(run.dataset)} grid={grid} />}
      <LedgerPanel />
      <ComparisonTable />
    </section>
  );
}
