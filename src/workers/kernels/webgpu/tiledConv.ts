/**
 * (Over 400 lines: the three tiled programs share one tile plan, one cooperative-load scheme and one
 * register-tile emitter; split, each file would re-derive them.)
 *
 * Tiled, GEMM-shaped WebGPU programs for grouped convolution (NHWC, compact filter
 * [kh, kw, Cin/G, Cout]; groups 1 is a dense conv, groups = Cin a depthwise one). Each pass is an
 * implicit GEMM whose columns fall into groups, every group with its own left operand:
 *
 *   C[row, col] = sum_k A_{group(col)}[row, k] * B[k, col]
 *
 * - forward: rows = output pixels (n, oh, ow), cols = Cout, k = (tap, ci) over kh*kw*Cin/G;
 *   A = the im2col patch of the column's group, B = the compact filter read as [kh*kw*Cin/G, Cout].
 * - input gradient: rows = input pixels of one stride phase (ih % S, iw % S: every pixel of a phase
 *   meets the same filter taps, so no tap is wasted at stride 2), cols = Cin, k = (tap of that
 *   phase, co) over its taps * Cout/G; A = dy at the pixels those taps reach, B = the filter.
 * - filter gradient: rows = k = (tap, ci), cols = Cout, the sum runs over the N*HO*WO output
 *   positions, split over chunks (workgroups along z; a second pass sums the chunks):
 *   A^T = the im2col patch, B = dy.
 *
 * A workgroup (64 invocations by default: threadRows x threadCols) computes one tile of C
 * (threadRows*RM rows x threadCols*RN cols, RM x RN accumulators per invocation). Each step of the
 * reduction loads KT columns of A for every group the tile's columns touch, and KT rows of B, into
 * workgroup memory with consecutive invocations on consecutive addresses (channels are innermost in
 * NHWC and in the filter), then each invocation does RM*RN*KT MACs from workgroup memory. Dense
 * convs reuse each loaded A value threadCols*RN times; grouped ones Cout/G times (a group's
 * outputs are all the reuse a grouped conv has in im2col form).
 *
 * Every size is a WGSL constant (the shader key names them all). The one uniform read is `rows`,
 * the row count (some uniform must be read: docs/tfjs.md#custom-webgpu-kernels); bounds come from
 * it, not from an early return, so every barrier is in uniform control flow.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { GroupedConvGeometry } from '../groupedConvOp';

/** The register tile and the workgroup's shape; threadRows * threadCols invocations. */
export interface ConvTile {
  /** Rows and columns of C per invocation. */
  rm: number;
  rn: number;
  /** Invocations per workgroup (64 to 256; shrunk along columns when C is narrow, rows grow to match). */
  invocations: number;
  /** Preferred invocations along columns. */
  threadCols: number;
  /** Upper bound on KT, the reduction step held in workgroup memory. */
  maxKt: number;
}

/**
 * 64 invocations of 4 x 4 (tiles of 32 x 32); a GPU-shaped default (a real GPU may prefer 256
 * invocations and 64 x 64 tiles: `WEBGPU_CONV_TILE` is mutable for benchmarks, every field is part of
 * the shader key).
 */
export const WEBGPU_CONV_TILE: ConvTile = { rm: 4, rn: 4, invocations: 64, threadCols: 8, maxKt: 16 };

/** WebGPU's default maxComputeWorkgroupStorageSize (16 KiB) in floats. */
const WORKGROUP_FLOATS = 4096;

/** Filter gradient: aim for at least this many workgroups, each summing at least MIN_CHUNK positions. */
export const FILTER_GRAD_SPLIT = { targetWorkgroups: 256, minChunk: 256 };

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

interface TilePlan {
  rm: number;
  rn: number;
  threadRows: number;
  threadCols: number;
  tileRows: number;
  tileCols: number;
  /** Groups any tile's columns touch, at most. */
  gt: number;
  kt: number;
}

/**
 * The tile for a C of `cols` columns in groups of `colsPerGroup`, reduction length `k`. Columns per
 * invocation stay within a group where the group width allows (then one A value serves RN MACs).
 */
