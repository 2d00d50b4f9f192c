/**
 * The network as a vertical sequence of stages (stem, conv2..conv5 or EfficientNet's stages, head).
 * Each box carries its label, output shape and block count; its width and fill grow with the stage's
 * share of MACs (or params). A stage opens, by click or Enter/Space, to show its blocks.
 */
import { type KeyboardEvent, type Ref, useId, useMemo, useState } from 'react';
import type { NetworkGraph } from '../../models';
import { type StageLayout, layoutNetwork } from '../../viz/diagram/networkLayout';
import { type ShareMetric, countsText, itemLayerNames, shareText, stageCountText, summarizeStages } from '../../viz/diagram/networkStages';
import { Edge } from './svgParts';
import './diagram.css';

export interface NetworkDiagramProps {
  graph: NetworkGraph;
  /** What box width and fill show: the stage's share of MACs (default) or of params. */
  metric?: ShareMetric;
  /** Stage names (graph node names, e.g. `layer3`) open at first. */
  defaultExpanded?: readonly string[];
  /** Stages with more blocks than this fold runs of identical blocks into one "× N" box. */
  maxBlocksShown?: number;
  className?: string;
  /** The <svg>, for exportSvg's svgToString / svgToPngBlob. */
  ref?: Ref<SVGSVGElement>;
  /** Width to lay out for, in px (1 viewBox unit is drawn as 1 px, so text keeps its size). */
  width?: number;
  /** A block (or stem/head layer) box was chosen: its graph names. */
  onOpenItem?: (names: string[]) => void;
}

export function NetworkDiagram({ graph, metric = 'macs', defaultExpanded, maxBlocksShown = 8, className, ref, width, onOpenItem }: NetworkDiagramProps) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(defaultExpanded));
  const stages = useMemo(() => summarizeStages(graph, maxBlocksShown), [graph, maxBlocksShown]);
  const inputLabel = `input ${graph.input.channels}x${graph.input.height}x${graph.input.width}`;
  const layout = useMemo(() => layoutNetwork(stages, { expanded, metric, inputLabel, width }), [stages, expanded, metric, inputLabel, width]);
  const id = useId();

  const toggle = (name: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(name)) next.add(name);
      return next;
    });

  return (
    <svg
      ref={ref}
      className={className ? `diagram ${className}` : 'diagram'}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      width={layout.width}
      height={layout.height}
      role="group"
      aria-labelledby={`${id}-title`}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id={`${id}-title`}>{`${graph.label}: stages, sized by share of ${metric === 'macs' ? 'MACs' : 'params'}`}</title>
      <rect x={0} y={0} width={layout.width} height={layout.height} fill="#ffffff" />
      <text className="d-io" x={layout.input.x} y={layout.input.y}>
        {layout.input.text}
      </text>
      {layout.edges.map((e) => (
        <Edge key={e.id} edge={e} />
      ))}
      {layout.stages.map((s) => (
        <Stage key={s.stage.name} s={s} metric={metric} detailId={`${id}-${s.stage.name}`} onToggle={toggle} onOpenItem={onOpenItem} textLeft={layout.text.left} lineH={layout.text.lineHeight} />
      ))}
    </svg>
  );
}

interface StageProps {
  s: StageLayout;
  metric: ShareMetric;
  detailId: string;
  textLeft: number;
  lineH: number;
  onToggle: (name: string) => void;
  onOpenItem?: (names: string[]) => void;
}

function Stage({ s, metric, detailId, textLeft, lineH, onToggle, onOpenItem }: StageProps) {
  const { stage } = s;
  const share = shareText(s.share, metric);
  const count = stageCountText(stage);
  const onKeyDown = (e: KeyboardEvent<SVGGElement>) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onToggle(stage.name);
    }
  };
  const top = s.y + s.h / 2 - 12.5;
  const bottom = s.y + s.h / 2 + 12.5;
  return (
    <>
      <g
        className="d-stage"
        role="button"
        tabIndex={0}
        aria-expanded={s.expanded}
        aria-controls={s.expanded ? detailId : undefined}
        aria-label={`${stage.label} (${stage.name}): output ${stage.output}, ${count}, ${share}. ${s.expanded ? 'Hide' : 'Show'} ${stage.blocks ? 'blocks' : 'layers'}`}
        onClick={() => onToggle(stage.name)}
        onKeyDown={onKeyDown}
      >
        <rect className="d-stage-box" x={s.x} y={s.y} width={s.w} height={s.h} rx={6} fillOpacity={0.1 + 0.38 * s.relative} />
        <rect className="d-focus" x={s.x - 4} y={s.y - 4} width={s.w + 8} height={s.h + 8} rx={9} />
        <text className="d-chevron" x={s.x + textLeft / 2} y={s.y + s.h / 2} textAnchor="middle" aria-hidden="true">
          {s.expanded ? '▾' : '▸'}
        </text>
        <text x={s.x + textLeft} y={top}>
          <tspan className="d-stage-label">{stage.label}</tspan>
          <tspan className="d-stage-name" dx={8}>
            {stage.name}
          </tspan>
        </text>
        <text className="d-label" x={s.x + textLeft} y={bottom}>
          {`${stage.output} · ${count}`}
        </text>
        <text className="d-stage-share" x={s.textX} y={top}>
          {share}
        </text>
        <text className="d-note" x={s.textX} y={bottom}>
          {countsText(stage)}
        </text>
      </g>
      {s.detail && (
        <g id={detailId} role="list" aria-label={`${stage.blocks ? 'Blocks' : 'Layers'} of ${stage.label}`}>
          <rect className="d-detail" x={s.detail.x} y={s.detail.y} width={s.detail.w} height={s.detail.h} rx={6} />
          {s.detail.edges.map((e) => (
            <Edge key={e.id} edge={e} />
          ))}
          {s.detail.items.map(({ item, x, y, w, h }) => {
            const lines = [item.title, ...item.details];
            const first = y + h / 2 - ((lines.length - 1) * lineH) / 2;
            return (
              <g key={item.key} role="listitem" aria-label={`${item.names.join(' to ')}: ${lines.join(', ')}`}>
                <title>{item.names.join(' … ')}</title>
                <g
                  className={onOpenItem ? 'd-open' : undefined}
                  role={onOpenItem ? 'button' : undefined}
                  tabIndex={onOpenItem ? 0 : undefined}
                  aria-label={onOpenItem ? `Show ${item.names.join(' to ')} in the layer table` : undefined}
                  onClick={onOpenItem && (() => onOpenItem(itemLayerNames(item)))}
                  onKeyDown={
                    onOpenItem &&
                    ((e: KeyboardEvent<SVGGElement>) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        onOpenItem(itemLayerNames(item));
                      }
                    })
                  }
                >
                <rect
                  className={`d-item${item.count > 1 ? ' d-item-run' : ''}${item.kind === 'op' ? ' d-item-op' : ''}`}
                  x={x}
                  y={y}
                  width={w}
                  height={h}
                  rx={4}
                />
                {lines.map((line, i) => (
                  <text key={i} className={i === 0 ? 'd-label' : 'd-note'} x={x + w / 2} y={first + i * lineH} textAnchor="middle">
                    {line}
                  </text>
                ))}
                </g>
              </g>
            );
          })}
        </g>
      )}
    </>
  );
}
