import { Conflict } from '../../domain/errors.js';
import type { CloudProvider } from '../../domain/cloud/cloud.port.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { EventMetadata } from '../../domain/events/event-envelope.js';
import { type Observation, observe, resourceDecider, type ResourceEvent, type ResourceStreamState } from '../../domain/inventory/resource.decider.js';
import { dropletResourceId, observeDroplet, type ResourceState } from '../../domain/inventory/resource.js';
import { toResourceStream } from '../../domain/streams.js';
import { forEachConcurrently } from '../concurrency.js';
import { appendDecidedToStreams, handleOnStream } from '../event-stream.js';
import { JobRuns } from './job-runs.js';
import type { InventoryEntry, InventorySnapshot, JobLease } from './inventory.ports.js';

export interface SyncReport {
  readonly listed: number;
  readonly observed: number;
  readonly changed: number;
  readonly deleted: number;
  readonly unchanged: number;
  /** Appends that met a concurrent writer and were decided again from the stream. */
  readonly redecided: number;
  readonly eventsAppended: number;
  /**
   * What detecting drift on the resources this run saw change found (see `afterChanges`), or why
   * it could not run (the sync's own appends stand; the scheduled sweep catches up).
   */
  readonly drift?: unknown;
  readonly seconds: number;
}

/** A resource as a sync left it: its observed state, `deleted` once the sync recorded it gone. */
export interface SyncedResource {
  readonly resourceId: string;
  readonly live: ResourceState;
}

export class SyncAlreadyRunning extends Conflict {
  override readonly name = 'SyncAlreadyRunning';
  override readonly code = 'sync_running';
}

export interface InventorySyncOptions {
  /** A resource the listing lacks is recorded deleted only when its last event is older than this (listings lag after a create). */
  readonly deleteGraceMs?: number;
  /** Waits until the inventory read model has caught up with the log. */
  readonly settle?: () => Promise<unknown>;
  readonly now?: () => Date;
  /** Runs after the appends with every resource that appeared, changed or went: drift detection, at once. */
  readonly afterChanges?: (changed: readonly SyncedResource[], metadata: Omit<EventMetadata, 'schemaVersion'>) => Promise<unknown>;
}

/**
 * Lists every droplet with the read-only token and brings the inventory in line: ResourceObserved
 * for new ones (unmanaged ones too), ResourceChanged with before/after, ResourceDeleted for the
 * vanished. Compares against the read model in one pass and appends only where something changed,
 * with the revision the row reflects: a row that lagged is decided again from its stream. One run
 * at a time (a lease across processes); a run with nothing changed appends nothing.
 */
export class InventorySync {
  private readonly deleteGraceMs: number;
  private readonly now: () => Date;
  private readonly settle: () => Promise<unknown>;
  private readonly afterChanges: InventorySyncOptions['afterChanges'];
  private readonly runs: JobRuns;

  constructor(
    private readonly cloud: CloudProvider,
    private readonly store: EventStore,
    private readonly inventory: InventorySnapshot,
    private readonly lease: JobLease,
    options: InventorySyncOptions = {},
  ) {
    this.deleteGraceMs = options.deleteGraceMs ?? 120_000;
    this.now = options.now ?? (() => new Date());
    this.settle = options.settle ?? (async () => undefined);
    this.afterChanges = options.afterChanges;
    this.runs = new JobRuns(store);
  }

  async run(metadata: Omit<EventMetadata, 'schemaVersion'>, onProgress: (text: string) => void = () => undefined): Promise<SyncReport> {
    const held = await this.lease.tryAcquire('inventory-sync');
    if (!held) throw new SyncAlreadyRunning('an inventory sync is running already; try again when it has finished');
    try {
      return await this.sync(metadata, onProgress);
    } finally {
      await held.release();
    }
  }

