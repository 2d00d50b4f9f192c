/**
 * Test cases and a plain-loop (float64) reference for grouped convolution, shared by the unit test
 * (CPU backend, Node) and the end-to-end check (WebGPU, Chromium). No tfjs here: the reference must
 * not share code with what it checks.
 */
import { Mulberry32, uniformArray } from '../../models';

export interface GroupedConvCase {
  name: string;
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  kernel: number;
  stride: number;
  pad: number;
}

function c(name: string, batch: number, height: number, width: number, inChannels: number, outChannels: number, groups: number, kernel: number, stride: number, pad: number): GroupedConvCase {
  return { name, batch, height, width, inChannels, outChannels, groups, kernel, stride, pad };
}

/** Groups 1, 2, 32; stride 1 and 2; pad 0 and 1; kernel 1 and 3; unequal in/out group widths; odd sizes. */
export const GROUPED_CONV_CASES: readonly GroupedConvCase[] = [
  c('groups 1, 3x3, stride 1, pad 1', 2, 5, 5, 3, 4, 1, 3, 1, 1),
  c('groups 2, 3x3, stride 1, pad 1', 2, 6, 6, 4, 6, 2, 3, 1, 1),
  c('groups 32 (32x4d), 3x3, stride 1, pad 1', 1, 5, 5, 128, 128, 32, 3, 1, 1),
  c('groups 32 (32x4d), 3x3, stride 2, pad 1, 6x6', 2, 6, 6, 128, 128, 32, 3, 2, 1),
  c('groups 4, Cin 8 -> Cout 12, 3x3, stride 2, pad 1, 7x7', 2, 7, 7, 8, 12, 4, 3, 2, 1),
  c('groups 4, Cin 8 -> Cout 12, 3x3, stride 1, pad 0, 7x5', 2, 7, 5, 8, 12, 4, 3, 1, 0),
  c('groups 4, Cin 8 -> Cout 12, 1x1, stride 2, pad 0, 7x7', 2, 7, 7, 8, 12, 4, 1, 2, 0),
  c('groups 2, Cin 6 -> Cout 4, 1x1, stride 1, pad 0', 3, 4, 5, 6, 4, 2, 1, 1, 0),
  c('groups 2, 1x1, stride 1, pad 1', 1, 3, 4, 4, 6, 2, 1, 1, 1),
  c('groups 2, Cin 6 -> Cout 10 (3 -> 5 per group), 3x3, stride 2, pad 0, 8x9', 2, 8, 9, 6, 10, 2, 3, 2, 0),
  c('groups 2, Cin 24 -> Cout 20 (12 -> 10 per group), 3x3, stride 1, pad 1', 1, 6, 7, 24, 20, 2, 3, 1, 1),
  c('groups = Cin = Cout = 8 (depthwise), 3x3, stride 2, pad 1', 2, 7, 7, 8, 8, 8, 3, 2, 1),
  c('groups = Cin = 4, Cout 8 (multiplier 2), 3x3, stride 1, pad 1', 1, 5, 6, 4, 8, 4, 3, 1, 1),
  c('groups 2, 5x5 kernel, stride 2, pad 2, 9x9', 1, 9, 9, 4, 4, 2, 5, 2, 2),
  c('groups 4, batch 2, 16x16 (many filter-gradient chunks)', 2, 16, 16, 16, 16, 4, 3, 1, 1),
  // The WASM kernels' register blocks: 8 pixels x 4 channels (4 per group; a row 20 wide is two
  // filter-gradient runs) and 4 pixels x 8 channels (8 per group), with leftover pixels.
  c('groups 8 (8x4d), 3x3, stride 1, pad 1, 5x20', 2, 5, 20, 32, 32, 8, 3, 1, 1),
  c('groups 4 (4x8d), 3x3, stride 1, pad 1, 7x11', 2, 7, 11, 32, 32, 4, 3, 1, 1),
  // Rows narrower than a block (one pixel at a time inside the zero-bordered copy), and a 16-channel
  // group's input gradient with a 2-pixel border (5x5, pad 2).
  c('groups 8 (8x4d), 3x3, stride 1, pad 1, 6x5', 1, 6, 5, 32, 32, 8, 3, 1, 1),
  c('groups 2 (16 per group), 5x5, stride 1, pad 2, 6x9', 1, 6, 9, 32, 32, 2, 5, 1, 2),
  // Wider than one 32 x 32 tile of the tiled WebGPU programs in both channel counts, several reduction steps.
  c('groups 1, Cin 40 -> Cout 36, 3x3, stride 2, pad 1, 9x9', 1, 9, 9, 40, 36, 1, 3, 2, 1),
  c('groups = Cin = Cout = 40 (depthwise, two column tiles), 3x3, stride 1, pad 1', 1, 5, 5, 40, 40, 40, 3, 1, 1),
  // EfficientNet's 5x5 depthwise layers (on a software WebGPU adapter the engine runs them by these programs).
  c('groups = Cin = Cout = 24 (depthwise), 5x5, stride 2, pad 2, 9x9', 2, 9, 9, 24, 24, 24, 5, 2, 2),
];

