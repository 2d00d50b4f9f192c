/**
 * Series styles that stay distinct for colour-blind readers and in greyscale print:
 * Okabe & Ito (2008), "Color Universal Design", plus a dash pattern and a point symbol per slot,
 * so no series is told apart by colour alone.
 */
import {
  type SymbolType,
  symbolCircle,
  symbolCross,
  symbolDiamond,
  symbolSquare,
  symbolStar,
  symbolTriangle,
  symbolWye,
} from 'd3-shape';

/** The eight Okabe-Ito colours, by their published names. */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/**
 * The order series take colours in. Yellow and sky blue are faint on a white panel (and on a
 * washed-out projector), so they come last; black is kept late because marker lines use the text colour.
 */
export const SERIES_COLOURS: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.vermillion,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.orange,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.skyBlue,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
];

/** SVG `stroke-dasharray` values for dashed series; every one differs in rhythm, not just length. */
export const DASH_PATTERNS: readonly string[] = ['6 4', '2 3', '10 3 2 3', '4 2 4 6', '1 4', '12 4', '6 2 1 2 1 2'];

/** Point symbols; the filled, compact shapes come first because they read best at small sizes. */
export const SERIES_SYMBOLS: readonly SymbolType[] = [
  symbolCircle,
  symbolSquare,
  symbolTriangle,
  symbolDiamond,
  symbolCross,
  symbolStar,
  symbolWye,
];

/** Hatching for bars of different groups: angle in degrees, or null for a solid fill. */
export const HATCH_ANGLES: readonly (number | null)[] = [null, 45, -45, 0, 90];

export interface SeriesStyle {
  colour: string;
  /** stroke-dasharray for a dashed line, '' for solid. */
  dash: string;
  symbol: SymbolType;
}

const pick = <T>(list: readonly T[], slot: number): T => list[((slot % list.length) + list.length) % list.length] as T;

/** The style of palette slot `slot`; slots past the end wrap, so any integer is valid. */
export function seriesStyle(slot: number, dashed = false): SeriesStyle {
  return {
    colour: pick(SERIES_COLOURS, slot),
    dash: dashed ? pick(DASH_PATTERNS, slot) : '',
    symbol: pick(SERIES_SYMBOLS, slot),
  };
}

export const hatchAngle = (slot: number): number | null => pick(HATCH_ANGLES, slot);
