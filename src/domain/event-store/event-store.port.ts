import type { EventMetadata } from '../events/event-envelope.js';
import type { WrongExpectedRevision } from './event-store.errors.js';
import type { Position } from './position.js';

/**
 * What the writer believes about the stream before its append.
 * - 'no_stream': the stream must not exist yet;
 * - 'stream_exists': it must exist, at any revision;
 * - 'any': no check (KurrentDB's idempotence is best-effort here: prefer a revision);
 * - a bigint: the stream's current revision (0-based: a stream of one event is at 0n).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface EventToAppend {
  /** A uuid. Deterministic wherever the append can be retried, so a retry is a no-op. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent {
  readonly stream: string;
  /** 0-based place in its stream. */
  readonly revision: bigint;
  readonly position: Position;
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  /** As stored: validated when decoded through the event registry, not here. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expectedRevision. */
  readonly nextExpectedRevision: bigint;
  /** Position of the last event appended. */
  readonly position: Position;
}

/** One stream's part of an appendToStreams call. */
export interface StreamAppend {
  readonly stream: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** Inclusive. Default: the start when reading forwards, the end when reading backwards. */
  readonly fromRevision?: bigint | 'start' | 'end';
  readonly direction?: 'forwards' | 'backwards';
  /** A whole number of at least 0, or Infinity (the default) for no limit; anything else is a RangeError. */
  readonly maxCount?: number;
}

/** Both parts narrow the selection: an event passes when it matches every part given. */
export interface EventFilter {
  readonly streamPrefixes?: readonly string[];
  /** Exact event type names. */
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Default: from the first event. */
  readonly fromPosition?: Position;
  /** As for readStream: a whole number of at least 0, or Infinity (the default). */
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface SubscribeToAllOptions {
  /** Exclusive: the caller's checkpoint, the position of the last event it handled. */
  readonly fromPosition?: Position;
  readonly filter?: EventFilter;
}

/** Progress with nothing to deliver: every matching event up to `checkpoint` came before it. */
export interface SubscriptionCheckpoint {
  readonly checkpoint: Position;
}

/**
 * Catch-up, then live. Back-pressure comes from iteration: the next batch is read only when the
 * consumer asks for it. Every event is delivered once, in position order; the caller keeps the
 * checkpoint.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * The same events with the store's checkpoints between them, where it has any (KurrentDB sends
   * one every 32 events it considers for a filter): a checkpoint is at or after every event before
   * it and before every event after it, so a caller whose events are rare can move its own
   * checkpoint on. Iterate either this or the subscription, not both.
   */
  withCheckpoints?(): AsyncIterable<RecordedEvent | SubscriptionCheckpoint>;
}

/** The append-only log. Implemented by the PostgreSQL and KurrentDB adapters; one contract suite. */
export interface EventStore {
  /**
   * Appends atomically. Throws WrongExpectedRevision when the stream is not as expected, unless the
   * same event ids were already appended at the same expected revision: then it is a no-op
   * returning the original result.
   *
   * Event ids recognise retries, in every store: with 'any' or 'stream_exists', an append whose
   * first id stands in the stream but a later one does not is a DuplicateEventId, and nothing of it
   * is written. Beyond that the stores differ, by design: PostgreSQL keeps ids unique across the log
   * (an id that stands in another stream is a DuplicateEventId), KurrentDB writes such an event;
   * and KurrentDB recognises a retry with 'any' or 'stream_exists' only while the first id is in
   * its bounded cache of recent ids. Hence: always append with an expected revision.
   */
  appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;

  /**
   * Appends to many streams in one call, each checked against its own expected revision and
   * written atomically as appendToStream would. Not all or nothing across streams: an append whose
   * stream is not as expected is left out, and its place in the answer (one per append, in order)
   * holds the WrongExpectedRevision; the others are written. A stream named twice takes its appends
   * in order. Any other failure (a DuplicateEventId) rejects the call, which may have written some
   * of its other appends: PostgreSQL writes up to 200 streams per transaction and round trip, two
   * transactions at a time when no stream is named twice; KurrentDB appends stream by stream.
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]>;

  /** Iterating a stream that does not exist throws StreamNotFound; an empty range yields nothing. */
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /** The global log in position order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /**
   * The position of the last event written (matching the filter), or null when there is none —
   * including one that readAll and subscriptions cannot deliver yet (PostgreSQL: committed above the
   * transaction horizon, which another transaction anywhere in the cluster holds back). What a
   * reader that must see its own writes waits for its checkpoint to reach.
   */
  headPosition(filter?: EventFilter): Promise<Position | null>;

  subscribeToAll(options?: SubscribeToAllOptions): Subscription;

  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EventStore');
