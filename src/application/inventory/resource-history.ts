import { z } from 'zod';
import { type OpenDrift, specDecider, type SpecState } from '../../domain/drift/spec.decider.js';
import type { EventStore, RecordedEvent } from '../../domain/event-store/event-store.port.js';
import { comparePositions } from '../../domain/event-store/position.js';
import { eventCatalogue } from '../../domain/events/event-catalogue.js';
import { NotFound } from '../../domain/errors.js';
import { resourceDecider, type ResourceStreamState } from '../../domain/inventory/resource.decider.js';
import { toResourceStream, toSagaStream, toSpecStream } from '../../domain/streams.js';
import { foldRecorded, readStreamEvents } from '../event-stream.js';
import { eventTypesOf } from '../../domain/decider.js';

/** The moment an audit replays to: an RFC 3339 time with its offset (no local-time guessing). */
export const auditMoment = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time with its offset, e.g. 2026-11-22T10:00:00Z' });

export interface HistoryEntry {
  readonly at: string;
  readonly stream: string;
  readonly revision: string;
  readonly type: string;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly sagaId: string | null;
  readonly data: unknown;
}

export interface ResourceAsOf {
  readonly resourceId: string;
  readonly asOf: string;
  /** What the provider had then, as the inventory knew it. */
  readonly resource: ResourceStreamState;
  /** The desired state then, with the drift open at that moment. */
  readonly spec: SpecView;
  /** How many of the resource's events happened by then. */
  readonly eventsApplied: number;
}

/** A spec stream's state as an auditor reads it: the decider's bookkeeping (ids of closed drift) left out. */
export type SpecView =
  | { readonly status: 'none' }
  | { readonly status: 'removed'; readonly version: number }
  | { readonly status: 'recorded'; readonly spec: Readonly<Record<string, unknown>>; readonly version: number; readonly open: readonly OpenDrift[] };

function specView(state: SpecState): SpecView {
  switch (state.status) {
    case 'none':
      return state;
    case 'removed':
      return { status: 'removed', version: state.version };
    case 'recorded':
      return { status: 'recorded', spec: state.spec, version: state.version, open: state.open };
    default: {
      const _: never = state;
      return _;
    }
  }
}

/** No resource by that id: no events about it (history), no inventory row or spec (the read routes). */
export class ResourceNotFound extends NotFound {
  override readonly name = 'ResourceNotFound';
  override readonly code = 'resource_not_found';
}

const sagaIdOf = (data: unknown): string | null => {
  const id = (data as { sagaId?: unknown } | null)?.sagaId;
  return typeof id === 'string' ? id : null;
};

/**
 * A resource's audit trail, computed from the log (not a read model): its resource and spec
 * streams, and the streams of the sagas that touched it, in the order they happened. `asOf`
 * replays the resource and spec streams up to a moment.
 */
export class ResourceHistory {
  constructor(private readonly store: EventStore) {}

  async history(resourceId: string): Promise<HistoryEntry[]> {
    const own = (await this.ownStreams(resourceId)).flat();
    const sagaIds = [...new Set(own.map((e) => sagaIdOf(e.data)).filter((id): id is string => id !== null))];
    const sagas = (await Promise.all(sagaIds.map((id) => readStreamEvents(this.store, toSagaStream(id))))).flat();
    return [...own, ...sagas].sort((a, b) => comparePositions(a.position, b.position)).map((recorded) => {
      const event = eventCatalogue.decode(recorded);
      return {
        at: recorded.recordedAt.toISOString(),
        stream: recorded.stream,
        revision: String(recorded.revision),
        type: event.type,
        actor: event.metadata.actor,
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.causationId,
        sagaId: sagaIdOf(event.data),
        data: event.data,
      };
    });
  }

  async asOf(resourceId: string, moment: Date): Promise<ResourceAsOf> {
    const [resourceEvents, specEvents] = await this.ownStreams(resourceId);
    const upTo = (events: RecordedEvent[]) => events.filter((e) => e.recordedAt.getTime() <= moment.getTime());
    const resourceThen = upTo(resourceEvents);
    const specThen = upTo(specEvents).filter((e) => eventTypesOf(specDecider).includes(e.type));
    return {
      resourceId,
      asOf: moment.toISOString(),
      resource: foldRecorded(resourceDecider, resourceThen),
      spec: specView(foldRecorded(specDecider, specThen)),
      eventsApplied: resourceThen.length + specThen.length,
    };
  }

  /** The resource's stream and its spec stream, read at once; not found when both are empty. */
  private async ownStreams(resourceId: string): Promise<[RecordedEvent[], RecordedEvent[]]> {
    const streams = await Promise.all([readStreamEvents(this.store, toResourceStream(resourceId)), readStreamEvents(this.store, toSpecStream(resourceId))]);
    if (streams[0].length === 0 && streams[1].length === 0) throw new ResourceNotFound(`no events about ${resourceId}`);
    return streams;
  }
}
