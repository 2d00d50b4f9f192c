/**
 * Export the design on screen as code: PyTorch (optionally with a torchrun-ready CIFAR training
 * script) or Keras 3, in a file named for the design (`resnext50_64x8d.py`). The generators load
 * on first use, keeping them out of the initial bundle.
 */
import { useState } from 'react';
import type { ArchSpec } from '../models';
import { downloadText, fileStem } from './download';

type Target = 'pytorch' | 'pytorch-train' | 'keras';

const LABELS: Record<Target, string> = {
  pytorch: 'PyTorch (.py)',
  'pytorch-train': 'PyTorch + training script',
  keras: 'Keras 3 (.py)',
};

export function ExportMenu({ spec }: { spec: ArchSpec }) {
  const [error, setError] = useState('');
  const run = async (target: Target) => {
    setError('');
    try {
      const { toKeras, toPyTorch } = await import('../export/index');
      const code = target === 'keras' ? toKeras(spec) : toPyTorch(spec, { trainingScript: target === 'pytorch-train' });
      const base = fileStem(spec.name);
      downloadText(code, `${base}${target === 'keras' ? '_keras' : target === 'pytorch-train' ? '_train' : ''}.py`, 'text/x-python');
    } catch (e) {
      setError(`Export failed: ${(e as Error).message}`);
    }
  };
  return (
    <div className="export-menu" role="group" aria-label="Export the design">
      <span className="hint">Export:</span>
      {(Object.keys(LABELS) as Target[]).map((t) => (
        <button key={t} type="button" onClick={() => void run(t)}>
          {LABELS[t]}
        </button>
      ))}
      {error && <span role="alert">{error}</span>}
    </div>
  );
}
