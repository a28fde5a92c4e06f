import { randomUUID } from 'node:crypto';
import { startSimulator } from '../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { DigitalOceanClient } from '../src/adapters/cloud/digitalocean/digitalocean.client.js';
import { PostgresEventStore } from '../src/adapters/event-store/postgres/postgres.event-store.js';
import { PgDetectionReadModel } from '../src/adapters/inventory/detection-read-model.js';
import { PgDriftInbox } from '../src/adapters/inventory/drift-inbox.js';
import { PgDriftPolicies } from '../src/adapters/inventory/drift-policies.js';
import { PgResourceReadModel } from '../src/adapters/inventory/resource-read-model.js';
import { AdvisoryJobLease } from '../src/adapters/projections/advisory-lease.js';
import { ProjectionRunner } from '../src/adapters/projections/projection-runner.js';
import type { DetectionInput, DetectionReadModel, SpecOf } from '../src/application/drift/drift.ports.js';
import { appendDecidedToStreams } from '../src/application/event-stream.js';
import { type DetectReport, DriftService } from '../src/application/drift/drift.service.js';
import { InventorySync } from '../src/application/inventory/inventory-sync.js';
import type { SagaService } from '../src/application/saga/saga.service.js';
import { compareSpec } from '../src/domain/drift/drift-compare.js';
import { type OpenDrift, specDecider, type SpecState } from '../src/domain/drift/spec.decider.js';
import type { EventStore } from '../src/domain/event-store/event-store.port.js';
import { eventCatalogue } from '../src/domain/events/event-catalogue.js';
import { MANAGED_TAG, type ResourceState } from '../src/domain/inventory/resource.js';
import { toSpecStream } from '../src/domain/streams.js';
import { cloudDriftProjection } from '../src/projections/drift/cloud-drift.projection.js';
import { cloudProvisionedProjection } from '../src/projections/drift/cloud-provisioned.projection.js';
import { driftPoliciesProjection } from '../src/projections/drift/drift-policies.projection.js';
import { cloudResourcesProjection } from '../src/projections/inventory/cloud-resources.projection.js';
import type { AnyProjection } from '../src/projections/projection.js';
import type { TestDatabase } from '../test/support/database.js';
import { benchDatabase, percentile, progress, report, sizeLabel, timed } from './bench-support.js';

const BENCH = 'drift';
/** The fleet detection runs over (DRIFT_RESOURCES; bench:report runs 10k, 100k and 1M). */
const RESOURCES = Number(process.env.DRIFT_RESOURCES ?? 100_000);
/** DRIFT_COMPARE=off leaves out the per-resource runs detection is compared with (the scaling report times detection alone). */
const COMPARE = process.env.DRIFT_COMPARE !== 'off';
/** Every DRIFT_EVERY-th resource has a live size_slug other than its spec's: 1%. */
const DRIFT_EVERY = 100;
const DRIFTED = RESOURCES / DRIFT_EVERY;
const DROPLETS = 10_000;
const FIRST_DROPLET_ID = 500_000_000;

const SPEC_SIZE = 's-1vcpu-1gb';
const DRIFTED_SIZE = 's-2vcpu-4gb';
const TAGS = ['bench', MANAGED_TAG].sort();
const SPEC = { size_slug: SPEC_SIZE, region: 'nyc3', image: 'ubuntu-24-04-x64', tags: TAGS };
const metadata = { actor: 'system:drift-detection', correlationId: 'bench-drift', causationId: null };

type Metadata = typeof metadata;

const resourceIdOf = (i: number): string => `do:droplet:${FIRST_DROPLET_ID + i}`;

/**
 * 100,000 live resources and specs straight into the read models (one statement each), 1% of them
 * with a live size_slug that differs from the spec; a real spec stream (one SpecRecorded, revision
 * 0) for exactly the drifted ones, the only streams detection appends to.
 */
