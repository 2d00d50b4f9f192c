/**
 * The model being explored. The store holds only what the user chose (the preset); the spec's
 * graph and stats are derived with `analyze` where they are shown, never stored.
 */
import { create } from 'zustand';
import { DEFAULT_PRESET, findPreset } from '../models';

interface SpecState {
  presetName: string;
  selectPreset: (name: string) => void;
}

export const useSpecStore = create<SpecState>()((set) => ({
  presetName: DEFAULT_PRESET,
  selectPreset: (name) => {
    if (findPreset(name)) set({ presetName: name });
  },
}));
