import { Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import type { InventorySync } from '../../../application/inventory/inventory-sync.js';
import { auditMoment, type ResourceHistory, ResourceNotFound } from '../../../application/inventory/resource-history.js';
import type { PgResourceReadModel } from '../../inventory/resource-read-model.js';
import type { PgSpecReadModel } from '../../inventory/spec-read-model.js';
import { ApiRoute } from '../api-route.decorator.js';
import { commandContext } from '../command-context.js';
import { pageQuery } from '../page-query.js';

export const INVENTORY_READ_MODEL = Symbol('InventoryReadModel');
export const SPEC_READ_MODEL = Symbol('SpecReadModel');
export const INVENTORY_SYNC = Symbol('InventorySync');
export const RESOURCE_HISTORY = Symbol('ResourceHistory');

const TAGS = ['inventory'];
const resourceParams = z.object({ id: z.string().min(1).max(256) });
const specParams = z.object({ resourceId: z.string().min(1).max(256) });
const listQuery = z.object({
  managed: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  status: z.string().min(1).max(32).optional(),
  tag: z.string().min(1).max(255).optional(),
  region: z.string().min(1).max(64).optional(),
  ...pageQuery(100),
});
const historyQuery = z.object({ asOf: auditMoment.optional() });
const resource = z.object({ resourceId: z.string(), name: z.string(), region: z.string(), sizeSlug: z.string(), status: z.string(), tags: z.array(z.string()), managed: z.boolean() }).loose();

@Controller('api/v1')
export class InventoryController {
  constructor(
    @Inject(INVENTORY_READ_MODEL) private readonly readModel: PgResourceReadModel,
    @Inject(SPEC_READ_MODEL) private readonly specs: PgSpecReadModel,
    @Inject(INVENTORY_SYNC) private readonly sync: InventorySync,
    @Inject(RESOURCE_HISTORY) private readonly history: ResourceHistory,
  ) {}

  @Get('resources')
  @ApiRoute({
    summary: 'The inventory: every droplet seen, managed or not; filter by managed, status, tag, region; paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of resources', schema: z.object({ items: z.array(resource), nextCursor: z.string().nullable() }) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    return this.readModel.listResources(query);
  }

  @Get('resources/:id')
  @ApiRoute({
    summary: 'One resource as the inventory has it',
    role: 'viewer',
    tags: TAGS,
    params: resourceParams,
    responses: { 200: { description: 'the resource', schema: resource }, 404: { description: 'not in the inventory' } },
  })
  async get(@Param() params: z.infer<typeof resourceParams>): Promise<unknown> {
    const found = await this.readModel.getResource(params.id);
    if (!found) throw new ResourceNotFound(`${params.id} is not in the inventory`);
    return found;
  }

  @Get('resources/:id/history')
  @ApiRoute({
    summary: 'Audit: every event about the resource (inventory, spec, drift, the sagas that touched it) with actor and cause; ?asOf=T: its state and spec then, replayed from the log',
    role: 'viewer',
    tags: TAGS,
    params: resourceParams,
    query: historyQuery,
    responses: { 200: { description: 'the events in order, or the state as of the time given' }, 404: { description: 'no event is about this resource' } },
  })
  async audit(@Param() params: z.infer<typeof resourceParams>, @Query() query: z.infer<typeof historyQuery>): Promise<unknown> {
    if (query.asOf) return this.history.asOf(params.id, new Date(query.asOf));
    return { resourceId: params.id, events: await this.history.history(params.id) };
  }

  @Get('specs/:resourceId')
  @ApiRoute({
    summary: 'The desired state of a resource and its version',
    role: 'viewer',
    tags: TAGS,
    params: specParams,
    responses: { 200: { description: 'the spec' }, 404: { description: 'no spec is recorded for it' } },
  })
  async spec(@Param() params: z.infer<typeof specParams>): Promise<unknown> {
    const found = await this.specs.getSpec(params.resourceId);
    if (!found) throw new ResourceNotFound(`no spec is recorded for ${params.resourceId}`);
    return found;
  }

  @Post('inventory/sync')
  @ApiRoute({
    summary: 'Run the inventory sync now: list every droplet and record what is new, changed or gone',
    role: 'operator',
    tags: TAGS,
    responses: { 201: { description: 'what the run found and appended' }, 409: { description: 'a sync is running already' } },
  })
  runSync(): Promise<unknown> {
    return this.sync.run(commandContext());
  }
}
