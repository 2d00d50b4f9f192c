/**
 * Text in the diagrams: the font sizes, a width estimate from font metrics, and word wrap. Boxes are
 * sized from these estimates, since the layout runs without a DOM to measure in.
 */

/** Font sizes in viewBox units; src/components/diagram/diagram.css sets the same numbers (keep them in step). */
export const DIAGRAM_FONT = { heading: 17, label: 15, note: 13, caption: 14 } as const;

/**
 * `.classroom` enlarges every diagram font by up to this factor (src/components/diagram/diagram.css). Boxes are always sized
 * for the enlarged text, so switching to classroom mode never makes a label overflow its box.
 */
export const CLASSROOM_FONT_SCALE = 1.2;

/**
 * Advance widths (em) of DejaVu Sans, the widest common sans-serif fallback: an estimate taken from it
 * errs towards roomy boxes in every other font (Segoe UI, Roboto, Helvetica are narrower).
 */
const EM: Record<string, number> = {
  ' ': 0.318, ',': 0.318, '.': 0.318, '·': 0.318, ':': 0.337, ';': 0.337, '/': 0.337, '-': 0.361, '(': 0.39, ')': 0.39,
  "'": 0.275, '!': 0.401, '&': 0.78, '%': 0.95, '=': 0.838, '+': 0.838, '×': 0.838, '→': 0.838, '…': 1, '✓': 0.838, '<': 0.838,
  a: 0.613, b: 0.635, c: 0.55, d: 0.635, e: 0.615, f: 0.352, g: 0.635, h: 0.634, i: 0.278, j: 0.278, k: 0.579, l: 0.278, m: 0.974,
  n: 0.634, o: 0.612, p: 0.635, q: 0.635, r: 0.411, s: 0.521, t: 0.392, u: 0.634, v: 0.592, w: 0.818, x: 0.592, y: 0.592, z: 0.525,
  A: 0.684, B: 0.686, C: 0.698, D: 0.77, E: 0.632, F: 0.575, G: 0.775, H: 0.752, I: 0.295, J: 0.295, K: 0.656, L: 0.557, M: 0.863,
  N: 0.748, O: 0.787, P: 0.603, Q: 0.787, R: 0.695, S: 0.635, T: 0.611, U: 0.732, V: 0.684, W: 0.989, X: 0.685, Y: 0.611, Z: 0.685,
};
const DIGIT_EM = 0.636;
const OTHER_EM = 0.7;
const SAFETY = 1.04;

/** Width of `text` in viewBox units at `fontSize`, estimated from DejaVu Sans metrics (bold about 10% wider). */
export function estimateTextWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) em += ch >= '0' && ch <= '9' ? DIGIT_EM : (EM[ch] ?? OTHER_EM);
  return Math.ceil(em * fontSize * SAFETY * (bold ? 1.1 : 1));
}

/** Width the text needs in classroom mode, the larger of the two. */
export const fitWidth = (text: string, fontSize: number, bold = false): number => estimateTextWidth(text, fontSize * CLASSROOM_FONT_SCALE, bold);

/** Greedy word wrap to `maxWidth`; a single word longer than the line stays whole. */
export function wrapText(text: string, maxWidth: number, fontSize: number, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && fitWidth(candidate, fontSize, bold) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  return lines;
}
