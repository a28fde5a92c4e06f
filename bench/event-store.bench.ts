import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { KurrentDbEventStore } from '../src/adapters/event-store/kurrentdb/kurrentdb.event-store.js';
import { PostgresEventStore } from '../src/adapters/event-store/postgres/postgres.event-store.js';
import { ProjectionRunner } from '../src/adapters/projections/projection-runner.js';
import { START } from '../src/domain/event-store/position.js';
import type { EventStore, EventToAppend } from '../src/domain/event-store/event-store.port.js';
import { startKurrentDbDouble, type KurrentDbDouble } from '../test/support/kurrentdb-double/kurrentdb-double.js';
import { accountStream, BalanceEntity, balanceEvents, balancesProjection, createBalancesTable, deposit } from '../test/support/balances.projection.js';
import { testEvent } from '../test/support/events.js';
import { benchDatabase, median, progress, report, timed } from './bench-support.js';

const BENCH = 'event-store';
const WRITERS = 8;
const STORE_SIZE = Number(process.env.STORE_SIZE ?? 200_000);
/** Seconds of each side of a ceiling round, and rounds (Node and pgbench alternating; the median ratio counts). */
const CEILING_SECONDS = 4;
const CEILING_ROUNDS = 3;

/**
 * The ceiling: pgbench (C, WRITERS clients, 2 threads, prepared statements) calling the store's own
 * append_events for CEILING_SECONDS: calls per second. Undefined, said plainly, when there is no pgbench.
 */
