import type { ResourceState } from '../inventory/resource.js';
import type { Spec } from './drift-compare.js';
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
const detect = (state: ResourceState | null = live()): SpecCommand => ({ type: 'DetectDrift', data: { resourceId: ID, live: state, newDriftId: driftIds } });
const accept = (driftId = 'drift-size_slug'): SpecCommand => ({ type: 'AcceptDrift', data: { resourceId: ID, driftId } });
const requestRevert = (driftId = 'drift-size_slug', sagaId = 'saga-revert-1'): SpecCommand => ({ type: 'RequestRevert', data: { resourceId: ID, driftId, sagaId } });
const completeRevert = (driftId = 'drift-size_slug', sagaId = 'saga-revert-1'): SpecCommand => ({ type: 'CompleteRevert', data: { resourceId: ID, driftId, sagaId } });
const failRevert = (driftId = 'drift-size_slug', sagaId = 'saga-revert-1'): SpecCommand => ({
  type: 'FailRevert',
  data: { resourceId: ID, driftId, sagaId, reason: 'resize refused: droplet locked' },
});
const removeSpec = (): SpecCommand => ({ type: 'RemoveSpec', data: { resourceId: ID, reason: 'destroyed', sagaId: 'saga-destroy' } });

/** Runs commands one after another from the initial state, folding each one's events with specDecider.evolve. */
function given(...commands: SpecCommand[]): SpecState {
  return commands.reduce((state, command, i) => specDecider.decide(command, state, at(i)).reduce(specDecider.evolve, state), initialSpecState());
}

function refusal(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected decide to refuse');
}

const recorded = (state: SpecState): Extract<SpecState, { status: 'recorded' }> => {
  if (state.status !== 'recorded') throw new Error(`expected a recorded spec, got ${state.status}`);
  return state;
};

