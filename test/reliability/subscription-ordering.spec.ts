import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import type { RecordedEvent } from '../../src/domain/event-store/event-store.port.js';
import { comparePositions, formatPosition, START } from '../../src/domain/event-store/position.js';
import { STREAM_LOCK_NAMESPACE } from '../../src/adapters/event-store/postgres/postgres.event-store.schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testEvent } from '../support/events.js';
import { waitFor } from '../support/wait.js';

/** Runs a subscription in the background, recording what it delivers. */
function record(store: PostgresEventStore, prefix: string) {
  const received: RecordedEvent[] = [];
  const subscription = store.subscribeToAll({ fromPosition: START, filter: { streamPrefixes: [prefix] } });
  const done = (async () => {
    for await (const event of subscription) received.push(event);
  })();
  return {
    received,
    async stop() {
      await subscription.close();
      await done;
    },
  };
}

describe('PostgreSQL subscriptions under concurrent commits', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('cl_order', [], 20);
    store = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('does not pass a transaction that took a lower sequence number and commits late, then delivers it once, in order', async () => {
    const subscriber = record(store, 'late-');
    const late = new pg.Client({ connectionString: db.url });
    await late.connect();
    try {
      // given a transaction that appends first (lowest global position) and stays open
      await late.query('begin');
      const [lateEvent] = [testEvent('LateCommitted')];
      const { rows } = await late.query<{ global_position: string }>(
        `select global_position from append_events($1, -1, $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`,
        ['late-1', [lateEvent!.id], [lateEvent!.type], [JSON.stringify({})], [JSON.stringify(lateEvent!.metadata)]],
      );
      const lateSequence = BigInt(rows[0]!.global_position);

      // when later appends commit while it is open
      const early = await store.appendToStream('late-2', [testEvent('CommittedEarly1'), testEvent('CommittedEarly2')], {
        expectedRevision: 'no_stream',
      });
      expect(early.position.prepare).toBeGreaterThan(lateSequence);
      await new Promise((r) => setTimeout(r, 500));

      // then the subscriber has not moved past the open transaction
      expect(subscriber.received).toEqual([]);

      // and once it commits, every event arrives exactly once, in position order
      await late.query('commit');
      await waitFor(async () => (subscriber.received.length >= 3 ? true : undefined), 'three events');
      await new Promise((r) => setTimeout(r, 200));
      expect(subscriber.received.map((e) => e.type)).toEqual(['LateCommitted', 'CommittedEarly1', 'CommittedEarly2']);
      expect(subscriber.received[0]!.position.prepare).toBe(lateSequence);
    } finally {
      await late.end();
      await subscriber.stop();
    }
  });

  it('delivers a stream in revision order when a batch append waits for that stream behind a single append', async () => {
    const [a, b] = [`wait-a-${randomUUID()}`, `wait-b-${randomUUID()}`];
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      // given a transaction that holds stream b as an append does, with nothing written yet
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock($1, hashtext($2))', [STREAM_LOCK_NAMESPACE, b]);
      // when a batch for a and b starts, then the holder writes b's first event and commits
      const batch = store.appendToStreams([
        { stream: a, events: [testEvent('BatchedA')], expectedRevision: 'no_stream' },
        { stream: b, events: [testEvent('BatchedB')], expectedRevision: 'any' },
      ]);
      await new Promise((r) => setTimeout(r, 300));
      const first = testEvent('HeldB');
      await holder.query(`select append_events_locked($1, -1, $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`, [
        b,
        [first.id],
        [first.type],
        [JSON.stringify({})],
        [JSON.stringify(first.metadata)],
      ]);
      await holder.query('commit');
      expect((await batch).map((r) => r instanceof Error)).toEqual([false, false]);
    } finally {
      await holder.end();
    }
    // then the log, in the order subscribers read it, has b's events in revision order: the batch
    // took its transaction id only once it held every stream, after the holder's
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll({ filter: { streamPrefixes: [a, b] } })) events.push(event);
    expect(events.filter((e) => e.stream === b).map((e) => [e.type, e.revision])).toEqual([
      ['HeldB', 0n],
      ['BatchedB', 1n],
    ]);
  });

  it('delivers 8 writers × 2,000 events on many streams exactly once, each stream in revision order', async () => {
    const writers = 8;
    const perWriter = 2000;
    const streamsPerWriter = 25;
    const prefix = `busy${randomUUID().slice(0, 8)}-`;
    const subscriber = record(store, prefix);

    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const revisions = new Map<string, bigint>();
        for (let i = 0; i < perWriter; i++) {
          const stream = `${prefix}${w}-${i % streamsPerWriter}`;
          const expected = revisions.get(stream);
          const result = await store.appendToStream(stream, [testEvent('Busy', { w, i })], {
            expectedRevision: expected ?? 'no_stream',
          });
          revisions.set(stream, result.nextExpectedRevision);
        }
      }),
    );

    const total = writers * perWriter;
    await waitFor(async () => (subscriber.received.length >= total ? true : undefined), `${total} events`, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    await subscriber.stop();

    const events = subscriber.received;
    // said together, so that a failure shows whether events came twice and where
    const seen = new Set<string>();
    const repeated = events.filter((e) => seen.has(e.id) || !seen.add(e.id)).map((e) => `${e.stream}@${e.revision} (${formatPosition(e.position)})`);
    expect({ delivered: events.length, repeated: repeated.slice(0, 10) }).toEqual({ delivered: total, repeated: [] });
    expect(seen.size).toBe(total);
    for (let i = 1; i < events.length; i++) expect(comparePositions(events[i - 1]!.position, events[i]!.position)).toBe(-1);
    const nextRevision = new Map<string, bigint>();
    for (const event of events) {
      expect(event.revision).toBe(nextRevision.get(event.stream) ?? 0n);
      nextRevision.set(event.stream, event.revision + 1n);
    }
    expect(nextRevision.size).toBe(writers * streamsPerWriter);
  });
});