  private async sync(metadata: Omit<EventMetadata, 'schemaVersion'>, onProgress: (text: string) => void): Promise<SyncReport> {
    const started = performance.now();
    await this.settle();
    const [droplets, entries] = await Promise.all([this.cloud.listDroplets(), this.inventory.allResources()]);
    onProgress(`listed ${droplets.length} droplets; the inventory holds ${entries.length} resources`);
    const known = new Map(entries.map((e) => [e.resourceId, e]));
    const now = this.now();
    const counts = { observed: 0, changed: 0, deleted: 0, unchanged: 0, redecided: 0, eventsAppended: 0 };
    const work: { observation: Observation; entry: InventoryEntry | undefined }[] = [];

    for (const droplet of droplets) {
      const resourceId = dropletResourceId(droplet.id);
      work.push({ observation: { resourceId, observed: observeDroplet(droplet), source: 'sync', sagaId: null }, entry: known.get(resourceId) });
      known.delete(resourceId);
    }
    for (const entry of known.values()) {
      if (entry.deleted || now.getTime() - entry.lastSeenAt.getTime() < this.deleteGraceMs) continue;
      work.push({ observation: { resourceId: entry.resourceId, observed: null, source: 'sync', sagaId: null }, entry });
    }

    const decided: { observation: Observation; current: ResourceStreamState; stream: string; expectedRevision: bigint | 'no_stream'; events: readonly ResourceEvent[] }[] = [];
    for (const { observation, entry } of work) {
      const current: ResourceStreamState = !entry ? { status: 'unknown' } : entry.deleted ? { status: 'deleted', state: entry.state } : { status: 'present', state: entry.state };
      const events = resourceDecider.decide(observe(observation), current, now);
      if (events.length === 0) counts.unchanged++;
      else decided.push({ observation, current, stream: toResourceStream(observation.resourceId), expectedRevision: entry ? entry.streamRevision : 'no_stream', events });
    }
    onProgress(`${decided.length} resources changed; appending`);
    const revisions = await appendDecidedToStreams(this.store, decided, metadata);
    // a row the read model had not caught up on: decide again from the stream itself
    const lagged = decided.filter((_, i) => revisions[i] === null);
    counts.redecided = lagged.length;
    await forEachConcurrently(lagged, async (item) => {
      const handled = await handleOnStream(this.store, item.stream, resourceDecider, observe(item.observation), metadata, { now: () => now });
      item.current = handled.before;
      item.events = handled.events;
    });
    for (const { events } of decided) {
      counts.eventsAppended += events.length;
      for (const event of events) {
        if (event.type === 'ResourceObserved') counts.observed++;
        else if (event.type === 'ResourceChanged') counts.changed++;
        else counts.deleted++;
      }
    }
    await this.runs.record({ type: 'InventorySyncRan', data: { listed: droplets.length, observed: counts.observed, changed: counts.changed, deleted: counts.deleted, at: now.toISOString() } }, metadata);
    const drift = await this.detectChanged(decided, metadata);
    // the caller reads its own writes: the inventory shows what this run found once it answers
    if (counts.eventsAppended > 0) await this.settle();
    return { listed: droplets.length, ...counts, ...(drift === undefined ? {} : { drift }), seconds: (performance.now() - started) / 1000 };
  }

  /** Hands the resources whose streams moved, as they now stand, to `afterChanges`; its failure is reported, not thrown. */
  private async detectChanged(decided: readonly { current: ResourceStreamState; observation: Observation; events: readonly ResourceEvent[] }[], metadata: Omit<EventMetadata, 'schemaVersion'>) {
    if (!this.afterChanges) return undefined;
    const changed = decided.flatMap(({ current, observation, events }): SyncedResource[] => {
      const after = events.reduce(resourceDecider.evolve, current);
      if (after.status === 'unknown') return [];
      return [{ resourceId: observation.resourceId, live: after.status === 'deleted' ? { ...after.state, status: 'deleted' } : after.state }];
    });
    if (changed.length === 0) return undefined;
    try {
      return await this.afterChanges(changed, metadata);
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
}
