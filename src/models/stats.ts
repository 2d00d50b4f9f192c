/**
 * Counts over a network graph: totals, per stage / block / op rows, activation memory and a
 * training-memory estimate. The convention is `COUNTING_CONVENTION` in `convention.ts`.
 */
import { type GraphItem, type GraphNode, type NetworkGraph, type OpType, type Shape, formatShape } from './graph';

export interface Counts {
  params: number;
  macs: number;
  /** FLOPs = 2 x MACs (one multiply and one add). */
  flops: number;
  /** Output values of every op, per image: what a framework without in-place ops stores in a forward pass. */
  activations: number;
}

export type RowLevel = GraphNode['level'] | 'op';

/** One line of the layer table (torchinfo-like), for the UI, CSV/Markdown export and the CLI. */
export interface LayerRow extends Counts {
  name: string;
  label: string;
  level: RowLevel;
  /** Nesting depth: 0 = stage, 1 = block, ... */
  depth: number;
  type: OpType | RowLevel;
  output: Shape;
  outputShape: string;
  kernel?: number;
  stride?: number;
  groups?: number;
  paramsFormula?: string;
  macsFormula?: string;
}

export interface MemoryOptions {
  batch: number;
  /** 4 for float32. */
  bytesPerValue?: number;
  /** Extra values per parameter kept by the optimizer: 1 for SGD with momentum, 2 for Adam. */
  optimizerSlots?: number;
}

export interface TrainingMemory {
  batch: number;
  /** Activations kept for the backward pass: batch x activations x bytes, plus the input batch. */
  activationBytes: number;
  weightBytes: number;
  gradientBytes: number;
  optimizerBytes: number;
  totalBytes: number;
}

export interface NetworkStats {
  totals: Counts & { activationBytes: number; inputValues: number };
  /** Every stage, block, branch and op in order, with their subtotals. */
  rows: LayerRow[];
  /** Stage subtotals only (conv1, conv2, ... in the paper's names). */
  stages: LayerRow[];
}

const BYTES_PER_FLOAT32 = 4;

/** Appends the rows of `item` and its descendants (pre-order); returns the item's counts. */
function collectRows(item: GraphItem, depth: number, rows: LayerRow[]): Counts {
  const output = item.output;
  const outputShape = formatShape(output);
  if (item.kind === 'op') {
    const activations = output.channels * output.height * output.width;
    rows.push({
      name: item.name,
      label: item.name,
      level: 'op',
      depth,
      type: item.type,
      output,
      outputShape,
      kernel: item.kernel,
      stride: item.stride,
      groups: item.groups,
      paramsFormula: item.paramsFormula,
      macsFormula: item.macsFormula,
      params: item.params,
      macs: item.macs,
      flops: 2 * item.macs,
      activations,
    });
    return { params: item.params, macs: item.macs, flops: 2 * item.macs, activations };
  }
  const at = rows.length;
  rows.push(undefined as unknown as LayerRow); // filled in once the children are counted
  let params = 0;
  let macs = 0;
  let activations = 0;
  for (const child of item.children) {
    const c = collectRows(child, depth + 1, rows);
    params += c.params;
    macs += c.macs;
    activations += c.activations;
  }
  rows[at] = {
    name: item.name,
    label: item.label,
    level: item.level,
    depth,
    type: item.level,
    output,
    outputShape,
    groups: item.block?.groups,
    params,
    macs,
    flops: 2 * macs,
    activations,
  };
  return { params, macs, flops: 2 * macs, activations };
}

export function computeStats(graph: NetworkGraph): NetworkStats {
  const rows: LayerRow[] = [];
  const totals: Counts = { params: 0, macs: 0, flops: 0, activations: 0 };
  for (const stage of graph.children) {
    const c = collectRows(stage, 0, rows);
    totals.params += c.params;
    totals.macs += c.macs;
    totals.flops += c.flops;
    totals.activations += c.activations;
  }
  const input = graph.input;
  return {
    totals: {
      ...totals,
      activationBytes: totals.activations * BYTES_PER_FLOAT32,
      inputValues: input.channels * input.height * input.width,
    },
    rows,
    stages: rows.filter((r) => r.level === 'stage'),
  };
}

/**
 * Training memory for one step, an estimate: every op output kept for backprop (no in-place
 * ops, no recomputation), plus weights, their gradients and the optimizer's state.
 * Framework workspace and allocator slack are not included.
 */
export function trainingMemory(stats: NetworkStats, options: MemoryOptions): TrainingMemory {
  const bytes = options.bytesPerValue ?? BYTES_PER_FLOAT32;
  const slots = options.optimizerSlots ?? 1;
  const { params, activations, inputValues } = stats.totals;
  const activationBytes = options.batch * (activations + inputValues) * bytes;
  const weightBytes = params * bytes;
  const gradientBytes = params * bytes;
  const optimizerBytes = params * bytes * slots;
  return {
    batch: options.batch,
    activationBytes,
    weightBytes,
    gradientBytes,
    optimizerBytes,
    totalBytes: activationBytes + weightBytes + gradientBytes + optimizerBytes,
  };
}
