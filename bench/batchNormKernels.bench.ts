/**
 * `npx tsx bench/batchNormKernels.bench.ts [--against <git revision>]`: the native training-mode BatchNorm
 * (src/workers/kernels/wasm/native/batchNorm.c) called directly, one thread, no tfjs: the forward (batch
 * statistics and output) and the backward (the two sums and dx; also with a fused ReLU's mask), and both with a fused SiLU
 * (EfficientNet's), on the classroom ResNeXt-29's BatchNorm shapes at batch 32 (BENCH_SHAPES: others), the working tree's build against the one committed at the revision (default HEAD),
 * alternating, best of BENCH_REPS (default 15). Prints ms and GB/s of the tensors read and written once
 * (the forward reads x and writes y; the backward reads x and dy and writes dx) and the largest
 * difference between the builds' outputs. Older builds are called in their own sequence (their exports
 * differ). Not a test.
 */
import { WASM_BASE64_UNSHARED } from '../src/workers/kernels/wasm/native/batchNorm.wasm';
import { type Build, allocator, committedModule, instantiate, randomFloats, timeAlternating } from './nativeBuilds';

const at = process.argv.indexOf('--against');
const REVISION = at > 0 ? process.argv[at + 1]! : 'HEAD';
const REPS = Number(process.env.BENCH_REPS ?? 15);
/** [rows N·H·W, channels]: the classroom ResNeXt-29 8x4d's BatchNorm inputs at batch 32, or BENCH_SHAPES (JSON). */
const SHAPES: [number, number][] = process.env.BENCH_SHAPES ? (JSON.parse(process.env.BENCH_SHAPES) as [number, number][]) : [
  [32768, 16],
  [32768, 32],
  [32768, 128],
  [8192, 64],
  [8192, 256],
  [2048, 128],
  [2048, 512],
];
const EPS = 1e-5;
const KERNELS = ['forward', 'backward', 'backward, ReLU fused', 'forward, SiLU fused', 'backward, SiLU fused'] as const;

