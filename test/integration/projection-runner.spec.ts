import { randomUUID } from 'node:crypto';
import { KurrentDbEventStore } from '../../src/adapters/event-store/kurrentdb/kurrentdb.event-store.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { BatchApplier, type BatchOutcome, type BatchTarget } from '../../src/adapters/projections/batch-applier.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import type { ProjectionStatusReport } from '../../src/adapters/projections/projection-status.js';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/domain/event-store/event-store.port.js';
import type { Projection } from '../../src/projections/projection.js';
import { comparePositions, parsePosition, type Position } from '../../src/domain/event-store/position.js';
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
import { collect, testEvent } from '../support/events.js';
import { startKurrentDbDouble, type KurrentDbDouble } from '../support/kurrentdb-double/kurrentdb-double.js';
import { waitFor } from '../support/wait.js';

interface OpenStore {
  readonly store: EventStore;
  readonly double?: KurrentDbDouble;
  close(): Promise<void>;
}

/** The same runner tests on each event store: PostgreSQL, and KurrentDB's protocol through the double. */
const eventStores: [string, (db: TestDatabase) => Promise<OpenStore>][] = [
  [
    'postgres',
    async (db) => {
      const store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
      return { store, close: () => store.close() };
    },
  ],
  [
    'kurrentdb (double)',
    async () => {
      const double = await startKurrentDbDouble();
      const store = KurrentDbEventStore.fromConnectionString(double.url);
      return {
        store,
        double,
        async close() {
          await store.close();
          await double.close();
        },
      };
    },
  ],
];

describe.each(eventStores)('projection runner on %s', (name, openStore) => {
  let db: TestDatabase;
  let opened: OpenStore;
  let store: EventStore;
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
    opened = await openStore(db);
    store = opened.store;
    runner = new ProjectionRunner(db.orm, store, balanceEvents, db.url, { batchSize: 50, idleRetryMs: 50 });
    revisions.clear();
  });
  afterEach(async () => {
    await opened.close();
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

  it('under live traffic, lets events gather for its linger before reading on: fewer transactions, each event once', async () => {
    const lingering = new ProjectionRunner(db.orm, store, balanceEvents, db.url, { batchSize: 50, idleRetryMs: 50, lingerMs: 1_000 });
    const batches: number[] = [];
    const apply = BatchApplier.prototype.apply;
    BatchApplier.prototype.apply = function <Row extends object>(
      this: BatchApplier,
      projection: Projection<Row>,
      target: BatchTarget,
      expected: Position,
      events: readonly RecordedEvent[],
    ): Promise<BatchOutcome> {
      batches.push(events.length);
      return Reflect.apply(apply, this, [projection, target, expected, events]) as Promise<BatchOutcome>;
    };
    try {
      const running = start(lingering);
      // 30 appends, one every ~10 ms: without a linger, about one transaction each
      for (let i = 0; i < 30; i++) {
        await append('e', [deposit('e', 1, randomUUID())]);
        await new Promise((r) => setTimeout(r, 10));
      }
      await waitFor(async () => ((await statusOf()).eventsApplied === 30 ? true : undefined), '30 applied');
      await running.stop();
    } finally {
      BatchApplier.prototype.apply = apply;
    }
    expect(batches.reduce((a, b) => a + b, 0)).toBe(30);
    expect(batches.length).toBeLessThanOrEqual(4);
    expect((await readModel()).get('e')).toMatchObject({ balance: 30, eventCount: 30 });
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
    let written = 0;
    const writer = (async () => {
      for (let i = 0; appending; i++, written++) await append(`d${i % 9}`, [deposit(`d${(i + 1) % 9}`, 1, randomUUID())]);
    })();
    const progress: number[] = [];
    const result = await runner.rebuild(balancesProjection, (p) => progress.push(p.eventsApplied));
    appending = false;
    await writer;

    // every append has committed: the count of them, not the log's visible end, which is the
    // cluster-wide transaction horizon — an open transaction (the runner's own, another database's)
    // can hold it back for a moment, and a count made then matched what the runner had applied
    // while the last event was still hidden from both
    const total = 400 + written;
    await waitFor(async () => ((await statusOf()).eventsApplied === total ? true : undefined), 'the live runner to catch up');
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

  // only a server can drop a subscription: the KurrentDB row alone
  const serverRowIt = name === 'postgres' ? () => undefined : it;
  serverRowIt('survives subscriptions the server drops: it resumes from its checkpoint, each event applied exactly once', async () => {
    const double = opened.double!;
    const running = start();
    let appended = 0;
    let drops = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 40; i++, appended++) await append(`e${i % 4}`, [deposit(`e${i % 4}`, i + 1, randomUUID())]);
      await waitFor(async () => (double.reads.some((r) => r.kind === 'subscription' && r.open) ? true : undefined), 'a live subscription');
      drops += double.dropSubscriptions();
    }
    await waitFor(async () => ((await statusOf()).eventsApplied === appended ? true : undefined), `${appended} applied`);
    await running.stop();

    expect(drops).toBeGreaterThanOrEqual(6);
    expect(double.reads.filter((r) => r.kind === 'subscription').length).toBeGreaterThan(6);
    expect(await readModel()).toEqual(await freshFold());
    expect([...(await readModel()).values()].reduce((n, b) => n + b.eventCount, 0)).toBe(appended);
  });

  serverRowIt("keeps its checkpoint moving while none of its events come: the server's checkpoints are stored", async () => {
    await append('rare', [deposit('rare', 1, randomUUID())]);
    let other: bigint | 'no_stream' = 'no_stream';
    for (let i = 0; i < 4; i++) other = (await store.appendToStream('other-1', Array.from({ length: 50 }, () => testEvent('Unrelated')), { expectedRevision: other })).nextExpectedRevision;
    const [deposited] = await collect(store.readAll({ filter: { eventTypes: balancesProjection.eventTypes } }));
    const running = start();

    const status = await waitFor(async () => {
      const current = await statusOf();
      return current.eventsApplied === 1 && comparePositions(parsePosition(current.position), deposited!.position) > 0 ? current : undefined;
    }, 'the checkpoint to move past the last event it applied', 10_000);
    await running.stop();

    // at least the first server checkpoint (32 events considered) is stored, past the deposit
    expect(status.lagEvents).toBe(0);
    expect(await readModel()).toEqual(await freshFold());
  });
});
