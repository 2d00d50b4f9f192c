/** The current run's live charts: loss, batch accuracy with the learning rate, test accuracy per epoch, and speed. */
import { useMemo } from 'react';
import type { RunRecord } from '../../../store/runs';
import { smooth } from '../../../store/training/series';
import type { XYChartData } from '../../../viz/charts/types';
import { XYChart } from '../../charts/Chart';

const LOSS_OPTIONS = { xLabel: 'step', yLabel: 'cross-entropy', height: 220 } as const;
const STEP_OPTIONS = { xLabel: 'step', height: 220 } as const;
const EPOCH_OPTIONS = { xLabel: 'epoch', yLabel: 'test accuracy (%)', height: 220 } as const;
const SPEED_OPTIONS = { xLabel: 'step', yLabel: 'images/s', height: 220 } as const;

export function LiveCharts({ run }: { run: RunRecord }) {
  const loss = useMemo<XYChartData>(() => {
    const s = run.steps;
    return {
      series: [
        { name: 'loss', kind: 'line', points: s.map((p) => ({ x: p.step, y: p.loss })), styleSlot: 4 },
        { name: 'loss (smoothed)', kind: 'line', points: smooth(s.map((p) => p.loss)).map((y, i) => ({ x: s[i]!.step, y })), styleSlot: 0 },
      ],
    };
  }, [run.steps]);
  const acc = useMemo<XYChartData>(
    () => ({
      series: [
        { name: 'train batch accuracy (smoothed, %)', kind: 'line', points: smooth(run.steps.map((p) => 100 * p.accuracy)).map((y, i) => ({ x: run.steps[i]!.step, y })) },
        { name: 'learning rate x 1000', kind: 'line', dashed: true, points: run.steps.map((p) => ({ x: p.step, y: 1000 * p.lr })) },
      ],
    }),
    [run.steps],
  );
  const test = useMemo<XYChartData>(() => ({ series: [{ name: 'test accuracy', kind: 'line', points: run.evals.map((e) => ({ x: e.epoch, y: 100 * e.accuracy })) }] }), [run.evals]);
  const speed = useMemo<XYChartData>(
    () => ({ series: [{ name: 'images/s (smoothed)', kind: 'line', points: smooth(run.steps.map((p) => p.imagesPerSecond)).map((y, i) => ({ x: run.steps[i]!.step, y })) }] }),
    [run.steps],
  );
  return (
    <div className="charts-grid">
      <XYChart title="Training loss per step" options={LOSS_OPTIONS} data={loss} testId="chart-train-loss" />
      <XYChart title="Accuracy and learning rate per step" options={STEP_OPTIONS} data={acc} testId="chart-train-acc" />
      {run.evals.length > 0 ? (
        <XYChart title="Test accuracy per epoch" options={EPOCH_OPTIONS} data={test} testId="chart-test-acc" />
      ) : (
        <figure className="chart chart-empty" data-testid="chart-test-acc">
          <figcaption className="chart-title">Test accuracy per epoch</figcaption>
          <p className="hint">No evaluation yet: the test set is evaluated after each epoch and at the end of the run.</p>
        </figure>
      )}
      <XYChart title="Training speed per step" options={SPEED_OPTIONS} data={speed} testId="chart-speed" />
    </div>
  );
}
