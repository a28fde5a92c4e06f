import { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
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
import type { Metrics } from './metrics.js';

/** Times every append and counts failures, whichever adapter sits underneath. */
export class InstrumentedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly metrics: Metrics,
  ) {}

  async appendToStream(stream: string, events: readonly EventToAppend[], options: { readonly expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    const stop = this.metrics.appendDuration.startTimer({ call: 'single' });
    try {
      const result = await this.inner.appendToStream(stream, events, options);
      stop({ outcome: 'ok' });
      return result;
    } catch (error) {
      const conflict = error instanceof WrongExpectedRevision;
      stop({ outcome: conflict ? 'conflict' : 'error' });
      this.metrics.appendErrors.inc({ kind: conflict ? 'wrong_expected_revision' : 'error' });
      throw error;
    }
  }

  /** One timing for the call, apart from single appends; each stream that was not as expected counts as a conflict. */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    const stop = this.metrics.appendDuration.startTimer({ call: 'batch' });
    try {
      const results = await this.inner.appendToStreams(appends);
      const conflicts = results.filter((r) => r instanceof WrongExpectedRevision).length;
      stop({ outcome: conflicts > 0 ? 'conflict' : 'ok' });
      if (conflicts > 0) this.metrics.appendErrors.inc({ kind: 'wrong_expected_revision' }, conflicts);
      return results;
    } catch (error) {
      stop({ outcome: 'error' });
      this.metrics.appendErrors.inc({ kind: 'error' });
      throw error;
    }
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
