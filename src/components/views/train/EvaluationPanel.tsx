/**
 * An evaluation: a finished (or stopped) run's test accuracy, the confusion matrix (up to 10 classes)
 * and a grid of test images with their predictions; or, with `live`, the latest held-out evaluation
 * of a run still training, its confusion matrix updating with each one.
 */
import { useEffect, useRef } from 'react';
import { CIFAR_IMAGE_SIZE } from '../../../data/format';
import { formatInt } from '../../../models';
import type { EvalGrid } from '../../../store/training/controller';
import type { EvalMetrics } from '../../../workers/protocol';
import { drawCifarImage } from './LivePredictions';

export function EvaluationPanel({ metrics, classNames, grid, live }: { metrics: EvalMetrics; classNames: readonly string[]; grid?: EvalGrid; live?: { step: number; seconds: number } }) {
  const canvases = useRef<(HTMLCanvasElement | null)[]>([]);
  useEffect(() => {
    if (!grid) return;
    canvases.current.forEach((canvas, i) => drawCifarImage(canvas, grid.images, i));
  }, [grid]);
  const k = classNames.length;
  const predicted = (i: number) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (grid!.probs[i * k + c]! > grid!.probs[i * k + best]!) best = c;
    return best;
  };
  return (
    <section aria-label={live ? 'Live evaluation' : 'Evaluation'} data-testid={live ? 'live-evaluation' : 'evaluation'}>
      {live ? (
        <p className="verdict" data-testid="held-out-accuracy">
          Held-out accuracy {(100 * metrics.accuracy).toFixed(1)}% on {formatInt(metrics.images)} test images at step {live.step} ({Math.round(live.seconds)} s; loss {metrics.loss.toFixed(3)}); chance
          is {(100 / k).toFixed(0)}%.
        </p>
      ) : (
        <p className="verdict pass" data-testid="test-accuracy">
          Test accuracy {(100 * metrics.accuracy).toFixed(1)}% on {formatInt(metrics.images)} images (loss {metrics.loss.toFixed(3)}); chance is {(100 / k).toFixed(0)}%.
        </p>
      )}
      {k <= 10 && (
        <table className="layers confusion">
          <caption>{live ? 'Held-out confusion matrix, now' : 'Confusion matrix'} (rows: true class, columns: predicted) and per-class accuracy</caption>
          <thead>
            <tr>
              <th scope="col">true \ predicted</th>
              {classNames.map((c) => (
                <th key={c} scope="col" className="num">
                  {c.slice(0, 5)}
                </th>
              ))}
              <th scope="col" className="num">
                accuracy
              </th>
            </tr>
          </thead>
          <tbody>
            {metrics.confusion.map((row, t) => (
              <tr key={t}>
                <th scope="row">{classNames[t]}</th>
                {row.map((n, p) => (
                  <td key={p} className="num" style={{ background: n ? `rgba(0,114,178,${Math.min(0.8, n / Math.max(1, row.reduce((a, b) => a + b, 0)))})` : undefined }}>
                    {n}
                  </td>
                ))}
                <td className="num">{Number.isNaN(metrics.perClassAccuracy[t]) ? '–' : `${(100 * metrics.perClassAccuracy[t]!).toFixed(0)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {grid && (
        <div className="image-grid" aria-label="Test images with predicted and true labels">
          {Array.from({ length: grid.labels.length }, (_, i) => {
            const p = predicted(i);
            const ok = p === grid.labels[i];
            return (
              <figure key={i} className={ok ? 'pass' : 'fail'}>
                <canvas width={CIFAR_IMAGE_SIZE} height={CIFAR_IMAGE_SIZE} ref={(el) => void (canvases.current[i] = el)} />
                <figcaption>
                  {classNames[p]}
                  {ok ? '' : ` (true: ${classNames[grid.labels[i]!]})`}
                </figcaption>
              </figure>
            );
          })}
        </div>
      )}
    </section>
  );
}
