import { deciderSpecification } from '../../../test/support/decider-specification.js';
import type { ResourceState } from '../inventory/resource.js';
import type { Spec } from './drift-compare.js';
import type { DriftPolicy } from './drift-policy.js';
import { InvalidInput, PreconditionFailed } from '../errors.js';
import {
  DriftNotFound,
  DriftNotOpen,
  DriftNotRevertible,
  initialSpecState,
  specDecider,
  type SpecCommand,
  type SpecEvent,
  SpecNotFound,
  type SpecState,
} from './spec.decider.js';

const ID = 'do:droplet:572017320';
const T0 = new Date('2026-11-22T10:20:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();

const SPEC: Spec = { size_slug: 's-2vcpu-4gb', region: 'nyc3', image: 'ubuntu-24-04-x64' };

/** The live droplet: resized to s-1vcpu-1gb behind our back, otherwise as specified. */
const live = (overrides: Partial<ResourceState> = {}): ResourceState => ({
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: '572017320',
  name: 'web-1',
  region: 'nyc3',
  size_slug: 's-1vcpu-1gb',
  status: 'active',
  tags: ['managed-by-cloudledger'],
  attrs: { image: 'ubuntu-24-04-x64', public_ipv4: '203.0.113.10', created_at: '2026-11-01T00:00:00Z' },
  ...overrides,
});
const asSpecified = (): ResourceState => live({ size_slug: 's-2vcpu-4gb' });

const driftIds = (field: string): string => `drift-${field}`;

const record = (spec: Spec = SPEC): SpecCommand => ({ type: 'RecordSpec', data: { resourceId: ID, spec, reason: 'provisioned', sagaId: 'saga-provision' } });
const detect = (state: ResourceState | null = live()): SpecCommand => ({ type: 'DetectDrift', data: { resourceId: ID, live: state, policies: [], newDriftId: driftIds } });
const accept = (driftId = 'drift-size_slug'): SpecCommand => ({ type: 'AcceptDrift', data: { resourceId: ID, driftId } });
const requestRevert = (driftId = 'drift-size_slug', sagaId = 'saga-revert-1'): SpecCommand => ({ type: 'RequestRevert', data: { resourceId: ID, driftId, sagaId } });
const completeRevert = (driftId = 'drift-size_slug', sagaId = 'saga-revert-1'): SpecCommand => ({ type: 'CompleteRevert', data: { resourceId: ID, driftId, sagaId } });
const failRevert = (driftId = 'drift-size_slug', sagaId = 'saga-revert-1'): SpecCommand => ({
  type: 'FailRevert',
  data: { resourceId: ID, driftId, sagaId, reason: 'resize refused: droplet locked' },
});
const removeSpec = (): SpecCommand => ({ type: 'RemoveSpec', data: { resourceId: ID, reason: 'destroyed', sagaId: 'saga-destroy' } });

const spec = deciderSpecification(specDecider);

const recorded = (state: SpecState): Extract<SpecState, { status: 'recorded' }> => {
  if (state.status !== 'recorded') throw new Error(`expected a recorded spec, got ${state.status}`);
  return state;
};

describe('the spec decider', () => {
  describe('RecordSpec', () => {
    it('records the first spec as version 1', () => {
      // given no spec
      // when one is recorded
      // then SpecRecorded carries it as version 1, with its reason and saga
      const after = spec
        .given()
        .when(record(), at(0))
        .then([{ type: 'SpecRecorded', data: { resourceId: ID, spec: SPEC, version: 1, reason: 'provisioned', sagaId: 'saga-provision', driftId: null, at: iso(0) } }]);
      expect(recorded(after.state)).toMatchObject({ spec: SPEC, version: 1, open: [] });
    });

    it('records nothing when the same spec is recorded again (a repeated saga step)', () => {
      // given a spec / when it is recorded again / then nothing
      spec.givenCommands(record()).when(record(), at(5)).thenNothing();
    });

    it('records nothing when the same spec comes back with its keys in another order (as jsonb returns it)', () => {
      // given the spec as the event store gives it back: keys sorted the jsonb way
      // when the provisioning step records it again in its own key order
      // then nothing changes
      spec
        .givenCommands(record({ image: 'ubuntu-24-04-x64', region: 'nyc3', size_slug: 's-2vcpu-4gb' }))
        .when(record(SPEC), at(5))
        .thenNothing();
    });

    it('records a changed spec as the next version', () => {
      // given version 1
      // when a spec with another size is recorded
      // then it is version 2 and replaces the whole spec
      spec
        .givenCommands(record())
        .when(record({ ...SPEC, size_slug: 's-4vcpu-8gb' }), at(5))
        .then([expect.objectContaining({ type: 'SpecRecorded', data: expect.objectContaining({ version: 2, spec: { ...SPEC, size_slug: 's-4vcpu-8gb' } }) })]);
    });

    it('treats a value changed only in type as a change: the spec is what was asked, exactly', () => {
      // given vcpus: 2 / when vcpus: '2' is recorded / then it is a new version
      spec
        .givenCommands(record({ vcpus: 2 }))
        .when(record({ vcpus: '2' }), at(5))
        .then([expect.objectContaining({ data: expect.objectContaining({ version: 2 }) })]);
    });

    it('continues the version count after the spec was removed', () => {
      // given versions 1 and 2, then the spec removed
      const given = spec.givenCommands(record(), record({ ...SPEC, size_slug: 's-4vcpu-8gb' }), removeSpec());
      expect(given.state).toMatchObject({ status: 'removed', version: 2 });
      // when a spec is recorded again / then it is version 3
      given.when(record(), at(9)).then([expect.objectContaining({ data: expect.objectContaining({ version: 3 }) })]);
    });

    it('does not copy the caller’s object into the event by reference', () => {
      // given no spec
      // when a spec is recorded and the caller then changes its object
      const mine = { ...SPEC };
      const [event] = spec.given().when(record(mine), at(0)).thenMatches([{ type: 'SpecRecorded' }]).events;
      mine.size_slug = 'mutated';
      // then the event keeps what was recorded
      expect(event).toMatchObject({ data: { spec: { size_slug: 's-2vcpu-4gb' } } });
    });
  });

  describe('DetectDrift', () => {
    it('reports a new mismatch as DriftDetected with the id it was given, and nothing for matching fields', () => {
      // given a spec asking for s-2vcpu-4gb in nyc3
      // when the droplet is s-1vcpu-1gb in nyc3
      // then only size_slug drifted, against spec version 1
      spec
        .givenCommands(record())
        .when(detect(), at(20))
        .then([
          {
            type: 'DriftDetected',
            data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', expected: 's-2vcpu-4gb', actual: 's-1vcpu-1gb', specVersion: 1, at: iso(20) },
          },
        ]);
    });

    it('opens one drift per drifted field, each with its own id', () => {
      // given a spec / when size, region and image all differ / then one drift each
      spec
        .givenCommands(record())
        .when(detect(live({ region: 'sfo3', attrs: { ...live().attrs, image: 'debian-12-x64' } })), at(20))
        .then((events) =>
          expect(events.map((e) => [e.type, 'driftId' in e.data ? e.data.driftId : null])).toEqual([
            ['DriftDetected', 'drift-size_slug'],
            ['DriftDetected', 'drift-region'],
            ['DriftDetected', 'drift-image'],
          ]),
        );
    });

    it('does not report an open drift again while the field still mismatches', () => {
      // given an open size_slug drift
      const given = spec.givenCommands(record(), detect());
      expect(recorded(given.state).open).toHaveLength(1);

      // when detection runs again on the same droplet / then nothing is appended
      given.when(detect(), at(40)).thenNothing();
    });

    it('does not report an open drift again when the live value moved to another mismatching value', () => {
      // given an open size_slug drift / when the size moves to yet another one / then nothing
      spec.givenCommands(record(), detect()).when(detect(live({ size_slug: 's-8vcpu-16gb' })), at(40)).thenNothing();
    });

    it('closes an open drift whose field matches again as stale, with the live value', () => {
      // given an open size_slug drift
      // when the droplet is resized back by hand
      // then the drift closes stale, and the state has no open drift left
      const after = spec
        .givenCommands(record(), detect())
        .when(detect(asSpecified()), at(40))
        .then([{ type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', actual: 's-2vcpu-4gb', reason: 'matches_again', at: iso(40) } }]);
      expect(recorded(after.state).open).toEqual([]);
      expect(recorded(after.state).closed).toEqual(['drift-size_slug']);
    });

    it('reports the live value, not the spec’s, when closing stale on a loosely equal value', () => {
      // given a tags drift: the spec wants {web, prod}
      // when the droplet gets the tags back in another order
      // then the stale close records what the droplet has
      spec
        .givenCommands(record({ tags: ['web', 'prod'] }), detect(live({ tags: ['web'] })))
        .when(detect(live({ tags: ['prod', 'web'] })), at(40))
        .thenMatches([{ type: 'DriftClosedStale', data: { field: 'tags', actual: ['prod', 'web'] } }]);
    });

    it('closes stale a drift on a field the new spec no longer has, with the live value', () => {
      // given a size_slug drift, then a spec without size_slug
      const given = spec.givenCommands(record(), detect(), record({ region: 'nyc3' }));
      expect(recorded(given.state).open).toHaveLength(1);

      // when detection runs / then the drift is stale, and its actual is the droplet's size
      given
        .when(detect(), at(40))
        .then([{ type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', actual: 's-1vcpu-1gb', reason: 'matches_again', at: iso(40) } }]);
    });

    it('closes one drift stale and opens another in the same run', () => {
      // given a size_slug drift / when the size is right again but the region moved / then one closes, one opens
      spec
        .givenCommands(record(), detect())
        .when(detect(live({ size_slug: 's-2vcpu-4gb', region: 'sfo3' })), at(40))
        .then((events) => expect(events.map((e) => `${e.type}:${'field' in e.data ? e.data.field : ''}`).sort()).toEqual(['DriftClosedStale:size_slug', 'DriftDetected:region']));
    });

    it('does not close stale a drift being reverted: the revert saga closes it', () => {
      // given a size_slug drift under revert
      // when the resize has already landed and detection runs before the saga ends
      // then nothing is appended
      spec.givenCommands(record(), detect(), requestRevert()).when(detect(asSpecified()), at(40)).thenNothing();
    });

    it('does not open a second drift on a field whose drift is being reverted', () => {
      // given a size_slug drift under revert / when the size still differs / then nothing
      spec.givenCommands(record(), detect(), requestRevert()).when(detect(), at(40)).thenNothing();
    });

    it('reports a field drifting again after its drift was closed, under a new id', () => {
      // given a size_slug drift that closed stale
      const given = spec.givenCommands(record(), detect(), detect(asSpecified()));
      expect(recorded(given.state).open).toEqual([]);

      // when the droplet drifts again
      // then a new drift opens
      given
        .when({ type: 'DetectDrift', data: { resourceId: ID, live: live(), policies: [], newDriftId: (f) => `second-${f}` } }, at(60))
        .then([expect.objectContaining({ type: 'DriftDetected', data: expect.objectContaining({ driftId: 'second-size_slug', field: 'size_slug' }) })]);
    });

    it('finds nothing when the resource has no live state', () => {
      // given an open drift, so a stale close would show too (and a spec without one)
      // when the resource has no live state / then nothing
      spec.givenCommands(record(), detect()).when(detect(null), at(40)).thenNothing();
      spec.givenCommands(record()).when(detect(null), at(40)).thenNothing();
    });

    it('finds nothing without a spec', () => {
      // given no spec, or a removed one / when detection runs / then nothing
      spec.given().when(detect(), at(0)).thenNothing();
      spec.givenCommands(record(), removeSpec()).when(detect(), at(10)).thenNothing();
    });

    it('finds nothing when the droplet is as specified', () => {
      // given a spec / when the droplet matches it / then nothing
      spec.givenCommands(record()).when(detect(asSpecified()), at(20)).thenNothing();
    });

    it('records the spec version the drift was detected against', () => {
      // given spec version 2 wanting another image / when the droplet has the old one / then the drift names version 2
      spec
        .givenCommands(record(), record({ ...SPEC, image: 'debian-12-x64' }))
        .when(detect(asSpecified()), at(20))
        .thenMatches([{ type: 'DriftDetected', data: { field: 'image', specVersion: 2 } }]);
    });
  });

  describe('AcceptDrift', () => {
    it('makes the live value the spec (version + 1) and closes the drift accepted, in one decision', () => {
      // given spec version 1 and an open size_slug drift
      // when an operator accepts it
      // then one SpecRecorded with version 2 and the live size, then DriftAccepted
      const after = spec
        .givenCommands(record(), detect())
        .when(accept(), at(30))
        .then([
          {
            type: 'SpecRecorded',
            data: { resourceId: ID, spec: { ...SPEC, size_slug: 's-1vcpu-1gb' }, version: 2, reason: 'drift_accepted', sagaId: null, driftId: 'drift-size_slug', at: iso(30) },
          },
          { type: 'DriftAccepted', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', value: 's-1vcpu-1gb', specVersion: 2, at: iso(30) } },
        ]);

      // and afterwards the spec holds the live value, no drift is open, and detecting again finds nothing
      expect(recorded(after.state)).toMatchObject({ version: 2, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3' }, open: [], closed: ['drift-size_slug'] });
      after.when(detect(), at(40)).thenNothing();
    });

    it('keeps the other open drifts open', () => {
      // given size_slug and region drifts / when size_slug is accepted / then region stays open
      const after = recorded(spec.givenCommands(record(), detect(live({ region: 'sfo3' }))).when(accept(), at(30)).thenState());
      expect(after.open.map((d) => d.driftId)).toEqual(['drift-region']);
      expect(after.spec).toEqual({ ...SPEC, size_slug: 's-1vcpu-1gb' });
    });

    it('refuses a drift that is no longer open: DriftNotOpen', () => {
      // given a drift accepted once
      // when accepted again / then it is not open (409)
      spec.givenCommands(record(), detect(), accept()).when(accept(), at(40)).thenThrows(DriftNotOpen);
    });

    it('refuses a drift closed stale: DriftNotOpen', () => {
      // given a drift closed stale / when accepted / then it is not open
      spec.givenCommands(record(), detect(), detect(asSpecified())).when(accept(), at(40)).thenThrows(DriftNotOpen);
    });

    it('refuses a drift while its revert runs: DriftNotOpen', () => {
      // given a drift under revert / when accepted / then it is not open
      spec.givenCommands(record(), detect(), requestRevert()).when(accept(), at(40)).thenThrows(DriftNotOpen);
    });

    it('refuses a drift that was open when the spec was removed: DriftNotOpen', () => {
      // given a drift closed with its spec / when accepted / then it is not open
      spec.givenCommands(record(), detect(), removeSpec()).when(accept(), at(40)).thenThrows(DriftNotOpen);
    });

    it('refuses an unknown drift: DriftNotFound', () => {
      // given an open drift / when another id is accepted / then it is not found, not merely closed
      const error = spec.givenCommands(record(), detect()).when(accept('drift-nope'), at(40)).thenThrows(DriftNotFound);
      expect(error).not.toBeInstanceOf(DriftNotOpen);
    });

    it('refuses when no spec is recorded: SpecNotFound', () => {
      // given no spec / when a drift is accepted / then there is no spec
      spec.given().when(accept(), at(0)).thenThrows(SpecNotFound);
    });

    it('refuses an unknown drift on a removed spec: SpecNotFound', () => {
      // given a removed spec / when an unknown drift is accepted / then there is no spec
      spec.givenCommands(record(), removeSpec()).when(accept('drift-nope'), at(10)).thenThrows(SpecNotFound);
    });

    it('answers with the status codes the edge maps: 404, 409', () => {
      expect(new SpecNotFound('x')).toMatchObject({ code: 'spec_not_found', name: 'SpecNotFound' });
      expect(new DriftNotOpen('x')).toMatchObject({ code: 'drift_not_open', name: 'DriftNotOpen' });
    });
  });

  describe('RequestRevert', () => {
    it.each(['region', 'image'])('refuses %s: DriftNotRevertible, with the reason', (field) => {
      // given a drift on a field no saga can change back
      const drifted = field === 'region' ? live({ size_slug: 's-2vcpu-4gb', region: 'sfo3' }) : live({ size_slug: 's-2vcpu-4gb', attrs: { ...live().attrs, image: 'debian-12-x64' } });

      // when a revert is requested
      // then 422, saying why and what to do instead
      const error = spec
        .givenCommands(record(), detect(drifted))
        .when(requestRevert(`drift-${field}`), at(30))
        .thenThrows(DriftNotRevertible, { code: 'drift_not_revertible' });
      expect(error.message).toContain(field);
      expect(error.message).toMatch(/accept/);
    });

    it('starts a revert of size_slug', () => {
      // given an open size_slug drift / when a revert is requested / then it is recorded with its saga
      spec
        .givenCommands(record(), detect())
        .when(requestRevert(), at(30))
        .then([{ type: 'DriftRevertRequested', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', sagaId: 'saga-revert-1', at: iso(30) } }]);
    });

    it('starts a revert of tags', () => {
      // given an open tags drift / when a revert is requested / then it is recorded
      spec
        .givenCommands(record({ tags: ['managed-by-cloudledger', 'web'] }), detect())
        .when(requestRevert('drift-tags'), at(30))
        .then([expect.objectContaining({ type: 'DriftRevertRequested', data: expect.objectContaining({ field: 'tags' }) })]);
    });

    it('refuses a second revert by another saga: DriftNotOpen', () => {
      // given a revert under way / when another saga asks / then it is refused
      spec.givenCommands(record(), detect(), requestRevert()).when(requestRevert('drift-size_slug', 'saga-revert-2'), at(40)).thenThrows(DriftNotOpen);
    });

    it('records nothing when the same saga asks again (a retried step)', () => {
      // given a revert under way / when its saga asks again / then nothing
      spec.givenCommands(record(), detect(), requestRevert()).when(requestRevert(), at(40)).thenNothing();
    });

    it('refuses a drift already reverted: DriftNotOpen', () => {
      // given a reverted drift / when another saga asks / then it is not open
      spec.givenCommands(record(), detect(), requestRevert(), completeRevert()).when(requestRevert('drift-size_slug', 'saga-revert-2'), at(40)).thenThrows(DriftNotOpen);
    });

    it('refuses a drift already accepted: DriftNotOpen', () => {
      // given an accepted drift / when a revert is requested / then it is not open
      spec.givenCommands(record(), detect(), accept()).when(requestRevert(), at(40)).thenThrows(DriftNotOpen);
    });

    it('refuses an unknown drift: DriftNotFound; no spec: SpecNotFound', () => {
      // given a spec without drift, or no spec / when a revert is requested / then each refusal names what is missing
      spec.givenCommands(record()).when(requestRevert('drift-nope'), at(10)).thenThrows(DriftNotFound);
      spec.given().when(requestRevert(), at(10)).thenThrows(SpecNotFound);
    });
  });

  describe('CompleteRevert and FailRevert', () => {
    it('closes the drift as reverted when its saga completes', () => {
      // given a revert under way
      // when its saga completes
      // then the drift is reverted and closed; the spec is unchanged
      const after = spec
        .givenCommands(record(), detect(), requestRevert())
        .when(completeRevert(), at(60))
        .then([{ type: 'DriftReverted', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', sagaId: 'saga-revert-1', at: iso(60) } }]);
      expect(recorded(after.state)).toMatchObject({ version: 1, spec: SPEC, open: [], closed: ['drift-size_slug'] });
    });

    it('records nothing when the completion is repeated', () => {
      // given a completed revert / when it completes or fails again / then nothing
      const given = spec.givenCommands(record(), detect(), requestRevert(), completeRevert());
      given.when(completeRevert(), at(70)).thenNothing();
      given.when(failRevert(), at(70)).thenNothing();
    });

    it('records nothing for a saga that is not the one reverting the drift', () => {
      // given a revert by saga-revert-1 / when another saga completes or fails it / then nothing
      const given = spec.givenCommands(record(), detect(), requestRevert());
      given.when(completeRevert('drift-size_slug', 'saga-other'), at(60)).thenNothing();
      given.when(failRevert('drift-size_slug', 'saga-other'), at(60)).thenNothing();
    });

    it('records nothing for a drift no revert was requested for', () => {
      // given an open drift, no revert / when a revert completes / then nothing
      spec.givenCommands(record(), detect()).when(completeRevert(), at(60)).thenNothing();
    });

    it('records nothing once the spec is gone', () => {
      // given a removed spec, or none / when a revert completes / then nothing
      spec.givenCommands(record(), detect(), requestRevert(), removeSpec()).when(completeRevert(), at(60)).thenNothing();
      spec.given().when(completeRevert(), at(60)).thenNothing();
    });

    it('records a failure with its reason, leaving the drift open', () => {
      // given a revert under way
      // when its saga fails
      // then DriftRevertFailed, and the drift is open with no saga on it
      const after = spec
        .givenCommands(record(), detect(), requestRevert())
        .when(failRevert(), at(60))
        .then([
          {
            type: 'DriftRevertFailed',
            data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', sagaId: 'saga-revert-1', reason: 'resize refused: droplet locked', at: iso(60) },
          },
        ]);
      expect(recorded(after.state).open).toEqual([expect.objectContaining({ driftId: 'drift-size_slug', revertSagaId: null })]);
      expect(recorded(after.state).closed).toEqual([]);
    });

    it('records nothing when the failure is repeated', () => {
      // given a failed revert / when it fails or completes again / then nothing
      const given = spec.givenCommands(record(), detect(), requestRevert(), failRevert());
      given.when(failRevert(), at(70)).thenNothing();
      given.when(completeRevert(), at(70)).thenNothing();
    });

    it('after a failure, the drift can be reverted again, accepted, or close stale', () => {
      // given a failed revert
      const given = spec.givenCommands(record(), detect(), requestRevert(), failRevert());

      // when another saga reverts it, an operator accepts it, or detection finds it matching
      // then each is decided as on an open drift
      given
        .when(requestRevert('drift-size_slug', 'saga-revert-2'), at(80))
        .then([expect.objectContaining({ type: 'DriftRevertRequested', data: expect.objectContaining({ sagaId: 'saga-revert-2' }) })]);
      given.when(accept(), at(80)).then((events) => expect(events.map((e) => e.type)).toEqual(['SpecRecorded', 'DriftAccepted']));
      given.when(detect(asSpecified()), at(80)).then((events) => expect(events.map((e) => e.type)).toEqual(['DriftClosedStale']));
    });

    it('a second saga completes the revert after the first one failed; the first one’s late completion does nothing', () => {
      // given a revert that failed, then another by saga-revert-2
      const given = spec.givenCommands(record(), detect(), requestRevert(), failRevert(), requestRevert('drift-size_slug', 'saga-revert-2'));
      // when the first saga completes late, and the second completes / then only the second counts
      given.when(completeRevert('drift-size_slug', 'saga-revert-1'), at(90)).thenNothing();
      given.when(completeRevert('drift-size_slug', 'saga-revert-2'), at(90)).then((events) => expect(events.map((e) => e.type)).toEqual(['DriftReverted']));
    });
  });

  describe('RemoveSpec', () => {
    it('closes the open drift stale, then removes the spec', () => {
      // given an open drift / when the spec is removed / then the drift closes first, and the spec is gone
      const after = spec
        .givenCommands(record(), detect())
        .when(removeSpec(), at(50))
        .then((events) => expect(events.map((e) => e.type)).toEqual(['DriftClosedStale', 'SpecRemoved']));
      expect(after.state).toEqual({ status: 'removed', version: 1, closed: ['drift-size_slug'] });
    });

    it('records nothing when there is no spec to remove', () => {
      // given no spec, or a removed one / when it is removed / then nothing
      spec.given().when(removeSpec(), at(0)).thenNothing();
      spec.givenCommands(record(), removeSpec()).when(removeSpec(), at(10)).thenNothing();
    });
  });

  describe('specDecider.evolve', () => {
    it('ignores drift events before any spec (a stream read from the middle never invents state)', () => {
      // given a drift event with no spec before it / then the state is still the initial one
      const event: SpecEvent = { type: 'DriftDetected', data: { resourceId: ID, driftId: 'd', field: 'size_slug', expected: 'a', actual: 'b', specVersion: 1, at: iso(0) } };
      expect(spec.given([event]).state).toEqual(initialSpecState());
    });
  });

  describe('declared specs (If-Match)', () => {
    const declare = (size: string, expectedVersion?: number): SpecCommand => ({
      type: 'RecordSpec',
      data: { resourceId: ID, spec: { ...SPEC, size_slug: size }, reason: 'declared', sagaId: null, ...(expectedVersion === undefined ? {} : { expectedVersion }) },
    });

    it('records the next version when the caller read the current one', () => {
      spec.givenCommands(record()).when(declare('s-4vcpu-8gb', 1), at(10)).thenMatches([{ type: 'SpecRecorded', data: { version: 2, reason: 'declared', spec: { size_slug: 's-4vcpu-8gb' } } }]);
    });

    it('refuses a stale version with PreconditionFailed, and writes nothing', () => {
      // given version 2 / when someone who read version 1 declares / then 412
      spec.givenCommands(record(), declare('s-4vcpu-8gb', 1)).when(declare('s-8vcpu-16gb', 1), at(20)).thenThrows(PreconditionFailed);
    });

    it('takes version 0 as "no spec yet", and refuses it once one exists', () => {
      spec.given().when(declare('s-1vcpu-1gb', 0), at(0)).thenMatches([{ type: 'SpecRecorded', data: { version: 1 } }]);
      spec.givenCommands(record()).when(declare('s-1vcpu-1gb', 0), at(0)).thenThrows(PreconditionFailed);
    });
  });

  describe('ignore policies', () => {
    const policy = (overrides: Partial<DriftPolicy> = {}): DriftPolicy => ({
      policyId: 'pol-1',
      resource: 'web-*',
      field: 'size_slug',
      owner: 'platform',
      reason: 'autoscaler migration',
      expiresAt: iso(100),
      ...overrides,
    });
    const detectUnder = (policies: readonly DriftPolicy[], state: ResourceState = live()): SpecCommand => ({
      type: 'DetectDrift',
      data: { resourceId: ID, live: state, policies, newDriftId: driftIds },
    });

    it('records drift a live policy covers as detected and ignored under it, until its end', () => {
      // given a spec, and a policy over web-* size_slug / when the size differs / then detected, then ignored
      spec
        .givenCommands(record())
        .when(detectUnder([policy()]), at(10))
        .thenMatches([
          { type: 'DriftDetected', data: { driftId: 'drift-size_slug', field: 'size_slug' } },
          { type: 'DriftIgnored', data: { driftId: 'drift-size_slug', policyId: 'pol-1', until: iso(100), at: iso(10) } },
        ]);
    });

    it('matches the resource by its id as well as its name, and the field by a glob', () => {
      spec.givenCommands(record()).when(detectUnder([policy({ resource: 'do:droplet:*', field: 'size_*' })]), at(10)).thenMatches([{ type: 'DriftDetected' }, { type: 'DriftIgnored' }]);
      // a policy for other resources or other fields covers nothing
      spec.givenCommands(record()).when(detectUnder([policy({ resource: 'db-*' }), policy({ policyId: 'pol-2', field: 'region' })]), at(10)).thenMatches([{ type: 'DriftDetected' }]);
    });

    it('ignores drift that was open when the policy came', () => {
      spec.givenCommands(record(), [detect(), at(5)]).when(detectUnder([policy()]), at(10)).thenMatches([{ type: 'DriftIgnored', data: { driftId: 'drift-size_slug' } }]);
    });

    it('opens ignored drift again at the first detection after its policy expired', () => {
      // given drift ignored until T0+100 s
      const given = spec.givenCommands(record(), [detectUnder([policy()]), at(10)]);
      // when detection runs before the end / then nothing; after it / then it opens, as expired
      given.when(detectUnder([policy()]), at(99)).thenNothing();
      given
        .when(detectUnder([policy()]), at(100))
        .then([{ type: 'DriftReopened', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', policyId: 'pol-1', reason: 'policy_expired', at: iso(100) } }]);
    });

    it('opens ignored drift again when its policy was ended by hand, before its time', () => {
      spec
        .givenCommands(record(), [detectUnder([policy()]), at(10)])
        .when(detectUnder([]), at(20))
        .thenMatches([{ type: 'DriftReopened', data: { reason: 'policy_ended' } }]);
    });

    it('keeps drift ignored while another live policy still covers it', () => {
      spec.givenCommands(record(), [detectUnder([policy()]), at(10)]).when(detectUnder([policy({ policyId: 'pol-2', expiresAt: iso(500) })]), at(200)).thenNothing();
    });

    it('closes ignored drift as stale when the field matches again', () => {
      spec
        .givenCommands(record(), [detectUnder([policy()]), at(10)])
        .when(detectUnder([policy()], asSpecified()), at(20))
        .thenMatches([{ type: 'DriftClosedStale', data: { driftId: 'drift-size_slug', reason: 'matches_again' } }]);
    });

    describe('tags by key (tags:<glob>)', () => {
      const tagged = (tags: string[]): ResourceState => live({ size_slug: 's-2vcpu-4gb', tags });
      const tagSpec = (): SpecCommand => ({ type: 'RecordSpec', data: { resourceId: ID, spec: { ...SPEC, tags: ['team:web'] }, reason: 'declared', sagaId: null } });
      const poolPolicy = policy({ field: 'tags:pool-*' });

      it('ignores tags drift that only adds or removes tags the glob matches', () => {
        spec.givenCommands(tagSpec()).when(detectUnder([poolPolicy], tagged(['team:web', 'pool-a', 'pool-b'])), at(10)).thenMatches([{ type: 'DriftDetected', data: { field: 'tags' } }, { type: 'DriftIgnored' }]);
      });

      it('leaves tags drift open when any other tag changed too', () => {
        spec.givenCommands(tagSpec()).when(detectUnder([poolPolicy], tagged(['pool-a'])), at(10)).thenMatches([{ type: 'DriftDetected', data: { field: 'tags' } }]);
      });

      it('covers no other field', () => {
        spec.givenCommands(record()).when(detectUnder([poolPolicy]), at(10)).thenMatches([{ type: 'DriftDetected', data: { field: 'size_slug' } }]);
      });
    });
  });

  describe('IgnoreDrift', () => {
    const ignore = (policyId = 'pol-g', expiresAt = iso(100), driftId = 'drift-size_slug'): SpecCommand => ({
      type: 'IgnoreDrift',
      data: { resourceId: ID, driftId, policy: { policyId, expiresAt } },
    });

    it('puts an open drift out of the inbox under the policy made for it, until its end', () => {
      spec
        .givenCommands(record(), [detect(), at(5)])
        .when(ignore(), at(10))
        .then([{ type: 'DriftIgnored', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', policyId: 'pol-g', until: iso(100), at: iso(10) } }]);
    });

    it('records nothing when the same policy already ignores it (a retried item)', () => {
      spec.givenCommands(record(), [detect(), at(5)], [ignore(), at(10)]).when(ignore(), at(11)).thenNothing();
    });

    it('refuses a drift that is closed, being reverted, or unknown, and a policy already ended', () => {
      spec.givenCommands(record(), [detect(), at(5)], [accept(), at(6)]).when(ignore(), at(10)).thenThrows(DriftNotOpen);
      spec.givenCommands(record(), [detect(), at(5)], [requestRevert(), at(6)]).when(ignore(), at(10)).thenThrows(DriftNotOpen);
      spec.givenCommands(record(), [detect(), at(5)]).when(ignore('pol-g', iso(100), 'drift-nope'), at(10)).thenThrows(DriftNotFound);
      spec.givenCommands(record(), [detect(), at(5)]).when(ignore('pol-g', iso(9)), at(10)).thenThrows(InvalidInput);
    });

    it('stays ignored at the next detection: the policy covers its resource and field', () => {
      const exact: DriftPolicy = { policyId: 'pol-g', resource: ID, field: 'size_slug', owner: 'o', reason: 'r', expiresAt: iso(100) };
      spec
        .givenCommands(record(), [detect(), at(5)], [ignore(), at(10)])
        .when({ type: 'DetectDrift', data: { resourceId: ID, live: live(), policies: [exact], newDriftId: driftIds } }, at(20))
        .thenNothing();
    });
  });

  describe('a resource deleted outside cloudledger', () => {
    it('closes its open and ignored drift as resource_deleted, and opens none', () => {
      // given open size drift, and region drift ignored under a policy
      const policies: DriftPolicy[] = [{ policyId: 'pol-1', resource: '*', field: 'region', owner: 'o', reason: 'r', expiresAt: iso(1000) }];
      const drifting = live({ region: 'sfo3' });
      const given = spec.givenCommands(record(), [{ type: 'DetectDrift', data: { resourceId: ID, live: drifting, policies, newDriftId: driftIds } }, at(10)]);
      expect(recorded(given.state).open.map((d) => [d.field, d.ignoredBy?.policyId ?? null])).toEqual([
        ['size_slug', null],
        ['region', 'pol-1'],
      ]);

      // when the sync saw it deleted / then both close, and nothing new opens
      given
        .when({ type: 'DetectDrift', data: { resourceId: ID, live: { ...drifting, status: 'deleted' }, policies, newDriftId: driftIds } }, at(20))
        .then((events) =>
          expect(events.map((e) => [e.type, 'reason' in e.data ? e.data.reason : null, 'driftId' in e.data ? e.data.driftId : null])).toEqual([
            ['DriftClosedStale', 'resource_deleted', 'drift-size_slug'],
            ['DriftClosedStale', 'resource_deleted', 'drift-region'],
          ]),
        );
    });
  });
});
