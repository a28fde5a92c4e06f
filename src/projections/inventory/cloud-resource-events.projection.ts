import { eventTypesOf } from '../../domain/decider.js';
import { type SpecEvent, specDecider } from '../../domain/drift/spec.decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { type ResourceEvent, resourceDecider } from '../../domain/inventory/resource.decider.js';
import type { Projection } from '../projection.js';
import { CloudResourceEventEntity, type CloudResourceEventRow } from './cloud-resource-event.entity.js';

type Handled = ResourceEvent | SpecEvent;

const resourceEventId = (stream: string, revision: bigint): string => `${stream}@${revision}`;

/** What one event says about the resource, in the log's terms. */
type Entry = Pick<CloudResourceEventRow, 'event' | 'before' | 'after' | 'source' | 'sagaId' | 'driftId'>;

function entryOf(event: Handled): Entry {
  switch (event.type) {
    case 'ResourceObserved':
      return { event: 'observed', before: null, after: event.data.state, source: event.data.source, sagaId: event.data.sagaId, driftId: null };
    case 'ResourceChanged': {
      const { changes } = event.data;
      return {
        event: 'changed',
        before: Object.fromEntries(changes.map((c) => [c.field, c.before ?? null])),
        after: Object.fromEntries(changes.map((c) => [c.field, c.after ?? null])),
        source: event.data.source,
        sagaId: event.data.sagaId,
        driftId: null,
      };
    }
    case 'ResourceDeleted':
      return { event: 'deleted', before: null, after: null, source: event.data.source, sagaId: event.data.sagaId, driftId: null };
    case 'SpecRecorded': {
      const { spec, version, reason, sagaId, driftId } = event.data;
      // provisioning records the spec from its saga; accepting drift is an operator's decision
      const source = reason === 'provisioned' ? 'saga' : reason === 'drift_accepted' ? 'operator' : 'api';
      return { event: 'spec_recorded', before: null, after: { spec, version, reason }, source, sagaId, driftId };
    }
    case 'SpecRemoved': {
      const { reason, sagaId } = event.data;
      return { event: 'spec_removed', before: null, after: { reason }, source: sagaId === null ? 'api' : 'saga', sagaId, driftId: null };
    }
    case 'DriftDetected': {
      const { field, expected, actual, driftId } = event.data;
      return { event: 'drift_detected', before: { field, expected: expected ?? null }, after: { field, actual: actual ?? null }, source: 'drift_detection', sagaId: null, driftId };
    }
    case 'DriftAccepted': {
      const { field, value, specVersion, driftId } = event.data;
      return { event: 'drift_accepted', before: null, after: { field, value: value ?? null, specVersion }, source: 'operator', sagaId: null, driftId };
    }
    case 'DriftRevertRequested':
      return { event: 'drift_revert_requested', before: null, after: { field: event.data.field }, source: 'operator', sagaId: event.data.sagaId, driftId: event.data.driftId };
    // the revert saga ends the drift: its outcome is the saga's
    case 'DriftReverted':
      return { event: 'drift_reverted', before: null, after: { field: event.data.field }, source: 'saga', sagaId: event.data.sagaId, driftId: event.data.driftId };
    case 'DriftRevertFailed': {
      const { field, reason, sagaId, driftId } = event.data;
      return { event: 'drift_revert_failed', before: null, after: { field, reason }, source: 'saga', sagaId, driftId };
    }
    case 'DriftClosedStale': {
      const { field, actual, driftId, reason } = event.data;
      // closed because its resource went away (spec removed), or because the field matches again
      const source = reason === 'resource_gone' ? 'spec_removed' : 'drift_detection';
      return { event: 'drift_closed_stale', before: null, after: { field, actual: actual ?? null, reason }, source, sagaId: null, driftId };
    }
    default: {
      const _: never = event;
      throw new Error(`cloud-resource-events does not handle ${JSON.stringify(_)}`);
    }
  }
}

/** The per-resource audit log: every event of a resource's inventory and spec streams, once. */
export const cloudResourceEventsProjection: Projection<CloudResourceEventRow> = {
  name: 'cloud-resource-events',
  entity: CloudResourceEventEntity,
  key: 'id',
  eventTypes: [...eventTypesOf(resourceDecider), ...eventTypesOf(specDecider)],
  keyOf: (event) => resourceEventId(event.stream, event.revision),
  evolve(row, domainEvent) {
    if (row) return row;
    const event = domainEvent as DomainEvent & Handled;
    const { metadata } = domainEvent;
    return {
      id: resourceEventId(domainEvent.stream, domainEvent.revision),
      resourceId: event.data.resourceId,
      ...entryOf(event),
      actor: metadata.actor,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      stream: domainEvent.stream,
      revision: domainEvent.revision.toString(),
      occurredAt: new Date(event.data.at),
    };
  },
};
