import { startTestApp, type TestApp } from '../support/app.js';

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  resource_id: id,
  resource_type: 'droplet',
  provider: 'digitalocean',
  provider_ref: 'web-1',
  provider_id: '572017320',
  config_hash: 'abc123',
  status: 'active',
  outputs: { ipv4: '203.0.113.10' },
  config: { size: 's-1vcpu-1gb' },
  dependencies: [],
  error: '',
  ...extra,
});

describe('IaC state over HTTP', () => {
  let app: TestApp;
  const events = async (): Promise<number> => Number((await app.db.pool.query<{ n: string }>('select count(*) as n from events')).rows[0]!.n);

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    app.expectLogsClean();
    await app.close();
  });

  it('saves, reads, lists by filter, locks, refuses a save under someone else\'s lock, and records the actor', async () => {
    const path = '/api/v1/iac/states/do:droplet:10';
    const saved = await app.request('PUT', path, { token: app.tokens.operator, body: record('do:droplet:10') });
    expect(saved.status).toBe(200);
    expect(await (await app.request('GET', path, { token: app.tokens.viewer })).json()).toMatchObject({ resource_id: 'do:droplet:10', status: 'active' });
    await app.request('PUT', '/api/v1/iac/states/do:volume:1', { token: app.tokens.operator, body: record('do:volume:1', { resource_type: 'volume' }) });
    const listed = async (query: string): Promise<string[]> => {
      // the list is served by a projection: wait until it has caught up
      for (let i = 0; ; i++) {
        const ids = ((await (await app.request('GET', `/api/v1/iac/states${query}`, { token: app.tokens.viewer })).json()) as { items: { resource_id: string }[] }).items.map((r) => r.resource_id);
        if (ids.length >= 1 || i > 100) return ids.sort();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    expect(await listed('?resource_type=volume')).toEqual(['do:volume:1']);
    expect(await listed('?resource_type=droplet&status=active')).toEqual(['do:droplet:10']);

    const lock = await app.request('POST', `${path}/lock`, { token: app.tokens.operator, body: { owner: 'pipeline-7', operation: 'apply' } });
    expect(lock.status).toBe(201);
    const { lockId } = (await lock.json()) as { lockId: string };

    const refused = await app.request('PUT', path, { token: app.tokens.platform_admin, body: record('do:droplet:10', { status: 'error' }) });
    expect(refused.status).toBe(409);
    // whose lock and until when, never its id
    const held = (await refused.json()) as { lock: Record<string, unknown>; message: string };
    expect(held).toMatchObject({ error: 'lock_held', lock: { owner: 'pipeline-7', operation: 'apply', who: 'e2e-operator', expiresAt: expect.any(String) } });
    expect(held.lock).not.toHaveProperty('lockId');
    expect(JSON.stringify(held)).not.toContain(lockId);
    // the id, learnt some other way, is no use to another principal
    const stolen = await app.request('PUT', `${path}?lock_id=${lockId}`, { token: app.tokens.platform_admin, body: record('do:droplet:10', { status: 'error' }) });
    expect(stolen.status).toBe(409);
    expect((await app.request('DELETE', `${path}/lock?lock_id=${lockId}`, { token: app.tokens.platform_admin })).status).toBe(409);
    const wrongId = await app.request('PUT', `${path}?lock_id=not-the-lock`, { token: app.tokens.operator, body: record('do:droplet:10') });
    expect(wrongId.status).toBe(409);

    const underLock = await app.request('PUT', `${path}?lock_id=${lockId}`, { token: app.tokens.operator, body: record('do:droplet:10', { status: 'destroying' }) });
    expect(underLock.status).toBe(200);
    expect((await app.request('DELETE', `${path}/lock?lock_id=${lockId}`, { token: app.tokens.operator })).status).toBe(204);

    const history = (await (await app.request('GET', `${path}/history`, { token: app.tokens.viewer })).json()) as { type: string; actor: string }[];
    expect(history.map((h) => h.type)).toEqual(['StateSaved', 'LockAcquired', 'StateSaved', 'LockReleased']);
    expect(new Set(history.map((h) => h.actor))).toEqual(new Set(['e2e-operator']));
    // lock ids in the history only for platform_admin
    expect(JSON.stringify(history)).not.toContain(lockId);
    expect(JSON.stringify(await (await app.request('GET', `${path}/history`, { token: app.tokens.platform_admin })).json())).toContain(lockId);
  });

  it('force-unlocks only for platform_admin', async () => {
    const path = '/api/v1/iac/states/do:droplet:11';
    const { lockId } = (await (await app.request('POST', `${path}/lock`, { token: app.tokens.operator, body: { owner: 'a', operation: 'plan' } })).json()) as { lockId: string };
    const operator = await app.request('DELETE', `${path}/lock?lock_id=${lockId}&force=true`, { token: app.tokens.operator });
    expect(operator.status).toBe(403);
    expect(await operator.json()).toMatchObject({ requiredRole: 'platform_admin' });
    expect((await app.request('DELETE', `${path}/lock?lock_id=${lockId}&force=true`, { token: app.tokens.platform_admin })).status).toBe(204);
    expect((await app.request('POST', `${path}/lock`, { token: app.tokens.operator, body: { owner: 'b', operation: 'plan' } })).status).toBe(201);
  });

  it.each([
    ['an invalid status', record('do:droplet:12', { status: 'exploded' }), 'body.status'],
    ['a missing resource id', (({ resource_id: _, ...rest }) => rest)(record('do:droplet:12')), 'body.resource_id'],
    ['an oversized config', record('do:droplet:12', { config: { blob: 'x'.repeat(300 * 1024) } }), 'body.config'],
    ['a resource id that is not the path\'s', record('do:droplet:99'), 'body.resource_id'],
  ])('refuses %s with a 400 naming the field, and writes nothing', async (_, body, field) => {
    const before = await events();
    const response = await app.request('PUT', '/api/v1/iac/states/do:droplet:12', { token: app.tokens.operator, body });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { issues: { path: string }[] };
    expect(answer.issues.map((i) => i.path)).toContain(field);
    expect(await events()).toBe(before);
    expect((await app.request('GET', '/api/v1/iac/states/do:droplet:12', { token: app.tokens.viewer })).status).toBe(404);
  });

  it('answers 400 to a bad status filter and 404 to an unknown record', async () => {
    expect((await app.request('GET', '/api/v1/iac/states?status=exploded', { token: app.tokens.viewer })).status).toBe(400);
    expect((await app.request('GET', '/api/v1/iac/states/do:droplet:404', { token: app.tokens.viewer })).status).toBe(404);
  });
});
