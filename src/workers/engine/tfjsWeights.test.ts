import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { toTfjsWeights } from '../../export';
import { buildGraph, findPreset } from '../../models';
import { initParams } from './params';

describe('trained weights in tf.io format', () => {
  it("tf.io's own decoder reads back every tensor exactly, in the app's names and layouts", () => {
    const spec = findPreset('classroom_resnext29_8x4d')!.spec;
    const params = initParams(buildGraph(spec), 3);
    const files = toTfjsWeights(params, { baseName: 'run', modelTopology: spec, metadata: { step: 12 } });
    const manifest = JSON.parse(files.manifest) as { weightsManifest: tf.io.WeightsManifestConfig; modelTopology: { name: string }; userDefinedMetadata: { step: number } };
    expect(manifest.weightsManifest[0]!.paths).toEqual([files.weightsFileName]);
    expect(manifest.modelTopology.name).toBe(spec.name);
    expect(manifest.userDefinedMetadata.step).toBe(12);
    const weights = files.weights;
    const decoded = tf.io.decodeWeights(weights.slice().buffer as ArrayBuffer, manifest.weightsManifest[0]!.weights);
    expect(Object.keys(decoded)).toEqual([...params.keys()]);
    for (const [name, t] of params) {
      const d = decoded[name]!;
      expect(d.shape, name).toEqual(t.shape);
      expect(d.dataSync(), name).toEqual(t.values);
    }
    tf.dispose(Object.values(decoded));
  });

  it('refuses a tensor whose values do not fill its shape', () => {
    expect(() => toTfjsWeights(new Map([['fc.weight', { shape: [2, 3], values: new Float32Array(5) }]]), { baseName: 'x' })).toThrow(/fc.weight: 5 values/);
  });
});
