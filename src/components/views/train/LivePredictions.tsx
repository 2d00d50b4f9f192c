/**
 * A few fixed test images (the first of the held-out slice: one per class) with the model's current
 * top classes and their probabilities, redrawn at each held-out evaluation (ConvNetJS's live view).
 */
import { useEffect, useRef } from 'react';
import { CIFAR_IMAGE_BYTES, CIFAR_IMAGE_SIZE, CIFAR_PLANE } from '../../../data/format';
import type { Prediction } from '../../../workers/protocol';

/** Draws CIFAR record `index` of `images` (R, G, B planes) into `canvas`. */
export function drawCifarImage(canvas: HTMLCanvasElement | null, images: Uint8Array, index: number): void {
  const ctx = canvas?.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(CIFAR_IMAGE_SIZE, CIFAR_IMAGE_SIZE);
  const at = index * CIFAR_IMAGE_BYTES;
  for (let p = 0; p < CIFAR_PLANE; p++) {
    img.data[4 * p] = images[at + p]!;
    img.data[4 * p + 1] = images[at + CIFAR_PLANE + p]!;
    img.data[4 * p + 2] = images[at + 2 * CIFAR_PLANE + p]!;
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function LivePredictions({ predictions, testImages, classNames, step }: { predictions: readonly Prediction[]; testImages?: Uint8Array; classNames: readonly string[]; step: number }) {
  const canvases = useRef<(HTMLCanvasElement | null)[]>([]);
  // The images are fixed for the run: drawn when they change, not at every evaluation.
  const indices = predictions.map((p) => p.index).join(',');
  useEffect(() => {
    if (!testImages) return;
    predictions.forEach((p, i) => drawCifarImage(canvases.current[i] ?? null, testImages, p.index));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- redrawn when the images change (indices), not the probabilities
  }, [indices, testImages]);
  const name = (label: number) => classNames[label] ?? String(label);
  return (
    <section aria-label="Live predictions" data-testid="live-predictions">
      <h4>Predictions now (step {step})</h4>
      <div className="image-grid">
        {predictions.map((p, i) => {
          const ok = p.top[0]?.label === p.label;
          return (
            <figure key={p.index} className={ok ? 'pass' : 'fail'} data-testid="live-prediction">
              <canvas width={CIFAR_IMAGE_SIZE} height={CIFAR_IMAGE_SIZE} ref={(el) => void (canvases.current[i] = el)} aria-label={`test image ${p.index}, a ${name(p.label)}`} />
              <figcaption>
                <span className="hint">true: {name(p.label)}</span>
                <ol className="top-classes" style={{ margin: 0, paddingLeft: 0, listStylePosition: 'inside', whiteSpace: 'nowrap', fontSize: '0.7rem' }}>
                  {p.top.map((t) => (
                    <li key={t.label}>
                      {name(t.label)} {(100 * t.probability).toFixed(0)}%
                    </li>
                  ))}
                </ol>
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
