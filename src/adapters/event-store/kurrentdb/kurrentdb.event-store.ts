import {
  ANY,
  BACKWARDS,
  END as FROM_END,
  FORWARDS,
  KurrentDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START as FROM_START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendStreamState,
  type CurrentStreamState,
  type EventData,
  type Filter,
  type JSONType,
  type ReadRevision,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import { forEachConcurrently } from '../../../application/concurrency.js';
import { AppendTooLarge, DuplicateEventId, StreamDeleted, StreamNotFound, WrongExpectedRevision } from '../../../domain/event-store/event-store.errors.js';
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
import { checkMaxCount } from '../../../domain/event-store/max-count.js';
import { type Position, START, comparePositions } from '../../../domain/event-store/position.js';

type ClientEvent = ResolvedEvent | AllStreamResolvedEvent;

/** A server checkpoint as it travels through the client's stream, among the events. */
const CHECKPOINT = Symbol('checkpoint');
interface CheckpointMarker {
  readonly [CHECKPOINT]: Position;
}

/** Events per server read of $all: a bounded read the server finishes whatever the caller does. */
const READ_PAGE = 500;

/** The KurrentDB event store (one contract suite with the PostgreSQL adapter). */
export class KurrentDbEventStore implements EventStore {
  private readonly subscriptions = new Set<KurrentDbSubscription>();
  private closing: Promise<void> | undefined;

  private readonly client: KurrentDBClient;
  /** The client whose native bridge serves reads; replaced when its bridge gave up (see renewReader). */
  private reader: KurrentDBClient;

  /** `connect` makes a client; the store calls it again for reads after the server was unreachable. */
  constructor(private readonly connect: () => KurrentDBClient) {
    this.client = connect();
    this.reader = this.client;
  }

  static fromConnectionString(url: string): KurrentDbEventStore {
    return new KurrentDbEventStore(() => KurrentDBClient.connectionString(url));
  }

  async appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    { expectedRevision }: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const result = await this.client
      .appendToStream(stream, events.map(toEventData), { streamState: toStreamState(expectedRevision) })
      .catch((error: unknown) => {
        throw translateAppendError(error, stream, expectedRevision, events);
      });
    // Reached only when the client was built with throwOnAppendFailure=false; its revision is then
    // unreliable (batch appends report a boolean as a number), so ask the stream itself.
    if (!result.success) throw new WrongExpectedRevision(stream, expectedRevision, await this.currentRevision(stream));
    if (events.length === 0) {
      // The server checked the expected revision and wrote nothing; it says "no stream" for a missing
      // one, which the client turns into revision 0. The stream itself tells.
      const current = await this.currentRevision(stream);
      return { nextExpectedRevision: current === 'no_stream' ? -1n : current, position: result.position ?? START };
    }
    return {
      nextExpectedRevision: result.nextExpectedRevision,
      position: result.position ?? (await this.positionAt(stream, result.nextExpectedRevision)),
    };
  }

  /**
   * KurrentDB's multi-stream append is all or nothing, so each stream is an append of its own: a
   * few streams at a time, a stream's appends in order. On a failure no new one starts, and the call
   * rejects once those under way have ended.
   */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    const results: (AppendResult | WrongExpectedRevision)[] = [];
    const byStream = new Map<string, number[]>();
    appends.forEach(({ stream }, i) => byStream.set(stream, [...(byStream.get(stream) ?? []), i]));
    await forEachConcurrently([...byStream.values()], async (indexes) => {
      for (const i of indexes) {
        const { stream, events, expectedRevision } = appends[i]!;
        results[i] = await this.appendToStream(stream, events, { expectedRevision }).catch((error: unknown) => {
          if (error instanceof WrongExpectedRevision) return error;
          throw error;
        });
      }
    });
    return results;
  }

  /**
   * Reads go through the client's native bridge on a connection of their own, appends through
   * grpc-js: both ask for the leader (requiresLeader), so that a read follows the writes before it
   * whatever node preference the connection string names.
   */
  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    // the client hands maxCount to BigInt() and its bridge to a u64: Infinity, a fraction or a negative would fail there as an UnknownError
    const maxCount = checkMaxCount(options.maxCount);
    if (maxCount === 0) return;
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const reader = this.reader;
    const events = reader.readStream(stream, {
      fromRevision: toReadRevision(from),
      direction: backwards ? BACKWARDS : FORWARDS,
      requiresLeader: true,
      ...(maxCount === Number.POSITIVE_INFINITY ? {} : { maxCount }),
    });
    try {
      for await (const resolved of events) {
        const event = toRecordedEvent(resolved);
        if (event) yield event;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) throw new StreamNotFound(stream);
      if (error instanceof StreamDeletedError) throw new StreamDeleted(stream);
      if (error instanceof UnavailableError) this.renewReader(reader);
      throw error;
    }
  }

  /**
   * Pages of at most READ_PAGE events, each a bounded server read (with the server-side filter)
   * drained before any of it is yielded: the client's reads go through its native bridge, whose
   * iterator has no return(), so a read the caller stops early would otherwise stay open on the
   * server until garbage collection, and such reads pile up against HTTP/2's stream limit. The
   * server reads $all from a position inclusively, hence one more event per page and the explicit
   * skip of positions at or before `after`; matches() still decides, since the server applies only
   * one part of a filter.
   */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let after = options.fromPosition ?? START;
    let remaining = checkMaxCount(options.maxCount);
    if (remaining <= 0) return;
    const filter = toServerFilter(options.filter);
    for (;;) {
      const pageSize = Math.min(READ_PAGE, remaining) + 1;
      const page: RecordedEvent[] = [];
      let read = 0;
      const reader = this.reader;
      try {
        for await (const resolved of reader.readAll({ fromPosition: toReadPosition(after), direction: FORWARDS, maxCount: pageSize, filter, requiresLeader: true })) {
          read++;
          const event = toRecordedEvent(resolved);
          if (event) page.push(event);
        }
      } catch (error) {
        if (error instanceof UnavailableError) this.renewReader(reader);
        throw error;
      }
      for (const event of page) {
        if (comparePositions(event.position, after) <= 0 || !matches(event, options.filter)) continue;
        yield event;
        if (--remaining === 0) return;
      }
      if (read < pageSize || page.length === 0) return;
      after = page[page.length - 1]!.position;
    }
  }

  /**
   * KurrentDB has no horizon: the head is the first event a backwards read of $all meets that
   * matches. Read in bounded pages with the server-side filter, each drained, as readAll does (a
   * backwards read from a position excludes it).
   */
  async headPosition(filter?: EventFilter): Promise<Position | null> {
    const serverFilter = toServerFilter(filter);
    let from: ReturnType<typeof toReadPosition> | typeof FROM_END = FROM_END;
    for (;;) {
      const page: RecordedEvent[] = [];
      let read = 0;
      const reader = this.reader;
      try {
        for await (const resolved of reader.readAll({ fromPosition: from, direction: BACKWARDS, maxCount: READ_PAGE, filter: serverFilter, requiresLeader: true })) {
          read++;
          const event = toRecordedEvent(resolved);
          if (event) page.push(event);
        }
      } catch (error) {
        if (error instanceof UnavailableError) this.renewReader(reader);
        throw error;
      }
      const head = page.find((event) => matches(event, filter));
      if (head) return head.position;
      if (read < READ_PAGE || page.length === 0) return null;
      from = toReadPosition(page[page.length - 1]!.position);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const after = options.fromPosition ?? START;
    const source = this.client.subscribeToAll({
      fromPosition: toReadPosition(after),
      // the client hands the server's checkpoints to this callback while it transforms them, in
      // order with the events: pushed into the same stream, they reach the iterator in their place
      filter: toServerFilter(options.filter, (stream, position) => void stream.push({ [CHECKPOINT]: { commit: position.commit, prepare: position.prepare } })),
    });
    const subscription = new KurrentDbSubscription(
      source,
      (event) => comparePositions(event.position, after) > 0 && matches(event, options.filter),
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Ends every subscription (a consumer waiting on one returns), then the client's calls and its
   * gRPC channel, which dispose() leaves open. The native bridge that serves reads has no close: its
   * connection goes when the client is garbage collected.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      await this.client.dispose();
      const channel = await (this.client as unknown as { getChannel(): Promise<{ close(): void }> }).getChannel();
      channel.close();
    })();
    return this.closing;
  }

  /**
   * The native bridge stops for good when it cannot connect (its connection task ends after its
   * discovery attempts, and every later read is refused as Unavailable), so a server that was down
   * once would never be read again. The read that failed still fails, for its caller to retry; the
   * next read gets a new client, and with it a new bridge. Appends and subscriptions stay on the
   * first client, whose grpc-js channel reconnects by itself.
   */
  private renewReader(failed: KurrentDBClient): void {
    if (this.reader === failed && !this.closing) this.reader = this.connect();
  }

  /** An idempotent re-append answers without a position: the original one is its last event's. */
  private async positionAt(stream: string, revision: bigint): Promise<Position> {
    for await (const event of this.readStream(stream, { fromRevision: revision, maxCount: 1 })) return event.position;
    throw new Error(`KurrentDB returned no position for the append to ${stream}, and it has no event at ${revision}`);
  }

  private async currentRevision(stream: string): Promise<bigint | 'no_stream'> {
    try {
      for await (const event of this.readStream(stream, { direction: 'backwards', maxCount: 1 })) return event.revision;
    } catch (error) {
      if (!(error instanceof StreamNotFound)) throw error;
    }
    return 'no_stream';
  }
}

