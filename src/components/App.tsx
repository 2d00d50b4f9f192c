import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CONVENTION_SUMMARY } from '../models';
import { useExplorer } from '../store/explorer';
import { useModel } from '../store/currentModel';
import { type ViewId } from '../store/state';
import { useUrlSync } from '../store/urlSync';
import { Controls, useDialLockWhileTraining } from './controls/Controls';
import { ExportMenu } from './ExportMenu';
import { LessonPanel } from './LessonPanel';
import { copyText } from './download';
import { Notices } from './Notices';
import { type Tab, Tabs } from './Tabs';
import { Totals } from './Totals';
import { ChartsView } from './views/ChartsView';
import { DiagramView } from './views/DiagramView';
import { EquivalencePanel } from './views/EquivalencePanel';
import { LayerTable } from './views/LayerTable';
import { PaperTables } from './views/PaperTables';
import { TrainingView } from './views/train/TrainingView';

function CopyLink() {
  const [status, setStatus] = useState('');
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          const ok = await copyText(window.location.href);
          setStatus(ok ? 'Link copied' : 'Copy failed: select the address bar instead');
        }}
      >
        Copy link
      </button>
      <span role="status" className="hint">
        {status}
      </span>
    </>
  );
}

export function App() {
  useUrlSync();
  const model = useModel();
  const { view, unit, batch, classroom, hide, locked } = useExplorer(
    useShallow((s) => ({ view: s.view, unit: s.unit, batch: s.batch, classroom: s.classroom, hide: s.hide, locked: s.locked })),
  );
  const setView = useExplorer((s) => s.setView);
  const preserve = useExplorer((s) => s.preserve);
  const { alpha, beta, gamma } = model.dials;
  const coefficients = useMemo(() => ({ alpha, beta, gamma }), [alpha, beta, gamma]);
  const setClassroom = useExplorer((s) => s.setClassroom);
  const { graph, stats, spec } = model.shown;
  const trainingModel = useDialLockWhileTraining(model);

  useEffect(() => {
    document.documentElement.classList.toggle('classroom', classroom);
  }, [classroom]);

  const allTabs: Tab<ViewId>[] = (
    [
      { id: 'layers', label: 'Layers', render: () => <LayerTable graph={graph} rows={stats.rows} unit={unit} modelName={spec.name} /> },
      { id: 'papers', label: 'Paper tables', render: () => <PaperTables spec={spec} graph={graph} /> },
      {
        id: 'diagram',
        label: 'Diagram',
        render: () => <DiagramView graph={graph} form={spec.family === 'resnet' ? spec.form : undefined} modelName={spec.name} />,
      },
      { id: 'equivalence', label: 'Equivalence lab', render: () => <EquivalencePanel model={model} /> },
      { id: 'train', label: 'Train', render: () => <TrainingView model={model} /> },
      {
        id: 'charts',
        label: 'Charts',
        render: () => (
          <ChartsView
            base={model.base}
            spec={spec}
            stats={stats}
            unit={unit}
            preserve={preserve}
            coefficients={coefficients}
            phi={model.dials.compound ? model.dials.phi : null}
          />
        ),
      },
    ] satisfies Tab<ViewId>[]
  );
  const tabs = allTabs.filter((t) => !hide.includes(t.id));

  return (
    <div className={`app${classroom ? ' classroom' : ''}`}>
      <header className="app-header">
        <div>
          <h1>ResNeXt Lab</h1>
          <p className="tagline">Dial a CNN design; see its exact parameters, multiply-adds and shapes.</p>
        </div>
        <div className="header-tools">
          <LessonPanel views={allTabs.map(({ id, label }) => ({ id, label }))} />
          <CopyLink />
          <label className="toggle-inline">
            <input type="checkbox" checked={classroom} onChange={(e) => setClassroom(e.target.checked)} /> Classroom mode
          </label>
        </div>
      </header>
      <Notices />
      <div className={`layout${hide.includes('controls') ? ' no-controls' : ''}`}>
        {!hide.includes('controls') && <Controls model={model} locked={locked} trainingModel={trainingModel} />}
        <main>
          <div className="model-bar">
            <h2 className="model-title" data-testid="model-name">
              {spec.name}
              {model.errors.length > 0 && <span className="stale"> (last valid model: fix the highlighted control)</span>}
            </h2>
            <ExportMenu spec={spec} />
          </div>
          {!hide.includes('totals') && <Totals stats={stats} batch={batch} unit={unit} />}
          <Tabs tabs={tabs} active={view} onChange={setView} label="Views" />
          <p className="convention">
            <strong>Counting convention.</strong> {CONVENTION_SUMMARY}
          </p>
        </main>
      </div>
    </div>
  );
}
