import { type SpecEvent, specDecider, type SpecState } from '../../domain/drift/spec.decider.js';
import { eventTypesOf } from '../../domain/decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { Projection } from '../projection.js';
import { CloudProvisionedEntity, type CloudProvisionedRow } from './cloud-provisioned.entity.js';

/** The spec stream's state as far as this row holds it (closed drift ids are not kept: nothing here needs them). */
function specStateOf(row: CloudProvisionedRow | null): SpecState {
  if (row === null) return { status: 'none' };
  if (row.removedAt !== null) return { status: 'removed', version: row.specVersion, closed: [] };
  return { status: 'recorded', spec: row.spec, version: row.specVersion, open: row.openDrift, closed: [] };
}

/**
 * Each resource's spec, version and open drift. Every spec-stream event moves `stream_revision`,
 * not only a SpecRecorded: writers deciding from this row append with it as the expected revision.
 * So a removed spec keeps its row, marked removed, until a SpecRecorded brings it back. The open
 * drift is folded by the domain's own `specDecider.evolve`, so it is what the decider would see.
 */
export const cloudProvisionedProjection: Projection<CloudProvisionedRow> = {
  name: 'cloud-provisioned',
  entity: CloudProvisionedEntity,
  key: 'resourceId',
  eventTypes: eventTypesOf(specDecider),
  keyOf: (event) => (event as DomainEvent & SpecEvent).data.resourceId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & SpecEvent;
    if (row && BigInt(row.streamRevision) >= event.revision) return row;
    const at = new Date(event.data.at);
    const after = specDecider.evolve(specStateOf(row), event);
    const moved = { streamRevision: event.revision.toString(), updatedAt: at, openDrift: after.status === 'recorded' ? [...after.open] : [] };
    switch (event.type) {
      case 'SpecRecorded':
        return {
          resourceId: event.data.resourceId,
          spec: event.data.spec,
          specVersion: event.data.version,
          recordedAt: at,
          recordedBy: domainEvent.metadata.actor,
          removedAt: null,
          ...moved,
        };
      case 'SpecRemoved':
        return row ? { ...row, removedAt: row.removedAt ?? at, ...moved } : null;
      case 'DriftDetected':
      case 'DriftIgnored':
      case 'DriftReopened':
      case 'DriftAccepted':
      case 'DriftRevertRequested':
      case 'DriftReverted':
      case 'DriftRevertFailed':
      case 'DriftClosedStale':
        // drift is recorded only against a spec, so a row exists; without one there is nothing to move
        return row ? { ...row, ...moved } : null;
      default: {
        const _: never = event;
        throw new Error(`cloud-provisioned does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