export function outSize(n: number, k: number, s: number, p: number): number {
  return Math.floor((n + 2 * p - k) / s) + 1;
}

/** Deterministic values in [-1, 1) (mulberry32), so every run checks the same numbers. */
export function randomValues(count: number, seed: number, scale = 1): Float32Array {
  return uniformArray(count, scale, new Mulberry32(seed));
}

export interface CaseData {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  yShape: [number, number, number, number];
  x: Float32Array;
  filter: Float32Array;
  /** The upstream gradient used for the backward checks (loss = sum(y * dy)). */
  dy: Float32Array;
}

export function caseData(k: GroupedConvCase, seed = 1): CaseData {
  const ho = outSize(k.height, k.kernel, k.stride, k.pad);
  const wo = outSize(k.width, k.kernel, k.stride, k.pad);
  const cinG = k.inChannels / k.groups;
  const xShape: CaseData['xShape'] = [k.batch, k.height, k.width, k.inChannels];
  const filterShape: CaseData['filterShape'] = [k.kernel, k.kernel, cinG, k.outChannels];
  const yShape: CaseData['yShape'] = [k.batch, ho, wo, k.outChannels];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    xShape,
    filterShape,
    yShape,
    x: randomValues(size(xShape), seed),
    // He-like scale keeps y of order 1 whatever the fan-in.
    filter: randomValues(size(filterShape), seed + 1, Math.sqrt(3 / (k.kernel * k.kernel * cinG))),
    dy: randomValues(size(yShape), seed + 2),
  };
}

/** Visits every (output, input, filter) index triple of the grouped convolution once. */
function forEachTap(k: GroupedConvCase, visit: (yi: number, xi: number, fi: number) => void): void {
  const ho = outSize(k.height, k.kernel, k.stride, k.pad);
  const wo = outSize(k.width, k.kernel, k.stride, k.pad);
  const cinG = k.inChannels / k.groups;
  const coutG = k.outChannels / k.groups;
  for (let n = 0; n < k.batch; n++)
    for (let oh = 0; oh < ho; oh++)
      for (let ow = 0; ow < wo; ow++)
        for (let co = 0; co < k.outChannels; co++) {
          const g = Math.floor(co / coutG);
          const yi = ((n * ho + oh) * wo + ow) * k.outChannels + co;
          for (let r = 0; r < k.kernel; r++) {
            const ih = oh * k.stride - k.pad + r;
            if (ih < 0 || ih >= k.height) continue;
            for (let cc = 0; cc < k.kernel; cc++) {
              const iw = ow * k.stride - k.pad + cc;
              if (iw < 0 || iw >= k.width) continue;
              for (let i = 0; i < cinG; i++) {
                const xi = ((n * k.height + ih) * k.width + iw) * k.inChannels + g * cinG + i;
                const fi = ((r * k.kernel + cc) * cinG + i) * k.outChannels + co;
                visit(yi, xi, fi);
              }
            }
          }
        }
}

/** y, dx = dL/dx and dfilter = dL/dfilter for L = sum(y * dy), by plain loops in float64. */
export function referenceGroupedConv(k: GroupedConvCase, d: CaseData): { y: Float64Array; dx: Float64Array; dfilter: Float64Array } {
  const y = new Float64Array(d.dy.length);
  const dx = new Float64Array(d.x.length);
  const dfilter = new Float64Array(d.filter.length);
  forEachTap(k, (yi, xi, fi) => {
    y[yi]! += d.x[xi]! * d.filter[fi]!;
    dx[xi]! += d.dy[yi]! * d.filter[fi]!;
    dfilter[fi]! += d.dy[yi]! * d.x[xi]!;
  });
  return { y, dx, dfilter };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
