import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { driftPolicyRequestSchema } from '../../../domain/drift/drift-policy.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { AcceptDrift, DetectDrift, GetDrift, GROUP_ACTION_LIMIT, IgnoreDrift, ListDrift, ListDriftGroups, ResolveDriftGroup, RevertDrift } from '../../dispatch/drift.js';
import { GROUP_ID_PATTERN } from '../../inventory/drift-inbox.js';
import { ApiRoute, type ApiRouteSpec } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageOf, pageQuery } from '../page-query.js';

const TAGS = ['drift'];
const params = z.object({ id: z.string().min(1).max(128) });
const DRIFT_STATUSES = ['open', 'ignored', 'accepted', 'reverted', 'stale', 'resource_deleted', 'all'] as const;
const listQuery = z.object({
  status: z.enum(DRIFT_STATUSES).default('open'),
  resourceId: z.string().min(1).max(256).optional(),
  field: z.string().min(1).max(128).optional(),
  ...pageQuery(100),
});
const groupsQuery = z.object(pageQuery(100));
const groupParams = z.object({ groupId: z.string().regex(GROUP_ID_PATTERN, 'a group id as GET /api/v1/drift/groups answers it: 20 hex digits') });
const dryRunQuery = z.object({ dryRun: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });
const ignoreTerms = driftPolicyRequestSchema.pick({ owner: true, reason: true, expiresAt: true }).shape;
const ignoreBody = z.strictObject(ignoreTerms);
/** The dry run's list, sent back with the real run: it acts on exactly these. */
const frozenList = { driftIds: z.array(z.string().min(1).max(128)).min(1).max(GROUP_ACTION_LIMIT).optional() };
// a body is optional on accept and revert: none acts on the group as it stands
const groupBody = z.strictObject(frozenList).optional();
// the terms are needed to act, not to see what would be touched: a dry run may leave them out
const ignoreGroupBody = z
  .strictObject({ ...z.object(ignoreTerms).partial().shape, ...frozenList })
  .refine((b) => [b.owner, b.reason, b.expiresAt].every((v) => v === undefined) || [b.owner, b.reason, b.expiresAt].every((v) => v !== undefined), 'give owner, reason and expiresAt together')
  .optional();

const drift = z
  .object({
    id: z.string(),
    resourceId: z.string(),
    field: z.string(),
    expected: z.unknown(),
    actual: z.unknown(),
    status: z.enum(DRIFT_STATUSES.filter((s) => s !== 'all') as [string, ...string[]]),
    detectedAt: z.string(),
    resolvedAt: z.string().nullable(),
    policyId: z.string().nullable(),
    ignoredUntil: z.string().nullable(),
  })
  .loose();
const group = z.object({ groupId: z.string(), field: z.string(), expected: z.unknown(), actual: z.unknown(), count: z.number(), oldestDetectedAt: z.string(), newestDetectedAt: z.string() });
const groupItem = z.object({ driftId: z.string(), resourceId: z.string() });
const groupAnswer = z.union([
  z.object({ groupId: z.string(), action: z.string(), dryRun: z.literal(true), items: z.array(groupItem), limit: z.number(), more: z.boolean() }),
  z.object({
    groupId: z.string(),
    action: z.string(),
    dryRun: z.literal(false),
    items: z.array(
      groupItem.extend({ outcome: z.enum(['succeeded', 'failed']), error: z.object({ code: z.string(), message: z.string() }).optional(), result: z.unknown().optional() }),
    ),
    succeeded: z.number(),
    failed: z.number(),
    limit: z.number(),
    more: z.boolean(),
  }),
]);
/** What the three group actions declare alike: platform_admin, idempotent, the group id, ?dryRun, their answer. */
const groupRoute = (summary: string, body: z.ZodType, extra: Record<number, { description: string }> = {}): ApiRouteSpec => ({
  summary,
  role: 'platform_admin',
  tags: TAGS,
  idempotent: true,
  params: groupParams,
  query: dryRunQuery,
  body,
  responses: groupResponses(extra),
});
const groupResponses = (extra: Record<number, { description: string }> = {}) => ({
  200: {
    description: `with dryRun=true, {dryRun: true, items} — the drifts it would touch, nothing touched; otherwise each item's outcome and the counts. At most ${GROUP_ACTION_LIMIT} drifts, the oldest first; \`more\` says the group holds others (run it again)`,
    schema: groupAnswer,
  },
  404: { description: 'no open drift has this group id' },
  ...extra,
});