/**
 * The client's Readable ends neither on unsubscribe nor on destroy without an error, so close()
 * also wakes a consumer parked on the next event instead of leaving it waiting forever.
 */
class KurrentDbSubscription implements Subscription {
  private readonly closed = Promise.withResolvers<'closed'>();
  private closing: Promise<void> | undefined;
  /** Kept from the start: an error emitted before anyone iterates would otherwise crash the process. */
  private failure: unknown;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly accept: (event: RecordedEvent) => boolean,
    private readonly onClose: () => void,
  ) {
    source.on('error', (error) => (this.failure ??= error));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    for await (const item of this.withCheckpoints()) if (!('checkpoint' in item)) yield item;
  }

  async *withCheckpoints(): AsyncIterable<RecordedEvent | SubscriptionCheckpoint> {
    const items = this.source[Symbol.asyncIterator]() as AsyncIterator<ClientEvent | CheckpointMarker>;
    try {
      while (!this.closing) {
        if (this.failure) throw this.failure;
        const pending = items.next();
        const next = await Promise.race([pending, this.closed.promise]);
        if (next === 'closed') {
          pending.catch(() => undefined); // rejects as a premature close once the source is destroyed
          return;
        }
        if (next.done) return;
        if (CHECKPOINT in next.value) {
          yield { checkpoint: next.value[CHECKPOINT] };
          continue;
        }
        const event = toRecordedEvent(next.value);
        if (event && this.accept(event)) yield event;
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed.resolve('closed');
      this.onClose();
      // A subscription whose call never started has nothing to cancel; closing it must not fail.
      await this.source.unsubscribe().catch(() => undefined);
      this.source.destroy();
    })();
    return this.closing;
  }
}

