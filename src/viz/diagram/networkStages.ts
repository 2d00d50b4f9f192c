/**
 * The network diagram's content: stages read from the graph, their blocks (runs of identical blocks
 * folded), and the titles and counts written on them.
 */
import { type BlockInfo, type GraphItem, type GraphNode, type NetworkGraph, type Op, formatShape, formatShort, opsOf } from '../../models';

export type ShareMetric = 'params' | 'macs';

/** One box inside an expanded stage: a block, a run of identical blocks, or (stem, head) one op. */
export interface StageItem {
  key: string;
  kind: 'block' | 'op';
  /** Graph names it covers: one, or the first and last of a run. */
  names: string[];
  count: number;
  /** First line: role / type, e.g. "bottleneck", "start", "MBConv6, k5x5", "conv 7x7, 64". */
  title: string;
  /** Further lines: stride and shortcut kind, the size of a run. */
  details: string[];
}

export interface StageSummary {
  name: string;
  label: string;
  output: string;
  /** Number of residual blocks (0 for the stem and the head, which hold plain layers). */
  blocks: number;
  layers: number;
  params: number;
  macs: number;
  items: StageItem[];
}

/** Consecutive equal keys merged into runs: [a, a, b, a] -> [a x2, b x1, a x1]. */
export function collapseRuns<T>(items: readonly T[], keyOf: (item: T) => string): { item: T; count: number; start: number }[] {
  const runs: { item: T; count: number; start: number; key: string }[] = [];
  items.forEach((item, i) => {
    const key = keyOf(item);
    const last = runs[runs.length - 1];
    if (last && last.key === key) last.count++;
    else runs.push({ item, count: 1, start: i, key });
  });
  return runs.map(({ item, count, start }) => ({ item, count, start }));
}

/** Two blocks are identical when they run the same ops on the same shapes (names aside). */
export function blockSignature(block: GraphNode): string {
  const ops = [...opsOf(block)].map((o) => `${o.type}:${o.kernel ?? ''}:${o.stride ?? ''}:${o.groups ?? ''}:${formatShape(o.input)}>${formatShape(o.output)}`);
  return `${block.label}|${ops.join(',')}`;
}

export function shortcutLabel(kind: BlockInfo['shortcut']): string {
  return kind === 'none' ? 'no shortcut' : kind;
}

/** iResNet: the first Middle block of a stage starts with ReLU, not BN (Duta et al., ResStage). */
function startsWithRelu(block: GraphNode): boolean {
  const first = opsOf(block).next();
  return !first.done && first.value.type === 'relu';
}

export function blockTitle(block: GraphNode): string {
  const info = block.block;
  if (!info || info.type === 'mbconv') return block.label;
  if (info.role === 'standard') return info.type;
  return info.role === 'middle' && startsWithRelu(block) ? 'middle, no first BN' : info.role;
}

/** Stride (when not 1) and shortcut kind, one line each so the block boxes stay narrow. */
export function blockDetails(block: GraphNode): string[] {
  const info = block.block;
  if (!info) return [formatShape(block.output)];
  return [...(info.stride !== 1 ? [`stride ${info.stride}`] : []), shortcutLabel(info.shortcut)];
}

/** "conv 7x7, 64, /2", "maxpool 3x3, /2", "fc 2048→1000": one op of a stem or head. */
export function opTitle(op: Op): string {
  const s = op.stride && op.stride !== 1 ? `, /${op.stride}` : '';
  switch (op.type) {
    case 'conv':
      return `conv ${op.kernel}x${op.kernel}, ${op.output.channels}${s}`;
    case 'maxpool':
      return `maxpool ${op.kernel}x${op.kernel}${s}`;
    case 'avgpool':
      return 'global avg pool';
    case 'linear':
      return `fc ${op.input.channels * op.input.height * op.input.width}→${op.output.channels}`;
    default:
      return op.type;
  }
}

const isBlock = (item: GraphItem): item is GraphNode => item.kind === 'node' && item.level === 'block';

/** Stage boxes to draw; blocks of stages longer than `maxShown` are folded into runs of identical blocks. */
export function summarizeStages(graph: NetworkGraph, maxShown = 8): StageSummary[] {
  return graph.children
    .filter((c): c is GraphNode => c.kind === 'node')
    .map((stage) => {
      let params = 0;
      let macs = 0;
      let layers = 0;
      for (const op of opsOf(stage)) {
        params += op.params;
        macs += op.macs;
        layers++;
      }
      const blocks = stage.children.filter(isBlock);
      let items: StageItem[];
      if (blocks.length) {
        const runs =
          blocks.length > maxShown ? collapseRuns(blocks, blockSignature) : blocks.map((item, start) => ({ item, count: 1, start }));
        items = runs.map(({ item, count, start }) => {
          const last = blocks[start + count - 1] ?? item;
          return {
            key: item.name,
            kind: 'block',
            names: count > 1 ? [item.name, last.name] : [item.name],
            count,
            title: blockTitle(item),
            details: [...blockDetails(item), ...(count > 1 ? [`× ${count} identical blocks`] : [])],
          };
        });
      } else {
        items = [...opsOf(stage)].map((op) => ({
          key: op.name,
          kind: 'op',
          names: [op.name],
          count: 1,
          title: opTitle(op),
          details: [formatShape(op.output)],
        }));
      }
      return { name: stage.name, label: stage.label, output: formatShape(stage.output), blocks: blocks.length, layers, params, macs, items };
    });
}

export const stageCountText = (s: StageSummary): string =>
  s.blocks ? `${s.blocks} ${s.blocks === 1 ? 'block' : 'blocks'}` : `${s.layers} ${s.layers === 1 ? 'layer' : 'layers'}`;

export function shareText(share: number, metric: ShareMetric): string {
  const percent = share > 0 && share < 0.0005 ? '<0.1' : (100 * share).toFixed(1);
  return `${percent}% of ${metric === 'macs' ? 'MACs' : 'params'}`;
}

export const countsText = (s: StageSummary): string => `${formatShort(s.macs)} MACs · ${formatShort(s.params)} params`;

/** The graph names a stage item stands for: its block or op, or every block of a folded run. */
export function itemLayerNames(item: StageItem): string[] {
  const [first, last] = [item.names[0], item.names[item.names.length - 1]];
  if (item.count <= 1 || !first || !last) return item.names;
  const m = /^(.*\.)(\d+)$/.exec(first);
  const n = /^(.*\.)(\d+)$/.exec(last);
  if (!m || !n || m[1] !== n[1]) return item.names;
  return Array.from({ length: Number(n[2]) - Number(m[2]) + 1 }, (_, i) => `${m[1]}${Number(m[2]) + i}`);
}
