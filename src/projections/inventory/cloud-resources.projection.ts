import { eventTypesOf } from '../../domain/decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { type ResourceEvent, resourceDecider } from '../../domain/inventory/resource.decider.js';
import { applyChanges, isManaged, type ResourceState } from '../../domain/inventory/resource.js';
import type { Projection } from '../projection.js';
import { CloudResourceEntity, type CloudResourceRow } from './cloud-resource.entity.js';

const DELETED_STATUS = 'deleted';

const stateOf = (row: CloudResourceRow): ResourceState => ({
  provider: row.provider as ResourceState['provider'],
  kind: row.kind as ResourceState['kind'],
  providerId: row.providerId,
  name: row.name,
  region: row.region,
  size_slug: row.sizeSlug,
  status: row.status,
  tags: row.tags,
  attrs: row.attrs,
});

const columnsOf = (state: ResourceState): Pick<CloudResourceRow, 'provider' | 'kind' | 'providerId' | 'name' | 'region' | 'sizeSlug' | 'status' | 'tags' | 'attrs' | 'managed'> => ({
  provider: state.provider,
  kind: state.kind,
  providerId: state.providerId,
  name: state.name,
  region: state.region,
  sizeSlug: state.size_slug,
  status: state.status,
  tags: state.tags,
  attrs: state.attrs,
  managed: isManaged(state.tags),
});

/**
 * The inventory: each resource's last known state. A deletion keeps the row as `deleted`; a later
 * observation (the id seen again) brings it back with its first sighting kept.
 */
export const cloudResourcesProjection: Projection<CloudResourceRow> = {
  name: 'cloud-resources',
  entity: CloudResourceEntity,
  key: 'resourceId',
  eventTypes: eventTypesOf(resourceDecider),
  keyOf: (event) => (event as DomainEvent & ResourceEvent).data.resourceId,
  evolve(row, domainEvent) {
    const event = domainEvent as DomainEvent & ResourceEvent;
    // an event this row already holds changes nothing
    if (row && BigInt(row.streamRevision) >= event.revision) return row;
    const at = new Date(event.data.at);
    const seen = { lastSeenAt: at, streamRevision: event.revision.toString() };
    switch (event.type) {
      case 'ResourceObserved':
        return {
          resourceId: event.data.resourceId,
          ...columnsOf(event.data.state),
          firstSeenAt: row?.firstSeenAt ?? at,
          deletedAt: null,
          ...seen,
        };
      case 'ResourceChanged': {
        if (!row) return null;
        const next = { ...row, ...columnsOf(applyChanges(stateOf(row), event.data.changes)), ...seen };
        // the resource is gone: a change recorded after that does not bring it back
        return row.deletedAt ? { ...next, status: DELETED_STATUS } : next;
      }
      case 'ResourceDeleted':
        return row ? { ...row, status: DELETED_STATUS, deletedAt: row.deletedAt ?? at, ...seen } : null;
      default: {
        const _: never = event;
        throw new Error(`cloud-resources does not handle ${JSON.stringify(_)}`);
      }
    }
  },
};
