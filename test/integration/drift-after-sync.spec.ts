import { DigitalOceanClient } from '../../src/adapters/cloud/digitalocean/digitalocean.client.js';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { PgDetectionReadModel } from '../../src/adapters/inventory/detection-read-model.js';
import { PgDriftInbox } from '../../src/adapters/inventory/drift-inbox.js';
import { PgDriftPolicies } from '../../src/adapters/inventory/drift-policies.js';
import { PgResourceReadModel } from '../../src/adapters/inventory/resource-read-model.js';
import { AdvisoryJobLease } from '../../src/adapters/projections/advisory-lease.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { DriftService } from '../../src/application/drift/drift.service.js';
import { handleOnStream } from '../../src/application/event-stream.js';
import { InventorySync } from '../../src/application/inventory/inventory-sync.js';
import type { SagaService } from '../../src/application/saga/saga.service.js';
import { driftPolicyDecider } from '../../src/domain/drift/drift-policy.decider.js';
import { specDecider } from '../../src/domain/drift/spec.decider.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { dropletResourceId, MANAGED_TAG } from '../../src/domain/inventory/resource.js';
import { toPolicyStream, toSpecStream } from '../../src/domain/streams.js';
import { projectionCatalogue } from '../../src/projections/projection-catalogue.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const meta = (actor: string) => ({ actor, correlationId: `it-${actor}`, causationId: null });

/**
 * Drift judged when the sync sees the change, not at the next sweep: a resize, a retag under an
 * ignore policy, a deletion — each visible in `cloud_drift` as soon as `sync.run` answers.
 */
