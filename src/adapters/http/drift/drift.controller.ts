import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { AcceptDrift, DetectDrift, ListOpenDrift, RevertDrift } from '../../dispatch/drift.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageQuery } from '../page-query.js';

const TAGS = ['drift'];
const params = z.object({ id: z.string().min(1).max(128) });
const inboxQuery = z.object(pageQuery(100));

@Controller('api/v1/drift')
export class DriftController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Get()
  @ApiRoute({
    summary: 'The open-drift inbox, newest first, each with its resource',
    role: 'viewer',
    tags: TAGS,
    query: inboxQuery,
    responses: { 200: { description: 'a page of open drift, and the cursor of the next' } },
  })
  inbox(@Query() query: z.infer<typeof inboxQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListOpenDrift(query), httpContext());
  }

  @Post('detect')
  @ApiRoute({
    summary: 'Run drift detection now: {checked, drifted_fields, new_drift, resolved_stale}',
    role: 'operator',
    tags: TAGS,
    responses: { 201: { description: 'what the run found' } },
  })
  detect(): Promise<unknown> {
    return this.dispatcher.command(new DetectDrift(), httpContext());
  }

  @Post(':id/accept')
  @ApiRoute({
    summary: 'Accept a drift: the live value becomes the spec (version + 1) and the drift closes as accepted',
    role: 'platform_admin',
    tags: TAGS,
    idempotent: true,
    params,
    responses: { 201: { description: 'the new spec version' }, 404: { description: 'no such drift' }, 409: { description: 'the drift is not open (or is being reverted)' } },
  })
  accept(@Param() path: z.infer<typeof params>): Promise<unknown> {
    return this.dispatcher.command(new AcceptDrift(path.id), httpContext());
  }

  @Post(':id/revert')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Revert a drift: a saga changes the droplet back to its spec (resize for size_slug, retag for tags) and closes the drift as reverted',
    role: 'platform_admin',
    tags: TAGS,
    idempotent: true,
    params,
    responses: {
      202: { description: 'accepted: the revert saga', schema: z.object({ sagaId: z.string(), resourceId: z.string() }) },
      404: { description: 'no such drift' },
      409: { description: 'the drift is not open, or a revert is running' },
      422: { description: 'the field cannot be reverted (region, image): accept it or replace the droplet' },
    },
  })
  revert(@Param() path: z.infer<typeof params>): Promise<unknown> {
    return this.dispatcher.command(new RevertDrift(path.id), httpContext());
  }
}
