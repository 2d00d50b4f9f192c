/**
 * (Over 400 lines: three WGSL program generators that share one geometry and tiling, and their
 * kernels; split, each would re-derive the same constants.)
 *
 * WebGPU programs for grouped convolution (NHWC, compact filter [kh, kw, Cin/G, Cout]): the forward
 * pass, the input gradient, and the filter gradient in two passes (partial sums over chunks of the
 * output positions, then a reduce over the chunks; faster than one pass: docs/tfjs.md#custom-webgpu-kernels).
 *
 * Every size is baked into the WGSL as a constant (so the shader key names them all), and each
 * invocation computes a small register tile: several output pixels times several channels of one
 * group. On SwiftShader (SIMD across invocations) loads, not MACs, are the cost, and a PB x OB tile
 * does PB*OB MACs for PB + OB loads. The programs index the storage arrays directly; the one
 * uniform they read is `threads` (some uniform must be read: the auto layout drops an unused uniform
 * binding and bind-group creation then fails, docs/tfjs.md#custom-webgpu-kernels).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import {
  GROUPED_CONV2D,
  GROUPED_CONV2D_BACKPROP_FILTER,
  GROUPED_CONV2D_BACKPROP_INPUT,
  type GroupedConvGeometry,
  attrsOf,
  groupedConvGeometry,
  registerGroupedConvGradient,
} from '../groupedConvOp';
import { tiledBackpropFilterProgram, tiledBackpropInputProgram, tiledForwardProgram } from './tiledConv';

/**
 * Which programs the kernels run: `tiled` (tiledConv.ts: GEMM-shaped, workgroup memory), `untiled`
 * (this file's programs: one register tile per invocation, straight from storage), or `auto`: untiled
 * on a software adapter (SwiftShader), tiled on a GPU. On SwiftShader the tiled programs were 2-30x
 * slower than the untiled ones (`npm run bench:webgpu`; docs/tfjs.md#swiftshader-and-workgroup-barriers):
 * a CPU's caches already do what workgroup memory does, and a barrier costs it a coroutine switch
 * per invocation group. The build-time `VITE_WEBGPU_CONV=tiled|untiled` forces one (before/after
 * benchmarks); mutable so a page-level benchmark can time both in one run.
 */
export const WEBGPU_CONV_KERNELS: { variant: 'auto' | 'tiled' | 'untiled' } = {
  variant: ((v) => (v === 'tiled' || v === 'untiled' ? v : 'auto'))((import.meta.env as Record<string, string> | undefined)?.VITE_WEBGPU_CONV),
};

/** Whether tfjs' WebGPU backend runs on a software adapter (the same test as engine/backends.ts). */
function softwareAdapter(backend: unknown): boolean {
  const info = (backend as { adapterInfo?: { architecture?: string; vendor?: string } }).adapterInfo;
  return info?.architecture === 'swiftshader';
}

/** The variant `auto` resolves to on this backend. */
export function webgpuConvVariant(backend: unknown): 'tiled' | 'untiled' {
  const v = WEBGPU_CONV_KERNELS.variant;
  if (v !== 'auto') return v;
  return softwareAdapter(backend) ? 'untiled' : 'tiled';
}

/** Register-tile sizes; `pixels` runs along the width. */
export interface TileOptions {
  pixels: number;
  channels: number;
}

const WORKGROUP = 64;

/**
 * The tiles the kernels use. On SwiftShader (2 cores) 2, 4, 8 or 16 pixels and 1k to 64k
 * filter-gradient invocations all timed within the noise (about +-30%) of each other, and 2
 * channels instead of 4 was slower; 4 x 4 keeps registers modest for real GPUs. Mutable so a
 * benchmark can try others (every value is part of the shader key).
 */
export const WEBGPU_TILES: { forward: TileOptions; backpropInput: TileOptions; backpropFilter: { channels: number }; filterChunks: { targetThreads: number; minChunk: number } } = {
  forward: { pixels: 4, channels: 4 },
  backpropInput: { pixels: 4, channels: 4 },
  backpropFilter: { channels: 4 },
  /** Filter gradient, pass 1: aim for this many invocations, each summing at least minChunk positions. */
  filterChunks: { targetThreads: 4096, minChunk: 64 },
};

