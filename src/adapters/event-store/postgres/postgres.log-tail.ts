import type { EventFilter, RecordedEvent } from '../../../domain/event-store/event-store.port.js';
import { comparePositions, type Position } from '../../../domain/event-store/position.js';

/** A window of the log after a position: what matched, how far it looked, and whether more may follow at once. */
export interface Page {
  readonly events: RecordedEvent[];
  /** The last position the window looked at (undefined for an empty window). */
  readonly scannedTo: Position | undefined;
  readonly full: boolean;
}

/** A window of every event after `after`, at most `limit`, below the transaction horizon. */
export type WindowReader = (after: Position, limit: number) => Promise<{ readonly events: readonly RecordedEvent[]; readonly full: boolean }>;

/**
 * The log's most recent events, read once for every live subscription of one store. Without it,
 * each subscription (one per projection) reads its own window after every append, and those reads
 * were half of the database's active time under sustained load — mostly for projections whose
 * filter matched nothing in the window. Subscriptions that are behind the tail read the log
 * themselves until they reach it.
 *
 * The tail holds every event in (from, to], in position order: it starts at the first live
 * subscriber's position and extends by one window at a time from `to`, so it has no gaps; when it
 * holds more than `capacity` events the oldest are dropped and `from` moves up.
 */
export class LogTail {
  private events: RecordedEvent[] = [];
  private from: Position | undefined;
  private to: Position | undefined;
  private lastReadFull = false;
  /** When the last read ended (performance.now()). */
  private lastReadAt = -Infinity;
  /**
   * Orders asks and reads: a caller is served by a read issued after it asked. A read is issued one
   * turn of the event loop after it is started, or when the gap after a read at the log's end is over,
   * so the subscribers one notification wakes all join the same read.
   */
  private clock = 0;
  private issuedAndDone = 0;
  private reading: Promise<void> | undefined;

  /**
   * @param gapMs After a read that reached the log's end, how long before the next one starts: the
   * asks in that time join it. Every append in a process wakes its live subscribers, and without a
   * gap one `serve` under load read the tail 727 times a second, four events a read, for projections
   * of which six matched none of them.
   */
  constructor(
    private readonly readWindow: WindowReader,
    private readonly windowSize: number,
    private readonly capacity: number,
    private readonly gapMs = 0,
  ) {}

  /**
   * Up to `limit` events after `position` that `matches` keeps, from the tail, after one read of the
   * log that began after this call (shared with every caller that asked meanwhile) when `position`
   * is at or past the tail's end. Undefined when the tail does not cover `position`: the caller
   * reads the log.
   */
  async page(position: Position, matches: EventMatcher, limit: number): Promise<Page | undefined> {
    if (this.to === undefined) this.from = this.to = position;
    if (comparePositions(position, this.from!) < 0) return undefined;
    // past the tail's end (the subscriber read further on its own while no one moved the tail): the
    // tail reads on, so it catches up with its subscribers instead of being left behind
    if (comparePositions(position, this.to) > 0) {
      await this.readSince(++this.clock);
      if (comparePositions(position, this.from!) < 0 || comparePositions(position, this.to!) > 0) return undefined;
    }
    // at its end: what follows, read after this ask
    if (comparePositions(position, this.to!) === 0) {
      await this.readSince(++this.clock);
      if (comparePositions(position, this.from!) < 0) return undefined;
    }
    return this.serve(position, matches, limit);
  }

  private serve(position: Position, matches: EventMatcher, limit: number): Page {
    const first = this.indexAfter(position);
    const last = Math.min(this.events.length, first + limit);
    const events: RecordedEvent[] = [];
    for (let i = first; i < last; i++) if (matches(this.events[i]!)) events.push(this.events[i]!);
    return {
      events,
      scannedTo: last > first ? this.events[last - 1]!.position : undefined,
      full: last < this.events.length || (last > first && this.lastReadFull),
    };
  }

  /** The index of the first event after `position` (binary search: the tail is in position order). */
  private indexAfter(position: Position): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (comparePositions(this.events[mid]!.position, position) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Returns once a read issued after `askedAt` has completed: joins the next one, or starts it. */
  private async readSince(askedAt: number): Promise<void> {
    while (this.issuedAndDone < askedAt) await (this.reading ?? this.startRead());
  }

  private startRead(): Promise<void> {
    const reading = (async () => {
      try {
        const wait = this.lastReadFull ? 0 : this.lastReadAt + this.gapMs - performance.now();
        await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
        const issuedAt = ++this.clock;
        const { events, full } = await this.readWindow(this.to!, this.windowSize);
        this.append(events);
        this.lastReadFull = full;
        this.lastReadAt = performance.now();
        this.issuedAndDone = issuedAt;
      } finally {
        this.reading = undefined;
      }
    })();
    this.reading = reading;
    return reading;
  }

  private append(events: readonly RecordedEvent[]): void {
    if (events.length === 0) return;
    this.events.push(...events);
    this.to = events[events.length - 1]!.position;
    const excess = this.events.length - this.capacity;
    if (excess > 0) {
      this.from = this.events[excess - 1]!.position;
      this.events = this.events.slice(excess);
    }
  }
}

/** Whether a subscription's filter keeps an event. */
export type EventMatcher = (event: RecordedEvent) => boolean;

/** The filter as the SQL applies it (any of the stream prefixes, and any of the types), made once per subscription. */
export function eventMatcher(filter: EventFilter | undefined): EventMatcher {
  const prefixes = filter?.streamPrefixes?.length ? filter.streamPrefixes : undefined;
  const types = filter?.eventTypes?.length ? new Set(filter.eventTypes) : undefined;
  return (event) => (!prefixes || prefixes.some((p) => event.stream.startsWith(p))) && (!types || types.has(event.type));
}
