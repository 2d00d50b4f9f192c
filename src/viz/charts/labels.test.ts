import { describe, expect, it } from 'vitest';
import { labelsToTry, placeLabels } from './labels';

const bounds = { x: 0, y: 0, w: 400, h: 200 };

describe('placeLabels', () => {
  it('puts a lone label to the right of its point', () => {
    const [at] = placeLabels([{ px: 100, py: 100, w: 60, h: 12, gap: 8 }], [], bounds);
    expect(at).toMatchObject({ x: 108, y: 100, anchor: 'start', far: false, hidden: false });
  });

  it('flips to the left at the right edge of the plot', () => {
    const [at] = placeLabels([{ px: 390, py: 100, w: 60, h: 12, gap: 8 }], [], bounds);
    expect(at).toMatchObject({ x: 382, anchor: 'end', hidden: false });
  });

  it('gives two points at the same place non-overlapping labels', () => {
    const req = { px: 200, py: 100, w: 60, h: 12, gap: 8 };
    const [a, b] = placeLabels([req, req], [], bounds);
    if (!a || !b) throw new Error('two placements expected');
    const apart = a.rect.x + a.rect.w <= b.rect.x || b.rect.x + b.rect.w <= a.rect.x || a.rect.y + a.rect.h <= b.rect.y || b.rect.y + b.rect.h <= a.rect.y;
    expect(apart).toBe(true);
  });

  it('hides a label that has nowhere free to go', () => {
    const [at] = placeLabels([{ px: 20, py: 20, w: 60, h: 12, gap: 8 }], [bounds], bounds);
    expect(at?.hidden).toBe(true);
  });
});

describe('labelsToTry', () => {
  it('labels a crowded run at its two ends along the axis it spreads', () => {
    // ResNeXt-50's Table 3 at one compute: errors a few px apart down one column.
    const run = [0, 9, 17, 24, 28].map((py) => ({ px: 100, py }));
    expect(labelsToTry(run, 16)).toEqual([true, false, false, false, true]);
    const row = [0, 10, 20].map((px) => ({ px, py: 50 }));
    expect(labelsToTry(row, 16)).toEqual([true, false, true]);
  });

  it('keeps every label of points that are apart, and of pairs', () => {
    expect(labelsToTry([{ px: 0, py: 0 }, { px: 40, py: 0 }, { px: 80, py: 0 }], 16)).toEqual([true, true, true]);
    expect(labelsToTry([{ px: 0, py: 0 }, { px: 5, py: 0 }, { px: 80, py: 0 }], 16)).toEqual([true, true, true]);
  });
});
