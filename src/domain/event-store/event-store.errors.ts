import type { ExpectedRevision } from './event-store.port.js';

/**
 * What a writer read was changed by someone else before its write: decide again on the new state.
 * The command handler retries on it, whatever the store (an event stream, or S3's conditional writes).
 */
export class ConcurrentWrite extends Error {
  override readonly name: string = 'ConcurrentWrite';
}

/** The stream was not at the revision the writer expected: someone else moved it. */
export class WrongExpectedRevision extends ConcurrentWrite {
  override readonly name = 'WrongExpectedRevision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's current revision, or 'no_stream' when it does not exist. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

export class StreamNotFound extends Error {
  override readonly name = 'StreamNotFound';
  constructor(readonly stream: string) {
    super(`stream ${stream} does not exist`);
  }
}

/**
 * An event id already stands in the log somewhere the retried append cannot have put it: in its
 * stream without the ids appended with it, or (PostgreSQL only) in another stream.
 */
export class DuplicateEventId extends Error {
  override readonly name = 'DuplicateEventId';
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(`stream ${stream}: event id ${eventId} was already appended elsewhere`);
  }
}

/** The stream was deleted for good (KurrentDB's tombstone): it can be neither read nor written again. */
export class StreamDeleted extends Error {
  override readonly name = 'StreamDeleted';
  constructor(readonly stream: string) {
    super(`stream ${stream} is deleted`);
  }
}

/** One append carried more than the store takes at once (KurrentDB's MaxAppendSize, 1 MiB by default). */
export class AppendTooLarge extends Error {
  override readonly name = 'AppendTooLarge';
  constructor(
    readonly stream: string,
    readonly maxAppendSize: number,
  ) {
    super(`stream ${stream}: the append exceeds the store's limit of ${maxAppendSize} bytes`);
  }
}
