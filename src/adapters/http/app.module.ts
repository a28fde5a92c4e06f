import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import type { Application } from '../app/application.js';
import { DispatchModule } from '../dispatch/dispatch.module.js';
import { Metrics } from '../metrics/metrics.js';
import { AuthGuard } from './auth.guard.js';
import { APP_VERSION, DocsController } from './docs/docs.controller.js';
import { DriftPoliciesController } from './drift/drift-policies.controller.js';
import { DriftController } from './drift/drift.controller.js';
import { DropletsController } from './droplets/droplets.controller.js';
import { ErrorFilter } from './error.filter.js';
import { HealthController } from './health/health.controller.js';
import { ReadinessProbe } from './health/readiness.probe.js';
import { IacStatesController } from './iac/iac-states.controller.js';
import { EventsController } from './events/events.controller.js';
import { LiveEvents } from './events/live-events.js';
import { InventoryController } from './inventory/inventory.controller.js';
import { SpecsController } from './specs/specs.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { RATE_LIMIT_PER_MINUTE, RateLimitGuard } from './rate-limit.guard.js';
import { SagasController } from './saga/sagas.controller.js';
import { TokensController } from './tokens/tokens.controller.js';
import { ValidationInterceptor } from './validation.interceptor.js';

export interface AppDependencies {
  readonly application: Application;
  readonly readiness: ReadinessProbe;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly version: string;
  readonly rateLimitPerMinute: number;
}

/**
 * Nest is an adapter: the composition root builds the application and hands it in. Controllers
 * validate and dispatch (DispatchModule); guards, validation and the error filter are the edge.
 */
@Module({})
export class AppModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [DispatchModule.forRoot(deps.application, deps.metrics), ScheduleModule.forRoot(), DiscoveryModule],
      controllers: [
        HealthController,
        DocsController,
        MetricsController,
        TokensController,
        IacStatesController,
        SagasController,
        DropletsController,
        InventoryController,
        SpecsController,
        // before DriftController: its GET :id would take /drift/policies
        DriftPoliciesController,
        DriftController,
        EventsController,
      ],
      providers: [
        { provide: ReadinessProbe, useValue: deps.readiness },
        { provide: Metrics, useValue: deps.metrics },
        { provide: LiveEvents, useValue: new LiveEvents(deps.application.log, deps.logger) },
        { provide: APP_VERSION, useValue: deps.version },
        { provide: RATE_LIMIT_PER_MINUTE, useValue: deps.rateLimitPerMinute },
        // guards run in this order: may the caller (authenticated by the edge middleware) call
        // this, then how often; then validation (and the Idempotency-Key) before the handler
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: ValidationInterceptor },
        { provide: APP_FILTER, useValue: new ErrorFilter(deps.logger) },
      ],
    };
  }
}
