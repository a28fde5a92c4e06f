import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { driftPolicyRequestSchema, MAX_POLICY_DAYS } from '../../../domain/drift/drift-policy.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { CreateDriftPolicy, EndDriftPolicy, ListDriftPolicies } from '../../dispatch/drift.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageOf, pageQuery } from '../page-query.js';

const TAGS = ['drift'];
const params = z.object({ policyId: z.string().min(1).max(128) });
const listQuery = z.object(pageQuery(100));
const policy = z.object({
  policyId: z.string(),
  resource: z.string(),
  field: z.string(),
  owner: z.string(),
  reason: z.string(),
  expiresAt: z.string(),
  status: z.enum(['live', 'expired', 'ended']),
  createdAt: z.string(),
  createdBy: z.string(),
  endedAt: z.string().nullable(),
  endedBy: z.string().nullable(),
  ignoring: z.number(),
  matched: z.number(),
});

/**
 * Ignore policies. Registered before DriftController, whose `GET :id` would otherwise take
 * `/drift/policies` for a drift id.
 */
@Controller('api/v1/drift/policies')
export class DriftPoliciesController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Post()
  @ApiRoute({
    summary: `Ignore drift: {resource (glob over ids or names), field (glob over field paths, or tags:<glob>), owner, reason, expiresAt (at most ${MAX_POLICY_DAYS} days away)}. Applied at once: matching open drift becomes ignored`,
    role: 'platform_admin',
    tags: TAGS,
    idempotent: true,
    body: driftPolicyRequestSchema,
    responses: { 201: { description: 'the policy, with what it ignores and has matched', schema: policy }, 400: { description: 'bad input, or expiresAt past or too far away' } },
  })
  create(@Body() body: z.infer<typeof driftPolicyRequestSchema>): Promise<unknown> {
    return this.dispatcher.command(new CreateDriftPolicy(body), httpContext());
  }

  @Get()
  @ApiRoute({
    summary: 'Every policy, newest first: live, expired or ended, with how much drift each ignores now and has ever matched',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of policies', schema: pageOf(policy) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListDriftPolicies(query), httpContext());
  }

  @Delete(':policyId')
  @HttpCode(204)
  @ApiRoute({
    summary: 'End a policy before its time; the drift it ignored opens again at once',
    role: 'platform_admin',
    tags: TAGS,
    params,
    responses: { 204: { description: 'ended (or already ended)' }, 404: { description: 'no such policy' } },
  })
  async end(@Param() path: z.infer<typeof params>): Promise<void> {
    await this.dispatcher.command(new EndDriftPolicy(path.policyId), httpContext());
  }
}
