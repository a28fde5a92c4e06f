import { createHash, randomUUID } from 'node:crypto';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { PgDetectionReadModel } from '../../src/adapters/inventory/detection-read-model.js';
import { DriftGroupNotFound, PgDriftInbox } from '../../src/adapters/inventory/drift-inbox.js';
import { PgResourceReadModel } from '../../src/adapters/inventory/resource-read-model.js';
import { PgSpecReadModel } from '../support/spec-read-model.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { InvalidInput } from '../../src/domain/errors.js';
import type { SpecEvent } from '../../src/domain/drift/spec.decider.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import type { ResourceEvent } from '../../src/domain/inventory/resource.decider.js';
import { MANAGED_TAG, type ResourceState } from '../../src/domain/inventory/resource.js';
import { toResourceStream, toSpecStream } from '../../src/domain/streams.js';
import { cloudDriftProjection } from '../../src/projections/drift/cloud-drift.projection.js';
import { cloudProvisionedProjection } from '../../src/projections/drift/cloud-provisioned.projection.js';
import { cloudResourcesProjection } from '../../src/projections/inventory/cloud-resources.projection.js';
import type { AnyProjection } from '../../src/projections/projection.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const projections: AnyProjection[] = [cloudResourcesProjection, cloudProvisionedProjection, cloudDriftProjection];
const tables: Record<string, { table: string; key: string }> = {
  [cloudResourcesProjection.name]: { table: 'cloud_resources', key: 'resource_id' },
  [cloudProvisionedProjection.name]: { table: 'cloud_provisioned', key: 'resource_id' },
  [cloudDriftProjection.name]: { table: 'cloud_drift', key: 'id' },
};

const at = (minute: number): string => new Date(Date.parse('2026-11-22T10:00:00.000Z') + minute * 60_000).toISOString();
const droplet = (id: number, over: Partial<ResourceState> = {}): ResourceState => ({
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: String(id),
  name: `web-${id}`,
  region: 'nyc3',
  size_slug: 's-1vcpu-1gb',
  status: 'active',
  tags: [MANAGED_TAG, 'web'],
  attrs: { image: 'ubuntu-24-04-x64', public_ipv4: `203.0.113.${id}`, created_at: at(0) },
  ...over,
});
const R1 = 'do:droplet:1'; // managed; its size drifts, a revert is requested
const R2 = 'do:droplet:2'; // unmanaged, nobody here created it, no spec
const R3 = 'do:droplet:3'; // managed; drift on tags accepted, drift on vcpus open
const R4 = 'do:droplet:4'; // managed, then deleted
const R5 = 'do:droplet:5'; // destroyed: spec removed, its drift closed
const R6 = 'do:droplet:6'; // spec recorded, the inventory has not seen it yet
const R7 = 'do:droplet:7'; // a size drift closed stale, then a new one on the same field

