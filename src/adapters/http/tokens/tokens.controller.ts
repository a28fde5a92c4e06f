import { Controller, Get, Inject, Query } from '@nestjs/common';
import { z } from 'zod';
import { ROLES } from '../../../domain/access/roles.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { ListTokens } from '../../dispatch/tokens.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageOf, pageQuery } from '../page-query.js';
import { currentRequest } from '../request-context.js';

const TAGS = ['tokens'];
const listQuery = z.object({ all: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), ...pageQuery(100) });
const listing = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  tokenPrefix: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const me = z.object({ tokenId: z.string(), name: z.string(), role: z.enum(ROLES), expiresAt: z.string().nullable() });

/** Who am I, and which tokens exist (never the tokens themselves: only their hashes are kept). */
@Controller('api/v1')
export class TokensController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Get('me')
  @ApiRoute({
    summary: 'The calling token: its name, role and expiry (what a console shows and which actions it offers)',
    role: 'viewer',
    tags: TAGS,
    responses: { 200: { description: 'the caller', schema: me } },
  })
  me(): z.infer<typeof me> {
    const principal = currentRequest()!.principal!;
    return { tokenId: principal.tokenId, name: principal.name, role: principal.role, expiresAt: principal.expiresAt?.toISOString() ?? null };
  }

  @Get('tokens')
  @ApiRoute({
    summary: 'API tokens, oldest first (with all=true, revoked ones too): names, roles, prefixes, expiry and last use; paginate with cursor',
    role: 'platform_admin',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of tokens', schema: pageOf(listing) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListTokens({ includeRevoked: query.all ?? false, limit: query.limit, cursor: query.cursor }), httpContext());
  }
}
