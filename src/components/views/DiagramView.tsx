/**
 * The chosen block drawn from the inside: a ResNeXt block in its three equivalent forms (Fig. 3;
 * Fig. 4 for depth-2 blocks), updating with C and d; an MBConv or ResStage block with the other kinds
 * of block of its stage beside it. Below, the network as stages and blocks (expandable). Text keeps
 * one size: the diagrams are drawn 1:1 and laid out for the width there is. A block or a box opens
 * its layers in the layer table. Both diagrams export as SVG and PNG.
 */
import { useMemo, useRef, useState } from 'react';
import type { BlockForm, GraphNode, NetworkGraph } from '../../models';
import { useExplorer } from '../../store/explorer';
import { useLayerFocus } from '../../store/layerFocus';
import { BlockFormsDiagram } from '../diagram/BlockFormsDiagram';
import { BlockInsideDiagram } from '../diagram/BlockInsideDiagram';
import { NetworkDiagram } from '../diagram/NetworkDiagram';
import { svgToPngBlob, svgToString } from '../diagram/exportSvg';
import { useContainerWidth } from '../diagram/useContainerWidth';
import { blockDiagramSpecFrom } from '../../viz/diagram/blockForms';
import { hasForms, insidePanelsFor } from '../../viz/diagram/blockInside';
import { downloadBlob, downloadText } from '../download';

function blocksOf(graph: NetworkGraph): { block: GraphNode; stage: GraphNode }[] {
  return graph.children.flatMap((stage) =>
    stage.kind === 'node' ? stage.children.filter((b): b is GraphNode => b.kind === 'node' && b.level === 'block').map((block) => ({ block, stage })) : [],
  );
}

function ExportButtons({ target, name }: { target: React.RefObject<SVGSVGElement | null>; name: string }) {
  const [error, setError] = useState('');
  return (
    <div className="table-tools">
      <button type="button" onClick={() => target.current && downloadText(svgToString(target.current), `${name}.svg`, 'image/svg+xml')}>
        Export SVG
      </button>
      <button
        type="button"
        onClick={async () => {
          if (!target.current) return;
          try {
            downloadBlob(await svgToPngBlob(target.current, 2), `${name}.png`);
            setError('');
          } catch (e) {
            setError(`PNG export failed: ${(e as Error).message}`);
          }
        }}
      >
        Export PNG
      </button>
      {error && <span role="alert">{error}</span>}
    </div>
  );
}

/** Opens layers in the layer table: switches to it, which opens, scrolls to and highlights them. */
function openLayers(names: string[]) {
  useLayerFocus.getState().show(names);
  useExplorer.getState().setView('layers');
}

const INSIDE_CAPTION: Record<string, string> = {
  mbconv:
    'MBConv (EfficientNet, MobileNetV2): a 1x1 conv expands the channels, a depthwise conv filters each channel, squeeze-excitation reweights the channels, a 1x1 conv projects back. Each kind of block of the stage, side by side.',
  resstage:
    'ResStage (iResNet, Duta et al.): the start block carries the stage’s downsampling and its last BN; middle blocks start with BN and ReLU (the first one with ReLU only); the end block adds BN and ReLU after the addition.',
};

export function DiagramView({ graph, form, modelName }: { graph: NetworkGraph; form: BlockForm | undefined; modelName: string }) {
  const blocks = useMemo(() => blocksOf(graph), [graph]);
  // Default: conv2's second block, the template block of ResNeXt Table 2 (256-d in and out).
  const [chosen, setChosen] = useState<string | null>(null);
  const entry = blocks.find((b) => b.block.name === chosen) ?? blocks[1] ?? blocks[0];
  const block = entry?.block;
  const blockSpec = block && hasForms(block) ? blockDiagramSpecFrom(block) : undefined;
  const inside = useMemo(() => (entry && !blockSpec ? insidePanelsFor(entry.stage, entry.block) : undefined), [entry, blockSpec]);
  const networkRef = useRef<SVGSVGElement>(null);
  const blockRef = useRef<SVGSVGElement>(null);
  const sectionRef = useRef<HTMLElement>(null);
  // The figures' padding and border (styles.css: .diagram-figure) leave this much less than the section.
  const width = Math.max(320, useContainerWidth(sectionRef) - 30);
  const insideKind = block?.block?.type === 'mbconv' ? 'mbconv' : 'resstage';
  return (
    <section aria-label="Diagram" className="diagram-view" ref={sectionRef}>
      {block && (
        <figure className="diagram-figure" data-testid={blockSpec ? 'block-forms' : 'block-inside'}>
          <figcaption>
            <label className="field inline">
              <span>Block</span>
              <select value={block.name} onChange={(e) => setChosen(e.target.value)}>
                {blocks.map(({ block: b }) => (
                  <option key={b.name} value={b.name}>
                    {b.name} ({b.input.channels}→{b.output.channels}
                    {b.block && b.block.stride > 1 ? ', stride 2' : ''})
                  </option>
                ))}
              </select>
            </label>{' '}
            {blockSpec ? `in its equivalent forms (ResNeXt\u00a0Fig.\u00a0${blockSpec.type === 'basic' ? '4' : '3'})` : insideKind === 'mbconv' ? 'inside: MBConv' : 'inside: ResStage blocks'}{' '}
            <button type="button" onClick={() => openLayers([block.name])}>
              Show its layers
            </button>
          </figcaption>
          <div className="diagram-scroll">
            {blockSpec ? (
              <BlockFormsDiagram ref={blockRef} block={blockSpec} activeForm={form ?? 'c'} maxWidth={width} />
            ) : (
              inside && (
                <BlockInsideDiagram
                  ref={blockRef}
                  panels={inside.panels}
                  active={inside.active}
                  title={`${block.name} and the other kinds of block of its stage, from the inside`}
                  caption={INSIDE_CAPTION[insideKind]}
                  maxWidth={width}
                  onOpenLayers={openLayers}
                />
              )
            )}
          </div>
          <ExportButtons target={blockRef} name={`${modelName}-${block.name}-${blockSpec ? 'forms' : 'inside'}`} />
        </figure>
      )}
      <figure className="diagram-figure" data-testid="network-diagram">
        <figcaption>The network, stage by stage (box width: share of MACs). Open a stage to see its blocks; a block opens its layers in the table.</figcaption>
        <div className="diagram-scroll">
          <NetworkDiagram ref={networkRef} graph={graph} width={width} onOpenItem={openLayers} />
        </div>
        <ExportButtons target={networkRef} name={`${modelName}-network`} />
      </figure>
    </section>
  );
}
