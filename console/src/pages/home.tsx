import { Link } from 'react-router';
import { apiPath, get } from '../api';
import { Ago, ErrorBox, Loading } from '../components/ui';
import { useLoad } from '../hooks';
import { useSession } from '../session';

export interface InventorySummary {
  readonly resources: number;
  readonly managed: number;
  readonly unmanaged: number;
  readonly coverage: number;
  readonly openDrift: number;
  readonly lastSyncAt: string | null;
  readonly lastDetectAt: string | null;
}

export function percent(coverage: number): string {
  return `${Math.round(coverage * 1000) / 10}%`;
}

export function Home() {
  const { me } = useSession();
  const summary = useLoad('summary', (signal) => get<InventorySummary>(apiPath('inventory/summary'), signal));
  return (
    <>
      <h1>Overview</h1>
      <p className="muted">
        Signed in as <strong>{me.name}</strong> ({me.role}){me.expiresAt ? <> · token expires <Ago at={me.expiresAt} /></> : null}.
      </p>
      <ErrorBox message={summary.error} />
      {!summary.data && !summary.error && <Loading what="the summary" />}
      {summary.data && (
        <section aria-labelledby="fleet" data-testid="summary">
          <h2 id="fleet">Fleet</h2>
          <dl className="tiles">
            <div className="tile">
              <dt>Resources</dt>
              <dd data-testid="summary-resources">{summary.data.resources}</dd>
            </div>
            <div className="tile">
              <dt>Managed</dt>
              <dd data-testid="summary-managed">
                {summary.data.managed} <small className="muted">/ {summary.data.unmanaged} unmanaged</small>
              </dd>
            </div>
            <div className="tile">
              <dt>Coverage</dt>
              <dd data-testid="summary-coverage">{percent(summary.data.coverage)}</dd>
            </div>
            <div className="tile">
              <dt>Open drift</dt>
              <dd data-testid="summary-open-drift">
                <Link to="/drift">{summary.data.openDrift}</Link>
              </dd>
            </div>
            <div className="tile">
              <dt>Last inventory sync</dt>
              <dd data-testid="summary-last-sync">
                <Ago at={summary.data.lastSyncAt} />
              </dd>
            </div>
            <div className="tile">
              <dt>Last drift detection</dt>
              <dd>
                <Ago at={summary.data.lastDetectAt} />
              </dd>
            </div>
          </dl>
        </section>
      )}
      <section aria-labelledby="goto">
        <h2 id="goto">Where to go</h2>
        <ul className="cards">
          <li className="card">
            <h3>
              <Link to="/sagas">Sagas</Link>
            </h3>
            <p className="muted">Follow provisioning live, read every attempt and its error, cancel or retry a compensation.</p>
          </li>
          <li className="card">
            <h3>
              <Link to="/drift">Drift inbox</Link>
            </h3>
            <p className="muted">Open drift grouped by cause: accept, revert or ignore one drift or a whole group.</p>
          </li>
          <li className="card">
            <h3>
              <Link to="/inventory">Inventory</Link>
            </h3>
            <p className="muted">Every droplet seen, its spec and history, and how it looked at any moment.</p>
          </li>
          <li className="card">
            <h3>
              <Link to="/iac">IaC</Link>
            </h3>
            <p className="muted">State records and who holds each lock.</p>
          </li>
        </ul>
      </section>
    </>
  );
}
