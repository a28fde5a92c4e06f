import type { SpecEvent } from '../../domain/drift/spec.decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { Projection } from '../projection.js';
import { CloudDriftEntity, type CloudDriftRow } from './cloud-drift.entity.js';

/** SpecRemoved needs no case: removing a spec closes its open drift (DriftClosedStale) first. */
type DriftEvent = Exclude<SpecEvent, { type: 'SpecRecorded' | 'SpecRemoved' }>;

/**
 * Every drift and how it ended. A drift stays open through revert requests and failed reverts, and
 * goes between open and ignored as policies cover it and end; accepted, reverted, stale and
 * resource_deleted are final, and an event for a closed drift changes nothing.
 */
export const cloudDriftProjection: Projection<CloudDriftRow> = {
  name: 'cloud-drift',
  entity: CloudDriftEntity,
  key: 'id',
  eventTypes: [
    'DriftDetected',
    'DriftIgnored',
    'DriftReopened',
    'DriftAccepted',
    'DriftRevertRequested',
    'DriftReverted',
    'DriftRevertFailed',
    'DriftClosedStale',
  ] satisfies DriftEvent['type'][],
  keyOf: (event) => (event as DomainEvent & DriftEvent).data.driftId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & DriftEvent;
    const at = new Date(event.data.at);
    const actor = domainEvent.metadata.actor;
    if (event.type === 'DriftDetected') {
      if (row) return row;
      const d = event.data;
      return {
        id: d.driftId,
        resourceId: d.resourceId,
        field: d.field,
        expected: d.expected ?? null,
        actual: d.actual ?? null,
        status: 'open',
        specVersion: d.specVersion,
        detectedAt: at,
        detectedBy: actor,
        resolvedAt: null,
        resolvedBy: null,
        revertSagaId: null,
        revertError: null,
        policyId: null,
        ignoredUntil: null,
      };
    }
    if (!row || (row.status !== 'open' && row.status !== 'ignored')) return row;
    const resolved = { resolvedAt: at, resolvedBy: actor };
    switch (event.type) {
      case 'DriftIgnored':
        return { ...row, status: 'ignored', policyId: event.data.policyId, ignoredUntil: new Date(event.data.until) };
      case 'DriftReopened':
        return { ...row, status: 'open', ignoredUntil: null };
      case 'DriftRevertRequested':
        return { ...row, revertSagaId: event.data.sagaId, revertError: null };
      case 'DriftRevertFailed':
        // open again for another decision, as the spec stream's own state has it
        return { ...row, revertSagaId: null, revertError: event.data.reason };
      case 'DriftReverted':
        return { ...row, status: 'reverted', ignoredUntil: null, ...resolved };
      case 'DriftAccepted':
        return { ...row, status: 'accepted', ignoredUntil: null, ...resolved };
      case 'DriftClosedStale':
        return { ...row, status: event.data.reason === 'matches_again' ? 'stale' : 'resource_deleted', ignoredUntil: null, ...resolved };
      default: {
        const _: never = event;
        throw new Error(`cloud-drift does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
