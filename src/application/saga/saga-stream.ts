import type { EventStore, EventToAppend } from '../../domain/event-store/event-store.port.js';
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
}

/** Reads and folds a saga's stream, the source of truth, with what the runner's appends need. Throws EventSchemaViolation on a bad event. */
export async function loadSaga(store: EventStore, sagaId: string): Promise<LoadedSaga> {
  const recorded = await readStreamEvents(store, toSagaStream(sagaId));
  const first = recorded[0];
  return {
    state: foldRecorded(sagaDecider, recorded),
    revision: recorded.at(-1)?.revision ?? 'no_stream',
    correlationId: (first?.metadata as { correlationId?: string } | undefined)?.correlationId ?? sagaId,
    lastEventId: recorded.at(-1)?.id ?? null,
  };
}

/** A saga event as the store takes it, under the id the runner derives (saga-event-ids.ts). */
export function encodeSagaEvent(event: SagaEvent, id: string, metadata: Metadata): EventToAppend {
  return eventCatalogue.encode(event.type as never, id, event.data as never, metadata);
}
