import pg from 'pg';
import { DuplicateEventId, StreamNotFound, WrongExpectedRevision } from '../../../domain/event-store/event-store.errors.js';
import type {
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeToAllOptions,
  Subscription,
  SubscriptionCheckpoint,
} from '../../../domain/event-store/event-store.port.js';
import { forEachConcurrently } from '../../../application/concurrency.js';
import { checkMaxCount } from '../../../domain/event-store/max-count.js';
import { comparePositions, type Position, START } from '../../../domain/event-store/position.js';
import { eventMatcher, LogTail, type Page } from './postgres.log-tail.js';
import { PostgresNotifier } from './postgres.notifier.js';
import {
  EVENT_STORE_CHANNEL,
  EXPECTED_ANY,
  EXPECTED_NO_STREAM,
  EXPECTED_STREAM_EXISTS,
  WRONG_EXPECTED_REVISION_SQLSTATE,
} from './postgres.event-store.schema.js';

export interface PostgresEventStoreOptions {
  /** Events read per round trip by readAll, readStream and subscriptions. */
  readonly batchSize?: number;
  /** How long an idle subscription waits for a notification before it looks again. */
  readonly pollIntervalMs?: number;
  /**
   * Single-stream appends under way at once; more wait, and go together as one batch (one
   * statement, one commit) when one of these ends. Default APPENDS_IN_FLIGHT.
   */
  readonly appendsInFlight?: number;
}

interface EventRow {
  transaction_id: string;
  global_position: string;
  stream: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

/**
 * Streams per append_events_batch call: each holds every one of its streams' locks at once, from a
 * lock table sized for tens per transaction, not thousands.
 */
const STREAMS_PER_TRANSACTION = 200;

/** appendToStreams' transactions under way at once (for distinct streams): one's round trip overlaps the next one's encoding. */
const TRANSACTIONS_IN_FLIGHT = 2;

/**
 * appendToStream's statements under way at once, by default (PostgresEventStoreOptions.appendsInFlight).
 * One: under load every other call waits for it, and those that waited go as one batch. For
 * bench:sagas' 14,000 appends that made 7,046 statements and 2.6 s of database time; two in flight
 * made 10,651 and 3.9 s.
 */
const APPENDS_IN_FLIGHT = 1;

/** An append with its events as append_events takes them: JSON made in its caller's call, so data that cannot be serialised fails that caller alone. */
interface EncodedAppend {
  readonly stream: string;
  readonly expectedRevision: ExpectedRevision;
  /** The expected revision as the functions take it (decimal; the sentinels for no_stream, any, stream_exists). */
  readonly expected: string;
  readonly events: readonly EventToAppend[];
  readonly data: readonly string[];
  readonly metadata: readonly string[];
}

/** An appendToStream call waiting for a statement. */
interface WaitingAppend {
  readonly append: EncodedAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * An event row as the adapter reads it, from `events e`. The transaction id comes as text (xid8 has
 * no JavaScript type), under its own name: an ORDER BY transaction_id would otherwise sort by the
 * text — past the index, and '100000' before '99999'. Orders name e.transaction_id.
 */
const COLUMNS = 'e.transaction_id::text as transaction_id, e.global_position, e.stream, e.revision, e.event_id, e.type, e.data, e.metadata, e.recorded_at';

/** Events after the position ($1, $2) that every reader can see: below the transaction horizon. */
const AFTER_BELOW_HORIZON = '(e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) and e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())';

/**
 * The built-in event store (DESIGN.md, "PostgreSQL adapter"). Readers of the global log see only
 * transactions below the horizon `pg_snapshot_xmin(pg_current_snapshot())`, in
 * (transaction_id, global_position) order: a transaction that took its sequence numbers early and
 * commits late is below every later reader's horizon only once it has ended, so no event is skipped.
 */
export class PostgresEventStore implements EventStore {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly notifier: PostgresNotifier;
  private readonly tail: LogTail;
  private readonly appendsInFlight: number;
  /** appendToStream's statements under way, and the calls waiting for one. */
  private appending = 0;
  private readonly waiting: WaitingAppend[] = [];

  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
    options: PostgresEventStoreOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.appendsInFlight = options.appendsInFlight ?? APPENDS_IN_FLIGHT;
    this.notifier = new PostgresNotifier(connectionString, EVENT_STORE_CHANNEL, pool);
    this.tail = new LogTail((after, limit) => this.readWindow(after, limit), this.batchSize, TAIL_WINDOWS * this.batchSize, TAIL_READ_GAP_MS);
  }

