import type { MikroORM } from '@mikro-orm/postgresql';
import { builtinSagaDefinitions } from '../../application/saga/builtin-steps.js';
import { SagaProcessManager, type SagaProcessManagerOptions } from '../../application/saga/saga-process-manager.js';
import { NO_EFFECTS, type SagaMetricsSink, type StepEffects } from '../../application/saga/saga.ports.js';
import { SagaService } from '../../application/saga/saga.service.js';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { type SagaDefinition, SagaDefinitions } from '../../domain/saga/saga-definitions.js';
import type { Metrics } from '../metrics/metrics.js';
import { PgSagaReadModel } from './saga-read-model.js';
import { PgSagaWorkQueue } from './pg-saga-work-queue.js';

export interface SagaEngine {
  readonly definitions: SagaDefinitions;
  readonly service: SagaService;
  readonly readModel: PgSagaReadModel;
  readonly manager: SagaProcessManager;
}

export function sagaMetricsSink(metrics: Metrics): SagaMetricsSink {
  return {
    sagaStarted: (kind) => metrics.sagas.inc({ kind, outcome: 'started' }),
    sagaFinished: (kind, outcome) => metrics.sagas.inc({ kind, outcome }),
    stepFinished: (kind, step, outcome, seconds) => metrics.sagaStepDuration.observe({ kind, step, outcome }, seconds),
    stepRetried: (kind, step) => metrics.sagaStepRetries.inc({ kind, step }),
  };
}

export interface SagaEngineOptions {
  readonly orm: MikroORM;
  readonly eventStore: EventStore;
  readonly databaseUrl: string;
  readonly metrics?: Metrics;
  /** Where built-in steps record their effects (tests); default nowhere. */
  readonly effects?: StepEffects;
  /** Definitions beyond the built-in ones. */
  readonly definitions?: readonly SagaDefinition[];
  readonly manager?: SagaProcessManagerOptions;
}

/** The saga parts wired together: definitions, commands and views, the list read model, the workers. */
export function createSagaEngine(options: SagaEngineOptions): SagaEngine {
  const definitions = new SagaDefinitions([...builtinSagaDefinitions(options.effects ?? NO_EFFECTS), ...(options.definitions ?? [])]);
  const metrics = options.metrics ? sagaMetricsSink(options.metrics) : undefined;
  const manager = new SagaProcessManager(options.eventStore, new PgSagaWorkQueue(options.orm, options.databaseUrl), definitions, {
    metrics,
    ...options.manager,
  });
  const service = new SagaService(options.eventStore, definitions, { metrics, onChanged: () => manager.wake() });
  return { definitions, service, readModel: new PgSagaReadModel(options.orm), manager };
}
