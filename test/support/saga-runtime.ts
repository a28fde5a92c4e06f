import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { SagaProcessManagerOptions } from '../../src/application/saga/saga-process-manager.js';
import { NO_EFFECTS, type StepEffects } from '../../src/application/saga/saga.ports.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { ormConfig } from '../../src/adapters/persistence/mikro-orm.config.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { createSagaEngine, type SagaEngine } from '../../src/adapters/saga/saga-engine.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import type { AnyProjection } from '../../src/projections/projection.js';
import type { SagaDefinition } from '../../src/domain/saga/saga-definitions.js';
import type { EventStore } from '../../src/domain/event-store/event-store.port.js';
import { sagaRunsProjection } from '../../src/projections/saga/saga-runs.projection.js';
import { sagaWorkProjection } from '../../src/projections/saga/saga-work.projection.js';

export const sagaProjections: readonly AnyProjection[] = [sagaWorkProjection, sagaRunsProjection];

/** Test-only: the side effects of the built-in steps, one row per execution or compensation. */
export async function createEffectsTable(pool: pg.Pool): Promise<void> {
  await pool.query(`create table if not exists saga_test_effects (
    id bigserial primary key, saga_id text not null, step text not null, effect text not null,
    pid integer not null, at timestamptz not null default clock_timestamp())`);
}

export class TableEffects implements StepEffects {
  constructor(private readonly pool: pg.Pool) {}
  async record(sagaId: string, step: string, effect: 'execute' | 'compensate'): Promise<void> {
    await this.pool.query('insert into saga_test_effects (saga_id, step, effect, pid) values ($1, $2, $3, $4)', [sagaId, step, effect, process.pid]);
  }
}

export interface SagaRuntime {
  readonly engine: SagaEngine;
  readonly store: EventStore;
  readonly runner: ProjectionRunner;
  readonly pool: pg.Pool;
  readonly orm: MikroORM;
  /** Stops the workers and the projections; closes what it opened, telling `trace` how far it got. */
  close(trace?: (step: string) => void): Promise<void>;
}

/**
 * A whole saga engine on a database: the three saga projections and the workers, as the server
 * runs them, with the built-in steps recording into saga_test_effects.
 */
export async function startSagaRuntime(
  url: string,
  manager: SagaProcessManagerOptions = {},
  {
    projections = true,
    recordEffects = true,
    definitions = () => [],
    eventStore = (pool) => new PostgresEventStore(pool, url, { pollIntervalMs: 20 }),
  }: {
    projections?: boolean;
    recordEffects?: boolean;
    definitions?: (store: EventStore) => SagaDefinition[];
    /** The event store the engine runs on; PostgreSQL (this database) by default. */
    eventStore?: (pool: pg.Pool) => EventStore;
  } = {},
): Promise<SagaRuntime> {
  const orm = await MikroORM.init(ormConfig(url, [], { pool: { min: 0, max: 8 } }));
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  pool.on('error', () => undefined);
  const store = eventStore(pool);
  const runner = new ProjectionRunner(orm, store, eventCatalogue, url, { batchSize: 500, idleRetryMs: 100 });
  const engine = createSagaEngine({
    orm,
    eventStore: store,
    databaseUrl: url,
    demoDefinitions: true,
    effects: recordEffects ? new TableEffects(pool) : NO_EFFECTS,
    definitions: definitions(store),
    manager: { workers: 3, pollMs: 25, leaseMs: 3_000, recheckMs: 2_000, ...manager },
  });
  const stop = new AbortController();
  const running = projections ? sagaProjections.map((p) => runner.run(p, stop.signal)) : [];
  engine.manager.start();
  return {
    engine,
    store,
    runner,
    pool,
    orm,
    async close(trace: (step: string) => void = () => undefined) {
      await engine.manager.close();
      trace('workers stopped');
      stop.abort();
      await Promise.all(running);
      trace('projections stopped');
      await store.close();
      await pool.end();
      trace('pool closed');
      await orm.close(true);
      trace('orm closed');
    },
  };
}
