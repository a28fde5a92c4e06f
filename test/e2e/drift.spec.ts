import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('inventory, drift and audit over HTTP against the simulator', () => {
  let sim: RunningSimulator;
  let app: TestApp;

  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 200, actionMs: 100, tagListLagMs: 200 } });
    app = await startTestApp({
      DIGITALOCEAN_TOKEN: 'dop_v1_drift_e2e',
      DIGITALOCEAN_API_URL: sim.url,
      DROPLET_ACTIVE_POLL_SECONDS: '0.1',
      DROPLET_ACTION_POLL_SECONDS: '0.1',
      INVENTORY_SYNC_CRON: 'off',
      DRIFT_DETECT_CRON: 'off',
    });
  });
  afterAll(async () => {
    app?.expectLogsClean();
    await app?.close();
    await sim?.close();
  });

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await app.request(method, path, { token, body });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
  const get = (path: string) => call('GET', path, app.tokens.viewer);
  const finished = (sagaId: string) =>
    waitFor(async () => {
      const { body } = await get(`/api/v1/sagas/${sagaId}`);
      return ['completed', 'rolled_back', 'failed'].includes(body.status) ? body : undefined;
    }, `saga ${sagaId} to finish`);

  async function provision(name: string): Promise<{ dropletId: number; resourceId: string }> {
    const { body } = await call('POST', '/api/v1/droplets', app.tokens.operator, { name, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    const saga = await finished(body.sagaId);
    expect(saga.status).toBe('completed');
    const dropletId = saga.steps[0].output.dropletId as number;
    return { dropletId, resourceId: `do:droplet:${dropletId}` };
  }
  const detect = async (): Promise<Json> => {
    const run = await call('POST', '/api/v1/drift/detect', app.tokens.operator);
    expect(run.status).toBe(201);
    return run.body;
  };
  const sync = async (): Promise<Json> => {
    const run = await call('POST', '/api/v1/inventory/sync', app.tokens.operator);
    expect(run.status).toBe(201);
    return run.body;
  };
  const openDriftOn = async (resourceId: string): Promise<Json[]> => (await get('/api/v1/drift')).body.items.filter((d: Json) => d.resourceId === resourceId);

  it('registers a provisioned droplet in the inventory at once; a sync finds unmanaged droplets and appends nothing when nothing changed', async () => {
    const { resourceId } = await provision('inv-1');
    const resource = await waitFor(async () => {
      const r = await get(`/api/v1/resources/${resourceId}`);
      return r.status === 200 ? r.body : undefined;
    }, 'the droplet in the inventory');
    expect(resource).toMatchObject({ managed: true, status: 'active', sizeSlug: 's-1vcpu-1gb', region: 'nyc3' });
    // the spec is another read model, which may be a moment behind the inventory's
    const spec = await waitFor(async () => {
      const r = await get(`/api/v1/specs/${resourceId}`);
      return r.status === 200 ? r.body : undefined;
    }, 'the droplet’s spec');
    expect(spec).toMatchObject({ specVersion: 1, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3', image: 'ubuntu-24-04-x64' } });

    const stranger = sim.state.createDroplet({ name: 'hand-made', region: 'ams3', size: 's-2vcpu-2gb', image: 'debian-12-x64', tags: ['legacy'] }, { unmanaged: true }).droplet;
    const first = await sync();
    expect(first.observed).toBeGreaterThanOrEqual(1);
    const second = await sync();
    expect(second).toMatchObject({ observed: 0, changed: 0, deleted: 0, eventsAppended: 0 });

    const unmanaged = await waitFor(async () => {
      const page = (await get('/api/v1/resources?managed=false&tag=legacy')).body;
      return page.items.length > 0 ? page.items : undefined;
    }, 'the unmanaged droplet in the inventory');
    expect(unmanaged.map((r: Json) => r.resourceId)).toEqual([`do:droplet:${stranger.id}`]);
    expect((await get('/api/v1/resources?region=nyc3&managed=true')).body.items.map((r: Json) => r.resourceId)).toContain(resourceId);
    expect((await get('/api/v1/resources?managed=maybe')).status).toBe(400);
    expect((await get('/api/v1/resources/do:droplet:999999999')).status).toBe(404);
  });

  it('resized behind its back: sync, detect, revert — the droplet has its spec size again and the drift is reverted', async () => {
    const { dropletId, resourceId } = await provision('drift-revert');
    sim.state.resize(dropletId, 's-2vcpu-4gb');
    // the sync that sees the change judges it at once: no sweep needed
    const run = await sync();
    expect(run.changed).toBeGreaterThanOrEqual(1);
    expect(run.drift).toMatchObject({ new_drift: 1 });
    const [drift, ...more] = await openDriftOn(resourceId);
    expect(more).toEqual([]);
    expect(drift).toMatchObject({ field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-4gb', status: 'open', resource: { resourceId } });
    // an unchanged open drift is not reported again, by the sweep either
    expect((await detect()).new_drift).toBe(0);

    expect((await call('POST', `/api/v1/drift/${drift!.id}/revert`, app.tokens.operator)).status).toBe(403);
    const revert = await call('POST', `/api/v1/drift/${drift!.id}/revert`, app.tokens.platform_admin);
    expect(revert.status).toBe(202);
    expect((await finished(revert.body.sagaId)).status).toBe('completed');
    expect(sim.state.droplet(dropletId)).toMatchObject({ size: 's-1vcpu-1gb', status: 'active' });
    const closed = await waitFor(async () => {
      const { rows } = await app.db.pool.query<{ status: string; resolved_by: string }>('select status, resolved_by from cloud_drift where id = $1', [drift!.id]);
      return rows[0]?.status === 'reverted' ? rows[0] : undefined;
    }, 'the drift to close as reverted');
    expect(closed.resolved_by).toBe('e2e-admin');
    // no longer open: accept and revert answer 409
    expect((await call('POST', `/api/v1/drift/${drift!.id}/accept`, app.tokens.platform_admin)).status).toBe(409);
    expect((await call('POST', `/api/v1/drift/${drift!.id}/revert`, app.tokens.platform_admin)).status).toBe(409);
  });

  it('closes a drift stale when the droplet is put back by hand, and refuses to revert a region', async () => {
    const { dropletId, resourceId } = await provision('drift-stale');
    sim.state.resize(dropletId, 's-4vcpu-8gb');
    await sync();
    await detect();
    expect((await openDriftOn(resourceId)).map((d) => d.field)).toEqual(['size_slug']);

    sim.state.resize(dropletId, 's-1vcpu-1gb');
    expect((await sync()).drift).toMatchObject({ resolved_stale: 1 });
    expect(await openDriftOn(resourceId)).toEqual([]);

    // a region can only be accepted
    await app.db.pool.query('select 1');
    const { body } = await call('POST', '/api/v1/droplets', app.tokens.operator, { name: 'drift-region', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
    const id = (await finished(body.sagaId)).steps[0].output.dropletId as number;
    const moved = sim.state.droplet(id);
    moved.region = 'sfo3';
    await sync();
    await detect();
    const [regionDrift] = await openDriftOn(`do:droplet:${id}`);
    expect(regionDrift).toMatchObject({ field: 'region', expected: 'nyc3', actual: 'sfo3' });
    const refused = await call('POST', `/api/v1/drift/${regionDrift!.id}/revert`, app.tokens.platform_admin);
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toMatch(/region cannot be changed back/);
    expect((await call('POST', '/api/v1/drift/no-such-drift/accept', app.tokens.platform_admin)).status).toBe(404);
  });

  it('audits: after provision, drift, accept and destroy, the history lists every step with actors, and asOf replays each moment', async () => {
    const moments: Record<string, string> = {};
    const mark = async (name: string): Promise<void> => {
      await new Promise((r) => setTimeout(r, 20));
      moments[name] = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
    };
    const { dropletId, resourceId } = await provision('audited');
    await mark('provisioned');
    sim.state.resize(dropletId, 's-2vcpu-2gb');
    await sync();
    await detect();
    await mark('drifted');
    const [drift] = await openDriftOn(resourceId);
    const accepted = await call('POST', `/api/v1/drift/${drift!.id}/accept`, app.tokens.platform_admin);
    expect(accepted).toMatchObject({ status: 201, body: { resourceId, specVersion: 2 } });
    await mark('accepted');
    expect((await finished((await call('DELETE', `/api/v1/droplets/${dropletId}`, app.tokens.operator)).body.sagaId)).status).toBe('completed');
    await mark('destroyed');
    expect((await detect()).new_drift).toBe(0);

    const history = (await get(`/api/v1/resources/${resourceId}/history`)).body.events as Json[];
    const own = history.filter((e) => !e.stream.startsWith('saga-')).map((e) => [e.type, e.actor]);
    expect(own).toEqual([
      ['ResourceObserved', 'e2e-operator'],
      ['SpecRecorded', 'e2e-operator'],
      ['ResourceChanged', 'e2e-operator'],
      ['DriftDetected', 'e2e-operator'],
      ['SpecRecorded', 'e2e-admin'],
      ['DriftAccepted', 'e2e-admin'],
      ['ResourceDeleted', 'e2e-operator'],
      ['SpecRemoved', 'e2e-operator'],
    ]);
    // the sagas that touched it are in it too, with their steps
    expect(history.filter((e) => e.type === 'SagaStarted').map((e) => e.data.definition)).toEqual(['provision_droplet', 'destroy_droplet']);
    expect(history.every((e) => typeof e.correlationId === 'string' && e.at)).toBe(true);

    const asOf = async (moment: string): Promise<Json> => (await get(`/api/v1/resources/${resourceId}/history?asOf=${encodeURIComponent(moment)}`)).body;
    expect(await asOf(moments.provisioned!)).toMatchObject({ resource: { status: 'present', state: { size_slug: 's-1vcpu-1gb' } }, spec: { version: 1, open: [] } });
    expect(await asOf(moments.drifted!)).toMatchObject({ resource: { state: { size_slug: 's-2vcpu-2gb' } }, spec: { version: 1, open: [{ field: 'size_slug' }] } });
    expect(await asOf(moments.accepted!)).toMatchObject({ spec: { version: 2, spec: { size_slug: 's-2vcpu-2gb' }, open: [] } });
    expect(await asOf(moments.destroyed!)).toMatchObject({ resource: { status: 'deleted' }, spec: { status: 'removed' } });
    // the spec as an auditor reads it: no bookkeeping of closed drift ids
    expect(Object.keys((await asOf(moments.accepted!)).spec).sort()).toEqual(['open', 'spec', 'status', 'version']);
    expect((await get(`/api/v1/resources/${resourceId}/history?asOf=yesterday`)).status).toBe(400);
    expect((await get('/api/v1/resources/do:droplet:424242/history')).status).toBe(404);
  });
});
