import { DigitalOceanClient } from '../../src/adapters/cloud/digitalocean/digitalocean.client.js';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { PgResourceReadModel } from '../../src/adapters/inventory/resource-read-model.js';
import { AdvisoryJobLease } from '../../src/adapters/projections/advisory-lease.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { InventorySync, SyncAlreadyRunning } from '../../src/application/inventory/inventory-sync.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { cloudResourcesProjection } from '../../src/projections/inventory/cloud-resources.projection.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const meta = { actor: 'system:sync', correlationId: 'it-sync', causationId: null };

describe('the inventory sync against the simulator and PostgreSQL', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let sync: InventorySync;
  const stop = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase('cl_sync');
    sim = await startSimulator({ delays: { dropletActiveMs: 0, tagListLagMs: 0 } });
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { idleRetryMs: 50 });
    running = runner.run(cloudResourcesProjection, stop.signal);
    const cloud = new DigitalOceanClient({ baseUrl: sim.url, token: 'read-only-sync-token', purpose: 'sync', baseDelayMs: 10 });
    sync = new InventorySync(cloud, store, new PgResourceReadModel(db.orm), new AdvisoryJobLease(db.url), {
      deleteGraceMs: 0,
      settle: () => runner.waitForCatchUp([cloudResourcesProjection]),
    });
  });
  afterAll(async () => {
    stop.abort();
    await running;
    await store.close();
    await sim.close();
    await db.drop();
  });

  const count = async (type: string): Promise<number> => Number((await db.pool.query<{ n: string }>('select count(*) as n from events where type = $1', [type])).rows[0]!.n);

  it('two overlapping runs never double-append: one is refused or finds nothing left to do', async () => {
    for (let i = 0; i < 60; i++) sim.state.createDroplet({ name: `sync-${i}`, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }, { unmanaged: true });
    sim.state.setFaults({ latencyMs: 30 });

    const [a, b] = await Promise.allSettled([sync.run(meta), sync.run(meta)]);
    sim.state.setFaults({ latencyMs: 0 });

    const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? r.value.eventsAppended : r.reason instanceof SyncAlreadyRunning ? 'refused' : String(r.reason)));
    expect(outcomes.sort()).toEqual(outcomes.includes('refused') ? [60, 'refused'] : [0, 60]);
    expect(await count('ResourceObserved')).toBe(60);
  });

  it('records changes with before and after, and deletions; an unchanged listing appends nothing', async () => {
    const [first, second] = [...sim.state.droplets.values()];
    sim.state.resize(first!.id, 's-2vcpu-2gb');
    sim.state.setTags(second!.id, ['managed-by-cloudledger']);
    sim.state.deleteDroplet([...sim.state.droplets.values()][2]!.id);

    const report = await sync.run(meta);
    expect(report).toMatchObject({ listed: 59, observed: 0, changed: 2, deleted: 1, eventsAppended: 3 });
    // the sync appends to several streams at once, so the two changes land in either order
    const { rows } = await db.pool.query<{ data: { changes: unknown[] } }>(`select data from events where type = 'ResourceChanged' order by data->'changes'->0->>'field'`);
    expect(rows.map((r) => r.data.changes)).toEqual([
      [{ field: 'size_slug', before: 's-1vcpu-1gb', after: 's-2vcpu-2gb' }],
      [{ field: 'tags', before: [], after: ['managed-by-cloudledger'] }],
    ]);
    expect(await new PgResourceReadModel(db.orm).getResource(`do:droplet:${second!.id}`)).toMatchObject({ managed: true });

    expect(await sync.run(meta)).toMatchObject({ eventsAppended: 0, unchanged: 59 });
  });

  it('decides again from the stream a resource whose row lagged, appending nothing twice', async () => {
    const readModel = new PgResourceReadModel(db.orm);
    const before = await readModel.allResources();
    const droplet = [...sim.state.droplets.values()][3]!;
    sim.state.resize(droplet.id, 's-4vcpu-8gb');
    expect(await sync.run(meta)).toMatchObject({ changed: 1, eventsAppended: 1 });
    const changes = await count('ResourceChanged');

    // a sync that reads the inventory as it was before that change: its append meets the newer stream
    const stale = new InventorySync(new DigitalOceanClient({ baseUrl: sim.url, token: 'read-only-sync-token', purpose: 'sync' }), store, { allResources: async () => before }, new AdvisoryJobLease(db.url), {
      deleteGraceMs: 0,
    });
    expect(await stale.run(meta)).toMatchObject({ redecided: 1, changed: 0, eventsAppended: 0 });
    expect(await count('ResourceChanged')).toBe(changes);
  });
});
