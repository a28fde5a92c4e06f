import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import type { SagaReadModel } from '../../../application/saga/saga.ports.js';
import type { SagaService } from '../../../application/saga/saga.service.js';
import { InvalidInput } from '../../../domain/errors.js';
import { sagaStartSchema } from '../../../domain/saga/saga-definitions.js';
import { ApiRoute } from '../api-route.decorator.js';
import { commandContext } from '../command-context.js';
import { pageQuery } from '../page-query.js';

export const SAGA_SERVICE = Symbol('SagaService');
export const SAGA_READ_MODEL = Symbol('SagaReadModel');

const TAGS = ['sagas'];
const SAGA_STATUSES = ['running', 'compensating', 'completed', 'rolled_back', 'cancelled', 'failed'] as const;
const params = z.object({ id: z.string().min(1).max(128) });
const listQuery = z.object({
  status: z.enum(SAGA_STATUSES).optional(),
  kind: z.string().min(1).max(64).optional(),
  deploymentId: z.string().min(1).max(128).optional(),
  ...pageQuery(50),
});

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
const stepView = z
  .object({ index: z.number(), name: z.string(), status: z.string(), attempts: z.number(), output: z.unknown(), error: z.string().nullable(), compensated: z.boolean() })
  .loose();
const sagaView = summary.extend({ inputs: z.record(z.string(), z.unknown()), steps: z.array(stepView) });

@Controller('api/v1/sagas')
export class SagasController {
  constructor(
    @Inject(SAGA_SERVICE) private readonly sagas: SagaService,
    @Inject(SAGA_READ_MODEL) private readonly readModel: SagaReadModel,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiRoute({
    summary: 'Start a saga: {kind, definition, inputs, deploymentId?}; the workers run it',
    role: 'operator',
    tags: TAGS,
    body: sagaStartSchema,
    responses: {
      202: { description: 'accepted: the saga id', schema: z.object({ sagaId: z.string() }) },
      400: { description: 'unknown definition or inputs that do not fit it (field issues); nothing is written' },
    },
  })
  start(@Body() body: unknown): Promise<{ sagaId: string }> {
    return this.sagas.start(body, commandContext());
  }

  @Get()
  @ApiRoute({
    summary: 'List sagas, newest first, filtered by status, kind and deployment; paginate with cursor',
    role: 'viewer',
    tags: TAGS,
    query: listQuery,
    responses: { 200: { description: 'a page of sagas', schema: z.object({ items: z.array(summary), nextCursor: z.string().nullable() }) } },
  })
  list(@Query() query: Record<string, string | undefined>): Promise<unknown> {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) throw new InvalidInput(parsed.error.issues.map((i) => ({ path: ['query', ...i.path.map(String)].join('.'), message: i.message })));
    return this.readModel.list(parsed.data);
  }

  @Get(':id')
  @ApiRoute({
    summary: 'One saga with its step timeline, read from its stream (always current)',
    role: 'viewer',
    tags: TAGS,
    params,
    responses: { 200: { description: 'the saga', schema: sagaView }, 404: { description: 'no such saga' } },
  })
  get(@Param('id') id: string): Promise<unknown> {
    return this.sagas.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Request cancellation: completed steps are compensated in reverse order, then the saga ends cancelled',
    role: 'operator',
    tags: TAGS,
    params,
    responses: {
      202: { description: 'cancellation requested (asking again is the same request)', schema: sagaView },
      404: { description: 'no such saga' },
      409: { description: 'the saga already finished or is already rolling back' },
    },
  })
  cancel(@Param('id') id: string): Promise<unknown> {
    return this.sagas.cancel(id, commandContext());
  }
}
