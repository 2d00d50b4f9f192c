import { useEffect, useMemo, useState } from 'react';
import { type GraphNode, type LayerRow, type NetworkGraph, formatInt, rowsToCsv, rowsToMarkdown } from '../../models';
import { isFocused, rowsToOpen, useLayerFocus } from '../../store/layerFocus';
import { copyText, downloadText } from '../download';

type SortKey = 'params' | 'macs' | 'activations';
const FLAT_LIMIT = 500;

/** The block's branch-conv formula with the numbers plugged in, e.g. 32·(256·4 + 9·4² + 4·256) = 70,144. */
function blockFormula(node: GraphNode): string | undefined {
  const b = node.block;
  if (!b || b.type === 'mbconv') return undefined;
  const cin = node.input.channels;
  const out = node.output.channels;
  const G = b.groups;
  const d = b.width / G;
  const value = b.type === 'bottleneck' ? G * (cin * d + 9 * d * d + d * out) : G * (9 * cin * d + 9 * d * out);
  const text = b.type === 'bottleneck' ? `${G}·(${cin}·${d} + 9·${d}² + ${d}·${out})` : `${G}·(9·${cin}·${d} + 9·${d}·${out})`;
  return `${text} = ${formatInt(value)} (branch convs)`;
}

function blockFormulas(graph: NetworkGraph): Map<string, string> {
  const map = new Map<string, string>();
  const visit = (n: GraphNode) => {
    const f = blockFormula(n);
    if (f) map.set(n.name, f);
    for (const c of n.children) if (c.kind === 'node') visit(c);
  };
  visit(graph);
  return map;
}

/** Index of each row's parent in the pre-order row list (-1 for stages). */
function parents(rows: LayerRow[]): number[] {
  const stack: number[] = [];
  return rows.map((r, i) => {
    while (stack.length > r.depth) stack.pop();
    const parent = stack.length ? (stack[stack.length - 1] as number) : -1;
    stack.push(i);
    return parent;
  });
}

interface Props {
  graph: NetworkGraph;
  rows: LayerRow[];
  unit: 'macs' | 'flops';
  modelName: string;
}

/**
 * Collapsible stage -> block -> op table with shapes, groups, params, MACs and formulas. Sort, filter, copy.
 * Narrow columns fold in priority order (styles.css: formula first, then type and kernel); the
 * exports and "Copy visible rows" keep every column.
 */
