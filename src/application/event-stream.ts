import { randomUUID } from 'node:crypto';
import type { Decider, DomainEventShape } from '../domain/decider.js';
import { eventTypesOf } from '../domain/decider.js';
import { StreamNotFound, WrongExpectedRevision } from '../domain/event-store/event-store.errors.js';
import type { EventStore, EventToAppend, RecordedEvent } from '../domain/event-store/event-store.port.js';
import type { EventMetadata } from '../domain/events/event-envelope.js';
import { eventCatalogue } from '../domain/events/event-catalogue.js';
import { type AggregateStore, type Handled, handleCommand, type HandleOptions, type Loaded } from './command-handler.js';

/** A stream's revision, or 'no_stream' before its first event: what an append expects. */
export type StreamVersion = bigint | 'no_stream';

export type Metadata = Omit<EventMetadata, 'schemaVersion'>;

/** A stream's events in order; none when the stream does not exist. */
export async function readStreamEvents(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const recorded: RecordedEvent[] = [];
  try {
    for await (const event of store.readStream(stream)) recorded.push(event);
  } catch (error) {
    if (!(error instanceof StreamNotFound)) throw error;
  }
  return recorded;
}

/** One event of a stream as operators read it: decoded (upcast), with who wrote it and why. */
export interface StreamEventView {
  readonly revision: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: unknown;
}

/**
 * A page of a stream from `fromRevision` on, at most `limit` events, and the revision the next page
 * starts at (null at the end). A stream that does not exist is an empty page.
 */
export async function readStreamPage(store: EventStore, stream: string, fromRevision: bigint, limit: number): Promise<{ items: StreamEventView[]; next: bigint | null }> {
  const items: StreamEventView[] = [];
  let next: bigint | null = null;
  try {
    for await (const recorded of store.readStream(stream, { fromRevision, maxCount: limit + 1 })) {
      if (items.length === limit) {
        next = recorded.revision;
        break;
      }
      const event = eventCatalogue.decode(recorded);
      const { actor, correlationId, causationId } = event.metadata;
      items.push({ revision: String(recorded.revision), type: event.type, recordedAt: recorded.recordedAt.toISOString(), actor, correlationId, causationId, data: event.data });
    }
  } catch (error) {
    if (!(error instanceof StreamNotFound)) throw error;
  }
  return { items, next };
}

/** Folds recorded events (decoded, upcast) with a decider, passing over the types that are not its own. */
export function foldRecorded<State, Event extends DomainEventShape>(decider: Decider<State, never, Event>, recorded: readonly RecordedEvent[]): State {
  const types = eventTypesOf(decider);
  let state = decider.initialState();
  for (const event of recorded) {
    if (!types.includes(event.type)) continue;
    const decoded = eventCatalogue.decode(event);
    state = decider.evolve(state, { type: decoded.type, data: decoded.data } as Event);
  }
  return state;
}

/** Reads and folds one stream. */
export async function loadStream<State, Event extends DomainEventShape>(
  store: EventStore,
  stream: string,
  decider: Decider<State, never, Event>,
): Promise<Loaded<State, StreamVersion>> {
  const recorded = await readStreamEvents(store, stream);
  return { state: foldRecorded(decider, recorded), version: recorded.at(-1)?.revision ?? 'no_stream' };
}

/** Decided events as the store takes them: each checked against its schema, with an id (new unless given). */
export function encodeEvents(events: readonly DomainEventShape[], metadata: Metadata, newId: () => string = randomUUID): EventToAppend[] {
  return events.map((event) => eventCatalogue.encode(event.type as never, newId(), event.data as never, metadata));
}

export interface StreamAggregateOptions {
  /** The ids of the events appended (random unless given). */
  readonly newId?: () => string;
  /**
   * The stream is most likely new (named by an id just made, or derived from a request that is new
   * as a rule): the first load reads nothing and takes it to be new; if it is not, the append's
   * expected revision fails and the handler loads it for real and decides again.
   */
  readonly expectNew?: boolean;
}

/** What a caller of handleOnStream may say of the stream. */
export type StreamExpectation = Pick<StreamAggregateOptions, 'expectNew'>;

/** One event stream as the store of a decider's aggregate: what the command handler loads and appends to. */
export function streamAggregate<State, Event extends DomainEventShape>(
  store: EventStore,
  stream: string,
  decider: Decider<State, never, Event>,
  metadata: Metadata,
  { newId = randomUUID, expectNew = false }: StreamAggregateOptions = {},
): AggregateStore<State, Event, StreamVersion> {
  let assumeNew = expectNew;
  return {
    async load() {
      if (!assumeNew) return loadStream(store, stream, decider);
      assumeNew = false;
      return { state: decider.initialState(), version: 'no_stream' };
    },
    async append(events, loaded) {
      const result = await store.appendToStream(stream, encodeEvents(events, metadata, newId), { expectedRevision: loaded.version });
      return result.nextExpectedRevision;
    },
  };
}

/**
 * Appends decided events to many streams, each expecting its own revision, in one appendToStreams
 * call: for each, the stream's next revision, or null when another writer moved the stream first
 * (decide again, or leave it). No retry: the caller knows what a moved stream means.
 */
export async function appendDecidedToStreams(
  store: EventStore,
  appends: readonly { readonly stream: string; readonly events: readonly DomainEventShape[]; readonly expectedRevision: StreamVersion }[],
  metadata: Metadata,
): Promise<(bigint | null)[]> {
  const results = await store.appendToStreams(appends.map((a) => ({ stream: a.stream, events: encodeEvents(a.events, metadata), expectedRevision: a.expectedRevision })));
  return results.map((result) => (result instanceof WrongExpectedRevision ? null : result.nextExpectedRevision));
}

/** A command on one stream through the one command handler: load, decide, append, again on a concurrent write. */
export function handleOnStream<State, Command, Event extends DomainEventShape>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  metadata: Metadata,
  options: HandleOptions & StreamExpectation = {},
): Promise<Handled<State, Event, StreamVersion>> {
  const { expectNew, ...handling } = options;
  return handleCommand(decider, streamAggregate(store, stream, decider, metadata, { expectNew }), command, handling);
}
