import { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
import type { AppendResult, EventStore, EventToAppend, ExpectedRevision, StreamAppend } from '../../domain/event-store/event-store.port.js';
import { ForwardingEventStore } from '../event-store/forwarding.event-store.js';
import type { Metrics } from './metrics.js';

/** Times every append and counts failures, whichever adapter sits underneath. */
export class InstrumentedEventStore extends ForwardingEventStore {
  constructor(
    inner: EventStore,
    private readonly metrics: Metrics,
  ) {
    super(inner);
  }

  override async appendToStream(stream: string, events: readonly EventToAppend[], options: { readonly expectedRevision: ExpectedRevision }): Promise<AppendResult> {
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
  override async appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
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
}
