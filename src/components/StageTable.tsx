import { type NetworkStats, formatInt, formatShort } from '../models';

/** Per-stage subtotals, named as in the papers' tables (conv1 ... conv5). */
export function StageTable({ stats }: { stats: NetworkStats }) {
  const { totals } = stats;
  return (
    <section aria-label="Stages">
      <h2>Stages</h2>
      <table className="stages">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Output</th>
            <th scope="col" className="num">Params</th>
            <th scope="col" className="num">MACs</th>
            <th scope="col" className="num">Share of MACs</th>
          </tr>
        </thead>
        <tbody>
          {stats.stages.map((s) => (
            <tr key={s.name}>
              <th scope="row">
                {s.label} <span className="muted">{s.name}</span>
              </th>
              <td>{s.outputShape}</td>
              <td className="num">{formatInt(s.params)}</td>
              <td className="num">{formatInt(s.macs)}</td>
              <td className="num">{totals.macs ? `${((100 * s.macs) / totals.macs).toFixed(1)}%` : '–'}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td />
            <td className="num">{formatInt(totals.params)}</td>
            <td className="num">{formatInt(totals.macs)}</td>
            <td className="num">{formatShort(totals.macs)}</td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}
