import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { declaredSpec } from '../../../application/desired-state/declared-spec.js';
import type { SpecAnswer } from '../../../application/desired-state/desired-state.service.js';
import { InvalidInput } from '../../../domain/errors.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { ApplySpec, DeclareSpec, GetSpec } from '../../dispatch/specs.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';

const TAGS = ['specs'];
const params = z.object({ resourceId: z.string().min(1).max(256) });
const change = z.object({ field: z.string(), desired: z.unknown(), live: z.unknown(), action: z.enum(['resize', 'retag', 'replace_required', 'not_convergible']) });
const plan = z.object({ converged: z.boolean(), changes: z.array(change), applicable: z.array(z.enum(['size_slug', 'tags'])) });
const specAnswer = z.object({
  resourceId: z.string(),
  spec: z.record(z.string(), z.unknown()),
  specVersion: z.number().int(),
  recordedAt: z.string(),
  recordedBy: z.string(),
  removedAt: z.string().nullable(),
  plan: plan.nullable(),
});
const etag = 'ETag: the spec version, quoted ("3"): send it back as If-Match';

/**
 * `If-Match: "<version>"` (RFC 9110; `W/"3"` and a bare 3 are taken too, `"0"` for "no spec yet",
 * `*` or none for "whatever is there") as the version the caller read.
 */
function expectedVersionOf(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch);
  if (!match) throw new InvalidInput([{ path: 'If-Match', message: 'must be the spec version as an entity tag, e.g. "3" (from the ETag of a spec answer)' }]);
  return Number(match[1]);
}

function withEtag(response: Response, answer: SpecAnswer): SpecAnswer {
  response.setHeader('etag', `"${answer.specVersion}"`);
  return answer;
}

/** Desired state: read a spec with its plan, declare one (If-Match), apply it. */
@Controller('api/v1/specs')
export class SpecsController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Get(':resourceId')
  @ApiRoute({
    summary: 'The desired state of a resource, its version (also the ETag) and the plan: each field where the live resource differs, and what converging it takes',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: `the spec and its plan; ${etag}`, schema: specAnswer }, 404: { description: 'no spec is recorded for it' } },
  })
  async get(@Param() path: z.infer<typeof params>, @Res({ passthrough: true }) response: Response): Promise<SpecAnswer> {
    return withEtag(response, await this.dispatcher.query(new GetSpec(path.resourceId), httpContext()));
  }

  @Put(':resourceId')
  @ApiRoute({
    summary:
      'Declare the desired spec {size_slug?, region?, image?, tags?} (replaces the one recorded; version + 1). If-Match: "<version>" makes it conditional. The answer carries the plan; nothing changes in the cloud until apply. A resource cloudledger does not manage needs platform_admin',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    params,
    body: declaredSpec,
    responses: {
      200: { description: `the spec recorded and its plan; ${etag}`, schema: specAnswer },
      400: { description: 'field issues, or an If-Match that is not a version' },
      403: { description: 'the resource is not managed and the caller is not platform_admin' },
      404: { description: 'the resource is not in the inventory (sync first) or is deleted' },
      412: { description: 'If-Match names another version than the current one: read the spec again' },
    },
  })
  async declare(
    @Param() path: z.infer<typeof params>,
    @Body() body: z.infer<typeof declaredSpec>,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SpecAnswer> {
    const answer = await this.dispatcher.command(new DeclareSpec(path.resourceId, body, expectedVersionOf(ifMatch)), httpContext());
    return withEtag(response, answer);
  }

  @Post(':resourceId/apply')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Apply the spec: a saga converges the droplet (resize, retag: the drift revert\'s steps) and records it; region and image are left (they need a new droplet)',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    params,
    responses: {
      202: {
        description: 'accepted: the apply saga, the fields it converges and the differences it leaves',
        schema: z.object({ sagaId: z.string(), resourceId: z.string(), specVersion: z.number().int(), converging: z.array(z.string()), left: z.array(change) }),
      },
      403: { description: 'the resource is not managed and the caller is not platform_admin' },
      404: { description: 'no spec, or no live resource' },
      409: { description: 'nothing to apply: the droplet agrees with its spec, or only replace_required fields differ' },
    },
  })
  apply(@Param() path: z.infer<typeof params>): Promise<unknown> {
    return this.dispatcher.command(new ApplySpec(path.resourceId), httpContext());
  }
}
