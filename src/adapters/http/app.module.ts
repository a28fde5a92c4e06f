import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { EVENT_STORE, type EventStore } from '../../domain/event-store/event-store.port.js';
import { IAC_STATE_STORE, type IacStateStore } from '../../domain/iac/iac-state-store.port.js';
import { ApiTokenService } from '../auth/api-token.service.js';
import { IacStatesController } from './iac/iac-states.controller.js';
import { SAGA_READ_MODEL, SAGA_SERVICE, SagasController } from './saga/sagas.controller.js';
import { DROPLET_COMMANDS, DropletsController } from './droplets/droplets.controller.js';
import type { DropletCommands } from '../../application/provisioning/droplet-commands.js';
import type { IdempotentCommands } from '../../application/idempotency/idempotent-commands.js';
import { IDEMPOTENT_COMMANDS, IdempotencyInterceptor } from './idempotency.interceptor.js';
import { TokensController } from './tokens/tokens.controller.js';
import { DRIFT_INBOX, DRIFT_SERVICE, DriftController } from './drift/drift.controller.js';
import { INVENTORY_READ_MODEL, INVENTORY_SYNC, InventoryController, RESOURCE_HISTORY, SPEC_READ_MODEL } from './inventory/inventory.controller.js';
import type { DriftService } from '../../application/drift/drift.service.js';
import type { InventorySync } from '../../application/inventory/inventory-sync.js';
import type { ResourceHistory } from '../../application/inventory/resource-history.js';
import type { PgDriftInbox } from '../inventory/drift-inbox.js';
import type { PgResourceReadModel } from '../inventory/resource-read-model.js';
import type { PgSpecReadModel } from '../inventory/spec-read-model.js';
import type { SagaReadModel } from '../../application/saga/saga.ports.js';
import type { SagaService } from '../../application/saga/saga.service.js';
import { Metrics } from '../metrics/metrics.js';
import { AuthGuard } from './auth.guard.js';
import { APP_VERSION, DocsController } from './docs/docs.controller.js';
import { ErrorFilter } from './error.filter.js';
import { HealthController } from './health/health.controller.js';
import { ReadinessProbe } from './health/readiness.probe.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { RATE_LIMIT_PER_MINUTE, RateLimitGuard } from './rate-limit.guard.js';
import { ValidationInterceptor } from './validation.interceptor.js';

export interface AppDependencies {
  readonly eventStore: EventStore;
  readonly readiness: ReadinessProbe;
  readonly tokens: ApiTokenService;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly version: string;
  readonly rateLimitPerMinute: number;
  readonly iacState: IacStateStore;
  readonly sagas: SagaService;
  readonly droplets: DropletCommands;
  readonly idempotency: IdempotentCommands;
  readonly sagaReadModel: SagaReadModel;
  readonly inventory: PgResourceReadModel;
  readonly specs: PgSpecReadModel;
  readonly driftInbox: PgDriftInbox;
  readonly sync: InventorySync;
  readonly drift: DriftService;
  readonly history: ResourceHistory;
}

/** Nest is an adapter: the composition root builds the parts and hands them in by token. */
@Module({})
export class AppModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        DiscoveryModule,
      ],
      controllers: [
        HealthController,
        DocsController,
        MetricsController,
        TokensController,
        IacStatesController,
        SagasController,
        DropletsController,
        InventoryController,
        DriftController,
      ],
      providers: [
        { provide: EVENT_STORE, useValue: deps.eventStore },
        { provide: ReadinessProbe, useValue: deps.readiness },
        { provide: ApiTokenService, useValue: deps.tokens },
        { provide: Metrics, useValue: deps.metrics },
        { provide: IAC_STATE_STORE, useValue: deps.iacState },
        { provide: SAGA_SERVICE, useValue: deps.sagas },
        { provide: DROPLET_COMMANDS, useValue: deps.droplets },
        { provide: IDEMPOTENT_COMMANDS, useValue: deps.idempotency },
        { provide: SAGA_READ_MODEL, useValue: deps.sagaReadModel },
        { provide: INVENTORY_READ_MODEL, useValue: deps.inventory },
        { provide: SPEC_READ_MODEL, useValue: deps.specs },
        { provide: DRIFT_INBOX, useValue: deps.driftInbox },
        { provide: INVENTORY_SYNC, useValue: deps.sync },
        { provide: DRIFT_SERVICE, useValue: deps.drift },
        { provide: RESOURCE_HISTORY, useValue: deps.history },
        { provide: APP_VERSION, useValue: deps.version },
        { provide: RATE_LIMIT_PER_MINUTE, useValue: deps.rateLimitPerMinute },
        // guards run in this order: may the caller (authenticated by the edge middleware) call
        // this, then how often; interceptors: validate, then run under the Idempotency-Key
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: ValidationInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_FILTER, useValue: new ErrorFilter(deps.logger) },
      ],
    };
  }
}
