/**
 * `npx tsx bench/groupedConvKernels.bench.ts [--against <git revision>]`: the native grouped-convolution
 * kernels (src/workers/kernels/wasm/native/groupedConv.c) called directly, one thread, no tfjs and no
 * copies, on the classroom ResNeXt-29 8x4d's grouped layers at batch 32 and two 32x4d layers: the
 * working tree's build against the build committed at the revision (default HEAD), alternating, best of
 * BENCH_REPS (default 15) per kernel (a shared machine's noise is one-sided). Prints ms and GMAC/s per
 * kernel and the largest difference between the two builds' outputs (0 where the float operations
 * are the same). BENCH_LAYERS='[[size, channels, groups, stride], ...]' picks the layers (3x3, pad 1).
 * Not a test. The same kernels through tfjs and against dense convs: bench/groupedConv.bench.ts.
 */
import { WASM_BASE64_UNSHARED } from '../src/workers/kernels/wasm/native/groupedConv.wasm';
import { type Build, allocator, committedModule, committedSource, instantiate, randomFloats, timeAlternating } from './nativeBuilds';

const at = process.argv.indexOf('--against');
const REVISION = at > 0 ? process.argv[at + 1]! : 'HEAD';
const REPS = Number(process.env.BENCH_REPS ?? 15);
const LAYERS: [number, number, number, number][] = process.env.BENCH_LAYERS
  ? JSON.parse(process.env.BENCH_LAYERS)
  : [
      [32, 32, 8, 1],
      [16, 64, 8, 1],
      [8, 128, 8, 1],
      [32, 64, 8, 2],
      [16, 128, 8, 2],
      [32, 128, 32, 1],
      [16, 256, 32, 1],
    ];
const BATCH = 32;
const KERNEL = 3;
const PAD = 1;
const KERNELS = ['forward', 'input gradient', 'filter gradient'] as const;

/**
 * The filter gradient's work units in a build: its own count where it exports one; else groups, or per
 * group ceil(cinG / 4) blocks where the build is from the blocked filter gradient on (its wrapper says).
 */
function filterUnits(b: Build, channels: number, groups: number): number {
  if (b.exports.grouped_conv_filter_units) return b.exports.grouped_conv_filter_units(channels, channels, groups);
  const blocked = b === builds[REVISION] && /Math\.ceil\(g\.inChannels \/ g\.groups \/ 4\)/.test(committedSource(REVISION, 'src/workers/kernels/wasm/groupedConv.ts'));
  return blocked ? groups * Math.ceil(channels / groups / 4) : groups;
}

/** Buffers for one layer in a build's memory, filled with the same pseudo-random values, and its three kernels. */
function setup(b: Build, [size, channels, groups, stride]: [number, number, number, number]) {
  const out = Math.floor((size + 2 * PAD - KERNEL) / stride) + 1;
  const xs = BATCH * size * size * channels;
  const fs = KERNEL * KERNEL * (channels / groups) * channels;
  const ys = BATCH * out * out * channels;
  const alloc = allocator(b);
  const [px, pf, py, pt, pdx, pdw, ps] = [alloc(xs), alloc(fs), alloc(ys), alloc(fs), alloc(xs), alloc(fs), alloc(fs)];
  const f32 = (p: number, n: number) => new Float32Array(b.memory.buffer, p, n);
  const random = randomFloats(xs + fs);
  f32(px, xs).set(random.subarray(0, xs));
  f32(pf, fs).set(random.subarray(xs));
  const dims = [BATCH, size, size, channels, channels, groups, KERNEL, stride, PAD];
  const e = b.exports;
  e.grouped_conv_transpose_filter!(channels, channels, groups, KERNEL, pf, pt);
  // The zero-bordered copies where the build takes them (its own size; older builds ignore the argument).
  const padded = (floats: number | undefined) => (floats ? alloc(floats) : 0);
  const [pxp, pdyp] = [padded(e.grouped_conv_forward_scratch?.(...dims)), padded(e.grouped_conv_backprop_input_scratch?.(...dims))];
  return {
    run: {
      forward: () => e.grouped_conv_forward!(...dims, px, pf, py, 0, BATCH, pxp),
      'input gradient': () => e.grouped_conv_backprop_input!(...dims, py, pt, pdx, 0, BATCH, pdyp),
      'filter gradient': () => e.grouped_conv_backprop_filter!(...dims, px, py, ps, pdw, 0, filterUnits(b, channels, groups)),
    },
    outputs: () => [f32(py, ys), f32(pdx, xs), f32(pdw, fs)],
    macs: BATCH * out * out * KERNEL * KERNEL * (channels / groups) * channels,
  };
}

const builds = { [REVISION]: instantiate(committedModule('groupedConv', REVISION)), 'working tree': instantiate(WASM_BASE64_UNSHARED) };
const names = Object.keys(builds);
console.log(`grouped 3x3 kernels, batch ${BATCH}, one thread, best of ${REPS}: ${names[0]} → ${names[1]}`);
console.log('layer'.padEnd(20) + KERNELS.map((k) => k.padEnd(34)).join('') + 'max |difference|');
const totals = names.map(() => KERNELS.map(() => 0));
for (const layer of LAYERS) {
  const s = names.map((n) => setup(builds[n]!, layer));
  const { best, diff } = timeAlternating(s, KERNELS, REPS);
  best.forEach((b, i) => b.forEach((ms, j) => (totals[i]![j]! += ms)));
  const rate = (ms: number) => (s[0]!.macs / ms / 1e6).toFixed(1);
  const cells = KERNELS.map((_, j) => `${best[0]![j]!.toFixed(2)}→${best[1]![j]!.toFixed(2)} ms (${rate(best[0]![j]!)}→${rate(best[1]![j]!)})`.padEnd(34));
  console.log(`${layer[1]}ch ${layer[0]}x${layer[0]} g${layer[2]} s${layer[3]}`.padEnd(20) + cells.join('') + diff.map((d) => d.toExponential(1)).join(' '));
}
console.log('total ms'.padEnd(20) + KERNELS.map((_, j) => `${totals[0]![j]!.toFixed(1)}→${totals[1]![j]!.toFixed(1)} (${(totals[0]![j]! / totals[1]![j]!).toFixed(2)}x)`.padEnd(34)).join(''));
console.log('(ms per call, GMAC/s in parentheses)');