  /**
   * One statement, one transaction, while fewer than `appendsInFlight` are under way; otherwise the
   * call waits, and the calls that waited go together, in the order they came, as one
   * append_events_batch when a statement ends (group commit: under load, one commit for several
   * appends). Each call is answered as if it had gone alone: a wrong expected revision fails that
   * call only, and a batch the database refuses as a whole (an event id standing elsewhere) is sent
   * again one append at a time, so that only the append at fault fails.
   */
  async appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    { expectedRevision }: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const append = encodeAppend({ stream, events, expectedRevision });
    if (this.appending >= this.appendsInFlight && events.length > 0) {
      return new Promise((resolve, reject) => this.waiting.push({ append, resolve, reject }));
    }
    this.appending++;
    try {
      return await this.appendAlone(append);
    } finally {
      this.appending--;
      this.sendWaiting();
    }
  }

  /** Sends what waits, STREAMS_PER_TRANSACTION calls to a statement, while statements are free. */
  private sendWaiting(): void {
    while (this.waiting.length > 0 && this.appending < this.appendsInFlight) {
      const group = this.waiting.splice(0, STREAMS_PER_TRANSACTION);
      this.appending++;
      void this.sendTogether(group).finally(() => {
        this.appending--;
        this.sendWaiting();
      });
    }
  }

  private async sendTogether(group: readonly WaitingAppend[]): Promise<void> {
    if (group.length > 1) {
      try {
        const results = await this.batchStatement(group.map((g) => g.append));
        group.forEach((g, i) => (results[i] instanceof WrongExpectedRevision ? g.reject(results[i]) : g.resolve(results[i] as AppendResult)));
        return;
      } catch (error) {
        // refused as a whole, and rolled back: sent again below, each alone, so that only the append at fault fails
        if (!(error instanceof pg.DatabaseError)) {
          for (const g of group) g.reject(error);
          return;
        }
      }
    }
    // in order: a stream named twice takes its appends as they came
    for (const g of group) await this.appendAlone(g.append).then(g.resolve, g.reject);
  }

  private async appendAlone({ stream, expectedRevision, expected, events, data, metadata }: EncodedAppend): Promise<AppendResult> {
    try {
      const { rows } = await this.pool.query<{ next_revision: string; transaction_id: string; global_position: string }>({
        // named: prepared once per connection, then only bound and executed
        name: 'cloudledger_append_events',
        text: 'select next_revision, transaction_id::text, global_position from append_events($1, $2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])',
        values: [stream, expected, events.map((e) => e.id), events.map((e) => e.type), data, metadata],
      });
      const row = rows[0]!;
      if (events.length > 0) this.notifier.announce();
      return {
        nextExpectedRevision: BigInt(row.next_revision),
        position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
      };
    } catch (error) {
      throw translateAppendError(error, stream, expectedRevision, events);
    }
  }

