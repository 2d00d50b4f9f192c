/**
 * The current run's live view: its recipe, the charts (loss, batch accuracy with the learning rate,
 * held-out accuracy against wall time and against steps, speed; test accuracy per epoch for runs
 * that have it), and, while it trains, the latest held-out evaluation (confusion matrix) and the
 * prediction images. They redraw at most once a second, from at most MAX_CHART_POINTS points per
 * series (`thin`): a redraw (and its data table) costs the same at step 100 and step 100,000, so a
 * long run keeps the page responsive.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { classNamesOf } from '../../../data/format';
import type { RunRecord } from '../../../store/runs';
import { useTraining } from '../../../store/training';
import { recipeLabel } from '../../../store/training/form';
import { smooth, thin } from '../../../store/training/series';
import { DEFAULT_TRAIN_SETTINGS, RECIPE_BOOLEAN_FIELDS } from '../../../workers/training/settings';
import type { XYChartData, XYPoint } from '../../../viz/charts/types';
import { XYChart } from '../../charts/Chart';
import { EvaluationPanel } from './EvaluationPanel';
import { LivePredictions } from './LivePredictions';

const LOSS_OPTIONS = { xLabel: 'step', yLabel: 'cross-entropy', height: 220 } as const;
const STEP_OPTIONS = { xLabel: 'step', height: 220 } as const;
const EPOCH_OPTIONS = { xLabel: 'epoch', yLabel: 'test accuracy (%)', height: 220 } as const;
const SPEED_OPTIONS = { xLabel: 'step', yLabel: 'images/s', height: 220 } as const;
const HELD_OUT_TIME_OPTIONS = { xLabel: 'seconds', yLabel: 'held-out accuracy (%)', height: 220 } as const;
const HELD_OUT_STEP_OPTIONS = { xLabel: 'step', yLabel: 'held-out accuracy (%)', height: 220 } as const;
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

/** The run's recipe in one line: its name (marked when a trick was changed) and the tricks on. */
function recipeSummary(settings: RunRecord['settings']): string {
  const s = { ...DEFAULT_TRAIN_SETTINGS, ...settings };
  const on = RECIPE_BOOLEAN_FIELDS.filter((f) => s[f.key]).map((f) => f.label);
  if (s.labelSmoothing > 0) on.push(`label smoothing ${s.labelSmoothing}`);
  const budget = settings.timeBudgetMinutes ? `; budget ${settings.timeBudgetMinutes} min` : '';
  return `Recipe: ${recipeLabel(settings)} · ${s.schedule} schedule${on.length ? ` · ${on.join(', ')}` : ''}${budget}`;
}

export function LiveCharts({ run: current }: { run: RunRecord }) {
  const run = useThrottled(current, REDRAW_MS);
  const live = useTraining((s) => s.live);
  const testImages = useTraining((s) => s.dataset?.test.images);
  const training = current.status === 'running' || current.status === 'paused';
  const heldOut = useMemo(() => run.heldOut ?? [], [run.heldOut]);
  const heldOutTime = useMemo<XYChartData>(() => {
    const final = run.final && heldOut.length ? [{ name: 'test accuracy (whole set, at the end)', kind: 'points' as const, points: [{ x: heldOut.at(-1)!.seconds, y: 100 * run.final.accuracy }], styleSlot: 1 }] : [];
    return { series: [{ name: 'held-out accuracy', kind: 'line', points: heldOut.map((p) => ({ x: p.seconds, y: 100 * p.heldOutAccuracy })), styleSlot: 0 }, ...final] };
  }, [heldOut, run.final]);
  const heldOutStep = useMemo<XYChartData>(() => ({ series: [{ name: 'held-out accuracy', kind: 'line', points: heldOut.map((p) => ({ x: p.step, y: 100 * p.heldOutAccuracy })), styleSlot: 0 }] }), [heldOut]);
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
  const classNames = classNamesOf(current.dataset);
  return (
    <>
      <p className="hint" data-testid="run-recipe">
        {recipeSummary(current.settings)}
      </p>
      <div className="charts-grid">
        <XYChart title="Training loss per step" options={LOSS_OPTIONS} data={loss} testId="chart-train-loss" />
        <XYChart title="Accuracy and learning rate per step" options={STEP_OPTIONS} data={acc} testId="chart-train-acc" />
        {heldOut.length > 0 ? (
          <>
            <XYChart title="Held-out accuracy over time" options={HELD_OUT_TIME_OPTIONS} data={heldOutTime} testId="chart-held-out-time" />
            <XYChart title="Held-out accuracy per step" options={HELD_OUT_STEP_OPTIONS} data={heldOutStep} testId="chart-held-out-step" />
          </>
        ) : run.evals.length > 0 ? (
          <XYChart title="Test accuracy per epoch" options={EPOCH_OPTIONS} data={test} testId="chart-test-acc" />
        ) : (
          <figure className="chart chart-empty" data-testid="chart-held-out-time">
            <figcaption className="chart-title">Held-out accuracy over time</figcaption>
            <p className="hint">No evaluation yet: a fixed slice of the test set is evaluated a few seconds into the run, then every 15 s; the whole test set at the end and on Stop.</p>
          </figure>
        )}
        <XYChart title="Training speed per step" options={SPEED_OPTIONS} data={speed} testId="chart-speed" />
      </div>
      {live && training && (
        <>
          <LivePredictions predictions={live.predictions} testImages={testImages} classNames={classNames} step={live.step} />
          <EvaluationPanel metrics={live.metrics} classNames={classNames} live={{ step: live.step, seconds: live.seconds }} />
        </>
      )}
    </>
  );
}
