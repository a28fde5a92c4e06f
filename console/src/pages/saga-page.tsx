import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { act, apiPath, errorMessage, get, type Page } from '../api';
import { Dialog, ErrorBox, JsonToggle, LiveBadge, Loading, LoadMore, StatusBadge, Time } from '../components/ui';
import { duration } from '../format';
import { useLive, useLoad } from '../hooks';
import { useCan } from '../session';
import { isFailure, SagaTimeline } from './saga-timeline';
import type { SagaEvent, SagaStep, SagaView } from './saga-types';

const NOISY = 10;
const FINISHED = new Set(['completed', 'rolled_back', 'cancelled', 'failed']);

export function SagaPage() {
  const { id = '' } = useParams();
  const saga = useLoad(`saga:${id}`, (signal) => get<SagaView>(apiPath(`sagas/${encodeURIComponent(id)}`), signal));
  const live = useLive({ stream: `saga-${id}` }, saga.reload, 400);
  const [failuresOnly, setFailuresOnly] = useState(false);
  const operator = useCan('operator');
  const [cancelOpen, setCancelOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [actionError, setActionError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const view = saga.data;
  const canCancel = operator && view !== undefined && !FINISHED.has(view.status) && view.status !== 'compensating';
  const canRetryCompensation =
    operator && view?.status === 'failed' && view.steps.some((s) => s.status === 'compensation_failed' || s.compensationHistory.some((c) => c.outcome === 'failed'));

  const run = (label: string, path: string, body?: unknown) => {
    setBusy(true);
    setActionError(undefined);
    act<SagaView>(apiPath(path), body).then(
      () => {
        setBusy(false);
        setOutcome(label);
        setCancelOpen(false);
        saga.reload();
      },
      (error: unknown) => {
        setBusy(false);
        setActionError(errorMessage(error));
      },
    );
  };

  return (
    <>
      <p className="breadcrumbs">
        <Link to="/sagas">Sagas</Link> / <span className="mono">{id}</span>
      </p>
      <div className="page-head">
        <h1>
          Saga <span className="mono">{id}</span>
        </h1>
        <LiveBadge state={live} />
      </div>
      <ErrorBox message={saga.error} />
      {!view && !saga.error && <Loading what="the saga" />}
      {view && (
        <>
          <section className="card saga-header" data-testid="saga-header" aria-label="Summary">
            <dl className="facts">
              <div>
                <dt>Status</dt>
                <dd data-testid="saga-status" data-status={view.status}>
                  <StatusBadge status={view.status} />
                </dd>
              </div>
              <div>
                <dt>Kind</dt>
                <dd>
                  {view.kind} <span className="muted">({view.definition} v{view.version})</span>
                </dd>
              </div>
              <div>
                <dt>Current step</dt>
                <dd>{view.currentStep ?? '—'}</dd>
              </div>
              <div>
                <dt>Deployment</dt>
                <dd className="mono">{view.deploymentId ?? '—'}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>
                  <Time at={view.startedAt} />
                </dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>
                  <Time at={view.finishedAt} />
                </dd>
              </div>
              <div>
                <dt>Triggered by</dt>
                <dd>{view.triggeredBy}</dd>
              </div>
              {view.cancelRequestedBy && (
                <div>
                  <dt>Cancelled by</dt>
                  <dd>{view.cancelRequestedBy}</dd>
                </div>
              )}
            </dl>
            {view.cancelReason && (
              <p data-testid="saga-cancel-reason">
                <strong>Cancel reason:</strong> {view.cancelReason}
              </p>
            )}
            {view.stuckReason && (
              <p className="notice">
                <strong>Stuck:</strong> {view.stuckReason}
              </p>
            )}
            {view.error && (
              <p className="error-text" data-testid="saga-error">
                <strong>Error:</strong> {view.error}
              </p>
            )}
            {(canCancel || canRetryCompensation) && (
              <div className="actions">
                {canCancel && (
                  <button type="button" className="button danger" data-action="cancel" onClick={() => setCancelOpen(true)}>
                    Cancel saga…
                  </button>
                )}
                {canRetryCompensation && (
                  <button type="button" className="button primary" data-action="retry-compensation" disabled={busy} onClick={() => run('Compensation retried.', `sagas/${encodeURIComponent(id)}/retry-compensation`)}>
                    Retry compensation
                  </button>
                )}
              </div>
            )}
            {outcome && (
              <p role="status" data-testid="action-outcome" className="success-text">
                {outcome}
              </p>
            )}
            {!cancelOpen && <ErrorBox message={actionError} />}
          </section>

          <section aria-labelledby="timeline-title">
            <div className="section-head">
              <h2 id="timeline-title">Timeline</h2>
              <label className="toggle">
                <input type="checkbox" data-testid="failures-only" checked={failuresOnly} onChange={(e) => setFailuresOnly(e.target.checked)} /> Failures only
              </label>
            </div>
            <SagaTimeline saga={view} failuresOnly={failuresOnly} />
          </section>

          <section aria-labelledby="steps-title">
            <h2 id="steps-title">Steps</h2>
            <ol className="steps" data-testid="step-list">
              {view.steps
                .filter((step) => !failuresOnly || step.attemptHistory.some((a) => isFailure(a.outcome)) || step.compensationHistory.some((c) => c.outcome === 'failed'))
                .map((step) => (
                  <StepItem key={step.index} step={step} failuresOnly={failuresOnly} />
                ))}
            </ol>
          </section>

          <SagaEvents id={id} />

          <section aria-labelledby="inputs-title">
            <h2 id="inputs-title">Inputs</h2>
            <pre className="json" tabIndex={0}>
              {JSON.stringify(view.inputs, null, 2)}
            </pre>
          </section>
        </>
      )}
      <Dialog
        name="cancel"
        title="Cancel this saga?"
        open={cancelOpen}
        onClose={() => setCancelOpen(false)}
        closeLabel="Keep running"
        confirm={{ label: busy ? 'Cancelling…' : 'Cancel saga', danger: true, disabled: busy || !reason.trim(), onConfirm: () => run('Cancellation requested.', `sagas/${encodeURIComponent(id)}/cancel`, { reason: reason.trim() }) }}
      >
        <p>Completed steps are compensated in reverse order, then the saga ends cancelled.</p>
        <div className="field">
          <label htmlFor="cancel-reason">Reason (recorded on the saga)</label>
          <textarea id="cancel-reason" data-testid="cancel-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} required />
        </div>
        <ErrorBox message={actionError} />
      </Dialog>
    </>
  );
}

function StepItem({ step, failuresOnly }: { step: SagaStep; failuresOnly: boolean }) {
  const attempts = failuresOnly ? step.attemptHistory.filter((a) => isFailure(a.outcome)) : step.attemptHistory;
  const failed = step.attemptHistory.filter((a) => isFailure(a.outcome)).length;
  const noisy = attempts.length > NOISY;
  const [expanded, setExpanded] = useState(false);
  const [shown, setShown] = useState(100);
  const compensations = failuresOnly ? step.compensationHistory.filter((c) => c.outcome === 'failed') : step.compensationHistory;
  // collapsed: the latest attempt only, which says how the step stands
  const visible = noisy && !expanded ? attempts.slice(-1) : attempts.slice(0, shown);
  return (
    <li className="step card" data-testid="step" data-step={step.name} data-status={step.status}>
      <div className="step-head">
        <h3>
          {step.index + 1}. {step.name}
        </h3>
        <StatusBadge status={step.status} />
        <span className="muted small">
          {step.attemptHistory.length} attempt{step.attemptHistory.length === 1 ? '' : 's'}
          {failed ? `, ${failed} failed` : ''}
        </span>
      </div>
      {step.error && <p className="error-text">{step.error}</p>}
      {noisy && !expanded && (
        <p className="collapsed" data-testid="step-collapsed">
          {attempts.length} attempts, {failed} failed — showing the latest.{' '}
          <button type="button" className="link-button" data-testid="step-expand" aria-expanded={false} onClick={() => setExpanded(true)}>
            Show all {attempts.length}
          </button>
        </p>
      )}
      {noisy && expanded && (
        <button type="button" className="link-button" data-testid="step-expand" aria-expanded={true} onClick={() => setExpanded(false)}>
          Collapse
        </button>
      )}
      {visible.length > 0 && (
        <table className="attempts">
          <caption className="visually-hidden">Attempts of {step.name}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Outcome</th>
              <th scope="col">Started</th>
              <th scope="col">Took</th>
              <th scope="col">Waits</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((a) => (
              <tr key={a.attempt} data-testid="attempt" data-outcome={a.outcome}>
                <td>{a.attempt}</td>
                <td>
                  <StatusBadge status={a.outcome} />
                </td>
                <td>
                  <Time at={a.startedAt} />
                </td>
                <td>{a.endedAt ? duration(Date.parse(a.endedAt) - Date.parse(a.startedAt)) : '…'}</td>
                <td>{a.waits || ''}</td>
                <td data-testid={a.error ? 'attempt-error' : undefined} className="error-text">
                  {a.error ? `${a.code ? `[${a.code}] ` : ''}${a.error}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(!noisy || expanded) && attempts.length > shown && (
        <button type="button" className="button small" onClick={() => setShown((n) => n + 500)}>
          Show {Math.min(500, attempts.length - shown)} more attempts
        </button>
      )}
      {compensations.length > 0 && (
        <>
          <h4>Compensation</h4>
          <ul className="plain">
            {/* a retried compensation numbers its attempts from 1 again: the place in the history is the key */}
            {compensations.map((c, i) => (
              <li key={i} data-testid="compensation" data-outcome={c.outcome}>
                #{c.attempt} <StatusBadge status={c.outcome} /> <Time at={c.at} /> {c.error && <span className="error-text">{c.error}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </li>
  );
}

function SagaEvents({ id }: { id: string }) {
  const [events, setEvents] = useState<SagaEvent[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const load = (from: string | null) => {
    setBusy(true);
    get<Page<SagaEvent>>(apiPath(`sagas/${encodeURIComponent(id)}/events`, { limit: 100, cursor: from })).then(
      (page) => {
        setEvents((previous) => [...(from ? (previous ?? []) : []), ...page.items]);
        setCursor(page.nextCursor);
        setBusy(false);
        setError(undefined);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorMessage(failure));
      },
    );
  };
  return (
    <section aria-labelledby="events-title" data-testid="events">
      <div className="section-head">
        <h2 id="events-title">Events</h2>
        <button type="button" className="button small" data-testid="events-load" onClick={() => load(null)} disabled={busy}>
          {events ? 'Reload events' : 'Load events'}
        </button>
      </div>
      <ErrorBox message={error} />
      {events && events.length === 0 && <p className="muted">No events.</p>}
      {events && events.length > 0 && (
        <ol className="events">
          {events.map((event, i) => (
            <li key={`${event.revision ?? i}`} data-testid="event" data-type={event.type}>
              <span className="mono muted">{String(event.revision ?? i)}</span> <strong>{event.type}</strong> <Time at={(event.recordedAt ?? event.at) as string | undefined} />{' '}
              <JsonToggle value={event} />
            </li>
          ))}
        </ol>
      )}
      <LoadMore cursor={cursor} onMore={() => load(cursor)} busy={busy} />
    </section>
  );
}