  /**
   * STREAMS_PER_TRANSACTION streams to a transaction and round trip. When no stream is named twice,
   * TRANSACTIONS_IN_FLIGHT of them run at once (they lock their streams in one order, so never in a
   * cycle); otherwise one after another, so a stream takes its appends in order.
   */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    const encoded = appends.map(encodeAppend);
    const batches: (readonly EncodedAppend[])[] = [];
    for (let from = 0; from < encoded.length; from += STREAMS_PER_TRANSACTION) batches.push(encoded.slice(from, from + STREAMS_PER_TRANSACTION));
    const distinct = new Set(appends.map((a) => a.stream)).size === appends.length;
    const results: (AppendResult | WrongExpectedRevision)[][] = [];
    await forEachConcurrently(
      batches.map((batch, i) => ({ batch, i })),
      async ({ batch, i }) => {
        try {
          results[i] = await this.batchStatement(batch);
        } catch (error) {
          // an id that stands elsewhere already fails the whole call: name the append that collided
          // (the last one with the id, should two appends of this call carry it)
          const id = error instanceof pg.DatabaseError ? duplicateEventIdOf(error) : undefined;
          const owner = batch.findLast((a) => a.events.some((e) => e.id === id)) ?? batch[0]!;
          throw translateAppendError(error, owner.stream, owner.expectedRevision, owner.events);
        }
      },
      distinct ? TRANSACTIONS_IN_FLIGHT : 1,
    );
    return results.flat();
  }

  /** One append_events_batch: every append's result, or its wrong expected revision; throws what the database refused the whole call for, untranslated. */
  private async batchStatement(appends: readonly EncodedAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    const { rows } = await this.pool.query<{ next_revision: string | null; transaction_id: string | null; global_position: string | null; actual_revision: string | null }>({
      name: 'cloudledger_append_events_batch',
      text: `select next_revision, transaction_id::text, global_position, actual_revision
               from append_events_batch($1::text[], $2::bigint[], $3::int[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[])`,
      values: [
        appends.map((a) => a.stream),
        appends.map((a) => a.expected),
        appends.map((a) => a.events.length),
        appends.flatMap((a) => a.events.map((e) => e.id)),
        appends.flatMap((a) => a.events.map((e) => e.type)),
        appends.flatMap((a) => a.data),
        appends.flatMap((a) => a.metadata),
      ],
    });
    if (appends.some((a) => a.events.length > 0)) this.notifier.announce();
    if (rows.length !== appends.length) throw new Error(`append_events_batch answered ${rows.length} rows for ${appends.length} appends`);
    return appends.map(({ stream, expectedRevision }, i) => {
      const row = rows[i]!;
      if (row.next_revision === null) return wrongRevision(stream, expectedRevision, row.actual_revision!);
      return { nextExpectedRevision: BigInt(row.next_revision), position: { commit: BigInt(row.transaction_id!), prepare: BigInt(row.global_position!) } };
    });
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    let next: bigint | undefined = from === 'start' ? 0n : from === 'end' ? undefined : from;
    let remaining = checkMaxCount(options.maxCount);
    let first = true;
    while (remaining > 0) {
      const limit = Math.min(this.batchSize, remaining);
      const values = [stream, next === undefined ? null : next.toString(), limit];
      const { rows } = await this.pool.query<EventRow>(
        backwards
          ? { text: `select ${COLUMNS} from events e where e.stream = $1 and ($2::bigint is null or e.revision <= $2) order by e.revision desc limit $3`, values }
          : // named, as every saga claim reads its stream this way: prepared once per connection, and not planned again each time
            { name: 'cloudledger_read_stream', text: `select ${COLUMNS} from events e where e.stream = $1 and e.revision >= $2 order by e.revision limit $3`, values },
      );
      if (first && rows.length === 0) {
        // a stream exists once it holds an event: nothing from revision 0 on means there is none,
        // without asking; read from elsewhere (or backwards), it may be a read past its end
        const fromStart = !backwards && next === 0n;
        if (fromStart || !(await this.streamExists(stream))) throw new StreamNotFound(stream);
      }
      first = false;
      for (const row of rows) yield toRecorded(row);
      if (rows.length < limit) return;
      remaining -= rows.length;
      const last = BigInt(rows[rows.length - 1]!.revision);
      next = backwards ? last - 1n : last + 1n;
      if (next < 0n) return;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let position = options.fromPosition ?? START;
    let remaining = checkMaxCount(options.maxCount);
    while (remaining > 0) {
      const page = await this.readPage(position, options.filter, this.batchSize);
      for (const event of page.events) {
        yield event;
        if (--remaining === 0) return;
      }
      if (!page.full) return;
      position = page.scannedTo!;
    }
  }

  async headPosition(filter?: EventFilter): Promise<Position | null> {
    const { conditions, params } = filterConditions(filter, []);
    const { rows } = await this.pool.query<Pick<EventRow, 'transaction_id' | 'global_position'>>(
      `select e.transaction_id::text as transaction_id, e.global_position from events e ${conditions.length ? `where ${conditions.join(' and ')}` : ''}
        order by e.transaction_id desc, e.global_position desc limit 1`,
      params,
    );
    return rows[0] ? positionOf(rows[0]) : null;
  }

  /** Catches up with reads of its own, then, live, is served from the log tail every live subscription shares. */
  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const matches = eventMatcher(options.filter);
    return new PostgresSubscription(
      async (position, live) =>
        (live ? await this.tail.page(position, matches, this.batchSize) : undefined) ?? this.readPage(position, options.filter, this.batchSize),
      this.notifier,
      options.fromPosition ?? START,
      this.pollIntervalMs,
    );
  }

  async close(): Promise<void> {
    await this.notifier.close();
  }

  /**
   * One window of up to `limit` events after `position` below the horizon. Filtering happens
   * inside the window, so a sparse filter still moves the scan forward: `scannedTo` is the window's
   * last position (undefined for an empty window), `full` says whether more may follow at once.
   */
  private async readPage(
    position: Position,
    filter: EventFilter | undefined,
    limit: number,
  ): Promise<Page> {
    const { conditions, params } = filterConditions(filter, [clampXid(position.commit), position.prepare.toString(), limit]);
    if (conditions.length === 0) {
      // every event matches: the window itself, without ranking it
      const { events, full } = await this.readWindow(position, limit);
      return { events, scannedTo: events.at(-1)?.position, full };
    }
    const matches = conditions.join(' and ');
    const { rows } = await this.pool.query<EventRow & { matches: boolean; window_size: string }>(
      `select ranked.transaction_id::text as transaction_id, ranked.global_position, ranked.stream, ranked.revision, ranked.event_id, ranked.type,
              ranked.data, ranked.metadata, ranked.recorded_at, ranked.matches, ranked.window_size
         from (
           select w.*, row_number() over (order by w.transaction_id, w.global_position) as window_rank, count(*) over () as window_size
             from (
               select e.*, ${matches} as matches
                 from events e
                where ${AFTER_BELOW_HORIZON}
                order by e.transaction_id, e.global_position
                limit $3
             ) w
         ) ranked
        where ranked.matches or ranked.window_rank = ranked.window_size
        order by ranked.transaction_id, ranked.global_position`,
      params,
    );
    const last = rows[rows.length - 1];
    return {
      events: rows.filter((r) => r.matches).map(toRecorded),
      scannedTo: last ? positionOf(last) : undefined,
      full: last !== undefined && Number(last.window_size) === limit,
    };
  }

  /** Every event after `position` below the horizon, at most `limit`: what the log tail reads. */
  private async readWindow(position: Position, limit: number): Promise<{ events: RecordedEvent[]; full: boolean }> {
    const { rows } = await this.pool.query<EventRow>({
      name: 'cloudledger_read_window',
      text: `select ${COLUMNS} from events e
              where ${AFTER_BELOW_HORIZON}
              order by e.transaction_id, e.global_position
              limit $3`,
      values: [clampXid(position.commit), position.prepare.toString(), limit],
    });
    return { events: rows.map(toRecorded), full: rows.length === limit };
  }

  private async streamExists(stream: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('select 1 from streams where stream = $1', [stream]);
    return (rowCount ?? 0) > 0;
  }
}

