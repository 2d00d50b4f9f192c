/**
 * "Cardinality vs width" in the ledger: each model's final test accuracy over seeds (mean ± sample
 * sd, n) and the difference of the means with its standard error, with the plain verdict whether it
 * is larger than the seed-to-seed spread (src/store/training/comparison.ts). Shown once the ledger
 * has a run of either model of the comparison.
 */
import { useMemo } from 'react';
import { analyze, findPreset, formatInt } from '../../../models';
import { useLedger } from '../../../store/runs';
import { comparisonOf, type SeedSummary } from '../../../store/training/comparison';
import { COMPARISON_PRESETS } from '../../../store/training/controller';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');

function countsOf(name: string): { params: number; macs: number } | undefined {
  const preset = findPreset(name);
  const a = preset && analyze(preset.spec);
  return a && a.ok ? { params: a.stats.totals.params, macs: a.stats.totals.macs } : undefined;
}

function Row({ s }: { s: SeedSummary }) {
  const counts = countsOf(s.model);
  return (
    <tr>
      <th scope="row">{s.model}</th>
      <td className="num">{counts ? formatInt(counts.params) : '–'}</td>
      <td className="num">{counts ? formatInt(counts.macs) : '–'}</td>
      <td className="num">{s.n}</td>
      <td className="num" data-testid="comparison-mean">
        {s.n ? `${pct(s.mean)}% ± ${pct(s.sd)}` : '–'}
      </td>
      <td>{s.accuracies.map((a, i) => `seed ${s.seeds[i]}: ${pct(a)}%`).join(', ')}</td>
    </tr>
  );
}

export function ComparisonTable() {
  const runs = useLedger((s) => s.runs);
  const comparison = useMemo(() => comparisonOf(runs, COMPARISON_PRESETS), [runs]);
  if (!comparison) return null;
  const { a, b, difference, standardError, sentence } = comparison;
  return (
    <section aria-label="Cardinality vs width over seeds" className="comparison" data-testid="comparison">
      <h4>Cardinality vs width over seeds (finished runs, final test accuracy)</h4>
      <table className="layers">
        <thead>
          <tr>
            <th scope="col">model</th>
            <th scope="col" className="num">params</th>
            <th scope="col" className="num">MACs</th>
            <th scope="col" className="num">seeds</th>
            <th scope="col" className="num">mean ± sd</th>
            <th scope="col">runs</th>
          </tr>
        </thead>
        <tbody>
          <Row s={a} />
          <Row s={b} />
        </tbody>
      </table>
      <p data-testid="comparison-difference">
        Difference {a.model} − {b.model}: {a.n && b.n ? `${difference >= 0 ? '+' : '−'}${pct(Math.abs(difference))} ± ${pct(standardError)} points (standard error)` : '–'}. {sentence}
      </p>
    </section>
  );
}
