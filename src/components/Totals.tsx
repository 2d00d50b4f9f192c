import { type NetworkStats, formatBytes, formatInt, formatShort, trainingMemory } from '../models';

const TRAINING_BATCH = 128;

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
        <span className="short">{short}</span>
      </dd>
    </div>
  );
}

export function Totals({ stats }: { stats: NetworkStats }) {
  const { params, macs, flops, activations, activationBytes } = stats.totals;
  const memory = trainingMemory(stats, { batch: TRAINING_BATCH });
  return (
    <section aria-label="Totals">
      <dl className="totals">
        <Figure label="Parameters" testId="total-params" exact={formatInt(params)} short={formatShort(params)} />
        <Figure label="MACs" testId="total-macs" exact={formatInt(macs)} short={formatShort(macs)} />
        <Figure label="FLOPs (2 × MACs)" testId="total-flops" exact={formatInt(flops)} short={formatShort(flops)} />
        <Figure label="Activations / image" testId="total-activations" exact={formatInt(activations)} short={formatBytes(activationBytes)} />
        <Figure
          label={`Training memory, batch ${TRAINING_BATCH}`}
          testId="training-memory"
          exact={formatBytes(memory.totalBytes)}
          short="activations + weights + grads + momentum"
        />
      </dl>
    </section>
  );
}
