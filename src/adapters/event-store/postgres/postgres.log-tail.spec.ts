import type { RecordedEvent } from '../../../domain/event-store/event-store.port.js';
import { comparePositions, type Position, START } from '../../../domain/event-store/position.js';
import { eventMatcher, LogTail } from './postgres.log-tail.js';

const at = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const event = (n: number, type = n % 2 ? 'Odd' : 'Even'): RecordedEvent => ({
  stream: `s-${n % 3}`,
  revision: 0n,
  position: at(n),
  id: `e${n}`,
  type,
  data: {},
  metadata: {},
  recordedAt: new Date(0),
});

/** A log in memory, and a window reader over it that counts its reads. */
function log() {
  const events: RecordedEvent[] = [];
  let reads = 0;
  const reader = async (after: Position, limit: number) => {
    reads++;
    // what the database sees is fixed when the query is sent; the answer comes later
    const window = events.filter((e) => comparePositions(e.position, after) > 0).slice(0, limit);
    await new Promise((r) => setImmediate(r));
    return { events: window, full: window.length === limit };
  };
  return { events, reader, reads: () => reads, write: (...ns: number[]) => events.push(...ns.map((n) => event(n))) };
}

describe('LogTail: the recent log, read once for every live subscription', () => {
  it('serves concurrent subscribers at its end from one read, each through its own filter', async () => {
    const l = log();
    l.write(1, 2, 3);
    const tail = new LogTail(l.reader, 10, 100);
    await tail.page(at(3), eventMatcher(undefined), 10);
    const before = l.reads();
    l.write(4, 5, 6);
    const [odd, even, all] = await Promise.all([
      tail.page(at(3), eventMatcher({ eventTypes: ['Odd'] }), 10),
      tail.page(at(3), eventMatcher({ eventTypes: ['Even'] }), 10),
      tail.page(at(3), eventMatcher(undefined), 10),
    ]);
    expect(l.reads() - before).toBe(1);
    expect(odd!.events.map((e) => e.id)).toEqual(['e5']);
    expect(even!.events.map((e) => e.id)).toEqual(['e4', 'e6']);
    expect(all!.events.map((e) => e.id)).toEqual(['e4', 'e5', 'e6']);
    // a filter that matched nothing still moves the subscriber to what was looked at
    await expect(tail.page(at(3), eventMatcher({ eventTypes: ['None'] }), 10)).resolves.toMatchObject({ events: [], scannedTo: at(6), full: false });
  });

  it('reads again for a subscriber that asked while a read was in flight, so no event committed before its ask is missed', async () => {
    const l = log();
    const tail = new LogTail(l.reader, 10, 100);
    await tail.page(START, eventMatcher(undefined), 10);
    const first = tail.page(START, eventMatcher(undefined), 10);
    await new Promise((r) => setImmediate(r)); // the first read is sent
    l.write(1); // committed after it was sent, before the second caller asked
    const second = tail.page(START, eventMatcher(undefined), 10);
    expect((await first)!.events).toEqual([]);
    expect((await second)!.events.map((e) => e.id)).toEqual(['e1']);
  });

  it('pages what it holds by the limit, saying more follows, and sends a subscriber it does not cover back to the log', async () => {
    const l = log();
    const tail = new LogTail(l.reader, 4, 6);
    await tail.page(at(0), eventMatcher(undefined), 4);
    l.write(1, 2, 3, 4, 5, 6, 7, 8);
    expect(await tail.page(at(0), eventMatcher(undefined), 3)).toMatchObject({ scannedTo: at(3), full: true });
    expect(await tail.page(at(3), eventMatcher(undefined), 3)).toMatchObject({ scannedTo: at(4), full: true }); // the window read was full
    await tail.page(at(4), eventMatcher(undefined), 4); // reads 5..8: holds 6 events, 3..8
    expect(await tail.page(at(1), eventMatcher(undefined), 4)).toBeUndefined(); // trimmed: before what it holds
    expect((await tail.page(at(2), eventMatcher(undefined), 10))!.events.map((e) => e.id)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7', 'e8']);
  });

  it('catches up with a subscriber that read past it on its own, and serves it from then on', async () => {
    const l = log();
    const tail = new LogTail(l.reader, 2, 100);
    await tail.page(at(0), eventMatcher(undefined), 2);
    l.write(1, 2, 3, 4, 5);
    // read 1..2: still behind the subscriber at 4, which reads the log itself this time
    expect(await tail.page(at(4), eventMatcher(undefined), 2)).toBeUndefined();
    // read 3..4: it holds the subscriber's position now, and what follows
    expect((await tail.page(at(4), eventMatcher(undefined), 2))!.events.map((e) => e.id)).toEqual(['e5']);
  });

  it('passes a failed read to every caller waiting on it, and reads again on the next ask', async () => {
    let fail = true;
    const l = log();
    const tail = new LogTail(async (after, limit) => {
      if (fail) throw new Error('connection lost');
      return l.reader(after, limit);
    }, 10, 100);
    await expect(Promise.all([tail.page(START, eventMatcher(undefined), 10), tail.page(START, eventMatcher(undefined), 10)])).rejects.toThrow('connection lost');
    fail = false;
    l.write(1);
    expect((await tail.page(START, eventMatcher(undefined), 10))!.events.map((e) => e.id)).toEqual(['e1']);
  });

  it('after a read that reached the log’s end, waits out its gap: the asks meanwhile join one read, and each sees what was committed before it asked', async () => {
    const l = log();
    const tail = new LogTail(l.reader, 10, 100, 200);
    await tail.page(START, eventMatcher(undefined), 10);
    const before = l.reads();
    // a subscriber woken by every append, as a busy process's are: ten asks, 2 ms apart
    const pages = [];
    for (let n = 1; n <= 10; n++) {
      l.write(n);
      pages.push(tail.page(at(n - 1), eventMatcher(undefined), 10));
      await new Promise((r) => setTimeout(r, 2));
    }
    const served = await Promise.all(pages);
    expect(l.reads() - before).toBe(1);
    served.forEach((page, i) => expect(page!.events.map((e) => e.id)).toEqual(Array.from({ length: 10 - i }, (_, k) => `e${i + 1 + k}`)));
  });

  it('reads on at once after a full window: a subscriber catching up is not held back', async () => {
    const l = log();
    l.write(...Array.from({ length: 25 }, (_, i) => i + 1));
    const tail = new LogTail(l.reader, 10, 100, 10_000);
    const started = performance.now();
    let position = START;
    for (let i = 0; i < 3; i++) {
      const page = await tail.page(position, eventMatcher(undefined), 10);
      position = page!.events.at(-1)!.position;
    }
    expect(position).toEqual(at(25));
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