describe('the spec decider', () => {
  describe('RecordSpec', () => {
    it('records the first spec as version 1', () => {
      // given no spec
      // when one is recorded
      const events = specDecider.decide(record(), initialSpecState(), at(0));

      // then SpecRecorded carries it as version 1, with its reason and saga
      expect(events).toEqual([
        { type: 'SpecRecorded', data: { resourceId: ID, spec: SPEC, version: 1, reason: 'provisioned', sagaId: 'saga-provision', driftId: null, at: iso(0) } },
      ]);
      expect(recorded(events.reduce(specDecider.evolve, initialSpecState()))).toMatchObject({ spec: SPEC, version: 1, open: [] });
    });

    it('records nothing when the same spec is recorded again (a repeated saga step)', () => {
      expect(specDecider.decide(record(), given(record()), at(5))).toEqual([]);
    });

    it('records nothing when the same spec comes back with its keys in another order (as jsonb returns it)', () => {
      // given the spec as the event store gives it back: keys sorted the jsonb way
      const reloaded = given(record({ image: 'ubuntu-24-04-x64', region: 'nyc3', size_slug: 's-2vcpu-4gb' }));

      // when the provisioning step records it again in its own key order
      // then nothing changes
      expect(specDecider.decide(record(SPEC), reloaded, at(5))).toEqual([]);
    });

    it('records a changed spec as the next version', () => {
      // given version 1
      // when a spec with another size is recorded
      const events = specDecider.decide(record({ ...SPEC, size_slug: 's-4vcpu-8gb' }), given(record()), at(5));

      // then it is version 2 and replaces the whole spec
      expect(events).toEqual([expect.objectContaining({ type: 'SpecRecorded', data: expect.objectContaining({ version: 2, spec: { ...SPEC, size_slug: 's-4vcpu-8gb' } }) })]);
    });

    it('treats a value changed only in type as a change: the spec is what was asked, exactly', () => {
      const state = given(record({ vcpus: 2 }));
      expect(specDecider.decide(record({ vcpus: '2' }), state, at(5))).toEqual([expect.objectContaining({ data: expect.objectContaining({ version: 2 }) })]);
    });

    it('continues the version count after the spec was removed', () => {
      const state = given(record(), record({ ...SPEC, size_slug: 's-4vcpu-8gb' }), removeSpec());
      expect(state).toMatchObject({ status: 'removed', version: 2 });
      expect(specDecider.decide(record(), state, at(9))).toEqual([expect.objectContaining({ data: expect.objectContaining({ version: 3 }) })]);
    });

    it('does not copy the caller’s object into the event by reference', () => {
      const spec = { ...SPEC };
      const [event] = specDecider.decide(record(spec), initialSpecState(), at(0));
      spec.size_slug = 'mutated';
      expect(event).toMatchObject({ data: { spec: { size_slug: 's-2vcpu-4gb' } } });
    });
  });

  describe('DetectDrift', () => {
    it('reports a new mismatch as DriftDetected with the id it was given, and nothing for matching fields', () => {
      // given a spec asking for s-2vcpu-4gb in nyc3
      // when the droplet is s-1vcpu-1gb in nyc3
      const events = specDecider.decide(detect(), given(record()), at(20));

      // then only size_slug drifted, against spec version 1
      expect(events).toEqual([
        {
          type: 'DriftDetected',
          data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', expected: 's-2vcpu-4gb', actual: 's-1vcpu-1gb', specVersion: 1, at: iso(20) },
        },
      ]);
    });

    it('opens one drift per drifted field, each with its own id', () => {
      const events = specDecider.decide(detect(live({ region: 'sfo3', attrs: { ...live().attrs, image: 'debian-12-x64' } })), given(record()), at(20));
      expect(events.map((e) => [e.type, 'driftId' in e.data ? e.data.driftId : null])).toEqual([
        ['DriftDetected', 'drift-size_slug'],
        ['DriftDetected', 'drift-region'],
        ['DriftDetected', 'drift-image'],
      ]);
    });

    it('does not report an open drift again while the field still mismatches', () => {
      // given an open size_slug drift
      const state = given(record(), detect());
      expect(recorded(state).open).toHaveLength(1);

      // when detection runs again on the same droplet / then nothing is appended
      expect(specDecider.decide(detect(), state, at(40))).toEqual([]);
    });

    it('does not report an open drift again when the live value moved to another mismatching value', () => {
      const state = given(record(), detect());
      expect(specDecider.decide(detect(live({ size_slug: 's-8vcpu-16gb' })), state, at(40))).toEqual([]);
    });

    it('closes an open drift whose field matches again as stale, with the live value', () => {
      // given an open size_slug drift
      const state = given(record(), detect());

      // when the droplet is resized back by hand
      const events = specDecider.decide(detect(asSpecified()), state, at(40));

      // then the drift closes stale, and the state has no open drift left
      expect(events).toEqual([
        { type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', actual: 's-2vcpu-4gb', reason: 'matches_again', at: iso(40) } },
      ]);
      const after = recorded(events.reduce(specDecider.evolve, state));
      expect(after.open).toEqual([]);
      expect(after.closed).toEqual(['drift-size_slug']);
    });

    it('reports the live value, not the spec’s, when closing stale on a loosely equal value', () => {
      // given a tags drift: the spec wants {web, prod}
      const state = given(record({ tags: ['web', 'prod'] }), detect(live({ tags: ['web'] })));

      // when the droplet gets the tags back in another order
      const [event] = specDecider.decide(detect(live({ tags: ['prod', 'web'] })), state, at(40));

      // then the stale close records what the droplet has
      expect(event).toMatchObject({ type: 'DriftClosedStale', data: { field: 'tags', actual: ['prod', 'web'] } });
    });

    it('closes stale a drift on a field the new spec no longer has, with the live value', () => {
      // given a size_slug drift, then a spec without size_slug
      const state = given(record(), detect(), record({ region: 'nyc3' }));
      expect(recorded(state).open).toHaveLength(1);

      // when detection runs / then the drift is stale, and its actual is the droplet's size
      expect(specDecider.decide(detect(), state, at(40))).toEqual([
        { type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', actual: 's-1vcpu-1gb', reason: 'matches_again', at: iso(40) } },
      ]);
    });

    it('closes one drift stale and opens another in the same run', () => {
      const state = given(record(), detect());
      const events = specDecider.decide(detect(live({ size_slug: 's-2vcpu-4gb', region: 'sfo3' })), state, at(40));
      expect(events.map((e) => `${e.type}:${'field' in e.data ? e.data.field : ''}`).sort()).toEqual(['DriftClosedStale:size_slug', 'DriftDetected:region']);
    });

    it('does not close stale a drift being reverted: the revert saga closes it', () => {
      // given a size_slug drift under revert
      const state = given(record(), detect(), requestRevert());

      // when the resize has already landed and detection runs before the saga ends
      // then nothing is appended
      expect(specDecider.decide(detect(asSpecified()), state, at(40))).toEqual([]);
    });

    it('does not open a second drift on a field whose drift is being reverted', () => {
      const state = given(record(), detect(), requestRevert());
      expect(specDecider.decide(detect(), state, at(40))).toEqual([]);
    });

    it('reports a field drifting again after its drift was closed, under a new id', () => {
      // given a size_slug drift that closed stale
      const state = given(record(), detect(), detect(asSpecified()));
      expect(recorded(state).open).toEqual([]);

      // when the droplet drifts again
      const events = specDecider.decide({ type: 'DetectDrift', data: { resourceId: ID, live: live(), newDriftId: (f) => `second-${f}` } }, state, at(60));

      // then a new drift opens
      expect(events).toEqual([expect.objectContaining({ type: 'DriftDetected', data: expect.objectContaining({ driftId: 'second-size_slug', field: 'size_slug' }) })]);
    });

    it('finds nothing when the resource has no live state', () => {
      // given an open drift, so a stale close would show too
      const state = given(record(), detect());
      expect(specDecider.decide(detect(null), state, at(40))).toEqual([]);
      expect(specDecider.decide(detect(null), given(record()), at(40))).toEqual([]);
    });

    it('finds nothing without a spec', () => {
      expect(specDecider.decide(detect(), initialSpecState(), at(0))).toEqual([]);
      expect(specDecider.decide(detect(), given(record(), removeSpec()), at(10))).toEqual([]);
    });

    it('finds nothing when the droplet is as specified', () => {
      expect(specDecider.decide(detect(asSpecified()), given(record()), at(20))).toEqual([]);
    });

    it('records the spec version the drift was detected against', () => {
      const state = given(record(), record({ ...SPEC, image: 'debian-12-x64' }));
      const [event] = specDecider.decide(detect(asSpecified()), state, at(20));
      expect(event).toMatchObject({ type: 'DriftDetected', data: { field: 'image', specVersion: 2 } });
    });
  });

  describe('AcceptDrift', () => {
    it('makes the live value the spec (version + 1) and closes the drift accepted, in one decision', () => {
      // given spec version 1 and an open size_slug drift
      const state = given(record(), detect());

      // when an operator accepts it
      const events = specDecider.decide(accept(), state, at(30));

      // then one SpecRecorded with version 2 and the live size, then DriftAccepted
      expect(events).toEqual([
        {
          type: 'SpecRecorded',
          data: { resourceId: ID, spec: { ...SPEC, size_slug: 's-1vcpu-1gb' }, version: 2, reason: 'drift_accepted', sagaId: null, driftId: 'drift-size_slug', at: iso(30) },
        },
        { type: 'DriftAccepted', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', value: 's-1vcpu-1gb', specVersion: 2, at: iso(30) } },
      ]);

      // and afterwards the spec holds the live value, no drift is open, and detecting again finds nothing
      const after = recorded(events.reduce(specDecider.evolve, state));
      expect(after).toMatchObject({ version: 2, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3' }, open: [], closed: ['drift-size_slug'] });
      expect(specDecider.decide(detect(), after, at(40))).toEqual([]);
    });

    it('keeps the other open drifts open', () => {
      const state = given(record(), detect(live({ region: 'sfo3' })));
      const after = recorded(specDecider.decide(accept(), state, at(30)).reduce(specDecider.evolve, state));
      expect(after.open.map((d) => d.driftId)).toEqual(['drift-region']);
      expect(after.spec).toEqual({ ...SPEC, size_slug: 's-1vcpu-1gb' });
    });

    it('refuses a drift that is no longer open: DriftNotOpen', () => {
      // given a drift accepted once
      const state = given(record(), detect(), accept());
      // when accepted again / then it is not open (409)
      expect(refusal(() => specDecider.decide(accept(), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('refuses a drift closed stale: DriftNotOpen', () => {
      const state = given(record(), detect(), detect(asSpecified()));
      expect(refusal(() => specDecider.decide(accept(), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('refuses a drift while its revert runs: DriftNotOpen', () => {
      const state = given(record(), detect(), requestRevert());
      expect(refusal(() => specDecider.decide(accept(), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('refuses a drift that was open when the spec was removed: DriftNotOpen', () => {
      const state = given(record(), detect(), removeSpec());
      expect(refusal(() => specDecider.decide(accept(), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('refuses an unknown drift: DriftNotFound', () => {
      const error = refusal(() => specDecider.decide(accept('drift-nope'), given(record(), detect()), at(40)));
      expect(error).toBeInstanceOf(DriftNotFound);
      expect(error).not.toBeInstanceOf(DriftNotOpen);
    });

    it('refuses when no spec is recorded: SpecNotFound', () => {
      expect(refusal(() => specDecider.decide(accept(), initialSpecState(), at(0)))).toBeInstanceOf(SpecNotFound);
    });

    it('refuses an unknown drift on a removed spec: SpecNotFound', () => {
      expect(refusal(() => specDecider.decide(accept('drift-nope'), given(record(), removeSpec()), at(10)))).toBeInstanceOf(SpecNotFound);
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
      const state = given(record(), detect(drifted));

      // when a revert is requested
      const error = refusal(() => specDecider.decide(requestRevert(`drift-${field}`), state, at(30)));

      // then 422, saying why and what to do instead
      expect(error).toBeInstanceOf(DriftNotRevertible);
      expect(error).toMatchObject({ code: 'drift_not_revertible' });
      expect((error as Error).message).toContain(field);
      expect((error as Error).message).toMatch(/accept/);
    });

    it('starts a revert of size_slug', () => {
      const events = specDecider.decide(requestRevert(), given(record(), detect()), at(30));
      expect(events).toEqual([{ type: 'DriftRevertRequested', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', sagaId: 'saga-revert-1', at: iso(30) } }]);
    });

    it('starts a revert of tags', () => {
      const state = given(record({ tags: ['managed-by-cloudledger', 'web'] }), detect());
      expect(specDecider.decide(requestRevert('drift-tags'), state, at(30))).toEqual([expect.objectContaining({ type: 'DriftRevertRequested', data: expect.objectContaining({ field: 'tags' }) })]);
    });

    it('refuses a second revert by another saga: DriftNotOpen', () => {
      const state = given(record(), detect(), requestRevert());
      expect(refusal(() => specDecider.decide(requestRevert('drift-size_slug', 'saga-revert-2'), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('records nothing when the same saga asks again (a retried step)', () => {
      const state = given(record(), detect(), requestRevert());
      expect(specDecider.decide(requestRevert(), state, at(40))).toEqual([]);
    });

    it('refuses a drift already reverted: DriftNotOpen', () => {
      const state = given(record(), detect(), requestRevert(), completeRevert());
      expect(refusal(() => specDecider.decide(requestRevert('drift-size_slug', 'saga-revert-2'), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('refuses a drift already accepted: DriftNotOpen', () => {
      const state = given(record(), detect(), accept());
      expect(refusal(() => specDecider.decide(requestRevert(), state, at(40)))).toBeInstanceOf(DriftNotOpen);
    });

    it('refuses an unknown drift: DriftNotFound; no spec: SpecNotFound', () => {
      expect(refusal(() => specDecider.decide(requestRevert('drift-nope'), given(record()), at(10)))).toBeInstanceOf(DriftNotFound);
      expect(refusal(() => specDecider.decide(requestRevert(), initialSpecState(), at(10)))).toBeInstanceOf(SpecNotFound);
    });
  });

  describe('CompleteRevert and FailRevert', () => {
    it('closes the drift as reverted when its saga completes', () => {
      const state = given(record(), detect(), requestRevert());
      const events = specDecider.decide(completeRevert(), state, at(60));
      expect(events).toEqual([{ type: 'DriftReverted', data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', sagaId: 'saga-revert-1', at: iso(60) } }]);
      const after = recorded(events.reduce(specDecider.evolve, state));
      expect(after).toMatchObject({ version: 1, spec: SPEC, open: [], closed: ['drift-size_slug'] });
    });

    it('records nothing when the completion is repeated', () => {
      const state = given(record(), detect(), requestRevert(), completeRevert());
      expect(specDecider.decide(completeRevert(), state, at(70))).toEqual([]);
      expect(specDecider.decide(failRevert(), state, at(70))).toEqual([]);
    });

    it('records nothing for a saga that is not the one reverting the drift', () => {
      const state = given(record(), detect(), requestRevert());
      expect(specDecider.decide(completeRevert('drift-size_slug', 'saga-other'), state, at(60))).toEqual([]);
      expect(specDecider.decide(failRevert('drift-size_slug', 'saga-other'), state, at(60))).toEqual([]);
    });

    it('records nothing for a drift no revert was requested for', () => {
      const state = given(record(), detect());
      expect(specDecider.decide(completeRevert(), state, at(60))).toEqual([]);
    });

    it('records nothing once the spec is gone', () => {
      const state = given(record(), detect(), requestRevert(), removeSpec());
      expect(specDecider.decide(completeRevert(), state, at(60))).toEqual([]);
      expect(specDecider.decide(completeRevert(), initialSpecState(), at(60))).toEqual([]);
    });

    it('records a failure with its reason, leaving the drift open', () => {
      // given a revert under way
      const state = given(record(), detect(), requestRevert());

      // when its saga fails
      const events = specDecider.decide(failRevert(), state, at(60));

      // then DriftRevertFailed, and the drift is open with no saga on it
      expect(events).toEqual([
        {
          type: 'DriftRevertFailed',
          data: { resourceId: ID, driftId: 'drift-size_slug', field: 'size_slug', sagaId: 'saga-revert-1', reason: 'resize refused: droplet locked', at: iso(60) },
        },
      ]);
      const after = recorded(events.reduce(specDecider.evolve, state));
      expect(after.open).toEqual([expect.objectContaining({ driftId: 'drift-size_slug', revertSagaId: null })]);
      expect(after.closed).toEqual([]);
    });

    it('records nothing when the failure is repeated', () => {
      const state = given(record(), detect(), requestRevert(), failRevert());
      expect(specDecider.decide(failRevert(), state, at(70))).toEqual([]);
      expect(specDecider.decide(completeRevert(), state, at(70))).toEqual([]);
    });

    it('after a failure, the drift can be reverted again, accepted, or close stale', () => {
      const state = given(record(), detect(), requestRevert(), failRevert());

      expect(specDecider.decide(requestRevert('drift-size_slug', 'saga-revert-2'), state, at(80))).toEqual([
        expect.objectContaining({ type: 'DriftRevertRequested', data: expect.objectContaining({ sagaId: 'saga-revert-2' }) }),
      ]);
      expect(specDecider.decide(accept(), state, at(80)).map((e) => e.type)).toEqual(['SpecRecorded', 'DriftAccepted']);
      expect(specDecider.decide(detect(asSpecified()), state, at(80)).map((e) => e.type)).toEqual(['DriftClosedStale']);
    });

    it('a second saga completes the revert after the first one failed; the first one’s late completion does nothing', () => {
      const state = given(record(), detect(), requestRevert(), failRevert(), requestRevert('drift-size_slug', 'saga-revert-2'));
      expect(specDecider.decide(completeRevert('drift-size_slug', 'saga-revert-1'), state, at(90))).toEqual([]);
      expect(specDecider.decide(completeRevert('drift-size_slug', 'saga-revert-2'), state, at(90)).map((e) => e.type)).toEqual(['DriftReverted']);
    });
  });

  describe('RemoveSpec', () => {
    it('closes the open drift stale, then removes the spec', () => {
      const state = given(record(), detect());
      const events = specDecider.decide(removeSpec(), state, at(50));
      expect(events.map((e) => e.type)).toEqual(['DriftClosedStale', 'SpecRemoved']);
      expect(events.reduce(specDecider.evolve, state)).toEqual({ status: 'removed', version: 1, closed: ['drift-size_slug'] });
    });

    it('records nothing when there is no spec to remove', () => {
      expect(specDecider.decide(removeSpec(), initialSpecState(), at(0))).toEqual([]);
      expect(specDecider.decide(removeSpec(), given(record(), removeSpec()), at(10))).toEqual([]);
    });
  });

  describe('specDecider.evolve', () => {
    it('ignores drift events before any spec (a stream read from the middle never invents state)', () => {
      const event: SpecEvent = { type: 'DriftDetected', data: { resourceId: ID, driftId: 'd', field: 'size_slug', expected: 'a', actual: 'b', specVersion: 1, at: iso(0) } };
      expect(specDecider.evolve(initialSpecState(), event)).toEqual(initialSpecState());
    });
  });
});
