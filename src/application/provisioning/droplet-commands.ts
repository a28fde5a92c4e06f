import type { z } from 'zod';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { Conflict } from '../../domain/errors.js';
import { dropletResourceId, isManaged } from '../../domain/inventory/resource.js';
import type { DeclaredSpec } from '../desired-state/declared-spec.js';
import { ResourceNotFound } from '../inventory/resource-history.js';
import { requireReach, type ResourceCaller, resourceInLog } from '../inventory/resource-reach.js';
import type { SagaCommandContext, SagaService } from '../saga/saga.service.js';
import { ADOPT_DROPLET, DESTROY_DROPLET, PROVISION_DROPLET, type provisionRequest, SNAPSHOT_DROPLET } from './droplet.definitions.js';

export class AlreadyManaged extends Conflict {
  override readonly name = 'AlreadyManaged';
  override readonly code = 'already_managed';
}

/**
 * The droplet commands, each a saga: provision, destroy, snapshot, adopt. Destroy and snapshot act only on
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

  async destroy(dropletId: number, ctx: SagaCommandContext, caller: ResourceCaller): Promise<{ sagaId: string }> {
    await this.requireManaged(dropletId, caller, 'destroy');
    return this.sagas.start({ kind: 'destroy', definition: DESTROY_DROPLET, inputs: { dropletId } }, ctx);
  }

  async snapshot(dropletId: number, label: string | undefined, ctx: SagaCommandContext, caller: ResourceCaller): Promise<{ sagaId: string }> {
    await this.requireManaged(dropletId, caller, 'snapshot');
    return this.sagas.start({ kind: 'snapshot', definition: SNAPSHOT_DROPLET, inputs: { dropletId, ...(label === undefined ? {} : { label }) } }, ctx);
  }

  /**
   * Puts a droplet made outside cloudledger under management (the route is platform_admin's): it
   * must be in the inventory (a sync has seen it) and not managed yet. The saga tags it and records
   * its spec, `spec` or its live state.
   */
  async adopt(dropletId: number, spec: DeclaredSpec | undefined, ctx: SagaCommandContext): Promise<{ sagaId: string }> {
    const state = await resourceInLog(this.store, dropletResourceId(dropletId));
    if (state.status !== 'present') throw new ResourceNotFound(`droplet ${dropletId} is not in the inventory: run a sync first`);
    if (isManaged(state.state.tags)) throw new AlreadyManaged(`droplet ${dropletId} is managed by cloudledger already: declare its spec instead`);
    return this.sagas.start({ kind: 'adopt', definition: ADOPT_DROPLET, inputs: { dropletId, ...(spec === undefined ? {} : { spec }) } }, ctx);
  }

  private async requireManaged(dropletId: number, caller: ResourceCaller, action: string): Promise<void> {
    requireReach(await resourceInLog(this.store, dropletResourceId(dropletId)), `droplet ${dropletId}`, caller, `${action} it`);
  }
}
