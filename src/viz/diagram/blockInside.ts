/**
 * The inside of a block that has no equivalent forms to show: EfficientNet's MBConv (expand,
 * depthwise, squeeze-excitation, project) and iResNet's ResStage blocks (start, middle, end: where
 * BN and ReLU sit, Duta et al. Fig. 2), read from the graph. A conv carries the BN and activation
 * that follow it in its note; a BN or activation with no conv before it is a box of its own, which
 * is what tells a ResStage start block from a middle or end block.
 */
import { type GraphItem, type GraphNode, type Op, opsOf } from '../../models';
import type { BoxKind } from './geometry';
import { convLabel, groupsLabel, joinNotes, strideLabel } from './labels';
import { blockSignature } from './networkStages';

export interface InsideRow {
  id: string;
  kind: BoxKind;
  label: string;
  note?: string;
  /** The graph ops the box stands for. */
  names: string[];
}

/** A step down the block's main path: a box, or a gate (SE) that forks off and multiplies back in. */
export type InsideStep = { type: 'row'; row: InsideRow } | { type: 'gate'; label: string; rows: InsideRow[] };

export interface InsidePanel {
  /** The block's graph name, e.g. `layer2.0`. */
  name: string;
  title: string;
  inChannels: number;
  outChannels: number;
  steps: InsideStep[];
  /** The shortcut's boxes (empty for identity); undefined when the block has no shortcut. */
  shortcut?: { kind: string; rows: InsideRow[] };
  /** Boxes after the shortcut addition (iResNet's end block: BN, ReLU). */
  afterAdd: InsideRow[];
}

const ACT: Record<string, string> = { relu: 'ReLU', silu: 'SiLU', sigmoid: 'sigmoid', batchnorm: 'BN' };

function convKind(op: Op): BoxKind {
  const g = op.groups ?? 1;
  if (g > 1 && g === op.input.channels && g === op.output.channels) return 'depthwise';
  if (g > 1) return 'grouped';
  return (op.kernel ?? 1) === 1 ? 'conv1x1' : 'conv3x3';
}

/** Reads a sequence of graph items into boxes; MBConv names its convs expand / depthwise / project. */
function rowsOf(items: GraphItem[], mbconv: boolean, prefix: string): { rows: InsideRow[]; steps: InsideStep[]; shortcut?: InsideRow[]; afterAdd: InsideRow[] } {
  const steps: InsideStep[] = [];
  const afterAdd: InsideRow[] = [];
  let shortcut: InsideRow[] | undefined;
  let added = false;
  /** Post-ops (BN, activation) gathered for the last box, and whether that box is a conv. */
  let last: { row: InsideRow; post: string[]; conv: boolean } | undefined;
  let depthwiseSeen = false;
  const target = () => (added ? afterAdd : undefined);
  const flush = () => {
    if (!last) return;
    if (last.post.length) {
      if (last.conv) last.row.note = joinNotes(last.row.note, last.post.join(', '));
      else last.row.label = last.post.join(', ');
    }
    last = undefined;
  };
  const push = (row: InsideRow, conv: boolean) => {
    flush();
    last = { row, post: [], conv };
    const list = target();
    if (list) list.push(row);
    else steps.push({ type: 'row', row });
  };
  let n = 0;
  const id = () => `${prefix}${n++}`;
  for (const item of items) {
    if (item.kind === 'node') {
      flush();
      const inner = rowsOf(item.children, mbconv && item.branch !== 'gate', `${prefix}${item.branch ?? 'n'}${n++}-`);
      if (item.branch === 'shortcut') shortcut = inner.rows;
      else if (item.branch === 'gate') steps.push({ type: 'gate', label: item.label, rows: inner.rows });
      else for (const s of inner.steps) steps.push(s);
      continue;
    }
    switch (item.type) {
      case 'conv': {
        const kind = convKind(item);
        let role: string | undefined;
        if (mbconv && kind === 'depthwise') depthwiseSeen = true;
        else if (mbconv && kind === 'conv1x1' && !added) role = depthwiseSeen ? 'project' : 'expand';
        const groups = kind === 'depthwise' ? 'depthwise' : kind === 'grouped' ? groupsLabel(item.groups ?? 1) : undefined;
        const stride = (item.stride ?? 1) > 1 ? strideLabel(item.stride ?? 1) : undefined;
        push({ id: id(), kind, label: convLabel(item.input.channels, item.kernel ?? 1, item.output.channels), note: joinNotes(role, groups, stride), names: [item.name] }, true);
        break;
      }
      case 'batchnorm':
      case 'relu':
      case 'silu':
      case 'sigmoid': {
        const word = ACT[item.type] ?? item.type;
        if (!last) push({ id: id(), kind: 'norm', label: word, names: [] }, false);
        last!.post.push(word);
        last!.row.names.push(item.name);
        break;
      }
      case 'avgpool':
        push({ id: id(), kind: 'pool', label: 'global avg pool', names: [item.name] }, false);
        last!.post.push('global avg pool');
        break;
      case 'maxpool':
        push({ id: id(), kind: 'pool', label: `${item.kernel ?? 1}x${item.kernel ?? 1} max pool`, note: strideLabel(item.stride ?? 1), names: [item.name] }, false);
        last!.post.push(`${item.kernel ?? 1}x${item.kernel ?? 1} max pool`);
        break;
      case 'add':
        flush();
        added = true;
        break;
      case 'multiply':
        // Drawn as the gate's "×" node.
        flush();
        break;
      default:
        push({ id: id(), kind: 'norm', label: item.type, names: [item.name] }, false);
        last!.post.push(item.type);
    }
  }
  flush();
  const rows = steps.flatMap((s) => (s.type === 'row' ? [s.row] : s.rows));
  return { rows, steps, shortcut, afterAdd };
}