@Controller('api/v1/drift')
export class DriftController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Get()
  @ApiRoute({
    summary: 'Drift newest first, each with its resource: the open inbox by default; status=ignored|accepted|reverted|stale|resource_deleted|all, resourceId, field narrow it',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of drift, and the cursor of the next', schema: pageOf(drift) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListDrift(query), httpContext());
  }

  @Get('groups')
  @ApiRoute({
    summary: 'Open drift grouped by cause (field, spec value, live value), the largest groups first, with counts and age',
    role: 'viewer',
    tags: TAGS,
    query: groupsQuery,
    responses: { 200: { description: 'a page of groups', schema: pageOf(group) } },
  })
  groups(@Query() query: z.infer<typeof groupsQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListDriftGroups(query), httpContext());
  }

  @Post('groups/:groupId/accept')
  @HttpCode(200)
  @ApiRoute(groupRoute('Accept every open drift of a group, each as its own AcceptDrift; ?dryRun=true lists them and touches nothing', groupBody))
  acceptGroup(@Param() path: z.infer<typeof groupParams>, @Query() query: z.infer<typeof dryRunQuery>, @Body() body: z.infer<typeof groupBody>): Promise<unknown> {
    return this.dispatcher.command(new ResolveDriftGroup(path.groupId, 'accept', query.dryRun, null, body?.driftIds ?? null), httpContext());
  }

  @Post('groups/:groupId/revert')
  @HttpCode(200)
  @ApiRoute(groupRoute('Revert every open drift of a group, each as its own RevertDrift (a saga per drift); ?dryRun=true lists them and touches nothing', groupBody))
  revertGroup(@Param() path: z.infer<typeof groupParams>, @Query() query: z.infer<typeof dryRunQuery>, @Body() body: z.infer<typeof groupBody>): Promise<unknown> {
    return this.dispatcher.command(new ResolveDriftGroup(path.groupId, 'revert', query.dryRun, null, body?.driftIds ?? null), httpContext());
  }

  @Post('groups/:groupId/ignore')
  @HttpCode(200)
  @ApiRoute(
    groupRoute(
      'Ignore every open drift of a group until expiresAt, each under a policy made for its resource and field; ?dryRun=true lists them and touches nothing',
      ignoreGroupBody,
      { 400: { description: 'bad input, or expiresAt past or more than 180 days away' } },
    ),
  )
  ignoreGroup(@Param() path: z.infer<typeof groupParams>, @Query() query: z.infer<typeof dryRunQuery>, @Body() body: z.infer<typeof ignoreGroupBody>): Promise<unknown> {
    const { driftIds, owner, reason, expiresAt } = body ?? {};
    const terms = owner !== undefined && reason !== undefined && expiresAt !== undefined ? { owner, reason, expiresAt } : null;
    return this.dispatcher.command(new ResolveDriftGroup(path.groupId, 'ignore', query.dryRun, terms, driftIds ?? null), httpContext());
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

  @Get(':id')
  @ApiRoute({
    summary: 'One drift, whatever its status, with its resource, and the policy it is (or was last) ignored under',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the drift', schema: drift }, 404: { description: 'no such drift' } },
  })
  get(@Param() path: z.infer<typeof params>): Promise<unknown> {
    return this.dispatcher.query(new GetDrift(path.id), httpContext());
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

  @Post(':id/ignore')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Ignore one open drift until expiresAt {owner, reason, expiresAt}: a policy made for its resource and field alone; it opens again at the first detection after expiresAt',
    role: 'platform_admin',
    tags: TAGS,
    idempotent: true,
    params,
    body: ignoreBody,
    responses: {
      200: { description: 'ignored: the policy made for it', schema: z.object({ resourceId: z.string(), policyId: z.string(), ignoredUntil: z.string() }) },
      400: { description: 'bad input, or expiresAt past or more than 180 days away' },
      404: { description: 'no such drift' },
      409: { description: 'the drift is not open (or is being reverted)' },
    },
  })
  ignore(@Param() path: z.infer<typeof params>, @Body() body: z.infer<typeof ignoreBody>): Promise<unknown> {
    return this.dispatcher.command(new IgnoreDrift(path.id, body), httpContext());
  }
}