/** The largest of 4, 3, 2, 1 that divides n: channels per invocation within one group. */
function channelTile(n: number, max: number): number {
  for (let t = Math.min(max, 4); t > 1; t--) if (n % t === 0) return t;
  return 1;
}

function geometryKey(g: GroupedConvGeometry): string {
  return [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outChannels, g.groups, g.kernelHeight, g.kernelWidth, g.stride, g.pad].join('_');
}

function constants(g: GroupedConvGeometry): string {
  return `
  const N = ${g.batch};
  const H = ${g.inHeight};
  const WD = ${g.inWidth};
  const CIN = ${g.inChannels};
  const COUT = ${g.outChannels};
  const CIN_G = ${g.inChannels / g.groups};
  const COUT_G = ${g.outChannels / g.groups};
  const KH = ${g.kernelHeight};
  const KW = ${g.kernelWidth};
  const S = ${g.stride};
  const P = ${g.pad};
  const HO = ${g.outHeight};
  const WO = ${g.outWidth};`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A flat program with `threads` invocations (workgroups of 64, one dimension; tfjs folds a dispatch past the device's limit). */
export function flatProgram(name: string, key: string, outputShape: number[], variableNames: string[], threads: number, body: string): WebGPUProgram {
  const dispatchLayout = { x: outputShape.map((_, i) => i) };
  return {
    outputShape,
    shaderKey: `${name}_${key}`,
    dispatchLayout,
    dispatch: [Math.ceil(threads / WORKGROUP), 1, 1],
    variableNames,
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'threads : i32,',
    getUserCode: () => body,
  };
}

/** How an inner loop over `count` items is emitted: unrolled when short, else a WGSL loop. */
function innerLoop(count: number, variable: string, emit: (v: string) => string): string {
  if (count <= 8) return range(count).map((i) => emit(String(i))).join('\n');
  return `for (var ${variable} = 0; ${variable} < ${count}; ${variable}++) {\n${emit(variable)}\n}`;
}

/**
 * Forward. Invocation = (n, oh, block of PB output columns, block of OB output channels of one group).
 * y[n,oh,ow,co] = sum_{r,c,ci<CIN_G} x[n, oh*S-P+r, ow*S-P+c, g*CIN_G+ci] * w[r,c,ci,co].
 */
export function forwardProgram(g: GroupedConvGeometry, tile: TileOptions = WEBGPU_TILES.forward): { program: WebGPUProgram; threads: number } {
  const PB = Math.min(tile.pixels, g.outWidth);
  const OB = channelTile(g.outChannels / g.groups, tile.channels);
  const cinG = g.inChannels / g.groups;
  const NWB = Math.ceil(g.outWidth / PB);
  const CB = g.outChannels / OB;
  const threads = g.batch * g.outHeight * NWB * CB;
  const ps = range(PB);
  const os = range(OB);
  const body = `
  ${constants(g)}
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let cb = index % ${CB};
    var t = index / ${CB};
    let wb = t % ${NWB};
    t = t / ${NWB};
    let oh = t % HO;
    let n = t / HO;
    let co0 = cb * ${OB};
    let ci0 = (co0 / COUT_G) * CIN_G;
    let ow0 = wb * ${PB};
    ${ps.map((p) => os.map((o) => `var acc_${p}_${o} = 0.0;`).join(' ')).join('\n    ')}
    for (var r = 0; r < KH; r++) {
      let ih = oh * S - P + r;
      if (ih < 0 || ih >= H) { continue; }
      let rowBase = (n * H + ih) * WD;
      for (var c = 0; c < KW; c++) {
        ${ps.map((p) => `let iw_${p} = (ow0 + ${p}) * S - P + c;
        let ok_${p} = iw_${p} >= 0 && iw_${p} < WD;
        let xb_${p} = (rowBase + iw_${p}) * CIN + ci0;`).join('\n        ')}
        let wb0 = (r * KW + c) * CIN_G * COUT + co0;
        ${innerLoop(cinG, 'ci', (ci) => `{
          let wi = wb0 + ${ci} * COUT;
          ${os.map((o) => `let w_${o} = W[wi + ${o}];`).join(' ')}
          ${ps.map((p) => `let x_${p} = select(0.0, x[xb_${p} + ${ci}], ok_${p});`).join(' ')}
          ${ps.map((p) => os.map((o) => `acc_${p}_${o} = acc_${p}_${o} + x_${p} * w_${o};`).join(' ')).join('\n          ')}
        }`)}
      }
    }
    let ob = ((n * HO + oh) * WO + ow0) * COUT + co0;
    ${ps
      .map(
        (p) => `if (ow0 + ${p} < WO) {
      ${os.map((o) => `result[ob + ${p} * COUT + ${o}] = acc_${p}_${o};`).join(' ')}
    }`,
      )
      .join('\n    ')}
  }`;
  return { program: flatProgram('groupedConv2d', `${geometryKey(g)}_${PB}_${OB}`, [g.batch, g.outHeight, g.outWidth, g.outChannels], ['x', 'W'], threads, body), threads };
}

/**
 * Input gradient. Invocation = (n, ih, column block, block of IB input channels of one group). The
 * column block holds PB columns of one residue q modulo S (iw = q + S*(b*PB + p)), so every column of
 * the block meets the same filter taps, and their dy columns are consecutive.
 * dx[n,ih,iw,ci] = sum over taps (r,c) with ih+P-r = S*oh, iw+P-c = S*ow, of sum_co dy[n,oh,ow,co] * w[r,c,ci%CIN_G,co].
 */
export function backpropInputProgram(g: GroupedConvGeometry, tile: TileOptions = WEBGPU_TILES.backpropInput): { program: WebGPUProgram; threads: number } {
  const S = g.stride;
  const colsPerResidue = Math.ceil(g.inWidth / S);
  const PB = Math.min(tile.pixels, colsPerResidue);
  const IB = channelTile(g.inChannels / g.groups, tile.channels);
  const coutG = g.outChannels / g.groups;
  const NB = Math.ceil(colsPerResidue / PB);
  const CB = g.inChannels / IB;
  const threads = g.batch * g.inHeight * S * NB * CB;
  const ps = range(PB);
  const is = range(IB);
  const body = `
  ${constants(g)}
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let cb = index % ${CB};
    var t = index / ${CB};
    let b = t % ${NB};
    t = t / ${NB};
    let q = t % S;
    t = t / S;
    let ih = t % H;
    let n = t / H;
    let ci0 = cb * ${IB};
    let grp = ci0 / CIN_G;
    let cil0 = ci0 - grp * CIN_G;
    let co0 = grp * COUT_G;
    let col0 = b * ${PB};
    ${ps.map((p) => is.map((i) => `var acc_${p}_${i} = 0.0;`).join(' ')).join('\n    ')}
    for (var r = 0; r < KH; r++) {
      let th = ih + P - r;
      if (th < 0 || th % S != 0) { continue; }
      let oh = th / S;
      if (oh >= HO) { continue; }
      let rowBase = (n * HO + oh) * WO;
      for (var c = 0; c < KW; c++) {
        let tw = q + P - c;
        if (tw % S != 0) { continue; }
        // tw is a multiple of S (maybe negative), so the division is exact.
        let ow0 = tw / S + col0;
        ${ps.map((p) => `let ow_${p} = ow0 + ${p};
        let ok_${p} = ow_${p} >= 0 && ow_${p} < WO;
        let db_${p} = (rowBase + ow_${p}) * COUT + co0;`).join('\n        ')}
        let wb0 = ((r * KW + c) * CIN_G + cil0) * COUT + co0;
        ${innerLoop(coutG, 'co', (co) => `{
          ${is.map((i) => `let w_${i} = W[wb0 + ${i} * COUT + ${co}];`).join(' ')}
          ${ps.map((p) => `let d_${p} = select(0.0, dy[db_${p} + ${co}], ok_${p});`).join(' ')}
          ${ps.map((p) => is.map((i) => `acc_${p}_${i} = acc_${p}_${i} + d_${p} * w_${i};`).join(' ')).join('\n          ')}
        }`)}
      }
    }
    ${ps
      .map(
        (p) => `{
      let iw = q + S * (col0 + ${p});
      if (iw < WD) {
        let o = ((n * H + ih) * WD + iw) * CIN + ci0;
        ${is.map((i) => `result[o + ${i}] = acc_${p}_${i};`).join(' ')}
      }
    }`,
      )
      .join('\n    ')}
  }`;
  return {
    program: flatProgram('groupedConv2dBackpropInput', `${geometryKey(g)}_${PB}_${IB}`, [g.batch, g.inHeight, g.inWidth, g.inChannels], ['dy', 'W'], threads, body),
    threads,
  };
}

/** How the filter gradient's first pass splits the N*HO*WO output positions. */
export function filterGradChunks(
  g: GroupedConvGeometry,
  threadsPerChunk: number,
  targetThreads = WEBGPU_TILES.filterChunks.targetThreads,
  minChunk = WEBGPU_TILES.filterChunks.minChunk,
): { chunks: number; chunkLength: number } {
  const positions = g.batch * g.outHeight * g.outWidth;
  const wanted = Math.max(1, Math.ceil(targetThreads / threadsPerChunk));
  const chunks = Math.max(1, Math.min(wanted, Math.floor(positions / minChunk)));
  const chunkLength = Math.ceil(positions / chunks);
  return { chunks: Math.ceil(positions / chunkLength), chunkLength };
}

/**
 * Filter gradient, pass 1. Invocation = (chunk, r, c, block of IB in-group input channels, block of
 * OB output channels); it sums x*dy over one chunk of consecutive output positions (n, oh, ow).
 * Output: partial[chunk, r, c, ci, co].
 */
export function backpropFilterPartialProgram(
  g: GroupedConvGeometry,
  tile: { channels: number } = WEBGPU_TILES.backpropFilter,
): { program: WebGPUProgram; threads: number; chunks: number } {
  const cinG = g.inChannels / g.groups;
  const IB = channelTile(cinG, tile.channels);
  const OB = channelTile(g.outChannels / g.groups, tile.channels);
  const OCB = g.outChannels / OB;
  const ICB = cinG / IB;
  const perChunk = g.kernelHeight * g.kernelWidth * ICB * OCB;
  const { chunks, chunkLength } = filterGradChunks(g, perChunk);
  const threads = chunks * perChunk;
  const positions = g.batch * g.outHeight * g.outWidth;
  const is = range(IB);
  const os = range(OB);
  const body = `
  ${constants(g)}
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ob = index % ${OCB};
    var t = index / ${OCB};
    let ib = t % ${ICB};
    t = t / ${ICB};
    let c = t % KW;
    t = t / KW;
    let r = t % KH;
    let chunk = t / KH;
    let co0 = ob * ${OB};
    let cil0 = ib * ${IB};
    let ci0 = (co0 / COUT_G) * CIN_G + cil0;
    ${is.map((i) => os.map((o) => `var acc_${i}_${o} = 0.0;`).join(' ')).join('\n    ')}
    let m0 = chunk * ${chunkLength};
    let m1 = min(m0 + ${chunkLength}, ${positions});
    var ow = m0 % WO;
    var oh = (m0 / WO) % HO;
    var n = m0 / (WO * HO);
    for (var m = m0; m < m1; m++) {
      let ih = oh * S - P + r;
      let iw = ow * S - P + c;
      if (ih >= 0 && ih < H && iw >= 0 && iw < WD) {
        let xb = ((n * H + ih) * WD + iw) * CIN + ci0;
        let db = m * COUT + co0;
        ${is.map((i) => `let x_${i} = x[xb + ${i}];`).join(' ')}
        ${os.map((o) => `let d_${o} = dy[db + ${o}];`).join(' ')}
        ${is.map((i) => os.map((o) => `acc_${i}_${o} = acc_${i}_${o} + x_${i} * d_${o};`).join(' ')).join('\n        ')}
      }
      ow++;
      if (ow == WO) {
        ow = 0;
        oh++;
        if (oh == HO) { oh = 0; n++; }
      }
    }
    let o = (((chunk * KH + r) * KW + c) * CIN_G + cil0) * COUT + co0;
    ${is.map((i) => os.map((o) => `result[o + ${i} * COUT + ${o}] = acc_${i}_${o};`).join(' ')).join('\n    ')}
  }`;
  const outputShape = [chunks, g.kernelHeight * g.kernelWidth, cinG, g.outChannels];
  return { program: flatProgram('groupedConv2dBackpropFilterPartial', `${geometryKey(g)}_${IB}_${OB}_${chunks}_${chunkLength}`, outputShape, ['x', 'dy'], threads, body), threads, chunks };
}

/** Filter gradient, pass 2: the sum over chunks, one invocation per filter element. */
export function sumChunksProgram(chunks: number, filterShape: number[]): { program: WebGPUProgram; threads: number } {
  const size = filterShape.reduce((a, b) => a * b, 1);
  const body = `
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    var acc = 0.0;
    for (var k = 0; k < ${chunks}; k++) {
      acc = acc + partial[k * ${size} + index];
    }
    result[index] = acc;
  }`;
  return { program: flatProgram('groupedConv2dSumChunks', `${chunks}_${size}`, filterShape, ['partial'], size, body), threads: size };
}

/** Runs a program of this folder on tfjs' WebGPU backend with its one uniform (`threads` or `rows`). */
export function run(backend: unknown, p: { program: WebGPUProgram; threads: number } | { program: WebGPUProgram; rows: number }, inputs: tf.TensorInfo[]): tf.TensorInfo {
  const uniform = 'threads' in p ? p.threads : p.rows;
  return (backend as WebGPUBackend).runWebGPUProgram(p.program, inputs, 'float32', [{ type: 'int32', data: [uniform] }]);
}

const tiled = (backend: unknown) => webgpuConvVariant(backend) === 'tiled';

function checkFloat(...ts: tf.TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`groupedConv2d (webgpu) needs float32 tensors, got ${t.dtype}`);
}

export const forwardKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  checkFloat(x, filter);
  const a = attrsOf(attrs ?? {});
  const g = groupedConvGeometry(x.shape, filter.shape, a.groups, a.stride, a.pad);
  return run(backend, tiled(backend) ? tiledForwardProgram(g) : forwardProgram(g), [x, filter]);
};

