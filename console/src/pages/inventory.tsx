import { type FormEvent, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { act, apiPath, errorMessage, get, type Page } from '../api';
import { Ago, DataTable, Dialog, ErrorBox, LiveBadge, LoadMore, Loading, StatusBadge } from '../components/ui';
import { useLive, useLoad } from '../hooks';
import { useCan } from '../session';
import { type InventorySummary, percent } from './home';

export interface Resource {
  readonly resourceId: string;
  readonly providerId?: string;
  readonly name: string;
  readonly region: string;
  readonly sizeSlug: string;
  readonly status: string;
  readonly tags: string[];
  readonly managed: boolean;
  readonly lastSeenAt?: string;
  readonly firstSeenAt?: string;
  readonly attrs?: Record<string, unknown>;
}

const FILTERS = ['managed', 'status', 'tag', 'region'] as const;
type FilterKey = (typeof FILTERS)[number];

/** The droplet id in `do:droplet:<id>`. */
export function dropletIdOf(resource: Resource): string | null {
  return resource.providerId ?? /^do:droplet:(\d+)$/.exec(resource.resourceId)?.[1] ?? null;
}

export function Inventory() {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])) as Record<FilterKey, string>;
  const key = FILTERS.map((k) => `${k}=${filters[k]}`).join('&');
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])) as Record<FilterKey, string>), [params]);
  const summary = useLoad('summary', (signal) => get<InventorySummary>(apiPath('inventory/summary'), signal));
  const first = useLoad(key, (signal) => get<Page<Resource>>(apiPath('resources', { ...filters, limit: 100 }), signal));
  const [more, setMore] = useState<{ items: Resource[]; cursor: string | null; busy: boolean; error?: string }>({ items: [], cursor: null, busy: false });
  useEffect(() => setMore({ items: [], cursor: first.data?.nextCursor ?? null, busy: false }), [first.data]);
  const live = useLive({ category: 'resource' }, () => {
    first.reload();
    summary.reload();
  }, 2000);
  const admin = useCan('platform_admin');
  const [adopting, setAdopting] = useState<Resource | null>(null);
  const [actionError, setActionError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<{ text: string; sagaId?: string } | undefined>();
  const [busy, setBusy] = useState(false);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const k of FILTERS) if (draft[k].trim()) next.set(k, draft[k].trim());
    setParams(next);
  };
  const loadMore = () => {
    if (!more.cursor) return;
    setMore((m) => ({ ...m, busy: true }));
    get<Page<Resource>>(apiPath('resources', { ...filters, limit: 100, cursor: more.cursor })).then(
      (page) => setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.nextCursor, busy: false })),
      (error: unknown) => setMore((m) => ({ ...m, busy: false, error: errorMessage(error) })),
    );
  };
  const adopt = (resource: Resource) => {
    const dropletId = dropletIdOf(resource);
    if (!dropletId) return setActionError('Only droplets can be adopted.');
    setBusy(true);
    setActionError(undefined);
    act<{ sagaId: string }>(apiPath(`droplets/${encodeURIComponent(dropletId)}/adopt`), {}).then(
      ({ data }) => {
        setBusy(false);
        setAdopting(null);
        setOutcome({ text: `Adopting ${resource.name}: saga `, sagaId: data.sagaId });
        first.reload();
      },
      (failure: unknown) => {
        setBusy(false);
        setActionError(errorMessage(failure));
      },
    );
  };
  const rows = [...(first.data?.items ?? []), ...more.items];

  return (
    <>
      <div className="page-head">
        <h1>Inventory</h1>
        <LiveBadge state={live} />
      </div>
      <ErrorBox message={summary.error} />
      {summary.data && (
        <dl className="tiles">
          <div className="tile">
            <dt>Coverage (managed / all)</dt>
            <dd data-testid="coverage">{percent(summary.data.coverage)}</dd>
          </div>
          <div className="tile">
            <dt>Resources</dt>
            <dd>
              {summary.data.resources} <small className="muted">{summary.data.managed} managed, {summary.data.unmanaged} unmanaged</small>
            </dd>
          </div>
          <div className="tile">
            <dt>Open drift</dt>
            <dd>
              <Link to="/drift">{summary.data.openDrift}</Link>
            </dd>
          </div>
          <div className="tile">
            <dt>Last sync</dt>
            <dd>
              <Ago at={summary.data.lastSyncAt} />
            </dd>
          </div>
        </dl>
      )}
      <form className="filters card" data-testid="inventory-filters" onSubmit={apply} aria-label="Inventory filters">
        <div className="field">
          <label htmlFor="filter-managed">Managed</label>
          <select id="filter-managed" data-testid="filter-managed" value={draft.managed} onChange={(e) => setDraft({ ...draft, managed: e.target.value })}>
            <option value="">any</option>
            <option value="true">managed</option>
            <option value="false">unmanaged</option>
          </select>
        </div>
        {(['status', 'tag', 'region'] as const).map((k) => (
          <div className="field" key={k}>
            <label htmlFor={`filter-${k}`}>{k[0]!.toUpperCase() + k.slice(1)}</label>
            <input id={`filter-${k}`} data-testid={`filter-${k}`} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
          </div>
        ))}
        <div className="filter-actions">
          <button type="submit" className="button primary" data-testid="filter-apply">
            Apply filters
          </button>
          <button type="button" className="button" data-testid="filter-clear" onClick={() => setParams(new URLSearchParams())}>
            Clear
          </button>
        </div>
      </form>
      {outcome && (
        <p role="status" className="success-text" data-testid="action-outcome">
          {outcome.text}
          {outcome.sagaId && <Link to={`/sagas/${encodeURIComponent(outcome.sagaId)}`}>{outcome.sagaId}</Link>}
        </p>
      )}
      {!adopting && <ErrorBox message={first.error ?? more.error ?? actionError} />}
      {!first.data && !first.error && <Loading what="resources" />}
      {first.data && (
        <DataTable testId="resource-list" caption="Resources" columns={['Resource', 'Name', 'Status', 'Size', 'Region', 'Managed', 'Last seen', admin && 'Actions']} empty={rows.length === 0 && 'No resource matches.'}>
          {rows.map((r) => (
            <tr key={r.resourceId} data-testid="resource-row" data-resource-id={r.resourceId} data-managed={String(r.managed)}>
              <td>
                <Link className="mono" to={`/inventory/${encodeURIComponent(r.resourceId)}`}>
                  {r.resourceId}
                </Link>
              </td>
              <td>{r.name}</td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td className="mono">{r.sizeSlug}</td>
              <td>{r.region}</td>
              <td>{r.managed ? 'yes' : 'no'}</td>
              <td>
                <Ago at={r.lastSeenAt} testId="last-seen" />
              </td>
              {admin && (
                <td>
                  {!r.managed && r.status !== 'deleted' && (
                    <button type="button" className="button small" data-action="adopt" onClick={() => setAdopting(r)} aria-label={`Adopt ${r.name}`}>
                      Adopt…
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={more.cursor} onMore={loadMore} busy={more.busy} />
      <Dialog
        name="adopt"
        title={adopting ? `Adopt ${adopting.name}?` : 'Adopt'}
        open={adopting !== null}
        onClose={() => setAdopting(null)}
        confirm={{ label: busy ? 'Adopting…' : 'Adopt', disabled: busy, onConfirm: () => adopting && adopt(adopting) }}
      >
        <p>A saga tags the droplet managed-by-cloudledger and records its live size, region and image as its spec. From then on, drift from that spec is reported.</p>
        <ErrorBox message={actionError} />
      </Dialog>
    </>
  );
}
