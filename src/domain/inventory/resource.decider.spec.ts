import type { Droplet } from '../cloud/cloud.port.js';
import { deciderSpecification } from '../../../test/support/decider-specification.js';
import { observe, type ResourceCommand, resourceDecider, type ResourceEvent } from './resource.decider.js';
import { applyChanges, diffResource, dropletIdOf, dropletResourceId, fieldValue, isManaged, MANAGED_TAG, observeDroplet, type ResourceState, sagaTag } from './resource.js';

const ID = 'do:droplet:572017320';
const T0 = new Date('2026-11-22T10:15:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();

const droplet = (overrides: Partial<Droplet> = {}): Droplet => ({
  id: 572017320,
  name: 'web-1',
  status: 'active',
  region: 'nyc3',
  size_slug: 's-1vcpu-1gb',
  image: 'ubuntu-24-04-x64',
  tags: ['web', MANAGED_TAG],
  public_ipv4: '203.0.113.10',
  locked: false,
  created_at: '2026-11-01T00:00:00Z',
  ...overrides,
});

const seen = (overrides: Partial<Droplet> = {}): ResourceState => observeDroplet(droplet(overrides));
const bySync = (observed: ResourceState | null): ResourceCommand => observe({ resourceId: ID, observed, source: 'sync', sagaId: null });
/** The resource as the event store has it: observed once, in this state. */
const observed = (state: ResourceState): ResourceEvent => ({ type: 'ResourceObserved', data: { resourceId: ID, state, source: 'sync', sagaId: null, at: iso(0) } });

const spec = deciderSpecification(resourceDecider);

describe('the resource decider', () => {
  describe('ObserveResource', () => {
    it('records a first sight as ResourceObserved with the whole state', () => {
      // given nothing known about the droplet
      // when the sync sees it
      // then it is observed, with its source
      const after = spec
        .given()
        .when(bySync(seen()), at(0))
        .then([{ type: 'ResourceObserved', data: { resourceId: ID, state: seen(), source: 'sync', sagaId: null, at: iso(0) } }]);
      expect(after.state).toEqual({ status: 'present', state: seen() });
    });

    it('records the saga that saw it', () => {
      // given nothing known / when a saga step sees it / then the saga is named
      spec
        .given()
        .when(observe({ resourceId: ID, observed: seen(), source: 'saga', sagaId: 'saga-1' }), at(0))
        .thenMatches([{ type: 'ResourceObserved', data: { source: 'saga', sagaId: 'saga-1' } }]);
    });

    it('records nothing when the droplet is seen unchanged', () => {
      // given a known droplet / when it is seen as it was / then nothing
      spec.givenCommands(bySync(seen())).when(bySync(seen()), at(15)).thenNothing();
    });

    it('records nothing when only the tag order differs', () => {
      // given a droplet tagged web, managed / when seen tagged managed, web / then nothing
      spec
        .givenCommands(bySync(seen({ tags: ['web', MANAGED_TAG] })))
        .when(bySync(seen({ tags: [MANAGED_TAG, 'web'] })), at(15))
        .thenNothing();
    });

    it('records nothing when the stored state comes back through JSON', () => {
      // given the state as the event store gives it back
      const stored = JSON.parse(JSON.stringify(seen())) as ResourceState;
      // when the droplet is seen as it was / then nothing
      spec.given([observed(stored)]).when(bySync(seen()), at(15)).thenNothing();
    });

    it('records a change as ResourceChanged with before and after per changed field', () => {
      // given a known droplet
      // when it is resized and renamed
      // then exactly those two fields are reported, columns in their order
      spec
        .givenCommands(bySync(seen()))
        .when(bySync(seen({ size_slug: 's-2vcpu-4gb', name: 'web-1b' })), at(15))
        .then([
          {
            type: 'ResourceChanged',
            data: {
              resourceId: ID,
              changes: [
                { field: 'name', before: 'web-1', after: 'web-1b' },
                { field: 'size_slug', before: 's-1vcpu-1gb', after: 's-2vcpu-4gb' },
              ],
              source: 'sync',
              sagaId: null,
              at: iso(15),
            },
          },
        ]);
    });

    it('reports changed attrs by their key', () => {
      // given a known droplet / when its image and address change / then each attrs key is a change
      spec
        .givenCommands(bySync(seen()))
        .when(bySync(seen({ image: 'debian-12-x64', public_ipv4: null })), at(15))
        .then([
          expect.objectContaining({
            type: 'ResourceChanged',
            data: expect.objectContaining({
              changes: [
                { field: 'image', before: 'ubuntu-24-04-x64', after: 'debian-12-x64' },
                { field: 'public_ipv4', before: '203.0.113.10', after: null },
              ],
            }),
          }),
        ]);
    });

    it('reports changed tags as whole lists', () => {
      // given a droplet tagged web / when it is tagged db instead / then the lists are the change
      spec
        .givenCommands(bySync(seen()))
        .when(bySync(seen({ tags: ['db', MANAGED_TAG] })), at(15))
        .thenMatches([{ data: { changes: [{ field: 'tags', before: [MANAGED_TAG, 'web'], after: ['db', MANAGED_TAG] }] } }]);
    });

    it('folds a change into the state, so the same observation again records nothing', () => {
      // given a droplet seen active, then off
      const given = spec.givenCommands(bySync(seen()), bySync(seen({ status: 'off' })));
      expect(given.state).toEqual({ status: 'present', state: seen({ status: 'off' }) });
      // when it is seen off again / then nothing
      given.when(bySync(seen({ status: 'off' })), at(30)).thenNothing();
    });

    it('records a disappearance as ResourceDeleted, once', () => {
      // given a known droplet
      // when the provider has nothing under its id
      // then it is deleted, keeping its last state
      const after = spec
        .givenCommands(bySync(seen()))
        .when(bySync(null), at(15))
        .then([{ type: 'ResourceDeleted', data: { resourceId: ID, source: 'sync', sagaId: null, at: iso(15) } }]);
      expect(after.state).toEqual({ status: 'deleted', state: seen() });

      // and seeing it absent again records nothing
      after.when(bySync(null), at(30)).thenNothing();
    });

    it('records nothing for the absence of a resource never seen', () => {
      // given nothing known / when nothing is there / then nothing
      spec.given().when(bySync(null), at(0)).thenNothing();
    });

    it('records a resource seen again after its deletion as ResourceObserved, not as a change', () => {
      // given a droplet seen, then gone
      // when it shows again, resized
      // then it is observed afresh, in its new state
      const after = spec
        .givenCommands(bySync(seen()), bySync(null))
        .when(bySync(seen({ size_slug: 's-2vcpu-4gb' })), at(30))
        .then([expect.objectContaining({ type: 'ResourceObserved', data: expect.objectContaining({ state: seen({ size_slug: 's-2vcpu-4gb' }) }) })]);
      expect(after.state).toEqual({ status: 'present', state: seen({ size_slug: 's-2vcpu-4gb' }) });
    });

    it('records it again even when it comes back unchanged', () => {
      // given a droplet seen, then gone / when it shows again as it was / then it is observed again
      spec
        .givenCommands(bySync(seen()), bySync(null))
        .when(bySync(seen()), at(30))
        .then((events) => expect(events.map((e) => e.type)).toEqual(['ResourceObserved']));
    });
  });

  describe('resourceDecider.evolve', () => {
    it('ignores a change or a deletion of a resource it never saw', () => {
      // given a change, or a deletion, of a resource never observed
      const changed: ResourceEvent = { type: 'ResourceChanged', data: { resourceId: ID, changes: [{ field: 'status', before: 'active', after: 'off' }], source: 'sync', sagaId: null, at: iso(0) } };
      const deleted: ResourceEvent = { type: 'ResourceDeleted', data: { resourceId: ID, source: 'sync', sagaId: null, at: iso(0) } };
      // then the state is still the initial one
      expect(spec.given([changed]).state).toEqual(resourceDecider.initialState());
      expect(spec.given([deleted]).state).toEqual(resourceDecider.initialState());
    });
  });

  describe('diffResource and applyChanges', () => {
    const cases: [string, ResourceState, ResourceState][] = [
      ['nothing changed', seen(), seen()],
      ['a resize', seen(), seen({ size_slug: 's-2vcpu-4gb' })],
      ['every column', seen(), seen({ name: 'x', region: 'sfo3', size_slug: 's-8vcpu-16gb', status: 'off', tags: [] })],
      ['attrs values', seen(), seen({ image: 'debian-12-x64', public_ipv4: null, created_at: '2026-11-02T00:00:00Z' })],
      ['an attr from null to a value', seen({ public_ipv4: null }), seen()],
      ['an added attrs key', seen(), { ...seen(), attrs: { ...seen().attrs, vpc_uuid: 'vpc-1' } }],
    ];

    it.each(cases)('applyChanges(a, diffResource(a, b)) equals b: %s', (_case, a, b) => {
      expect(applyChanges(a, diffResource(a, b))).toEqual(b);
    });

    it.each(cases)('diffResource(b, applyChanges(a, diffResource(a, b))) is empty: %s', (_case, a, b) => {
      expect(diffResource(b, applyChanges(a, diffResource(a, b)))).toEqual([]);
    });

    it('finds nothing between a state and itself, and something for any changed field', () => {
      expect(diffResource(seen(), seen())).toEqual([]);
      expect(diffResource(seen(), seen({ status: 'off' }))).toEqual([{ field: 'status', before: 'active', after: 'off' }]);
    });

    it('reports a removed attrs key with null after, and applying it leaves nothing to diff', () => {
      const b: ResourceState = { ...seen(), attrs: { image: 'ubuntu-24-04-x64', created_at: '2026-11-01T00:00:00Z' } };
      const changes = diffResource(seen(), b);
      expect(changes).toEqual([{ field: 'public_ipv4', before: '203.0.113.10', after: null }]);
      expect(diffResource(b, applyChanges(seen(), changes))).toEqual([]);
    });

    it('does not change the state it applies to', () => {
      const a = seen();
      const copy = structuredClone(a);
      applyChanges(a, diffResource(a, seen({ size_slug: 's-2vcpu-4gb', image: 'debian-12-x64' })));
      expect(a).toEqual(copy);
    });
  });

  describe('the resource helpers', () => {
    it('observes a droplet as columns plus attrs, with sorted tags', () => {
      expect(observeDroplet(droplet({ tags: ['web', MANAGED_TAG, 'api'] }))).toEqual({
        provider: 'digitalocean',
        kind: 'droplet',
        providerId: '572017320',
        name: 'web-1',
        region: 'nyc3',
        size_slug: 's-1vcpu-1gb',
        status: 'active',
        tags: ['api', MANAGED_TAG, 'web'],
        attrs: { image: 'ubuntu-24-04-x64', public_ipv4: '203.0.113.10', created_at: '2026-11-01T00:00:00Z' },
      });
    });

    it('tells managed droplets by their tag', () => {
      expect(isManaged(seen().tags)).toBe(true);
      expect(isManaged(seen({ tags: ['web'] }).tags)).toBe(false);
    });

    it('resolves a field from the columns first, then own attrs keys only', () => {
      const state = { ...seen(), attrs: { ...seen().attrs, region: 'attrs-region' } };
      expect(fieldValue(state, 'region')).toBe('nyc3');
      expect(fieldValue(state, 'image')).toBe('ubuntu-24-04-x64');
      expect(fieldValue(state, 'nowhere')).toBeUndefined();
      expect(fieldValue(state, 'constructor')).toBeUndefined();
      expect(fieldValue(state, 'hasOwnProperty')).toBeUndefined();
    });

    it('reads the droplet id back from a resource id, and nothing from any other id', () => {
      expect(dropletIdOf(dropletResourceId(572017320))).toBe(572017320);
      expect(dropletIdOf('do:droplet:')).toBeNull();
      expect(dropletIdOf('do:droplet:12a')).toBeNull();
      expect(dropletIdOf('do:volume:12')).toBeNull();
      expect(dropletIdOf('x-do:droplet:12')).toBeNull();
      expect(dropletIdOf('do:droplet:1234567890123456')).toBeNull();
    });

    it('tags a droplet with the first 8 characters of its saga id', () => {
      expect(sagaTag('0b5e3c1d-7f2a-4c9e-8d11-2f6a9e0b7c34')).toBe('cloudledger-saga-0b5e3c1d');
      expect(sagaTag('0b5e3c1d-7f2a-4c9e-8d11-2f6a9e0b7c34')).not.toBe(sagaTag('1b5e3c1d-7f2a-4c9e-8d11-2f6a9e0b7c34'));
    });
  });
});