export const backpropInputKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  checkFloat(dy, filter);
  const a = attrsOf(attrs ?? {});
  if (!a.shape) throw new Error('GroupedConv2DBackpropInput needs the input shape');
  const g = groupedConvGeometry(a.shape, filter.shape, a.groups, a.stride, a.pad);
  return run(backend, tiled(backend) ? tiledBackpropInputProgram(g) : backpropInputProgram(g), [dy, filter]);
};

/** The filter gradient of the grouped conv `geometry` (two passes: chunks, then their sum). */
export function filterGradient(backend: unknown, x: tf.TensorInfo, dy: tf.TensorInfo, geometry: GroupedConvGeometry, filterShape: number[]): tf.TensorInfo {
  const pass1 = tiled(backend) ? tiledBackpropFilterProgram(geometry) : backpropFilterPartialProgram(geometry);
  const partial = run(backend, pass1, [x, dy]);
  const sum = sumChunksProgram(pass1.chunks, filterShape);
  const out = run(backend, sum, [partial]);
  (backend as WebGPUBackend).disposeData(partial.dataId);
  return out;
}

const backpropFilterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  checkFloat(x, dy);
  const a = attrsOf(attrs ?? {});
  if (!a.shape) throw new Error('GroupedConv2DBackpropFilter needs the filter shape');
  return filterGradient(backend, x, dy, groupedConvGeometry(x.shape, a.shape, a.groups, a.stride, a.pad), a.shape);
};

let registered = false;

/** Registers the three WebGPU kernels and the gradient of the forward one (idempotent). */
export function registerWebgpuGroupedConvKernels(): void {
  if (registered) return;
  registered = true;
  const have = (name: string) => tf.getKernel(name, 'webgpu') !== undefined;
  if (!have(GROUPED_CONV2D)) tf.registerKernel({ kernelName: GROUPED_CONV2D, backendName: 'webgpu', kernelFunc: forwardKernel });
  if (!have(GROUPED_CONV2D_BACKPROP_INPUT)) tf.registerKernel({ kernelName: GROUPED_CONV2D_BACKPROP_INPUT, backendName: 'webgpu', kernelFunc: backpropInputKernel });
  if (!have(GROUPED_CONV2D_BACKPROP_FILTER)) tf.registerKernel({ kernelName: GROUPED_CONV2D_BACKPROP_FILTER, backendName: 'webgpu', kernelFunc: backpropFilterKernel });
  registerGroupedConvGradient();
}