/** How many windows of the log the shared tail keeps: room for a subscriber a few batches behind. */
const TAIL_WINDOWS = 4;
/** The shared tail reads at most this often while it is at the log's end (as NOTIFY_LINGER_MS delays other processes' subscribers). */
const TAIL_READ_GAP_MS = 10;

/**
 * Catch-up, then live: reads windows until one is not full, then waits for a notification. Once a
 * window was not full the subscription is live and asks `read` to serve it from the shared tail.
 * With checkpoints, a window that ends past the last event delivered is reported as a checkpoint,
 * so a subscriber whose events are rare moves its own position on.
 */
class PostgresSubscription implements Subscription {
  private closed = false;

  constructor(
    private readonly read: (after: Position, live: boolean) => Promise<Page>,
    private readonly notifier: PostgresNotifier,
    private position: Position,
    private readonly pollIntervalMs: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    for await (const item of this.items(false)) if (!('checkpoint' in item)) yield item;
  }

  withCheckpoints(): AsyncIterable<RecordedEvent | SubscriptionCheckpoint> {
    return this.items(true);
  }

  private async *items(checkpoints: boolean): AsyncGenerator<RecordedEvent | SubscriptionCheckpoint> {
    let live = false;
    while (!this.closed) {
      const page = await this.read(this.position, live);
      for (const event of page.events) {
        if (this.closed) return;
        yield event;
        this.position = event.position;
      }
      if (page.scannedTo && comparePositions(page.scannedTo, this.position) > 0) {
        this.position = page.scannedTo;
        if (checkpoints && !this.closed) yield { checkpoint: page.scannedTo };
      }
      if (!page.full) {
        live = true;
        await this.notifier.wait(this.pollIntervalMs);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function encodeAppend({ stream, events, expectedRevision }: StreamAppend): EncodedAppend {
  return {
    stream,
    expectedRevision,
    expected: encodeExpected(expectedRevision).toString(),
    events,
    data: events.map((e) => JSON.stringify(e.data)),
    metadata: events.map((e) => JSON.stringify(e.metadata)),
  };
}

function encodeExpected(expected: ExpectedRevision): bigint {
  switch (expected) {
    case 'no_stream':
      return EXPECTED_NO_STREAM;
    case 'any':
      return EXPECTED_ANY;
    case 'stream_exists':
      return EXPECTED_STREAM_EXISTS;
    default:
      if (expected < 0n) throw new RangeError(`expected revision must be >= 0, got ${expected}`);
      return expected;
  }
}

function translateAppendError(
  error: unknown,
  stream: string,
  expected: ExpectedRevision,
  events: readonly EventToAppend[],
): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  if (error.code === WRONG_EXPECTED_REVISION_SQLSTATE) return wrongRevision(stream, expected, error.detail ?? '-1');
  if (error.code === '23505' && error.constraint === 'events_event_id_key') {
    const id = duplicateEventIdOf(error) ?? events[0]?.id ?? 'unknown';
    return new DuplicateEventId(stream, id);
  }
  return error;
}

/** The stream's actual revision as append_events reports it (decimal; -1: no stream). */
function wrongRevision(stream: string, expected: ExpectedRevision, actual: string): WrongExpectedRevision {
  const revision = BigInt(actual);
  return new WrongExpectedRevision(stream, expected, revision < 0n ? 'no_stream' : revision);
}

function duplicateEventIdOf(error: pg.DatabaseError): string | undefined {
  return /\(event_id\)=\(([^)]+)\)/.exec(error.detail ?? '')?.[1];
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    stream: row.stream,
    revision: BigInt(row.revision),
    position: positionOf(row),
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

function positionOf(row: Pick<EventRow, 'transaction_id' | 'global_position'>): Position {
  return { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) };
}

/** xid8 has no negative values; START's -1 means "before everything", which 0 also is. */
function clampXid(commit: bigint): string {
  return (commit < 0n ? 0n : commit).toString();
}

/** A filter as SQL conditions, numbering its parameters after those given. */
function filterConditions(filter: EventFilter | undefined, given: unknown[]): { conditions: string[]; params: unknown[] } {
  const params = [...given];
  const conditions: string[] = [];
  if (filter?.streamPrefixes?.length) {
    params.push(filter.streamPrefixes.map((p) => `${escapeLike(p)}%`));
    conditions.push(`stream like any($${params.length}::text[])`);
  }
  if (filter?.eventTypes?.length) {
    params.push(filter.eventTypes);
    conditions.push(`type = any($${params.length}::text[])`);
  }
  return { conditions, params };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
