import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { SyncReport } from '../../application/inventory/inventory-sync.js';
import { DRIFT_DETECTION_JOB, INVENTORY_SYNC_JOB } from '../../domain/inventory/job-run.events.js';
import { type HistoryEntry, type ResourceAsOf, ResourceNotFound } from '../../application/inventory/resource-history.js';
import type { Application } from '../app/application.js';
import type { Page } from '../inventory/read-model-sql.js';
import type { ResourceFilter } from '../inventory/resource-read-model.js';
import type { ResourceView } from '../inventory/resource-row.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery } from './dispatch-context.js';

/** Lists every droplet and records what is new, changed or gone. */
export class SyncInventory extends AppCommand<SyncReport> {}

export class ListResources extends AppQuery<Page<ResourceView>> {
  constructor(readonly filter: ResourceFilter) {
    super();
  }
}

/** One resource as the inventory has it; ResourceNotFound when it has none. */
export class GetResource extends AppQuery<ResourceView> {
  constructor(readonly resourceId: string) {
    super();
  }
}

/** Every event about a resource, with actor and cause, from the log. */
export class GetResourceHistory extends AppQuery<{ resourceId: string; events: HistoryEntry[] }> {
  constructor(readonly resourceId: string) {
    super();
  }
}

/** A resource's state and spec at a moment, replayed from the log. */
export class GetResourceAsOf extends AppQuery<ResourceAsOf> {
  constructor(
    readonly resourceId: string,
    readonly moment: Date,
  ) {
    super();
  }
}

export interface InventorySummary {
  readonly resources: number;
  readonly managed: number;
  readonly unmanaged: number;
  /** managed / resources, 0 to 1 (1 for an empty fleet: nothing is unmanaged). */
  readonly coverage: number;
  readonly openDrift: number;
  readonly lastSyncAt: string | null;
  readonly lastDetectAt: string | null;
}

/** How much of the fleet is managed, how much drift is open, and when the sync and detection last ran. */
export class GetInventorySummary extends AppQuery<InventorySummary> {}

@CommandHandler(SyncInventory)
export class SyncInventoryHandler implements ICommandHandler<SyncInventory> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: SyncInventory): Promise<SyncReport> {
    return this.app.sync.run(command.context);
  }
}

@QueryHandler(ListResources)
export class ListResourcesHandler implements IQueryHandler<ListResources> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListResources): Promise<Page<ResourceView>> {
    return this.app.resources.listResources(query.filter);
  }
}

@QueryHandler(GetResource)
export class GetResourceHandler implements IQueryHandler<GetResource> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: GetResource): Promise<ResourceView> {
    const found = await this.app.resources.getResource(query.resourceId);
    if (!found) throw new ResourceNotFound(`${query.resourceId} is not in the inventory`);
    return found;
  }
}

@QueryHandler(GetResourceHistory)
export class GetResourceHistoryHandler implements IQueryHandler<GetResourceHistory> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: GetResourceHistory): Promise<{ resourceId: string; events: HistoryEntry[] }> {
    return { resourceId: query.resourceId, events: await this.app.history.history(query.resourceId) };
  }
}

@QueryHandler(GetResourceAsOf)
export class GetResourceAsOfHandler implements IQueryHandler<GetResourceAsOf> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: GetResourceAsOf): Promise<ResourceAsOf> {
    return this.app.history.asOf(query.resourceId, query.moment);
  }
}

@QueryHandler(GetInventorySummary)
export class GetInventorySummaryHandler implements IQueryHandler<GetInventorySummary> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(): Promise<InventorySummary> {
    const [counts, lastSyncAt, lastDetectAt] = await Promise.all([
      this.app.resources.fleetCounts(),
      this.app.jobRuns.lastRunAt(INVENTORY_SYNC_JOB),
      this.app.jobRuns.lastRunAt(DRIFT_DETECTION_JOB),
    ]);
    const { resources, managed, openDrift } = counts;
    const coverage = resources === 0 ? 1 : Math.round((managed / resources) * 1000) / 1000;
    return { resources, managed, unmanaged: resources - managed, coverage, openDrift, lastSyncAt, lastDetectAt };
  }
}

export const inventoryHandlers = [
  SyncInventoryHandler,
  ListResourcesHandler,
  GetResourceHandler,
  GetResourceHistoryHandler,
  GetResourceAsOfHandler,
  GetInventorySummaryHandler,
];
