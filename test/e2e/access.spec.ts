import { ROLES, roleAtLeast } from '../../src/domain/access/roles.js';
import { startServer } from '../../src/adapters/app/server.js';
import { loadConfig } from '../../src/adapters/config/config.js';
import { createLogger } from '../../src/adapters/logging/logger.js';
import { concretePath, startTestApp, type TestApp } from '../support/app.js';

describe('access: every route declares who may call it, and the guard enforces it', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    app.expectLogsClean();
    await app.close();
  });

  it('finds the routes, and every one declares an access rule', () => {
    expect(app.server.routes.length).toBeGreaterThan(4);
    const undeclared = app.server.routes.filter((r) => !r.spec).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  it('answers 401 without a token or with an unknown one, and 403 naming the role to a weaker token', async () => {
    const guarded = app.server.routes.filter((r) => r.spec && r.spec.role !== 'public');
    expect(guarded.length).toBeGreaterThan(0);
    for (const route of guarded) {
      const needed = route.spec!.role as (typeof ROLES)[number];
      const path = concretePath(route.path);
      const where = `${route.method.toUpperCase()} ${route.path}`;

      const anonymous = await app.request(route.method, path);
      expect([where, anonymous.status]).toEqual([where, 401]);
      expect(await anonymous.json()).toMatchObject({ error: 'unauthorized', requiredRole: needed });

      const unknown = await app.request(route.method, path, { token: 'clt_not-a-real-token-at-all-000000' });
      expect([where, unknown.status]).toEqual([where, 401]);

      for (const role of ROLES) {
        const response = await app.request(route.method, path, { token: app.tokens[role] });
        if (roleAtLeast(role, needed)) {
          expect([where, role, response.status]).not.toEqual([where, role, 401]);
          expect([where, role, response.status]).not.toEqual([where, role, 403]);
        } else {
          expect([where, role, response.status]).toEqual([where, role, 403]);
          expect(await response.json()).toMatchObject({ error: 'forbidden', requiredRole: needed, tokenRole: role });
        }
      }
    }
  });

  it('lets anyone call the public routes', async () => {
    for (const route of app.server.routes.filter((r) => r.spec?.role === 'public')) {
      const response = await app.request(route.method, concretePath(route.path));
      expect([route.path, response.status]).toEqual([route.path, 200]);
    }
  });

  it('refuses a revoked token', async () => {
    const { token } = await app.server.tokens.create('short-lived', 'viewer', 'test');
    expect((await app.request('GET', '/metrics', { token })).status).toBe(200);
    await app.server.tokens.revoke('short-lived');
    expect((await app.request('GET', '/metrics', { token })).status).toBe(401);
  });

  it('printed a bootstrap platform_admin token at the first start, which works', async () => {
    expect(app.tokens.bootstrap).toMatch(/^clt_/);
    expect((await app.request('GET', '/metrics', { token: app.tokens.bootstrap })).status).toBe(200);
  });

  it('makes no bootstrap token again once every token was revoked: only a database that never had one gets it', async () => {
    // given every token revoked
    const { items } = await app.server.tokens.list();
    for (const token of items) await app.server.tokens.revoke(token.name);
    expect((await app.request('GET', '/metrics', { token: app.tokens.platform_admin })).status).toBe(401);

    // when the service starts again on the same database
    let announced = '';
    const again = await startServer(loadConfig({ DATABASE_URL: app.db.url, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', INVENTORY_SYNC_CRON: 'off', DRIFT_DETECT_CRON: 'off' }), createLogger({ level: 'silent' }), {
      announce: (text) => (announced += text),
    });
    try {
      // then no token was made or shown: a revoked-out installation is not reopened by a restart
      expect(announced).toBe('');
      expect((await again.tokens.list()).items).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
