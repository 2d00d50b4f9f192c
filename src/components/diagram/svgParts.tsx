/** Small SVG pieces shared by the diagrams: edges with arrowheads, labelled boxes, "+" nodes. */
import { type DiagramBox, type DiagramEdge, type DiagramMerge, type Point, arrowHead } from '../../viz/diagram/geometry';

const pts = (points: Point[]): string => points.map((p) => `${round(p.x)},${round(p.y)}`).join(' ');
const round = (v: number): number => Math.round(v * 10) / 10;

export function Edge({ edge }: { edge: DiagramEdge }) {
  const { points } = edge;
  const to = points[points.length - 1];
  const from = points[points.length - 2];
  const shortcut = edge.kind === 'shortcut';
  if (!edge.arrow || !to || !from) return <polyline className={shortcut ? 'd-edge-shortcut' : 'd-edge'} points={pts(points)} />;
  const head = arrowHead(from, to);
  return (
    <g>
      <polyline className={shortcut ? 'd-edge-shortcut' : 'd-edge'} points={pts([...points.slice(0, -1), head.base])} />
      <polygon className={shortcut ? 'd-arrow-shortcut' : 'd-arrow'} points={pts(head.points)} />
    </g>
  );
}

export function Box({ box }: { box: DiagramBox }) {
  const cx = box.x + box.w / 2;
  const mid = box.y + box.h / 2;
  return (
    <g>
      <rect className={`d-box d-box-${box.kind}`} x={box.x} y={box.y} width={box.w} height={box.h} rx={4} />
      <text className="d-label" x={cx} y={box.note ? mid - 10 : mid} textAnchor="middle">
        {box.label}
      </text>
      {box.note && (
        <text className="d-note" x={cx} y={mid + 11} textAnchor="middle">
          {box.note}
        </text>
      )}
    </g>
  );
}

export function Merge({ merge }: { merge: DiagramMerge }) {
  return (
    <g>
      <circle className="d-merge" cx={merge.cx} cy={merge.cy} r={merge.r} />
      <path
        className="d-merge-sign"
        d={`M${merge.cx - merge.r * 0.6},${merge.cy}H${merge.cx + merge.r * 0.6}M${merge.cx},${merge.cy - merge.r * 0.6}V${merge.cy + merge.r * 0.6}`}
      />
    </g>
  );
}

/** "×" node: a gate (squeeze-excitation) multiplies the path. */
export function Multiply({ merge }: { merge: DiagramMerge }) {
  const k = merge.r * 0.45;
  return (
    <g>
      <circle className="d-merge" cx={merge.cx} cy={merge.cy} r={merge.r} />
      <path className="d-merge-sign" d={`M${merge.cx - k},${merge.cy - k}L${merge.cx + k},${merge.cy + k}M${merge.cx + k},${merge.cy - k}L${merge.cx - k},${merge.cy + k}`} />
    </g>
  );
}
