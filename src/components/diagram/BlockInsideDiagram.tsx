/**
 * Blocks without equivalent forms drawn from the inside, like the block forms: EfficientNet's MBConv
 * (expand, depthwise, squeeze-excitation, project) and iResNet's ResStage start, middle and end
 * blocks, side by side. A box opens its layers in the layer table.
 */
import { type KeyboardEvent, type Ref, useId, useMemo } from 'react';
import type { InsidePanel } from '../../viz/diagram/blockInside';
import { type PanelLayout, layoutBlockInside } from '../../viz/diagram/blockInsideLayout';
import type { DiagramBox } from '../../viz/diagram/geometry';
import { Box, Edge, Merge, Multiply } from './svgParts';
import './diagram.css';

export interface BlockInsideDiagramProps {
  panels: InsidePanel[];
  /** The chosen block's name: its panel is highlighted. */
  active: string;
  title: string;
  caption?: string;
  maxWidth?: number;
  /** A box (or a panel's title) was chosen: the graph names of its layers. */
  onOpenLayers?: (names: string[]) => void;
  ref?: Ref<SVGSVGElement>;
}

export function BlockInsideDiagram({ panels, active, title, caption, maxWidth, onOpenLayers, ref }: BlockInsideDiagramProps) {
  const layout = useMemo(() => layoutBlockInside(panels, active, { maxWidth, caption }), [panels, active, maxWidth, caption]);
  const id = useId();
  return (
    <svg
      ref={ref}
      className="diagram"
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      width={layout.width}
      height={layout.height}
      role="group"
      aria-labelledby={`${id}-title`}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id={`${id}-title`}>{title}</title>
      <rect x={0} y={0} width={layout.width} height={layout.height} fill="#ffffff" />
      {layout.panels.map((p) => (
        <Panel key={p.name} panel={p} onOpenLayers={onOpenLayers} />
      ))}
      {layout.caption.lines.map((line, i) => (
        <text key={i} className="d-caption" x={layout.caption.x} y={layout.caption.y + i * layout.caption.lineHeight}>
          {line}
        </text>
      ))}
    </svg>
  );
}

const activate = (f: () => void) => (e: KeyboardEvent<SVGGElement>) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    f();
  }
};

function Panel({ panel, onOpenLayers }: { panel: PanelLayout; onOpenLayers?: (names: string[]) => void }) {
  const openBox = (b: DiagramBox) => (onOpenLayers && b.names?.length ? () => onOpenLayers(b.names!) : undefined);
  return (
    <g data-block={panel.name} aria-current={panel.active ? 'true' : undefined}>
      <rect className={panel.active ? 'd-panel d-panel-active' : 'd-panel'} x={panel.x} y={panel.y} width={panel.w} height={panel.h} rx={8} />
      {panel.edges.map((e) => (
        <Edge key={e.id} edge={e} />
      ))}
      {panel.boxes.map((b) => {
        const open = openBox(b);
        if (!open) return <Box key={b.id} box={b} />;
        return (
          <g key={b.id} className="d-open" role="button" tabIndex={0} aria-label={`${b.label}${b.note ? `, ${b.note}` : ''}: show ${b.names!.join(', ')} in the layer table`} onClick={open} onKeyDown={activate(open)}>
            <Box box={b} />
          </g>
        );
      })}
      {panel.merges.map((m) => (m.kind === 'multiply' ? <Multiply key={m.id} merge={m} /> : <Merge key={m.id} merge={m} />))}
      {panel.texts.map((t) =>
        t.kind === 'heading' && onOpenLayers ? (
          <text
            key={t.id}
            className="d-heading d-open"
            x={t.x}
            y={t.y}
            textAnchor={t.anchor}
            role="button"
            tabIndex={0}
            aria-label={`${t.text}: show the block in the layer table`}
            onClick={() => onOpenLayers([panel.name])}
            onKeyDown={activate(() => onOpenLayers([panel.name]))}
          >
            {t.text}
          </text>
        ) : (
          <text
            key={t.id}
            className={`d-${t.kind === 'shortcut' ? 'shortcut-label' : t.kind}`}
            x={t.x}
            y={t.y}
            textAnchor={t.anchor}
            transform={t.rotate ? `rotate(${t.rotate} ${t.x} ${t.y})` : undefined}
          >
            {t.text}
          </text>
        ),
      )}
    </g>
  );
}
