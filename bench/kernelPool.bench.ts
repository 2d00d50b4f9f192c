/**
 * `npx tsx bench/kernelPool.bench.ts`: the app's native WASM kernels on one thread and split over
 * helper threads (src/workers/kernels/wasm/pool.ts; worker_threads here, Web Workers in the app),
 * per kernel, on the classroom ResNeXt-29's layer shapes, alternating (bench/kernelPoolCases.ts).
 * Node, tfjs WASM. The same in Chromium: `npm run bench:train -- --kernels`.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { switchBackend } from '../src/workers/engine/backend';
import { nativeOptions } from '../src/workers/kernels/wasm/native';
import { HELPER_ENTRY, startKernelHelpers } from '../src/workers/kernels/wasm/pool';
import { kernelPoolRows, printKernelPoolRows } from './kernelPoolCases';

const HELPERS = Number(process.env.BENCH_HELPERS ?? Math.min(7, cpus().length - 1));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
// tfjs' memory is not shared in Node: the modules copy through shared memories of their own (native.ts).
nativeOptions.ownMemory = true;
if (!(await switchBackend('wasm'))) throw new Error('wasm did not start');
const spawn = (source: string) => new Worker(`${source}\n${HELPER_ENTRY.node}`, { eval: true });
const rows = await kernelPoolRows(ROUNDS, 1000, () => startKernelHelpers(HELPERS, spawn));
console.log(`Node: helpers ${HELPERS} (+ the caller), ${ROUNDS} alternating rounds, median ms per call`);
printKernelPoolRows(rows, console.log);
