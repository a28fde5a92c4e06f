import { type EntityManager, wrap } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventStore, RecordedEvent, SubscriptionCheckpoint } from '../../domain/event-store/event-store.port.js';
import { comparePositions, formatPosition, parsePosition, type Position, START } from '../../domain/event-store/position.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { EventSchemaViolation, type EventRegistry } from '../../domain/events/event-registry.js';
import { type ProjectionCheckpoint, ProjectionCheckpointEntity } from '../../projections/checkpoints/projection-checkpoint.entity.js';
import type { AnyProjection, Projection } from '../../projections/projection.js';
import { AdvisoryLease } from './advisory-lease.js';
import { batches } from './batches.js';

export interface ProjectionRunnerOptions {
  readonly batchSize?: number;
  /** How often a follower that is not the leader, or a stopped projection, looks again. */
  readonly idleRetryMs?: number;
  readonly onError?: (projection: string, error: unknown) => void;
}

export interface RebuildProgress {
  readonly projection: string;
  readonly eventsApplied: number;
  readonly position: Position;
  readonly eventsPerSecond: number;
}

export interface ProjectionStatusReport {
  readonly name: string;
  readonly status: ProjectionCheckpoint['status'] | 'new';
  readonly position: string;
  readonly eventsApplied: number;
  /** Events of the projection's types not yet applied, counted up to the limit asked for. */
  readonly lagEvents: number;
  /** Age of the oldest event not yet applied; 0 when caught up. */
  readonly lagSeconds: number;
  readonly lastError: string | null;
  readonly failedEventId: string | null;
  readonly updatedAt: Date | null;
}

/** Where a batch goes: the live table and checkpoint, or a rebuild's shadow schema and checkpoint. */
interface Target {
  readonly checkpoint: string;
  readonly schema?: string;
}

type BatchOutcome =
  | { readonly kind: 'applied'; readonly position: Position }
  | { readonly kind: 'stopped'; readonly position: Position; readonly error: EventSchemaViolation }
  /** The checkpoint is not where this writer left it: another writer or a rebuild moved it. */
  | { readonly kind: 'moved' };

/** Past this many unapplied events the count stops: "at least" is all an operator needs. */
export const LAG_COUNT_LIMIT = 10_000;

/** At most one checkpoint-only write per projection this often: enough that a restart starts near the head. */
const CHECKPOINT_ONLY_EVERY_MS = 1_000;