/** The inside of one block, as drawn. */
export function blockInsideFrom(block: GraphNode): InsidePanel {
  const info = block.block;
  const mbconv = info?.type === 'mbconv';
  const { steps, shortcut, afterAdd } = rowsOf(block.children, mbconv, '');
  const role = info && info.role !== 'standard' ? `${info.role} block` : undefined;
  const first = opsOf(block).next();
  const kind = info?.shortcut ?? 'none';
  return {
    name: block.name,
    title: role ? `${role} (${block.name})` : `${block.label} (${block.name})`,
    inChannels: first.done ? block.input.channels : first.value.input.channels,
    outChannels: block.output.channels,
    steps,
    shortcut: kind === 'none' ? undefined : { kind, rows: shortcut ?? [] },
    afterAdd,
  };
}

/** Blocks drawn as their equivalent forms (ResNeXt Fig. 3 / 4): ResNet-family blocks outside a ResStage. */
export const hasForms = (block: GraphNode): boolean => !!block.block && block.block.type !== 'mbconv' && block.block.role === 'standard';

/**
 * What to draw for a block without forms: one panel per distinct kind of block in its stage (the
 * first of each, in order: a ResStage's start, first middle, middle, end; an MBConv stage's first
 * block and its repeats), so the differences sit side by side like the forms do.
 */
export function insidePanelsFor(stage: GraphNode, chosen: GraphNode): { panels: InsidePanel[]; active: string } {
  const blocks = stage.children.filter((b): b is GraphNode => b.kind === 'node' && b.level === 'block');
  const seen = new Map<string, GraphNode>();
  for (const b of blocks) {
    const key = blockSignature(b).replace(/^[^|]*\|/, '');
    if (!seen.has(key)) seen.set(key, b);
  }
  const chosenKey = blockSignature(chosen).replace(/^[^|]*\|/, '');
  const firsts = [...seen.values()];
  const panels = firsts.map(blockInsideFrom);
  const activeBlock = seen.get(chosenKey) ?? chosen;
  if (!firsts.includes(activeBlock)) panels.push(blockInsideFrom(activeBlock));
  return { panels, active: activeBlock.name };
}
