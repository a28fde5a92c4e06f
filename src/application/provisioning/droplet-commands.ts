import type { z } from 'zod';
import { type Role, roleAtLeast } from '../../domain/access/roles.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { Forbidden } from '../../domain/errors.js';
import { resourceDecider } from '../../domain/inventory/resource.decider.js';
import { dropletResourceId, isManaged } from '../../domain/inventory/resource.js';
import { toResourceStream } from '../../domain/streams.js';
import { loadStream } from '../event-stream.js';
import type { SagaCommandContext, SagaService } from '../saga/saga.service.js';
import { DESTROY_DROPLET, PROVISION_DROPLET, type provisionRequest, SNAPSHOT_DROPLET } from './droplet.definitions.js';

/** Who asks: droplet commands on a droplet cloudledger does not manage need platform_admin. */
export interface DropletCaller {
  readonly role: Role;
}

/**
 * The droplet commands, each a saga: provision, destroy, snapshot. Destroy and snapshot act only on
 * a droplet cloudledger manages — in the inventory, not deleted, carrying the managed tag, read from
 * its resource stream so a droplet registered a moment ago counts — unless the caller is
 * platform_admin. Anything else is refused before a saga is started.
 */
export class DropletCommands {
  constructor(
    private readonly store: EventStore,
    private readonly sagas: SagaService,
  ) {}

  provision(request: z.input<typeof provisionRequest>, ctx: SagaCommandContext): Promise<{ sagaId: string }> {
    return this.sagas.start({ kind: 'provision', definition: PROVISION_DROPLET, inputs: request }, ctx);
  }

  async destroy(dropletId: number, ctx: SagaCommandContext, caller: DropletCaller): Promise<{ sagaId: string }> {
    await this.requireManaged(dropletId, caller, 'destroy');
    return this.sagas.start({ kind: 'destroy', definition: DESTROY_DROPLET, inputs: { dropletId } }, ctx);
  }

  async snapshot(dropletId: number, label: string | undefined, ctx: SagaCommandContext, caller: DropletCaller): Promise<{ sagaId: string }> {
    await this.requireManaged(dropletId, caller, 'snapshot');
    return this.sagas.start({ kind: 'snapshot', definition: SNAPSHOT_DROPLET, inputs: { dropletId, ...(label === undefined ? {} : { label }) } }, ctx);
  }

  private async requireManaged(dropletId: number, caller: DropletCaller, action: string): Promise<void> {
    if (roleAtLeast(caller.role, 'platform_admin')) return;
    const { state } = await loadStream(this.store, toResourceStream(dropletResourceId(dropletId)), resourceDecider);
    if (state.status === 'present' && isManaged(state.state.tags)) return;
    throw new Forbidden(`droplet ${dropletId} is not a droplet cloudledger manages: only platform_admin may ${action} it`, 'platform_admin');
  }
}
