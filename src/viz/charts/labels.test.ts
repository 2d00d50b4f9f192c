import { describe, expect, it } from 'vitest';
import { placeLabels } from './labels';

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
