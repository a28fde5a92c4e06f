import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { handleCommand, type Handled, type Loaded } from '../../../application/command-handler.js';
import { loadStream, readStreamEvents, streamAggregate, type StreamVersion } from '../../../application/event-stream.js';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import { eventCatalogue } from '../../../domain/events/event-catalogue.js';
import { type IacLock, type IacLockRequest, isLockLive } from '../../../domain/iac/iac-lock.js';
import {
  callerOf,
  parseContext,
  parseFilter,
  parseLockId,
  parseLockRequest,
  parsePage,
  parseRecord,
  parseResourceId,
  parseTtl,
  parseWriteLockId,
} from '../../../domain/iac/iac-input.js';
import { type IacStateFilter, type IacStateRecord, iacStateRecordSchema } from '../../../domain/iac/iac-state.js';
import {
  type IacCallContext,
  IacConcurrencyConflict,
  type IacHistoryEntry,
  type IacPage,
  type IacRenewOptions,
  type IacStateHistory,
  type IacStateStore,
  type IacWriteOptions,
} from '../../../domain/iac/iac-state-store.port.js';
import { type IacCommand, iacDecider, type IacRecordState, recordOf } from '../../../domain/iac/iac.decider.js';
import type { IacEvent } from '../../../domain/iac/iac.events.js';
import { toIacStream } from '../../../domain/streams.js';

export interface EventSourcedIacStateStoreOptions {
  /** The clock lock expiry is judged by. */
  readonly now?: () => Date;
  /** Lock ids when the caller brings none, event ids and correlation ids. */
  readonly newId?: () => string;
  /** Read-decide-append rounds before a write gives up with IacConcurrencyConflict. */
  readonly maxAttempts?: number;
}


/**
 * The default IaC state backend: one `iac-<resourceId>` stream per record. Every write reads the
 * stream, folds it, decides and appends with the revision it read; a concurrent append makes it
 * start over, so of any number of racing lockers exactly one appends LockAcquired and the rest
 * re-read and see LockHeld. `get`, `getLock` and `history` read the stream (always current);
 * `list` and `listLocks` read the `iac_states` and `iac_locks` read models.
 */
