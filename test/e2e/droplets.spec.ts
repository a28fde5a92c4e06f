import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { sagaTag } from '../../src/domain/inventory/resource.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';

const DO_TOKEN = 'dop_v1_e2e_secret_provisioning_token';

describe('the droplet API against the DigitalOcean simulator', () => {
  let sim: RunningSimulator;
  let app: TestApp;

  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 300, actionMs: 150, snapshotAppearMs: 300, tagListLagMs: 300 } });
    app = await startTestApp({ DIGITALOCEAN_TOKEN: DO_TOKEN, DIGITALOCEAN_API_URL: sim.url, DROPLET_ACTIVE_POLL_SECONDS: '0.1' });
  });
  afterAll(async () => {
    app?.expectLogsClean();
    expect(app?.logs.join('')).not.toContain(DO_TOKEN);
    await app?.close();
    await sim?.close();
  });

  const post = async (path: string, body: unknown, token = app.tokens.operator) => {
    const response = await app.request('POST', path, { token, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const finished = (sagaId: string) =>
    waitFor(async () => {
      const response = await app.request('GET', `/api/v1/sagas/${sagaId}`, { token: app.tokens.viewer });
      const view = (await response.json()) as { status: string; steps: { name: string; status: string; output: Record<string, unknown> | null }[] };
      return ['completed', 'rolled_back', 'failed'].includes(view.status) ? view : undefined;
    }, `saga ${sagaId} to finish`);

  it('provisions over HTTP: 202 with the saga id; the droplet is created, active and registered', async () => {
    const started = await post('/api/v1/droplets', { name: 'web-e2e', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['team:web'] });
    expect(started.status).toBe(202);
    const sagaId = started.body.sagaId as string;

    const view = await finished(sagaId);
    expect(view.status).toBe('completed');
    expect(view.steps.map((s) => [s.name, s.status])).toEqual([
      ['create_droplet', 'succeeded'],
      ['wait_droplet_active', 'succeeded'],
      ['register_droplet', 'succeeded'],
    ]);
    const droplets = [...sim.state.droplets.values()].filter((d) => d.tags.includes(sagaTag(sagaId)));
    expect(droplets).toHaveLength(1);
    expect(droplets[0]).toMatchObject({ name: 'web-e2e', status: 'active' });
    expect(view.steps[2]!.output).toMatchObject({ resourceId: `do:droplet:${droplets[0]!.id}`, specVersion: 1 });
  });

  it('snapshots and destroys a droplet over HTTP', async () => {
    const provisioned = await finished((await post('/api/v1/droplets', { name: 'db-e2e', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' })).body.sagaId as string);
    const dropletId = provisioned.steps[0]!.output!.dropletId as number;

    const snapshot = await post(`/api/v1/droplets/${dropletId}/snapshots`, { label: 'nightly' });
    expect(snapshot.status).toBe(202);
    expect((await finished(snapshot.body.sagaId as string)).steps[0]!.output).toMatchObject({ dropletId, label: 'nightly', snapshotName: expect.stringMatching(/^cloudledger-snap-/) });

    const destroyed = await app.request('DELETE', `/api/v1/droplets/${dropletId}`, { token: app.tokens.operator });
    expect(destroyed.status).toBe(202);
    expect((await finished(((await destroyed.json()) as { sagaId: string }).sagaId)).status).toBe('completed');
    expect(sim.state.droplets.has(dropletId)).toBe(false);
  });

  it('refuses bad input with field issues and starts nothing', async () => {
    const sagaCount = async () => ((await (await app.request('GET', '/api/v1/sagas?limit=500', { token: app.tokens.viewer })).json()) as { items: unknown[] }).items.length;
    const sagasBefore = await sagaCount();
    const before = sim.state.requests.length;
    const missing = await post('/api/v1/droplets', { name: 'x', region: 'nyc3' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toMatch(/body\.size/);
    expect((await post('/api/v1/droplets/abc/snapshots', {})).status).toBe(400);
    // what DigitalOcean would refuse is refused here, before a saga starts
    const named = await post('/api/v1/droplets', { name: 'web 1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['team web'] });
    expect(named.status).toBe(400);
    expect((named.body.issues as { path: string }[]).map((i) => i.path).sort()).toEqual(['body.name', 'body.tags.0']);
    for (const id of ['1e3', '0x10', '0', '-4']) expect([id, (await post(`/api/v1/droplets/${id}/snapshots`, {})).status]).toEqual([id, 400]);
    expect((await post('/api/v1/droplets', { name: 'x', region: 'nyc3', size: 's', image: 'i' }, app.tokens.viewer)).status).toBe(403);
    expect(sim.state.requests.length).toBe(before);
    expect(await sagaCount()).toBe(sagasBefore);
  });

  it('snapshots with no body at all (the label is optional)', async () => {
    const provisioned = await finished((await post('/api/v1/droplets', { name: 'bare-e2e', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' })).body.sagaId as string);
    const dropletId = provisioned.steps[0]!.output!.dropletId as number;
    const response = await app.request('POST', `/api/v1/droplets/${dropletId}/snapshots`, { token: app.tokens.operator });
    expect(response.status).toBe(202);
    const { sagaId } = (await response.json()) as { sagaId: string };
    expect((await finished(sagaId)).steps[0]!.output).toMatchObject({ dropletId, label: null });
  });
});

describe('without DIGITALOCEAN_TOKEN', () => {
  it('runs the simulator in-process, uses it, and says so in the log', async () => {
    const app = await startTestApp({ DROPLET_ACTIVE_POLL_SECONDS: '0.1' });
    try {
      const started = await app.request('POST', '/api/v1/droplets', { token: app.tokens.operator, body: { name: 'local', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' } });
      const { sagaId } = (await started.json()) as { sagaId: string };
      const status = await waitFor(async () => {
        const view = (await (await app.request('GET', `/api/v1/sagas/${sagaId}`, { token: app.tokens.viewer })).json()) as { status: string };
        return view.status === 'running' ? undefined : view.status;
      }, 'the provision to finish');
      expect(status).toBe('completed');
      expect(app.logs.join('')).toMatch(/DIGITALOCEAN_TOKEN is not set: using the in-process DigitalOcean simulator/);
    } finally {
      await app.close();
    }
  });
});
