/** How every figure in the product is counted (docs/counting.md). Shown in the UI and printed by the CLI. */
export const COUNTING_CONVENTION = {
  params: 'conv weights (+ bias where present) + BatchNorm gamma/beta + FC weight/bias; BatchNorm running statistics are buffers and not counted',
  macs: 'multiply-adds of conv and linear layers only (what torchvision and the papers call "FLOPs"); BN, activations, additions and pooling are not counted',
  flops: 'FLOPs = 2 x MACs',
  activations: 'sum of the output values of every layer for one image (float32 = 4 bytes each)',
  trainingMemory:
    'batch x (activations + input) + weights + gradients + optimizer state (1 slot for SGD momentum), float32; excludes framework workspace',
} as const;

export const CONVENTION_SUMMARY =
  'params = conv + BN γ/β + FC weights and biases; MACs = conv and linear multiply-adds only (the papers\' "FLOPs"); FLOPs = 2 × MACs.';
