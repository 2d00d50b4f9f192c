/**
 * Trained weights in TensorFlow.js's weights format (what tf.io saves and tf.io.loadWeights /
 * tf.io.decodeWeights read): a JSON manifest `{ weightsManifest: [{ paths, weights: [{ name, shape,
 * dtype }] }] }` and one binary file of the tensors' float32 values, little-endian, in manifest
 * order. Names are the app's state_dict keys, layouts are tfjs's (conv [kh, kw, in/groups, out],
 * FC [in, out]) as the app's worker runs them. The model itself is the app's graph interpreter, not
 * a tf.LayersModel, so there is no Layers topology: `modelTopology` holds the architecture spec.
 * Load in tfjs:
 *   const m = await (await fetch('run.json')).json();
 *   const weights = await tf.io.loadWeights(m.weightsManifest, '.');   // { name: tf.Tensor }
 */
import type { NamedTensor } from './safetensors';

export interface TfjsWeightsFiles {
  /** The manifest (JSON text), e.g. `run.json`. */
  manifest: string;
  /** The weights file the manifest names. */
  weightsFileName: string;
  weights: Uint8Array;
}

export function toTfjsWeights(params: ReadonlyMap<string, NamedTensor>, options: { baseName: string; modelTopology?: unknown; metadata?: Record<string, string | number> }): TfjsWeightsFiles {
  const weightsFileName = `${options.baseName}.weights.bin`;
  const specs: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  let bytes = 0;
  for (const [name, t] of params) {
    if (t.values.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    specs.push({ name, shape: [...t.shape], dtype: 'float32' });
    bytes += t.values.byteLength;
  }
  const weights = new Uint8Array(bytes);
  let at = 0;
  // Float32Array is platform-endian; every browser and Node target here is little-endian, as tf.io assumes.
  for (const t of params.values()) {
    weights.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), at);
    at += t.values.byteLength;
  }
  const manifest = {
    format: 'resnext-lab-weights',
    generatedBy: 'ResNeXt Lab',
    convertedBy: null,
    modelTopology: options.modelTopology ?? null,
    userDefinedMetadata: options.metadata ?? {},
    weightsManifest: [{ paths: [weightsFileName], weights: specs }],
  };
  return { manifest: JSON.stringify(manifest, null, 1), weightsFileName, weights };
}
