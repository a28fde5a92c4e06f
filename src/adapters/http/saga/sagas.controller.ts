import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { sagaStartSchema } from '../../../domain/saga/saga-definitions.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { CancelSaga, GetSaga, ListSagaEvents, ListSagas, RetrySagaCompensation, StartSaga } from '../../dispatch/sagas.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';
import { pageOf, pageQuery } from '../page-query.js';

const TAGS = ['sagas'];
const SAGA_STATUSES = ['running', 'compensating', 'stuck', 'completed', 'rolled_back', 'cancelled', 'failed'] as const;
const params = z.object({ id: z.string().min(1).max(128) });
const listQuery = z.object({
  status: z.enum(SAGA_STATUSES).optional(),
  kind: z.string().min(1).max(64).optional(),
  deploymentId: z.string().min(1).max(128).optional(),
  definition: z.string().min(1).max(64).optional(),
  resourceId: z.string().min(1).max(256).optional(),
  startedAfter: z.iso.datetime({ offset: true }).optional(),
  startedBefore: z.iso.datetime({ offset: true }).optional(),
  ...pageQuery(50),
});
// a saga's events page by revision: the cursor is the revision the next page starts at
const eventsQuery = z.object({ ...pageQuery(500), cursor: z.string().regex(/^\d{1,19}$/, 'must be a cursor from nextCursor').optional() });
// the body is optional: a POST with none cancels without a reason
const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(1024).optional() }).optional();

const summary = z
  .object({
    id: z.string(),
    kind: z.string(),
    definition: z.string(),
    version: z.number(),
    status: z.string(),
    currentStep: z.string().nullable(),
    deploymentId: z.string().nullable(),
    triggeredBy: z.string(),
    startedAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
  })
  .loose();
const attempt = z.object({
  attempt: z.number(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: z.string(),
  error: z.string().nullable(),
  code: z.string().nullable(),
  waits: z.number(),
});
const compensationAttempt = z.object({ attempt: z.number(), at: z.string(), outcome: z.string(), error: z.string().nullable() });
const stepView = z
  .object({
    index: z.number(),
    name: z.string(),
    status: z.string(),
    attempts: z.number(),
    output: z.unknown(),
    error: z.string().nullable(),
    compensated: z.boolean(),
    attemptHistory: z.array(attempt),
    compensationHistory: z.array(compensationAttempt),
  })
  .loose();
const sagaView = summary.extend({ stuckReason: z.string().nullable(), inputs: z.record(z.string(), z.unknown()), steps: z.array(stepView) });

@Controller('api/v1/sagas')
export class SagasController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Post()
  @HttpCode(202)
  @ApiRoute({
    summary: 'Start a saga: {kind, definition, inputs, deploymentId?}; the workers run it. Only definitions that declare the caller\'s role may start them (internal ones, such as revert_drift, start through their own routes)',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    body: sagaStartSchema,
    responses: {
      202: { description: 'accepted: the saga id', schema: z.object({ sagaId: z.string() }) },
      400: { description: 'unknown definition (or one not startable here), or inputs that do not fit it (field issues); nothing is written' },
      403: { description: 'the definition needs a higher role' },
    },
  })
  start(@Body() body: unknown): Promise<{ sagaId: string }> {
    return this.dispatcher.command(new StartSaga(body), httpContext());
  }

  @Get()
  @ApiRoute({
    summary: 'List sagas, newest first, filtered by status, kind, definition, deployment, the resource acted on, and when they started (startedAfter inclusive, startedBefore exclusive); paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of sagas', schema: pageOf(summary) } },
  })
  list(@Query() query: z.infer<typeof listQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListSagas(query), httpContext());
  }

  @Get(':id')
  @ApiRoute({
    summary: 'One saga with its step timeline, every attempt of every step with its error, read from its stream (always current)',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the saga', schema: sagaView }, 404: { description: 'no such saga' } },
  })
  get(@Param('id') id: string): Promise<unknown> {
    return this.dispatcher.query(new GetSaga(id), httpContext());
  }

  @Get(':id/events')
  @ApiRoute({
    summary: "The saga's own events in order, each decoded with its actor, correlation and cause; page with limit and cursor",
    role: 'viewer',
    tags: TAGS,
    params,
    query: eventsQuery,
    responses: {
      200: {
        description: 'a page of events',
        schema: pageOf(
          z.object({ revision: z.string(), type: z.string(), recordedAt: z.string(), actor: z.string(), correlationId: z.string(), causationId: z.string().nullable(), data: z.unknown() }),
        ),
      },
      404: { description: 'no such saga' },
    },
  })
  events(@Param('id') id: string, @Query() query: z.infer<typeof eventsQuery>): Promise<unknown> {
    return this.dispatcher.query(new ListSagaEvents(id, query), httpContext());
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Request cancellation {reason?}: completed steps are compensated in reverse order, then the saga ends cancelled; the reason shows as cancelReason',
    role: 'operator',
    tags: TAGS,
    params,
    body: cancelBody,
    responses: {
      202: { description: 'cancellation requested (asking again is the same request)', schema: sagaView },
      404: { description: 'no such saga' },
      409: { description: 'the saga already finished or is already rolling back' },
    },
  })
  cancel(@Param('id') id: string, @Body() body: z.infer<typeof cancelBody>): Promise<unknown> {
    return this.dispatcher.command(new CancelSaga(id, body?.reason), httpContext());
  }

  @Post(':id/retry-compensation')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Try a failed saga\'s compensation again (after fixing what made it fail): it compensates again, each exhausted step with fresh attempts',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    params,
    responses: {
      202: { description: 'compensating again', schema: sagaView },
      404: { description: 'no such saga' },
      409: { description: 'the saga has not failed: there is no compensation to retry' },
    },
  })
  retryCompensation(@Param('id') id: string): Promise<unknown> {
    return this.dispatcher.command(new RetrySagaCompensation(id), httpContext());
  }
}
