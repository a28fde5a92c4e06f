/**
 * A projection process for the crash test: runs the balances projection until killed. With
 * STALL_AT=<stream>:<revision>, it announces "STALLED" and hangs while folding that event — inside
 * the batch transaction, with the checkpoint row locked — so the parent can kill it mid-batch.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { ormConfig } from '../../src/adapters/persistence/mikro-orm.config.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import type { Projection } from '../../src/projections/projection.js';
import { type Balance, BalanceEntity, balanceEvents, balancesProjection } from './balances.projection.js';

const url = process.env.DATABASE_URL!;
const stallAt = process.env.STALL_AT;

const projection: Projection<Balance> = {
  ...balancesProjection,
  evolve(row, event) {
    if (`${event.stream}:${event.revision}` === stallAt) {
      process.stdout.write('STALLED\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
    }
    return balancesProjection.evolve(row, event);
  },
};

const orm = await MikroORM.init(ormConfig(url, [BalanceEntity]));
const pool = new pg.Pool({ connectionString: url, max: 4 });
const store = new PostgresEventStore(pool, url, { pollIntervalMs: 20 });
const runner = new ProjectionRunner(orm, store, balanceEvents, url, { batchSize: 100, idleRetryMs: 50 });
process.stdout.write('STARTED\n');
await runner.run(projection, new AbortController().signal);
