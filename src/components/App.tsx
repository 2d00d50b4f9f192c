import { useMemo } from 'react';
import { CONVENTION_SUMMARY, analyze, findPreset } from '../models';
import { useSpecStore } from '../store/spec';
import { PresetPicker } from './PresetPicker';
import { StageTable } from './StageTable';
import { Totals } from './Totals';

export function App() {
  const presetName = useSpecStore((s) => s.presetName);
  const preset = findPreset(presetName);
  const analysis = useMemo(() => analyze(preset?.spec), [preset]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>ResNeXt Lab</h1>
        <p className="tagline">Dial a CNN design; see its exact parameters, multiply-adds and shapes.</p>
      </header>
      <main>
        <section className="controls" aria-label="Model">
          <PresetPicker />
          {preset && <p className="preset-description">{preset.description}</p>}
        </section>
        {analysis.ok ? (
          <>
            <Totals stats={analysis.stats} />
            <StageTable stats={analysis.stats} />
          </>
        ) : (
          <div role="alert" className="errors">
            <p>This model cannot be built:</p>
            <ul>
              {analysis.errors.map((e) => (
                <li key={e.field + e.message}>
                  <code>{e.field}</code>: {e.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        <p className="convention">
          <strong>Counting convention.</strong> {CONVENTION_SUMMARY}
        </p>
      </main>
    </div>
  );
}