export class EventSourcedIacStateStore implements IacStateStore, IacStateHistory {
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: EventStore,
    private readonly orm: MikroORM,
    options: EventSourcedIacStateStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.maxAttempts = options.maxAttempts ?? 10;
  }

  async get(resourceId: string): Promise<IacStateRecord | null> {
    const { state } = await this.load(parseResourceId(resourceId));
    return recordOf(state);
  }

  async save(record: unknown, options: IacWriteOptions, context: IacCallContext): Promise<IacStateRecord> {
    const ctx = parseContext(context);
    const input = parseRecord(record);
    const lockId = parseWriteLockId(options.lockId);
    const { state: after } = await this.execute(input.resource_id, { type: 'SaveState', data: { record: input, lockId, caller: callerOf(ctx) } }, ctx);
    return recordOf(after)!;
  }

  async list(filter?: IacStateFilter, page?: IacPage): Promise<IacStateRecord[]> {
    const { resource_type: resourceType, provider, status } = parseFilter(filter);
    const { limit, after } = parsePage(page);
    const rows = await this.readPage<{ record: unknown }>(
      'select record from iac_states',
      { resource_type: resourceType, provider, status },
      { limit, after },
    );
    // parsed again for one field order with `get` (jsonb reorders keys)
    return rows.map((row) => iacStateRecordSchema.parse(row.record));
  }

  async delete(resourceId: string, options: IacWriteOptions, context: IacCallContext): Promise<void> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const lockId = parseWriteLockId(options.lockId);
    await this.execute(id, { type: 'DeleteState', data: { resourceId: id, lockId, caller: callerOf(ctx) } }, ctx);
  }

  async lock(resourceId: string, request: IacLockRequest, context: IacCallContext): Promise<IacLock> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const { lockId, ...rest } = parseLockRequest(request);
    const command: IacCommand = { type: 'AcquireLock', data: { ...rest, resourceId: id, lockId: lockId ?? this.newId(), caller: callerOf(ctx) } };
    const { state: after } = await this.execute(id, command, ctx);
    return after.lock!;
  }

  async renewLock(resourceId: string, lockId: string, options: IacRenewOptions, context: IacCallContext): Promise<IacLock> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const command: IacCommand = { type: 'RenewLock', data: { resourceId: id, lockId: parseLockId(lockId), ttlSeconds: parseTtl(options.ttlSeconds), caller: callerOf(ctx) } };
    const { state: after } = await this.execute(id, command, ctx);
    return after.lock!;
  }

  async unlock(resourceId: string, lockId: string, context: IacCallContext): Promise<void> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    await this.execute(id, { type: 'ReleaseLock', data: { resourceId: id, lockId: parseLockId(lockId), caller: callerOf(ctx) } }, ctx);
  }

  async forceUnlock(resourceId: string, lockId: string, context: IacCallContext): Promise<IacLock> {
    const ctx = parseContext(context);
    const id = parseResourceId(resourceId);
    const { before } = await this.execute(id, { type: 'ForceReleaseLock', data: { resourceId: id, lockId: parseLockId(lockId) } }, ctx);
    return before.lock!;
  }

  async getLock(resourceId: string): Promise<IacLock | null> {
    const { state } = await this.load(parseResourceId(resourceId));
    return isLockLive(state.lock, this.now()) ? state.lock : null;
  }

  async listLocks(page?: IacPage): Promise<IacLock[]> {
    const rows = await this.readPage<IacLockColumns>('select * from iac_locks', { expires_at: { after: this.now() } }, parsePage(page));
    return rows.map(toLock);
  }

  /**
   * A page of a read model, ordered by resource id by code point (collation "C" on UTF-8), as
   * every backend orders its lists, whatever the database's collation.
   */
  private readPage<Row>(
    select: string,
    where: Readonly<Record<string, string | { readonly after: Date } | undefined>>,
    { limit, after }: { readonly limit?: number; readonly after?: string },
  ): Promise<Row[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of Object.entries(where)) {
      if (value === undefined) continue;
      conditions.push(typeof value === 'string' ? `${column} = ?` : `${column} > ?`);
      params.push(typeof value === 'string' ? value : value.after);
    }
    if (after !== undefined) {
      conditions.push('resource_id collate "C" > ?');
      params.push(after);
    }
    const sql = `${select} ${conditions.length ? `where ${conditions.join(' and ')}` : ''} order by resource_id collate "C"${limit === undefined ? '' : ' limit ?'}`;
    return this.orm.em.getConnection().execute<Row[]>(sql, limit === undefined ? params : [...params, limit], 'all');
  }

  async history(resourceId: string): Promise<IacHistoryEntry[]> {
    const entries: IacHistoryEntry[] = [];
    for (const recorded of await readStreamEvents(this.store, toIacStream(parseResourceId(resourceId)))) {
      const event = eventCatalogue.decode(recorded);
      entries.push({
        revision: Number(recorded.revision),
        type: event.type,
        data: event.data,
        actor: event.metadata.actor,
        correlationId: event.metadata.correlationId,
        recordedAt: recorded.recordedAt,
      });
    }
    return entries;
  }

  /** Through the one command handler: read, decide, append with the revision read, again on a concurrent append. */
  private execute(resourceId: string, command: IacCommand, ctx: IacCallContext): Promise<Handled<IacRecordState, IacEvent, StreamVersion>> {
    const metadata = { correlationId: ctx.correlationId ?? this.newId(), causationId: ctx.causationId ?? null, actor: ctx.actor, ...(ctx.actorId ? { actorId: ctx.actorId } : {}) };
    return handleCommand(iacDecider, streamAggregate(this.store, toIacStream(resourceId), iacDecider, metadata, { newId: this.newId }), command, {
      now: this.now,
      maxAttempts: this.maxAttempts,
      onExhausted: (attempts) => new IacConcurrencyConflict(resourceId, attempts),
    });
  }

  private load(resourceId: string): Promise<Loaded<IacRecordState, StreamVersion>> {
    return loadStream(this.store, toIacStream(resourceId), iacDecider);
  }
}

interface IacLockColumns {
  resource_id: string;
  lock_id: string;
  owner: string;
  operation: string;
  info: string;
  who: string;
  who_id: string | null;
  acquired_at: Date | string;
  expires_at: Date | string;
  ttl_seconds: number;
}

function toLock(row: IacLockColumns): IacLock {
  return {
    lockId: row.lock_id,
    resourceId: row.resource_id,
    owner: row.owner,
    operation: row.operation,
    info: row.info,
    who: row.who,
    ...(row.who_id === null ? {} : { whoId: row.who_id }),
    acquiredAt: new Date(row.acquired_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    ttlSeconds: row.ttl_seconds,
  };
}
