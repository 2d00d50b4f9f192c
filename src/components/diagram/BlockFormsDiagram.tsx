/**
 * One ResNeXt block in its equivalent forms, side by side as in the paper's Fig. 3: (a) aggregated
 * residual transformations, (b) early concatenation, (c) grouped convolution. A basic (depth-2)
 * block is drawn as Fig. 4: C two-layer paths, and the single wide dense block they amount to.
 */
import { type Ref, useId, useMemo } from 'react';
import { type BlockDiagramSpec, type FormId, highlightedForm } from '../../viz/diagram/blockForms';
import { type FormLayout, layoutBlockForms } from '../../viz/diagram/blockFormsLayout';
import { Box, Edge, Merge } from './svgParts';
import './diagram.css';

export interface BlockFormsDiagramProps {
  block: BlockDiagramSpec;
  /** The form the model is built in (spec.form); highlighted. Default 'c'. */
  activeForm?: FormId;
  /** Accessible name; default describes the block. */
  title?: string;
  className?: string;
  /** The <svg>, for exportSvg's svgToString / svgToPngBlob. */
  ref?: Ref<SVGSVGElement>;
  /** Width available in px: the layout fits it (fewer paths drawn, then forms in rows); text keeps its size. */
  maxWidth?: number;
}

export function BlockFormsDiagram({ block, activeForm = 'c', title, className, ref, maxWidth }: BlockFormsDiagramProps) {
  const layout = useMemo(() => layoutBlockForms(block, activeForm, { maxWidth }), [block, activeForm, maxWidth]);
  const highlight = highlightedForm(block, activeForm);
  const id = useId();
  const name =
    title ??
    `${block.type === 'basic' ? 'Basic' : 'Bottleneck'} block, ${block.inChannels} to ${block.outChannels} channels, C = ${block.cardinality}, d = ${block.branchWidth}, in its equivalent forms`;
  return (
    <svg
      ref={ref}
      className={className ? `diagram ${className}` : 'diagram'}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      width={layout.width}
      height={layout.height}
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id={`${id}-title`}>{name}</title>
      <desc id={`${id}-desc`}>{layout.caption.lines.join(' ')}</desc>
      <rect x={0} y={0} width={layout.width} height={layout.height} fill="#ffffff" />
      {layout.forms.map((form) => (
        <Form key={form.form} form={form} active={form.form === highlight} />
      ))}
      {layout.caption.lines.map((line, i) => (
        <text key={i} className="d-caption" x={layout.caption.x} y={layout.caption.y + i * layout.caption.lineHeight}>
          {line}
        </text>
      ))}
    </svg>
  );
}

function Form({ form, active }: { form: FormLayout; active: boolean }) {
  return (
    <g data-form={form.form} aria-current={active ? 'true' : undefined}>
      <rect className={active ? 'd-panel d-panel-active' : 'd-panel'} x={form.x} y={form.y} width={form.w} height={form.h} rx={8} />
      {form.edges.map((e) => (
        <Edge key={e.id} edge={e} />
      ))}
      {form.boxes.map((b) => (
        <Box key={b.id} box={b} />
      ))}
      {form.merges.map((m) => (
        <Merge key={m.id} merge={m} />
      ))}
      {form.texts.map((t) => (
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
      ))}
    </g>
  );
}
