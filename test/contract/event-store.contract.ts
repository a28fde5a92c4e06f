import { randomUUID } from 'node:crypto';
import { DuplicateEventId, StreamNotFound, WrongExpectedRevision } from '../../src/domain/event-store/event-store.errors.js';
import type { EventStore, ExpectedRevision, RecordedEvent } from '../../src/domain/event-store/event-store.port.js';
import { comparePositions, type Position, START } from '../../src/domain/event-store/position.js';
import { collect, take, testEvent, uniqueStream } from '../support/events.js';

export interface EventStoreFixture {
  readonly store: EventStore;
  teardown(): Promise<void>;
}

/** Where adapters differ by design: options of the one suite, not copies of it (STYLE.md 7). */
export interface EventStoreContractOptions {
  /**
   * PostgreSQL keeps event ids unique across the log and refuses one that stands in another stream
   * (DuplicateEventId). KurrentDB checks ids only to recognise a retry, so it writes such an event.
   */
  readonly idsUniqueAcrossStreams: boolean;
}

/**
 * The one contract every event store adapter passes (STYLE.md 7). Streams are unique per test and
 * global reads filter on a per-suite prefix, so the suite also runs against a shared server.
 */
export function describeEventStoreContract(adapter: string, setup: () => Promise<EventStoreFixture>, options: EventStoreContractOptions): void {
  describe(`event store contract: ${adapter}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;
    const category = `contract${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const stream = (): string => uniqueStream(category);

    beforeAll(async () => {
      // named in the run's output whatever the reporter, as a skipped row is
      process.stdout.write(`\nRUNNING the ${adapter} row of the event store contract.\n`);
      fixture = await setup();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    describe('appending', () => {
      it('creates a stream at revision 0 and returns the next expected revision and a position', async () => {
        const s = stream();
        const result = await store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(0n);
        const [event] = await collect(store.readStream(s));
        expect(event?.revision).toBe(0n);
        expect(comparePositions(event!.position, result.position)).toBe(0);
      });

      it('appends a batch atomically with consecutive revisions and keeps data and metadata', async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent('A', { n: 1 })], { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(s, [testEvent('B', { n: 2 }), testEvent('C', { n: 3, nested: { ok: true } })], {
          expectedRevision: 0n,
        });
        expect(result.nextExpectedRevision).toBe(2n);
        const events = await collect(store.readStream(s));
        expect(events.map((e) => [e.revision, e.type, e.data])).toEqual([
          [0n, 'A', { n: 1 }],
          [1n, 'B', { n: 2 }],
          [2n, 'C', { n: 3, nested: { ok: true } }],
        ]);
        expect(events[2]!.metadata).toEqual({ correlationId: 'test', causationId: null, actor: 'test', schemaVersion: 1 });
        expect(events[2]!.recordedAt).toBeInstanceOf(Date);
        expect(comparePositions(events[1]!.position, events[2]!.position)).toBe(-1);
      });

      it('refuses a wrong expected revision, naming expected and actual', async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent(), testEvent()], { expectedRevision: 'no_stream' });
        const error = await store.appendToStream(s, [testEvent()], { expectedRevision: 0n }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ stream: s, expected: 0n, actual: 1n });
      });

      it("refuses 'no_stream' on an existing stream and 'stream_exists' or a revision on a missing one", async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });
        await expect(store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' })).rejects.toMatchObject({
          name: 'WrongExpectedRevision',
          expected: 'no_stream',
          actual: 0n,
        });
        const missing = stream();
        await expect(store.appendToStream(missing, [testEvent()], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
          name: 'WrongExpectedRevision',
          actual: 'no_stream',
        });
        await expect(store.appendToStream(missing, [testEvent()], { expectedRevision: 3n })).rejects.toMatchObject({
          name: 'WrongExpectedRevision',
          expected: 3n,
          actual: 'no_stream',
        });
        await expect(collect(store.readStream(missing))).rejects.toBeInstanceOf(StreamNotFound);
      });

      it("accepts 'any' and 'stream_exists' whatever the revision", async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent()], { expectedRevision: 'any' });
        await store.appendToStream(s, [testEvent()], { expectedRevision: 'stream_exists' });
        const result = await store.appendToStream(s, [testEvent()], { expectedRevision: 'any' });
        expect(result.nextExpectedRevision).toBe(2n);
      });

      it('treats the same event ids appended again at the same expected revision as a no-op', async () => {
        const s = stream();
        const batch = [testEvent('A'), testEvent('B')];
        const first = await store.appendToStream(s, batch, { expectedRevision: 'no_stream' });
        const again = await store.appendToStream(s, batch, { expectedRevision: 'no_stream' });
        expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(comparePositions(again.position, first.position)).toBe(0);
        const next = [testEvent('C')];
        await store.appendToStream(s, next, { expectedRevision: 1n });
        await store.appendToStream(s, next, { expectedRevision: 1n });
        expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it("refuses a retry without a revision whose first id stands in the stream but not the rest, writing none of it", async () => {
        const s = stream();
        const a = testEvent('A');
        await store.appendToStream(s, [a], { expectedRevision: 'no_stream' });
        for (const expectedRevision of ['any', 'stream_exists'] as const) {
          const error = await store.appendToStream(s, [a, testEvent('B')], { expectedRevision }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(DuplicateEventId);
          expect(error).toMatchObject({ stream: s, eventId: a.id });
        }
        expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['A']);
      });

      it(
        options.idsUniqueAcrossStreams
          ? 'refuses an id that stands in another stream (DuplicateEventId)'
          : 'writes an event whose id stands in another stream: ids only recognise retries',
        async () => {
          const [s, t] = [stream(), stream()];
          const a = testEvent('A');
          await store.appendToStream(s, [a], { expectedRevision: 'no_stream' });
          const appended = store.appendToStream(t, [a], { expectedRevision: 'no_stream' });
          if (options.idsUniqueAcrossStreams) {
            await expect(appended).rejects.toMatchObject({ name: 'DuplicateEventId', stream: t, eventId: a.id });
            await expect(collect(store.readStream(t))).rejects.toBeInstanceOf(StreamNotFound);
          } else {
            await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 0n });
            expect((await collect(store.readStream(t))).map((e) => e.id)).toEqual([a.id]);
          }
        },
      );

      it('answers an empty append with the revision the stream has, -1 for none, and writes nothing', async () => {
        const missing = stream();
        await expect(store.appendToStream(missing, [], { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextExpectedRevision: -1n });
        await expect(store.appendToStream(missing, [], { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: -1n });
        await expect(collect(store.readStream(missing))).rejects.toBeInstanceOf(StreamNotFound);
        await expect(store.appendToStream(missing, [], { expectedRevision: 0n })).rejects.toMatchObject({ name: 'WrongExpectedRevision', actual: 'no_stream' });

        const s = stream();
        await store.appendToStream(s, [testEvent(), testEvent()], { expectedRevision: 'no_stream' });
        await expect(store.appendToStream(s, [], { expectedRevision: 1n })).resolves.toMatchObject({ nextExpectedRevision: 1n });
        await expect(store.appendToStream(s, [], { expectedRevision: 'stream_exists' })).resolves.toMatchObject({ nextExpectedRevision: 1n });
        expect(await collect(store.readStream(s))).toHaveLength(2);
      });

      it('rejects data it cannot serialise as JSON (a BigInt, a cycle) at once, and writes nothing', async () => {
        const s = stream();
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        for (const data of [{ n: 1n }, cyclic]) {
          await expect(settlesWithin(store.appendToStream(s, [testEvent('Bad', data)], { expectedRevision: 'no_stream' }), 5_000)).rejects.toBeInstanceOf(TypeError);
        }
        await expect(collect(store.readStream(s))).rejects.toBeInstanceOf(StreamNotFound);
      });

      it('lets exactly one of 50 racing writers at the same expected revision win; revisions stay contiguous', async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => store.appendToStream(s, [testEvent('Raced', { i })], { expectedRevision: 0n })),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(49);
        for (const o of lost) expect(o.reason).toBeInstanceOf(WrongExpectedRevision);
        const revisions = (await collect(store.readStream(s))).map((e) => e.revision);
        expect(revisions).toEqual([0n, 1n]);
      });
    });

    describe('appending to many streams at once', () => {
      it('appends each stream at its own expected revision and leaves out, reported, the one that moved', async () => {
        const [fresh, existing, moved] = [stream(), stream(), stream()];
        await store.appendToStream(existing, [testEvent('A')], { expectedRevision: 'no_stream' });
        await store.appendToStream(moved, [testEvent('A'), testEvent('B')], { expectedRevision: 'no_stream' });
        const results = await store.appendToStreams([
          { stream: fresh, events: [testEvent('X', { n: 1 }), testEvent('Y', { n: 2 })], expectedRevision: 'no_stream' },
          { stream: moved, events: [testEvent('Lost')], expectedRevision: 0n },
          { stream: existing, events: [testEvent('Z', { n: 3 })], expectedRevision: 0n },
        ]);
        expect(results[0]).toMatchObject({ nextExpectedRevision: 1n });
        expect(results[1]).toBeInstanceOf(WrongExpectedRevision);
        expect(results[1]).toMatchObject({ stream: moved, expected: 0n, actual: 1n });
        expect(results[2]).toMatchObject({ nextExpectedRevision: 1n });
        expect((await collect(store.readStream(fresh))).map((e) => [e.revision, e.type, e.data])).toEqual([
          [0n, 'X', { n: 1 }],
          [1n, 'Y', { n: 2 }],
        ]);
        expect((await collect(store.readStream(moved))).map((e) => e.type)).toEqual(['A', 'B']);
        const [, z] = await collect(store.readStream(existing));
        expect(z).toMatchObject({ type: 'Z', revision: 1n });
        expect(comparePositions(z!.position, (results[2] as { position: Position }).position)).toBe(0);
      });

      it('appends several events to each of streams all as expected, in log order, with positions as read', async () => {
        const [existing, fresh, single] = [stream(), stream(), stream()];
        await store.appendToStream(existing, [testEvent('E0'), testEvent('E1')], { expectedRevision: 'no_stream' });
        const results = await store.appendToStreams([
          { stream: existing, events: [testEvent('E2'), testEvent('E3')], expectedRevision: 1n },
          { stream: fresh, events: [testEvent('F0'), testEvent('F1'), testEvent('F2')], expectedRevision: 'no_stream' },
          { stream: single, events: [testEvent('S0')], expectedRevision: 'no_stream' },
        ]);
        expect(results.map((r) => (r as { nextExpectedRevision: bigint }).nextExpectedRevision)).toEqual([3n, 2n, 0n]);
        const streams = [existing, fresh, single];
        const read = await Promise.all(streams.map((s) => collect(store.readStream(s))));
        expect(read.map((events) => events.map((e) => `${e.type}@${e.revision}`))).toEqual([['E0@0', 'E1@1', 'E2@2', 'E3@3'], ['F0@0', 'F1@1', 'F2@2'], ['S0@0']]);
        read.forEach((events, i) => expect(comparePositions(events[events.length - 1]!.position, (results[i] as { position: Position }).position)).toBe(0));
        const all = await collect(store.readAll({ filter: { streamPrefixes: streams } }));
        for (const s of streams) expect(all.filter((e) => e.stream === s).map((e) => e.revision)).toEqual(read[streams.indexOf(s)]!.map((e) => e.revision));
      });

      it('reports a missing stream as no_stream, answers an empty call with nothing, takes a retry as a no-op and a stream named twice in order', async () => {
        const missing = stream();
        const [result] = await store.appendToStreams([{ stream: missing, events: [testEvent()], expectedRevision: 2n }]);
        expect(result).toMatchObject({ name: 'WrongExpectedRevision', actual: 'no_stream' });
        await expect(collect(store.readStream(missing))).rejects.toBeInstanceOf(StreamNotFound);
        expect(await store.appendToStreams([])).toEqual([]);

        const [a, b] = [stream(), stream()];
        const appends = [
          { stream: a, events: [testEvent('A1')], expectedRevision: 'no_stream' as const },
          { stream: b, events: [testEvent('B1'), testEvent('B2')], expectedRevision: 'no_stream' as const },
        ];
        const first = await store.appendToStreams(appends);
        const again = await store.appendToStreams(appends);
        expect(again.map((r) => (r as { nextExpectedRevision: bigint }).nextExpectedRevision)).toEqual([0n, 1n]);
        expect(comparePositions((again[1] as { position: Position }).position, (first[1] as { position: Position }).position)).toBe(0);
        expect((await collect(store.readStream(b))).map((e) => e.type)).toEqual(['B1', 'B2']);

        const twice = stream();
        const results = await store.appendToStreams([
          { stream: twice, events: [testEvent('First')], expectedRevision: 'no_stream' },
          { stream: twice, events: [testEvent('Second')], expectedRevision: 0n },
        ]);
        expect(results.map((r) => (r as { nextExpectedRevision: bigint }).nextExpectedRevision)).toEqual([0n, 1n]);
        expect((await collect(store.readStream(twice))).map((e) => e.type)).toEqual(['First', 'Second']);
      });

      it('keeps each stream in revision order for subscribers while batches and single appends race on the same streams', async () => {
        const streams = Array.from({ length: 6 }, () => stream());
        const rounds = 12;
        await Promise.all([
          (async () => {
            for (let round = 0; round < rounds; round++) {
              // each stream as far as the batch writer knows it: a racing single append makes it miss, and it reads again
              const revisions = await Promise.all(streams.map((s) => currentRevision(store, s)));
              await store.appendToStreams(streams.map((s, i) => ({ stream: s, events: [testEvent('Batched', { round })], expectedRevision: revisions[i]! })));
            }
          })(),
          ...streams.map(async (s) => {
            for (let round = 0; round < rounds; round++) await store.appendToStream(s, [testEvent('Single', { round })], { expectedRevision: 'any' });
          }),
        ]);
        const written = await Promise.all(streams.map(async (s) => (await collect(store.readStream(s))).length));
        const total = written.reduce((sum, n) => sum + n, 0);
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: streams } });
        try {
          const delivered = await take(subscription, total);
          for (const s of streams) {
            expect(delivered.filter((e) => e.stream === s).map((e) => e.revision)).toEqual(Array.from({ length: written[streams.indexOf(s)]! }, (_, i) => BigInt(i)));
          }
        } finally {
          await subscription.close();
        }
      });
    });

    describe('reading a stream', () => {
      it('reads forwards from a revision (inclusive) and backwards from the end, with a max count', async () => {
        const s = stream();
        await store.appendToStream(s, Array.from({ length: 5 }, (_, i) => testEvent('N', { i })), { expectedRevision: 'no_stream' });
        const from2 = await collect(store.readStream(s, { fromRevision: 2n }));
        expect(from2.map((e) => e.revision)).toEqual([2n, 3n, 4n]);
        const backwards = await collect(store.readStream(s, { direction: 'backwards', maxCount: 2 }));
        expect(backwards.map((e) => e.revision)).toEqual([4n, 3n]);
        const backFrom1 = await collect(store.readStream(s, { direction: 'backwards', fromRevision: 1n }));
        expect(backFrom1.map((e) => e.revision)).toEqual([1n, 0n]);
      });

      it('takes a maxCount of Infinity as no limit, and refuses a negative or fractional one (RangeError)', async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent(), testEvent(), testEvent()], { expectedRevision: 'no_stream' });
        expect(await collect(store.readStream(s, { maxCount: Number.POSITIVE_INFINITY }))).toHaveLength(3);
        expect(await collect(store.readStream(s, { direction: 'backwards', maxCount: Number.POSITIVE_INFINITY }))).toHaveLength(3);
        expect(await collect(store.readAll({ filter: { streamPrefixes: [s] }, maxCount: Number.POSITIVE_INFINITY }))).toHaveLength(3);
        for (const maxCount of [-1, 1.5, Number.NaN]) {
          await expect(collect(store.readStream(s, { maxCount }))).rejects.toBeInstanceOf(RangeError);
          await expect(collect(store.readAll({ filter: { streamPrefixes: [s] }, maxCount }))).rejects.toBeInstanceOf(RangeError);
        }
      });

      it('tells a missing stream from an empty read', async () => {
        const s = stream();
        await store.appendToStream(s, [testEvent()], { expectedRevision: 'no_stream' });
        expect(await collect(store.readStream(s, { fromRevision: 7n }))).toEqual([]);
        await expect(collect(store.readStream(stream()))).rejects.toBeInstanceOf(StreamNotFound);
      });
    });

    describe('reading $all', () => {
      it('reads in position order after a position, filtered by stream prefix and event type', async () => {
        const prefix = `${category}x${randomUUID().slice(0, 6)}-`;
        const a = `${prefix}a`;
        const b = `${prefix}b`;
        await store.appendToStream(a, [testEvent('Kept', { n: 1 }), testEvent('Dropped')], { expectedRevision: 'no_stream' });
        await store.appendToStream(b, [testEvent('Kept', { n: 2 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(stream(), [testEvent('Kept', { n: 99 })], { expectedRevision: 'no_stream' });

        const byPrefix = await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }));
        expect(byPrefix.map((e) => e.type)).toEqual(['Kept', 'Dropped', 'Kept']);
        assertAscending(byPrefix);

        const both = await collect(store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['Kept'] } }));
        expect(both.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);

        const after = await collect(store.readAll({ fromPosition: both[0]!.position, filter: { streamPrefixes: [prefix] } }));
        expect(after.map((e) => e.type)).toEqual(['Dropped', 'Kept']);

        const limited = await collect(store.readAll({ filter: { streamPrefixes: [prefix] }, maxCount: 2 }));
        expect(limited).toHaveLength(2);
      });

      it('tells the head: the position of the last event written, by filter, null when none matches', async () => {
        const prefix = `${category}h${randomUUID().slice(0, 6)}-`;
        expect(await store.headPosition({ streamPrefixes: [prefix] })).toBeNull();
        const first = await store.appendToStream(`${prefix}a`, [testEvent('HeadA')], { expectedRevision: 'no_stream' });
        const second = await store.appendToStream(`${prefix}b`, [testEvent('HeadB')], { expectedRevision: 'no_stream' });
        expect(await store.headPosition({ streamPrefixes: [prefix] })).toEqual(second.position);
        expect(await store.headPosition({ streamPrefixes: [prefix], eventTypes: ['HeadA'] })).toEqual(first.position);
        expect(await store.headPosition({ streamPrefixes: [prefix], eventTypes: ['Nothing'] })).toBeNull();
      });
    });

    describe('subscribing to $all', () => {
      it('catches up, then delivers live events, in order, each once', async () => {
        const prefix = `${category}s${randomUUID().slice(0, 6)}-`;
        await store.appendToStream(`${prefix}1`, [testEvent('Old')], { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({ fromPosition: START, filter: { streamPrefixes: [prefix] } });
        const received = take(subscription, 3);
        await store.appendToStream(`${prefix}2`, [testEvent('New1')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${prefix}2`, [testEvent('New2')], { expectedRevision: 0n });
        const events = await received;
        await subscription.close();
        expect(events.map((e) => e.type)).toEqual(['Old', 'New1', 'New2']);
        assertAscending(events);
      });

      it('resumes after a checkpoint (exclusive) and honours an event type filter', async () => {
        const prefix = `${category}c${randomUUID().slice(0, 6)}-`;
        const s = `${prefix}1`;
        await store.appendToStream(s, [testEvent('T1'), testEvent('Other'), testEvent('T2'), testEvent('T3')], {
          expectedRevision: 'no_stream',
        });
        const all = await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }));
        const subscription = store.subscribeToAll({
          fromPosition: all[0]!.position,
          filter: { streamPrefixes: [prefix], eventTypes: ['T1', 'T2', 'T3'] },
        });
        const events = await take(subscription, 2);
        await subscription.close();
        expect(events.map((e) => e.type)).toEqual(['T2', 'T3']);
      });

      it('serves several live subscriptions with different filters each its own events, in order, each once, while writers race', async () => {
        const prefix = `${category}m${randomUUID().slice(0, 6)}-`;
        const types = ['Red', 'Green', 'Blue'] as const;
        const subscriptions = types.map((type) => store.subscribeToAll({ fromPosition: START, filter: { streamPrefixes: [prefix], eventTypes: [type] } }));
        const everything = store.subscribeToAll({ fromPosition: START, filter: { streamPrefixes: [prefix] } });
        const PER_WRITER = 40;
        const WRITERS = 3;
        const received = subscriptions.map((subscription) => take(subscription, (PER_WRITER * WRITERS) / types.length, 30_000));
        const all = take(everything, PER_WRITER * WRITERS, 30_000);
        await Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            for (let i = 0; i < PER_WRITER; i++) {
              await store.appendToStream(`${prefix}${w}`, [testEvent(types[(w + i) % types.length], { w, i })], { expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1) });
            }
          }),
        );
        const [byType, allEvents] = [await Promise.all(received), await all];
        await Promise.all([...subscriptions, everything].map((s) => s.close()));
        assertAscending(allEvents);
        expect(new Set(allEvents.map((e) => e.id)).size).toBe(PER_WRITER * WRITERS);
        byType.forEach((events, t) => {
          expect(events.every((e) => e.type === types[t])).toBe(true);
          assertAscending(events);
          // exactly the events of its type, in the order of the unfiltered subscription
          expect(events.map((e) => e.id)).toEqual(allEvents.filter((e) => e.type === types[t]).map((e) => e.id));
        });
      });

      it('with checkpoints, moves a subscription whose filter matches nothing past the events it skips', async () => {
        const prefix = `${category}k${randomUUID().slice(0, 6)}-`;
        const subscription = store.subscribeToAll({ fromPosition: START, filter: { streamPrefixes: [prefix], eventTypes: ['NeverWritten'] } });
        if (!subscription.withCheckpoints) throw new Error('the adapter gives no checkpoints');
        const positions: Position[] = [];
        for (let i = 0; i < 100; i += 10) {
          const appended = await store.appendToStream(`${prefix}1`, Array.from({ length: 10 }, () => testEvent('Skipped')), { expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1) });
          positions.push(appended.position);
        }
        // past the 64th event at least: KurrentDB sends one every 32 events it considered
        const wanted = positions[6]!;
        let delivered = 0;
        await settlesWithin(
          (async () => {
            for await (const item of subscription.withCheckpoints!()) {
              if (!('checkpoint' in item)) delivered++;
              else if (comparePositions(item.checkpoint, wanted) >= 0) break;
            }
          })(),
          20_000,
        );
        await subscription.close();
        expect(delivered).toBe(0);
      });

      it('ends iteration when closed', async () => {
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: [`${category}none-`] } });
        const iteration = collect(subscription);
        await new Promise((r) => setTimeout(r, 50));
        await subscription.close();
        await expect(iteration).resolves.toEqual([]);
      });
    });
  });
}

function assertAscending(events: readonly RecordedEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    expect(comparePositions(events[i - 1]!.position, events[i]!.position)).toBe(-1);
  }
}

/** The promise, or a rejection saying it did not settle in time: a hang fails the test instead of its timeout. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The stream's last revision, or 'no_stream'. */
async function currentRevision(store: EventStore, stream: string): Promise<ExpectedRevision> {
  try {
    const [last] = await collect(store.readStream(stream, { direction: 'backwards', maxCount: 1 }));
    return last ? last.revision : 'no_stream';
  } catch (error) {
    if (error instanceof StreamNotFound) return 'no_stream';
    throw error;
  }
}