async function seedDetection(db: TestDatabase, store: EventStore): Promise<void> {
  await db.pool.query(
    `insert into cloud_resources (resource_id, provider, kind, provider_id, name, region, size_slug, status, tags, attrs,
                                  managed, first_seen_at, last_seen_at, deleted_at, stream_revision)
     select 'do:droplet:' || ($1::bigint + i), 'digitalocean', 'droplet', ($1::bigint + i)::text, 'bench-' || i, 'nyc3',
            case when i % $3 = 0 then $4 else $5 end, 'active', $6::jsonb,
            jsonb_build_object('image', 'ubuntu-24-04-x64', 'public_ipv4', '10.' || (i / 62500) || '.' || (i / 250 % 250) || '.' || (i % 250 + 1),
                               'created_at', '2026-01-01T00:00:00Z'),
            true, now(), now(), null, 0
       from generate_series(1, $2::int) as i`,
    [FIRST_DROPLET_ID, RESOURCES, DRIFT_EVERY, DRIFTED_SIZE, SPEC_SIZE, JSON.stringify(TAGS)],
  );
  await db.pool.query(
    `insert into cloud_provisioned (resource_id, spec, spec_version, stream_revision, recorded_at, recorded_by, updated_at, removed_at)
     select 'do:droplet:' || ($1::bigint + i), $3::jsonb, 1, 0, now(), 'bench', now(), null
       from generate_series(1, $2::int) as i`,
    [FIRST_DROPLET_ID, RESOURCES, JSON.stringify(SPEC)],
  );
  const drifted = Array.from({ length: DRIFTED }, (_, k) => resourceIdOf((k + 1) * DRIFT_EVERY));
  const at = new Date().toISOString();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < drifted.length) {
        const resourceId = drifted[next++]!;
        const event = eventCatalogue.encode(
          'SpecRecorded',
          randomUUID(),
          { resourceId, spec: { ...SPEC }, version: 1, reason: 'recorded', sagaId: null, driftId: null, at },
          { actor: 'bench', correlationId: 'bench-seed', causationId: null },
        );
        const { nextExpectedRevision } = await store.appendToStream(toSpecStream(resourceId), [event], { expectedRevision: 'no_stream' });
        await db.pool.query('update cloud_provisioned set stream_revision = $2 where resource_id = $1', [resourceId, nextExpectedRevision.toString()]);
      }
    }),
  );
  await db.pool.query('vacuum analyze cloud_resources, cloud_provisioned, cloud_drift');
}

