/**
 * The double's transaction log, in memory: what KurrentDB's index writer and reader decide, for one
 * node. Each append is one implicit transaction whose events are committed prepares, so an event's
 * position in $all is (its log position, its log position), and an append answers with the
 * position of its last event — as KurrentDB 25.1's AllReader and StorageChaser do
 * (src/KurrentDB.Core/Services/Storage/ReaderIndex/AllReader.cs, StorageChaser.cs).
 */

export type Expected = { readonly kind: 'any' | 'no_stream' | 'stream_exists' } | { readonly kind: 'revision'; readonly revision: bigint };

export interface StoredEvent {
  readonly stream: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server's "created" metadata carries them. */
  readonly created: bigint;
  readonly position: bigint;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export type AppendOutcome =
  /** `revision` is the stream's last revision after the append, -1 for none (an empty append to no stream). */
  | { readonly kind: 'written' | 'idempotent'; readonly revision: bigint; readonly position: bigint }
  /** `current` is -1 when the stream does not exist. */
  | { readonly kind: 'wrong_expected_version'; readonly current: bigint }
  | { readonly kind: 'stream_deleted' }
  | { readonly kind: 'max_append_size_exceeded'; readonly maxAppendSize: number };

export interface DoubleLogOptions {
  /**
   * KurrentDB's MaxAppendSize, 1 MiB by default ("MaxAppendSize", docs.kurrent.io/server/v25.1/configuration/
   * — "The maximum size of appends, in bytes"). Counted here as each event's type, data and metadata
   * bytes, which is what Event.SizeOnDisk adds up.
   */
  readonly maxAppendSize?: number;
  /**
   * How many recently written event ids the idempotency check for 'any' and 'stream_exists' remembers.
   * The server bounds its committed-events cache by memory (ESConsts.CommittedEventsMemCacheLimit), not
   * by count: a guess, made small enough that tests can push an id out of it. KurrentDB documents the
   * consequence ("Idempotence", docs.kurrent.io/clients/grpc/appending-events.html): with 'any',
   * idempotence is best effort.
   */
  readonly idempotencyCacheSize?: number;
  readonly now?: () => number;
}

/**
 * Guesses, both: positions are byte offsets in the transaction log, opaque to clients ("Position",
 * docs.kurrent.io/clients/grpc/reading-events.html — "the position in the transaction log"). A
 * record's header is taken as this many bytes on top of its stream name, type, data and metadata,
 * so positions grow unevenly, as real ones do, and no client may count on them being consecutive.
 */
const RECORD_OVERHEAD = 90n;
/** Guess: a fresh node's log does not start at 0 (the chunk header and epoch records come first). */
const FIRST_POSITION = 4_096n;
const TICKS_PER_MS = 10_000n;

export class DoubleLog {
  readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, { readonly events: StoredEvent[]; tombstoned: boolean }>();
  private readonly committedIds = new Map<string, { readonly stream: string; readonly revision: bigint }>();
  private readonly listeners = new Set<() => void>();
  private nextPosition = FIRST_POSITION;
  readonly maxAppendSize: number;
  private readonly idempotencyCacheSize: number;
  private readonly now: () => number;

