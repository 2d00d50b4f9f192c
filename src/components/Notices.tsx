import { useExplorer } from '../store/explorer';

/** What the page did with a hand-edited or stale link: ignored or clamped values. */
export function Notices() {
  const notices = useExplorer((s) => s.notices);
  const dismiss = useExplorer((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <div className="notices" role="status" data-testid="notices">
      {notices.map((n, i) => (
        <p key={n}>
          {n}
          <button type="button" aria-label="Dismiss notice" onClick={() => dismiss(i)}>
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
