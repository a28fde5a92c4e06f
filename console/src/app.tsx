import { useCallback, useEffect, useMemo, useState } from 'react';
import { NavLink, Route, Routes } from 'react-router';
import { ApiError, apiPath, clearToken, errorMessage, getToken, type Me, onSignedOut, request, setToken } from './api';
import { Home } from './pages/home';
import { SagaList } from './pages/saga-list';
import { SagaPage } from './pages/saga-page';
import { DriftInbox } from './pages/drift-inbox';
import { DriftClosed } from './pages/drift-closed';
import { DriftPolicies } from './pages/drift-policies';
import { Inventory } from './pages/inventory';
import { ResourcePage } from './pages/resource-page';
import { Iac } from './pages/iac';
import { NotFound } from './pages/not-found';
import { SessionContext } from './session';

type Auth = { state: 'checking' } | { state: 'signed-out'; reason?: string } | { state: 'signed-in'; me: Me };

export function App() {
  const [auth, setAuth] = useState<Auth>(() => (getToken() ? { state: 'checking' } : { state: 'signed-out' }));

  useEffect(
    () =>
      onSignedOut(() =>
        setAuth((current) => ({ state: 'signed-out', reason: current.state === 'signed-in' ? 'Your session ended (the token was refused). Sign in again.' : undefined })),
      ),
    [],
  );

  useEffect(() => {
    if (auth.state !== 'checking') return;
    const controller = new AbortController();
    request<Me>(apiPath('me'), { signal: controller.signal }).then(
      ({ data }) => setAuth({ state: 'signed-in', me: data }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) return; // onSignedOut takes it
        setAuth({ state: 'signed-out', reason: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [auth.state]);

  const signOut = useCallback(() => {
    clearToken();
    setAuth({ state: 'signed-out' });
  }, []);

  const session = useMemo(() => (auth.state === 'signed-in' ? { me: auth.me, signOut } : null), [auth, signOut]);

  if (auth.state === 'checking') {
    return (
      <main className="signin">
        <p role="status">Checking your session…</p>
      </main>
    );
  }
  if (!session) return <SignIn reason={auth.state === 'signed-out' ? auth.reason : undefined} onSignedIn={(me) => setAuth({ state: 'signed-in', me })} />;

  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          cloudledger
        </div>
        <nav aria-label="Main" data-testid="nav">
          <ul>
            <li>
              <NavLink to="/" end>
                Overview
              </NavLink>
            </li>
            <li>
              <NavLink to="/sagas">Sagas</NavLink>
            </li>
            <li>
              <NavLink to="/drift">Drift</NavLink>
            </li>
            <li>
              <NavLink to="/inventory">Inventory</NavLink>
            </li>
            <li>
              <NavLink to="/iac">IaC</NavLink>
            </li>
          </ul>
        </nav>
        <div className="user">
          <span data-testid="whoami">
            {session.me.name} · <span className="role">{session.me.role}</span>
          </span>
          <button type="button" className="button small" data-testid="signout" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route index element={<Home />} />
          <Route path="sagas" element={<SagaList />} />
          <Route path="sagas/:id" element={<SagaPage />} />
          <Route path="drift" element={<DriftInbox />} />
          <Route path="drift/closed" element={<DriftClosed />} />
          <Route path="drift/policies" element={<DriftPolicies />} />
          <Route path="inventory" element={<Inventory />} />
          <Route path="inventory/:resourceId" element={<ResourcePage />} />
          <Route path="iac" element={<Iac />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </SessionContext.Provider>
  );
}

function SignIn({ reason, onSignedIn }: { reason: string | undefined; onSignedIn: (me: Me) => void }) {
  const [token, setTokenValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin" id="main">
      <form
        className="card signin-card"
        data-testid="signin-form"
        aria-labelledby="signin-title"
        onSubmit={(event) => {
          event.preventDefault();
          const value = token.trim();
          if (!value) return setError('Paste an API token.');
          setBusy(true);
          setError(undefined);
          request<Me>(apiPath('me'), { token: value }).then(
            ({ data }) => {
              setToken(value);
              onSignedIn(data);
            },
            (failure: unknown) => {
              setBusy(false);
              setError(failure instanceof ApiError && failure.status === 401 ? 'That token was not accepted (unknown, revoked or expired).' : errorMessage(failure));
            },
          );
        }}
      >
        <h1 id="signin-title">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Sign in to cloudledger
        </h1>
        <p className="muted">
          Paste an API token (from <code>cloudledger tokens create</code>, or the bootstrap token printed at the first start). It is kept in this tab only
          (sessionStorage) and forgotten when you sign out or close the tab.
        </p>
        {reason && (
          <p className="notice" role="status">
            {reason}
          </p>
        )}
        <div className="field">
          <label htmlFor="signin-token">API token</label>
          <input
            id="signin-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            data-testid="signin-token"
            value={token}
            onChange={(event) => setTokenValue(event.target.value)}
            autoFocus
          />
        </div>
        {error && (
          <p className="error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" className="button primary" data-testid="signin-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