function pgbench(url: string, script: string): number | undefined {
  try {
    const out = execFileSync('pgbench', ['-n', '-c', String(WRITERS), '-j', '2', '-M', 'prepared', '-T', String(CEILING_SECONDS), '-f', `bench/pgbench/${script}`, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
    if (!tps) throw new Error(`pgbench printed no tps:\n${out}`);
    return Number(tps);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The event store against the ceiling, as a ratio measured in one run on the same work: on a
 * database of its own (the store's appends there would otherwise count toward the store the
 * catch-up reads), CEILING_ROUNDS rounds of the store's appends and pgbench's calls, alternating so
 * the machine's drift between them (WAL checkpoints, the other tenants of a virtual machine) falls
 * on both; the median round's ratio is the figure.
 */
async function againstCeiling(url: string, store: EventStore, batchSize: number, script: string, figure: string): Promise<void> {
  const rounds: { store: number; pgbench: number; ratio: number }[] = [];
  for (let round = 0; round < CEILING_ROUNDS; round++) {
    const deadline = performance.now() + CEILING_SECONDS * 1000;
    const { result: events, seconds } = await timed(() =>
      appendConcurrently(store, () => performance.now() < deadline, batchSize, () => testEvent('Pinged'), (w, i) => `ceiling-${batchSize}-${round}-${w}-${i % 50}`),
    );
    const ours = events / seconds;
    const calls = pgbench(url, script);
    if (calls === undefined) {
      progress('pgbench is not installed (Debian: postgresql-client): no ceiling to compare with');
      return;
    }
    rounds.push({ store: Math.round(ours), pgbench: Math.round(calls * batchSize), ratio: Math.round((ours / (calls * batchSize)) * 1000) / 1000 });
  }
  progress(`  ${figure}: ${JSON.stringify(rounds)}`);
  report(BENCH, figure, median(rounds.map((r) => r.ratio)), 'ratio', {
    store_events_per_s: median(rounds.map((r) => r.store)),
    pgbench_events_per_s: median(rounds.map((r) => r.pgbench)),
    rounds,
    clients: WRITERS,
    pgbench_threads: 2,
    seconds_each: CEILING_SECONDS,
    target: 0.75,
  });
}

/**
 * WRITERS writers, each appending batches of `batchSize` to its own streams, always with an expected
 * revision, while `more(i)` says so of its i-th batch: the events appended.
 */
async function appendConcurrently(
  store: EventStore,
  more: (i: number) => boolean,
  batchSize: number,
  make: (w: number, i: number) => EventToAppend,
  streamOf: (w: number, i: number) => string,
): Promise<number> {
  let appended = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      const revisions = new Map<string, bigint>();
      for (let i = 0; more(i); i++) {
        const stream = streamOf(w, i);
        const events = Array.from({ length: batchSize }, (_, j) => make(w, i * batchSize + j));
        const result = await store.appendToStream(stream, events, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
        revisions.set(stream, result.nextExpectedRevision);
        appended += batchSize;
      }
    }),
  );
  return appended;
}

/**
 * EVENT_STORE=kurrentdb measures the KurrentDB adapter: against KURRENTDB_URL when set, else against
 * the protocol-level double in this process (its figures only show that the path works at load; they
 * say nothing about a real KurrentDB). The read models are PostgreSQL either way.
 */
const kurrentdb = process.env.EVENT_STORE === 'kurrentdb';
const db = await benchDatabase('es', [BalanceEntity]);
const ceilingDb = kurrentdb ? undefined : await benchDatabase('pgbench');
let double: KurrentDbDouble | undefined;
if (kurrentdb && !process.env.KURRENTDB_URL) double = await startKurrentDbDouble();
const storeName = kurrentdb ? (double ? 'kurrentdb (double)' : 'kurrentdb') : 'postgres';
const store: EventStore = kurrentdb
  ? KurrentDbEventStore.fromConnectionString(process.env.KURRENTDB_URL ?? double!.url)
  : new PostgresEventStore(db.pool, db.url, { batchSize: 2000 });
progress(`event store: ${storeName}`);
try {
  await createBalancesTable(db.pool);

  progress('single-event appends, 8 writers...');
  const single = await timed(() => appendConcurrently(store, (i) => i < 3000, 1, () => testEvent('Pinged'), (w, i) => `bench-${w}-${i % 50}`));
  report(BENCH, 'single_event_appends_per_s', single.result / single.seconds, 'events/s', { store: storeName, writers: WRITERS, events: single.result, seconds: single.seconds });

  progress('10-event appends, 8 writers...');
  const batch = await timed(() => appendConcurrently(store, (i) => i < 600, 10, () => testEvent('Pinged'), (w, i) => `batch-${w}-${i % 50}`));
  report(BENCH, 'batch10_events_per_s', batch.result / batch.seconds, 'events/s', { store: storeName, writers: WRITERS, events: batch.result, seconds: batch.seconds });

  if (ceilingDb) {
    progress(`against the ceiling: ${CEILING_ROUNDS} rounds of ${CEILING_SECONDS} s each, the store and pgbench alternating...`);
    const ceilingStore = new PostgresEventStore(ceilingDb.pool, ceilingDb.url);
    try {
      await againstCeiling(ceilingDb.url, ceilingStore, 1, 'append-1.sql', 'single_event_appends_vs_pgbench');
      await againstCeiling(ceilingDb.url, ceilingStore, 10, 'append-10.sql', 'batch10_appends_vs_pgbench');
    } finally {
      await ceilingStore.close();
    }
  }

  const written = single.result + batch.result;
  const fill = STORE_SIZE - written;
  progress(`filling the store to ${STORE_SIZE} events with ${fill} deposits...`);
  const filled = await appendConcurrently(store, (i) => i < Math.ceil(fill / WRITERS / 100), 100, (w, n) => deposit(`w${w}-${n % 500}`, 1, randomUUID()), (w, i) => accountStream(`w${w}-${(i * 100) % 500}`));
  // every event this run appended (a KURRENTDB_URL server may hold others, which the catch-up then also meets)
  const total = written + filled;

  progress(`subscription catch-up over ${total} events...`);
  const catchUp = await timed(async () => {
    const subscription = store.subscribeToAll({ fromPosition: START });
    let seen = 0;
    for await (const _ of subscription) {
      if (++seen === total) break;
    }
    await subscription.close();
    return seen;
  });
  report(BENCH, 'catchup_events_per_s', catchUp.result / catchUp.seconds, 'events/s', { store: storeName, events: catchUp.result, seconds: catchUp.seconds });

  progress('projection rebuild of a simple read model...');
  const runner = new ProjectionRunner(db.orm, store, balanceEvents, db.url, { batchSize: 2000 });
  const rebuild = await timed(() => runner.rebuild(balancesProjection));
  report(BENCH, 'rebuild_events_per_s', rebuild.result.eventsApplied / rebuild.seconds, 'events/s', {
    store: storeName,
    events: rebuild.result.eventsApplied,
    store_events: total,
    seconds: rebuild.seconds,
  });
} finally {
  await store.close();
  await double?.close();
  await db.drop();
  await ceilingDb?.drop();
}
