import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import { InvalidInput } from '../../../domain/errors.js';
import { iacLockRequestSchema, iacLockSchema, lockIdSchema, lockTtlSchema } from '../../../domain/iac/iac-lock.js';
import { iacStateFilterFieldsSchema, iacStateRecordInputSchema, iacStateRecordSchema, resourceIdSchema } from '../../../domain/iac/iac-state.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import {
  DeleteIacState,
  ForceUnlockIacState,
  GetIacHistory,
  GetIacState,
  ListIacLocks,
  ListIacStates,
  LockIacState,
  RenewIacLock,
  SaveIacState,
  UnlockIacState,
} from '../../dispatch/iac.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageOf, pageQuery } from '../page-query.js';

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
const lockView = iacLockSchema.partial({ lockId: true });

@Controller('api/v1/iac')
export class IacStatesController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

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
    return this.dispatcher.query(new ListIacStates(filter, { limit, cursor }), httpContext());
  }

  @Get('locks')
  @ApiRoute({
    summary: 'Every live lock, by resource id: owner, operation, who and until when (the lock id only to platform_admin); paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: locksQuery,
    responses: { 200: { description: 'a page of locks', schema: pageOf(lockView) } },
  })
  locks(@Query() query: z.infer<typeof locksQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListIacLocks(query), httpContext());
  }

  @Get('states/:resourceId')
  @ApiRoute({
    summary: 'One IaC state record',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the record', schema: iacStateRecordSchema }, 404: { description: 'no such record' } },
  })
  get(@Param('resourceId') resourceId: string): Promise<unknown> {
    return this.dispatcher.query(new GetIacState(resourceId), httpContext());
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
    return this.dispatcher.command(new SaveIacState(body, query.lock_id), httpContext());
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
    await this.dispatcher.command(new DeleteIacState(resourceId, query.lock_id), httpContext());
  }

  @Get('states/:resourceId/history')
  @ApiRoute({
    summary: 'Every change of a record and its locks, with who and when (event-sourced backend); lock ids only to platform_admin',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the history, oldest first', schema: z.array(historyEntry) }, 422: { description: 'the S3 backend keeps no history' } },
  })
  history(@Param('resourceId') resourceId: string): Promise<unknown[]> {
    return this.dispatcher.query(new GetIacHistory(resourceId), httpContext());
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
    return this.dispatcher.command(new LockIacState(resourceId, body), httpContext());
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
    return this.dispatcher.command(new RenewIacLock(resourceId, body.lockId, body.ttlSeconds), httpContext());
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
    if (query.force === 'true') await this.dispatcher.command(new ForceUnlockIacState(resourceId, query.lock_id), httpContext());
    else await this.dispatcher.command(new UnlockIacState(resourceId, query.lock_id), httpContext());
  }
}
