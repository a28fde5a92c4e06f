import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { apiPath, errorMessage, get, type Page } from '../api';
import { DataTable, ErrorBox, LoadMore, Loading, StatusBadge, Time } from '../components/ui';
import { show } from '../format';
import { useLoad } from '../hooks';
import { DriftNav } from './drift-nav';
import type { Drift } from './drift-types';

const STATUSES = ['accepted', 'reverted', 'ignored', 'stale', 'resource_deleted', 'all'] as const;

export function DriftClosed() {
  const [params, setParams] = useSearchParams();
  const status = STATUSES.find((s) => s === params.get('status')) ?? 'accepted';
  const first = useLoad(`closed:${status}`, (signal) => get<Page<Drift>>(apiPath('drift', { status, limit: 100 }), signal));
  const [more, setMore] = useState<{ items: Drift[]; cursor: string | null; busy: boolean; error?: string }>({ items: [], cursor: null, busy: false });
  useEffect(() => setMore({ items: [], cursor: first.data?.nextCursor ?? null, busy: false }), [first.data]);
  const loadMore = () => {
    if (!more.cursor) return;
    setMore((m) => ({ ...m, busy: true }));
    get<Page<Drift>>(apiPath('drift', { status, limit: 100, cursor: more.cursor })).then(
      (page) => setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.nextCursor, busy: false })),
      (error: unknown) => setMore((m) => ({ ...m, busy: false, error: errorMessage(error) })),
    );
  };
  const rows = [...(first.data?.items ?? []), ...more.items];
  return (
    <>
      <h1>Closed drift</h1>
      <DriftNav />
      <div className="inline-form">
        <label htmlFor="closed-status">Status</label>
        <select id="closed-status" data-testid="closed-status" value={status} onChange={(e) => setParams({ status: e.target.value })}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      <ErrorBox message={first.error ?? more.error} />
      {!first.data && !first.error && <Loading what="drift" />}
      {first.data && (
        <DataTable testId="drift-list" caption={<>Drift with status {status}</>} columns={['Resource', 'Field', 'Expected → actual', 'Status', 'Detected', 'Resolved', 'Policy / until']} empty={rows.length === 0 && 'No drift with this status.'}>
          {rows.map((drift) => (
            <tr key={drift.id} data-testid="drift-row" data-drift-id={drift.id} data-resource-id={drift.resourceId} data-status={drift.status}>
              <td>
                <Link className="mono" to={`/inventory/${encodeURIComponent(drift.resourceId)}`}>
                  {drift.resourceId}
                </Link>
              </td>
              <td className="mono">{drift.field}</td>
              <td>
                <span className="change-from">{show(drift.expected)}</span> → <span className="change-to">{show(drift.actual)}</span>
              </td>
              <td>
                <StatusBadge status={drift.status} />
              </td>
              <td>
                <Time at={drift.detectedAt} />
              </td>
              <td>
                <Time at={drift.resolvedAt} />
              </td>
              <td className="small">
                {drift.policyId ? <span className="mono">{drift.policyId}</span> : null}
                {drift.ignoredUntil ? (
                  <>
                    {' '}
                    until <Time at={drift.ignoredUntil} />
                  </>
                ) : null}
                {!drift.policyId && !drift.ignoredUntil ? '—' : null}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={more.cursor} onMore={loadMore} busy={more.busy} />
    </>
  );
}
