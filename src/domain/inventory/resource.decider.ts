import type { Decider, EventOf } from '../decider.js';
import { type ObservationSource, resourceEvents } from './resource.events.js';
import { applyChanges, diffResource, type ResourceState } from './resource.js';

/**
 * One resource stream as a decider: what an observation of the provider (a droplet's state, or
 * its absence) means for the inventory. Sync and saga steps both decide through here, so a sync
 * after a saga registered a droplet appends nothing, and vice versa.
 */

export type ResourceEvent = EventOf<typeof resourceEvents>;

export type ResourceStreamState =
  | { readonly status: 'unknown' }
  | { readonly status: 'present'; readonly state: ResourceState }
  | { readonly status: 'deleted'; readonly state: ResourceState };

/** What the provider has now for a resource (null: nothing under this id), and who saw it. */
export interface Observation {
  readonly resourceId: string;
  readonly observed: ResourceState | null;
  readonly source: ObservationSource;
  readonly sagaId: string | null;
}

export type ResourceCommand = { readonly type: 'ObserveResource'; readonly data: Observation };

export const resourceDecider: Decider<ResourceStreamState, ResourceCommand, ResourceEvent> = {
  events: resourceEvents,
  initialState: () => ({ status: 'unknown' }),

  /** The events that bring the inventory in line with an observation; none when it already is. */
  decide({ data: { resourceId, observed, source, sagaId } }, current, now) {
    const at = now.toISOString();
    if (observed === null) return current.status === 'present' ? [{ type: 'ResourceDeleted', data: { resourceId, source, sagaId, at } }] : [];
    if (current.status !== 'present') return [{ type: 'ResourceObserved', data: { resourceId, state: observed, source, sagaId, at } }];
    const changes = diffResource(current.state, observed);
    return changes.length === 0 ? [] : [{ type: 'ResourceChanged', data: { resourceId, changes, source, sagaId, at } }];
  },

  evolve(current, event) {
    switch (event.type) {
      case 'ResourceObserved':
        return { status: 'present', state: event.data.state };
      case 'ResourceChanged':
        // a change applies to what is there; a deleted resource comes back only by being observed again
        return current.status === 'present' ? { status: 'present', state: applyChanges(current.state, event.data.changes) } : current;
      case 'ResourceDeleted':
        return current.status === 'present' ? { status: 'deleted', state: current.state } : current;
      default: {
        const _: never = event;
        return _;
      }
    }
  },
};

/** An observation as the command that records it. */
export const observe = (observation: Observation): ResourceCommand => ({ type: 'ObserveResource', data: observation });
