import { useState } from 'react';
import { act, apiPath, errorMessage, get, type Page } from '../api';
import { Ago, DataTable, Dialog, ErrorBox, JsonToggle, LiveBadge, Loading, StatusBadge, Time } from '../components/ui';
import { useLive, useLoad } from '../hooks';
import { useCan } from '../session';

interface IacState {
  readonly resource_id: string;
  readonly resource_type: string;
  readonly provider: string;
  readonly provider_id?: string;
  readonly status: string;
  readonly updated_at: string;
  readonly error?: string;
  readonly [key: string]: unknown;
}
interface IacLock {
  readonly lockId?: string;
  readonly resourceId: string;
  readonly owner: string;
  readonly operation: string;
  readonly info: string;
  readonly who: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

async function all<T>(path: string, signal: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await get<Page<T>>(apiPath(path, { limit: 100, cursor }), signal);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < 5000);
  return items;
}

export function Iac() {
  const states = useLoad('iac-states', (signal) => all<IacState>('iac/states', signal));
  const locks = useLoad('iac-locks', (signal) => all<IacLock>('iac/locks', signal));
  const live = useLive({ category: 'iac' }, () => {
    states.reload();
    locks.reload();
  }, 1500);
  const admin = useCan('platform_admin');
  const [unlocking, setUnlocking] = useState<IacLock | null>(null);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const forceUnlock = (lock: IacLock) => {
    if (!lock.lockId) return;
    setBusy(true);
    setError(undefined);
    act(apiPath(`iac/states/${encodeURIComponent(lock.resourceId)}/lock`, { lock_id: lock.lockId, force: 'true' }), undefined, 'DELETE').then(
      () => {
        setBusy(false);
        setUnlocking(null);
        setOutcome(`Lock on ${lock.resourceId} (held by ${lock.who} for ${lock.operation}) force-unlocked.`);
        locks.reload();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorMessage(failure));
      },
    );
  };

  return (
    <>
      <div className="page-head">
        <h1>IaC states and locks</h1>
        <LiveBadge state={live} />
        <button
          type="button"
          className="button small"
          onClick={() => {
            states.reload();
            locks.reload();
          }}
        >
          Refresh
        </button>
      </div>
      {outcome && (
        <p role="status" className="success-text" data-testid="action-outcome">
          {outcome}
        </p>
      )}
      <section aria-labelledby="locks-title">
        <h2 id="locks-title">Locks</h2>
        <ErrorBox message={locks.error} />
        {!locks.data && !locks.error && <Loading what="locks" />}
        {locks.data && (
          <DataTable testId="iac-locks" caption="Live locks" columns={['Resource', 'Owner', 'Operation', 'Who', 'Since', 'Until', admin && 'Lock id', admin && 'Actions']} empty={locks.data.length === 0 && 'No record is locked.'}>
            {locks.data.map((lock) => (
              <tr key={lock.resourceId} data-testid="iac-lock-row" data-resource-id={lock.resourceId}>
                <td className="mono">{lock.resourceId}</td>
                <td>{lock.owner}</td>
                <td>{lock.operation}</td>
                <td>{lock.who}</td>
                <td>
                  <Ago at={lock.acquiredAt} />
                </td>
                <td>
                  <Time at={lock.expiresAt} />
                </td>
                {admin && <td className="mono small">{lock.lockId ?? '—'}</td>}
                {admin && (
                  <td>
                    <button
                      type="button"
                      className="button small danger"
                      data-action="force-unlock"
                      aria-label={`Force-unlock ${lock.resourceId}`}
                      onClick={() => {
                        setTyped('');
                        setError(undefined);
                        setUnlocking(lock);
                      }}
                    >
                      Force-unlock…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      <section aria-labelledby="states-title">
        <h2 id="states-title">States</h2>
        <ErrorBox message={states.error} />
        {!states.data && !states.error && <Loading what="states" />}
        {states.data && (
          <DataTable testId="iac-states" caption="IaC state records" columns={['Resource', 'Type', 'Provider', 'Status', 'Updated', 'Record']} empty={states.data.length === 0 && 'No state record.'}>
            {states.data.map((state) => (
              <tr key={state.resource_id} data-testid="iac-state-row" data-resource-id={state.resource_id}>
                <td className="mono">{state.resource_id}</td>
                <td>{state.resource_type}</td>
                <td>
                  {state.provider}
                  {state.provider_id ? <span className="muted small"> ({state.provider_id})</span> : null}
                </td>
                <td>
                  <StatusBadge status={state.status} />
                  {state.error ? <div className="error-text small">{state.error}</div> : null}
                </td>
                <td>
                  <Time at={state.updated_at} />
                </td>
                <td>
                  <JsonToggle value={state} label="Show record" />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      <Dialog
        name="force-unlock"
        title={unlocking ? `Force-unlock ${unlocking.resourceId}?` : 'Force-unlock'}
        open={unlocking !== null}
        onClose={() => setUnlocking(null)}
        confirm={{ label: busy ? 'Unlocking…' : 'Force-unlock', danger: true, disabled: busy || !unlocking || typed.trim() !== unlocking.resourceId, onConfirm: () => unlocking && forceUnlock(unlocking) }}
      >
        {unlocking && (
          <>
            <p>
              <strong>{unlocking.who}</strong> holds this lock for <strong>{unlocking.operation}</strong> (owner {unlocking.owner}) until <Time at={unlocking.expiresAt} />. Forcing it open while
              they still write can corrupt the state.
            </p>
            <div className="field">
              <label htmlFor="force-unlock-confirm">Type the resource id ({unlocking.resourceId}) to confirm</label>
              <input id="force-unlock-confirm" data-testid="force-unlock-confirm" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
            </div>
          </>
        )}
        <ErrorBox message={error} />
      </Dialog>
    </>
  );
}
