import { deciderSpecification } from '../../../test/support/decider-specification.js';
import { Conflict, InvalidInput } from '../errors.js';
import { coveringPolicy, type DriftPolicy, type DriftPolicyRequest, globMatches, MAX_POLICY_DAYS } from './drift-policy.js';
import { driftPolicyDecider, DriftPolicyNotFound } from './drift-policy.decider.js';

const T0 = new Date('2026-12-02T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const DAY = 24 * 60 * 60 * 1000;

const request = (overrides: Partial<DriftPolicyRequest> = {}): DriftPolicyRequest => ({
  resource: 'web-*',
  field: 'tags:pool-*',
  owner: 'platform',
  reason: 'the autoscaler owns pool tags until the migration ends',
  expiresAt: at(30 * DAY).toISOString(),
  ...overrides,
});

describe('globMatches', () => {
  it('matches the whole text, * for any run and ? for one character, and nothing else specially', () => {
    expect(globMatches('web-*', 'web-1')).toBe(true);
    expect(globMatches('web-*', 'api-web-1')).toBe(false);
    expect(globMatches('do:droplet:1?', 'do:droplet:12')).toBe(true);
    expect(globMatches('do:droplet:1?', 'do:droplet:123')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('(x)+', '(x)+')).toBe(true);
    expect(globMatches('*', '')).toBe(true);
  });
});

describe('coveringPolicy', () => {
  const policy = (policyId: string, expiresAt: Date, overrides: Partial<DriftPolicy> = {}): DriftPolicy => ({ ...request({ expiresAt: expiresAt.toISOString(), field: 'size_slug' }), policyId, ...overrides });
  const target = { resourceId: 'do:droplet:7', name: 'web-7' };
  const mismatch = { field: 'size_slug', expected: 's-1', actual: 's-2' };

  it('is the live policy that ends last, and none once all have ended', () => {
    const policies = [policy('short', at(DAY)), policy('long', at(2 * DAY)), policy('other', at(3 * DAY), { resource: 'db-*' })];
    expect(coveringPolicy(policies, target, mismatch, T0)?.policyId).toBe('long');
    expect(coveringPolicy(policies, target, mismatch, at(2 * DAY))).toBeNull();
  });
});

const spec = deciderSpecification(driftPolicyDecider);
const create = (overrides: Partial<DriftPolicyRequest> = {}) => ({ type: 'CreateDriftPolicy' as const, data: { policyId: 'pol-1', request: request(overrides) } });
const end = { type: 'EndDriftPolicy' as const, data: { policyId: 'pol-1' } };

describe('the drift policy decider', () => {
  it('records a policy with its owner, reason and end', () => {
    spec.given().when(create(), T0).then([{ type: 'DriftPolicyCreated', data: { ...request(), policyId: 'pol-1', at: T0.toISOString() } }]);
  });

  it(`refuses an end in the past or more than ${MAX_POLICY_DAYS} days away: no policy is forever`, () => {
    expect(spec.given().when(create({ expiresAt: at(-1).toISOString() }), T0).thenThrows(InvalidInput).issues).toEqual([{ path: 'expiresAt', message: 'must be in the future' }]);
    spec.given().when(create({ expiresAt: at(MAX_POLICY_DAYS * DAY + 1).toISOString() }), T0).thenThrows(InvalidInput);
    spec.given().when(create({ expiresAt: at(MAX_POLICY_DAYS * DAY).toISOString() }), T0).thenMatches([{ type: 'DriftPolicyCreated' }]);
  });

  it('takes the same request again as done, and refuses other content under the same id', () => {
    spec.givenCommands([create(), T0]).when(create(), at(1000)).thenNothing();
    spec.givenCommands([create(), T0]).when(create({ owner: 'someone-else' }), at(1000)).thenThrows(Conflict);
  });

  it('ends a policy once; ending it again is done; an unknown one is not found', () => {
    spec.givenCommands([create(), T0]).when(end, at(10)).then([{ type: 'DriftPolicyEnded', data: { policyId: 'pol-1', at: at(10).toISOString() } }]).when(end, at(20)).thenNothing();
    spec.given().when(end, T0).thenThrows(DriftPolicyNotFound);
  });
});
