/**
 * `npx tsx bench/tta/sizes.bench.ts [name ...]`: training speed (images/s) of candidate lesson sizes on
 * tfjs' 'wasm' backend in Node (single-threaded), fast recipe settings, batch 64 unless memory says
 * otherwise. How the lesson presets were sized: an epoch of full-size CIFAR-10 is 50,000 images, so
 * images/s x 300 / 50,000 is the epochs a 5-minute lesson run gets. Prints one JSON object; not a test.
 * BENCH_SECONDS (default 10) sets the time per candidate.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyze, findPreset, type ResNetSpec } from '../../src/models';
import { switchBackend } from '../../src/workers/engine/backend';
import { Trainer } from '../../src/workers/training/trainer';
import { syntheticCifar } from '../train/synthetic';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);

/** A ResNeXt-29-template variant: blocks per stage, stem width, first-stage planes, C, d, stem max pool. */
function variant(name: string, blocks: number, stem: number, planes: number, c: number, d: number, maxPool = false): ResNetSpec {
  const base = findPreset('classroom_resnext29_8x4d')!.spec as ResNetSpec;
  return {
    ...base,
    name,
    stem: { ...base.stem, width: stem, maxPool },
    cardinality: c,
    bottleneckWidth: d,
    stages: [1, 2, 4].map((m, i) => ({ blocks, planes: planes * m, stride: i === 0 ? 1 : 2 })),
  };
}

const preset = (name: string) => findPreset(name)!.spec as ResNetSpec;
const CANDIDATES: ResNetSpec[] = [
  preset('classroom_resnext29_8x4d'),
  preset('classroom_resnet29_1x18d'),
  preset('lesson_resnext11_8x4d'),
  preset('lesson_resnet11_1x19d'),
  // Other sizes tried for the lesson: without the stem pool (4x the MACs), wider, deeper.
  variant('b1_s16_p16_8x4d', 1, 16, 16, 8, 4),
  variant('b1_s32_p32_8x8d_pool', 1, 32, 32, 8, 8, true),
  variant('b2_s16_p16_8x4d_pool', 2, 16, 16, 8, 4, true),
];

setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
if (!(await switchBackend('wasm'))) throw new Error('wasm backend unavailable');
const only = process.argv.slice(2);
const data = syntheticCifar(BATCH * 40);
const loadBefore = os.loadavg();
const results = [];
for (const spec of CANDIDATES.filter((s) => only.length === 0 || only.includes(s.name))) {
  const a = analyze(spec);
  if (!a.ok) throw new Error(`${spec.name} does not analyze`);
  const trainer = Trainer.create(spec, data, { batchSize: BATCH, epochs: 1, learningRate: 0.05 });
  await trainer.runSteps(2);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) steps += await trainer.runSteps(1);
  const seconds = (performance.now() - t0) / 1000;
  trainer.dispose();
  const imagesPerSecond = (steps * BATCH) / seconds;
  results.push({
    name: spec.name,
    params: a.stats.totals.params,
    macs: a.stats.totals.macs,
    imagesPerSecond: +imagesPerSecond.toFixed(1),
    epochsIn5Minutes: +((imagesPerSecond * 300) / 50000).toFixed(2),
  });
  console.error(JSON.stringify(results.at(-1)));
}
console.log(JSON.stringify({ cpus: os.cpus().length, loadAverage: { before: loadBefore.map((l) => +l.toFixed(2)), after: os.loadavg().map((l) => +l.toFixed(2)) }, batch: BATCH, secondsPerCandidate: SECONDS, results }, null, 2));
