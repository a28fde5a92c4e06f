import type { ObservationSource } from './resource.events.js';
import { applyChanges, diffResource, type ResourceState } from './resource.js';

/**
 * One resource stream as a decider: what an observation of the provider (a droplet's state, or
 * its absence) means for the inventory. Sync and saga steps both decide through here, so a sync
 * after a saga registered a droplet appends nothing, and vice versa.
 */

export type ResourceStreamState =
  | { readonly status: 'unknown' }
  | { readonly status: 'present'; readonly state: ResourceState }
  | { readonly status: 'deleted'; readonly state: ResourceState };

export type ResourceEvent =
  | { readonly type: 'ResourceObserved'; readonly data: { resourceId: string; state: ResourceState; source: ObservationSource; sagaId: string | null; at: string } }
  | {
      readonly type: 'ResourceChanged';
      readonly data: { resourceId: string; changes: { field: string; before: unknown; after: unknown }[]; source: ObservationSource; sagaId: string | null; at: string };
    }
  | { readonly type: 'ResourceDeleted'; readonly data: { resourceId: string; source: ObservationSource; sagaId: string | null; at: string } };

export const initialResourceState = (): ResourceStreamState => ({ status: 'unknown' });

export interface Observation {
  readonly resourceId: string;
  /** What the provider has now; null when it has nothing under this id. */
  readonly observed: ResourceState | null;
  readonly source: ObservationSource;
  readonly sagaId: string | null;
}

/** The events that bring the inventory in line with an observation; none when it already is. */
export function decideObservation(observation: Observation, current: ResourceStreamState, now: Date): ResourceEvent[] {
  const { resourceId, observed, source, sagaId } = observation;
  const at = now.toISOString();
  if (observed === null) {
    return current.status === 'present' ? [{ type: 'ResourceDeleted', data: { resourceId, source, sagaId, at } }] : [];
  }
  if (current.status !== 'present') return [{ type: 'ResourceObserved', data: { resourceId, state: observed, source, sagaId, at } }];
  const changes = diffResource(current.state, observed);
  return changes.length === 0 ? [] : [{ type: 'ResourceChanged', data: { resourceId, changes, source, sagaId, at } }];
}

export function evolveResource(current: ResourceStreamState, event: ResourceEvent): ResourceStreamState {
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
}

export const resourceDecider = {
  initial: initialResourceState,
  evolve: evolveResource,
  decide: decideObservation,
  eventTypes: ['ResourceObserved', 'ResourceChanged', 'ResourceDeleted'] satisfies ResourceEvent['type'][],
};
