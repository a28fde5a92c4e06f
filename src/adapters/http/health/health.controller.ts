import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiRoute } from '../api-route.decorator.js';
import { currentRequest } from '../request-context.js';
import { ReadinessProbe, type Readiness } from './readiness.probe.js';

const checkSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const readinessSchema = z.object({ status: z.enum(['ready', 'unready']), checks: z.record(z.string(), checkSchema) });

@Controller('health')
export class HealthController {
  constructor(@Inject(ReadinessProbe) private readonly readiness: ReadinessProbe) {}

  /** The process answers: nothing else is checked. */
  @Get('live')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Liveness: the process answers',
    role: 'public',
    tags: ['operations'],
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * 200 when the event store and the read-model database answer and no projection lags; else 503.
   * Each check's error detail only to a caller with a valid token: it names hosts and projections.
   */
  @Get('ready')
  @ApiRoute({
    summary: 'Readiness: event store and database answer, no projection lags or is stopped (computed at most every 2 s; error detail only with a valid token)',
    role: 'public',
    tags: ['operations'],
    responses: {
      200: { description: 'ready', schema: readinessSchema },
      503: { description: 'unready, with the failing checks', schema: readinessSchema },
    },
  })
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const readiness = await this.readiness.check();
    response.status(readiness.status === 'ready' ? 200 : 503);
    if (currentRequest()?.principal) return readiness;
    return { status: readiness.status, checks: Object.fromEntries(Object.entries(readiness.checks).map(([name, { ok }]) => [name, { ok }])) };
  }
}
