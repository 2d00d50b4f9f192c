/**
 * The papers' tables regenerated from the model code, next to the papers' own numbers.
 * Everything here is computed by `src/models` from the registry; only the "paper" columns are typed in.
 */
import { useMemo } from 'react';
import {
  type ArchSpec,
  type NetworkGraph,
  EFFICIENTNET_RELEASES,
  IRESNET_CLAIMS,
  RESNEXT_SHORTCUT_ABLATION,
  RESNEXT_TABLE2,
  RESNEXT_TABLE3,
  RESNEXT_TABLE4,
  type ResNetSpec,
  accuracyPointMacs,
  analyzeOrThrow,
  cardinalitySweep,
  findPreset,
  formatInt,
  formatShort,
  paperTableRows,
  templateBlockFormula,
  templateBlockParams,
} from '../../models';

const totalsOf = (spec: unknown) => analyzeOrThrow(spec, 'paper table model does not build');

const presetSpec = (name: string) => findPreset(name)!.spec;
const percent = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(2)}%`;


function Table1({ current }: { current: { spec: ArchSpec; graph: NetworkGraph } }) {
  const data = useMemo(() => {
    const r50 = totalsOf(presetSpec('resnet50'));
    const x50 = totalsOf(presetSpec('resnext50_32x4d'));
    return { r50, x50, rows50: paperTableRows(r50.spec, r50.graph), rowsX: paperTableRows(x50.spec, x50.graph) };
  }, []);
  const mine = current.spec.family === 'resnet' ? paperTableRows(current.spec, current.graph) : null;
  const mineTotals = totalsOf(current.spec).stats.totals;
  return (
    <table className="paper" data-testid="paper-table1">
      <caption>ResNeXt Table 1 — ResNet-50 vs ResNeXt-50 (32×4d), regenerated{mine ? ', and the model on screen' : ''}</caption>
      <thead>
        <tr>
          <th scope="col">stage</th>
          <th scope="col">output</th>
          <th scope="col">ResNet-50</th>
          <th scope="col">ResNeXt-50 (32×4d)</th>
          {mine && <th scope="col">{current.spec.name}</th>}
        </tr>
      </thead>
      <tbody>
        {data.rows50.map((row, i) => (
          <tr key={i}>
            <th scope="row">{row.stage}</th>
            <td>{row.output}</td>
            <td>{row.layers}</td>
            <td>{data.rowsX[i]?.layers}</td>
            {mine && <td>{mine[i]?.layers ?? ''}</td>}
          </tr>
        ))}
        <tr>
          <th scope="row">params</th>
          <td />
          <td>
            {formatInt(data.r50.stats.totals.params)} <span className="paper-value">paper 25.5×10⁶</span>
          </td>
          <td>
            {formatInt(data.x50.stats.totals.params)} <span className="paper-value">paper 25.0×10⁶</span>
          </td>
          {mine && <td>{formatInt(mineTotals.params)}</td>}
        </tr>
        <tr>
          <th scope="row">FLOPs (MACs)</th>
          <td />
          <td>
            {formatInt(data.r50.stats.totals.macs)} <span className="paper-value">paper 4.1×10⁹</span>
          </td>
          <td>
            {formatInt(data.x50.stats.totals.macs)} <span className="paper-value">paper 4.2×10⁹</span>
          </td>
          {mine && <td>{formatInt(mineTotals.macs)}</td>}
        </tr>
      </tbody>
    </table>
  );
}

function Table2() {
  const rows = useMemo(() => {
    const r50 = presetSpec('resnet50') as ResNetSpec;
    const target = { scope: 'block' as const, metric: 'params' as const, value: templateBlockParams(r50, 1, 64) };
    const solved = cardinalitySweep(r50, target, RESNEXT_TABLE2.map((r) => r.cardinality));
    return RESNEXT_TABLE2.map((paper, i) => ({ paper, solved: solved[i]!, formula: templateBlockFormula(r50, paper.cardinality, solved[i]!.bottleneckWidth) }));
  }, []);
  return (
    <table className="paper" data-testid="paper-table2">
      <caption>ResNeXt Table 2 — cardinality vs bottleneck width at ~70k params per conv2 block (d solved by the model code)</caption>
      <thead>
        <tr>
          <th scope="col">C</th>
          <th scope="col">d (paper)</th>
          <th scope="col">d (solved)</th>
          <th scope="col">C·d</th>
          <th scope="col">conv2 block params</th>
          <th scope="col" className="num">ResNet-50-style net MACs</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ paper, solved, formula }) => (
          <tr key={paper.cardinality}>
            <th scope="row">{paper.cardinality}</th>
            <td>{paper.bottleneckWidth}</td>
            <td>{solved.bottleneckWidth}</td>
            <td>{solved.groupedWidth}</td>
            <td className="formula-cell">{formula}</td>
            <td className="num">{formatInt(solved.macs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AccuracyTable() {
  const rows = useMemo(() => [...RESNEXT_TABLE3, ...RESNEXT_TABLE4].map((p) => ({ p, macs: accuracyPointMacs(p) })), []);
  return (
    <table className="paper" data-testid="paper-accuracy">
      <caption>ResNeXt Tables 3 and 4 — ImageNet-1K top-1 error with each model’s exact MACs</caption>
      <thead>
        <tr>
          <th scope="col">table</th>
          <th scope="col">model</th>
          <th scope="col" className="num">MACs (ours, exact)</th>
          <th scope="col" className="num">paper “FLOPs”</th>
          <th scope="col" className="num">top-1 err. %</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ p, macs }) => (
          <tr key={p.table + p.label}>
            <td>{p.table}</td>
            <th scope="row">{p.label}</th>
            <td className="num">{formatInt(macs)}</td>
            <td className="num">{formatShort(p.paperMacs)}</td>
            <td className="num">{p.top1Error.toFixed(1)}</td>
          </tr>
        ))}
        {RESNEXT_SHORTCUT_ABLATION.map((a) => (
          <tr key={a.model}>
            <td>Sec. 5.1</td>
            <th scope="row">{a.model} without shortcuts</th>
            <td className="num">{formatInt(totalsOf({ ...presetSpec(a.preset), shortcuts: false }).stats.totals.macs)}</td>
            <td className="num" />
            <td className="num">
              {a.withoutShortcuts.toFixed(1)} <span className="paper-value">(with: {a.withShortcuts.toFixed(1)})</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EfficientNetTable() {
  const rows = useMemo(() => EFFICIENTNET_RELEASES.map((r) => ({ r, t: totalsOf(presetSpec(r.name)).stats.totals })), []);
  return (
    <table className="paper" data-testid="paper-efficientnet">
      <caption>EfficientNet Table 2 — B0–B7: exact counts vs the paper</caption>
      <thead>
        <tr>
          <th scope="col">model</th>
          <th scope="col">width / depth / res</th>
          <th scope="col" className="num">params (ours, paper)</th>
          <th scope="col" className="num">MACs (ours, paper FLOPs)</th>
          <th scope="col" className="num">top-1 %</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ r, t }) => (
          <tr key={r.name}>
            <th scope="row">{r.name}</th>
            <td>
              {r.width} / {r.depth} / {r.resolution}
            </td>
            <td className="num">
              {formatInt(t.params)} <span className="paper-value">paper {formatShort(r.params)}</span>
            </td>
            <td className="num">
              {formatInt(t.macs)} <span className="paper-value">paper {formatShort(r.flops)}</span>
            </td>
            <td className="num">{r.top1.toFixed(1)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function IResNetTable() {
  const rows = useMemo(() => {
    const base = totalsOf(presetSpec('resnet50')).stats.totals;
    return ['resnet50', 'iresnet50', 'resgroupfix50', 'resgroup50'].map((name) => ({ name, t: totalsOf(presetSpec(name)).stats.totals, base }));
  }, []);
  return (
    <table className="paper" data-testid="paper-iresnet">
      <caption>iResNet — ResStage, improved shortcut and ResGroup vs ResNet-50 (paper: ResGroupFix-50 has ~{IRESNET_CLAIMS.resgroupfix50FewerParamsPercent}% fewer params)</caption>
      <thead>
        <tr>
          <th scope="col">model</th>
          <th scope="col" className="num">params</th>
          <th scope="col" className="num">vs ResNet-50</th>
          <th scope="col" className="num">MACs</th>
          <th scope="col" className="num">vs ResNet-50</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ name, t, base }) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="num">{formatInt(t.params)}</td>
            <td className="num">{percent(t.params, base.params)}</td>
            <td className="num">{formatInt(t.macs)}</td>
            <td className="num">{percent(t.macs, base.macs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CifarTable() {
  const rows = useMemo(
    () =>
      ['cifar_resnext29_8x64d', 'cifar_resnext29_16x64d'].map((name) => ({ p: findPreset(name)!, t: totalsOf(presetSpec(name)).stats.totals })),
    [],
  );
  return (
    <table className="paper" data-testid="paper-cifar">
      <caption>ResNeXt Table 7 — CIFAR ResNeXt-29</caption>
      <thead>
        <tr>
          <th scope="col">model</th>
          <th scope="col" className="num">params (ours)</th>
          <th scope="col" className="num">paper</th>
          <th scope="col" className="num">MACs (ours)</th>
          <th scope="col" className="num">CIFAR-10 error %</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ p, t }) => (
          <tr key={p.name}>
            <th scope="row">{p.name}</th>
            <td className="num">{formatInt(t.params)}</td>
            <td className="num">{p.paper?.params ? formatShort(p.paper.params) : ''}</td>
            <td className="num">{formatInt(t.macs)}</td>
            <td className="num">{p.paper?.top1Error?.toFixed(2) ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CurrentTable({ spec, graph }: { spec: ArchSpec; graph: NetworkGraph }) {
  const rows = paperTableRows(spec, graph);
  return (
    <table className="paper" data-testid="paper-current">
      <caption>The model on screen, written as the paper writes it ({spec.family === 'resnet' ? 'ResNeXt Table 1' : 'EfficientNet Table 1'} style)</caption>
      <thead>
        <tr>
          <th scope="col">stage</th>
          <th scope="col">{spec.family === 'resnet' ? 'output' : 'input resolution'}</th>
          <th scope="col">layers</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <th scope="row">{r.stage}</th>
            <td>{r.output}</td>
            <td>{r.layers}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PaperTables({ spec, graph }: { spec: ArchSpec; graph: NetworkGraph }) {
  return (
    <section aria-label="Paper tables" className="paper-tables">
      <CurrentTable spec={spec} graph={graph} />
      <Table1 current={{ spec, graph }} />
      <Table2 />
      <AccuracyTable />
      <EfficientNetTable />
      <IResNetTable />
      <CifarTable />
    </section>
  );
}
