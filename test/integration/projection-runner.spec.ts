import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import type { ProjectionStatusReport } from '../../src/adapters/projections/projection-status.js';
import type { EventToAppend } from '../../src/domain/event-store/event-store.port.js';
import {
  accountStream,
  type Balance,
  BalanceEntity,
  balanceEvents,
  balancesProjection,
  createBalancesTable,
  deposit,
  foldBalances,
} from '../support/balances.projection.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { collect } from '../support/events.js';
import { waitFor } from '../support/wait.js';

describe('projection runner', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  const revisions = new Map<string, bigint>();

  async function append(account: string, events: EventToAppend[]): Promise<void> {
    const stream = accountStream(account);
    const result = await store.appendToStream(stream, events, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
    revisions.set(stream, result.nextExpectedRevision);
  }

  async function readModel(): Promise<Map<string, Balance>> {
    const { rows } = await db.pool.query<{ account_id: string; balance: number; event_count: number; last_revision: number }>(
      'select * from test_balances',
    );
    return new Map(
      rows.map((r) => [r.account_id, { accountId: r.account_id, balance: r.balance, eventCount: r.event_count, lastRevision: r.last_revision }]),
    );
  }

  async function freshFold(): Promise<Map<string, Balance>> {
    const events = await collect(store.readAll({ filter: { eventTypes: balancesProjection.eventTypes } }));
    return foldBalances(events.map((e) => balanceEvents.decode(e)));
  }

  async function statusOf(): Promise<ProjectionStatusReport> {
    const [status] = await runner.status([balancesProjection]);
    return status!;
  }

  function start(r = runner): { stop(): Promise<void> } {
    const controller = new AbortController();
    const running = r.run(balancesProjection, controller.signal);
    return {
      async stop() {
        controller.abort();
        await running;
      },
    };
  }

  beforeEach(async () => {
    db = await createTestDatabase('cl_proj', [BalanceEntity]);
    await createBalancesTable(db.pool);
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    runner = new ProjectionRunner(db.orm, store, balanceEvents, db.url, { batchSize: 50, idleRetryMs: 50 });
    revisions.clear();
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  it('folds events into rows and keeps up with live appends; the checkpoint counts each event once', async () => {
    for (let i = 0; i < 120; i++) await append(`a${i % 7}`, [deposit(`a${i % 7}`, i + 1, randomUUID())]);
    const running = start();
    await waitFor(async () => ((await statusOf()).eventsApplied === 120 ? true : undefined), '120 applied');
    await append('a1', [deposit('a1', 1000, randomUUID())]);
    await waitFor(async () => ((await statusOf()).eventsApplied === 121 ? true : undefined), 'live event applied');
    await running.stop();

    expect(await readModel()).toEqual(await freshFold());
    expect((await readModel()).get('a1')?.eventCount).toBe(18);
    const status = await statusOf();
    expect(status).toMatchObject({ status: 'running', lagEvents: 0, lastError: null });
  });

  it('stops when aborted while it is still starting (taking its lease, reading its checkpoint)', async () => {
    // no events: a subscription opened after the abort would wait for one forever
    const controller = new AbortController();
    const running = runner.run(balancesProjection, controller.signal);
    controller.abort(); // run() is past its first check and awaiting the lease
    const outcome = await Promise.race([running.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(outcome).toBe('stopped');
  });

  it('stops at an event that fails its schema, applies nothing after it, and goes on only when resumed', async () => {
    await append('b', [deposit('b', 5, randomUUID()), deposit('b', 7, randomUUID())]);
    const bad = { ...deposit('b', 1, randomUUID()), data: { account: 'b', amount: -3 } };
    await append('b', [bad]);
    await append('b', [deposit('b', 11, randomUUID())]);
    const running = start();

    const stopped = await waitFor(async () => {
      const status = await statusOf();
      return status.status === 'stopped' ? status : undefined;
    }, 'the projection to stop');
    expect(stopped.failedEventId).toBe(bad.id);
    expect(stopped.lastError).toMatch(/FundsDeposited .* amount: .*/);
    expect(stopped.eventsApplied).toBe(2);
    expect(stopped.lagEvents).toBe(2);

    await new Promise((r) => setTimeout(r, 300));
    expect((await readModel()).get('b')).toMatchObject({ balance: 12, eventCount: 2 });

    await runner.resume(balancesProjection.name, { skipFailedEvent: true });
    await waitFor(async () => ((await statusOf()).eventsApplied === 3 ? true : undefined), 'the event after the bad one');
    await running.stop();
    expect((await readModel()).get('b')).toMatchObject({ balance: 23, eventCount: 3 });
    expect(await statusOf()).toMatchObject({ status: 'running', lastError: null, failedEventId: null });
  });

  it('lets one of two runners write at a time; every event is applied exactly once', async () => {
    const other = new ProjectionRunner(db.orm, store, balanceEvents, db.url, { batchSize: 50, idleRetryMs: 50 });
    const first = start();
    const second = start(other);
    for (let i = 0; i < 300; i++) await append(`c${i % 5}`, [deposit(`c${i % 5}`, 1, randomUUID())]);
    await waitFor(async () => ((await statusOf()).eventsApplied === 300 ? true : undefined), '300 applied');
    await first.stop();
    for (let i = 0; i < 50; i++) await append('c0', [deposit('c0', 1, randomUUID())]);
    await waitFor(async () => ((await statusOf()).eventsApplied === 350 ? true : undefined), 'the second runner to take over');
    await second.stop();
    expect(await readModel()).toEqual(await freshFold());
    expect([...(await readModel()).values()].reduce((n, b) => n + b.eventCount, 0)).toBe(350);
  });

  it('rebuilds into fresh tables and swaps them in while appends and the live runner go on', async () => {
    for (let i = 0; i < 400; i++) await append(`d${i % 9}`, [deposit(`d${i % 9}`, i + 1, randomUUID())]);
    const running = start();
    await waitFor(async () => ((await statusOf()).eventsApplied === 400 ? true : undefined), '400 applied');
    await db.pool.query(`update test_balances set balance = -1`); // damage the live table

    let appending = true;
    const writer = (async () => {
      let i = 0;
      while (appending) await append(`d${i++ % 9}`, [deposit(`d${i % 9}`, 1, randomUUID())]);
    })();
    const progress: number[] = [];
    const result = await runner.rebuild(balancesProjection, (p) => progress.push(p.eventsApplied));
    appending = false;
    await writer;

    // counted on each look: the log's visible end is the cluster-wide transaction horizon, which
    // another database's open transaction can hold back for a moment, so one early count may be short
    const total = await waitFor(async () => {
      const visible = (await collect(store.readAll())).length;
      return (await statusOf()).eventsApplied === visible ? visible : undefined;
    }, 'the live runner to catch up');
    await running.stop();
    expect(result.eventsApplied).toBeGreaterThanOrEqual(400);
    expect(progress.length).toBeGreaterThan(0);
    expect(await readModel()).toEqual(await freshFold());
    const { rows } = await db.pool.query(`select nspname from pg_namespace where nspname like 'rebuild_%'`);
    expect(rows).toEqual([]);

    // with nothing appending and no live runner, a rebuild alone leaves the model complete
    await db.pool.query(`update test_balances set balance = -1`);
    await runner.rebuild(balancesProjection);
    expect(await readModel()).toEqual(await freshFold());
    expect((await statusOf()).eventsApplied).toBe(total);
  });
});
