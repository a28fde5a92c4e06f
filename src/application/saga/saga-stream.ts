import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { StreamNotFound } from '../../domain/event-store/event-store.errors.js';
import type { EventMetadata } from '../../domain/events/event-envelope.js';
import { eventCatalogue } from '../../domain/events/event-catalogue.js';
import type { EventToAppend } from '../../domain/event-store/event-store.port.js';
import { isSagaEvent, type SagaEvent } from '../../domain/saga/saga.events.js';
import { evolve, initialState, type SagaState } from '../../domain/saga/saga.state.js';
import { toSagaStream } from '../../domain/streams.js';

export interface LoadedSaga {
  readonly state: SagaState;
  /** The stream's revision, or 'no_stream'. */
  readonly revision: bigint | 'no_stream';
  readonly correlationId: string;
  readonly lastEventId: string | null;
}

/** Reads and folds a saga's stream, the source of truth. Throws EventSchemaViolation on a bad event. */
export async function loadSaga(store: EventStore, sagaId: string): Promise<LoadedSaga> {
  let state = initialState();
  let revision: bigint | 'no_stream' = 'no_stream';
  let correlationId = sagaId;
  let lastEventId: string | null = null;
  try {
    for await (const recorded of store.readStream(toSagaStream(sagaId))) {
      const event = eventCatalogue.decode(recorded);
      if (revision === 'no_stream') correlationId = event.metadata.correlationId;
      revision = recorded.revision;
      lastEventId = recorded.id;
      if (isSagaEvent(event)) state = evolve(state, event);
    }
  } catch (error) {
    if (!(error instanceof StreamNotFound)) throw error;
  }
  return { state, revision, correlationId, lastEventId };
}

export function encodeSagaEvent(event: SagaEvent, id: string, metadata: Omit<EventMetadata, 'schemaVersion'>): EventToAppend {
  return eventCatalogue.encode(event.type as never, id, event.data as never, metadata);
}