describe('drift detected at once after a sync, with ignore policies', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let sync: InventorySync;
  let drift: DriftService;
  let policies: PgDriftPolicies;
  const stop = new AbortController();
  let running: Promise<void>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cl_drift_sync');
    sim = await startSimulator({ delays: { dropletActiveMs: 0, tagListLagMs: 0 } });
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { idleRetryMs: 50 });
    running = projectionCatalogue.map((p) => runner.run(p, stop.signal));
    policies = new PgDriftPolicies(db.orm);
    drift = new DriftService(store, new PgDetectionReadModel(db.orm), new PgDriftInbox(db.orm), policies, {} as SagaService, () => runner.waitForCatchUp(projectionCatalogue));
    const cloud = new DigitalOceanClient({ baseUrl: sim.url, token: 'read-only-sync-token', purpose: 'sync', baseDelayMs: 10 });
    sync = new InventorySync(cloud, store, new PgResourceReadModel(db.orm), new AdvisoryJobLease(db.url), {
      deleteGraceMs: 0,
      settle: () => runner.waitForCatchUp(projectionCatalogue),
      afterChanges: (changed, metadata) => drift.detectObserved(changed, metadata),
    });
  });
  afterAll(async () => {
    stop.abort();
    await Promise.all(running);
    await store.close();
    await sim.close();
    await db.drop();
  });

  const driftOf = async (resourceId: string) =>
    (await db.pool.query<{ field: string; status: string; policy_id: string | null }>('select field, status, policy_id from cloud_drift where resource_id = $1 order by detected_at', [resourceId])).rows;

  /** A droplet in the simulator, synced, with a spec of what it is now (as adoption would record it). */
  async function managedDroplet(name: string, tags: string[] = []) {
    const { droplet } = sim.state.createDroplet({ name, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: [MANAGED_TAG, ...tags] });
    await sync.run(meta('system:sync'));
    const resourceId = dropletResourceId(droplet.id);
    await handleOnStream(
      store,
      toSpecStream(resourceId),
      specDecider,
      { type: 'RecordSpec', data: { resourceId, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3', tags: [MANAGED_TAG, ...tags].sort() }, reason: 'declared', sagaId: null } },
      meta('alice'),
    );
    await runner.waitForCatchUp(projectionCatalogue);
    return { id: droplet.id, resourceId };
  }

  it('opens drift for a resize behind cloudledger’s back when the sync sees it, without a sweep', async () => {
    // given a managed droplet whose spec says s-1vcpu-1gb
    const { id, resourceId } = await managedDroplet('web-resized');

    // when it is resized outside and the sync runs (detect is never called)
    sim.state.resize(id, 's-2vcpu-2gb');
    const report = await sync.run(meta('system:sync'));

    // then the sync's own report has the drift, and the inbox holds it as soon as the sync answered
    expect(report).toMatchObject({ changed: 1, drift: { checked: 1, new_drift: 1 } });
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'open', policy_id: null }]);
  });

  it('records tag drift a policy covers as ignored, leaves it out of the inbox, and opens it when the policy ends', async () => {
    // given a managed droplet and a policy: the autoscaler owns pool-* tags on web-*
    const { id, resourceId } = await managedDroplet('web-pooled', ['team-web']);
    const expiresAt = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    await handleOnStream(
      store,
      toPolicyStream('pol-pool'),
      driftPolicyDecider,
      { type: 'CreateDriftPolicy', data: { policyId: 'pol-pool', request: { resource: 'web-*', field: 'tags:pool-*', owner: 'platform', reason: 'autoscaler migration', expiresAt } } },
      meta('alice'),
    );
    await runner.waitForCatchUp(projectionCatalogue);

    // when the autoscaler adds a pool tag and the sync sees it
    sim.state.setTags(id, [MANAGED_TAG, 'team-web', 'pool-blue']);
    const report = await sync.run(meta('system:sync'));

    // then the drift is recorded, ignored under the policy, and not in the inbox
    expect(report).toMatchObject({ drift: { new_drift: 1, ignored: 1 } });
    expect(await driftOf(resourceId)).toEqual([{ field: 'tags', status: 'ignored', policy_id: 'pol-pool' }]);
    expect((await new PgDriftInbox(db.orm).listOpenDrift({ limit: 100 })).items.map((d) => d.resourceId)).not.toContain(resourceId);
    expect((await policies.list({ limit: 10 })).items.find((p) => p.policyId === 'pol-pool')).toMatchObject({ status: 'live', ignoring: 1, matched: 1, createdBy: 'alice' });

    // when the policy is ended and the sweep runs / then the drift is open again, the policy still named
    await handleOnStream(store, toPolicyStream('pol-pool'), driftPolicyDecider, { type: 'EndDriftPolicy', data: { policyId: 'pol-pool' } }, meta('bob'));
    const sweep = await drift.detect(meta('system:drift-detection'));
    expect(sweep.reopened).toBe(1);
    expect(await driftOf(resourceId)).toEqual([{ field: 'tags', status: 'open', policy_id: 'pol-pool' }]);
    expect((await policies.list({ limit: 10 })).items.find((p) => p.policyId === 'pol-pool')).toMatchObject({ status: 'ended', endedBy: 'bob', ignoring: 0, matched: 1 });
  });

  it('opens ignored drift at the first detection after its policy expired', async () => {
    // given drift ignored under a policy that ends in a second
    const { id, resourceId } = await managedDroplet('web-brief');
    await handleOnStream(
      store,
      toPolicyStream('pol-brief'),
      driftPolicyDecider,
      { type: 'CreateDriftPolicy', data: { policyId: 'pol-brief', request: { resource: resourceId, field: 'size_slug', owner: 'platform', reason: 'a test', expiresAt: new Date(Date.now() + 1000).toISOString() } } },
      meta('alice'),
    );
    await runner.waitForCatchUp(projectionCatalogue);
    sim.state.resize(id, 's-2vcpu-2gb');
    await sync.run(meta('system:sync'));
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'ignored', policy_id: 'pol-brief' }]);

    // when it has expired and the sweep runs / then it is open
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await drift.detect(meta('system:drift-detection'));
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'open', policy_id: 'pol-brief' }]);
  });

  it('closes a deleted droplet’s drift as resource_deleted when the sync sees it gone', async () => {
    // given a droplet with open drift
    const { id, resourceId } = await managedDroplet('web-doomed');
    sim.state.resize(id, 's-2vcpu-2gb');
    await sync.run(meta('system:sync'));
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'open', policy_id: null }]);

    // when it is deleted outside and the sync runs
    sim.state.deleteDroplet(id);
    const report = await sync.run(meta('system:sync'));

    // then its drift closed, as resource_deleted
    expect(report).toMatchObject({ deleted: 1, drift: { resolved_stale: 1 } });
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'resource_deleted', policy_id: null }]);
  });

  it('closes drift as resource_deleted in the sweep too, for a deletion the sync recorded before', async () => {
    // given open drift on a droplet the inventory already has deleted (as if the sync's detection had failed)
    const { id, resourceId } = await managedDroplet('web-swept');
    sim.state.resize(id, 's-2vcpu-2gb');
    await sync.run(meta('system:sync'));
    const withoutDetection = new InventorySync(
      new DigitalOceanClient({ baseUrl: sim.url, token: 'read-only-sync-token', purpose: 'sync', baseDelayMs: 10 }),
      store,
      new PgResourceReadModel(db.orm),
      new AdvisoryJobLease(db.url),
      { deleteGraceMs: 0, settle: () => runner.waitForCatchUp(projectionCatalogue) },
    );
    sim.state.deleteDroplet(id);
    await withoutDetection.run(meta('system:sync'));
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'open', policy_id: null }]);

    // when the sweep runs / then it closes it
    await drift.detect(meta('system:drift-detection'));
    expect(await driftOf(resourceId)).toEqual([{ field: 'size_slug', status: 'resource_deleted', policy_id: null }]);
  });
});
