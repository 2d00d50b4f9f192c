/**
 * "Set up a lesson": builds the link a teacher shares or opens on the projector. The link carries
 * the model as the page shows it (preset and dials) and, unless left out, the Train tab's settings
 * (batch, rate, schedule, recipe, length or time budget, seed); the panel chooses the view it opens
 * on, the parts it hides, classroom mode and the lock. Copy uses the clipboard, or selects the link
 * for Ctrl+C where the clipboard is refused.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useExplorer } from '../store/explorer';
import { HIDEABLE, type Hideable, type ViewId } from '../store/state';
import { useTraining } from '../store/training';
import { currentLinkState } from '../store/urlSync';
import { type LinkState, serializeUrl, trainParam } from '../store/url';
import { copyText } from './download';

const PART_LABELS: Partial<Record<Hideable, string>> = { controls: 'Model controls', totals: 'Totals' };

/** The link's training settings as a reader sees them: `bs=64, lr=0.1`. */
const trainSummary = (train: LinkState['train']) =>
  Object.entries(train)
    .map(([key, value]) => `${trainParam(key)}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value)}`)
    .join(', ');

interface Choices {
  view: ViewId;
  hide: Hideable[];
  classroom: boolean;
  locked: boolean;
  withTraining: boolean;
}

/** The lesson link for the page as it is now and the panel's choices. */
export function lessonLink(page: LinkState, choices: Choices, base: string): string {
  const state: LinkState = {
    ...page,
    view: choices.view,
    // The view the lesson opens on is never hidden.
    hide: HIDEABLE.filter((h) => h !== choices.view && choices.hide.includes(h)),
    classroom: choices.classroom,
    locked: choices.locked,
    train: choices.withTraining ? page.train : {},
  };
  return `${base}?${serializeUrl(state)}`;
}

function LessonForm({ views, onClose }: { views: { id: ViewId; label: string }[]; onClose: () => void }) {
  const start = useExplorer(useShallow((s) => ({ view: s.view, hide: s.hide, locked: s.locked })));
  const [choices, setChoices] = useState<Choices>({ view: start.view, hide: start.hide, classroom: true, locked: start.locked, withTraining: true });
  const [status, setStatus] = useState('');
  const field = useRef<HTMLInputElement>(null);
  // Re-render when the model or the training settings change while the panel is open.
  useExplorer((s) => s.dials);
  useExplorer((s) => s.preset);
  useTraining((s) => s.form);
  const page = currentLinkState();
  const link = lessonLink(page, choices, `${window.location.origin}${window.location.pathname}`);
  const set = (patch: Partial<Choices>) => {
    setChoices((c) => ({ ...c, ...patch }));
    setStatus('');
  };
  const togglePart = (part: Hideable, hidden: boolean) => set({ hide: hidden ? [...choices.hide, part] : choices.hide.filter((h) => h !== part) });
  const parts: { id: Hideable; label: string }[] = [
    ...(['controls', 'totals'] as const).map((p) => ({ id: p, label: PART_LABELS[p] ?? p })),
    ...views.map((v) => ({ id: v.id, label: `${v.label} tab` })),
  ];
  const copy = async () => {
    if (await copyText(link)) {
      setStatus('Link copied.');
      return;
    }
    field.current?.focus();
    field.current?.select();
    setStatus('The clipboard is not available here: the link is selected, press Ctrl+C (⌘C) to copy it.');
  };
  return (
    <section className="lesson-panel" aria-label="Set up a lesson">
      <p className="hint">
        The link opens this model ({page.preset}
        {Object.keys(page.dials).length > 0 ? ' with its dials as set now' : ''}) and the choices below.
      </p>
      <label className="field">
        <span>Open on</span>
        <select value={choices.view} onChange={(e) => set({ view: e.target.value as ViewId })}>
          {views.map((v) => (
            <option key={v.id} value={v.id}>
              {v.label}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="choice">
        <legend>Hide</legend>
        {parts.map((p) => (
          <label key={p.id}>
            <input type="checkbox" checked={choices.hide.includes(p.id)} disabled={p.id === choices.view} onChange={(e) => togglePart(p.id, e.target.checked)} /> {p.label}
          </label>
        ))}
      </fieldset>
      <div className="choice">
        <label>
          <input type="checkbox" checked={choices.classroom} onChange={(e) => set({ classroom: e.target.checked })} /> Classroom mode (large type)
        </label>
        <label>
          <input type="checkbox" checked={choices.locked} onChange={(e) => set({ locked: e.target.checked })} /> Lock the model controls
        </label>
        <label>
          <input type="checkbox" checked={choices.withTraining} onChange={(e) => set({ withTraining: e.target.checked })} /> Training settings
        </label>
      </div>
      {choices.withTraining && (
        <p className="hint" data-testid="lesson-training">
          Training: {trainSummary(page.train) || 'the defaults'}
        </p>
      )}
      <label className="field">
        <span>Lesson link</span>
        <input ref={field} type="text" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
      </label>
      <div className="table-tools">
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy link
        </button>
        <a href={link}>Open the lesson here</a>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p role="status" className="hint">
        {status}
      </p>
    </section>
  );
}

/** The header's "Set up a lesson" button and its panel (a disclosure: Escape or Close shuts it). */
export function LessonPanel({ views }: { views: { id: ViewId; label: string }[] }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  useEffect(() => {
    if (!open) return undefined;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <div className="lesson">
      <button ref={button} type="button" aria-expanded={open} aria-controls={`${id}-lesson`} onClick={() => setOpen((o) => !o)}>
        Set up a lesson
      </button>
      <div id={`${id}-lesson`}>{open && <LessonForm views={views} onClose={close} />}</div>
    </div>
  );
}
