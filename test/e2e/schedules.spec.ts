import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const logLines = (app: TestApp): Json[] => app.logs.flatMap((chunk) => chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Json));

describe('the scheduled sync and detection', () => {
  let sim: RunningSimulator;
  let app: TestApp;

  beforeAll(async () => {
    sim = await startSimulator({ delays: { dropletActiveMs: 0, tagListLagMs: 0 } });
    // every second, so the test sees both jobs run on their own
    app = await startTestApp({
      DIGITALOCEAN_TOKEN: 'dop_v1_schedules_e2e',
      DIGITALOCEAN_API_URL: sim.url,
      INVENTORY_SYNC_CRON: '* * * * * *',
      DRIFT_DETECT_CRON: '* * * * * *',
    });
  });
  afterAll(async () => {
    app?.expectLogsClean();
    await app?.close();
    await sim?.close();
  });

  it('syncs a droplet made behind its back and runs detection, with no one asking', async () => {
    // given a droplet nobody here created
    const made = await fetch(`${sim.url}/_sim/droplets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'by-hand', region: 'ams3', size: 's-1vcpu-1gb', image: 'debian-12-x64' }),
    });
    const dropletId = ((await made.json()) as Json).droplet.id as number;

    // when the schedule ticks, then the inventory has it, unmanaged
    const resource = await waitFor(async () => {
      const response = await app.request('GET', `/api/v1/resources/do:droplet:${dropletId}`, { token: app.tokens.viewer });
      return response.status === 200 ? ((await response.json()) as Json) : undefined;
    }, 'the scheduled sync to record the droplet');
    expect(resource).toMatchObject({ name: 'by-hand', region: 'ams3', managed: false });

    const ran = await waitFor(async () => {
      const jobs = new Set(logLines(app).filter((l) => l.msg === 'scheduled job ran').map((l) => l.job as string));
      return jobs.has('inventory-sync') && jobs.has('drift-detection') ? jobs : undefined;
    }, 'both jobs to run');
    expect([...ran].sort()).toEqual(['drift-detection', 'inventory-sync']);
    // the sync's events carry the system actor
    const history = (await (await app.request('GET', `/api/v1/resources/do:droplet:${dropletId}/history`, { token: app.tokens.viewer })).json()) as Json;
    expect(history.events[0]).toMatchObject({ type: 'ResourceObserved', actor: 'system:sync' });
  });
});

describe('a schedule turned off', () => {
  it('registers no job and says so', async () => {
    const app = await startTestApp({ INVENTORY_SYNC_CRON: 'off', DRIFT_DETECT_CRON: 'off' });
    try {
      const off = logLines(app)
        .filter((l) => l.msg === 'scheduled job is off')
        .map((l) => l.job as string)
        .sort();
      expect(off).toEqual(['drift-detection', 'inventory-sync']);
      expect(logLines(app).filter((l) => l.msg === 'scheduled job')).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
