/**
 * Which layers the layer table should open and highlight, set by a click elsewhere (a block in the
 * diagram). `seq` changes on every request, so asking for the same block twice scrolls to it again.
 */
import { create } from 'zustand';

export interface LayerFocus {
  /** Graph names: blocks, stages or ops. The table opens their ancestors and highlights their rows. */
  names: string[];
  seq: number;
}

interface LayerFocusStore {
  focus: LayerFocus | null;
  show: (names: string[]) => void;
}

export const useLayerFocus = create<LayerFocusStore>()((set, get) => ({
  focus: null,
  show: (names) => set({ focus: { names, seq: (get().focus?.seq ?? 0) + 1 } }),
}));

/** Whether the row named `row` is one of the focused layers or inside one. */
export const isFocused = (focus: LayerFocus | null, row: string): boolean => !!focus && focus.names.some((n) => row === n || row.startsWith(`${n}.`));

/** Rows to open so that every focused layer is visible: its ancestors (and itself, if it has children). */
export const rowsToOpen = (focus: LayerFocus, rows: readonly string[]): string[] =>
  rows.filter((r) => focus.names.some((n) => n === r || n.startsWith(`${r}.`)));
