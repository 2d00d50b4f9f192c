/**
 * The explorer store (zustand): the user's choices and the actions that change them. Derived
 * values (spec, graph, stats) are computed from it where they are shown, never stored.
 */
import { create } from 'zustand';
import { type ComplexityMetric, type ComplexityScope, currentCost, findPreset, solveBottleneckWidth } from '../models';
import { type Dataset, type DialKey, type Dials, specFromDials } from './dials';
import { type ExplorerState, type ViewId, defaultState } from './state';

export interface ExplorerStore extends ExplorerState {
  notices: string[];
  /** Replace everything (from the URL, or back/forward). */
  load: (state: ExplorerState, notices?: string[]) => void;
  selectPreset: (name: string) => void;
  setDial: <K extends DialKey>(key: K, value: Dials[K]) => void;
  setStageDial: (key: 'blocks' | 'planes', stage: number, value: number, current: number[]) => void;
  setDataset: (dataset: Dataset) => void;
  /** Sets C; with "preserve complexity" on, also solves d to keep the budget. */
  setCardinality: (cardinality: number) => void;
  setPreserve: (mode: { scope: ComplexityScope; metric: ComplexityMetric } | null) => void;
  setUnit: (unit: 'macs' | 'flops') => void;
  setBatch: (batch: number) => void;
  setView: (view: ViewId) => void;
  setClassroom: (on: boolean) => void;
  dismissNotice: (index: number) => void;
}

/** The spec preserve-complexity measures: the dialled model before compound scaling. */
function unscaledSpec(s: ExplorerState, dials: Dials = s.dials) {
  const preset = findPreset(s.preset);
  return preset ? specFromDials(preset, { ...dials, compound: false }) : undefined;
}

export const useExplorer = create<ExplorerStore>()((set, get) => ({
  ...defaultState(),
  notices: [],
  load: (state, notices = []) => set({ ...state, notices }),
  selectPreset: (name) => {
    if (!findPreset(name)) return;
    const { dataset, compound, phi, alpha, beta, gamma } = get().dials;
    // A new preset starts from its own table; the dataset and compound-scaling dials carry over.
    set({ preset: name, dials: { dataset, compound, phi, alpha, beta, gamma }, preserve: null });
  },
  setDial: (key, value) => set((s) => ({ dials: { ...s.dials, [key]: value } })),
  setStageDial: (key, stage, value, current) =>
    set((s) => {
      const values = [...current];
      values[stage] = value;
      return { dials: { ...s.dials, [key]: values } };
    }),
  setDataset: (dataset) => set((s) => ({ dials: { ...s.dials, dataset, resolution: undefined } })),
  setCardinality: (cardinality) =>
    set((s) => {
      const dials = { ...s.dials, cardinality };
      const spec = s.preserve && unscaledSpec(s, dials);
      if (s.preserve && spec?.family === 'resnet') dials.bottleneckWidth = solveBottleneckWidth(spec, cardinality, { ...s.preserve, value: s.preserve.target });
      return { dials };
    }),
  setPreserve: (mode) =>
    set((s) => {
      if (!mode) return { preserve: null };
      const spec = unscaledSpec(s);
      const target = spec?.family === 'resnet' ? currentCost(spec, mode.scope, mode.metric) : undefined;
      if (target === undefined) return { notices: [...s.notices, 'Preserve complexity needs a valid ResNet-family model.'] };
      return { preserve: { ...mode, target } };
    }),
  setUnit: (unit) => set({ unit }),
  setBatch: (batch) => set({ batch }),
  setView: (view) => set({ view }),
  setClassroom: (classroom) => set({ classroom }),
  dismissNotice: (index) => set((s) => ({ notices: s.notices.filter((_, i) => i !== index) })),
}));

/** The part of the store that goes into the URL. */
export function explorerState(s: ExplorerStore): ExplorerState {
  const { preset, dials, preserve, unit, batch, view, classroom, hide, locked, backend } = s;
  return { preset, dials, preserve, unit, batch, view, classroom, hide, locked, backend };
}
