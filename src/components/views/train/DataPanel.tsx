/** The Train tab's Data panel: choose CIFAR-10 or CIFAR-100 and load it (cache, self-hosted, file or URL), or clear the cache. */
import { useEffect, useRef, useState } from 'react';
import { CIFAR_KINDS, CIFAR_LAYOUTS, type CifarKind } from '../../../data/format';
import { type LoadPhase, cachedDatasetInfo, clearCachedData, loadDataset } from '../../../data/sources';
import { formatBytes, formatInt } from '../../../models';
import { training, useTraining } from '../../../store/training';

export function DataPanel() {
  const kind = useTraining((s) => s.kind);
  const [progress, setProgress] = useState<{ loaded: number; total: number; phase: LoadPhase } | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [url, setUrl] = useState('');
  useEffect(() => {
    let live = true;
    void cachedDatasetInfo(kind)
      .then((c) => live && setInfo(c ? `A cached copy is available (${formatInt(c.trainCount)} training, ${formatInt(c.testCount)} test images).` : 'No cached copy yet.'))
      .catch(() => live && setInfo('IndexedDB is unavailable: data cannot be kept for offline use.'));
    return () => {
      live = false;
    };
  }, [kind]);
  const loading = useRef<AbortController | null>(null);
  const load = async (options: Parameters<typeof loadDataset>[1]) => {
    setError('');
    loading.current?.abort();
    const controller = new AbortController();
    loading.current = controller;
    try {
      const d = await loadDataset(kind, { ...options, signal: controller.signal, onProgress: (loaded, total, phase) => setProgress({ loaded, total, phase }) });
      training.setDataset(d);
      const checksum = d.md5 ? ` md5 ${d.md5.hex}: ${d.md5.official ? 'the official archive' : 'not the official archive (no checksum to compare with)'}.` : '';
      setInfo(`Loaded ${formatInt(d.train.count)} training and ${formatInt(d.test.count)} test images${d.fromCache ? ' from the cache' : ''}.${checksum}${d.cacheWarning ? ` ${d.cacheWarning}` : ''}`);
    } catch (e) {
      setError(controller.signal.aborted ? 'Loading was cancelled; nothing changed.' : (e as Error).message);
    } finally {
      if (loading.current === controller) loading.current = null;
      setProgress(null);
    }
  };
  return (
    <section className="control-section" aria-label="Training data">
      <h3>Data</h3>
      <div className="table-tools">
        <label className="field inline">
          <span>Dataset</span>
          <select value={kind} onChange={(e) => training.setKind(e.target.value as CifarKind)}>
            {CIFAR_KINDS.map((k) => (
              <option key={k} value={k}>
                {CIFAR_LAYOUTS[k].title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => load({ source: 'hosted' })}>
          Load (cached or self-hosted)
        </button>
        <label className="field inline">
          <span>Archive or .bin files</span>
          <input type="file" multiple accept=".gz,.tgz,.tar,.bin,.txt" onChange={(e) => e.target.files?.length && load({ source: 'file', file: e.target.files })} />
        </label>
        <label className="field inline">
          <span>URL</span>
          <input type="url" placeholder="official archive" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <button type="button" onClick={() => load({ source: 'url', url: url || undefined, refresh: true })}>
          Download
        </button>
        <button
          type="button"
          onClick={async () => {
            await clearCachedData();
            setInfo('Cached data cleared.');
          }}
        >
          Clear cached data
        </button>
      </div>
      {progress && (
        <p role="status">
          <progress max={progress.total || 1} value={progress.total ? progress.loaded : undefined} /> {progress.phase}
          {progress.total > 1 ? ` ${formatBytes(progress.loaded)} / ${formatBytes(progress.total)}` : ''}{' '}
          <button type="button" onClick={() => loading.current?.abort()}>
            Cancel
          </button>
        </p>
      )}
      <p className="hint" data-testid="data-status">
        {info}
      </p>
      {error && (
        <p role="alert" className="field-errors" data-testid="data-error">
          {error}
        </p>
      )}
    </section>
  );
}
