import { createHash } from 'node:crypto';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { EventMetadata } from '../../domain/events/event-envelope.js';
import { InvalidInput } from '../../domain/errors.js';
import { idempotencyDecider, IdempotentRequestInProgress } from '../../domain/idempotency/idempotency.decider.js';
import { toIdempotencyStream } from '../../domain/streams.js';
import { handleOnStream } from '../event-stream.js';
import { uuidV5 } from '../saga/event-ids.js';

/** What makes two requests the same: who sends them, with which key, and the request itself (an operation and its payload). */
export interface IdempotentRequest {
  readonly principalId: string;
  readonly key: string;
  /** What runs: a command's name. */
  readonly operation: string;
  readonly payload: unknown;
}

export interface IdempotentOutcome<Result> {
  readonly result: Result;
  /** True when this is the first request's result again, and nothing ran. */
  readonly replayed: boolean;
}

/**
 * An operation run under a key gets a seed: the same for every run of the same request in one key
 * window (a retry after a crash included), so ids made from it (a saga id) name what an earlier run
 * may have started instead of starting it twice.
 */
export type IdempotentOperation<Result> = (seed: string) => Promise<Result>;

/** Printable ASCII, 1 to 255 characters: what the IETF draft's examples and Stripe's keys are. */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
const WAIT_STEP_MS = 50;

/** Canonical JSON: object keys sorted, so `{a, b}` and `{b, a}` are the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Commands that start work, made safe to retry (the IETF httpapi Idempotency-Key draft, as Stripe
 * applies it), kept in the event store: a stream per principal and key, claimed by the first
 * request expecting no stream — so of any number of concurrent duplicates exactly one runs. A
 * retry of the same request within 24 hours gets the first answer again and runs nothing; the same
 * key with another request is refused (IdempotencyKeyReused); a retry while the first is still
 * running waits for its answer, up to `waitMs`, then is told to retry (IdempotentRequestInProgress).
 */
export class IdempotentCommands {
  constructor(
    private readonly store: EventStore,
    private readonly options: { readonly now?: () => Date; readonly waitMs?: number } = {},
  ) {}

  /** The key as sent (a quoted structured-header string or a bare token), checked; InvalidInput otherwise. */
  static parseKey(header: string): string {
    const key = /^"(.*)"$/.exec(header)?.[1] ?? header;
    if (!KEY_PATTERN.test(key)) throw new InvalidInput([{ path: 'headers.idempotency-key', message: 'must be 1-255 printable ASCII characters' }]);
    return key;
  }

  async run<Result>(request: IdempotentRequest, metadata: Omit<EventMetadata, 'schemaVersion'>, operation: IdempotentOperation<Result>): Promise<IdempotentOutcome<Result>> {
    const stream = toIdempotencyStream(sha256(`${request.principalId}\n${request.key}`));
    const fingerprint = sha256(JSON.stringify(canonical({ operation: request.operation, payload: request.payload ?? null })));
    const now = () => this.options.now?.() ?? new Date();
    const deadline = Date.now() + (this.options.waitMs ?? 10_000);
    for (;;) {
      let claimed;
      try {
        claimed = await handleOnStream(
          this.store,
          stream,
          idempotencyDecider,
          { type: 'ClaimIdempotencyKey', data: { principalId: request.principalId, operation: request.operation, fingerprint } },
          metadata,
          { now },
        );
      } catch (error) {
        if (!(error instanceof IdempotentRequestInProgress) || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
        continue;
      }
      const { state } = claimed;
      // the result as stored: what a first run returned, through JSON
      if (state.status === 'answered') return { result: state.result as Result, replayed: true };
      const seed = uuidV5(`${stream}/${state.generation}`);
      let result: Result;
      try {
        result = await operation(seed);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await handleOnStream(this.store, stream, idempotencyDecider, { type: 'ReleaseIdempotencyClaim', data: { fingerprint, reason } }, metadata, { now }).catch(() => undefined);
        throw error;
      }
      await handleOnStream(this.store, stream, idempotencyDecider, { type: 'RecordIdempotentResult', data: { fingerprint, result: result ?? null } }, metadata, { now });
      return { result, replayed: false };
    }
  }
}
