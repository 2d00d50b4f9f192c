/**
 * `npm run bench:stats`: time to build the graph and count it, per preset. Target: under 5 ms
 * each, so a dial can update every frame. Prints medians (and p90) over many runs; not a test.
 */
import { performance } from 'node:perf_hooks';
import { type ArchSpec, analyze, buildGraph, computeStats, findPreset } from '../src/models/index';

const PRESETS = ['resnext101_64x4d', 'efficientnet_b7', 'resnet50', 'cifar_resnext29_8x64d'];
const WARMUP = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 300);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function time(fn: () => unknown): { median: number; p90: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: quantile(samples, 0.5), p90: quantile(samples, 0.9) };
}

const results = PRESETS.map((name) => {
  const spec = findPreset(name)!.spec as ArchSpec;
  const graph = buildGraph(spec);
  const full = time(() => analyze(spec));
  return {
    preset: name,
    'validate+graph+stats median ms': +full.median.toFixed(3),
    'p90 ms': +full.p90.toFixed(3),
    'graph only ms': +time(() => buildGraph(spec)).median.toFixed(3),
    'stats only ms': +time(() => computeStats(graph)).median.toFixed(3),
  };
});
console.log(`node ${process.version}, ${RUNS} runs after ${WARMUP} warm-up runs`);
console.table(results);
