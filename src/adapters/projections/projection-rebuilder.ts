import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventStore, RecordedEvent } from '../../domain/event-store/event-store.port.js';
import { type Position, START } from '../../domain/event-store/position.js';
import type { AnyProjection, Projection } from '../../projections/projection.js';
import { AdvisoryLease } from './advisory-lease.js';
import type { BatchApplier, BatchTarget } from './batch-applier.js';
import type { CheckpointStore } from './checkpoint-store.js';

export interface RebuildProgress {
  readonly projection: string;
  readonly eventsApplied: number;
  readonly position: Position;
  readonly eventsPerSecond: number;
}

/**
 * Rebuilds a projection from the whole log into fresh tables in a schema of its own while the live
 * projection goes on, then swaps them in. One rebuild of a projection at a time (an advisory lease).
 */
export class ProjectionRebuilder {
  constructor(
    private readonly orm: MikroORM,
    private readonly store: EventStore,
    private readonly databaseUrl: string,
    private readonly checkpoints: CheckpointStore,
    private readonly applier: BatchApplier,
    private readonly batchSize: number,
  ) {}

  /**
   * Replays the whole log into the fresh tables, then swaps them in, in one transaction that holds the
   * live checkpoint row and sets it to the rebuild's position; then applies what followed to the new
   * tables. (No event is read inside the swap transaction: on the embedded database a read over
   * another connection would wait for it to end.)
   */
  async rebuild<Row extends object>(projection: Projection<Row>, onProgress?: (p: RebuildProgress) => void): Promise<RebuildProgress> {
    const lease = await AdvisoryLease.tryOnce(this.databaseUrl, `${projection.name}:rebuild`);
    if (!lease) throw new Error(`a rebuild of ${projection.name} is already running`);
    try {
      return await this.rebuildUnderLease(projection, onProgress);
    } finally {
      await lease.release();
    }
  }

  private async rebuildUnderLease<Row extends object>(
    projection: Projection<Row>,
    onProgress?: (p: RebuildProgress) => void,
  ): Promise<RebuildProgress> {
    const meta = this.orm.getMetadata(projection.entity);
    const table = meta.tableName;
    const schema = `rebuild_${projection.name.replace(/\W/g, '_')}`;
    const target: BatchTarget = { checkpoint: `${projection.name}:rebuild`, schema };
    const connection = this.orm.em.getConnection();
    await connection.execute(`drop schema if exists "${schema}" cascade`);
    await connection.execute(`create schema "${schema}"`);
    await connection.execute(`create table "${schema}"."${table}" (like public."${table}" including all)`);
    await this.checkpoints.startRebuild(target.checkpoint);
    await this.checkpoints.ensure(projection.name);

    const started = performance.now();
    let applied = 0;
    let position = START;
    const progress = (): RebuildProgress => ({
      projection: projection.name,
      eventsApplied: applied,
      position,
      eventsPerSecond: applied / Math.max((performance.now() - started) / 1000, 1e-9),
    });
    const shadow = await this.catchUp(projection, target, START, (events, at) => {
      applied += events;
      position = at;
      onProgress?.(progress());
    });
    if (shadow === 'moved') throw new Error(`rebuild of ${projection.name}: its checkpoint moved; is another rebuild running?`);

    await this.orm.em.fork().transactional(async (em) => {
      const tx = em.getTransactionContext();
      await this.checkpoints.lock(em, projection.name);
      await connection.execute(`drop table public."${table}"`, [], 'run', tx);
      await connection.execute(`alter table "${schema}"."${table}" set schema public`, [], 'run', tx);
      await connection.execute(`drop schema "${schema}"`, [], 'run', tx);
      await this.checkpoints.takeOverRebuild(em, projection.name, target.checkpoint);
    });
    // The swap set the live checkpoint back to the rebuild's position. Apply what followed, as any
    // writer would: should the live runner get there first, this stops at its first 'moved'.
    await this.catchUp(projection, { checkpoint: projection.name }, position, () => undefined);
    return progress();
  }

  /**
   * Applies the log after `from` to a target, batch by batch, until a batch comes back empty, or
   * ends with an event written since this catch-up began: the log's head as it was then is passed,
   * and the rest is live traffic (applied after a rebuild's swap, by the live runner or by the
   * catch-up after it). Waiting for an empty or a short batch would chase a writer that appends as
   * fast as batches are applied, or faster, and never end; a batch of older events (PostgreSQL's
   * transaction horizon held back) goes on.
   * Returns 'moved' when another writer moved the target's checkpoint; throws on an event that
   * fails its schema (the target is then stopped with it).
   */
  private async catchUp(
    projection: AnyProjection,
    target: BatchTarget,
    from: Position,
    onBatch: (events: number, position: Position) => void,
  ): Promise<'done' | 'moved'> {
    let position = from;
    const began = new Date();
    for (;;) {
      const events = await this.readBatch(projection, position);
      if (events.length === 0) return 'done';
      const outcome = await this.applier.apply(projection, target, position, events);
      if (outcome.kind === 'moved') return 'moved';
      if (outcome.kind === 'stopped') throw outcome.error;
      position = outcome.position;
      onBatch(events.length, position);
      if (events[events.length - 1]!.recordedAt >= began) return 'done';
    }
  }

  private async readBatch(projection: AnyProjection, after: Position): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readAll({
      fromPosition: after,
      filter: { eventTypes: projection.eventTypes },
      maxCount: this.batchSize,
    })) {
      events.push(event);
    }
    return events;
  }
}
