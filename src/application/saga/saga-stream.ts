import type { EventStore, EventToAppend, RecordedEvent } from '../../domain/event-store/event-store.port.js';
import { eventCatalogue } from '../../domain/events/event-catalogue.js';
import type { SagaEvent } from '../../domain/saga/saga.events.js';
import { sagaDecider } from '../../domain/saga/saga.decider.js';
import type { SagaState } from '../../domain/saga/saga.state.js';
import { toSagaStream } from '../../domain/streams.js';
import { foldRecorded, type Metadata, readStreamEvents, type StreamVersion } from '../event-stream.js';

export interface LoadedSaga {
  readonly state: SagaState;
  /** The stream's revision, or 'no_stream'. */
  readonly revision: StreamVersion;
  /** The saga's correlation id (its first event's): every event the saga writes carries it. */
  readonly correlationId: string;
  /** The id of its last event: the cause of the next one the runner appends. */
  readonly lastEventId: string | null;
  /** The `traceparent` of the span that started the saga (its first event's), when it was traced. */
  readonly startTrace: string | undefined;
  /** The `traceparent` of the runner's span that wrote to the saga last (the previous step attempt, say), when it was traced. */
  readonly lastRunTrace: string | undefined;
}

/** The actor of every event the process manager appends. */
export const RUNNER_ACTOR = 'system:saga';

/** Reads and folds a saga's stream, the source of truth, with what the runner's appends need. Throws EventSchemaViolation on a bad event. */
export async function loadSaga(store: EventStore, sagaId: string): Promise<LoadedSaga> {
  const recorded = await readStreamEvents(store, toSagaStream(sagaId));
  const first = recorded[0];
  const lastRun = recorded.findLast((event) => event.metadata.actor === RUNNER_ACTOR && traceparentOf(event) !== undefined);
  return {
    state: foldRecorded(sagaDecider, recorded),
    revision: recorded.at(-1)?.revision ?? 'no_stream',
    correlationId: (first?.metadata as { correlationId?: string } | undefined)?.correlationId ?? sagaId,
    lastEventId: recorded.at(-1)?.id ?? null,
    startTrace: first ? traceparentOf(first) : undefined,
    lastRunTrace: lastRun ? traceparentOf(lastRun) : undefined,
  };
}

const traceparentOf = (event: RecordedEvent): string | undefined => (typeof event.metadata.traceparent === 'string' ? event.metadata.traceparent : undefined);

/** A saga event as the store takes it, under the id the runner derives (saga-event-ids.ts). */
export function encodeSagaEvent(event: SagaEvent, id: string, metadata: Metadata): EventToAppend {
  return eventCatalogue.encode(event.type as never, id, event.data as never, metadata);
}
