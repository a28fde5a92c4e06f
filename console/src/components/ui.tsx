import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ago, formatTime } from '../format';

export function ErrorBox({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <div className="error" role="alert" data-testid="error">
      {message}
    </div>
  );
}

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  return <time dateTime={at}>{formatTime(at)}</time>;
}

export function Ago({ at, testId }: { at: string | null | undefined; testId?: string }) {
  return (
    <span data-testid={testId} title={at ? formatTime(at) : undefined}>
      {at ? <time dateTime={at}>{ago(at)}</time> : 'never'}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.replace(/[^a-z_]/g, '')}`}>{status.replace(/_/g, ' ')}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** JSON shown on demand: a toggle button and a <pre>, so a large history costs nothing until opened. */
export function JsonToggle({ value, label = 'Show JSON' }: { value: unknown; label?: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <>
      <button type="button" className="link-button" aria-expanded={open} aria-controls={id} data-testid="event-json-toggle" onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide JSON' : label}
      </button>
      {open && (
        <pre id={id} className="json" data-testid="event-json" tabIndex={0}>
          {JSON.stringify(value, null, 2)}
        </pre>
      )}
    </>
  );
}

const FOCUSABLE = 'button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  readonly name: string;
  readonly title: string;
  readonly open: boolean;
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** The confirm button; absent for a dialog that only shows something. */
  readonly confirm?: { label: string; disabled?: boolean; danger?: boolean; onConfirm: () => void };
  readonly closeLabel?: string;
}

/**
 * A modal <dialog>: the browser makes the rest of the page inert (focus stays inside), Escape
 * closes it, and focus goes back where it was.
 */
export function Dialog({ name, title, open, onClose, children, confirm, closeLabel = 'Cancel' }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      dialog.showModal();
      return () => {
        if (dialog.open) dialog.close();
        opener?.focus?.();
      };
    }
    return undefined;
  }, [open]);
  if (!open) return null;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      data-testid={`dialog-${name}`}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onKeyDown={(event) => {
        // the modal makes the page inert, but Tab would still leave for the browser's own UI: wrap it
        if (event.key !== 'Tab') return;
        const focusable = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((e) => e.offsetParent !== null);
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (!first || !last) return;
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (confirm && !confirm.disabled) confirm.onConfirm();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          <button type="button" className="button" data-testid="dialog-cancel" onClick={onClose}>
            {closeLabel}
          </button>
          {confirm && (
            <button type="submit" className={`button ${confirm.danger ? 'danger' : 'primary'}`} data-testid="dialog-confirm" disabled={confirm.disabled}>
              {confirm.label}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}

export function Field({ label, children, hint }: { label: string; children: (id: string) => ReactNode; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

export function LoadMore({ cursor, onMore, busy }: { cursor: string | null | undefined; onMore: () => void; busy?: boolean }) {
  if (!cursor) return null;
  return (
    <button type="button" className="button" data-testid="load-more" onClick={onMore} disabled={busy}>
      {busy ? 'Loading…' : 'Load more'}
    </button>
  );
}

export function LiveBadge({ state }: { state: string }) {
  return (
    <span className={`live live-${state}`} data-testid="live-status" role="status">
      {state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'offline, retrying'}
    </span>
  );
}

/**
 * A list as a table: scrolling sideways in its frame, captioned for screen readers, one header per
 * column (a `false` column is left out, e.g. actions a role may not take), and a row saying so
 * when `empty` gives the text — its span follows the columns shown.
 */
export function DataTable({
  testId,
  caption,
  columns,
  empty,
  children,
}: {
  testId?: string;
  caption: ReactNode;
  columns: readonly (string | false)[];
  empty?: string | false;
  children: ReactNode;
}) {
  const shown = columns.filter((column): column is string => column !== false);
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {shown.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {empty && (
            <tr>
              <td colSpan={shown.length} className="muted">
                {empty}
              </td>
            </tr>
          )}
          {children}
        </tbody>
      </table>
    </div>
  );
}