/** Delegates to the event store, timing the span from the first append's start to the last one's end. */
class TimedStore implements EventStore {
  private first: number | undefined;
  private last = 0;
  /** Calls to the port: appendToStream and appendToStreams (the PostgreSQL adapter cuts a batch into transactions of 200 streams). */
  appendCalls = 0;
  constructor(private readonly inner: EventStore) {}
  get appendSeconds(): number {
    return this.first === undefined ? 0 : (this.last - this.first) / 1000;
  }
  appendToStream(...args: Parameters<EventStore['appendToStream']>): ReturnType<EventStore['appendToStream']> {
    return this.timed(() => this.inner.appendToStream(...args));
  }
  appendToStreams(...args: Parameters<EventStore['appendToStreams']>): ReturnType<EventStore['appendToStreams']> {
    return this.timed(() => this.inner.appendToStreams(...args));
  }
  private async timed<T>(append: () => Promise<T>): Promise<T> {
    this.first ??= performance.now();
    try {
      return await append();
    } finally {
      this.last = performance.now();
      this.appendCalls++;
    }
  }
  readStream(...args: Parameters<EventStore['readStream']>): ReturnType<EventStore['readStream']> {
    return this.inner.readStream(...args);
  }
  readAll(...args: Parameters<EventStore['readAll']>): ReturnType<EventStore['readAll']> {
    return this.inner.readAll(...args);
  }
  headPosition(...args: Parameters<EventStore['headPosition']>): ReturnType<EventStore['headPosition']> {
    return this.inner.headPosition(...args);
  }
  subscribeToAll(...args: Parameters<EventStore['subscribeToAll']>): ReturnType<EventStore['subscribeToAll']> {
    return this.inner.subscribeToAll(...args);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Delegates to the read model, timing its one set-based read. */
class TimedReadModel implements DetectionReadModel {
  querySeconds = 0;
  constructor(private readonly inner: DetectionReadModel) {}
  detectionInput(): Promise<DetectionInput> {
    return this.timed(() => this.inner.detectionInput());
  }
  specsOf(resourceIds: readonly string[]): Promise<SpecOf[]> {
    return this.timed(() => this.inner.specsOf(resourceIds));
  }
  private async timed<T>(read: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await read();
    } finally {
      this.querySeconds += (performance.now() - started) / 1000;
    }
  }
}

/**
 * The origin document's way (seed 002, detect_all/detect_one), with the same comparison and the
 * same append as the set-based run for new mismatches, reads over one connection with prepared
 * statements (Ecto's habit too), which is the per-resource way at its fastest. Two shapes:
 * - `each`: per resource its spec row, its live row and its open drift, one query each (detect_one
 *   called for a resource);
 * - `preloaded`: the specs with their live rows in one query (detect_all's `preload: [:resource]`),
 *   then per resource one query, for its open drift (close_stale_drift) — one query per resource.
 */
async function detectPerResource(db: TestDatabase, store: EventStore, meta: Metadata, shape: 'each' | 'preloaded'): Promise<Pick<DetectReport, 'checked' | 'drifted_fields' | 'new_drift' | 'resolved_stale'>> {
  type Live = Pick<ResourceState, 'name' | 'region' | 'size_slug' | 'status' | 'tags' | 'attrs'>;
  type Spec = { spec: Record<string, unknown>; spec_version: number; stream_revision: string };
  const client = await db.pool.connect();
  try {
    const now = new Date();
    let checked = 0;
    let drifted = 0;
    let opened = 0;
    let stale = 0;
    const preloaded = new Map<string, { spec: Spec; resource: Live }>();
    if (shape === 'preloaded') {
      const { rows } = await client.query<Spec & Live & { resource_id: string }>(
        `select p.resource_id, p.spec, p.spec_version, p.stream_revision::text as stream_revision, r.name, r.region, r.size_slug, r.status, r.tags, r.attrs
           from cloud_provisioned p join cloud_resources r on r.resource_id = p.resource_id where p.removed_at is null and r.status <> 'deleted'`,
      );
      for (const { resource_id, spec, spec_version, stream_revision, ...resource } of rows) preloaded.set(resource_id, { spec: { spec, spec_version, stream_revision }, resource });
    }
    const { rows: ids } = await client.query<{ resource_id: string }>({
      name: 'bench_provisioned_ids',
      text: 'select resource_id from cloud_provisioned where removed_at is null order by resource_id',
    });
    for (const { resource_id: resourceId } of ids) {
      let spec: Spec | undefined;
      let resource: Live | undefined;
      if (shape === 'preloaded') ({ spec, resource } = preloaded.get(resourceId) ?? {});
      else {
        ({
          rows: [spec],
        } = await client.query<Spec>({
          name: 'bench_provisioned_one',
          text: 'select spec, spec_version, stream_revision::text as stream_revision from cloud_provisioned where resource_id = $1 and removed_at is null',
          values: [resourceId],
        }));
        ({
          rows: [resource],
        } = await client.query<Live>({
          name: 'bench_resource_one',
          text: `select name, region, size_slug, status, tags, attrs from cloud_resources where resource_id = $1 and status <> 'deleted'`,
          values: [resourceId],
        }));
      }
      const { rows: open } = await client.query<OpenDrift>({
        name: 'bench_open_drift_one',
        text: `select id as "driftId", field, expected, actual, revert_saga_id as "revertSagaId"
                 from cloud_drift where resource_id = $1 and status = 'open' order by detected_at, id`,
        values: [resourceId],
      });
      if (!spec || !resource) continue;
      checked++;
      drifted += compareSpec(spec.spec, resource).length;
      const state: SpecState = { status: 'recorded', spec: spec.spec, version: spec.spec_version, open, closed: [] };
      const events = specDecider.decide({ type: 'DetectDrift', data: { resourceId, live: resource, policies: [], newDriftId: () => randomUUID() } }, state, now);
      if (events.length === 0) continue;
      // one append per resource, as detect_one records each drift
      const [revision] = await appendDecidedToStreams(store, [{ stream: toSpecStream(resourceId), events, expectedRevision: BigInt(spec.stream_revision) }], meta);
      if (revision === null) continue;
      for (const event of events) {
        if (event.type === 'DriftDetected') opened++;
        if (event.type === 'DriftClosedStale') stale++;
      }
    }
    return { checked, drifted_fields: drifted, new_drift: opened, resolved_stale: stale };
  } finally {
    client.release();
  }
}

async function countEvents(db: TestDatabase, type?: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events${type ? ' where type = $1' : ''}`, type ? [type] : []);
  return Number(rows[0]!.n);
}

function expectReport(what: string, got: { checked: number; new_drift: number }): void {
  if (got.checked !== RESOURCES || got.new_drift !== DRIFTED) {
    throw new Error(`${what}: expected checked=${RESOURCES} new_drift=${DRIFTED}, got ${JSON.stringify(got)}`);
  }
}

async function detectionBenches(): Promise<void> {
  const setDb = await benchDatabase('drift_set');
  const perDb = COMPARE ? await benchDatabase('drift_per') : undefined;
  const oneDb = COMPARE ? await benchDatabase('drift_one') : undefined;
  const setStore = new PostgresEventStore(setDb.pool, setDb.url);
  const perStore = perDb && new PostgresEventStore(perDb.pool, perDb.url);
  const oneStore = oneDb && new PostgresEventStore(oneDb.pool, oneDb.url);
  try {
    const seeded = (COMPARE ? [[setDb, setStore], [oneDb!, oneStore!], [perDb!, perStore!]] : [[setDb, setStore]]) as [TestDatabase, PostgresEventStore][];
    progress(`seeding ${seeded.length} identical database(s): ${RESOURCES} resources and specs, ${DRIFTED} drifted (size_slug), ${DRIFTED} spec streams...`);
    for (const [db, store] of seeded) {
      const { seconds } = await timed(() => seedDetection(db, store));
      progress(`  ${db.name} seeded in ${seconds.toFixed(1)} s`);
    }

    progress('set-based detection (DriftService.detect)...');
    const timedStore = new TimedStore(setStore);
    const timedReadModel = new TimedReadModel(new PgDetectionReadModel(setDb.orm));
    const service = new DriftService(timedStore, timedReadModel, new PgDriftInbox(setDb.orm), new PgDriftPolicies(setDb.orm), {} as SagaService);
    const set = await timed(() => service.detect(metadata));
    expectReport('set-based detection', set.result);
    const setEvents = await countEvents(setDb, 'DriftDetected');
    if (setEvents !== DRIFTED) throw new Error(`set-based detection: ${setEvents} DriftDetected events in the store, expected ${DRIFTED}`);
    const breakdown = {
      query_seconds: round3(timedReadModel.querySeconds),
      append_seconds: round3(timedStore.appendSeconds),
      compare_seconds: round3(set.seconds - timedReadModel.querySeconds - timedStore.appendSeconds),
      append_calls: timedStore.appendCalls,
    };
    progress(`  ${set.seconds.toFixed(2)} s: ${JSON.stringify(set.result)}; ${JSON.stringify(breakdown)}`);
    report(BENCH, `detect_${sizeLabel(RESOURCES)}_s`, set.seconds, 's', {
      resources: RESOURCES,
      drifted: DRIFTED,
      seconds: round3(set.seconds),
      checked: set.result.checked,
      drifted_fields: set.result.drifted_fields,
      new_drift: set.result.new_drift,
      redecided: set.result.redecided,
      ...breakdown,
      target_max: RESOURCES >= 1_000_000 ? 3 : 5,
    });
    if (!COMPARE) return;

    const perResource = async (db: TestDatabase, store: EventStore, shape: 'each' | 'preloaded') => {
      progress(`per-resource detection, the origin's way (${shape}: ${shape === 'each' ? 3 * RESOURCES + 1 : RESOURCES + 2} queries)...`);
      const run = await timed(() => detectPerResource(db, store, metadata, shape));
      expectReport(`per-resource detection (${shape})`, run.result);
      const events = await countEvents(db, 'DriftDetected');
      if (events !== DRIFTED) throw new Error(`per-resource detection (${shape}): ${events} DriftDetected events in the store, expected ${DRIFTED}`);
      progress(`  ${run.seconds.toFixed(2)} s: ${JSON.stringify(run.result)}`);
      return run.seconds;
    };
    // the figure: detect_all's own shape, one query per resource (the definition);
    // beside it, detect_one called for each resource, three queries per resource
    const preloaded = await perResource(oneDb!, oneStore!, 'preloaded');
    const each = await perResource(perDb!, perStore!, 'each');
    report(BENCH, 'detect_speedup_vs_per_resource', preloaded / set.seconds, 'x', {
      per_resource_seconds: round3(preloaded),
      set_based_seconds: round3(set.seconds),
      resources: RESOURCES,
      queries_per_resource: 1,
      three_queries_per_resource_seconds: round3(each),
      speedup_vs_three_queries_per_resource: Math.round((each / set.seconds) * 10) / 10,
      target_min: 20,
    });
  } finally {
    await setStore.close();
    await perStore?.close();
    await oneStore?.close();
    await setDb.drop();
    await oneDb?.drop();
    await perDb?.drop();
  }
}