function plan(cols: number, colsPerGroup: number, k: number, tile: ConvTile): TilePlan {
  let rn = Math.min(tile.rn, cols);
  while (rn > 1 && colsPerGroup % rn !== 0) rn--;
  const threadCols = Math.max(1, Math.min(tile.threadCols, ceilDiv(cols, rn)));
  const threadRows = Math.max(1, Math.floor(tile.invocations / threadCols));
  const tileRows = threadRows * tile.rm;
  const tileCols = threadCols * rn;
  let gt = 1;
  for (let c0 = 0; c0 < cols; c0 += tileCols) {
    const last = Math.min(cols, c0 + tileCols) - 1;
    gt = Math.max(gt, Math.floor(last / colsPerGroup) - Math.floor(c0 / colsPerGroup) + 1);
  }
  let kt = 1;
  while (kt * 2 <= tile.maxKt && kt * 2 <= Math.max(1, k) && gt * kt * 2 * tileRows + kt * 2 * tileCols <= WORKGROUP_FLOATS) kt *= 2;
  return { rm: tile.rm, rn, threadRows, threadCols, tileRows, tileCols, gt, kt };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function geometryConstants(g: GroupedConvGeometry): string {
  return `
  const N = ${g.batch};
  const H = ${g.inHeight};
  const WD = ${g.inWidth};
  const CIN = ${g.inChannels};
  const COUT = ${g.outChannels};
  const GROUPS = ${g.groups};
  const CIN_G = ${g.inChannels / g.groups};
  const COUT_G = ${g.outChannels / g.groups};
  const KH = ${g.kernelHeight};
  const KW = ${g.kernelWidth};
  const S = ${g.stride};
  const P = ${g.pad};
  const HO = ${g.outHeight};
  const WO = ${g.outWidth};`;
}

function planConstants(p: TilePlan, cols: number, colsPerGroup: number, k: number): string {
  return `
  const TROWS = ${p.threadRows};
  const TCOLS = ${p.threadCols};
  const TM = ${p.tileRows};
  const TN = ${p.tileCols};
  const KT = ${p.kt};
  const GT = ${p.gt};
  const NCOLS = ${cols};
  const CG = ${colsPerGroup};
  const KTOT = ${k};
  const THREADS = ${p.threadRows * p.threadCols};
  var<workgroup> As : array<f32, ${p.gt * p.kt * p.tileRows}>;
  var<workgroup> Bs : array<f32, ${p.kt * p.tileCols}>;`;
}

function planKey(p: TilePlan): string {
  return [p.rm, p.rn, p.threadRows, p.threadCols, p.gt, p.kt].join('_');
}

function geometryKey(g: GroupedConvGeometry): string {
  return [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outChannels, g.groups, g.kernelHeight, g.kernelWidth, g.stride, g.pad].join('_');
}

/**
 * The body shared by all three passes. `loadA` sets `v` from (gt = group within the tile, kk, mm =
 * row within the tile; k = reduction index, m = row, grp = gFirst + gt); `loadB` sets `v` from
 * (kk, nn; k, col). `store` defines `o` (where acc_i_0 goes) and `ok` for row m. The reduction runs
 * over k = kBase + [0, kLength) with kLength a constant, so every barrier sits in a loop of constant
 * trip count (uniform control flow); k < kLimit guards the loads.
 */
interface GemmParts {
  prologue?: string;
  /** Sets `info` (vec3<i32>) for tile row `rr` (row m0 + rr, maybe past the end): computed once per workgroup into rowInfo. */
  rowInfo?: string;
  /** Sets `info` (vec3<i32>) for reduction index `k` (maybe past kLimit): computed per step into stepInfo. */
  stepInfo?: string;
  loadA: string;
  loadB: string;
  store: string;
  k?: { base: string; length: string; limit: string };
}

function gemmBody(p: TilePlan, parts: GemmParts): string {
  const is = range(p.rm);
  const js = range(p.rn);
  const { prologue = '', loadA, loadB, store, k = { base: '0', length: 'KTOT', limit: 'KTOT' } } = parts;
  // Tables in workgroup memory hold what the loads would otherwise recompute per element with
  // integer divisions (a row's pixel; a reduction index's tap or position).
  const tables = `${parts.rowInfo ? `var<workgroup> rowInfo : array<vec3<i32>, ${p.tileRows}>;` : ''}
  ${parts.stepInfo ? `var<workgroup> stepInfo : array<vec3<i32>, ${p.kt}>;` : ''}`;
  return `
  ${tables}
  fn main(index : i32) {
    let rowsTotal = uniforms.rows;
    let tid = i32(localIndex);
    let tx = tid % TCOLS;
    let ty = tid / TCOLS;
    let m0 = i32(workgroupId.x) * TM;
    let c0 = i32(workgroupId.y) * TN;
    let gFirst = c0 / CG;
    ${prologue}
    let kBase = ${k.base};
    let kLimit = ${k.limit};
    // This invocation's columns c0 + tx*RN + j share one group (plan() makes RN divide CG).
    let lg = min((c0 + tx * ${p.rn}) / CG - gFirst, GT - 1);
    ${is.map((i) => js.map((j) => `var acc_${i}_${j} = 0.0;`).join(' ')).join('\n    ')}
    ${
      parts.rowInfo
        ? `for (var rr = tid; rr < TM; rr = rr + THREADS) {
      var info = vec3<i32>(0, 0, 0);
      ${parts.rowInfo}
      rowInfo[rr] = info;
    }
    workgroupBarrier();`
        : ''
    }
    for (var k0 = 0; k0 < ${k.length}; k0 = k0 + KT) {
      ${
        parts.stepInfo
          ? `if (tid < KT) {
        let k = kBase + k0 + tid;
        var info = vec3<i32>(0, 0, 0);
        ${parts.stepInfo}
        stepInfo[tid] = info;
      }
      workgroupBarrier();`
          : ''
      }
      for (var e = tid; e < GT * KT * TM; e = e + THREADS) {
        let kk = e % KT;
        let rest = e / KT;
        let gt = rest % GT;
        let mm = rest / GT;
        let k = kBase + k0 + kk;
        let m = m0 + mm;
        let grp = gFirst + gt;
        var v = 0.0;
        if (k < kLimit && m < rowsTotal && grp < GROUPS) {
          ${loadA}
        }
        As[(gt * KT + kk) * TM + mm] = v;
      }
      for (var e = tid; e < KT * TN; e = e + THREADS) {
        let nn = e % TN;
        let kk = e / TN;
        let k = kBase + k0 + kk;
        let col = c0 + nn;
        var v = 0.0;
        if (k < kLimit && col < NCOLS) {
          ${loadB}
        }
        Bs[kk * TN + nn] = v;
      }
      workgroupBarrier();
      for (var kk = 0; kk < KT; kk++) {
        let ab = (lg * KT + kk) * TM + ty;
        let bb = kk * TN + tx * ${p.rn};
        ${js.map((j) => `let b_${j} = Bs[bb + ${j}];`).join(' ')}
        ${is.map((i) => `let a_${i} = As[ab + ${i * p.threadRows}];`).join(' ')}
        ${is.map((i) => js.map((j) => `acc_${i}_${j} = fma(a_${i}, b_${j}, acc_${i}_${j});`).join(' ')).join('\n        ')}
      }
      workgroupBarrier();
    }
    ${is
      .map(
        (i) => `{
      let m = m0 + ty + ${i * p.threadRows};
      ${store}
      if (ok && m < rowsTotal) {
        ${js.map((j) => `if (c0 + tx * ${p.rn} + ${j} < NCOLS) { result[o + ${j}] = acc_${i}_${j}; }`).join('\n        ')}
      }
    }`,
      )
      .join('\n    ')}
  }`;
}

export interface TiledProgram {
  program: WebGPUProgram;
  /** The `rows` uniform. */
  rows: number;
}

function program(name: string, key: string, outputShape: number[], variableNames: string[], p: TilePlan, dispatch: [number, number, number], userCode: string, rows: number): TiledProgram {
  return {
    program: {
      outputShape,
      shaderKey: `${name}_${key}`,
      dispatchLayout: { x: outputShape.map((_, i) => i) },
      dispatch,
      variableNames,
      workgroupSize: [p.threadRows * p.threadCols, 1, 1],
      uniforms: 'rows : i32,',
      getUserCode: () => userCode,
    },
    rows,
  };
}

/** Forward: y[m, co] = sum_k patch_{group(co)}[m, k] * filter[k, co]. */
export function tiledForwardProgram(g: GroupedConvGeometry, tile: ConvTile = WEBGPU_CONV_TILE): TiledProgram {
  const cinG = g.inChannels / g.groups;
  const k = g.kernelHeight * g.kernelWidth * cinG;
  const p = plan(g.outChannels, g.outChannels / g.groups, k, tile);
  const rows = g.batch * g.outHeight * g.outWidth;
  // rowInfo: (oh*S - P, ow*S - P, n*H*WD*CIN) of the output pixel.
  const rowInfo = `
      let m = m0 + rr;
      let ow = m % WO;
      let t = m / WO;
      info = vec3<i32>((t % HO) * S - P, ow * S - P, (t / HO) * H * WD * CIN);`;
  const loadA = `
          let tap = k / CIN_G;
          let ci = k - tap * CIN_G;
          let r = tap / KW;
          let ri = rowInfo[mm];
          let ih = ri.x + r;
          let iw = ri.y + tap - r * KW;
          if (ih >= 0 && ih < H && iw >= 0 && iw < WD) { v = x[ri.z + (ih * WD + iw) * CIN + grp * CIN_G + ci]; }`;
  const loadB = `v = W[k * COUT + col];`;
  const store = `let ok = true;
      let o = m * COUT + c0 + tx * ${p.rn};`;
  const code = geometryConstants(g) + planConstants(p, g.outChannels, g.outChannels / g.groups, k) + gemmBody(p, { rowInfo, loadA, loadB, store });
  const dispatch: [number, number, number] = [ceilDiv(rows, p.tileRows), ceilDiv(g.outChannels, p.tileCols), 1];
  return program('tiledConv2d', `${geometryKey(g)}_${planKey(p)}`, [g.batch, g.outHeight, g.outWidth, g.outChannels], ['x', 'W'], p, dispatch, code, rows);
}

/**
 * Input gradient, one stride phase (ph, pw) per z: rows = the phase's input pixels
 * (ih = ph + S*a, iw = pw + S*b); its taps are r = r0 + S*tr, c = c0 + S*tc with
 * r0 = (ph + P) % S, so that ih + P - r is a multiple of S and oh = (ih + P - r) / S.
 */
export function tiledBackpropInputProgram(g: GroupedConvGeometry, tile: ConvTile = WEBGPU_CONV_TILE): TiledProgram {
  const S = g.stride;
  const coutG = g.outChannels / g.groups;
  const tr = ceilDiv(g.kernelHeight, S);
  const tc = ceilDiv(g.kernelWidth, S);
  const k = tr * tc * coutG;
  const p = plan(g.inChannels, g.inChannels / g.groups, k, tile);
  const ha = ceilDiv(g.inHeight, S);
  const wa = ceilDiv(g.inWidth, S);
  const rows = g.batch * ha * wa;
  const prologue = `
    let phase = i32(workgroupId.z);
    let ph = phase / S;
    let pw = phase - ph * S;
    let r0 = (ph + P) % S;
    let cc0 = (pw + P) % S;`;
  // The tap (r, c) and the output channel within the group of reduction index k.
  const tap = `
          let t = k / COUT_G;
          let col_l = k - t * COUT_G;
          let tr_ = t / TC;
          let r = r0 + S * tr_;
          let c = cc0 + S * (t - tr_ * TC);`;
  // rowInfo: (ih, iw, n*HO) of the input pixel; ih = H marks a row past the end.
  const rowInfo = `
      let m = m0 + rr;
      let t2 = m / WA;
      info = vec3<i32>(ph + S * (t2 % HA), pw + S * (m % WA), (t2 / HA) * HO);
      if (m >= rowsTotal) { info.x = H; }`;
  const loadA = `${tap}
          let ri = rowInfo[mm];
          let ih = ri.x;
          let iw = ri.y;
          let th = ih + P - r;
          let tw = iw + P - c;
          if (r < KH && c < KW && ih < H && iw < WD && th >= 0 && tw >= 0) {
            let oh = th / S;
            let ow = tw / S;
            if (oh < HO && ow < WO) { v = dy[((ri.z + oh) * WO + ow) * COUT + grp * COUT_G + col_l]; }
          }`;
  const loadB = `${tap}
          let grpB = col / CIN_G;
          if (r < KH && c < KW) { v = W[((r * KW + c) * CIN_G + col - grpB * CIN_G) * COUT + grpB * COUT_G + col_l]; }`;
  const store = `
        let b_ = m % WA;
        let t2 = m / WA;
        let a_ = t2 % HA;
        let n = t2 / HA;
        let ih = ph + S * a_;
        let iw = pw + S * b_;
        let ok = ih < H && iw < WD;
        let o = ((n * H + ih) * WD + iw) * CIN + c0 + tx * ${p.rn};`;
  const extra = `
  const TC = ${tc};
  const HA = ${ha};
  const WA = ${wa};`;
  const body = gemmBody(p, { prologue, rowInfo, loadA, loadB, store });
  const code = geometryConstants(g) + extra + planConstants(p, g.inChannels, g.inChannels / g.groups, k) + body;
  const dispatch: [number, number, number] = [ceilDiv(rows, p.tileRows), ceilDiv(g.inChannels, p.tileCols), S * S];
  return program('tiledConv2dBackpropInput', `${geometryKey(g)}_${planKey(p)}`, [g.batch, g.inHeight, g.inWidth, g.inChannels], ['dy', 'W'], p, dispatch, code, rows);
}

/** How the filter gradient splits the N*HO*WO positions into chunks (z of the dispatch), each a multiple of KT. */
export function tiledFilterChunks(positions: number, tilesPerChunk: number, kt: number): { chunks: number; chunkLength: number } {
  const wanted = Math.max(1, ceilDiv(FILTER_GRAD_SPLIT.targetWorkgroups, tilesPerChunk));
  const most = Math.max(1, Math.floor(positions / FILTER_GRAD_SPLIT.minChunk));
  const chunks0 = Math.min(wanted, most, 65535);
  const chunkLength = ceilDiv(ceilDiv(positions, chunks0), kt) * kt;
  return { chunks: ceilDiv(positions, chunkLength), chunkLength };
}

/**
 * Filter gradient, pass 1: partial[chunk, k, co] = sum over the chunk's positions m of
 * patch_{group(co)}[m, k] * dy[m, co]; rows = k, and the reduction runs over m. The chunks are
 * summed by the untiled programs' sumChunksProgram.
 */
export function tiledBackpropFilterProgram(g: GroupedConvGeometry, tile: ConvTile = WEBGPU_CONV_TILE): TiledProgram & { chunks: number } {
  const cinG = g.inChannels / g.groups;
  const kRows = g.kernelHeight * g.kernelWidth * cinG;
  const positions = g.batch * g.outHeight * g.outWidth;
  const p = plan(g.outChannels, g.outChannels / g.groups, positions, tile);
  const tiles = ceilDiv(kRows, p.tileRows) * ceilDiv(g.outChannels, p.tileCols);
  const { chunks, chunkLength } = tiledFilterChunks(positions, tiles, p.kt);
  const prologue = `
    let mBegin = i32(workgroupId.z) * CHUNK;`;
  // Here "m" (the tile's rows) is the filter row k, and "k" (the reduction) is the position.
  // rowInfo: the filter row's (r, c, ci); stepInfo: the position's (oh*S - P, ow*S - P, n*H*WD*CIN).
  const rowInfo = `
      let m = m0 + rr;
      let tap = m / CIN_G;
      let r = tap / KW;
      info = vec3<i32>(r, tap - r * KW, m - tap * CIN_G);`;
  const stepInfo = `
        let ow = k % WO;
        let t = k / WO;
        info = vec3<i32>((t % HO) * S - P, ow * S - P, (t / HO) * H * WD * CIN);`;
  const loadA = `
          let ri = rowInfo[mm];
          let si = stepInfo[kk];
          let ih = si.x + ri.x;
          let iw = si.y + ri.y;
          if (ih >= 0 && ih < H && iw >= 0 && iw < WD) { v = x[si.z + (ih * WD + iw) * CIN + grp * CIN_G + ri.z]; }`;
  const loadB = `v = dy[k * COUT + col];`;
  const store = `let ok = true;
      let o = (i32(workgroupId.z) * KTOT_ROWS + m) * COUT + c0 + tx * ${p.rn};`;
  const extra = `
  const CHUNK = ${chunkLength};
  const POSITIONS = ${positions};
  const KTOT_ROWS = ${kRows};`;
  const code = geometryConstants(g) + extra + planConstants(p, g.outChannels, g.outChannels / g.groups, positions) + gemmBody(p, { prologue, rowInfo, stepInfo, loadA, loadB, store, k: { base: 'mBegin', length: 'CHUNK', limit: 'min(mBegin + CHUNK, POSITIONS)' } });
  const dispatch: [number, number, number] = [ceilDiv(kRows, p.tileRows), ceilDiv(g.outChannels, p.tileCols), chunks];
  const outputShape = [chunks, g.kernelHeight * g.kernelWidth, cinG, g.outChannels];
  return { ...program('tiledConv2dBackpropFilter', `${geometryKey(g)}_${planKey(p)}_${chunks}_${chunkLength}`, outputShape, ['x', 'dy'], p, dispatch, code, kRows), chunks };
}
