/**
 * The tensors tfjs saves for the backward pass, shared instead of cloned through a kernel.
 *
 * tfjs' engine saves every tensor a gradient will need with its internal `clone`: an Identity kernel
 * dispatched like any other op, plus a node on the gradient tape (so that a gradient of the gradient can
 * flow through the saved copy). A training step of EfficientNet-B0 saves ~550 tensors: 550 kernel
 * dispatches and 550 tape nodes that the backward pass's tape filter walks and drops (a saved tensor feeds
 * no op of the forward pass). Identity shares the data on every backend the app runs (a reference count:
 * WebGPU, WebGL, CPU, and WASM with the app's kernel, kernels/wasm/copies.ts), so the copy is a new tensor
 * on the same data either way.
 *
 * With one gradient scope open (the trainer's `variableGrads`) no enclosing gradient can use the tape node,
 * so there the saved tensor is made directly: a reference on the data and a tracked tensor. Inside nested
 * gradient scopes (a gradient of a gradient) the engine's own clone runs, tape node and all.
 * docs/tfjs.md#where-the-deferred-step-still-waited-and-ab-step-by-step has the measurement.
 */
import * as tf from '@tensorflow/tfjs';

interface EngineInternals {
  state: { gradientDepth: number; tensorInfo: WeakMap<object, { backend: tf.KernelBackend }> };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend?: tf.KernelBackend): tf.Tensor;
}

/** Whether saved tensors are shared (on, as the app runs) or cloned by tfjs' own engine (off); the bench's A/B switch. */
export const savedTensorOptions = { share: true };

let installed = false;

/** Replaces the engine's clone for saved tensors (idempotent); called by switchBackend (backend.ts). */
export function shareSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (installed) return;
  if (typeof engine.clone !== 'function' || typeof engine.makeTensorFromTensorInfo !== 'function' || !engine.state || !('gradientDepth' in engine.state)) {
    throw new Error("saved tensors: this tfjs' engine has no clone / makeTensorFromTensorInfo / state.gradientDepth (a tfjs update?)");
  }
  const original = engine.clone.bind(engine);
  installed = true;
  engine.clone = (x: tf.Tensor): tf.Tensor => {
    const info = engine.state.tensorInfo.get(x.dataId);
    if (!savedTensorOptions.share || engine.state.gradientDepth !== 1 || x.dtype === 'string' || !info) return original(x);
    info.backend.incRef(x.dataId);
    return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, info.backend);
  };
}
