import { type Role, roleAtLeast } from '../../domain/access/roles.js';
import { Forbidden } from '../../domain/errors.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { resourceDecider, type ResourceStreamState } from '../../domain/inventory/resource.decider.js';
import { isManaged } from '../../domain/inventory/resource.js';
import { toResourceStream } from '../../domain/streams.js';
import { loadStream } from '../event-stream.js';

/** Who asks: acting on a resource cloudledger does not manage needs platform_admin. */
export interface ResourceCaller {
  readonly role: Role;
}

/** The resource as its stream has it (present, deleted or unknown), read there so a droplet registered a moment ago counts. */
export async function resourceInLog(store: EventStore, resourceId: string): Promise<ResourceStreamState> {
  return (await loadStream(store, toResourceStream(resourceId), resourceDecider)).state;
}

/**
 * The caller may `action` the resource: one cloudledger manages (present, carrying the managed
 * tag) for anyone, any for platform_admin. Forbidden otherwise, before anything is started.
 */
export function requireReach(state: ResourceStreamState, what: string, caller: ResourceCaller, action: string): void {
  if (roleAtLeast(caller.role, 'platform_admin') || (state.status === 'present' && isManaged(state.state.tags))) return;
  throw new Forbidden(`${what} is not managed by cloudledger: only platform_admin may ${action}`, 'platform_admin');
}
