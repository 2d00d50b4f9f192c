import { useExplorer } from '../store/explorer';
import { collapseNotices, noticeText } from '../store/url';

/**
 * What the page did with a hand-edited or stale link: ignored or clamped values. Identical notices
 * show once with a count; dismissing one dismisses all its copies.
 */
export function Notices() {
  const notices = useExplorer((s) => s.notices);
  const dismiss = useExplorer((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  const dismissAll = (text: string) => {
    for (let i = notices.length - 1; i >= 0; i--) if (notices[i] === text) dismiss(i);
  };
  return (
    <div className="notices" role="status" data-testid="notices">
      {collapseNotices(notices).map((n) => (
        <p key={n.text}>
          {noticeText(n)}
          <button type="button" aria-label="Dismiss notice" onClick={() => dismissAll(n.text)}>
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