async function syncBench(): Promise<void> {
  const db = await benchDatabase('drift_sync');
  const store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
  const sim = await startSimulator({ delays: { dropletActiveMs: 0, actionMs: 0, snapshotAppearMs: 0, snapshotLingerMs: 0, tagListLagMs: 0 } });
  const runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { idleRetryMs: 50 });
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  try {
    for (let i = 1; i <= DROPLETS; i++) {
      sim.state.createDroplet({ name: `bench-${i}`, region: 'nyc3', size: SPEC_SIZE, image: 'ubuntu-24-04-x64', tags: [MANAGED_TAG, 'bench'] });
    }
    sim.state.advance();
    const cloud = new DigitalOceanClient({ baseUrl: sim.url, token: 'bench-sync-token', purpose: 'sync' });
    // wired as the server wires it: each run first waits for the inventory read model to catch up
    const sync = new InventorySync(cloud, store, new PgResourceReadModel(db.orm), new AdvisoryJobLease(db.url), {
      settle: () => runner.waitForCatchUp([cloudResourcesProjection]),
    });
    running = runner.run(cloudResourcesProjection, stop.signal);

    progress(`first sync of ${DROPLETS} droplets from the in-process simulator (fills the inventory)...`);
    const first = await timed(() => sync.run({ actor: 'system:sync', correlationId: 'bench-sync-1', causationId: null }));
    progress(`  ${first.seconds.toFixed(1)} s: ${JSON.stringify(first.result)}`);
    if (first.result.observed !== DROPLETS) throw new Error(`first sync observed ${first.result.observed} droplets, expected ${DROPLETS}`);
    if (!(await runner.waitForCatchUp([cloudResourcesProjection], 300_000))) throw new Error('cloud-resources did not catch up');
    const { rows } = await db.pool.query<{ n: string }>('select count(*) as n from cloud_resources');
    if (Number(rows[0]!.n) !== DROPLETS) throw new Error(`cloud_resources holds ${rows[0]!.n} rows, expected ${DROPLETS}`);
    stop.abort();
    await running;
    running = undefined;

    progress('second sync, nothing changed...');
    const before = await countEvents(db);
    const requestsBefore = sim.state.requests.length;
    const second = await timed(() => sync.run({ actor: 'system:sync', correlationId: 'bench-sync-2', causationId: null }));
    const appended = (await countEvents(db)) - before;
    progress(`  ${second.seconds.toFixed(2)} s: ${JSON.stringify(second.result)}; ${appended} events in the store`);
    if (second.result.listed !== DROPLETS) throw new Error(`second sync listed ${second.result.listed} droplets, expected ${DROPLETS}`);
    const extra = { droplets: DROPLETS, listed: second.result.listed, unchanged: second.result.unchanged, api_requests: sim.state.requests.length - requestsBefore };
    report(BENCH, 'sync_10k_noop_s', second.seconds, 's', { ...extra, seconds: round3(second.seconds), first_sync_seconds: round3(first.seconds) });
    report(BENCH, 'sync_10k_noop_events', second.result.eventsAppended, 'events', { ...extra, events_in_store: appended, target_max: 0 });
  } finally {
    stop.abort();
    await running;
    await sim.close();
    await store.close();
    await db.drop();
  }
}

