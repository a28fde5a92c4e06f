import { type FormEvent, useState } from 'react';
import { act, apiPath, errorMessage, get, type Page } from '../api';
import { DataTable, Dialog, ErrorBox, Loading, StatusBadge, Time } from '../components/ui';
import { localToIso } from '../format';
import { useLoad } from '../hooks';
import { useCan } from '../session';
import { DriftNav } from './drift-nav';
import { inAWeek } from './ignore-fields';

interface Policy {
  readonly policyId: string;
  readonly resource: string;
  readonly field: string;
  readonly owner: string;
  readonly reason: string;
  readonly expiresAt: string;
  readonly status: 'live' | 'expired' | 'ended';
  readonly createdAt: string;
  readonly createdBy: string;
  readonly endedAt: string | null;
  readonly endedBy: string | null;
  readonly ignoring: number;
  readonly matched: number;
}

async function allPolicies(signal: AbortSignal): Promise<Policy[]> {
  const all: Policy[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Policy> = await get<Page<Policy>>(apiPath('drift/policies', { limit: 100, cursor }), signal);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export function DriftPolicies() {
  const policies = useLoad('policies', allPolicies);
  const admin = useCan('platform_admin');
  const [form, setForm] = useState({ resource: '', field: '', owner: '', reason: '', expires: inAWeek() });
  const [error, setError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [ending, setEnding] = useState<Policy | null>(null);

  const add = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    act<{ policyId: string }>(apiPath('drift/policies'), {
      resource: form.resource.trim(),
      field: form.field.trim(),
      owner: form.owner.trim(),
      reason: form.reason.trim(),
      expiresAt: localToIso(form.expires),
    }).then(
      () => {
        setBusy(false);
        setOutcome(`Policy added: ${form.resource} / ${form.field}.`);
        setForm({ resource: '', field: '', owner: '', reason: '', expires: inAWeek() });
        policies.reload();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorMessage(failure));
      },
    );
  };
  const end = (policy: Policy) => {
    setBusy(true);
    setError(undefined);
    act(apiPath(`drift/policies/${encodeURIComponent(policy.policyId)}`), undefined, 'DELETE').then(
      () => {
        setBusy(false);
        setEnding(null);
        setOutcome(`Policy ${policy.policyId} ended.`);
        policies.reload();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(errorMessage(failure));
      },
    );
  };
  const text = (key: 'resource' | 'field' | 'owner' | 'reason', label: string, hint?: string) => (
    <div className="field">
      <label htmlFor={`policy-${key}`}>{label}</label>
      <input id={`policy-${key}`} data-testid={`policy-${key}`} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} required aria-describedby={hint ? `policy-${key}-hint` : undefined} />
      {hint && (
        <small id={`policy-${key}-hint`} className="muted">
          {hint}
        </small>
      )}
    </div>
  );

  return (
    <>
      <h1>Drift policies</h1>
      <DriftNav />
      <p className="muted">A policy ignores matching drift until it expires or is ended: every exception has an owner, a reason and an end.</p>
      {outcome && (
        <p role="status" className="success-text" data-testid="action-outcome">
          {outcome}
        </p>
      )}
      {!ending && <ErrorBox message={error ?? policies.error} />}
      {admin && (
        <form className="card filters" data-testid="policy-form" onSubmit={add} aria-labelledby="policy-add-title">
          <h2 id="policy-add-title" className="small-heading span-all">
            Add a policy
          </h2>
          {text('resource', 'Resource', 'id or name glob, e.g. do:droplet:* or web-*')}
          {text('field', 'Field', 'e.g. size_slug, * or tags:env-*')}
          {text('owner', 'Owner')}
          {text('reason', 'Reason')}
          <div className="field">
            <label htmlFor="policy-expires">Expires</label>
            <input id="policy-expires" data-testid="policy-expires" type="datetime-local" value={form.expires} onChange={(e) => setForm({ ...form, expires: e.target.value })} required />
          </div>
          <div className="filter-actions">
            <button type="submit" className="button primary" data-action="policy-add" disabled={busy}>
              Add policy
            </button>
          </div>
        </form>
      )}
      {!policies.data && !policies.error && <Loading what="policies" />}
      {policies.data && (
        <DataTable testId="policy-list" caption="Drift policies" columns={['Resource', 'Field', 'Owner', 'Reason', 'Status', 'Expires', 'Ignoring', admin && 'Actions']} empty={policies.data.length === 0 && 'No policy.'}>
          {policies.data.map((policy) => (
            <tr key={policy.policyId} data-testid="policy-row" data-policy-id={policy.policyId} data-status={policy.status}>
              <td className="mono">{policy.resource}</td>
              <td className="mono">{policy.field}</td>
              <td>{policy.owner}</td>
              <td>{policy.reason}</td>
              <td>
                <StatusBadge status={policy.status} />
              </td>
              <td>
                <Time at={policy.expiresAt} />
              </td>
              <td>
                {policy.ignoring} <span className="muted small">(matched {policy.matched})</span>
              </td>
              {admin && (
                <td>
                  {policy.status === 'live' && (
                    <button type="button" className="button small" data-action="policy-end" onClick={() => setEnding(policy)} aria-label={`End policy ${policy.resource} ${policy.field}`}>
                      End…
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      <Dialog
        name="end-policy"
        title="End this policy?"
        open={ending !== null}
        onClose={() => setEnding(null)}
        confirm={{ label: 'End policy', danger: true, disabled: busy, onConfirm: () => ending && end(ending) }}
      >
        {ending && (
          <p>
            Drift it ignores on <code>{ending.resource}</code> / <code>{ending.field}</code> comes back to the inbox at the next detection.
          </p>
        )}
        <ErrorBox message={error} />
      </Dialog>
    </>
  );
}
