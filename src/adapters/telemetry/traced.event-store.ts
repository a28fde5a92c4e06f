import { currentTraceparent } from '../../application/tracing.js';
import type { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
import type { AppendResult, EventToAppend, ExpectedRevision, StreamAppend } from '../../domain/event-store/event-store.port.js';
import { ForwardingEventStore } from '../event-store/forwarding.event-store.js';

/**
 * Records in each appended event's metadata the `traceparent` of the span appending it (unless the
 * event names one already), whichever adapter sits underneath, so whoever reads the event later —
 * another process, after a restart — can link its own span to the one that wrote it. With tracing
 * off there is no span, and events go through untouched.
 */
export class TracedEventStore extends ForwardingEventStore {
  override appendToStream(stream: string, events: readonly EventToAppend[], options: { readonly expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return this.inner.appendToStream(stream, stamped(events, currentTraceparent()), options);
  }

  override appendToStreams(appends: readonly StreamAppend[]): Promise<(AppendResult | WrongExpectedRevision)[]> {
    const traceparent = currentTraceparent();
    return this.inner.appendToStreams(traceparent === undefined ? appends : appends.map((a) => ({ ...a, events: stamped(a.events, traceparent) })));
  }
}

function stamped(events: readonly EventToAppend[], traceparent: string | undefined): readonly EventToAppend[] {
  if (traceparent === undefined) return events;
  return events.map((event) => (event.metadata.traceparent === undefined ? { ...event, metadata: { ...event.metadata, traceparent } } : event));
}
