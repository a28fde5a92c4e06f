import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import {
  accountStream,
  BalanceEntity,
  balanceEvents,
  balancesProjection,
  createBalancesTable,
  deposit,
  foldBalances,
} from '../support/balances.projection.js';
import { startTestProcess, type TestProcess } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { collect } from '../support/events.js';
import { waitFor } from '../support/wait.js';

const ACCOUNTS = 40;
const EVENTS = 6000;

function startWorker(url: string, stallAt?: string): TestProcess {
  return startTestProcess('test/support/projection-worker.ts', { DATABASE_URL: url, ...(stallAt ? { STALL_AT: stallAt } : {}) });
}

describe('a projection process killed mid-batch', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;

  beforeAll(async () => {
    db = await createTestDatabase('cl_crash', [BalanceEntity]);
    await createBalancesTable(db.pool);
    store = new PostgresEventStore(db.pool, db.url);
    runner = new ProjectionRunner(db.orm, store, balanceEvents, db.url);
    const revisions = new Map<string, bigint>();
    for (let i = 0; i < EVENTS; i += 20) {
      const account = `acct${(i / 20) % ACCOUNTS}`;
      const stream = accountStream(account);
      const batch = Array.from({ length: 20 }, (_, j) => deposit(account, i + j + 1, randomUUID()));
      const result = await store.appendToStream(stream, batch, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
      revisions.set(stream, result.nextExpectedRevision);
    }
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const applied = async (): Promise<number> => (await runner.status([balancesProjection]))[0]!.eventsApplied;

  it('restarts to a read model equal to a fresh fold, with no event applied twice', async () => {
    // given a worker that hangs inside a batch transaction, part-way through the log
    const first = startWorker(db.url, `${accountStream('acct10')}:60`);
    await waitFor(async () => (first.output().includes('STALLED') ? true : undefined), 'the worker to stall mid-batch', 60_000);
    const before = await applied();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(EVENTS);

    // when it is killed there, and a second worker is killed at a random moment of its run
    first.child.kill('SIGKILL');
    await first.exited;
    const second = startWorker(db.url);
    await waitFor(async () => ((await applied()) > before ? true : undefined), 'the second worker to make progress', 60_000);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
    second.child.kill('SIGKILL');
    await second.exited;
    const afterSecond = await applied();

    // then a third run finishes the log
    const third = startWorker(db.url);
    try {
      await waitFor(async () => ((await applied()) === EVENTS ? true : undefined), 'every event applied', 90_000, 200);
    } finally {
      third.child.kill('SIGKILL');
      await third.exited;
    }

    // and the read model is exactly a fresh fold over every event
    const events = (await collect(store.readAll())).map((e) => balanceEvents.decode(e));
    const expected = foldBalances(events);
    const { rows } = await db.pool.query<{ account_id: string; balance: number; event_count: number; last_revision: number }>(
      'select * from test_balances order by account_id',
    );
    expect(rows).toHaveLength(ACCOUNTS);
    for (const row of rows) {
      expect(row).toEqual({
        account_id: row.account_id,
        balance: expected.get(row.account_id)!.balance,
        event_count: expected.get(row.account_id)!.eventCount,
        last_revision: expected.get(row.account_id)!.lastRevision,
      });
    }
    expect(rows.reduce((n, r) => n + r.event_count, 0)).toBe(EVENTS);
    expect(afterSecond).toBeLessThanOrEqual(EVENTS);
  });
});