function setup(b: Build, [m, c]: [number, number]) {
  const e = b.exports;
  const blocks = Math.ceil(m / e.bn_block_rows!());
  const alloc = allocator(b);
  const [x, dy, y, dx, g2, sig] = [alloc(m * c), alloc(m * c), alloc(m * c), alloc(m * c), alloc(m * c), alloc(m * c)];
  const [part, part2, part3] = [alloc(blocks * c), alloc(blocks * c), alloc(blocks * c)];
  const perChannel = () => alloc(c);
  const [gamma, beta, mean, variance, inv, scale] = [perChannel(), perChannel(), perChannel(), perChannel(), perChannel(), perChannel()];
  const [dg, db, ka, kb, kk, fs] = [perChannel(), perChannel(), perChannel(), perChannel(), perChannel(), perChannel()];
  const f32 = (p: number, n: number) => new Float32Array(b.memory.buffer, p, n);
  const random = randomFloats(2 * m * c + 2 * c);
  f32(x, m * c).set(random.subarray(0, m * c));
  f32(dy, m * c).set(random.subarray(m * c, 2 * m * c));
  f32(gamma, c).set(random.subarray(2 * m * c, 2 * m * c + c));
  f32(beta, c).set(random.subarray(2 * m * c + c));
  // Three generations of the exports: the current one (bn_scale: a fused ReLU's mask recomputed from x),
  // the two-pass forward that still read the mask from y, and the three-pass forward (bn_mean, bn_variance).
  // The current exports take the fused activation (and the sums a gradient output) as arguments.
  const sumsArity = (e.bn_block_sums as unknown as { length: number }).length;
  const act = sumsArity >= 15;
  // The builds since the SiLU's sigmoid is stored by the forward (an extra pointer after gout and after out);
  // later ones also take the sums' channel range last (left out here: 0, every channel).
  const stored = sumsArity >= 16;
  const sums = (...a: number[]) => e.bn_block_sums!(...(stored ? [...a.slice(0, 9), 0, ...a.slice(9)] : a));
  const affine = (...a: number[]) => e.bn_affine!(...(stored ? [...a.slice(0, 12), 0, ...a.slice(12)] : a));
  const api = 'bn_scale' in e ? 'current' : 'bn_moments' in e ? 'two-pass' : 'three-pass';
  const statistics =
    api === 'three-pass'
      ? () => {
          e.bn_block_sums!(0, m, c, x, 0, 0, 0, part, part, 0, blocks);
          e.bn_mean!(m, c, part, mean);
          e.bn_block_sums!(1, m, c, x, 0, 0, mean, part, part, 0, blocks);
          e.bn_variance!(m, c, EPS, part, gamma, variance, inv, scale);
        }
      : () => {
          if (act) sums(0, m, c, x, 0, 0, 0, 0, 0, 0, part, part2, part3, 0, blocks);
          else if (api === 'current') e.bn_block_sums!(0, m, c, x, 0, 0, 0, 0, part, part2, part3, 0, blocks);
          else e.bn_block_sums!(0, m, c, x, 0, 0, 0, part, part2, part3, 0, blocks);
          e.bn_moments!(m, c, EPS, part, part2, part3, gamma, mean, variance, inv, scale);
        };
  /** The backward; `relu`: of a BatchNorm whose ReLU was fused (older builds read the mask from y, the forward's output). */
  const backward = (relu: boolean) => {
    if (api === 'current') {
      if (relu) e.bn_scale!(c, gamma, inv, fs);
      const [s, b] = relu ? [fs, beta] : [0, 0];
      if (act) sums(1, m, c, x, dy, s, b, relu ? 1 : 0, 0, mean, part, part2, 0, 0, blocks);
      else e.bn_block_sums!(1, m, c, x, dy, s, b, mean, part, part2, 0, 0, blocks);
      e.bn_backward_coefficients!(m, c, part, part2, inv, gamma, dg, db, ka, kb, kk);
      if (act) affine(c, dy, s, b, x, mean, ka, kb, kk, 0, relu ? 1 : 0, dx, 0, m);
      else e.bn_affine!(c, dy, s, b, x, mean, ka, kb, kk, 0, dx, 0, m);
      return;
    }
    const mask = relu ? y : 0;
    if (api === 'two-pass') e.bn_block_sums!(1, m, c, x, dy, mask, mean, part, part2, 0, 0, blocks);
    else e.bn_block_sums!(2, m, c, x, dy, mask, mean, part, part2, 0, blocks);
    e.bn_backward_coefficients!(m, c, part, part2, inv, gamma, dg, db, ka, kb, kk);
    e.bn_affine!(c, dy, mask, x, mean, ka, kb, kk, 0, dx, 0, m);
  };
  return {
    run: {
      forward: () => {
        statistics();
        if (act) affine(c, 0, 0, 0, x, mean, 0, scale, beta, 0, 0, y, 0, m);
        else if (api === 'current') e.bn_affine!(c, 0, 0, 0, x, mean, 0, scale, beta, 0, y, 0, m);
        else e.bn_affine!(c, 0, 0, x, mean, 0, scale, beta, 0, y, 0, m);
      },
      backward: () => backward(false),
      'backward, ReLU fused': () => backward(true),
      // EfficientNet's, as batchNorm.ts calls them: the output's SiLU in the output pass (its sigmoid stored,
      // where the build does); backward, SiLU's gradient from the stored sigmoid in both passes, or (older
      // builds) computed and stored by the sums pass and read by the output pass.
      'forward, SiLU fused': () => {
        if (!act) throw new Error(`${REVISION}'s BatchNorm kernels take no fused activation: run the SiLU kernels against a later revision`);
        statistics();
        if (stored) e.bn_affine!(c, 0, 0, 0, x, mean, 0, scale, beta, 0, 2, y, sig, 0, m);
        else e.bn_affine!(c, 0, 0, 0, x, mean, 0, scale, beta, 0, 2, y, 0, m);
      },
      'backward, SiLU fused': () => {
        e.bn_scale!(c, gamma, inv, fs);
        if (stored) {
          e.bn_block_sums!(1, m, c, x, dy, fs, beta, 2, 0, sig, mean, part, part2, 0, 0, blocks);
          e.bn_backward_coefficients!(m, c, part, part2, inv, gamma, dg, db, ka, kb, kk);
          e.bn_affine!(c, dy, fs, beta, x, mean, ka, kb, kk, 0, 2, dx, sig, 0, m);
          return;
        }
        e.bn_block_sums!(1, m, c, x, dy, fs, beta, 2, g2, mean, part, part2, 0, 0, blocks);
        e.bn_backward_coefficients!(m, c, part, part2, inv, gamma, dg, db, ka, kb, kk);
        e.bn_affine!(c, g2, 0, 0, x, mean, ka, kb, kk, 0, 0, dx, 0, m);
      },
    },
    outputs: () => [f32(y, m * c), f32(dx, m * c), f32(mean, c), f32(variance, c)], // y and dx of the last kernels run: the SiLU ones
    bytes: { forward: 2 * m * c * 4, backward: 3 * m * c * 4, 'backward, ReLU fused': 3 * m * c * 4, 'forward, SiLU fused': 2 * m * c * 4, 'backward, SiLU fused': 3 * m * c * 4 },
  };
}

const builds = { [REVISION]: instantiate(committedModule('batchNorm', REVISION)), 'working tree': instantiate(WASM_BASE64_UNSHARED) };
const names = Object.keys(builds);
console.log(`BatchNorm kernels, one thread, best of ${REPS}: ${names[0]} → ${names[1]}`);
console.log('rows x channels'.padEnd(18) + KERNELS.map((k) => k.padEnd(30)).join('') + 'max |difference| y, dx, mean, variance');
const totals = names.map(() => KERNELS.map(() => 0));
for (const shape of SHAPES) {
  const s = names.map((n) => setup(builds[n]!, shape));
  const { best, diff } = timeAlternating(s, KERNELS, REPS);
  best.forEach((b, i) => b.forEach((ms, j) => (totals[i]![j]! += ms)));
  const rate = (k: (typeof KERNELS)[number], ms: number) => (s[0]!.bytes[k] / ms / 1e6).toFixed(1);
  const cells = KERNELS.map((k, j) => `${best[0]![j]!.toFixed(2)}→${best[1]![j]!.toFixed(2)} ms (${rate(k, best[0]![j]!)}→${rate(k, best[1]![j]!)})`.padEnd(30));
  console.log(`${shape[0]} x ${shape[1]}`.padEnd(18) + cells.join('') + diff.map((d) => d.toExponential(1)).join(' '));
}
console.log('total ms'.padEnd(18) + KERNELS.map((_, j) => `${totals[0]![j]!.toFixed(1)}→${totals[1]![j]!.toFixed(1)} (${(totals[0]![j]! / totals[1]![j]!).toFixed(2)}x)`.padEnd(30)).join(''));
console.log('(ms per call, GB/s of one read of the inputs and one write of the output in parentheses)');
