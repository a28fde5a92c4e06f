import {
  IDEMPOTENCY_WINDOW_MS,
  type IdempotencyCommand,
  IdempotencyKeyReused,
  type IdempotencyState,
  IdempotentRequestInProgress,
  idempotencyDecider,
  STALE_CLAIM_MS,
} from './idempotency.decider.js';
import type { IdempotencyEvent } from './idempotency.events.js';

const T0 = new Date('2026-12-02T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const claim = (fingerprint = A): IdempotencyCommand => ({ type: 'ClaimIdempotencyKey', data: { principalId: 'tok-1', method: 'POST', path: '/api/v1/droplets', fingerprint } });
const answer = (fingerprint = A): IdempotencyCommand => ({ type: 'RecordIdempotentResponse', data: { fingerprint, response: { status: 202, body: { sagaId: 's-1' } } } });
const release = (fingerprint = A): IdempotencyCommand => ({ type: 'ReleaseIdempotencyClaim', data: { fingerprint, reason: 'boom' } });

/** Decides each command at its time on the state so far. */
function given(...steps: [IdempotencyCommand, number][]): IdempotencyState {
  let state = idempotencyDecider.initialState();
  for (const [command, ms] of steps) for (const event of idempotencyDecider.decide(command, state, at(ms))) state = idempotencyDecider.evolve(state, event);
  return state;
}

const refusal = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
};

describe('the idempotency-key decider', () => {
  it('lets the first request claim a free key, for 24 hours, in generation 1', () => {
    // given a key never used
    // when a request claims it
    const events = idempotencyDecider.decide(claim(), idempotencyDecider.initialState(), at(0));

    // then the claim holds its fingerprint until T0 + 24 h
    expect(events).toEqual<IdempotencyEvent[]>([
      {
        type: 'IdempotencyKeyClaimed',
        data: { principalId: 'tok-1', method: 'POST', path: '/api/v1/droplets', fingerprint: A, generation: 1, claimedAt: at(0).toISOString(), expiresAt: at(IDEMPOTENCY_WINDOW_MS).toISOString() },
      },
    ]);
  });

  it('answers a retry of an answered request with nothing to do (the caller replays the answer)', () => {
    // given a claimed and answered key
    const state = given([claim(), 0], [answer(), 10]);

    // when the same request comes again within the window
    // then nothing is decided and the answer is there to replay
    expect(idempotencyDecider.decide(claim(), state, at(1000))).toEqual([]);
    expect(state).toMatchObject({ status: 'answered', response: { status: 202, body: { sagaId: 's-1' } } });
  });

  it('refuses the same key with another request, answered or still running: IdempotencyKeyReused', () => {
    expect(refusal(() => idempotencyDecider.decide(claim(B), given([claim(), 0], [answer(), 10]), at(1000)))).toBeInstanceOf(IdempotencyKeyReused);
    expect(refusal(() => idempotencyDecider.decide(claim(B), given([claim(), 0]), at(10)))).toBeInstanceOf(IdempotencyKeyReused);
  });

  it('tells a concurrent duplicate to wait while the first runs: IdempotentRequestInProgress', () => {
    expect(refusal(() => idempotencyDecider.decide(claim(), given([claim(), 0]), at(STALE_CLAIM_MS - 1)))).toBeInstanceOf(IdempotentRequestInProgress);
  });

  it('lets a retry take over a claim whose request died, in the same generation', () => {
    // given a claim never answered, older than a request can run
    const state = given([claim(), 0]);

    // when the request is retried
    const [event] = idempotencyDecider.decide(claim(), state, at(STALE_CLAIM_MS));

    // then it claims again in generation 1, so ids derived from the claim stay the same
    expect(event).toMatchObject({ type: 'IdempotencyKeyClaimed', data: { generation: 1 } });
  });

  it('lets a retry run again after the first failed, in the same generation', () => {
    const state = given([claim(), 0], [release(), 5]);
    expect(state.status).toBe('released');
    expect(idempotencyDecider.decide(claim(), state, at(10))).toEqual([expect.objectContaining({ data: expect.objectContaining({ generation: 1 }) })]);
  });

  it('frees the key after 24 hours for any request, in a new generation', () => {
    const state = given([claim(), 0], [answer(), 10]);
    const [event] = idempotencyDecider.decide(claim(B), state, at(IDEMPOTENCY_WINDOW_MS));
    expect(event).toMatchObject({ type: 'IdempotencyKeyClaimed', data: { fingerprint: B, generation: 2 } });
  });

  it('records an answer or a release only for the claim it belongs to', () => {
    expect(idempotencyDecider.decide(answer(B), given([claim(), 0]), at(1))).toEqual([]);
    expect(idempotencyDecider.decide(answer(), given([claim(), 0], [answer(), 1]), at(2))).toEqual([]);
    expect(idempotencyDecider.decide(release(), idempotencyDecider.initialState(), at(1))).toEqual([]);
  });
});
