import { Body, Controller, Delete, ForbiddenException, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import { roleAtLeast } from '../../../domain/access/roles.js';
import { InvalidInput, NotAllowed, NotFound } from '../../../domain/errors.js';
import { iacLockRequestSchema, iacLockSchema, lockIdSchema, lockTtlSchema, withoutLockId } from '../../../domain/iac/iac-lock.js';
import { IAC_STATE_STORE, type IacPage, type IacStateStore, hasHistory } from '../../../domain/iac/iac-state-store.port.js';
import { keysetCursor } from '../../persistence/keyset-cursor.js';
import { pageOf, pageQuery } from '../page-query.js';
import { iacStateFilterFieldsSchema, iacStateRecordInputSchema, iacStateRecordSchema, resourceIdSchema } from '../../../domain/iac/iac-state.js';
import { ApiRoute } from '../api-route.decorator.js';
import { commandContext } from '../command-context.js';
import { currentRequest } from '../request-context.js';

const TAGS = ['iac-state'];
const params = z.object({ resourceId: resourceIdSchema });
const lockIdQuery = z.object({ lock_id: lockIdSchema.optional() });
const unlockQuery = z.object({
  lock_id: lockIdSchema,
  force: z.enum(['true', 'false']).optional().describe('true: force-unlock (platform_admin), whoever holds the lock'),
});
const renewBody = z.strictObject({ lockId: lockIdSchema, ttlSeconds: lockTtlSchema });
const historyEntry = z.object({ type: z.string(), revision: z.string(), actor: z.string(), recordedAt: z.string() }).loose();
const listQuery = iacStateFilterFieldsSchema.extend(pageQuery(100));
const locksQuery = z.object(pageQuery(100));
const idCursor = keysetCursor(resourceIdSchema);
const lockView = iacLockSchema.partial({ lockId: true });

/** A page of an IaC list: one more than the limit is read, to know whether another page follows. */
async function pageOfIds<T>(read: (page: IacPage) => Promise<T[]>, idOf: (item: T) => string, query: { limit: number; cursor?: string }) {
  const items = await read({ limit: query.limit + 1, ...(query.cursor === undefined ? {} : { after: idCursor.decode(query.cursor)[0] }) });
  const page = items.slice(0, query.limit);
  return { items: page, nextCursor: items.length > query.limit ? idCursor.encode([idOf(page.at(-1)!)]) : null };
}

/** Lock ids are for their holder and platform_admin (to force-unlock): everyone else sees the lock without it. */
function seesLockIds(): boolean {
  const principal = currentRequest()?.principal;
  return principal !== undefined && roleAtLeast(principal.role, 'platform_admin');
}

/** A history entry's data without lock ids, for a caller who may not see them. */
function redactLockIds(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'lockId'));
}

@Controller('api/v1/iac')
export class IacStatesController {
  constructor(@Inject(IAC_STATE_STORE) private readonly store: IacStateStore) {}

