import { type FormEvent, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { act, ApiError, apiPath, errorMessage, get, request } from '../api';
import { Ago, ErrorBox, JsonToggle, Loading, StatusBadge, Time } from '../components/ui';
import { isoToLocal, localToIso, show } from '../format';
import { useLive, useLoad } from '../hooks';
import { useCan } from '../session';
import type { Resource } from './inventory';

interface PlanChange {
  readonly field: string;
  readonly desired: unknown;
  readonly live: unknown;
  readonly action: string;
}
interface SpecAnswer {
  readonly resourceId: string;
  readonly spec: Record<string, unknown>;
  readonly specVersion: number;
  readonly recordedAt: string;
  readonly recordedBy: string;
  readonly removedAt: string | null;
  readonly plan: { converged: boolean; changes: PlanChange[]; applicable: string[] } | null;
}
interface HistoryEntry {
  readonly at: string;
  readonly stream: string;
  readonly revision: string;
  readonly type: string;
  readonly actor: string;
  readonly sagaId: string | null;
  readonly data: unknown;
}
interface AsOf {
  readonly resourceId: string;
  readonly asOf: string;
  readonly resource: { status: string; state?: Record<string, unknown> };
  readonly spec: { status: string; spec?: Record<string, unknown>; version?: number; open?: unknown[] };
  readonly eventsApplied: number;
}

type SpecLoad = { kind: 'none' } | { kind: 'spec'; answer: SpecAnswer; etag: string };

async function loadSpec(resourceId: string, signal: AbortSignal): Promise<SpecLoad> {
  try {
    const { data, headers } = await request<SpecAnswer>(apiPath(`specs/${encodeURIComponent(resourceId)}`), { signal });
    return { kind: 'spec', answer: data, etag: headers.get('etag') ?? `"${data.specVersion}"` };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { kind: 'none' };
    throw error;
  }
}

async function optional<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function ResourcePage() {
  const { resourceId = '' } = useParams();
  const encoded = encodeURIComponent(resourceId);
  const resource = useLoad(`resource:${resourceId}`, (signal) => optional(get<Resource>(apiPath(`resources/${encoded}`), signal)));
  const history = useLoad(`history:${resourceId}`, (signal) => optional(get<{ events: HistoryEntry[] }>(apiPath(`resources/${encoded}/history`), signal)));
  const [asOf, setAsOf] = useState('');
  const reloadAll = () => {
    resource.reload();
    history.reload();
  };
  useLive({ stream: `resource-${resourceId}` }, reloadAll, 1000);
  const [specTick, setSpecTick] = useState(0);
  useLive({ stream: `spec-${resourceId}` }, () => {
    history.reload();
    setSpecTick((t) => t + 1);
  }, 1000);

  return (
    <>
      <p className="breadcrumbs">
        <Link to="/inventory">Inventory</Link> / <span className="mono">{resourceId}</span>
      </p>
      <h1>
        Resource <span className="mono">{resourceId}</span>
      </h1>
      <ErrorBox message={resource.error} />
      <div className="grid-2">
        <section className="card" aria-labelledby="state-title">
          <h2 id="state-title">Current state</h2>
          {resource.loading && resource.data === undefined && <Loading what="the resource" />}
          {resource.data === null && <p className="muted">Not in the inventory (never seen, or not synced yet).</p>}
          {resource.data && <StateFacts resource={resource.data} />}
        </section>
        <SpecSection resourceId={resourceId} onChanged={reloadAll} tick={specTick} />
      </div>
      <AsOfSection resourceId={resourceId} value={asOf} onValue={setAsOf} />
      <DiffSection resourceId={resourceId} />
      <HistorySection entries={history.data?.events} error={history.error} loading={history.loading} onAsOf={(at) => setAsOf(isoToLocal(new Date(Date.parse(at) + 999).toISOString()))} />
    </>
  );
}

function StateFacts({ resource }: { resource: Resource }) {
  return (
    <dl className="facts" data-testid="resource-state">
      <div>
        <dt>Name</dt>
        <dd>{resource.name}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={resource.status} />
        </dd>
      </div>
      <div>
        <dt>Size</dt>
        <dd className="mono" data-testid="state-size">
          {resource.sizeSlug}
        </dd>
      </div>
      <div>
        <dt>Region</dt>
        <dd>{resource.region}</dd>
      </div>
      <div>
        <dt>Managed</dt>
        <dd data-testid="state-managed">{resource.managed ? 'yes' : 'no'}</dd>
      </div>
      <div>
        <dt>Last seen</dt>
        <dd>
          <Ago at={resource.lastSeenAt} testId="last-seen" />
        </dd>
      </div>
      <div>
        <dt>Tags</dt>
        <dd>{resource.tags.length ? resource.tags.join(', ') : '—'}</dd>
      </div>
    </dl>
  );
}

function SpecSection({ resourceId, onChanged, tick }: { resourceId: string; onChanged: () => void; tick: number }) {
  const spec = useLoad(`spec:${resourceId}:${tick}`, (signal) => loadSpec(resourceId, signal));
  const operator = useCan('operator');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [conflict, setConflict] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; sagaId?: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const loaded = spec.data;
  // the version the text in the editor was read at: a save names it (If-Match), so an edit begun
  // before someone else's change is refused (412) rather than silently replacing it
  const [base, setBase] = useState<{ etag: string; version: number } | undefined>();
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!loaded || dirty) return;
    setText(JSON.stringify(loaded.kind === 'spec' ? loaded.answer.spec : {}, null, 2));
    setBase(loaded.kind === 'spec' ? { etag: loaded.etag, version: loaded.answer.specVersion } : { etag: '"0"', version: 0 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);
  const etag = base?.etag ?? '"0"';
  const answer = loaded?.kind === 'spec' ? loaded.answer : undefined;

  const save = (event: FormEvent) => {
    event.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return setError('The spec is not valid JSON.');
    }
    setBusy(true);
    setError(undefined);
    setConflict(false);
    act<SpecAnswer>(apiPath(`specs/${encodeURIComponent(resourceId)}`), body, 'PUT', { 'if-match': etag }).then(
      ({ data }) => {
        setBusy(false);
        setDirty(false);
        setOutcome({ text: `Spec saved as version ${data.specVersion}.` });
        spec.reload();
        onChanged();
      },
      (failure: unknown) => {
        setBusy(false);
        if (failure instanceof ApiError && failure.status === 412) setConflict(true);
        else setError(errorMessage(failure));
      },
    );
  };
  const apply = () => {
    setBusy(true);
    setError(undefined);
    act<{ sagaId: string; converging: string[] }>(apiPath(`specs/${encodeURIComponent(resourceId)}/apply`)).then(
      ({ data }) => {
        setBusy(false);
        setOutcome({ text: `Applying (${data.converging.join(', ') || 'nothing to converge'}): saga `, sagaId: data.sagaId });
        onChanged();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorMessage(failure));
      },
    );
  };

  return (
    <section className="card" aria-labelledby="spec-title" data-testid="spec-section">
      <h2 id="spec-title">Spec</h2>
      <ErrorBox message={spec.error} />
      {!loaded && !spec.error && <Loading what="the spec" />}
      {loaded?.kind === 'none' && <p className="muted">No spec is recorded for this resource.</p>}
      {answer && (
        <p className="muted small">
          Version <strong data-testid="spec-version">{answer.specVersion}</strong>, recorded <Time at={answer.recordedAt} /> by {answer.recordedBy}
          {answer.removedAt ? ' (removed)' : ''}.
        </p>
      )}
      {answer?.plan && (
        <div data-testid="spec-plan">
          {answer.plan.converged ? (
            <p>
              <StatusBadge status="converged" /> The droplet matches its spec.
            </p>
          ) : (
            <table>
              <caption>Plan: what converging takes</caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Desired</th>
                  <th scope="col">Live</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {answer.plan.changes.map((change) => (
                  <tr key={change.field} data-testid="plan-change" data-field={change.field}>
                    <td className="mono">{change.field}</td>
                    <td className="change-to">{show(change.desired)}</td>
                    <td className="change-from">{show(change.live)}</td>
                    <td>{change.action.replace(/_/g, ' ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      {conflict && (
        <div className="notice" role="alert" data-testid="spec-conflict">
          Someone changed this spec since you loaded it (version check failed). Your edit was not saved.{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setConflict(false);
              setDirty(false);
              spec.reload();
            }}
          >
            Reload the current spec
          </button>
        </div>
      )}
      {loaded && operator && (
        <form onSubmit={save}>
          <div className="field">
            <label htmlFor="spec-editor">Desired spec (JSON: size_slug, region, image, tags)</label>
            <textarea id="spec-editor" data-testid="spec-editor" className="spec-editor" value={text} onChange={(e) => {
                setText(e.target.value);
                setDirty(true);
              }}
              spellCheck={false}
            />
          </div>
          <div className="actions">
            <button type="submit" className="button primary" data-action="spec-save" disabled={busy}>
              Save spec (version {base?.version ?? 0} → {(base?.version ?? 0) + 1})
            </button>
            {answer && !answer.removedAt && (
              <button type="button" className="button" data-action="spec-apply" disabled={busy || answer.plan?.converged === true} onClick={apply}>
                Apply
              </button>
            )}
          </div>
        </form>
      )}
      {loaded && !operator && answer && (
        <pre className="json" tabIndex={0}>
          {JSON.stringify(answer.spec, null, 2)}
        </pre>
      )}
      {outcome && (
        <p role="status" className="success-text" data-testid="action-outcome">
          {outcome.text}
          {outcome.sagaId && <Link to={`/sagas/${encodeURIComponent(outcome.sagaId)}`}>{outcome.sagaId}</Link>}
        </p>
      )}
      <ErrorBox message={error} />
    </section>
  );
}

function readAsOf(resourceId: string, iso: string): Promise<AsOf> {
  return get<AsOf>(apiPath(`resources/${encodeURIComponent(resourceId)}/history`, { asOf: iso }));
}

function AsOfSection({ resourceId, value, onValue }: { resourceId: string; value: string; onValue: (v: string) => void }) {
  const [result, setResult] = useState<AsOf | undefined>();
  const [error, setError] = useState<string | undefined>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const iso = localToIso(value);
    if (!iso) return setError('Pick a moment.');
    setError(undefined);
    readAsOf(resourceId, iso).then(setResult, (failure: unknown) => setError(errorMessage(failure)));
  };
  const state = result?.resource.state;
  return (
    <section aria-labelledby="asof-title">
      <h2 id="asof-title">As of a moment</h2>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="asof-input">As of</label>
        <input id="asof-input" data-testid="asof-input" type="datetime-local" step="1" value={value} onChange={(e) => onValue(e.target.value)} />
        <button type="submit" className="button" data-testid="asof-submit">
          Show
        </button>
      </form>
      <ErrorBox message={error} />
      {result && (
        <div className="card" data-testid="asof-result">
          <p className="muted small">
            As of <Time at={result.asOf} />: {result.eventsApplied} events applied; resource {result.resource.status}, spec {result.spec.status}
            {result.spec.version !== undefined ? ` (version ${result.spec.version})` : ''}.
          </p>
          <div className="grid-2">
            <div>
              <h3>Resource then</h3>
              {state ? (
                <dl className="facts">
                  <div>
                    <dt>Size</dt>
                    <dd className="mono" data-testid="asof-size">
                      {show(state.size_slug)}
                    </dd>
                  </div>
                  <div>
                    <dt>Status</dt>
                    <dd>{show(state.status)}</dd>
                  </div>
                  <div>
                    <dt>Region</dt>
                    <dd>{show(state.region)}</dd>
                  </div>
                  <div>
                    <dt>Tags</dt>
                    <dd>{Array.isArray(state.tags) ? state.tags.join(', ') : '—'}</dd>
                  </div>
                </dl>
              ) : (
                <p className="muted">Not seen yet at that moment.</p>
              )}
            </div>
            <div>
              <h3>Spec then</h3>
              {result.spec.spec ? (
                <pre className="json" tabIndex={0}>
                  {JSON.stringify(result.spec.spec, null, 2)}
                </pre>
              ) : (
                <p className="muted">No spec then.</p>
              )}
              {result.spec.open && result.spec.open.length > 0 && <p>{result.spec.open.length} drift open then.</p>}
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

/** Leaves of a JSON value as path → value ("resource.state.size_slug"). */
function flatten(value: unknown, path: string, into: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, path ? `${path}.${key}` : key, into);
  } else into.set(path, value);
  return into;
}

function DiffSection({ resourceId }: { resourceId: string }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [rows, setRows] = useState<{ path: string; before: unknown; after: unknown }[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const a = localToIso(from);
    const b = localToIso(to);
    if (!a || !b) return setError('Pick both moments.');
    setError(undefined);
    Promise.all([readAsOf(resourceId, a), readAsOf(resourceId, b)]).then(([before, after]) => {
      const pick = (s: AsOf) => ({ resource: { status: s.resource.status, ...(s.resource.state ?? {}) }, spec: { status: s.spec.status, version: s.spec.version, ...(s.spec.spec ?? {}) } });
      const left = flatten(pick(before), '', new Map());
      const right = flatten(pick(after), '', new Map());
      const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
      setRows(paths.filter((p) => JSON.stringify(left.get(p)) !== JSON.stringify(right.get(p))).map((p) => ({ path: p, before: left.get(p), after: right.get(p) })));
    }, (failure: unknown) => setError(errorMessage(failure)));
  };
  return (
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">Compare two moments</h2>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="diff-from">From</label>
        <input id="diff-from" data-testid="diff-from" type="datetime-local" step="1" value={from} onChange={(e) => setFrom(e.target.value)} />
        <label htmlFor="diff-to">To</label>
        <input id="diff-to" data-testid="diff-to" type="datetime-local" step="1" value={to} onChange={(e) => setTo(e.target.value)} />
        <button type="submit" className="button" data-testid="diff-submit">
          Compare
        </button>
      </form>
      <ErrorBox message={error} />
      {rows && (
        <div className="table-wrap" data-testid="diff-result">
          <table>
            <caption className="visually-hidden">What changed between the two moments</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={3} className="muted">
                    Nothing changed between these moments.
                  </td>
                </tr>
              )}
              {rows.map((row) => (
                <tr key={row.path} data-testid="diff-row" data-path={row.path} className="diff-row-changed">
                  <td className="mono">{row.path}</td>
                  <td className="change-from">{show(row.before)}</td>
                  <td className="change-to">{show(row.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function kindOf(entry: HistoryEntry): string {
  if (/drift/i.test(entry.type)) return 'drift';
  if (entry.stream.startsWith('saga-')) return 'saga';
  if (entry.stream.startsWith('spec-')) return 'spec';
  return 'resource';
}

function HistorySection({ entries, error, loading, onAsOf }: { entries: HistoryEntry[] | undefined | null; error?: string; loading: boolean; onAsOf: (at: string) => void }) {
  const [shown, setShown] = useState(200);
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History: sagas, spec and drift on one timeline</h2>
      <ErrorBox message={error} />
      {loading && entries === undefined && <Loading what="the history" />}
      {entries === null && <p className="muted">No event is about this resource.</p>}
      {entries && (
        <>
          <ol className="history" data-testid="resource-history">
            {entries.slice(0, shown).map((entry) => (
              <li key={`${entry.stream}:${entry.revision}`} className={`kind-${kindOf(entry)}`} data-testid="history-event" data-type={entry.type} data-saga-id={entry.sagaId ?? undefined}>
                <Time at={entry.at} /> <strong>{entry.type}</strong> <span className="muted small">by {entry.actor}</span>
                {entry.sagaId && (
                  <>
                    {' '}
                    · saga <Link to={`/sagas/${encodeURIComponent(entry.sagaId)}`}>{entry.sagaId}</Link>
                  </>
                )}{' '}
                ·{' '}
                <button type="button" className="link-button" onClick={() => onAsOf(entry.at)}>
                  As of this moment
                </button>{' '}
                · <JsonToggle value={entry.data} label="Show data" />
              </li>
            ))}
          </ol>
          {entries.length > shown && (
            <button type="button" className="button small" onClick={() => setShown((n) => n + 500)}>
              Show {Math.min(500, entries.length - shown)} more events
            </button>
          )}
        </>
      )}
    </section>
  );
}