/**
 * Runs projections exactly once per event: each batch writes its rows and the checkpoint in one
 * transaction that first locks the checkpoint row and checks it is still where this writer left it.
 * One writer per projection at a time holds an advisory-lock lease; an event that fails its schema
 * stops the projection with a status that says which and why, until an operator resumes it.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly idleRetryMs: number;

  constructor(
    private readonly orm: MikroORM,
    private readonly store: EventStore,
    private readonly registry: EventRegistry,
    private readonly databaseUrl: string,
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.idleRetryMs = options.idleRetryMs ?? 1000;
  }

  /** Follows the log until `signal` aborts; takes over leadership whenever it is free. */
  async run<Row extends object>(projection: Projection<Row>, signal: AbortSignal): Promise<void> {
    const lease = new AdvisoryLease(this.databaseUrl, projection.name);
    try {
      while (!signal.aborted) {
        try {
          if (!(await lease.tryAcquire())) {
            await sleep(this.idleRetryMs, signal);
            continue;
          }
          const checkpoint = await this.ensureCheckpoint(projection.name);
          if (checkpoint.status !== 'running') {
            await sleep(this.idleRetryMs, signal);
            continue;
          }
          await this.follow(projection, parsePosition(checkpoint.position), signal);
        } catch (error) {
          this.options.onError?.(projection.name, error);
          await lease.release();
          await sleep(this.idleRetryMs, signal);
        }
      }
    } finally {
      await lease.release();
    }
  }

  /**
   * Replays the whole log into fresh tables in a schema of their own while the live projection
   * goes on, then swaps them in, in one transaction that holds the live checkpoint row and sets it to
   * the rebuild's position; then applies what followed to the new tables. (No event is read inside
   * the swap transaction: on the embedded database a read over another connection would wait for it
   * to end.)
   */
  async rebuild<Row extends object>(projection: Projection<Row>, onProgress?: (p: RebuildProgress) => void): Promise<RebuildProgress> {
    const lease = new AdvisoryLease(this.databaseUrl, `${projection.name}:rebuild`);
    if (!(await lease.tryAcquire())) throw new Error(`a rebuild of ${projection.name} is already running`);
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
    const target: Target = { checkpoint: `${projection.name}:rebuild`, schema };
    const connection = this.orm.em.getConnection();
    await connection.execute(`drop schema if exists "${schema}" cascade`);
    await connection.execute(`create schema "${schema}"`);
    await connection.execute(`create table "${schema}"."${table}" (like public."${table}" including all)`);
    await connection.execute('delete from projection_checkpoints where name = ?', [target.checkpoint]);
    await connection.execute(
      `insert into projection_checkpoints (name, position, status) values (?, ?, 'rebuilding')`,
      [target.checkpoint, formatPosition(START)],
    );
    await this.ensureCheckpoint(projection.name);

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

    await this.inTransaction(async (em) => {
      const tx = em.getTransactionContext();
      await connection.execute('select 1 from projection_checkpoints where name = ? for update', [projection.name], 'all', tx);
      await connection.execute(`drop table public."${table}"`, [], 'run', tx);
      await connection.execute(`alter table "${schema}"."${table}" set schema public`, [], 'run', tx);
      await connection.execute(`drop schema "${schema}"`, [], 'run', tx);
      await connection.execute(
        `update projection_checkpoints live set position = r.position, events_applied = r.events_applied,
           last_event_at = r.last_event_at, status = 'running', last_error = null, failed_event_id = null,
           failed_position = null, updated_at = now()
         from projection_checkpoints r where live.name = ? and r.name = ?`,
        [projection.name, target.checkpoint],
        'run',
        tx,
      );
      await connection.execute('delete from projection_checkpoints where name = ?', [target.checkpoint], 'run', tx);
    });
    // The swap set the live checkpoint back to the rebuild's position. Apply what followed, as any
    // writer would: should the live runner get there first, this stops at its first 'moved'.
    await this.catchUp(projection, { checkpoint: projection.name }, position, () => undefined);
    return progress();
  }

  /**
   * Applies the log after `from` to a target, batch by batch, until a batch comes back empty, or
   * short and ending with an event written since this catch-up began: that is the head of the log
   * as it is now, and the rest is live traffic (applied after a rebuild's swap). Waiting for an
   * empty batch alone would chase a writer that appends as fast as batches are applied, and never
   * end; a short batch of older events (PostgreSQL's transaction horizon held back) goes on.
   * Returns 'moved' when another writer moved the target's checkpoint; throws on an event that
   * fails its schema (the target is then stopped with it).
   */
  private async catchUp(
    projection: AnyProjection,
    target: Target,
    from: Position,
    onBatch: (events: number, position: Position) => void,
  ): Promise<'done' | 'moved'> {
    let position = from;
    const began = new Date();
    for (;;) {
      const events = await this.readBatch(projection, position);
      if (events.length === 0) return 'done';
      const outcome = await this.inTransaction((tx) => this.applyBatch(tx, projection, target, position, events));
      if (outcome.kind === 'moved') return 'moved';
      if (outcome.kind === 'stopped') throw outcome.error;
      position = outcome.position;
      onBatch(events.length, position);
      if (events.length < this.batchSize && events[events.length - 1]!.recordedAt >= began) return 'done';
    }
  }

  /**
   * Lets a stopped projection go on. With `skipFailedEvent`, the event that stopped it is passed
   * over (the checkpoint moves onto it); without, it is read again, e.g. after an upcaster fix.
   */
  async resume(name: string, { skipFailedEvent = false } = {}): Promise<void> {
    await this.orm.em.getConnection().execute(
      `update projection_checkpoints set status = 'running', last_error = null, failed_event_id = null,
         position = case when ? and failed_position is not null then failed_position else position end,
         failed_position = null, updated_at = now()
       where name = ? and status = 'stopped'`,
      [skipFailedEvent, name],
    );
  }

  /**
   * Resolves once these projections have applied every event of their types written so far (or
   * when `timeoutMs` passes: the caller reads a little behind, which its expected revisions catch).
   * "Written so far" is the store's head, not what subscribers can read yet: on PostgreSQL an event
   * committed above the transaction horizon (held back by a transaction anywhere in the cluster)
   * is waited for too, so a caller sees its own writes.
   */
  async waitForCatchUp(projections: readonly AnyProjection[], timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const heads = await Promise.all(projections.map((p) => this.store.headPosition({ eventTypes: p.eventTypes })));
    for (;;) {
      const checkpoints = await this.orm.em.fork().find(ProjectionCheckpointEntity, { name: { $in: projections.map((p) => p.name) } });
      const byName = new Map(checkpoints.map((c) => [c.name, c]));
      const lagging = projections.some((projection, i) => {
        const row = byName.get(projection.name);
        const head = heads[i] ?? null;
        if (head === null || row?.status === 'stopped') return false;
        return comparePositions(row ? parsePosition(row.position) : START, head) < 0;
      });
      if (!lagging) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Where each projection stands. Counting the lag reads the unapplied events, up to
   * `lagCountLimit`; a caller that needs only the lag's age (readiness) passes 1.
   */
  async status(projections: readonly AnyProjection[], { lagCountLimit = LAG_COUNT_LIMIT } = {}): Promise<ProjectionStatusReport[]> {
    const checkpoints = await this.orm.em.fork().find(ProjectionCheckpointEntity, { name: { $in: projections.map((p) => p.name) } });
    const byName = new Map(checkpoints.map((c) => [c.name, c]));
    return Promise.all(
      projections.map(async (projection) => {
        const row = byName.get(projection.name);
        const position = row ? parsePosition(row.position) : START;
        let lagEvents = 0;
        let oldest: Date | undefined;
        for await (const event of this.store.readAll({
          fromPosition: position,
          filter: { eventTypes: projection.eventTypes },
          maxCount: lagCountLimit,
        })) {
          oldest ??= event.recordedAt;
          lagEvents++;
        }
        return {
          name: projection.name,
          status: row?.status ?? 'new',
          position: formatPosition(position),
          eventsApplied: Number(row?.eventsApplied ?? 0),
          lagEvents,
          lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0,
          lastError: row?.lastError ?? null,
          failedEventId: row?.failedEventId ?? null,
          updatedAt: row?.updatedAt ?? null,
        };
      }),
    );
  }

  private async follow<Row extends object>(projection: Projection<Row>, from: Position, signal: AbortSignal): Promise<void> {
    // an abort that came while the lease and checkpoint were awaited fires no listener added now:
    // check it here, with nothing awaited between the check and the listener
    if (signal.aborted) return;
    const subscription = this.store.subscribeToAll({ fromPosition: from, filter: { eventTypes: projection.eventTypes } });
    const stop = (): void => void subscription.close();
    signal.addEventListener('abort', stop);
    let position = from;
    let checkpointWrittenAt = 0;
    // with the store's checkpoints, a projection whose events are rare still moves its own on
    const items: AsyncIterable<RecordedEvent | SubscriptionCheckpoint> = subscription.withCheckpoints?.() ?? subscription;
    try {
      for await (const batch of batches(items, this.batchSize)) {
        if (signal.aborted) return;
        const events = batch.filter((item): item is RecordedEvent => !('checkpoint' in item));
        if (events.length > 0) {
          const outcome = await this.inTransaction((em) => this.applyBatch(em, projection, { checkpoint: projection.name }, position, events));
          if (outcome.kind === 'moved') return;
          position = outcome.position;
          if (outcome.kind === 'stopped') {
            this.options.onError?.(projection.name, outcome.error);
            return;
          }
        }
        const last = batch[batch.length - 1]!;
        if ('checkpoint' in last && comparePositions(last.checkpoint, position) > 0 && Date.now() - checkpointWrittenAt >= CHECKPOINT_ONLY_EVERY_MS) {
          const target = last.checkpoint;
          if (!(await this.inTransaction((em) => this.moveCheckpoint(em, projection.name, position, target)))) return;
          position = target;
          checkpointWrittenAt = Date.now();
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await subscription.close();
    }
  }

  /** Moves the checkpoint over events none of which is the projection's; false when another writer moved it. */
  private async moveCheckpoint(em: EntityManager, name: string, expected: Position, to: Position): Promise<boolean> {
    const connection = em.getConnection();
    const tx = em.getTransactionContext();
    const [row] = await connection.execute<{ position: string }[]>('select position from projection_checkpoints where name = ? for update', [name], 'all', tx);
    if (!row || row.position !== formatPosition(expected)) return false;
    await connection.execute('update projection_checkpoints set position = ?, updated_at = now() where name = ?', [formatPosition(to), name], 'run', tx);
    return true;
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

  /**
   * Applies what decodes, in order, with the checkpoint, in the caller's transaction. An event that
   * fails its schema ends the batch there and stops the projection in that same transaction.
   */
  private async applyBatch<Row extends object>(
    em: EntityManager,
    projection: Projection<Row>,
    target: Target,
    expected: Position,
    events: readonly RecordedEvent[],
  ): Promise<BatchOutcome> {
    const decoded: { event: DomainEvent; recorded: RecordedEvent }[] = [];
    let failure: { error: EventSchemaViolation; recorded: RecordedEvent } | undefined;
    for (const recorded of events) {
      try {
        decoded.push({ event: this.registry.decode(recorded), recorded });
      } catch (error) {
        if (!(error instanceof EventSchemaViolation)) throw error;
        failure = { error, recorded };
        break;
      }
    }

    const connection = em.getConnection();
    const tx = em.getTransactionContext();
    const [checkpoint] = await connection.execute<{ position: string }[]>(
      'select position from projection_checkpoints where name = ? for update',
      [target.checkpoint],
      'all',
      tx,
    );
    if (!checkpoint || checkpoint.position !== formatPosition(expected)) return { kind: 'moved' };

    let position = expected;
    if (decoded.length > 0) {
      await this.writeRows(em, projection, target, decoded.map((d) => d.event));
      const last = decoded[decoded.length - 1]!.recorded;
      position = last.position;
      await connection.execute(
        `update projection_checkpoints set position = ?, events_applied = events_applied + ?, last_event_at = ?,
           updated_at = now() where name = ?`,
        [formatPosition(position), decoded.length, last.recordedAt, target.checkpoint],
        'run',
        tx,
      );
    }
    if (!failure) return { kind: 'applied', position };

    await connection.execute(
      `update projection_checkpoints set status = 'stopped', last_error = ?, failed_event_id = ?, failed_position = ?,
         updated_at = now() where name = ?`,
      [failure.error.message, failure.recorded.id, formatPosition(failure.recorded.position), target.checkpoint],
      'run',
      tx,
    );
    return { kind: 'stopped', position, error: failure.error };
  }

  /** Folds the events over the rows they touch: one read of those rows, one upsert, one delete. */
  private async writeRows<Row extends object>(
    em: EntityManager,
    projection: Projection<Row>,
    target: Target,
    events: readonly DomainEvent[],
  ): Promise<void> {
    const key = projection.key as keyof object & string;
    const keys = [...new Set(events.map((e) => projection.keyOf(e)))];
    const existing = await em.find(projection.entity, { [key]: { $in: keys } } as never, {
      schema: target.schema,
      disableIdentityMap: true,
    });
    const rows = new Map<string, Row | null>(
      existing.map((row) => [String((row as Record<string, unknown>)[key]), wrap(row).toPOJO() as Row]),
    );
    for (const event of events) {
      const rowKey = projection.keyOf(event);
      rows.set(rowKey, projection.evolve(rows.get(rowKey) ?? null, event));
    }
    const upserts = [...rows.values()].filter((row): row is Row => row !== null);
    const deletes = [...rows.entries()].filter(([, row]) => row === null).map(([rowKey]) => rowKey);
    if (upserts.length > 0) await em.upsertMany(projection.entity, upserts, { schema: target.schema });
    if (deletes.length > 0) await em.nativeDelete(projection.entity, { [key]: { $in: deletes } } as never, { schema: target.schema });
  }

  private async ensureCheckpoint(name: string): Promise<ProjectionCheckpointRow> {
    const connection = this.orm.em.getConnection();
    await connection.execute(
      `insert into projection_checkpoints (name, position) values (?, ?) on conflict (name) do nothing`,
      [name, formatPosition(START)],
    );
    const [row] = await connection.execute<ProjectionCheckpointRow[]>('select * from projection_checkpoints where name = ?', [name]);
    return row!;
  }

  private inTransaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.orm.em.fork().transactional((em) => work(em));
  }
}

interface ProjectionCheckpointRow {
  name: string;
  position: string;
  status: ProjectionCheckpoint['status'];
  events_applied: string;
  last_error: string | null;
  failed_event_id: string | null;
  updated_at: Date;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