  @Get('states')
  @ApiRoute({
    summary: 'List IaC state records by resource id, optionally filtered (empty or missing filter: all); paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of records', schema: pageOf(iacStateRecordSchema) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    const { limit, cursor, ...filter } = query;
    return pageOfIds((page) => this.store.list(filter, page), (record) => record.resource_id, { limit, cursor });
  }

  @Get('locks')
  @ApiRoute({
    summary: 'Every live lock, by resource id: owner, operation, who and until when (the lock id only to platform_admin); paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: locksQuery,
    responses: { 200: { description: 'a page of locks', schema: pageOf(lockView) } },
  })
  async locks(@Query() query: z.infer<typeof locksQuery>): Promise<unknown> {
    const page = await pageOfIds((p) => this.store.listLocks(p), (lock) => lock.resourceId, query);
    return seesLockIds() ? page : { ...page, items: page.items.map(withoutLockId) };
  }

  @Get('states/:resourceId')
  @ApiRoute({
    summary: 'One IaC state record',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the record', schema: iacStateRecordSchema }, 404: { description: 'no such record' } },
  })
  async get(@Param('resourceId') resourceId: string): Promise<unknown> {
    const record = await this.store.get(resourceId);
    if (!record) throw new NotFound(`no state record for ${resourceId}`);
    return record;
  }

  @Put('states/:resourceId')
  @ApiRoute({
    summary: 'Save (insert or replace) a record; on a locked record, pass the holder\'s lock_id',
    role: 'operator',
    tags: TAGS,
    params,
    query: lockIdQuery,
    body: iacStateRecordInputSchema,
    responses: { 200: { description: 'the saved record', schema: iacStateRecordSchema }, 409: { description: 'locked by someone else, or wrong lock id' } },
  })
  save(
    @Param('resourceId') resourceId: string,
    @Query() query: z.infer<typeof lockIdQuery>,
    @Body() body: z.infer<typeof iacStateRecordInputSchema>,
  ): Promise<unknown> {
    if (body.resource_id !== resourceId) {
      throw new InvalidInput([{ path: 'body.resource_id', message: `must equal the resource id in the path (${resourceId})` }]);
    }
    return this.store.save(body, { lockId: query.lock_id }, commandContext());
  }

  @Delete('states/:resourceId')
  @HttpCode(204)
  @ApiRoute({
    summary: 'Delete a record; on a locked record, pass the holder\'s lock_id',
    role: 'operator',
    tags: TAGS,
    params,
    query: lockIdQuery,
    responses: { 204: { description: 'deleted' }, 404: { description: 'no such record' }, 409: { description: 'locked by someone else, or wrong lock id' } },
  })
  async delete(@Param('resourceId') resourceId: string, @Query() query: z.infer<typeof lockIdQuery>): Promise<void> {
    await this.store.delete(resourceId, { lockId: query.lock_id }, commandContext());
  }

  @Get('states/:resourceId/history')
  @ApiRoute({
    summary: 'Every change of a record and its locks, with who and when (event-sourced backend); lock ids only to platform_admin',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the history, oldest first', schema: z.array(historyEntry) }, 422: { description: 'the S3 backend keeps no history' } },
  })
  async history(@Param('resourceId') resourceId: string): Promise<unknown[]> {
    if (!hasHistory(this.store)) throw new NotAllowed('this IaC state backend keeps no history (set IAC_STATE_BACKEND=event-sourced)');
    const entries = await this.store.history(resourceId);
    return seesLockIds() ? entries : entries.map((entry) => ({ ...entry, data: redactLockIds(entry.data) }));
  }

  @Post('states/:resourceId/lock')
  @ApiRoute({
    summary: 'Take the lock on a record (a lock that expired may be taken over)',
    role: 'operator',
    tags: TAGS,
    params,
    body: iacLockRequestSchema,
    responses: { 201: { description: 'the lock', schema: iacLockSchema }, 409: { description: 'held by someone else: the body has the lock' } },
  })
  lock(@Param('resourceId') resourceId: string, @Body() body: z.input<typeof iacLockRequestSchema>): Promise<unknown> {
    return this.store.lock(resourceId, body, commandContext());
  }

  @Post('states/:resourceId/lock/renew')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Extend the lock the caller holds',
    role: 'operator',
    tags: TAGS,
    params,
    body: renewBody,
    responses: { 200: { description: 'the renewed lock', schema: iacLockSchema }, 409: { description: 'not held under this lock id' } },
  })
  renew(@Param('resourceId') resourceId: string, @Body() body: z.infer<typeof renewBody>): Promise<unknown> {
    return this.store.renewLock(resourceId, body.lockId, { ttlSeconds: body.ttlSeconds }, commandContext());
  }

  @Delete('states/:resourceId/lock')
  @HttpCode(204)
  @ApiRoute({
    summary: 'Release the lock (lock_id of the holder); with force=true, force-unlock it: platform_admin only',
    role: 'operator',
    tags: TAGS,
    params,
    query: unlockQuery,
    responses: { 204: { description: 'released' }, 403: { description: 'force=true needs platform_admin' }, 409: { description: 'not held under this lock id' } },
  })
  async unlock(@Param('resourceId') resourceId: string, @Query() query: z.infer<typeof unlockQuery>): Promise<void> {
    if (query.force === 'true') {
      const principal = currentRequest()?.principal;
      if (!principal || !roleAtLeast(principal.role, 'platform_admin')) {
        throw new ForbiddenException({ error: 'forbidden', message: 'force-unlock needs the platform_admin role', requiredRole: 'platform_admin', tokenRole: principal?.role });
      }
      await this.store.forceUnlock(resourceId, query.lock_id, commandContext());
      return;
    }
    await this.store.unlock(resourceId, query.lock_id, commandContext());
  }
}
