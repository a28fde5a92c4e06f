import { randomUUID } from 'node:crypto';
import { StreamNotFound, WrongExpectedRevision } from '../domain/event-store/event-store.errors.js';
import type { EventStore, RecordedEvent } from '../domain/event-store/event-store.port.js';
import type { EventMetadata } from '../domain/events/event-envelope.js';
import { eventCatalogue } from '../domain/events/event-catalogue.js';
import { ExpectedError } from '../domain/errors.js';
import { type StepContext, StepError } from '../domain/saga/saga-step.js';

/** A stream's decider, as the domain modules write them. */
export interface StreamDecider<State, Event extends { readonly type: string; readonly data: unknown }, Command> {
  initial(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, now: Date): Event[];
  /** Which stored event types belong to this decider (others in the stream are skipped). */
  readonly eventTypes: readonly string[];
}

export interface Loaded<State> {
  readonly state: State;
  readonly revision: bigint | 'no_stream';
}

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

/** Folds recorded events with a decider, passing over the types that are not its own. */
export function foldEvents<S, E extends { type: string; data: unknown }, C>(decider: StreamDecider<S, E, C>, recorded: readonly RecordedEvent[]): S {
  let state = decider.initial();
  for (const event of recorded) {
    if (!decider.eventTypes.includes(event.type)) continue;
    const decoded = eventCatalogue.decode(event);
    state = decider.evolve(state, { type: decoded.type, data: decoded.data } as E);
  }
  return state;
}

/** Reads and folds one stream. */
export async function loadStream<S, E extends { type: string; data: unknown }, C>(store: EventStore, stream: string, decider: StreamDecider<S, E, C>): Promise<Loaded<S>> {
  const recorded = await readStreamEvents(store, stream);
  return { state: foldEvents(decider, recorded), revision: recorded.at(-1)?.revision ?? 'no_stream' };
}

export interface DecideResult<S, E> {
  readonly events: readonly E[];
  readonly state: S;
  /** The stream's revision after the append (or as read, when nothing was appended). */
  readonly revision: bigint | 'no_stream';
}

/**
 * Load, decide, append with the revision read — and on a concurrent writer, read and decide again
 * (a few times). Typed decider errors pass through to the caller.
 */
export async function decideAndAppend<S, E extends { type: string; data: unknown }, C>(
  store: EventStore,
  stream: string,
  decider: StreamDecider<S, E, C>,
  command: C,
  metadata: Omit<EventMetadata, 'schemaVersion'>,
  now: () => Date = () => new Date(),
  attempts = 5,
): Promise<DecideResult<S, E>> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await loadStream(store, stream, decider);
    const events = decider.decide(command, loaded.state, now());
    if (events.length === 0) return { events, state: loaded.state, revision: loaded.revision };
    try {
      const result = await store.appendToStream(stream, encodeDecided(events, metadata), { expectedRevision: loaded.revision });
      return { events, state: events.reduce(decider.evolve, loaded.state), revision: result.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** Decided events as the store takes them: each with a new id, checked against its schema. */
function encodeDecided(events: readonly { readonly type: string; readonly data: unknown }[], metadata: Omit<EventMetadata, 'schemaVersion'>) {
  return events.map((event) => eventCatalogue.encode(event.type as never, randomUUID(), event.data as never, metadata));
}

/**
 * Appends decided events to many streams, each expecting its own revision, in one appendToStreams
 * call: for each, the stream's next revision, or null when another writer moved the stream first
 * (decide again, or leave it).
 */
export async function appendDecidedToStreams(
  store: EventStore,
  appends: readonly { readonly stream: string; readonly events: readonly { readonly type: string; readonly data: unknown }[]; readonly expectedRevision: bigint | 'no_stream' }[],
  metadata: Omit<EventMetadata, 'schemaVersion'>,
): Promise<(bigint | null)[]> {
  const results = await store.appendToStreams(appends.map((a) => ({ stream: a.stream, events: encodeDecided(a.events, metadata), expectedRevision: a.expectedRevision })));
  return results.map((result) => (result instanceof WrongExpectedRevision ? null : result.nextExpectedRevision));
}

/**
 * decideAndAppend from inside a saga step: the events carry the saga as their correlation and the
 * saga's starter as their actor, at the step's time. A typed refusal of the decider fails the step
 * without retry (trying again would be refused again).
 */
export async function decideInStep<S, E extends { type: string; data: unknown }, C>(
  store: EventStore,
  ctx: StepContext,
  stream: string,
  decider: StreamDecider<S, E, C>,
  command: C,
): Promise<DecideResult<S, E>> {
  try {
    return await decideAndAppend(store, stream, decider, command, { correlationId: ctx.sagaId, causationId: null, actor: ctx.triggeredBy }, () => ctx.now);
  } catch (error) {
    if (error instanceof ExpectedError) throw new StepError(error.code, error.message, false);
    throw error;
  }
}
