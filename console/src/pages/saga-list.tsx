import { type FormEvent, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { apiPath, errorMessage, get, type Page } from '../api';
import { DataTable, ErrorBox, LiveBadge, LoadMore, Loading, StatusBadge, Time } from '../components/ui';
import { isoToLocal, localToIso } from '../format';
import { useLive, useLoad } from '../hooks';

export interface SagaSummary {
  readonly id: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  readonly status: string;
  readonly currentStep: string | null;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

const STATUSES = ['running', 'compensating', 'stuck', 'completed', 'rolled_back', 'cancelled', 'failed'];
const FILTERS = ['status', 'kind', 'definition', 'deploymentId', 'resourceId', 'startedAfter', 'startedBefore'] as const;
type FilterKey = (typeof FILTERS)[number];
const TIME_FILTERS = new Set<FilterKey>(['startedAfter', 'startedBefore']);
const LABELS: Record<FilterKey, string> = {
  status: 'Status',
  kind: 'Kind',
  definition: 'Definition',
  deploymentId: 'Deployment',
  resourceId: 'Resource',
  startedAfter: 'Started after',
  startedBefore: 'Started before',
};

/** Saved views hold only filters (no secret), so they may outlive the tab: localStorage. */
const VIEWS_KEY = 'cloudledger.sagaViews';
interface SavedView {
  readonly name: string;
  readonly query: string;
}
function readViews(): SavedView[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(VIEWS_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((v): v is SavedView => typeof v?.name === 'string' && typeof v?.query === 'string') : [];
  } catch {
    return [];
  }
}
function writeViews(views: SavedView[]): void {
  localStorage.setItem(VIEWS_KEY, JSON.stringify(views));
}

export function SagaList() {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Record<FilterKey, string>;
  const queryKey = FILTERS.map((key) => `${key}=${filters[key]}`).join('&');
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Record<FilterKey, string>), [params]);

  const first = useLoad(queryKey, (signal) => get<Page<SagaSummary>>(apiPath('sagas', { ...filters, limit: 50 }), signal));
  const [more, setMore] = useState<{ items: SagaSummary[]; cursor: string | null; busy: boolean; error?: string }>({ items: [], cursor: null, busy: false });
  useEffect(() => setMore({ items: [], cursor: first.data?.nextCursor ?? null, busy: false }), [first.data]);
  const live = useLive({ category: 'saga' }, first.reload, 1000);

  const [views, setViews] = useState<SavedView[]>(readViews);
  const [viewName, setViewName] = useState('');

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTERS) {
      const value = TIME_FILTERS.has(key) ? localToIso(draft[key]) : draft[key].trim();
      if (value) next.set(key, value);
    }
    setParams(next);
  };
  const loadMore = () => {
    if (!more.cursor) return;
    setMore((m) => ({ ...m, busy: true }));
    get<Page<SagaSummary>>(apiPath('sagas', { ...filters, limit: 50, cursor: more.cursor })).then(
      (page) => setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.nextCursor, busy: false })),
      (error: unknown) => setMore((m) => ({ ...m, busy: false, error: errorMessage(error) })),
    );
  };
  const rows = [...(first.data?.items ?? []), ...more.items];
  const query = params.toString();

  return (
    <>
      <div className="page-head">
        <h1>Sagas</h1>
        <LiveBadge state={live} />
      </div>
      <form className="filters card" data-testid="saga-filters" onSubmit={apply} aria-label="Saga filters">
        {FILTERS.map((key) => {
          const id = `filter-${key}`;
          return (
            <div className="field" key={key}>
              <label htmlFor={id}>{LABELS[key]}</label>
              {key === 'status' ? (
                <select id={id} data-testid={id} value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
                  <option value="">any</option>
                  {STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              ) : TIME_FILTERS.has(key) ? (
                <input
                  id={id}
                  data-testid={id}
                  type="datetime-local"
                  step="1"
                  value={draft[key].includes('Z') || /[+-]\d\d:\d\d$/.test(draft[key]) ? isoToLocal(draft[key]) : draft[key]}
                  onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
                />
              ) : (
                <input id={id} data-testid={id} type="text" value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
              )}
            </div>
          );
        })}
        <div className="filter-actions">
          <button type="submit" className="button primary" data-testid="filter-apply">
            Apply filters
          </button>
          <button type="button" className="button" data-testid="filter-clear" onClick={() => setParams(new URLSearchParams())}>
            Clear
          </button>
        </div>
      </form>

      <section className="saved-views" aria-labelledby="views-title">
        <h2 id="views-title" className="small-heading">
          Saved views
        </h2>
        {views.length === 0 ? (
          <p className="muted">No saved views yet. Filter the list, name the view and save it; the address bar is also a shareable link.</p>
        ) : (
          <ul data-testid="saved-views" className="chips">
            {views.map((view) => (
              <li key={view.name} data-testid="saved-view" className="chip">
                <Link to={`/sagas${view.query ? `?${view.query}` : ''}`}>{view.name}</Link>
                <button
                  type="button"
                  className="chip-remove"
                  data-testid="view-delete"
                  aria-label={`Delete saved view ${view.name}`}
                  onClick={() => {
                    const next = views.filter((v) => v.name !== view.name);
                    writeViews(next);
                    setViews(next);
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            const name = viewName.trim();
            if (!name) return;
            const next = [...views.filter((v) => v.name !== name), { name, query }];
            writeViews(next);
            setViews(next);
            setViewName('');
          }}
        >
          <label htmlFor="view-name">Save this view as</label>
          <input id="view-name" data-testid="view-name" value={viewName} onChange={(e) => setViewName(e.target.value)} placeholder="e.g. failed this week" />
          <button type="submit" className="button" data-testid="view-save" disabled={!viewName.trim()}>
            Save view
          </button>
        </form>
      </section>

      <ErrorBox message={first.error ?? more.error} />
      {!first.data && !first.error && <Loading what="sagas" />}
      {first.data && (
        <DataTable testId="saga-list" caption="Sagas, newest first" columns={['Saga', 'Status', 'Kind / definition', 'Current step', 'Deployment', 'Started', 'Triggered by']} empty={rows.length === 0 && 'No saga matches these filters.'}>
          {rows.map((saga) => (
            <tr key={saga.id} data-testid="saga-row" data-saga-id={saga.id} data-status={saga.status}>
              <td>
                <Link to={`/sagas/${encodeURIComponent(saga.id)}`} className="mono">
                  {saga.id}
                </Link>
              </td>
              <td>
                <StatusBadge status={saga.status} />
              </td>
              <td>
                {saga.kind}
                <div className="muted small">
                  {saga.definition} v{saga.version}
                </div>
              </td>
              <td>{saga.currentStep ?? '—'}</td>
              <td className="mono">{saga.deploymentId ?? '—'}</td>
              <td>
                <Time at={saga.startedAt} />
              </td>
              <td>{saga.triggeredBy}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={more.cursor} onMore={loadMore} busy={more.busy} />
    </>
  );
}
