import type { IgnoreFields } from './drift-types';

/** Who owns the exception, why, and until when: what an ignore (and a policy) must say. */
export function IgnoreFieldset({ value, onChange }: { value: IgnoreFields; onChange: (next: IgnoreFields) => void }) {
  return (
    <fieldset className="plain-fieldset">
      <legend>Who owns this exception, why, and until when</legend>
      <div className="field">
        <label htmlFor="ignore-owner">Owner</label>
        <input id="ignore-owner" data-testid="ignore-owner" value={value.owner} onChange={(e) => onChange({ ...value, owner: e.target.value })} required />
      </div>
      <div className="field">
        <label htmlFor="ignore-reason">Reason</label>
        <input id="ignore-reason" data-testid="ignore-reason" value={value.reason} onChange={(e) => onChange({ ...value, reason: e.target.value })} required />
      </div>
      <div className="field">
        <label htmlFor="ignore-expires">Expires</label>
        <input id="ignore-expires" data-testid="ignore-expires" type="datetime-local" value={value.expires} onChange={(e) => onChange({ ...value, expires: e.target.value })} required />
      </div>
    </fieldset>
  );
}

export function ignoreComplete(value: IgnoreFields): boolean {
  return value.owner.trim() !== '' && value.reason.trim() !== '' && value.expires !== '';
}

/** A week from now, as a datetime-local value: a sensible default expiry. */
export function inAWeek(): string {
  const date = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
