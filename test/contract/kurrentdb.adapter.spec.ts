import { KurrentDbEventStore } from '../../src/adapters/event-store/kurrentdb/kurrentdb.event-store.js';
import { AppendTooLarge, StreamDeleted } from '../../src/domain/event-store/event-store.errors.js';
import type { EventToAppend } from '../../src/domain/event-store/event-store.port.js';
import { startKurrentDbDouble, type KurrentDbDouble } from '../support/kurrentdb-double/kurrentdb-double.js';
import { collect, testEvent, uniqueStream } from '../support/events.js';
import { waitFor } from '../support/wait.js';

/**
 * The KurrentDB adapter beyond the contract: what its use of the client does on the wire, read
 * off the protocol-level double (which Read calls the server served, with which filter, how many
 * events it sent, which are still open).
 */
describe('the KurrentDB adapter against the double', () => {
  let double: KurrentDbDouble;
  let store: KurrentDbEventStore;

  beforeEach(async () => {
    double = await startKurrentDbDouble();
    store = KurrentDbEventStore.fromConnectionString(double.url);
  });
  afterEach(async () => {
    await store.close();
    await double.close();
  });

  /** The promise's value, or `late` once `ms` pass (the timer cleared either way, so Jest can exit). */
  function within<T, L extends string = 'hung'>(promise: Promise<T>, ms = 15_000, late = 'hung' as L): Promise<T | L> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([promise, new Promise<L>((resolve) => (timer = setTimeout(() => resolve(late), ms)))]).finally(() => clearTimeout(timer));
  }

  async function appendMany(stream: string, count: number, make: (i: number) => EventToAppend = (i) => testEvent('Filled', { i })): Promise<void> {
    let expected: bigint | 'no_stream' = 'no_stream';
    for (let from = 0; from < count; from += 100) {
      const events = Array.from({ length: Math.min(100, count - from) }, (_, j) => make(from + j));
      expected = (await store.appendToStream(stream, events, { expectedRevision: expected })).nextExpectedRevision;
    }
  }

  describe('reading $all', () => {
    it('asks the server for what it will deliver: the filter goes to the server, and a short read reads little', async () => {
      const wanted = uniqueStream('wanted');
      await appendMany(uniqueStream('other'), 400);
      await appendMany(wanted, 3, (i) => testEvent('Wanted', { i }));
      await appendMany(uniqueStream('other'), 400);
      const before = double.reads.length;

      const events = await collect(store.readAll({ filter: { streamPrefixes: [wanted] }, maxCount: 2 }));

      expect(events.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }]);
      const reads = double.reads.slice(before);
      expect(reads.every((r) => r.kind === 'all' && r.filter !== undefined)).toBe(true);
      expect(reads.reduce((sum, r) => sum + r.eventsSent, 0)).toBeLessThanOrEqual(3);
    });

    it('leaves no read open on the server when the caller stops early, however often it does', async () => {
      // a log larger than HTTP/2 lets the server send ahead, so an abandoned read stays open; 120
      // reads in all, past the 100 streams a connection may hold open
      const big = 'x'.repeat(2_048);
      await appendMany(uniqueStream('big'), 2_500, (i) => testEvent('Big', { i, big }));

      for (let i = 0; i < 60; i++) {
        for await (const _ of store.readAll({ maxCount: 1 })) break; // as the readiness probe reads
        for await (const _ of store.readAll()) break; // as a caller that found what it looked for
      }

      await waitFor(async () => (double.openReads === 0 ? true : undefined), 'every read to end on the server', 5_000);
    }, 60_000);
  });

  describe('closing', () => {
    const parkedConsumer = (): Promise<unknown> =>
      collect(store.subscribeToAll({ filter: { streamPrefixes: ['nothing-matches-'] } })).then(
        (events) => ({ ended: events.length }),
        (error: unknown) => ({ failed: error }),
      );
    const settled = (iteration: Promise<unknown>): Promise<unknown> => within(iteration, 5_000, 'still waiting');

    it('ends the iteration of a consumer waiting on a live subscription, and closes its connection', async () => {
      await store.appendToStream(uniqueStream('live'), [testEvent()], { expectedRevision: 'no_stream' });
      const iteration = parkedConsumer();
      await waitFor(async () => (double.reads.some((r) => r.kind === 'subscription' && r.open) ? true : undefined), 'the subscription to open');

      await store.close();

      expect(await settled(iteration)).toEqual({ ended: 0 });
      // appends and subscriptions share one gRPC channel; nothing here read through the native bridge
      await waitFor(async () => (double.openConnections === 0 ? true : undefined), 'the client to close its connection', 5_000);
      expect(double.reads.filter((r) => r.open)).toEqual([]);
    });

    it('ends the iteration of a subscription whose call had not started yet when the store closed', async () => {
      const iteration = parkedConsumer();
      await new Promise((resolve) => setImmediate(resolve));

      await store.close();

      expect(await settled(iteration)).toEqual({ ended: 0 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(double.reads.filter((r) => r.open)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('reports a deleted (tombstoned) stream as StreamDeleted, on append and on read', async () => {
      const s = uniqueStream('gone');
      await store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });
      double.tombstone(s);

      await expect(store.appendToStream(s, [testEvent()], { expectedRevision: 'any' })).rejects.toEqual(new StreamDeleted(s));
      await expect(collect(store.readStream(s))).rejects.toEqual(new StreamDeleted(s));
    });

    it("reports an append over the server's size limit as AppendTooLarge, naming the limit", async () => {
      const s = uniqueStream('big');
      const error = await store.appendToStream(s, [testEvent('Big', { text: 'x'.repeat(1_100_000) })], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AppendTooLarge);
      expect(error).toMatchObject({ stream: s, maxAppendSize: 1_048_576 });
    });
  });

  describe('consistency', () => {
    it('reads a stream from the leader whatever node preference the connection string names, so it reads its own writes', async () => {
      const followerPreferring = KurrentDbEventStore.fromConnectionString(`${double.url}&nodePreference=follower`);
      try {
        const s = uniqueStream('ryw');
        await followerPreferring.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });
        const before = double.reads.length;

        await collect(followerPreferring.readStream(s));
        await collect(followerPreferring.readAll({ maxCount: 1 }));

        expect(double.reads.slice(before).map((r) => [r.kind, r.requiresLeader])).toEqual([
          ['stream', true],
          ['all', true],
        ]);
      } finally {
        await followerPreferring.close();
      }
    });
  });

  describe('faults', () => {
    it('fails an append and a read that the server answers Unavailable, and the next ones go through', async () => {
      const s = uniqueStream('unavailable');
      await store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });

      double.failNext('batchAppend');
      await expect(within(store.appendToStream(s, [testEvent()], { expectedRevision: 0n }))).rejects.toMatchObject({ type: 'unavailable' });
      double.failNext('read');
      await expect(within(collect(store.readStream(s)))).rejects.toMatchObject({ type: 'unavailable' });

      await store.appendToStream(s, [testEvent()], { expectedRevision: 0n });
      expect(await collect(store.readStream(s))).toHaveLength(2);
    });

    it('works once the server accepts connections again after refusing them', async () => {
      const s = uniqueStream('refused');
      double.refuseConnections();
      expect(await within(store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e))).toBeInstanceOf(Error);
      expect(await within(collect(store.readStream(s)).catch((e: unknown) => e))).toBeInstanceOf(Error);

      double.refuseConnections(false);
      await waitFor(
        () => store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' }).then(() => true, () => undefined),
        'an append to go through',
        15_000,
        200,
      );
      expect(await waitFor(() => collect(store.readStream(s)).then((events) => events, () => undefined), 'a read to go through', 15_000, 200)).toHaveLength(1);
    }, 60_000);
  });
});
