import { Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { auditMoment } from '../../../application/inventory/resource-history.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { GetResource, GetResourceAsOf, GetInventorySummary, GetResourceHistory, ListResources, SyncInventory } from '../../dispatch/inventory.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageQuery } from '../page-query.js';

const TAGS = ['inventory'];
const resourceParams = z.object({ id: z.string().min(1).max(256) });
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
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Get('resources')
  @ApiRoute({
    summary: 'The inventory: every droplet seen, managed or not; filter by managed, status, tag, region; paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of resources', schema: z.object({ items: z.array(resource), nextCursor: z.string().nullable() }) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListResources(query), httpContext());
  }

  @Get('resources/:id')
  @ApiRoute({
    summary: 'One resource as the inventory has it',
    role: 'viewer',
    tags: TAGS,
    params: resourceParams,
    responses: { 200: { description: 'the resource', schema: resource }, 404: { description: 'not in the inventory' } },
  })
  get(@Param() params: z.infer<typeof resourceParams>): Promise<unknown> {
    return this.dispatcher.query(new GetResource(params.id), httpContext());
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
  audit(@Param() params: z.infer<typeof resourceParams>, @Query() query: z.infer<typeof historyQuery>): Promise<unknown> {
    if (query.asOf) return this.dispatcher.query(new GetResourceAsOf(params.id, new Date(query.asOf)), httpContext());
    return this.dispatcher.query(new GetResourceHistory(params.id), httpContext());
  }

  @Get('inventory/summary')
  @ApiRoute({
    summary: 'The fleet at a glance: resources, managed, unmanaged, coverage (managed / resources), open drift, and when the sync and drift detection last ran',
    role: 'viewer',
    tags: TAGS,
    responses: {
      200: {
        description: 'the counts and times',
        schema: z.object({
          resources: z.number().int(),
          managed: z.number().int(),
          unmanaged: z.number().int(),
          coverage: z.number(),
          openDrift: z.number().int(),
          lastSyncAt: z.string().nullable(),
          lastDetectAt: z.string().nullable(),
        }),
      },
    },
  })
  summary(): Promise<unknown> {
    return this.dispatcher.query(new GetInventorySummary(), httpContext());
  }

  @Post('inventory/sync')
  @ApiRoute({
    summary: 'Run the inventory sync now: list every droplet and record what is new, changed or gone',
    role: 'operator',
    tags: TAGS,
    responses: { 201: { description: 'what the run found and appended' }, 409: { description: 'a sync is running already' } },
  })
  runSync(): Promise<unknown> {
    return this.dispatcher.command(new SyncInventory(), httpContext());
  }
}
