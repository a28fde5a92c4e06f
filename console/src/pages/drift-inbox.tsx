import { memo, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { act, apiPath, errorMessage, get, type Page } from '../api';
import { Ago, Dialog, ErrorBox, LiveBadge, Loading, LoadMore, Time } from '../components/ui';
import { localToIso, show } from '../format';
import { useLive, useLoad } from '../hooks';
import { useCan } from '../session';
import { DriftNav } from './drift-nav';
import type { Drift, DriftGroup, GroupAnswer, IgnoreFields } from './drift-types';
import { IgnoreFieldset, ignoreComplete, inAWeek } from './ignore-fields';

type Action = 'accept' | 'revert' | 'ignore';

/** Every group (there are few: one per cause), most drifts first, then the oldest. */
async function allGroups(signal: AbortSignal): Promise<DriftGroup[]> {
  const groups: DriftGroup[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<DriftGroup> = await get<Page<DriftGroup>>(apiPath('drift/groups', { limit: 100, cursor }), signal);
    groups.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return groups.sort((a, b) => b.count - a.count || Date.parse(a.oldestDetectedAt) - Date.parse(b.oldestDetectedAt));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function DriftInbox() {
  const groups = useLoad('drift-groups', allGroups);
  const admin = useCan('platform_admin');
  const [outcome, setOutcome] = useState<string | undefined>();
  const [bulk, setBulk] = useState<{ group: DriftGroup; action: Action } | null>(null);
  // drift is recorded on the spec streams: detection, acceptance and ignores all land there
  const live = useLive({ category: 'spec' }, groups.reload, 1500);
  const total = groups.data?.reduce((n, g) => n + g.count, 0) ?? 0;
  return (
    <>
      <div className="page-head">
        <h1>Drift inbox</h1>
        <LiveBadge state={live} />
        <button type="button" className="button small" onClick={groups.reload}>
          Refresh
        </button>
      </div>
      <DriftNav />
      <p className="muted">Open drift grouped by cause — the same field drifted from the same value to the same value — ranked by how many resources it touches, then by age.</p>
      {outcome && (
        <p role="status" className="success-text" data-testid="action-outcome">
          {outcome}
        </p>
      )}
      <ErrorBox message={groups.error} />
      {!groups.data && !groups.error && <Loading what="drift groups" />}
      {groups.data && (
        <>
          <p>
            <strong>{total}</strong> open drift{total === 1 ? '' : 's'} in <strong>{groups.data.length}</strong> group{groups.data.length === 1 ? '' : 's'}.
          </p>
          <GroupList
            groups={groups.data}
            admin={admin}
            onBulk={(group, action) => setBulk({ group, action })}
            onChanged={(message) => {
              setOutcome(message);
              groups.reload();
            }}
          />
        </>
      )}
      {bulk && (
        <BulkDialog
          group={bulk.group}
          action={bulk.action}
          onClose={(changed) => {
            setBulk(null);
            if (changed) groups.reload();
          }}
        />
      )}
    </>
  );
}

const GroupList = memo(function GroupList({
  groups,
  admin,
  onBulk,
  onChanged,
}: {
  groups: DriftGroup[];
  admin: boolean;
  onBulk: (group: DriftGroup, action: Action) => void;
  onChanged: (message: string) => void;
}) {
  const list = useRef<HTMLOListElement>(null);
  // the bench waits for this: the grouped view is in the document
  useEffect(() => {
    list.current?.setAttribute('data-rendered', 'true');
  });
  return (
    <ol className="groups" data-testid="drift-groups" ref={list} aria-label="Drift groups">
      {groups.length === 0 && <li className="card muted">No open drift. Everything matches its spec.</li>}
      {groups.map((group) => (
        <GroupRow key={group.groupId} group={group} admin={admin} onBulk={onBulk} onChanged={onChanged} />
      ))}
    </ol>
  );
});

function GroupRow({ group, admin, onBulk, onChanged }: { group: DriftGroup; admin: boolean; onBulk: (group: DriftGroup, action: Action) => void; onChanged: (message: string) => void }) {
  const [open, setOpen] = useState(false);
  const bodyId = `group-${group.groupId}`;
  return (
    <li className="group" data-testid="drift-group" data-group-id={group.groupId} data-count={group.count} data-field={group.field}>
      <div className="group-head">
        <span className="group-count" aria-label={`${group.count} drifts`}>
          {group.count}
        </span>
        <div className="group-cause">
          <h2 className="small-heading">
            <code>{group.field}</code>: <span className="value-label">spec</span>
            <span className="change-from">{show(group.expected)}</span> → <span className="value-label">live</span>
            <span className="change-to">{show(group.actual)}</span>
          </h2>
          <span className="muted small">
            oldest <Ago at={group.oldestDetectedAt} />, newest <Ago at={group.newestDetectedAt} />
          </span>
        </div>
        <div className="actions">
          <button type="button" className="button small" data-testid="group-expand" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen((o) => !o)}>
            {open ? 'Hide drifts' : 'Show drifts'}
          </button>
          {admin && (
            <>
              <button type="button" className="button small" data-action="group-accept" onClick={() => onBulk(group, 'accept')}>
                Accept all…
              </button>
              <button type="button" className="button small" data-action="group-revert" onClick={() => onBulk(group, 'revert')}>
                Revert all…
              </button>
              <button type="button" className="button small" data-action="group-ignore" onClick={() => onBulk(group, 'ignore')}>
                Ignore all…
              </button>
            </>
          )}
        </div>
      </div>
      {open && (
        <div className="group-body" id={bodyId}>
          <GroupDrifts group={group} admin={admin} onChanged={onChanged} />
        </div>
      )}
    </li>
  );
}

/** The drifts of one group: the open drift of its field, kept where expected and actual match the group's. */
function GroupDrifts({ group, admin, onChanged }: { group: DriftGroup; admin: boolean; onChanged: (message: string) => void }) {
  const [rows, setRows] = useState<Drift[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [ignoring, setIgnoring] = useState<Drift | null>(null);
  const [ignore, setIgnore] = useState<IgnoreFields>({ owner: '', reason: '', expires: inAWeek() });
  const [acting, setActing] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  const load = async (from: string | null, signal?: AbortSignal) => {
    setBusy(true);
    try {
      const found: Drift[] = [];
      let next: string | null = from;
      // fill a screen: other groups of the same field share the pages
      do {
        const page: Page<Drift> = await get<Page<Drift>>(apiPath('drift', { status: 'open', field: group.field, limit: 100, cursor: next }), signal);
        found.push(...page.items.filter((d) => same(d.expected, group.expected) && same(d.actual, group.actual)));
        next = page.nextCursor;
      } while (next && found.length < 50);
      setRows((previous) => (from ? [...previous, ...found] : found));
      setCursor(next);
      setError(undefined);
    } catch (failure) {
      if (!signal?.aborted) setError(errorMessage(failure));
    } finally {
      if (!signal?.aborted) setBusy(false);
    }
  };
  useEffect(() => {
    const controller = new AbortController();
    void load(null, controller.signal);
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [group.groupId, group.count, tick]);

  const run = (drift: Drift, action: Action, body?: unknown) => {
    setActing(drift.id);
    setError(undefined);
    act(apiPath(`drift/${encodeURIComponent(drift.id)}/${action}`), body).then(
      () => {
        setActing(null);
        setIgnoring(null);
        onChanged(`${action === 'accept' ? 'Accepted' : action === 'revert' ? 'Revert started for' : 'Ignored'} drift ${drift.id} on ${drift.resourceId}.`);
        setTick((t) => t + 1);
      },
      (failure: unknown) => {
        setActing(null);
        setError(errorMessage(failure));
      },
    );
  };

  return (
    <>
      {!ignoring && <ErrorBox message={error} />}
      <table data-testid="group-drifts">
        <caption className="visually-hidden">Open drifts of {group.field}</caption>
        <thead>
          <tr>
            <th scope="col">Resource</th>
            <th scope="col">Detected</th>
            <th scope="col">Drift</th>
            {admin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((drift) => (
            <tr key={drift.id} data-testid="drift-row" data-drift-id={drift.id} data-resource-id={drift.resourceId}>
              <td>
                <Link to={`/inventory/${encodeURIComponent(drift.resourceId)}`} className="mono">
                  {drift.resourceId}
                </Link>
              </td>
              <td>
                <Time at={drift.detectedAt} />
              </td>
              <td className="mono small">{drift.id}</td>
              {admin && (
                <td>
                  <div className="actions tight">
                    <button type="button" className="button small" data-action="accept" disabled={acting === drift.id} onClick={() => run(drift, 'accept')} aria-label={`Accept drift on ${drift.resourceId}`}>
                      Accept
                    </button>
                    <button type="button" className="button small" data-action="revert" disabled={acting === drift.id} onClick={() => run(drift, 'revert')} aria-label={`Revert drift on ${drift.resourceId}`}>
                      Revert
                    </button>
                    <button type="button" className="button small" data-action="ignore" disabled={acting === drift.id} onClick={() => setIgnoring(drift)} aria-label={`Ignore drift on ${drift.resourceId}`}>
                      Ignore…
                    </button>
                  </div>
                </td>
              )}
            </tr>
          ))}
          {!busy && rows.length === 0 && (
            <tr>
              <td colSpan={admin ? 4 : 3} className="muted">
                No open drift left in this group.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {busy && <Loading what="drifts" />}
      <LoadMore cursor={cursor} onMore={() => void load(cursor)} busy={busy} />
      <Dialog
        name="ignore"
        title={ignoring ? `Ignore drift on ${ignoring.resourceId}` : 'Ignore drift'}
        open={ignoring !== null}
        onClose={() => setIgnoring(null)}
        confirm={{
          label: 'Ignore',
          disabled: !ignoreComplete(ignore) || acting !== null,
          onConfirm: () => ignoring && run(ignoring, 'ignore', { owner: ignore.owner.trim(), reason: ignore.reason.trim(), expiresAt: localToIso(ignore.expires) }),
        }}
      >
        <IgnoreFieldset value={ignore} onChange={setIgnore} />
        <ErrorBox message={error} />
      </Dialog>
    </>
  );
}

type BulkState =
  | { step: 'dry-run' }
  | { step: 'confirm'; answer: GroupAnswer }
  | { step: 'running'; answer: GroupAnswer }
  | { step: 'done'; answer: GroupAnswer; result: GroupAnswer };

const VERB: Record<Action, string> = { accept: 'Accept', revert: 'Revert', ignore: 'Ignore' };

/**
 * A bulk action in three steps: the dry run lists exactly what it would touch; the operator types
 * that count; the real request names that frozen list (`driftIds`), so a drift that joined the
 * group meanwhile is not touched.
 */
function BulkDialog({ group, action, onClose }: { group: DriftGroup; action: Action; onClose: (changed: boolean) => void }) {
  const [state, setState] = useState<BulkState>({ step: 'dry-run' });
  const [error, setError] = useState<string | undefined>();
  const [typed, setTyped] = useState('');
  const [ignore, setIgnore] = useState<IgnoreFields>({ owner: '', reason: '', expires: inAWeek() });

  useEffect(() => {
    // The ignore route's dry run wants the ignore terms before it lists anything, but the operator
    // should see the list first: the group's members do not depend on the action (the server lists
    // them the same way for all three), so the accept dry run — which touches nothing — lists them.
    // The real request then names exactly that list, with the terms.
    const listing = action === 'ignore' ? 'accept' : action;
    act<GroupAnswer>(apiPath(`drift/groups/${group.groupId}/${listing}`, { dryRun: 'true' })).then(
      ({ data }) => setState({ step: 'confirm', answer: data }),
      (failure: unknown) => setError(errorMessage(failure)),
    );
  }, [group.groupId, action]);

  const confirm = (answer: GroupAnswer) => {
    setError(undefined);
    setState({ step: 'running', answer });
    const driftIds = answer.items.map((item) => item.driftId);
    const terms = action === 'ignore' ? { owner: ignore.owner.trim(), reason: ignore.reason.trim(), expiresAt: localToIso(ignore.expires) ?? '' } : {};
    act<GroupAnswer>(apiPath(`drift/groups/${group.groupId}/${action}`), { driftIds, ...terms }).then(
      ({ data }) => setState({ step: 'done', answer, result: data }),
      (failure: unknown) => {
        setError(errorMessage(failure));
        setState({ step: 'confirm', answer });
      },
    );
  };

  const title = `${VERB[action]} the group ${group.field}: ${show(group.expected)} → ${show(group.actual)}`;
  const count = state.step === 'dry-run' ? 0 : state.answer.items.length;
  const confirmButton =
    state.step === 'confirm' || state.step === 'running'
      ? {
          label: state.step === 'running' ? 'Working…' : `${VERB[action]} ${count} drift${count === 1 ? '' : 's'}`,
          danger: action !== 'accept',
          disabled: state.step === 'running' || count === 0 || typed.trim() !== String(count) || (action === 'ignore' && !ignoreComplete(ignore)),
          onConfirm: () => confirm(state.answer),
        }
      : undefined;

  return (
    <Dialog name="bulk" title={title} open onClose={() => onClose(state.step === 'done')} closeLabel={state.step === 'done' ? 'Close' : 'Cancel'} confirm={confirmButton}>
      {state.step === 'dry-run' && !error && <Loading what="the dry run" />}
      {(state.step === 'confirm' || state.step === 'running') && (
        <>
          <p>
            The dry run found <strong data-testid="bulk-count">{count}</strong> open drift{count === 1 ? '' : 's'}. Exactly these, and no others, will be{' '}
            {action === 'accept' ? 'accepted' : action === 'revert' ? 'reverted' : 'ignored'} — a drift that joins the group meanwhile is left alone:
          </p>
          <ul className="frozen-list" data-testid="bulk-dryrun-list" tabIndex={0} aria-label="Drifts the action will touch">
            {state.answer.items.map((item) => (
              <li key={item.driftId} data-testid="bulk-dryrun-item" data-drift-id={item.driftId}>
                {item.resourceId} <span className="muted">({item.driftId})</span>
              </li>
            ))}
          </ul>
          {state.answer.more && <p className="notice">The group holds more than {state.answer.limit} drifts: this acts on the {state.answer.limit} oldest; run it again for the rest.</p>}
          {action === 'ignore' && <IgnoreFieldset value={ignore} onChange={setIgnore} />}
          {count > 0 && (
            <div className="field">
              <label htmlFor="bulk-confirm-input">Type {count} to confirm</label>
              <input id="bulk-confirm-input" data-testid="bulk-confirm-input" inputMode="numeric" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
            </div>
          )}
        </>
      )}
      {state.step === 'done' && <BulkResults result={state.result} />}
      <ErrorBox message={error} />
    </Dialog>
  );
}

function BulkResults({ result }: { result: GroupAnswer }) {
  return (
    <div data-testid="bulk-results">
      <p role="status">
        <strong data-testid="bulk-succeeded">{result.succeeded ?? 0}</strong> succeeded, <strong data-testid="bulk-failed">{result.failed ?? 0}</strong> failed.
      </p>
      <ul className="frozen-list" tabIndex={0} aria-label="Outcome of each drift">
        {result.items.map((item) => (
          <li key={item.driftId} data-testid="bulk-result" data-outcome={item.outcome} data-drift-id={item.driftId}>
            <span className={item.outcome === 'failed' ? 'error-text' : 'success-text'}>{item.outcome === 'failed' ? '✗ failed' : '✓ succeeded'}</span> {item.resourceId}
            {item.error && <span className="error-text"> — {typeof item.error === 'string' ? item.error : item.error.message}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
