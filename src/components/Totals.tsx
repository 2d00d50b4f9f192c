import { type NetworkStats, formatBytes, formatInt, formatShort, trainingMemory } from '../models';

interface FigureProps {
  label: string;
  testId: string;
  exact: string;
  short: string;
}

function Figure({ label, testId, exact, short }: FigureProps) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd>
        <span className="exact" data-testid={testId}>
          {exact}
        </span>
        <span className="short" data-testid={`${testId}-short`} title={short}>
          {short}
        </span>
      </dd>
    </div>
  );
}

/** The headline figures: exact integers with grouped digits, and a short form. */
export function Totals({ stats, batch, unit }: { stats: NetworkStats; batch: number; unit: 'macs' | 'flops' }) {
  const { params, macs, flops, activations, activationBytes } = stats.totals;
  const memory = trainingMemory(stats, { batch });
  const compute =
    unit === 'macs'
      ? { label: 'MACs (multiply-adds)', testId: 'total-macs', value: macs }
      : { label: 'FLOPs (2 × MACs)', testId: 'total-flops', value: flops };
  return (
    <section aria-label="Totals">
      <dl className="totals">
        <Figure label="Parameters" testId="total-params" exact={formatInt(params)} short={formatShort(params)} />
        <Figure label={compute.label} testId={compute.testId} exact={formatInt(compute.value)} short={formatShort(compute.value)} />
        <Figure label="Activations / image" testId="total-activations" exact={formatInt(activations)} short={`${formatBytes(activationBytes)} float32`} />
        <Figure
          label={`Training memory, batch ${batch}`}
          testId="training-memory"
          exact={formatBytes(memory.totalBytes)}
          short={`activations ${formatBytes(memory.activationBytes)} + weights, grads, momentum ${formatBytes(memory.weightBytes * 3)}`}
        />
      </dl>
    </section>
  );
}