export function LayerTable({ graph, rows, unit, modelName }: Props) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean } | null>(null);
  const [copied, setCopied] = useState<string>('');
  const parentOf = useMemo(() => parents(rows), [rows]);
  const formulas = useMemo(() => blockFormulas(graph), [graph]);
  // Layers asked for elsewhere (a block clicked in the diagram): opened and highlighted, then scrolled to.
  const focus = useLayerFocus((s) => s.focus);
  const [focusSeen, setFocusSeen] = useState<number | undefined>(undefined);
  if (focus && focus.seq !== focusSeen) {
    setFocusSeen(focus.seq);
    setFilter('');
    setSort(null);
    setExpanded((prev) => new Set([...prev, ...rowsToOpen(focus, rows.map((r) => r.name))]));
  }
  useEffect(() => {
    if (!focus) return;
    const frame = requestAnimationFrame(() => document.getElementById(`layer-${focus.names[0]}`)?.scrollIntoView({ block: 'start' }));
    return () => cancelAnimationFrame(frame);
  }, [focus]);

  const flat = filter.trim() !== '' || sort !== null;
  const visible = useMemo(() => {
    if (!flat) {
      const open = (i: number): boolean => {
        const p = parentOf[i] ?? -1;
        return p < 0 || (expanded.has((rows[p] as LayerRow).name) && open(p));
      };
      return rows.filter((_, i) => open(i));
    }
    const q = filter.trim().toLowerCase();
    let list = rows.filter((r) => r.level === 'op' && (q === '' || r.name.toLowerCase().includes(q) || r.type.includes(q)));
    if (sort) list = [...list].sort((a, b) => (sort.desc ? b[sort.key] - a[sort.key] : a[sort.key] - b[sort.key]));
    return list;
  }, [flat, filter, sort, rows, parentOf, expanded]);
  const shown = flat ? visible.slice(0, FLAT_LIMIT) : visible;

  const toggle = (name: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const expandAll = (level: 'stage' | 'block' | 'none') =>
    setExpanded(new Set(level === 'none' ? [] : rows.filter((r) => r.level === 'stage' || (level === 'block' && r.level === 'block')).map((r) => r.name)));
  const sortBy = (key: SortKey) => setSort((s) => (s?.key === key ? (s.desc ? { key, desc: false } : null) : { key, desc: true }));
  const arrow = (key: SortKey) => (sort?.key === key ? (sort.desc ? ' ▼' : ' ▲') : '');
  const ariaSort = (key: SortKey) => (sort?.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none');
  const computeLabel = unit === 'macs' ? 'MACs' : 'FLOPs';
  const compute = (r: LayerRow) => (unit === 'macs' ? r.macs : r.flops);

  return (
    <section aria-label="Layer table" className="layer-table">
      <div className="table-tools">
        <label className="field">
          <span>Filter layers</span>
          <input type="search" value={filter} placeholder="e.g. conv2, downsample, linear" onChange={(e) => setFilter(e.target.value)} />
        </label>
        <button type="button" onClick={() => expandAll('stage')}>
          Expand stages
        </button>
        <button type="button" onClick={() => expandAll('block')}>
          Expand blocks
        </button>
        <button type="button" onClick={() => expandAll('none')}>
          Collapse
        </button>
        <button
          type="button"
          onClick={async () => setCopied((await copyText(rowsToMarkdown(visible))) ? 'Copied as Markdown' : 'Copy failed: clipboard unavailable')}
        >
          Copy visible rows
        </button>
        <button type="button" onClick={() => downloadText(rowsToCsv(rows), `${modelName}-layers.csv`, 'text/csv')}>
          Export CSV
        </button>
        <button type="button" onClick={() => downloadText(rowsToMarkdown(rows), `${modelName}-layers.md`, 'text/markdown')}>
          Export Markdown
        </button>
        <span role="status" className="hint">
          {copied}
        </span>
      </div>
      {flat && visible.length > FLAT_LIMIT && (
        <p className="hint">
          Showing the first {FLAT_LIMIT} of {formatInt(visible.length)} layers.
        </p>
      )}
      <div className="table-scroll">
        <table className="layers" data-testid="layer-table">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col" className="col-type">
                Type
              </th>
              <th scope="col">Output</th>
              <th scope="col" className="num col-kernel">
                k / s
              </th>
              <th scope="col" className="num">
                Groups
              </th>
              <th scope="col" className="num" aria-sort={ariaSort('params')}>
                <button type="button" onClick={() => sortBy('params')}>
                  Params{arrow('params')}
                </button>
              </th>
              <th scope="col" className="num" aria-sort={ariaSort('macs')}>
                <button type="button" onClick={() => sortBy('macs')}>
                  {computeLabel}
                  {arrow('macs')}
                </button>
              </th>
              <th scope="col" className="col-formula">
                Formula
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const isNode = r.level !== 'op';
              const open = expanded.has(r.name);
              return (
                <tr
                  key={r.name}
                  id={`layer-${r.name}`}
                  className={`level-${r.level}${isFocused(focus, r.name) ? ' focused' : ''}`}
                  style={isFocused(focus, r.name) ? { boxShadow: 'inset 4px 0 0 #0072b2', background: '#eaf4fb' } : undefined}
                >
                  <th scope="row" style={{ paddingLeft: `${0.5 + (flat ? 0 : r.depth) * 1.1}rem` }}>
                    {isNode && !flat ? (
                      <button type="button" className="expander" aria-expanded={open} onClick={() => toggle(r.name)}>
                        {open ? '▾' : '▸'} {r.level === 'stage' ? r.label : r.name}
                      </button>
                    ) : (
                      <span className="op-name">{flat ? r.name : r.name.split('.').pop()}</span>
                    )}
                  </th>
                  <td className="col-type">{r.level === 'op' ? r.type : r.level === 'stage' ? r.name : r.label}</td>
                  <td className="shape">{r.outputShape}</td>
                  <td className="num col-kernel">{r.kernel ? `${r.kernel}×${r.kernel} / ${r.stride ?? 1}` : ''}</td>
                  <td className="num">{r.groups && r.groups > 1 ? r.groups : ''}</td>
                  <td className="num">{r.params ? formatInt(r.params) : '–'}</td>
                  <td className="num">{compute(r) ? formatInt(compute(r)) : '–'}</td>
                  <td className="formula-cell col-formula">{r.level === 'op' ? (r.paramsFormula ?? '') : (formulas.get(r.name) ?? '')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