/**
 * Serialised here once first: the client serialises inside a promise executor, where a value JSON
 * refuses (a BigInt, a cycle) throws without settling the append, which then never ends.
 */
function toEventData({ id, type, data, metadata }: EventToAppend): EventData {
  JSON.stringify(data);
  JSON.stringify(metadata);
  return jsonEvent({ id, type, data: data as JSONType, metadata });
}

/**
 * The client's errors as the port's. KurrentDB checks event ids only to recognise a retry: with
 * 'any' or 'stream_exists' against an existing stream, a wrong expected version can only mean that
 * the first ids stood in the stream and a later one did not (IndexWriter.CheckCommit's
 * CorruptedIdempotency), which the port calls a DuplicateEventId, as the PostgreSQL store does.
 */
function translateAppendError(error: unknown, stream: string, expected: ExpectedRevision, events: readonly EventToAppend[]): unknown {
  if (error instanceof WrongExpectedVersionError) {
    const actual = toActualRevision(error.actualState);
    const idempotencyOnly = expected === 'any' || (expected === 'stream_exists' && actual !== 'no_stream');
    if (idempotencyOnly && events.length > 0) return new DuplicateEventId(stream, events[0]!.id);
    return new WrongExpectedRevision(stream, expected, actual);
  }
  if (error instanceof StreamDeletedError) return new StreamDeleted(stream);
  if (error instanceof MaxAppendSizeExceededError) return new AppendTooLarge(stream, error.maxAppendSize);
  return error;
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

/** The client says NO_STREAM; a negative revision (a deleted stream) is no stream to our callers either. */
function toActualRevision(actual: CurrentStreamState): bigint | 'no_stream' {
  return typeof actual === 'bigint' && actual >= 0n ? actual : 'no_stream';
}

function toReadRevision(from: bigint | 'start' | 'end'): ReadRevision {
  if (from === 'start') return FROM_START;
  if (from === 'end') return FROM_END;
  return from;
}

function toReadPosition(after: Position): typeof FROM_START | Position {
  return comparePositions(after, START) === 0 ? FROM_START : { commit: after.commit, prepare: after.prepare };
}

/** Narrows the server's work; matches() still decides, since the server can apply only one part. */
function toServerFilter(filter: EventFilter | undefined, checkpointReached?: Filter['checkpointReached']): Filter {
  const checkpoints = checkpointReached ? { checkpointReached } : {};
  if (filter?.streamPrefixes?.length) return streamNameFilter({ prefixes: [...filter.streamPrefixes], ...checkpoints });
  if (filter?.eventTypes?.length) {
    return eventTypeFilter({ regex: `^(${filter.eventTypes.map(escapeRegex).join('|')})$`, ...checkpoints });
  }
  return excludeSystemEvents(checkpoints);
}

/** Empty lists constrain nothing, as in the PostgreSQL adapter. */
function matches(event: RecordedEvent, filter: EventFilter | undefined): boolean {
  if (event.type.startsWith('$') || event.stream.startsWith('$')) return false;
  const prefixes = filter?.streamPrefixes;
  if (prefixes?.length && !prefixes.some((prefix) => event.stream.startsWith(prefix))) return false;
  const types = filter?.eventTypes;
  return !types?.length || types.includes(event.type);
}

/** Unresolved links carry no event; our streams hold none, so they are skipped. */
function toRecordedEvent({ event }: ClientEvent): RecordedEvent | undefined {
  if (!event) return undefined;
  if (!event.position) {
    throw new Error(`KurrentDB sent event ${event.id} of ${event.streamId} without a position (server older than 22.6?)`);
  }
  return {
    stream: event.streamId,
    revision: event.revision,
    position: { commit: event.position.commit, prepare: event.position.prepare },
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: isRecord(event.metadata) ? event.metadata : {},
    recordedAt: event.created,
  };
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
