import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { z } from 'zod';
import type { DeclaredSpec } from '../../application/desired-state/declared-spec.js';
import type { provisionRequest } from '../../application/provisioning/droplet.definitions.js';
import type { Application } from '../app/application.js';
import { APPLICATION } from './application-token.js';
import { AppCommand } from './dispatch-context.js';

type Started = { sagaId: string };

/** Provisions a droplet: a saga creates it, waits until it is active, and registers it with its spec. */
export class ProvisionDroplet extends AppCommand<Started> {
  constructor(readonly request: z.input<typeof provisionRequest>) {
    super();
  }
}

/** Destroys a droplet (a saga); one cloudledger does not manage needs platform_admin. */
export class DestroyDroplet extends AppCommand<Started> {
  constructor(readonly dropletId: number) {
    super();
  }
}

/** Snapshots a droplet (a saga); one cloudledger does not manage needs platform_admin. */
export class SnapshotDroplet extends AppCommand<Started> {
  constructor(
    readonly dropletId: number,
    readonly label: string | undefined,
  ) {
    super();
  }
}

/** Puts a droplet made outside cloudledger under management (a saga): tagged managed, its spec recorded. */
export class AdoptDroplet extends AppCommand<Started> {
  constructor(
    readonly dropletId: number,
    readonly spec: DeclaredSpec | undefined,
  ) {
    super();
  }
}

@CommandHandler(ProvisionDroplet)
export class ProvisionDropletHandler implements ICommandHandler<ProvisionDroplet> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: ProvisionDroplet): Promise<Started> {
    return this.app.droplets.provision(command.request, command.context);
  }
}

@CommandHandler(DestroyDroplet)
export class DestroyDropletHandler implements ICommandHandler<DestroyDroplet> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: DestroyDroplet): Promise<Started> {
    return this.app.droplets.destroy(command.dropletId, command.context, command.context);
  }
}

@CommandHandler(SnapshotDroplet)
export class SnapshotDropletHandler implements ICommandHandler<SnapshotDroplet> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: SnapshotDroplet): Promise<Started> {
    return this.app.droplets.snapshot(command.dropletId, command.label, command.context, command.context);
  }
}

@CommandHandler(AdoptDroplet)
export class AdoptDropletHandler implements ICommandHandler<AdoptDroplet> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: AdoptDroplet): Promise<Started> {
    return this.app.droplets.adopt(command.dropletId, command.spec, command.context);
  }
}

export const dropletHandlers = [ProvisionDropletHandler, DestroyDropletHandler, SnapshotDropletHandler, AdoptDropletHandler];
