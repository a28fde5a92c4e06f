import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { PgDetectionReadModel } from '../../src/adapters/inventory/detection-read-model.js';
import { PgDriftInbox } from '../../src/adapters/inventory/drift-inbox.js';
import { PgDriftPolicies } from '../../src/adapters/inventory/drift-policies.js';
import { PgSpecReadModel } from '../support/spec-read-model.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { handleOnStream } from '../../src/application/event-stream.js';
import { DriftService } from '../../src/application/drift/drift.service.js';
import { ResourceHistory } from '../../src/application/inventory/resource-history.js';
import type { SagaService } from '../../src/application/saga/saga.service.js';
import { specDecider } from '../../src/domain/drift/spec.decider.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { observe as observeCommand, resourceDecider } from '../../src/domain/inventory/resource.decider.js';
import { MANAGED_TAG, type ResourceState } from '../../src/domain/inventory/resource.js';
import { toResourceStream, toSpecStream } from '../../src/domain/streams.js';
import { projectionCatalogue } from '../../src/projections/projection-catalogue.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const meta = (actor: string) => ({ actor, correlationId: `it-${actor}`, causationId: null });
const live = (id: number, over: Partial<ResourceState> = {}): ResourceState => ({
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: String(id),
  name: `web-${id}`,
  region: 'syd1',
  size_slug: 's-1vcpu-512mb-10gb',
  status: 'active',
  tags: [MANAGED_TAG],
  attrs: { image: 'ubuntu-24-04-x64', public_ipv4: '203.0.113.7' },
  ...over,
});

describe('drift detection against PostgreSQL', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let drift: DriftService;
  let specs: PgSpecReadModel;
  let inbox: PgDriftInbox;
  const stop = new AbortController();
  let running: Promise<void>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cl_drift');
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { idleRetryMs: 50 });
    running = projectionCatalogue.map((p) => runner.run(p, stop.signal));
    specs = new PgSpecReadModel(db.orm);
    inbox = new PgDriftInbox(db.orm);
    // sagas are not started here: revert has its end-to-end test
    drift = new DriftService(store, new PgDetectionReadModel(db.orm), inbox, new PgDriftPolicies(db.orm), {} as SagaService, () => runner.waitForCatchUp(projectionCatalogue));
  });
  afterAll(async () => {
    stop.abort();
    await Promise.all(running);
    await store.close();
    await db.drop();
  });

  const observe = (id: number, state: ResourceState | null) =>
    handleOnStream(store, toResourceStream(`do:droplet:${id}`), resourceDecider, observeCommand({ resourceId: `do:droplet:${id}`, observed: state, source: 'sync', sagaId: null }), meta('system:sync'));
  const recordSpec = (id: number, spec: Record<string, unknown>) =>
    handleOnStream(store, toSpecStream(`do:droplet:${id}`), specDecider, { type: 'RecordSpec', data: { resourceId: `do:droplet:${id}`, spec, reason: 'recorded', sagaId: null } }, meta('alice'));
  const openDrift = async (resourceId: string) =>
    (await db.pool.query<{ id: string; field: string }>(`select id, field from cloud_drift where resource_id = $1 and status = 'open'`, [resourceId])).rows;

  it("the seed's smoke case: a wrong size_slug and a right region; detect flags only size_slug; accept adopts it; detect again finds nothing", async () => {
    // given a droplet and a spec recorded with a deliberately wrong size_slug and the correct region
    await observe(572017320, live(572017320));
    await recordSpec(572017320, { size_slug: 's-2vcpu-4gb', region: 'syd1' });

    // when detection runs
    const first = await drift.detect(meta('system:drift-detection'));

    // then only size_slug drifted, and the event is in the resource's log
    expect(first).toMatchObject({ drifted_fields: 1, new_drift: 1, resolved_stale: 0 });
    const [open, ...others] = await openDrift('do:droplet:572017320');
    expect(others).toEqual([]);
    expect(open!.field).toBe('size_slug');
    const log = await new ResourceHistory(store).history('do:droplet:572017320');
    expect(log.find((e) => e.type === 'DriftDetected')).toMatchObject({ data: { field: 'size_slug', expected: 's-2vcpu-4gb', actual: 's-1vcpu-512mb-10gb' } });

    // when an admin accepts it
    expect(await drift.accept(open!.id, meta('admin'))).toEqual({ resourceId: 'do:droplet:572017320', specVersion: 2 });

    // then the spec has the live value, the drift is closed accepted, and detecting again finds nothing
    expect(await specs.getSpec('do:droplet:572017320')).toMatchObject({ specVersion: 2, spec: { size_slug: 's-1vcpu-512mb-10gb', region: 'syd1' }, recordedBy: 'admin' });
    expect(await inbox.getDrift(open!.id)).toMatchObject({ status: 'accepted', resolvedBy: 'admin' });
    const again = await drift.detect(meta('system:drift-detection'));
    expect(again).toMatchObject({ drifted_fields: 0, new_drift: 0 });
  });

  it('refuses to revert drift on a resource that is not a droplet (422), and leaves it open', async () => {
    const resourceId = 'do:volume:5';
    await handleOnStream(store, toResourceStream(resourceId), resourceDecider, observeCommand({ resourceId, observed: live(5, { size_slug: '100gb' }), source: 'sync', sagaId: null }), meta('system:sync'));
    await handleOnStream(store, toSpecStream(resourceId), specDecider, { type: 'RecordSpec', data: { resourceId, spec: { size_slug: '50gb' }, reason: 'recorded', sagaId: null } }, meta('alice'));
    expect(await drift.detect(meta('system:drift-detection'))).toMatchObject({ new_drift: 1 });
    const [open] = await openDrift(resourceId);

    await expect(drift.revert(open!.id, meta('admin'))).rejects.toMatchObject({ name: 'DriftNotRevertible', message: expect.stringContaining('not a droplet') });
    expect(await openDrift(resourceId)).toEqual([open]);
  });

  it('two detection runs at once open one drift per field, never two', async () => {
    for (let id = 1; id <= 20; id++) {
      await observe(id, live(id, { size_slug: 's-4vcpu-8gb', tags: [MANAGED_TAG, 'extra'] }));
      await recordSpec(id, { size_slug: 's-1vcpu-1gb', region: 'syd1', tags: [MANAGED_TAG] });
    }
    await runner.waitForCatchUp(projectionCatalogue);

    const [a, b] = await Promise.all([drift.detect(meta('run-a')), drift.detect(meta('run-b'))]);

    // every drift opened by exactly one of them; the other found the stream moved and left it
    expect(a.new_drift + b.new_drift).toBe(40);
    for (let id = 1; id <= 20; id++) {
      const fields = (await openDrift(`do:droplet:${id}`)).map((d) => d.field).sort();
      expect([id, fields]).toEqual([id, ['size_slug', 'tags']]);
      let detected = 0;
      for await (const recorded of store.readStream(toSpecStream(`do:droplet:${id}`))) if (recorded.type === 'DriftDetected') detected++;
      expect([id, detected]).toEqual([id, 2]);
    }
  });

  it('rebuilding every projection from the log, while appends go on, yields the rows live processing made', async () => {
    const tables = ['cloud_resources', 'cloud_provisioned', 'cloud_drift', 'iac_states', 'saga_runs'];
    const snapshot = async () =>
      Object.fromEntries(await Promise.all(tables.map(async (t) => [t, (await db.pool.query(`select * from ${t} order by 1`)).rows] as const)));
    await runner.waitForCatchUp(projectionCatalogue);
    const before = await snapshot();
    let writing = true;
    const writer = (async () => {
      for (let id = 100; writing; id++) {
        await observe(id, live(id));
        await recordSpec(id, { size_slug: 's-1vcpu-512mb-10gb' });
      }
    })();
    for (const projection of projectionCatalogue) await runner.rebuild(projection);
    writing = false;
    await writer;
    await runner.waitForCatchUp(projectionCatalogue);
    const rebuilt = await snapshot();
    // every row the live projections had is there, unchanged (the writer only adds new resources)
    for (const table of tables) {
      for (const row of before[table] as unknown[]) expect(rebuilt[table]).toContainEqual(row);
    }
    expect((rebuilt.cloud_resources as unknown[]).length).toBeGreaterThan((before.cloud_resources as unknown[]).length);

    // and a second rebuild, with nothing appended meanwhile, changes nothing
    for (const projection of projectionCatalogue) await runner.rebuild(projection);
    await runner.waitForCatchUp(projectionCatalogue);
    expect(await snapshot()).toEqual(rebuilt);
  });
});

