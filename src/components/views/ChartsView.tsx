/**
 * The charts: cost vs cardinality at preserved complexity, FLOPs vs phi (ideal against the
 * rounded model), per-stage compute, and accuracy vs compute with the papers' points.
 */
import { useMemo } from 'react';
import {
  type ArchSpec,
  type ComplexityTarget,
  EFFICIENTNET_RELEASES,
  type NetworkStats,
  RESNEXT_TABLE3,
  RESNEXT_TABLE4,
  type ResNetSpec,
  accuracyPointMacs,
  analyze,
  cardinalitySweep,
  currentCost,
  findPreset,
  phiSweep,
} from '../../models';
import type { Preserve } from '../../store/state';
import { BarChart, XYChart } from '../charts/Chart';
import { sweepChartData } from '../../viz/charts/sweep';
import type { XYChartData } from '../../viz/charts/types';

interface Props {
  /** The dialled model before compound scaling (the base that phi scales). */
  base: ArchSpec;
  /** The model on screen. */
  spec: ArchSpec;
  stats: NetworkStats;
  unit: 'macs' | 'flops';
  preserve: Preserve | null;
  coefficients: { alpha: number; beta: number; gamma: number };
  phi: number | null;
}

// From zero: at preserved complexity the totals move by a few percent, and a cut-off axis would make that look like a spike.
const CARDINALITY_OPTIONS = { xLabel: 'Cardinality C', xScale: 'log2', xFormat: (n: number) => String(n), height: 240, yZero: true } as const;
const macsOf = (spec: unknown) => {
  const a = analyze(spec);
  return a.ok ? a.stats.totals.macs : NaN;
};


/** The papers' accuracy points at each model's exact MACs (static: computed once). */
let accuracySeries: { name: string; points: { x: number; y: number; label: string }[] }[] | undefined;
function paperAccuracy() {
  accuracySeries ??= [
    { name: 'ResNeXt Table 3 (50-layer)', points: RESNEXT_TABLE3.filter((p) => p.preset === 'resnet50').map((p) => ({ x: accuracyPointMacs(p), y: p.top1Error, label: p.label.replace('50-layer ', '') })) },
    { name: 'ResNeXt Table 3 (101-layer)', points: RESNEXT_TABLE3.filter((p) => p.preset === 'resnet101').map((p) => ({ x: accuracyPointMacs(p), y: p.top1Error, label: p.label.replace('101-layer ', '') })) },
    { name: 'ResNeXt Table 4 (~15 GFLOPs)', points: RESNEXT_TABLE4.slice(1, 5).map((p) => ({ x: accuracyPointMacs(p), y: p.top1Error, label: p.label })) },
    { name: 'EfficientNet B0–B7', points: EFFICIENTNET_RELEASES.map((r) => ({ x: macsOf(findPreset(r.name)!.spec), y: +(100 - r.top1).toFixed(1), label: r.name.replace('efficientnet_', '').toUpperCase() })) },
  ];
  return accuracySeries;
}

export function ChartsView({ base, spec, stats, unit, preserve, coefficients, phi }: Props) {
  const k = unit === 'macs' ? 1 : 2;
  const computeLabel = unit === 'macs' ? 'MACs' : 'FLOPs';

  const sweep = useMemo(() => {
    if (base.family !== 'resnet') return null;
    const target: ComplexityTarget | undefined = preserve
      ? { scope: preserve.scope, metric: preserve.metric, value: preserve.target }
      : (() => {
          const value = currentCost(base as ResNetSpec, 'block', 'params');
          return value === undefined ? undefined : { scope: 'block' as const, metric: 'params' as const, value };
        })();
    return target ? { target, points: cardinalitySweep(base as ResNetSpec, target) } : null;
  }, [base, preserve]);

  const phiPoints = useMemo(() => phiSweep(base, coefficients, [0, 1, 2, 3, 4, 5, 6, 7]), [base, coefficients]);

  const cardinalityData = useMemo<{ params: XYChartData; macs: XYChartData } | null>(() => {
    if (!sweep || base.family !== 'resnet') return null;
    const c = (spec as ResNetSpec).cardinality ?? 1;
    return {
      params: sweepChartData(sweep.points, sweep.target, (p) => p.params, 'params', c),
      macs: sweepChartData(sweep.points, sweep.target, (p) => k * p.macs, computeLabel, c),
    };
  }, [sweep, base, spec, k, computeLabel]);

  const phiData = useMemo<XYChartData>(
    () => ({
      series: [
        { name: `ideal: base × (αβ²γ²)^φ`, kind: 'line', dashed: true, points: phiPoints.map((p) => ({ x: p.phi, y: k * p.idealMacs })) },
        { name: 'actual (rounded model)', kind: 'line', points: phiPoints.map((p) => ({ x: p.phi, y: k * p.macs, label: `${p.resolution}px` })) },
      ],
      markers: phi === null ? [] : [{ x: phi, label: 'this model' }],
    }),
    [phiPoints, k, phi],
  );

  // EfficientNet stage labels repeat ("MBConv6, k5x5" twice): number them as Table 1 does.
  const stageData = useMemo(() => {
    const repeats = new Set(stats.stages.map((s) => s.label)).size < stats.stages.length;
    return stats.stages.map((s, i) => ({ label: repeats ? `${i + 1}. ${s.label}` : s.label, value: k * s.macs }));
  }, [stats, k]);

  const accuracyData = useMemo<XYChartData>(
    () => ({
      series: paperAccuracy().map((s) => ({ name: s.name, kind: 'points', points: s.points.map((p) => ({ ...p, x: k * p.x })) })),
      markers: [{ x: k * stats.totals.macs, label: 'this model' }],
    }),
    [k, stats],
  );

  const cost = useMemo(() => ({ xLabel: `${computeLabel} (log scale)`, xScale: 'log10', yLabel: 'ImageNet top-1 error (%)', height: 300 }) as const, [computeLabel]);
  const phiOptions = useMemo(() => ({ xLabel: 'φ', yLabel: computeLabel, yScale: 'log10', xFormat: (n: number) => String(n), height: 260 }) as const, [computeLabel]);
  const paramsOptions = useMemo(() => ({ ...CARDINALITY_OPTIONS, yLabel: 'params' }), []);
  const macsOptions = useMemo(() => ({ ...CARDINALITY_OPTIONS, yLabel: computeLabel }), [computeLabel]);
  const stageOptions = useMemo(() => ({ yLabel: computeLabel, xLabel: 'stage', height: 240 }), [computeLabel]);

  return (
    <section aria-label="Charts" className="charts-grid">
      {cardinalityData && sweep && (
        <>
          <XYChart
            title={`Params vs C at preserved complexity (${sweep.target.scope === 'block' ? 'conv2 block params' : `network ${sweep.target.metric}`} kept)`}
            options={paramsOptions}
            data={cardinalityData.params}
            testId="chart-params-vs-c"
          />
          <XYChart title={`${computeLabel} vs C at preserved complexity`} options={macsOptions} data={cardinalityData.macs} testId="chart-macs-vs-c" />
        </>
      )}
      <XYChart title={`${computeLabel} vs φ: the ideal 2^φ-like growth against the rounded model`} options={phiOptions} data={phiData} testId="chart-phi" />
      <BarChart title={`${computeLabel} per stage`} options={stageOptions} data={stageData} testId="chart-stages" />
      <XYChart title={`Accuracy vs ${computeLabel}: the papers' points and this model`} options={cost} data={accuracyData} testId="chart-accuracy" />
    </section>
  );
}
