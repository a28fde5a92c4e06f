import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Metrics } from '../../metrics/metrics.js';
import { ApiRoute } from '../api-route.decorator.js';

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiRoute({
    summary: 'Prometheus metrics (also served without a token on METRICS_PORT when set)',
    role: 'viewer',
    tags: ['operations'],
    responses: { 200: { description: 'Prometheus text format' } },
  })
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
