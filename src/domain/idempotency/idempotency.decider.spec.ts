import { deciderSpecification } from '../../../test/support/decider-specification.js';
import type { RecordedEvent } from '../event-store/event-store.port.js';
import { EventRegistry } from '../events/event-registry.js';
import { IDEMPOTENCY_WINDOW_MS, type IdempotencyCommand, IdempotencyKeyReused, IdempotentRequestInProgress, idempotencyDecider, STALE_CLAIM_MS } from './idempotency.decider.js';
import { idempotencyEvents } from './idempotency.events.js';

const T0 = new Date('2026-12-02T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const claim = (fingerprint = A): IdempotencyCommand => ({ type: 'ClaimIdempotencyKey', data: { principalId: 'tok-1', operation: 'ProvisionDroplet', fingerprint } });
const answer = (fingerprint = A): IdempotencyCommand => ({ type: 'RecordIdempotentResult', data: { fingerprint, result: { sagaId: 's-1' } } });
const release = (fingerprint = A): IdempotencyCommand => ({ type: 'ReleaseIdempotencyClaim', data: { fingerprint, reason: 'boom' } });

const spec = deciderSpecification(idempotencyDecider);

describe('the idempotency-key decider', () => {
  it('lets the first request claim a free key, for 24 hours, in generation 1', () => {
    // given a key never used
    // when a request claims it
    // then the claim holds its fingerprint until T0 + 24 h
    spec
      .given()
      .when(claim(), at(0))
      .then([
        {
          type: 'IdempotencyKeyClaimed',
          data: { principalId: 'tok-1', operation: 'ProvisionDroplet', fingerprint: A, generation: 1, claimedAt: at(0).toISOString(), expiresAt: at(IDEMPOTENCY_WINDOW_MS).toISOString() },
        },
      ]);
  });

  it('answers a retry of an answered request with nothing to do (the caller replays the answer)', () => {
    // given a claimed and answered key
    const given = spec.givenCommands([claim(), at(0)], [answer(), at(10)]);

    // when the same request comes again within the window
    // then nothing is decided and the answer is there to replay
    given.when(claim(), at(1000)).thenNothing();
    expect(given.state).toMatchObject({ status: 'answered', result: { sagaId: 's-1' } });
  });

  it('refuses the same key with another request, answered or still running: IdempotencyKeyReused', () => {
    // given an answered key, or one still running / when another request claims it / then it is refused
    spec.givenCommands([claim(), at(0)], [answer(), at(10)]).when(claim(B), at(1000)).thenThrows(IdempotencyKeyReused);
    spec.givenCommands([claim(), at(0)]).when(claim(B), at(10)).thenThrows(IdempotencyKeyReused);
  });

  it('tells a concurrent duplicate to wait while the first runs: IdempotentRequestInProgress', () => {
    // given a claim just made / when the same request comes before it could have died / then it waits
    spec.givenCommands([claim(), at(0)]).when(claim(), at(STALE_CLAIM_MS - 1)).thenThrows(IdempotentRequestInProgress);
  });

  it('lets a retry take over a claim whose request died, in the same generation', () => {
    // given a claim never answered, older than a request can run
    // when the request is retried
    // then it claims again in generation 1, so ids derived from the claim stay the same
    spec
      .givenCommands([claim(), at(0)])
      .when(claim(), at(STALE_CLAIM_MS))
      .thenMatches([{ type: 'IdempotencyKeyClaimed', data: { generation: 1 } }]);
  });

  it('lets a retry run again after the first failed, in the same generation', () => {
    // given a claim released after a failure
    const given = spec.givenCommands([claim(), at(0)], [release(), at(5)]);
    expect(given.state.status).toBe('released');
    // when the request is retried / then it claims again in generation 1
    given.when(claim(), at(10)).then([expect.objectContaining({ data: expect.objectContaining({ generation: 1 }) })]);
  });

  it('frees the key after 24 hours for any request, in a new generation', () => {
    // given an answered key / when another request comes 24 hours later / then it claims generation 2
    spec
      .givenCommands([claim(), at(0)], [answer(), at(10)])
      .when(claim(B), at(IDEMPOTENCY_WINDOW_MS))
      .thenMatches([{ type: 'IdempotencyKeyClaimed', data: { fingerprint: B, generation: 2 } }]);
  });

  it('records an answer or a release only for the claim it belongs to', () => {
    // given a claim by A, an answered claim, or no claim
    // when another request's answer, a second answer, or a release comes
    // then nothing is recorded
    spec.givenCommands([claim(), at(0)]).when(answer(B), at(1)).thenNothing();
    spec.givenCommands([claim(), at(0)], [answer(), at(1)]).when(answer(), at(2)).thenNothing();
    spec.given().when(release(), at(1)).thenNothing();
  });

  it('reads keys claimed and answered at the HTTP edge (version 1) as claimed by the operation, answered with the body', () => {
    // given the two events version 1 wrote: method and path, and the answer with its HTTP status
    const registry = new EventRegistry(idempotencyEvents);
    const stored = (revision: number, type: string, data: unknown): RecordedEvent => ({
      stream: 'idempotency-x',
      revision: BigInt(revision),
      position: { commit: BigInt(revision), prepare: BigInt(revision) },
      id: `e${revision}`,
      type,
      data,
      metadata: { correlationId: 'c', causationId: null, actor: 'ops', schemaVersion: 1 },
      recordedAt: at(revision),
    });
    const claimed = registry.decode(
      stored(0, 'IdempotencyKeyClaimed', { principalId: 'tok-1', method: 'POST', path: '/api/v1/droplets', fingerprint: A, generation: 1, claimedAt: at(0).toISOString(), expiresAt: at(IDEMPOTENCY_WINDOW_MS).toISOString() }),
    );
    const answered = registry.decode(stored(1, 'IdempotentResponseRecorded', { fingerprint: A, status: 202, body: { sagaId: 's-1' }, recordedAt: at(1).toISOString() }));

    // when they are read / then they are version 2, and the key holds the answer to replay
    expect(claimed.data).toEqual(expect.objectContaining({ operation: 'POST /api/v1/droplets', fingerprint: A }));
    expect(claimed.data).not.toHaveProperty('method');
    expect(answered.data).toEqual({ fingerprint: A, result: { sagaId: 's-1' }, recordedAt: at(1).toISOString() });
    const given = spec.given([claimed, answered] as never);
    expect(given.state).toMatchObject({ status: 'answered', result: { sagaId: 's-1' } });
    given.when(claim(), at(10)).thenNothing();
  });
});
