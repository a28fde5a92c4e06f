import { Body, Controller, Delete, ForbiddenException, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import { roleAtLeast } from '../../../domain/access/roles.js';
import { InvalidInput, NotAllowed, NotFound } from '../../../domain/errors.js';
import { iacLockRequestSchema, iacLockSchema, lockIdSchema, lockTtlSchema } from '../../../domain/iac/iac-lock.js';
import { IAC_STATE_STORE, type IacStateStore, hasHistory } from '../../../domain/iac/iac-state-store.port.js';
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

@Controller('api/v1/iac/states')
export class IacStatesController {
  constructor(@Inject(IAC_STATE_STORE) private readonly store: IacStateStore) {}

  @Get()
  @ApiRoute({
    summary: 'List IaC state records, optionally filtered (empty or missing filter: all)',
    role: 'viewer',
    tags: TAGS,
    query: iacStateFilterFieldsSchema,
    responses: { 200: { description: 'the records', schema: z.array(iacStateRecordSchema) } },
  })
  list(@Query() filter: z.infer<typeof iacStateFilterFieldsSchema>): Promise<unknown[]> {
    return this.store.list(filter);
  }

  @Get(':resourceId')
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

  @Put(':resourceId')
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

  @Delete(':resourceId')
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

  @Get(':resourceId/history')
  @ApiRoute({
    summary: 'Every change of a record and its locks, with who and when (event-sourced backend)',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the history, oldest first', schema: z.array(historyEntry) }, 422: { description: 'the S3 backend keeps no history' } },
  })
  async history(@Param('resourceId') resourceId: string): Promise<unknown[]> {
    if (!hasHistory(this.store)) throw new NotAllowed('this IaC state backend keeps no history (set IAC_STATE_BACKEND=event-sourced)');
    return this.store.history(resourceId);
  }

  @Post(':resourceId/lock')
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

  @Post(':resourceId/lock/renew')
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

  @Delete(':resourceId/lock')
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