describe('the inventory read models against PostgreSQL', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let resources: PgResourceReadModel;
  let specs: PgSpecReadModel;
  let inbox: PgDriftInbox;
  let detection: PgDetectionReadModel;
  const controller = new AbortController();
  let running: Promise<void>[] = [];
  const revisions = new Map<string, bigint>();

  async function append(stream: string, events: readonly (ResourceEvent | SpecEvent)[], actor: string): Promise<void> {
    const encoded = events.map((e) => eventCatalogue.encode(e.type, randomUUID(), e.data as never, { correlationId: `corr-${stream}`, causationId: null, actor }));
    const result = await store.appendToStream(stream, encoded, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
    revisions.set(stream, result.nextExpectedRevision);
  }
  const resource = (resourceId: string, events: ResourceEvent[], actor = 'system:sync') => append(toResourceStream(resourceId), events, actor);
  const spec = (resourceId: string, events: SpecEvent[], actor: string) => append(toSpecStream(resourceId), events, actor);

  async function caughtUp(): Promise<void> {
    if (!(await runner.waitForCatchUp(projections, 30_000))) throw new Error('the inventory projections did not catch up');
  }

  async function rowsOf(table: string, key: string): Promise<unknown[]> {
    return (await db.pool.query(`select * from ${table} order by ${key}`)).rows;
  }
  async function indexesOf(table: string): Promise<{ indexname: string; indexdef: string }[]> {
    const { rows } = await db.pool.query<{ indexname: string; indexdef: string }>(
      'select indexname, indexdef from pg_indexes where schemaname = $1 and tablename = $2 order by indexname',
      ['public', table],
    );
    return rows;
  }

  beforeAll(async () => {
    db = await createTestDatabase('cl_inv');
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { batchSize: 50, idleRetryMs: 50 });
    resources = new PgResourceReadModel(db.orm);
    specs = new PgSpecReadModel(db.orm);
    inbox = new PgDriftInbox(db.orm);
    detection = new PgDetectionReadModel(db.orm);
    running = projections.map((p) => runner.run(p, controller.signal));

    // the first phase: provisioning, syncs, detection and an accept
    const spec1 = { size_slug: 's-1vcpu-1gb', region: 'nyc3' };
    await resource(R1, [{ type: 'ResourceObserved', data: { resourceId: R1, state: droplet(1), source: 'saga', sagaId: 'saga-1', at: at(1) } }], 'token:ci');
    await spec(R1, [{ type: 'SpecRecorded', data: { resourceId: R1, spec: spec1, version: 1, reason: 'provisioned', sagaId: 'saga-1', driftId: null, at: at(2) } }], 'token:ci');
    await resource(R2, [{ type: 'ResourceObserved', data: { resourceId: R2, state: droplet(2, { region: 'sfo3', tags: ['db'] }), source: 'sync', sagaId: null, at: at(3) } }]);
    await resource(R3, [{ type: 'ResourceObserved', data: { resourceId: R3, state: droplet(3, { tags: [MANAGED_TAG] }), source: 'saga', sagaId: 'saga-3', at: at(4) } }], 'token:ci');
    await spec(R3, [{ type: 'SpecRecorded', data: { resourceId: R3, spec: { tags: [MANAGED_TAG, 'web'], vcpus: 2 }, version: 1, reason: 'recorded', sagaId: null, driftId: null, at: at(5) } }], 'token:ops');
    await resource(R4, [{ type: 'ResourceObserved', data: { resourceId: R4, state: droplet(4), source: 'sync', sagaId: null, at: at(6) } }]);
    await spec(R4, [{ type: 'SpecRecorded', data: { resourceId: R4, spec: spec1, version: 1, reason: 'provisioned', sagaId: 'saga-4', driftId: null, at: at(6) } }], 'token:ci');
    await resource(R5, [{ type: 'ResourceObserved', data: { resourceId: R5, state: droplet(5), source: 'sync', sagaId: null, at: at(7) } }]);
    await spec(R5, [{ type: 'SpecRecorded', data: { resourceId: R5, spec: spec1, version: 1, reason: 'provisioned', sagaId: 'saga-5', driftId: null, at: at(7) } }], 'token:ci');
    await spec(R6, [{ type: 'SpecRecorded', data: { resourceId: R6, spec: { size_slug: 's-4vcpu-8gb' }, version: 1, reason: 'recorded', sagaId: null, driftId: null, at: at(8) } }], 'token:ops');
    await resource(R7, [{ type: 'ResourceObserved', data: { resourceId: R7, state: droplet(7, { size_slug: 's-2vcpu-2gb' }), source: 'sync', sagaId: null, at: at(9) } }]);
    await spec(R7, [{ type: 'SpecRecorded', data: { resourceId: R7, spec: { size_slug: 's-1vcpu-1gb' }, version: 1, reason: 'recorded', sagaId: null, driftId: null, at: at(9) } }], 'token:ops');
    await spec(R7, [{ type: 'DriftDetected', data: { resourceId: R7, driftId: 'd7-a', field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', specVersion: 1, at: at(20) } }], 'system:drift');
    await resource(R1, [
      { type: 'ResourceChanged', data: { resourceId: R1, changes: [{ field: 'size_slug', before: 's-1vcpu-1gb', after: 's-2vcpu-2gb' }], source: 'sync', sagaId: null, at: at(15) } },
    ]);
    await resource(R3, [{ type: 'ResourceChanged', data: { resourceId: R3, changes: [{ field: 'tags', before: [MANAGED_TAG], after: [MANAGED_TAG, 'web'] }], source: 'sync', sagaId: null, at: at(15) } }]);
    await resource(R4, [{ type: 'ResourceDeleted', data: { resourceId: R4, source: 'sync', sagaId: null, at: at(15) } }]);
    await spec(R1, [{ type: 'DriftDetected', data: { resourceId: R1, driftId: 'd1', field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', specVersion: 1, at: at(20) } }], 'system:drift');
    await spec(
      R3,
      [
        { type: 'DriftDetected', data: { resourceId: R3, driftId: 'd3-tags', field: 'tags', expected: [MANAGED_TAG, 'web'], actual: [MANAGED_TAG], specVersion: 1, at: at(20) } },
        { type: 'DriftDetected', data: { resourceId: R3, driftId: 'd3-vcpus', field: 'vcpus', expected: 2, actual: '4', specVersion: 1, at: at(20) } },
      ],
      'system:drift',
    );
    await spec(R5, [{ type: 'DriftDetected', data: { resourceId: R5, driftId: 'd5', field: 'meta', expected: { team: 'a' }, actual: '7', specVersion: 1, at: at(20) } }], 'system:drift');
    await spec(
      R3,
      [
        { type: 'SpecRecorded', data: { resourceId: R3, spec: { tags: [MANAGED_TAG], vcpus: 2 }, version: 2, reason: 'drift_accepted', sagaId: null, driftId: 'd3-tags', at: at(25) } },
        { type: 'DriftAccepted', data: { resourceId: R3, driftId: 'd3-tags', field: 'tags', value: [MANAGED_TAG], specVersion: 2, at: at(25) } },
      ],
      'token:ops',
    );
    await caughtUp();

    // the second phase updates rows the first wrote: they are read back through the ORM and written again
    await spec(R1, [{ type: 'DriftRevertRequested', data: { resourceId: R1, driftId: 'd1', field: 'size_slug', sagaId: 'revert-1', at: at(30) } }], 'token:ops');
    await resource(R1, [
      { type: 'ResourceChanged', data: { resourceId: R1, changes: [{ field: 'public_ipv4', before: '203.0.113.1', after: '203.0.113.99' }], source: 'sync', sagaId: null, at: at(30) } },
    ]);
    await spec(
      R5,
      [
        { type: 'DriftClosedStale', data: { resourceId: R5, driftId: 'd5', field: 'meta', actual: null, reason: 'matches_again', at: at(40) } },
        { type: 'SpecRemoved', data: { resourceId: R5, reason: 'destroyed', sagaId: 'saga-55', at: at(40) } },
      ],
      'token:ci',
    );
    await resource(R5, [{ type: 'ResourceDeleted', data: { resourceId: R5, source: 'saga', sagaId: 'saga-55', at: at(41) } }], 'token:ci');
    // the open drift row is replaced by a new open one on the same field: the unique index must allow it
    await spec(R7, [{ type: 'DriftClosedStale', data: { resourceId: R7, driftId: 'd7-a', field: 'size_slug', actual: 's-1vcpu-1gb', reason: 'matches_again', at: at(50) } }], 'system:drift');
    await spec(R7, [{ type: 'DriftDetected', data: { resourceId: R7, driftId: 'd7-b', field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-4vcpu-8gb', specVersion: 1, at: at(51) } }], 'system:drift');
    await caughtUp();
  });

  afterAll(async () => {
    controller.abort();
    await Promise.all(running);
    await store?.close();
    await db?.drop();
  });

  it('lists resources in id order, filtered by managed, status, tag and region, page by page', async () => {
    const all = await resources.listResources({ limit: 10 });
    expect(all.items.map((r) => r.resourceId)).toEqual([R1, R2, R3, R4, R5, R7]);
    expect(all.nextCursor).toBeNull();

    expect((await resources.listResources({ managed: false, limit: 10 })).items.map((r) => r.resourceId)).toEqual([R2]);
    expect((await resources.listResources({ managed: true, status: 'active', limit: 10 })).items.map((r) => r.resourceId)).toEqual([R1, R3, R7]);
    expect((await resources.listResources({ status: 'deleted', limit: 10 })).items.map((r) => r.resourceId)).toEqual([R4, R5]);
    expect((await resources.listResources({ tag: 'web', limit: 10 })).items.map((r) => r.resourceId)).toEqual([R1, R3, R4, R5, R7]);
    expect((await resources.listResources({ tag: 'db', region: 'sfo3', limit: 10 })).items.map((r) => r.resourceId)).toEqual([R2]);
    expect((await resources.listResources({ tag: 'nope', limit: 10 })).items).toEqual([]);

    const first = await resources.listResources({ limit: 2 });
    const second = await resources.listResources({ limit: 2, cursor: first.nextCursor! });
    const third = await resources.listResources({ limit: 2, cursor: second.nextCursor! });
    expect([first, second, third].flatMap((p) => p.items.map((r) => r.resourceId))).toEqual([R1, R2, R3, R4, R5, R7]);
    expect(third.nextCursor).toBeNull();
    await expect(resources.listResources({ limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidInput);
  });

  it('returns one resource as plain JSON, with the changes applied and a deletion kept', async () => {
    const r1 = await resources.getResource(R1);
    expect(r1).toEqual({
      resourceId: R1,
      provider: 'digitalocean',
      kind: 'droplet',
      providerId: '1',
      name: 'web-1',
      region: 'nyc3',
      sizeSlug: 's-2vcpu-2gb',
      status: 'active',
      tags: [MANAGED_TAG, 'web'],
      attrs: { image: 'ubuntu-24-04-x64', public_ipv4: '203.0.113.99', created_at: at(0) },
      managed: true,
      firstSeenAt: at(1),
      lastSeenAt: at(30),
      deletedAt: null,
      streamRevision: '2',
    });
    expect(JSON.parse(JSON.stringify(r1))).toEqual(r1);
    expect(await resources.getResource(R4)).toMatchObject({ status: 'deleted', deletedAt: at(15), sizeSlug: 's-1vcpu-1gb' });
    expect(await resources.getResource('do:droplet:404')).toBeNull();
  });

  it('returns the spec with its version and who recorded it; a removed spec says so', async () => {
    expect(await specs.getSpec(R3)).toEqual({ resourceId: R3, spec: { tags: [MANAGED_TAG], vcpus: 2 }, specVersion: 2, recordedAt: at(25), recordedBy: 'token:ops', removedAt: null });
    expect(await specs.getSpec(R5)).toMatchObject({ specVersion: 1, removedAt: at(40) });
    expect(await specs.getSpec(R2)).toBeNull();
  });

  it('keeps JSON scalars, lists and objects exactly as the events had them', async () => {
    expect(await inbox.getDrift('d1')).toMatchObject({ expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', status: 'open', revertSagaId: 'revert-1' });
    expect(await inbox.getDrift('d3-vcpus')).toMatchObject({ expected: 2, actual: '4' });
    expect(await inbox.getDrift('d3-tags')).toMatchObject({ expected: [MANAGED_TAG, 'web'], actual: [MANAGED_TAG], status: 'accepted', resolvedBy: 'token:ops', resolvedAt: at(25) });
    // d5 was read back through the ORM and written again when it closed: a number-like string stays a string
    expect(await inbox.getDrift('d5')).toMatchObject({ expected: { team: 'a' }, actual: '7', status: 'stale' });
    expect(await inbox.getDrift('nope')).toBeNull();
  });

  it('lists open drift newest first, each with its resource', async () => {
    const { items, nextCursor } = await inbox.listOpenDrift({ limit: 10 });
    // d3-vcpus and d1 were detected at the same time: the id breaks the tie, descending
    expect(items.map((d) => [d.id, d.resource?.resourceId])).toEqual([
      ['d7-b', R7],
      ['d3-vcpus', R3],
      ['d1', R1],
    ]);
    expect(items[2]).toMatchObject({ field: 'size_slug', detectedAt: at(20), detectedBy: 'system:drift', resource: { sizeSlug: 's-2vcpu-2gb', managed: true } });
    expect(nextCursor).toBeNull();
    const first = await inbox.listOpenDrift({ limit: 2 });
    expect((await inbox.listOpenDrift({ limit: 2, cursor: first.nextCursor! })).items.map((d) => d.id)).toEqual(['d1']);
    expect(await inbox.getDrift('d7-a')).toMatchObject({ status: 'stale', resolvedAt: at(50) });
  });

  it('lists drift of any status, on one resource or field, newest first', async () => {
    expect((await inbox.listDrift({ status: 'all', resourceId: R3, limit: 10 })).items.map((d) => [d.id, d.status])).toEqual([
      ['d3-vcpus', 'open'],
      ['d3-tags', 'accepted'],
    ]);
    expect((await inbox.listDrift({ status: 'stale', limit: 10 })).items.map((d) => d.id).sort()).toEqual(['d5', 'd7-a']);
    expect((await inbox.listDrift({ status: 'all', field: 'vcpus', limit: 10 })).items.map((d) => d.id)).toEqual(['d3-vcpus']);
    expect((await inbox.listDrift({ status: 'open', resourceId: R3, field: 'tags', limit: 10 })).items).toEqual([]);
    const first = await inbox.listDrift({ status: 'all', resourceId: R3, limit: 1 });
    expect((await inbox.listDrift({ status: 'all', resourceId: R3, limit: 1, cursor: first.nextCursor! })).items.map((d) => d.id)).toEqual(['d3-tags']);
    expect(await inbox.getDriftWithResource('d1')).toMatchObject({ id: 'd1', policyId: null, ignoredUntil: null, resource: { resourceId: R1 } });
  });

  it('groups open drift by cause under an id made from [field, expected, actual] as jsonb prints it', async () => {
    const { items } = await inbox.listGroups({ limit: 10 });
    expect(items).toHaveLength(3);
    const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 20);
    const size = items.find((g) => g.field === 'size_slug' && g.expected === 's-1vcpu-1gb' && g.actual === 's-2vcpu-2gb');
    expect(size).toEqual({ groupId: hash('["size_slug", "s-1vcpu-1gb", "s-2vcpu-2gb"]'), field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', count: 1, oldestDetectedAt: at(20), newestDetectedAt: at(20) });
    // a number and a string are different causes
    expect(items.find((g) => g.field === 'vcpus')).toMatchObject({ groupId: hash('["vcpus", 2, "4"]'), expected: 2, actual: '4' });
    expect(await inbox.groupItems(size!.groupId, 500)).toEqual({ items: [{ driftId: 'd1', resourceId: R1 }], more: false });
    await expect(inbox.groupItems('0'.repeat(20), 500)).rejects.toBeInstanceOf(DriftGroupNotFound);
    // paged one by one: each group once
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await inbox.listGroups({ limit: 1, cursor });
      seen.push(...page.items.map((g) => g.groupId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(items.map((g) => g.groupId));
    await expect(inbox.listGroups({ limit: 1, cursor: 'AAAA' })).rejects.toBeInstanceOf(InvalidInput);
  });

  it('gives drift detection the specs with drift open, each with its live state and stream revision, in one query', async () => {
    const { checked, rows } = await detection.detectionInput();
    // R4's resource is deleted and R5's spec removed: nothing to compare; R6 has no live row yet
    expect(checked).toBe(4);
    expect(rows.map((i) => i.resourceId)).toEqual([R1, R3, R7]);
    const [r1, r3, r7] = rows;
    expect(r1).toEqual({
      resourceId: R1,
      spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3' },
      specVersion: 1,
      streamRevision: String(revisions.get(toSpecStream(R1))),
      live: {
        name: 'web-1',
        region: 'nyc3',
        size_slug: 's-2vcpu-2gb',
        status: 'active',
        tags: [MANAGED_TAG, 'web'],
        attrs: { image: 'ubuntu-24-04-x64', public_ipv4: '203.0.113.99', created_at: at(0) },
      },
      open: [{ driftId: 'd1', field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', revertSagaId: 'revert-1', ignoredBy: null }],
    });
    expect(r1!.streamRevision).toBe('2');
    expect(r3).toMatchObject({ specVersion: 2, streamRevision: '4', open: [{ driftId: 'd3-vcpus', field: 'vcpus', expected: 2, actual: '4', revertSagaId: null }] });
    expect(r7).toMatchObject({ open: [{ driftId: 'd7-b', actual: 's-4vcpu-8gb' }], streamRevision: '3' });
  });

  it('refuses a second open drift for the same resource and field, but not a closed one', async () => {
    const insert = (id: string, status: string) =>
      db.pool.query(
        `insert into cloud_drift (id, resource_id, field, expected, actual, status, spec_version, detected_at, detected_by)
         values ($1, $2, 'size_slug', '"a"', '"b"', $3, 1, now(), 'test')`,
        [id, R1, status],
      );
    await expect(insert('dup-open', 'open')).rejects.toMatchObject({ code: '23505', constraint: 'cloud_drift_resource_id_field_idx' });
    await insert('dup-stale', 'stale');
    await db.pool.query(`delete from cloud_drift where id = 'dup-stale'`);
  });

  it.each(projections.map((p) => [p.name, p] as const))('rebuilding %s yields the same rows and the same indexes', async (_name, projection) => {
    const { table, key } = tables[projection.name]!;
    const before = await rowsOf(table, key);
    const indexes = await indexesOf(table);
    expect(before.length).toBeGreaterThan(0);
    await db.pool.query(`delete from ${table}`); // lose the live rows: only the rebuild brings them back

    await runner.rebuild(projection);
    await caughtUp();

    expect(await rowsOf(table, key)).toEqual(before);
    expect(await indexesOf(table)).toEqual(indexes);
  });
});
