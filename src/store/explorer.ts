/**
 * The explorer store (zustand): the user's choices and the actions that change them. Derived
 * values (spec, graph, stats) are computed from it where they are shown, never stored.
 */
import { create } from 'zustand';
import { type ComplexityMetric, type ComplexityScope, analyze, currentCost, findPreset, solveBottleneckWidth } from '../models';
import { type Dataset, type DialKey, type Dials, specFromDials } from './dials';
import { type ExplorerState, type ViewId, defaultState } from './state';

export interface ExplorerStore extends ExplorerState {
  notices: string[];
  /**
   * The model a run is training, while it runs or is paused: the model dials (preset, dials,
   * preserve) keep still until it ends, so the totals and tables describe the model in training.
   * Not part of the URL.
   */
  dialLock: string | null;
  setDialLock: (name: string | null) => void;
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

/** The dials after setting C: with "preserve complexity" on, d is solved to keep the budget. */
function dialsWithCardinality(s: ExplorerState, cardinality: number): Dials {
  const dials = { ...s.dials, cardinality };
  const spec = s.preserve && unscaledSpec(s, dials);
  if (s.preserve && spec?.family === 'resnet') dials.bottleneckWidth = solveBottleneckWidth(spec, cardinality, { ...s.preserve, value: s.preserve.target });
  return dials;
}

/** The dials after setting one stage's blocks or planes. */
function dialsWithStage(s: ExplorerState, key: 'blocks' | 'planes', stage: number, value: number, current: number[]): Dials {
  const values = [...current];
  values[stage] = value;
  return { ...s.dials, [key]: values };
}

export const useExplorer = create<ExplorerStore>()((set, get) => ({
  ...defaultState(),
  notices: [],
  dialLock: null,
  // Unchanged: no update (a store update makes the URL sync write the link back).
  setDialLock: (dialLock) => set((s) => (s.dialLock === dialLock ? s : { dialLock })),
  // Back/forward during a run changes everything but the model it trains.
  load: (state, notices = []) => set((s) => (s.dialLock ? { ...state, preset: s.preset, dials: s.dials, preserve: s.preserve, notices } : { ...state, notices })),
  selectPreset: (name) => {
    if (!findPreset(name) || get().dialLock) return;
    const { dataset, compound, phi, alpha, beta, gamma } = get().dials;
    // A new preset starts from its own table; the dataset and compound-scaling dials carry over.
    set({ preset: name, dials: { dataset, compound, phi, alpha, beta, gamma }, preserve: null });
  },
  setDial: (key, value) => set((s) => (s.dialLock ? {} : { dials: { ...s.dials, [key]: value } })),
  setStageDial: (key, stage, value, current) => set((s) => (s.dialLock ? {} : { dials: dialsWithStage(s, key, stage, value, current) })),
  setDataset: (dataset) => set((s) => (s.dialLock ? {} : { dials: { ...s.dials, dataset, resolution: undefined } })),
  setCardinality: (cardinality) => set((s) => (s.dialLock ? {} : { dials: dialsWithCardinality(s, cardinality) })),
  setPreserve: (mode) =>
    set((s) => {
      if (s.dialLock) return {};
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

/**
 * Why a typed dial value is refused: the model on screen builds and the one with `next` dials would
 * not (its validation messages, joined). Undefined accepts it, also when the model on screen is
 * already invalid, so a link with several bad values can be fixed one box at a time.
 */
export function refusalOf(s: ExplorerState, next: Dials): string | undefined {
  const preset = findPreset(s.preset);
  if (!preset || !analyze(specFromDials(preset, s.dials)).ok) return undefined;
  const after = analyze(specFromDials(preset, next));
  return after.ok ? undefined : after.errors.map((e) => e.message).join(' ');
}

/** Checks for the number boxes: would this value of a dial build? */
export const dialCheck = {
  dial: <K extends 'resolution' | 'bottleneckWidth' | 'phi' | 'alpha' | 'beta' | 'gamma'>(key: K) => (value: number) => {
    const s = useExplorer.getState();
    return refusalOf(s, { ...s.dials, [key]: value });
  },
  cardinality: (value: number) => {
    const s = useExplorer.getState();
    return refusalOf(s, dialsWithCardinality(s, value));
  },
  stage: (key: 'blocks' | 'planes', stage: number, current: number[]) => (value: number) => {
    const s = useExplorer.getState();
    return refusalOf(s, dialsWithStage(s, key, stage, value, current));
  },
};
