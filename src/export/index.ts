/**
 * Exports: a design out of the browser, as a PyTorch or Keras file. Pure TypeScript like
 * src/models (no React, DOM, tfjs or Node), so the app and the command line share it.
 */
export { toPyTorch, type PyTorchOptions } from './pytorch';
export { toKeras } from './keras';
export { stateDictShapes, type StateDictShapes } from './stateDict';
export { toSafetensors, toTorchLayout } from './safetensors';
export { toTfjsWeights, type TfjsWeightsFiles } from './tfjsWeights';
