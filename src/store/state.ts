/** The explorer's state: everything the user chose. All of it lives in the URL (see url.ts). */
import { type ComplexityMetric, type ComplexityScope, DEFAULT_PRESET } from '../models';
import type { Dials } from './dials';

export interface Preserve {
  scope: ComplexityScope;
  metric: ComplexityMetric;
  /** The budget to keep: params (or MACs) when the switch was turned on. */
  target: number;
}

export const VIEWS = ['layers', 'papers', 'diagram', 'charts', 'equivalence', 'train'] as const;
export type ViewId = (typeof VIEWS)[number];

/** Parts of the page a teacher can hide via the URL (`hide=controls,charts`). */
export const HIDEABLE = ['controls', 'totals', ...VIEWS] as const;
export type Hideable = (typeof HIDEABLE)[number];

export interface ExplorerState {
  preset: string;
  dials: Dials;
  preserve: Preserve | null;
  unit: 'macs' | 'flops';
  /** Batch size for the training-memory estimate. */
  batch: number;
  view: ViewId;
  classroom: boolean;
  hide: Hideable[];
  /** Classroom: controls visible but not editable. */
  locked: boolean;
  /** tfjs backend for the compute worker: 'auto' picks by a measured probe. */
  backend: BackendChoice;
}

export const BACKEND_CHOICES = ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const DEFAULT_BATCH = 128;

export function defaultState(): ExplorerState {
  return {
    preset: DEFAULT_PRESET,
    dials: {},
    preserve: null,
    unit: 'macs',
    batch: DEFAULT_BATCH,
    view: 'layers',
    classroom: false,
    hide: [],
    locked: false,
    backend: 'auto',
  };
}
