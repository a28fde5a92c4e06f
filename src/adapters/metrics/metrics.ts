import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric the service exports, in one registry (not prom-client's global one, so
 * tests can run several apps in one process). Saga and DigitalOcean metrics are fed by the saga
 * engine and the DigitalOcean client.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly dispatches = new Counter({
    name: 'dispatches_total',
    help: 'Commands and queries dispatched, by kind, name and outcome (ok, replayed, refused: an expected error, failed)',
    labelNames: ['kind', 'name', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly dispatchDuration = new Histogram({
    name: 'dispatch_duration_seconds',
    help: 'Time to handle a command or query, by kind and name',
    labelNames: ['kind', 'name'] as const,
    registers: [this.registry],
  });
  readonly appendDuration = new Histogram({
    name: 'event_store_append_duration_seconds',
    help: 'Event store append latency by call (single: one stream, batch: many streams in one call) and outcome (ok, conflict, error)',
    labelNames: ['call', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly appendErrors = new Counter({
    name: 'event_store_append_errors_total',
    help: 'Event store appends that failed, by kind (wrong_expected_revision, error)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly projectionEventsApplied = new Gauge({
    name: 'projection_events_applied',
    help: "Events a projection has applied (its position in the projection's own events)",
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly projectionLagEvents = new Gauge({
    name: 'projection_lag_events',
    help: 'Events of its types a projection has not applied yet',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly projectionLagSeconds = new Gauge({
    name: 'projection_lag_seconds',
    help: 'Age of the oldest event a projection has not applied yet',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly projectionStopped = new Gauge({
    name: 'projection_stopped',
    help: '1 while a projection is stopped by an event that fails its schema',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly schemaViolations = new Counter({
    name: 'event_schema_violations_total',
    help: 'Events that failed their schema, by consumer',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });
  readonly sagas = new Counter({
    name: 'sagas_total',
    help: 'Saga starts, completions, rollbacks and failures by definition (never the free-text kind: labels stay bounded)',
    labelNames: ['definition', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sagaStepDuration = new Histogram({
    name: 'saga_step_duration_seconds',
    help: 'Saga step execution time by definition, step and outcome',
    labelNames: ['definition', 'step', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sagaStepRetries = new Counter({
    name: 'saga_step_retries_total',
    help: 'Saga step retries by definition and step',
    labelNames: ['definition', 'step'] as const,
    registers: [this.registry],
  });
  readonly digitalOceanCalls = new Counter({
    name: 'digitalocean_api_calls_total',
    help: 'DigitalOcean API calls by endpoint and status',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly digitalOceanRateLimitRemaining = new Gauge({
    name: 'digitalocean_ratelimit_remaining',
    help: 'The ratelimit-remaining header of the last DigitalOcean response, by token purpose',
    labelNames: ['purpose'] as const,
    registers: [this.registry],
  });

  private readonly beforeScrape: (() => Promise<void>)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Work that refreshes gauges from their source when scraped (projection status, say). */
  onScrape(refresh: () => Promise<void>): void {
    this.beforeScrape.push(refresh);
  }

  async scrape(): Promise<string> {
    await Promise.all(this.beforeScrape.map((refresh) => refresh().catch(() => undefined)));
    return this.registry.metrics();
  }
}
