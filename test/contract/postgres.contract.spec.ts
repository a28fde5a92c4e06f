import pg from 'pg';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { STREAM_LOCK_NAMESPACE } from '../../src/adapters/event-store/postgres/postgres.event-store.schema.js';
import { StreamNotFound, WrongExpectedRevision } from '../../src/domain/event-store/event-store.errors.js';
import { comparePositions, type Position } from '../../src/domain/event-store/position.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { collect, take, testEvent, uniqueStream } from '../support/events.js';
import { describeEventStoreContract } from './event-store.contract.js';

describeEventStoreContract('postgres', async () => {
  const db = await createTestDatabase('cl_contract', [], 60);
  const store = new PostgresEventStore(db.pool, db.url, { batchSize: 2 });
  return {
    store,
    async teardown() {
      await store.close();
      await db.drop();
    },
  };
}, { idsUniqueAcrossStreams: true });

describe('the PostgreSQL event store beyond the contract', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    db = await createTestDatabase('cl_pg_store');
    store = new PostgresEventStore(db.pool, db.url);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('refuses ids that were not appended together as a duplicate in a batch, and writes nothing of the batch', async () => {
    const [s, t] = [uniqueStream('dup'), uniqueStream('dup')];
    const a = testEvent('A');
    await store.appendToStream(s, [a], { expectedRevision: 'no_stream' });
    // alone, as the shared contract checks for every adapter; here, inside a batch
    await expect(
      store.appendToStreams([
        { stream: t, events: [testEvent('C')], expectedRevision: 'no_stream' },
        { stream: s, events: [a, testEvent('B')], expectedRevision: 'any' },
      ]),
    ).rejects.toMatchObject({ name: 'DuplicateEventId', stream: s, eventId: a.id });
    expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['A']);
    await expect(collect(store.readStream(t))).rejects.toBeInstanceOf(StreamNotFound);
  });

  it('answers a call of several transactions in its order, distinct streams two transactions at a time, a stream named twice in order', async () => {
    // 450 distinct streams: three transactions of at most 200, two of them under way at once
    const streams = Array.from({ length: 450 }, () => uniqueStream('many'));
    const results = await store.appendToStreams(streams.map((s, i) => ({ stream: s, events: [testEvent('Many', { i })], expectedRevision: 'no_stream' as const })));
    expect(results.map((r) => (r as { nextExpectedRevision: bigint }).nextExpectedRevision)).toEqual(streams.map(() => 0n));
    const read = await collect(store.readAll({ filter: { streamPrefixes: streams } }));
    expect(read).toHaveLength(450);
    for (const e of read) expect((e.data as { i: number }).i).toBe(streams.indexOf(e.stream));
    read.forEach((e) => expect(comparePositions(e.position, (results[streams.indexOf(e.stream)] as { position: Position }).position)).toBe(0));

    // a stream in the first and the second transaction, the first held up, before it locks that
    // stream, on the lock it takes first (locks go in hashtext order), held by another connection:
    // the second transaction waits for the first, so the stream's second append finds its first
    const fillers = Array.from({ length: 250 }, () => uniqueStream('filler'));
    const hash = async (s: string) => (await db.pool.query<{ h: number }>('select hashtext($1) as h', [s])).rows[0]!.h;
    const { rows: [firstLocked] } = await db.pool.query<{ s: string; h: number }>('select s, hashtext(s) as h from unnest($1::text[]) s order by 2 limit 1', [fillers.slice(0, 199)]);
    let twice = uniqueStream('twice');
    while ((await hash(twice)) <= firstLocked!.h) twice = uniqueStream('twice');
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock($1, hashtext($2))', [STREAM_LOCK_NAMESPACE, firstLocked!.s]);
      const inOrder = store.appendToStreams([
        { stream: twice, events: [testEvent('First')], expectedRevision: 'no_stream' },
        ...fillers.map((s) => ({ stream: s, events: [testEvent('Filler')], expectedRevision: 'no_stream' as const })),
        { stream: twice, events: [testEvent('Second')], expectedRevision: 0n },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('commit');
      expect((await inOrder).filter((r) => r instanceof WrongExpectedRevision)).toEqual([]);
    } finally {
      await holder.end();
    }
    expect((await collect(store.readStream(twice))).map((e) => e.type)).toEqual(['First', 'Second']);
  });

  it('sends the single appends that waited for a statement together, in the order they came, and answers each as if it went alone', async () => {
    const [warm, existing, ordered, bad] = [uniqueStream('alone'), uniqueStream('moved'), uniqueStream('ordered'), uniqueStream('bad')];
    await store.appendToStream(existing, [testEvent('E0')], { expectedRevision: 'no_stream' });
    const fresh = Array.from({ length: 10 }, () => uniqueStream('together'));
    // called in one go: the first takes the one statement, every other waits for it
    const first = store.appendToStream(warm, [testEvent('First')], { expectedRevision: 'no_stream' });
    const together = fresh.map((s, i) => store.appendToStream(s, [testEvent('Together', { i }), testEvent('Second')], { expectedRevision: 'no_stream' }));
    const moved = store.appendToStream(existing, [testEvent('Lost')], { expectedRevision: 5n });
    const inOrder = [0, 1, 2].map((n) => store.appendToStream(ordered, [testEvent('Ordered', { n })], { expectedRevision: 'any' }));
    const unserialisable = store.appendToStream(bad, [testEvent('Bad', { n: 1n })], { expectedRevision: 'no_stream' });

    await expect(unserialisable).rejects.toBeInstanceOf(TypeError);
    await expect(moved).rejects.toMatchObject({ name: 'WrongExpectedRevision', stream: existing, expected: 5n, actual: 0n });
    const [alone, ...batched] = await Promise.all([first, ...together, ...inOrder]);
    expect(batched.map((r) => r.nextExpectedRevision)).toEqual([...fresh.map(() => 1n), 0n, 1n, 2n]);
    // one transaction for all that waited, not the first's
    expect(new Set(batched.map((r) => r.position.commit)).size).toBe(1);
    expect(batched[0]!.position.commit).not.toBe(alone!.position.commit);
    for (const [i, s] of fresh.entries()) {
      const events = await collect(store.readStream(s));
      expect(events.map((e) => [e.type, e.data])).toEqual([['Together', { i }], ['Second', {}]]);
      expect(comparePositions(events[1]!.position, batched[i]!.position)).toBe(0);
    }
    expect((await collect(store.readStream(ordered))).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect((await collect(store.readStream(existing))).map((e) => e.type)).toEqual(['E0']);
    await expect(collect(store.readStream(bad))).rejects.toBeInstanceOf(StreamNotFound);
  });

  it('sends a batch the database refuses as a whole again an append at a time, so that only the append at fault fails', async () => {
    const [standing, before, dup, after, warm] = [uniqueStream('stands'), uniqueStream('before'), uniqueStream('dup'), uniqueStream('after'), uniqueStream('alone')];
    const taken = testEvent('Taken');
    await store.appendToStream(standing, [taken], { expectedRevision: 'no_stream' });
    const first = store.appendToStream(warm, [testEvent('First')], { expectedRevision: 'no_stream' });
    const [a, refused, b] = [
      store.appendToStream(before, [testEvent('Before')], { expectedRevision: 'no_stream' }),
      // an id that stands in another stream: the batch's insert fails as a whole
      store.appendToStream(dup, [testEvent('Fresh'), taken], { expectedRevision: 'no_stream' }),
      store.appendToStream(after, [testEvent('After')], { expectedRevision: 'no_stream' }),
    ];
    await expect(refused).rejects.toMatchObject({ name: 'DuplicateEventId', stream: dup, eventId: taken.id });
    await expect(Promise.all([first, a, b])).resolves.toHaveLength(3);
    expect((await collect(store.readStream(before))).map((e) => e.type)).toEqual(['Before']);
    expect((await collect(store.readStream(after))).map((e) => e.type)).toEqual(['After']);
    await expect(collect(store.readStream(dup))).rejects.toBeInstanceOf(StreamNotFound);
    expect((await collect(store.readStream(standing))).map((e) => e.type)).toEqual(['Taken']);
  });

  it('orders the log by transaction id as a number, across a change in its number of digits', async () => {
    // two transactions' events written as the log holds them: 10^k took its position first, 10^k - 1
    // committed first; both below the horizon, so 10^k below the cluster's transaction ids so far
    // (a fresh cluster's are in the hundreds or thousands)
    const { rows: [current] } = await db.pool.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
    const xid = current!.xid;
    const [low, high] = [10n ** BigInt(xid.length - 1) - 1n, 10n ** BigInt(xid.length - 1)];
    expect(high < BigInt(xid)).toBe(true);
    const stream = uniqueStream('digits');
    for (const [txid, revision] of [[high, 1], [low, 0]] as const) {
      await db.pool.query(
        `insert into events (transaction_id, stream, revision, event_id, type, data, metadata) values ($1::xid8, $2, $3, gen_random_uuid(), 'Digits', '{}', '{}')`,
        [txid.toString(), stream, revision],
      );
    }
    const read = await collect(store.readAll({ filter: { streamPrefixes: [stream] } }));
    expect(read.map((e) => e.position.commit)).toEqual([low, high]);
    expect((await store.headPosition({ streamPrefixes: [stream] }))?.commit).toBe(high);
    const subscription = store.subscribeToAll({ filter: { streamPrefixes: [stream] } });
    expect((await take(subscription, 2)).map((e) => e.position.commit)).toEqual([low, high]);
    await subscription.close();
  });

  it('tells a head above the transaction horizon: committed, but not readable until the open transaction elsewhere ends', async () => {
    // given a transaction held open on another connection (it holds the cluster's horizon back)
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_current_xact_id()');
      // when an event commits after it took its transaction id
      const prefix = uniqueStream('horizon');
      const appended = await store.appendToStream(prefix, [testEvent('AboveHorizon')], { expectedRevision: 'no_stream' });

      // then readers do not see it yet, but the head names it: a reader waiting for its writes waits for it
      expect(await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }))).toEqual([]);
      expect(await store.headPosition({ streamPrefixes: [prefix] })).toEqual(appended.position);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
  });
});
