/**
 * The current run's live charts: loss, batch accuracy with the learning rate, test accuracy per
 * epoch, and speed. They redraw at most once a second, from at most MAX_CHART_POINTS points per
 * series (`thin`): a redraw (and its data table) costs the same at step 100 and step 100,000, so a
 * long run keeps the page responsive.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { RunRecord } from '../../../store/runs';
import { smooth, thin } from '../../../store/training/series';
import type { XYChartData, XYPoint } from '../../../viz/charts/types';
import { XYChart } from '../../charts/Chart';

const LOSS_OPTIONS = { xLabel: 'step', yLabel: 'cross-entropy', height: 220 } as const;
const STEP_OPTIONS = { xLabel: 'step', height: 220 } as const;
const EPOCH_OPTIONS = { xLabel: 'epoch', yLabel: 'test accuracy (%)', height: 220 } as const;
const SPEED_OPTIONS = { xLabel: 'step', yLabel: 'images/s', height: 220 } as const;
/** The charts redraw at most this often while a run goes on. */
const REDRAW_MS = 1000;

/** `value`, updated at most every `ms` (the latest one always arrives). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const show = () => {
      last.current = Date.now();
      setShown(value);
    };
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      show();
      return undefined;
    }
    const timer = setTimeout(show, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

/** A series' points over the run's steps, thinned for drawing. */
const stepPoints = (steps: RunRecord['steps'], ys: readonly number[]): XYPoint[] => thin(steps.map((p, i) => ({ x: p.step, y: ys[i]! })));

export function LiveCharts({ run: live }: { run: RunRecord }) {
  const run = useThrottled(live, REDRAW_MS);
  const loss = useMemo<XYChartData>(() => {
    const s = run.steps;
    const values = s.map((p) => p.loss);
    return {
      series: [
        { name: 'loss', kind: 'line', points: stepPoints(s, values), styleSlot: 4 },
        { name: 'loss (smoothed)', kind: 'line', points: stepPoints(s, smooth(values)), styleSlot: 0 },
      ],
    };
  }, [run.steps]);
  const acc = useMemo<XYChartData>(
    () => ({
      series: [
        { name: 'train batch accuracy (smoothed, %)', kind: 'line', points: stepPoints(run.steps, smooth(run.steps.map((p) => 100 * p.accuracy))) },
        { name: 'learning rate x 1000', kind: 'line', dashed: true, points: stepPoints(run.steps, run.steps.map((p) => 1000 * p.lr)) },
      ],
    }),
    [run.steps],
  );
  const test = useMemo<XYChartData>(() => ({ series: [{ name: 'test accuracy', kind: 'line', points: run.evals.map((e) => ({ x: e.epoch, y: 100 * e.accuracy })) }] }), [run.evals]);
  const speed = useMemo<XYChartData>(
    () => ({ series: [{ name: 'images/s (smoothed)', kind: 'line', points: stepPoints(run.steps, smooth(run.steps.map((p) => p.imagesPerSecond))) }] }),
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
