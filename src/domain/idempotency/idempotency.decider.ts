import { Conflict, NotAllowed } from '../errors.js';
import type { Decider } from '../decider.js';
import { type IdempotencyEvent, idempotencyEvents } from './idempotency.events.js';

/**
 * One principal's Idempotency-Key, as a decider (the IETF httpapi idempotency-key draft, and
 * Stripe's rules): the first request claims the key; a retry of the same request (the same
 * operation and payload) within the window gets the first result again and runs nothing; the same
 * key with another request is refused; a retry while the first is still running is told to wait.
 * Time comes in with the command.
 */

/** How long a key holds its first request and answer. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** A claim with no answer this long after it was made is taken to have died with its process. */
export const STALE_CLAIM_MS = 60_000;

export type IdempotencyState =
  | { readonly status: 'free'; readonly generation: number }
  | {
      readonly status: 'claimed' | 'released';
      readonly generation: number;
      readonly fingerprint: string;
      readonly claimedAt: string;
      readonly expiresAt: string;
    }
  | {
      readonly status: 'answered';
      readonly generation: number;
      readonly fingerprint: string;
      readonly claimedAt: string;
      readonly expiresAt: string;
      readonly result: unknown;
    };

export type IdempotencyCommand =
  | {
      readonly type: 'ClaimIdempotencyKey';
      readonly data: { readonly principalId: string; readonly operation: string; readonly fingerprint: string };
    }
  | { readonly type: 'RecordIdempotentResult'; readonly data: { readonly fingerprint: string; readonly result: unknown } }
  | { readonly type: 'ReleaseIdempotencyClaim'; readonly data: { readonly fingerprint: string; readonly reason: string } };

/** The key was used for another request (another operation, or another payload): 422. */
export class IdempotencyKeyReused extends NotAllowed {
  override readonly name = 'IdempotencyKeyReused';
  override readonly code = 'idempotency_key_reused';
  constructor() {
    super('this Idempotency-Key was used with another request (another operation or body) in the last 24 hours; use a new key');
  }
}

/** The first request with this key is still running: 409, retry shortly. */
export class IdempotentRequestInProgress extends Conflict {
  override readonly name = 'IdempotentRequestInProgress';
  override readonly code = 'idempotency_key_in_use';
  constructor() {
    super('a request with this Idempotency-Key is still being processed; retry shortly');
  }
}


const expired = (state: { readonly expiresAt: string }, now: Date): boolean => Date.parse(state.expiresAt) <= now.getTime();

function decide(command: IdempotencyCommand, state: IdempotencyState, now: Date): IdempotencyEvent[] {
  const at = now.toISOString();
  switch (command.type) {
    case 'ClaimIdempotencyKey': {
      const { principalId, operation, fingerprint } = command.data;
      const claim = (generation: number): IdempotencyEvent[] => [
        {
          type: 'IdempotencyKeyClaimed',
          data: { principalId, operation, fingerprint, generation, claimedAt: at, expiresAt: new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS).toISOString() },
        },
      ];
      if (state.status === 'free' || expired(state, now)) return claim(state.generation + 1);
      if (state.fingerprint !== fingerprint) throw new IdempotencyKeyReused();
      if (state.status === 'answered') return [];
      // the same request again: after a failure, or when the first died mid-way, it runs again in the
      // same generation (so what the first may have started is found, not started twice)
      if (state.status === 'released' || now.getTime() - Date.parse(state.claimedAt) >= STALE_CLAIM_MS) return claim(state.generation);
      throw new IdempotentRequestInProgress();
    }
    case 'RecordIdempotentResult': {
      const { fingerprint, result } = command.data;
      if (state.status !== 'claimed' || state.fingerprint !== fingerprint) return [];
      return [{ type: 'IdempotentResponseRecorded', data: { fingerprint, result, recordedAt: at } }];
    }
    case 'ReleaseIdempotencyClaim': {
      const { fingerprint, reason } = command.data;
      if (state.status !== 'claimed' || state.fingerprint !== fingerprint) return [];
      return [{ type: 'IdempotencyClaimReleased', data: { fingerprint, reason: reason.slice(0, 1024), releasedAt: at } }];
    }
    default: {
      const _: never = command;
      throw new Error(`unknown command ${JSON.stringify(_)}`);
    }
  }
}

function evolve(state: IdempotencyState, event: IdempotencyEvent): IdempotencyState {
  switch (event.type) {
    case 'IdempotencyKeyClaimed': {
      const { generation, fingerprint, claimedAt, expiresAt } = event.data;
      return { status: 'claimed', generation, fingerprint, claimedAt, expiresAt };
    }
    case 'IdempotentResponseRecorded':
      return state.status === 'claimed' ? { ...state, status: 'answered', result: event.data.result } : state;
    case 'IdempotencyClaimReleased':
      return state.status === 'claimed' ? { ...state, status: 'released' } : state;
    default: {
      const _: never = event;
      return _;
    }
  }
}

export const idempotencyDecider: Decider<IdempotencyState, IdempotencyCommand, IdempotencyEvent> = {
  events: idempotencyEvents,
  initialState: () => ({ status: 'free', generation: 0 }),
  decide,
  evolve,
};
