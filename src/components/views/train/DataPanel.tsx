/**
 * The Train tab's Data panel: choose CIFAR-10 or CIFAR-100 and load it (cache, self-hosted, a file
 * chosen or dropped on the drop zone, or a URL), or clear the cache. A cached copy loads by itself
 * when the panel opens with no data loaded, so after a reload Train is ready without pressing Load.
 */
import { type DragEvent, useEffect, useRef, useState } from 'react';
import { CIFAR_KINDS, CIFAR_LAYOUTS, type CifarKind } from '../../../data/format';
import { type LoadPhase, cachedDatasetInfo, clearCachedData, loadCachedDataset, loadDataset } from '../../../data/sources';
import { formatBytes, formatInt } from '../../../models';
import { training, useTraining } from '../../../store/training';

const hasFiles = (e: { dataTransfer: DataTransfer | null }) => e.dataTransfer?.types.includes('Files') ?? false;

/**
 * A file dropped anywhere on the page but the drop zone would make the browser open it in place of
 * the app (and lose the lesson): the window cancels file drags and drops (React's handlers on the
 * zone run first and load the files). Installed once, when this module loads with the app.
 */
function guardPageFromFileDrops(): void {
  if (typeof window === 'undefined') return;
  const refuse = (e: globalThis.DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.type === 'dragover' && e.dataTransfer && !(e.target instanceof Element && e.target.closest('[data-drop-zone]'))) e.dataTransfer.dropEffect = 'none';
  };
  window.addEventListener('dragover', refuse);
  window.addEventListener('drop', refuse);
}
guardPageFromFileDrops();

const DROP_ZONE_STYLE = { border: '2px dashed var(--border)', borderRadius: 8, padding: '0.5rem 0.75rem', margin: '0.5rem 0' } as const;
const DROP_ZONE_ACTIVE = { ...DROP_ZONE_STYLE, borderColor: 'var(--accent)', background: 'rgba(0, 0, 0, 0.04)' } as const;

export function DataPanel() {
  const kind = useTraining((s) => s.kind);
  const loaded = useTraining((s) => s.dataset !== undefined);
  const [dragging, setDragging] = useState(false);
  const [progress, setProgress] = useState<{ loaded: number; total: number; phase: LoadPhase } | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [url, setUrl] = useState('');
  const loading = useRef<AbortController | null>(null);
  useEffect(() => {
    let live = true;
    void cachedDatasetInfo(kind)
      .then(async (c) => {
        if (!live) return;
        setInfo(c ? `A cached copy is available (${formatInt(c.trainCount)} training, ${formatInt(c.testCount)} test images).` : 'No cached copy yet.');
        // The cached copy loads by itself unless data is loaded already or a load is under way.
        if (!c || training.state.dataset || loading.current) return;
        const d = await loadCachedDataset(kind);
        if (!live || !d || training.state.dataset || loading.current || training.state.kind !== kind) return;
        training.setDataset(d);
        setInfo(`Loaded ${formatInt(d.train.count)} training and ${formatInt(d.test.count)} test images from the cache (automatically, as the page opened).`);
      })
      .catch(() => live && setInfo('IndexedDB is unavailable: data cannot be kept for offline use.'));
    return () => {
      live = false;
    };
  }, [kind]);
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
      <div
        data-drop-zone
        data-testid="drop-zone"
        style={dragging ? DROP_ZONE_ACTIVE : DROP_ZONE_STYLE}
        onDragEnter={(e: DragEvent) => hasFiles(e) && setDragging(true)}
        onDragOver={(e: DragEvent) => {
          if (!hasFiles(e)) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e: DragEvent) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={(e: DragEvent) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer.files.length) void load({ source: 'file', file: e.dataTransfer.files });
        }}
      >
        <p className="hint" style={{ margin: '0 0 0.35rem' }}>
          {dragging ? 'Drop to load it.' : `Drop the ${CIFAR_LAYOUTS[kind].title} archive (.tar.gz) or its .bin files here, or choose them:`}
          {loaded && !dragging ? ' (replaces the data loaded now)' : ''}
        </p>
        <label className="field inline">
          <span>Archive or .bin files</span>
          <input type="file" multiple accept=".gz,.tgz,.tar,.bin,.txt" onChange={(e) => e.target.files?.length && load({ source: 'file', file: e.target.files })} />
        </label>
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
