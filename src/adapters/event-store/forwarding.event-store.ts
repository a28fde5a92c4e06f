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

/** An event store that hands every call to another: what a decorator (metrics, traces) extends, overriding only what it adds to. */
export class ForwardingEventStore implements EventStore {
  constructor(protected readonly inner: EventStore) {}

  appendToStream(stream: string, events: readonly EventToAppend[], options: { readonly expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return this.inner.appendToStream(stream, events, options);
  }

  appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    return this.inner.appendToStreams(appends);
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
