import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { EVENT_STORE, type EventStore } from '../../domain/event-store/event-store.port.js';
import { HealthController } from './health/health.controller.js';
import { ReadinessProbe } from './health/readiness.probe.js';

export interface AppDependencies {
  readonly eventStore: EventStore;
  readonly readiness: ReadinessProbe;
}

/** Nest is an adapter: the composition root builds the parts and hands them in by token. */
@Module({})
export class AppModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), ScheduleModule.forRoot()],
      controllers: [HealthController],
      providers: [
        { provide: EVENT_STORE, useValue: deps.eventStore },
        { provide: ReadinessProbe, useValue: deps.readiness },
      ],
    };
  }
}
