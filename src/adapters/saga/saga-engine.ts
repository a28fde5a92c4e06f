import type { MikroORM } from '@mikro-orm/postgresql';
import { builtinSagaDefinitions } from '../../application/saga/builtin.definitions.js';
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
    sagaStarted: (definition) => metrics.sagas.inc({ definition, outcome: 'started' }),
    sagaFinished: (definition, outcome) => metrics.sagas.inc({ definition, outcome }),
    stepFinished: (definition, step, outcome, seconds) => metrics.sagaStepDuration.observe({ definition, step, outcome }, seconds),
    stepRetried: (definition, step) => metrics.sagaStepRetries.inc({ definition, step }),
  };
}

export interface SagaEngineOptions {
  readonly orm: MikroORM;
  readonly eventStore: EventStore;
  readonly databaseUrl: string;
  readonly metrics?: Metrics;
  /** The demo and test definitions (`script`, `noop`); off unless configured (SAGA_DEMO_DEFINITIONS). */
  readonly demoDefinitions?: boolean;
  /** Where the demo steps record their effects (tests); default nowhere. */
  readonly effects?: StepEffects;
  /** Definitions beyond the built-in ones. */
  readonly definitions?: readonly SagaDefinition[];
  readonly manager?: SagaProcessManagerOptions;
}

/** The saga parts wired together: definitions, commands and views, the list read model, the workers. */
export function createSagaEngine(options: SagaEngineOptions): SagaEngine {
  const demo = options.demoDefinitions ? builtinSagaDefinitions(options.effects ?? NO_EFFECTS) : [];
  const definitions = new SagaDefinitions([...demo, ...(options.definitions ?? [])]);
  const metrics = options.metrics ? sagaMetricsSink(options.metrics) : undefined;
  const manager = new SagaProcessManager(options.eventStore, new PgSagaWorkQueue(options.databaseUrl), definitions, {
    metrics,
    ...options.manager,
  });
  const service = new SagaService(options.eventStore, definitions, { metrics, onChanged: () => manager.wake() });
  return { definitions, service, readModel: new PgSagaReadModel(options.orm), manager };
}