/** The p-th percentile (0..100) of the values, nearest rank. */
const CHANGED = 1_000;

/**
 * Out-of-band change to inbox: a fleet of 10,000 managed droplets with specs; 1,000 are resized
 * behind cloudledger's back, then the sync runs (as its schedule would); a watcher polls the
 * inbox (`cloud_drift`, as the projection writes it) and records when each drift appears. Latency
 * is that moment minus the moment of the change; no sweep runs.
 */
async function detectLatencyBench(): Promise<void> {
  const db = await benchDatabase('drift_latency');
  const store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
  const sim = await startSimulator({ delays: { dropletActiveMs: 0, actionMs: 0, snapshotAppearMs: 0, snapshotLingerMs: 0, tagListLagMs: 0 } });
  const runner = new ProjectionRunner(db.orm, store, eventCatalogue, db.url, { idleRetryMs: 50 });
  const reads: AnyProjection[] = [cloudResourcesProjection, cloudProvisionedProjection, cloudDriftProjection, driftPoliciesProjection];
  const stop = new AbortController();
  const running = reads.map((projection) => runner.run(projection, stop.signal));
  try {
    const ids: number[] = [];
    for (let i = 1; i <= DROPLETS; i++) {
      ids.push(sim.state.createDroplet({ name: `fleet-${i}`, region: 'nyc3', size: SPEC_SIZE, image: 'ubuntu-24-04-x64', tags: [MANAGED_TAG, 'bench'] }).droplet.id);
    }
    sim.state.advance();
    const settle = () => runner.waitForCatchUp(reads, 300_000);
    const drift = new DriftService(store, new PgDetectionReadModel(db.orm), new PgDriftInbox(db.orm), new PgDriftPolicies(db.orm), {} as SagaService, settle);
    const sync = new InventorySync(new DigitalOceanClient({ baseUrl: sim.url, token: 'bench-sync-token', purpose: 'sync' }), store, new PgResourceReadModel(db.orm), new AdvisoryJobLease(db.url), {
      settle,
      afterChanges: (changed, meta) => drift.detectObserved(changed, meta),
    });

    progress(`a fleet of ${DROPLETS} droplets: first sync, then a spec for each...`);
    await sync.run({ actor: 'system:sync', correlationId: 'bench-latency-1', causationId: null });
    const at = new Date().toISOString();
    const specs = ids.map((id) => {
      const resourceId = `do:droplet:${id}`;
      const event = eventCatalogue.encode('SpecRecorded', randomUUID(), { resourceId, spec: { ...SPEC }, version: 1, reason: 'declared', sagaId: null, driftId: null, at }, { actor: 'bench', correlationId: 'bench-latency-specs', causationId: null });
      return { stream: toSpecStream(resourceId), events: [event], expectedRevision: 'no_stream' as const };
    });
    for (let i = 0; i < specs.length; i += 500) await store.appendToStreams(specs.slice(i, i + 500));
    if (!(await settle())) throw new Error('the read models did not catch up with the specs');

    progress(`resizing ${CHANGED} of them behind cloudledger's back, then the sync...`);
    const changedAt = new Map<string, number>();
    for (const id of ids.slice(0, CHANGED)) {
      sim.state.resize(id, DRIFTED_SIZE);
      changedAt.set(`do:droplet:${id}`, performance.now());
    }
    const seenAt = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching && seenAt.size < CHANGED) {
        const { rows } = await db.pool.query<{ resource_id: string }>(`select resource_id from cloud_drift where status = 'open'`);
        const now = performance.now();
        for (const { resource_id } of rows) if (!seenAt.has(resource_id)) seenAt.set(resource_id, now);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const syncStarted = performance.now();
    const run = await timed(() => sync.run({ actor: 'system:sync', correlationId: 'bench-latency-2', causationId: null }));
    const deadline = performance.now() + 120_000;
    while (seenAt.size < CHANGED && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    watching = false;
    await watcher;
    progress(`  sync ${run.seconds.toFixed(2)} s: ${JSON.stringify(run.result)}; ${seenAt.size} drifts in the inbox`);
    if (seenAt.size !== CHANGED) throw new Error(`${seenAt.size} of ${CHANGED} drifts reached the inbox`);
    const latencies = [...changedAt].map(([resourceId, changed]) => seenAt.get(resourceId)! - changed);
    const sinceSync = [...seenAt.values()].map((seen) => seen - syncStarted);
    const extra = {
      fleet: DROPLETS,
      changed: CHANGED,
      sync_seconds: round3(run.seconds),
      p50_ms: Math.round(percentile(latencies, 50)),
      p99_ms: Math.round(percentile(latencies, 99)),
      max_ms: Math.round(Math.max(...latencies)),
      p99_since_sync_start_ms: Math.round(percentile(sinceSync, 99)),
      sweep_runs: 0,
    };
    report(BENCH, 'detect_latency_after_sync_ms', percentile(latencies, 50), 'ms', { ...extra, quantile: 'p50', target_max: 5_000 });
    report(BENCH, 'detect_latency_after_sync_p99_ms', percentile(latencies, 99), 'ms', { ...extra, quantile: 'p99', target_max: 10_000 });
  } finally {
    stop.abort();
    await Promise.all(running);
    await sim.close();
    await store.close();
    await db.drop();
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// `npm run bench:drift -- latency` runs only the parts named (detect, sync, latency); none: all
const parts = process.argv.slice(2);
const wanted = (part: string): boolean => parts.length === 0 || parts.includes(part);
if (wanted('detect')) await detectionBenches();
if (wanted('sync')) await syncBench();
if (wanted('latency')) await detectLatencyBench();
