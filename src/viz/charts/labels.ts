/**
 * Greedy placement of point labels so they do not cover each other, the points or the marker
 * labels: each label tries right, left, above, below (and the diagonals) of its point, then spots
 * a line or more away with a leader line, and takes the first that is free and inside the plot.
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelRequest {
  /** Point centre in plot coordinates. */
  px: number;
  py: number;
  /** Text width and line height in px. */
  w: number;
  h: number;
  /** Clear distance between the point's centre and the label. */
  gap: number;
}

export interface LabelPlacement {
  /** Text anchor point and alignment, for <text x y text-anchor>; y is the text's vertical centre. */
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  rect: Rect;
  /** Placed away from its point, so it needs a leader line back to it. */
  far: boolean;
  /** No free spot was found: the label is left off (its point keeps its tooltip, the table its row). */
  hidden: boolean;
}

const overlap = (a: Rect, b: Rect): number =>
  Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

function candidates({ px, py, w, h, gap }: LabelRequest): LabelPlacement[] {
  const at = (x: number, y: number, anchor: LabelPlacement['anchor'], far = false): LabelPlacement => {
    const left = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
    return { x, y, anchor, rect: { x: left, y: y - h / 2, w, h }, far, hidden: false };
  };
  const diag = gap * 0.7;
  const near = [
    at(px + gap, py, 'start'),
    at(px - gap, py, 'end'),
    at(px, py - gap - h / 2, 'middle'),
    at(px, py + gap + h / 2, 'middle'),
    at(px + diag, py - diag - h / 2, 'start'),
    at(px + diag, py + diag + h / 2, 'start'),
    at(px - diag, py - diag - h / 2, 'end'),
    at(px - diag, py + diag + h / 2, 'end'),
  ];
  // A crowded neighbourhood: try a line or two further out, tied back by a leader line.
  const far: LabelPlacement[] = [];
  for (const k of [1.5, 2.5, 3.5]) {
    const dy = k * h;
    far.push(
      at(px + gap * 2, py - dy, 'start', true),
      at(px + gap * 2, py + dy, 'start', true),
      at(px - gap * 2, py - dy, 'end', true),
      at(px - gap * 2, py + dy, 'end', true),
    );
  }
  return [...near, ...far];
}

/**
 * Places `requests` in order; `obstacles` (points, other labels) are avoided, `bounds` kept to.
 * A label with no free spot comes back `hidden`.
 */
export function placeLabels(requests: LabelRequest[], obstacles: Rect[], bounds: Rect): LabelPlacement[] {
  const taken = [...obstacles];
  return requests.map((req) => {
    let best: LabelPlacement | undefined;
    let bestCost = Infinity;
    for (const c of candidates(req)) {
      const outside = c.rect.w * c.rect.h - overlap(c.rect, bounds);
      // Leaving the plot is worse than touching a neighbour: the label would be clipped.
      // Under 1 px² is rounding, not overlap; a far spot pays a little, so a near one wins a tie.
      let covered = outside * 4;
      for (const t of taken) covered += overlap(c.rect, t);
      if (covered < 1) covered = 0;
      const cost = covered + (c.far ? 0.5 : 0);
      if (cost < bestCost) {
        best = c;
        bestCost = cost;
      }
      if (cost === 0) break;
    }
    // Overlapping labels read as neither; better one label fewer. Earlier requests win.
    if (bestCost >= 1) return { ...(best as LabelPlacement), hidden: true };
    const placed = best as LabelPlacement;
    taken.push(placed.rect);
    return placed;
  });
}

/**
 * Which points of one series to label where they crowd: points closer than `minGap` px to another
 * (chained) form a run, and a run of three or more is labelled at its two ends only, along the axis
 * it spreads most (ResNeXt's "1x64d … 32x4d" at one compute). The others keep their tooltip and
 * their table row. Returns, per point, whether to try its label.
 */
export function labelsToTry(points: { px: number; py: number }[], minGap: number): boolean[] {
  const parent = points.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i] as number)));
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const [a, b] = [points[i]!, points[j]!];
      if (Math.hypot(a.px - b.px, a.py - b.py) < minGap) parent[root(i)] = root(j);
    }
  }
  const runs = new Map<number, number[]>();
  points.forEach((_, i) => runs.set(root(i), [...(runs.get(root(i)) ?? []), i]));
  const keep = points.map(() => true);
  for (const run of runs.values()) {
    if (run.length < 3) continue;
    const spread = (f: (i: number) => number) => Math.max(...run.map(f)) - Math.min(...run.map(f));
    const along = spread((i) => points[i]!.px) > spread((i) => points[i]!.py) ? (i: number) => points[i]!.px : (i: number) => points[i]!.py;
    const sorted = [...run].sort((a, b) => along(a) - along(b));
    for (const i of sorted.slice(1, -1)) keep[i] = false;
  }
  return keep;
}
