/**
 * What the block-forms diagram shows (ResNeXt Fig. 3 and Fig. 4): the block read from the graph,
 * the paths drawn, the layers of each equivalent form with their labels, and the caption.
 * Where they go on the page is blockFormsLayout.ts.
 */
import { type BlockInfo, type GraphNode, opsOf } from '../../models';
import type { BoxKind } from './geometry';
import { convLabel, groupsLabel, joinNotes, strideLabel } from './labels';

export type FormId = 'a' | 'b' | 'c';

/** What BlockFormsDiagram needs to know about a residual block; read from a graph by `blockDiagramSpecFrom`. */
export interface BlockDiagramSpec {
  type: 'basic' | 'bottleneck';
  inChannels: number;
  outChannels: number;
  /** C: number of paths (groups of the 3x3). */
  cardinality: number;
  /** d: width of one path. */
  branchWidth: number;
  /** Stride of the block's strided 3x3 (1 or 2). */
  stride: number;
  /** How the shortcut is drawn. Default: identity when the shape is kept, projection otherwise. */
  shortcut?: BlockInfo['shortcut'];
}

/** Reads the block-forms spec from a ResNet-family block node; undefined for MBConv and non-blocks. */
export function blockDiagramSpecFrom(block: GraphNode): BlockDiagramSpec | undefined {
  const info = block.block;
  if (!info || info.type === 'mbconv' || info.groups < 1) return undefined;
  const first = opsOf(block).next();
  return {
    type: info.type,
    inChannels: first.done ? block.input.channels : first.value.input.channels,
    outChannels: block.output.channels,
    cardinality: info.groups,
    branchWidth: info.width / info.groups,
    stride: info.stride,
    shortcut: info.shortcut,
  };
}

/** The form the graph was built in (spec.form); 'c' where the block does not say. */
export const blockFormOf = (block: GraphNode): FormId => block.block?.form ?? 'c';

export type BranchSlot = { kind: 'branch'; index: number } | { kind: 'ellipsis' };

/**
 * Which of the C paths are drawn: all of them up to 4, else the first `leading` (3, or fewer where
 * space is short), "…", and the last, as the paper does.
 */
export function branchesToDraw(cardinality: number, leading = 3): BranchSlot[] {
  const c = Math.max(1, Math.floor(cardinality));
  if (c <= 4 && (c <= leading + 1 || leading >= 3)) return Array.from({ length: c }, (_, index) => ({ kind: 'branch', index }));
  const first = Math.max(1, Math.min(leading, c - 2));
  return [...Array.from({ length: first }, (_, index): BranchSlot => ({ kind: 'branch', index })), { kind: 'ellipsis' }, { kind: 'branch', index: c - 1 }];
}

export interface RowSpec {
  kind: BoxKind;
  label: string;
  note?: string;
}

export interface FormPlan {
  form: FormId;
  title: string;
  /** Layers repeated in every path (forms a, b); empty for one-path forms. */
  branchRows: RowSpec[];
  merge: 'sum' | 'concat' | 'none';
  /** Layers after the merge, drawn once. */
  afterRows: RowSpec[];
}

export const shortcutKind = (s: BlockDiagramSpec): BlockInfo['shortcut'] =>
  s.shortcut ?? (s.inChannels === s.outChannels && s.stride === 1 ? 'identity' : 'projection');

export function shortcutRows(s: BlockDiagramSpec): RowSpec[] {
  const stride = s.stride !== 1 ? strideLabel(s.stride) : undefined;
  switch (shortcutKind(s)) {
    case 'projection':
      return [{ kind: 'projection', label: convLabel(s.inChannels, 1, s.outChannels), note: joinNotes('projection', stride) }];
    case 'maxpool-projection':
      return [
        { kind: 'pool', label: '3x3 max pool', note: stride ?? 'stride 1' },
        { kind: 'projection', label: convLabel(s.inChannels, 1, s.outChannels), note: 'projection' },
      ];
    case 'maxpool':
      return [{ kind: 'pool', label: '3x3 max pool', note: stride ?? 'stride 1' }];
    default:
      return [];
  }
}

/** The layers of each form, labelled as in Fig. 3 (bottleneck) or Fig. 4 (basic block). */
export function formPlans(s: BlockDiagramSpec): FormPlan[] {
  const C = s.cardinality;
  const d = s.branchWidth;
  const wide = C * d;
  const stride = s.stride !== 1 ? strideLabel(s.stride) : undefined;
  if (s.type === 'basic') {
    return [
      {
        form: 'a',
        title: '(a) aggregated, depth 2',
        branchRows: [
          { kind: 'conv3x3', label: convLabel(s.inChannels, 3, d), note: stride },
          { kind: 'conv3x3', label: convLabel(d, 3, s.outChannels) },
        ],
        merge: 'sum',
        afterRows: [],
      },
      {
        // Fig. 4: with depth 2, early concatenation and grouping are trivial: one wide dense block.
        form: 'c',
        title: '(b), (c) wide dense block',
        branchRows: [],
        merge: 'none',
        afterRows: [
          { kind: 'conv3x3', label: convLabel(s.inChannels, 3, wide), note: stride },
          { kind: 'conv3x3', label: convLabel(wide, 3, s.outChannels) },
        ],
      },
    ];
  }
  return [
    {
      form: 'a',
      title: '(a) aggregated',
      branchRows: [
        { kind: 'conv1x1', label: convLabel(s.inChannels, 1, d) },
        { kind: 'conv3x3', label: convLabel(d, 3, d), note: stride },
        { kind: 'conv1x1', label: convLabel(d, 1, s.outChannels) },
      ],
      merge: 'sum',
      afterRows: [],
    },
    {
      form: 'b',
      title: '(b) early concatenation',
      branchRows: [
        { kind: 'conv1x1', label: convLabel(s.inChannels, 1, d) },
        { kind: 'conv3x3', label: convLabel(d, 3, d), note: stride },
      ],
      merge: 'concat',
      afterRows: [{ kind: 'conv1x1', label: convLabel(wide, 1, s.outChannels) }],
    },
    {
      form: 'c',
      title: '(c) grouped convolution',
      branchRows: [],
      merge: 'none',
      afterRows: [
        { kind: 'conv1x1', label: convLabel(s.inChannels, 1, wide) },
        { kind: 'grouped', label: convLabel(wide, 3, wide), note: joinNotes(groupsLabel(C), stride) },
        { kind: 'conv1x1', label: convLabel(wide, 1, s.outChannels) },
      ],
    },
  ];
}

/** Which form box the highlight goes to: for a basic block (b) and (c) are the one wide block. */
export const highlightedForm = (spec: BlockDiagramSpec, active: FormId): FormId => (spec.type === 'basic' && active === 'b' ? 'c' : active);

export function blockFormsCaption(s: BlockDiagramSpec, active: FormId): string {
  const C = s.cardinality;
  const d = s.branchWidth;
  if (s.type === 'basic') {
    return (
      `Depth-2 block (ResNeXt Fig. 4): C = ${C} paths of width d = ${d} add up to one wide dense block of C·d = ${C * d} channels; ` +
      `the reformulation is non-trivial only from depth 3 on. The model is built in form (${active}).`
    );
  }
  return `Three equivalent forms of one ResNeXt block (Fig. 3): C = ${C} paths of width d = ${d}, C·d = ${C * d}. The model is built in form (${active}).`;
}