describe('drift detection while the cloud_drift inbox lags the spec streams', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  const stop = new AbortController();
  let running: Promise<void>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cl_drift_lag');
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { idleRetryMs: 50 });
  });
  afterAll(async () => {
    stop.abort();
    await Promise.all(running);
    await store.close();
    await db.drop();
  });

  it('does not open a drift again that the inbox has not shown yet', async () => {
    // given the inventory and spec projections running, but not the inbox (as if it lagged)
    const detectionReads = projectionCatalogue.filter((p) => p.name === 'cloud-resources' || p.name === 'cloud-provisioned');
    expect(detectionReads).toHaveLength(2);
    running = detectionReads.map((p) => runner.run(p, stop.signal));
    const drift = new DriftService(store, new PgDetectionReadModel(db.orm), new PgDriftInbox(db.orm), new PgDriftPolicies(db.orm), {} as SagaService, () => runner.waitForCatchUp(detectionReads));
    const resourceId = 'do:droplet:77';
    await handleOnStream(store, toResourceStream(resourceId), resourceDecider, observeCommand({ resourceId, observed: live(77), source: 'sync', sagaId: null }), meta('system:sync'));
    await handleOnStream(store, toSpecStream(resourceId), specDecider, { type: 'RecordSpec', data: { resourceId, spec: { size_slug: 's-2vcpu-4gb' }, reason: 'recorded', sagaId: null } }, meta('alice'));

    // when detection runs twice
    const first = await drift.detect(meta('run-1'));
    const second = await drift.detect(meta('run-2'));

    // then the second sees the drift the first opened and opens no other
    expect([first.new_drift, second.new_drift, second.drifted_fields]).toEqual([1, 0, 1]);
    const types: string[] = [];
    for await (const recorded of store.readStream(toSpecStream(resourceId))) types.push(recorded.type);
    expect(types).toEqual(['SpecRecorded', 'DriftDetected']);
  });
});
