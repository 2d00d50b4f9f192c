/**
 * `npx tsx bench/threadScaling.bench.ts`: how much a second thread gives on this machine when the threads
 * share nothing: the same work on one worker thread alone, then on two at once, alternating for
 * BENCH_ROUNDS rounds (default 8) of BENCH_SECONDS each (default 2), for two loops:
 * - scalar: eight independent multiply-add chains in JavaScript (bound by the chains' latency);
 * - simd: the app's own native A·B (matmul_nn, the plain SIMD128 build) on 64x64 matrices that stay in
 *   each thread's L1 cache (bound by the SIMD units' throughput, like the training kernels), each thread
 *   on a memory of its own;
 * - stream: the app's SGD update (sgd_update, three arrays read and two written) over 4M parameters per
 *   thread (80 MB, far past the caches): bound by memory bandwidth, like BatchNorm's passes over a batch.
 * Prints each round's (two threads' total) / (one thread's) and the medians: the ceiling for any
 * 2-thread speed-up here, against which the training bench's thread figures are read
 * (docs/tfjs.md#wasm-threads-for-the-apps-own-kernels). Two vCPUs that are one core's two hyperthreads
 * scale the latency-bound loop but not the throughput-bound one; a busy host scales neither; a host whose
 * memory bandwidth other tenants share scales the stream least. Not a test.
 */
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WASM_BASE64_UNSHARED as BATCH_NORM_WASM } from '../src/workers/kernels/wasm/native/batchNorm.wasm';
import { WASM_BASE64_UNSHARED as MATMUL_WASM } from '../src/workers/kernels/wasm/native/matMul.wasm';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

/** The worker: runs a loop for the given seconds, answers with its units per second (multiply-adds; for the stream, parameters updated). */
const LOOP = `
const { parentPort } = require('node:worker_threads');
function simd(module, seconds) {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  const { matmul_nn, heap_base } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const n = 64, bytes = n * n * 4, a = (heap_base() + 63) & ~63, b = a + bytes, c = b + bytes;
  const f = new Float32Array(memory.buffer, a, 2 * n * n);
  for (let i = 0; i < f.length; i++) f[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) matmul_nn(n, n, n, a, b, c, 0, n);
    ops += 100 * n * n * n;
  }
  return ops / seconds;
}
function stream(module, seconds) {
  const n = 1 << 22, bytes = 4 * n;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((5 * bytes + 65536) / 65536) + 16, maximum: 65536 });
  const { sgd_update, heap_base } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const p = (heap_base() + 63) & ~63, v = p + bytes, g = v + bytes, po = g + bytes, vo = po + bytes;
  new Float32Array(memory.buffer, p, 3 * n).fill(0.5);
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    sgd_update(0.1, 0.9, 0, 0, 0, p, v, g, po, vo, 0, n);
    ops += n;
  }
  return ops / seconds;
}
parentPort.on('message', ({ seconds, module, loop }) => {
  if (loop === 'simd') return parentPort.postMessage({ perSecond: simd(module, seconds) });
  if (loop === 'stream') return parentPort.postMessage({ perSecond: stream(module, seconds) });
  let a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5, a5 = 6, a6 = 7, a7 = 8;
  const b = 0.9999999, c = 1e-7;
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100000; i++) {
      a0 = a0 * b + c; a1 = a1 * b + c; a2 = a2 * b + c; a3 = a3 * b + c;
      a4 = a4 * b + c; a5 = a5 * b + c; a6 = a6 * b + c; a7 = a7 * b + c;
    }
    ops += 800000;
  }
  parentPort.postMessage({ perSecond: ops / seconds, keep: a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 });
});
`;

const compile = (base64: string) => new WebAssembly.Module(Buffer.from(base64, 'base64'));
const LOOPS = { scalar: undefined, simd: compile(MATMUL_WASM), stream: compile(BATCH_NORM_WASM) } as const;
type LoopName = keyof typeof LOOPS;

const workers = [new Worker(LOOP, { eval: true }), new Worker(LOOP, { eval: true })];
const run = (w: Worker, loop: LoopName): Promise<number> =>
  new Promise((resolve) => {
    w.once('message', (m: { perSecond: number }) => resolve(m.perSecond));
    w.postMessage({ seconds: SECONDS, module: LOOPS[loop], loop });
  });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const g = (x: number) => (x / 1e9).toFixed(2);
console.log(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${ROUNDS} rounds of ${SECONDS} s a loop`);
for (const loop of Object.keys(LOOPS) as LoopName[]) await run(workers[0]!, loop); // warm-up (JIT)
const ratios: Record<LoopName, number[]> = { scalar: [], simd: [], stream: [] };
for (let r = 1; r <= ROUNDS; r++) {
  const line: string[] = [];
  for (const loop of Object.keys(LOOPS) as LoopName[]) {
    const one = await run(workers[0]!, loop);
    const [p, q] = await Promise.all(workers.map((w) => run(w, loop)));
    const ratio = (p! + q!) / one;
    ratios[loop].push(ratio);
    line.push(`${loop} ${g(one)} → ${g(p!)} + ${g(q!)} G (${ratio.toFixed(2)}x)`);
  }
  console.log(`round ${r}: ${line.join('; ')}`);
}
const summary = Object.fromEntries((Object.keys(LOOPS) as LoopName[]).map((loop) => [loop, { ratios: ratios[loop].map((x) => +x.toFixed(3)), median: +median(ratios[loop]).toFixed(3) }]));
for (const [loop, s] of Object.entries(summary)) console.log(`${loop}: two threads / one, median ${s.median.toFixed(2)}x, range ${Math.min(...s.ratios).toFixed(2)}-${Math.max(...s.ratios).toFixed(2)}x`);
console.log(JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, cpus: cpus().length, loadAverage: loadavg(), ...summary }));
for (const w of workers) await w.terminate();
