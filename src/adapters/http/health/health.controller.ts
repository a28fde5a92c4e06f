import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ReadinessProbe, type Readiness } from './readiness.probe.js';

@Controller('health')
export class HealthController {
  constructor(@Inject(ReadinessProbe) private readonly readiness: ReadinessProbe) {}

  /** The process answers: nothing else is checked. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when the event store and the read-model database answer and no projection lags; else 503. */
  @Get('ready')
  async ready(): Promise<Readiness> {
    const readiness = await this.readiness.check();
    if (readiness.status !== 'ready') throw new ServiceUnavailableException(readiness);
    return readiness;
  }
}
