import { currentTraceparent } from '../../application/tracing.js';
import type { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
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
} from '../../domain/event-store/event-store.port.js';
import type { Position } from '../../domain/event-store/position.js';

/**
 * Records in each appended event's metadata the `traceparent` of the span appending it (unless the
 * event names one already), whichever adapter sits underneath, so whoever reads the event later —
 * another process, after a restart — can link its own span to the one that wrote it. With tracing
 * off there is no span, and events go through untouched.
 */
export class TracedEventStore implements EventStore {
  constructor(private readonly inner: EventStore) {}

  appendToStream(stream: string, events: readonly EventToAppend[], options: { readonly expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return this.inner.appendToStream(stream, stamped(events, currentTraceparent()), options);
  }

  appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    const traceparent = currentTraceparent();
    return this.inner.appendToStreams(traceparent === undefined ? appends : appends.map((a) => ({ ...a, events: stamped(a.events, traceparent) })));
  }

  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  headPosition(filter?: EventFilter): Promise<Position | null> {
    return this.inner.headPosition(filter);
  }

  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function stamped(events: readonly EventToAppend[], traceparent: string | undefined): readonly EventToAppend[] {
  if (traceparent === undefined) return events;
  return events.map((event) => (event.metadata.traceparent === undefined ? { ...event, metadata: { ...event.metadata, traceparent } } : event));
}
