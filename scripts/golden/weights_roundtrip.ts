/**
 * Writes the files for scripts/golden/check_weights.py: seeded weights of a preset as safetensors
 * (the app's "Download weights"), the generated PyTorch model, and a tfjs evaluation-mode forward
 * pass on a random input. Usage: npx tsx scripts/golden/weights_roundtrip.ts [preset] [dir]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { toPyTorch, toSafetensors } from '../../src/export';
import { analyze, findPreset } from '../../src/models';
import { execute, initParams, paramTensors, switchBackend } from '../../src/workers/engine';

const [name = 'classroom_resnext29_8x4d', dir = '/tmp'] = process.argv.slice(2);
await switchBackend('cpu');
const spec = findPreset(name)?.spec;
const a = analyze(spec);
if (!spec || !a.ok) throw new Error(`unknown or invalid preset ${name}`);
const values = initParams(a.graph, 3);
writeFileSync(join(dir, 'weights.safetensors'), toSafetensors(values, { step: 5 }));
writeFileSync(join(dir, 'model.py'), toPyTorch(spec));
const params = paramTensors(values, false);
const r = spec.input.resolution;
const x = tf.randomUniform([2, r, r, spec.input.channels], -1, 1, 'float32', 1) as tf.Tensor4D;
const y = execute(a.graph, x, { params, training: false });
writeFileSync(join(dir, 'io.json'), JSON.stringify({ shape: x.shape, x: Array.from(await x.data()), y: Array.from(await y.data()), classes: spec.input.classes }));
console.error(`wrote ${dir}/weights.safetensors, model.py, io.json`);
