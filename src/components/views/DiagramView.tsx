/**
 * The network as stages and blocks (expandable), and the chosen ResNeXt block drawn in its three
 * equivalent forms (Fig. 3; Fig. 4 for depth-2 blocks), updating with C and d. Both export as SVG and PNG.
 */
import { useMemo, useRef, useState } from 'react';
import type { BlockForm, GraphNode, NetworkGraph } from '../../models';
import { BlockFormsDiagram } from '../diagram/BlockFormsDiagram';
import { NetworkDiagram } from '../diagram/NetworkDiagram';
import { svgToPngBlob, svgToString } from '../diagram/exportSvg';
import { blockDiagramSpecFrom } from '../../viz/diagram/blockForms';
import { downloadBlob, downloadText } from '../download';

function blocksOf(graph: NetworkGraph): GraphNode[] {
  return graph.children.flatMap((stage) => (stage.kind === 'node' ? stage.children.filter((b): b is GraphNode => b.kind === 'node' && b.level === 'block') : []));
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

export function DiagramView({ graph, form, modelName }: { graph: NetworkGraph; form: BlockForm | undefined; modelName: string }) {
  const blocks = useMemo(() => blocksOf(graph).filter((b) => blockDiagramSpecFrom(b) !== undefined), [graph]);
  // Default: conv2's second block, the template block of ResNeXt Table 2 (256-d in and out).
  const [chosen, setChosen] = useState<string | null>(null);
  const block = blocks.find((b) => b.name === chosen) ?? blocks[1] ?? blocks[0];
  const blockSpec = block && blockDiagramSpecFrom(block);
  const networkRef = useRef<SVGSVGElement>(null);
  const blockRef = useRef<SVGSVGElement>(null);
  return (
    <section aria-label="Diagram" className="diagram-view">
      {blockSpec && block && (
        <figure className="diagram-figure" data-testid="block-forms">
          <figcaption>
            <label className="field inline">
              <span>Block</span>
              <select value={block.name} onChange={(e) => setChosen(e.target.value)}>
                {blocks.map((b) => (
                  <option key={b.name} value={b.name}>
                    {b.name} ({b.input.channels}→{b.output.channels}
                    {b.block && b.block.stride > 1 ? ', stride 2' : ''})
                  </option>
                ))}
              </select>
            </label>{' '}
            in its equivalent forms (ResNeXt Fig. {blockSpec.type === 'basic' ? '4' : '3'})
          </figcaption>
          <BlockFormsDiagram ref={blockRef} block={blockSpec} activeForm={form ?? 'c'} />
          <ExportButtons target={blockRef} name={`${modelName}-${block.name}-forms`} />
        </figure>
      )}
      <figure className="diagram-figure" data-testid="network-diagram">
        <figcaption>The network, stage by stage (box width: share of MACs). Open a stage to see its blocks.</figcaption>
        <NetworkDiagram ref={networkRef} graph={graph} />
        <ExportButtons target={networkRef} name={`${modelName}-network`} />
      </figure>
    </section>
  );
}