  constructor(options: DoubleLogOptions = {}) {
    this.maxAppendSize = options.maxAppendSize ?? 1_048_576;
    this.idempotencyCacheSize = options.idempotencyCacheSize ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** The last revision, -1 for no stream; undefined when tombstoned. */
  lastRevision(stream: string): bigint | undefined {
    const entry = this.streams.get(stream);
    if (entry?.tombstoned) return undefined;
    return entry ? BigInt(entry.events.length) - 1n : -1n;
  }

  isTombstoned(stream: string): boolean {
    return this.streams.get(stream)?.tombstoned ?? false;
  }

  streamEvents(stream: string): readonly StoredEvent[] | undefined {
    return this.streams.get(stream)?.events;
  }

  /** Called after every write, once the events are visible to readers. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** IndexWriter.CheckCommit, then the write, as one step: the double has one writer. */
  append(stream: string, expected: Expected, proposed: readonly ProposedEvent[]): AppendOutcome {
    const size = proposed.reduce((sum, e) => sum + Buffer.byteLength(e.type) + e.data.length + e.metadata.length, 0);
    if (size > this.maxAppendSize) return { kind: 'max_append_size_exceeded', maxAppendSize: this.maxAppendSize };

    const current = this.lastRevision(stream);
    if (current === undefined) return { kind: 'stream_deleted' };
    const decision = this.check(stream, current, expected, proposed);
    if (decision) return decision;
    return this.write(stream, current, proposed);
  }

  /** A hard delete, as DeleteStream with tombstone does: the stream can never be written or read again. */
  tombstone(stream: string): void {
    const entry = this.streams.get(stream) ?? { events: [], tombstoned: false };
    entry.tombstoned = true;
    this.streams.set(stream, entry);
    this.nextPosition += RECORD_OVERHEAD + BigInt(Buffer.byteLength(stream));
  }

  private check(stream: string, current: bigint, expected: Expected, proposed: readonly ProposedEvent[]): AppendOutcome | undefined {
    const wrong = { kind: 'wrong_expected_version', current } as const;
    if (expected.kind === 'stream_exists' && current < 0n) return wrong;

    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      // Only the bounded cache of recent ids is asked: an id it no longer holds, or one in another
      // stream, is written again (IndexWriter.CheckCommit, "idempotency checks").
      let last: { readonly stream: string; readonly revision: bigint } | undefined;
      for (const [i, event] of proposed.entries()) {
        const seen = this.committedIds.get(event.id);
        if (!seen || seen.stream !== stream) return i === 0 ? undefined : wrong; // CorruptedIdempotency answers as a wrong expected version
        last = seen;
      }
      return last ? this.idempotent(stream, last.revision) : undefined;
    }

    const expectedRevision = expected.kind === 'revision' ? expected.revision : -1n;
    if (expectedRevision < current) {
      // a retry: the same ids right after the expected revision, checked against the stream itself
      const events = this.streams.get(stream)!.events;
      let revision = expectedRevision;
      for (const event of proposed) {
        revision += 1n;
        if (events[Number(revision)]?.id !== event.id) return wrong;
      }
      return revision === expectedRevision ? wrong : this.idempotent(stream, revision);
    }
    return expectedRevision > current ? wrong : undefined;
  }

  private idempotent(stream: string, revision: bigint): AppendOutcome {
    const event = this.streams.get(stream)!.events[Number(revision)]!;
    return { kind: 'idempotent', revision, position: event.position };
  }

  private write(stream: string, current: bigint, proposed: readonly ProposedEvent[]): AppendOutcome {
    const entry = this.streams.get(stream) ?? { events: [], tombstoned: false };
    if (proposed.length === 0) {
      // an empty append writes a prepare without data: it moves the log, creates no stream and no event
      const position = this.nextPosition;
      this.nextPosition += RECORD_OVERHEAD;
      return { kind: 'written', revision: current, position };
    }
    this.streams.set(stream, entry);
    const created = BigInt(this.now()) * TICKS_PER_MS;
    let revision = current;
    let position = this.nextPosition;
    for (const event of proposed) {
      revision += 1n;
      position = this.nextPosition;
      const stored: StoredEvent = { stream, revision, ...event, created, position };
      this.nextPosition += RECORD_OVERHEAD + BigInt(Buffer.byteLength(stream) + Buffer.byteLength(event.type) + event.data.length + event.metadata.length);
      entry.events.push(stored);
      this.events.push(stored);
      this.remember(event.id, stream, revision);
    }
    for (const listener of this.listeners) listener();
    return { kind: 'written', revision, position };
  }

  private remember(id: string, stream: string, revision: bigint): void {
    this.committedIds.delete(id);
    this.committedIds.set(id, { stream, revision });
    if (this.committedIds.size > this.idempotencyCacheSize) this.committedIds.delete(this.committedIds.keys().next().value!);
  }

  /** Index of the first event of $all at or after `position` (events are in position order). */
  indexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.events[mid]!.position < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The position the next record will take: the end of the log. */
  get end(): bigint {
    return this.nextPosition;
  }
}
