import type { SpecEvent } from '../../domain/drift/spec.decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { ResourceEvent } from '../../domain/inventory/resource.decider.js';
import { MANAGED_TAG, type ResourceState } from '../../domain/inventory/resource.js';
import { toResourceStream, toSpecStream } from '../../domain/streams.js';
import type { Projection } from '../projection.js';
import { cloudResourcesProjection } from './cloud-resources.projection.js';

const ID = 'do:droplet:101';
const at = (minute: number): string => new Date(Date.parse('2026-11-22T10:00:00.000Z') + minute * 60_000).toISOString();
const state: ResourceState = {
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: '101',
  name: 'web-1',
  region: 'nyc3',
  size_slug: 's-1vcpu-1gb',
  status: 'active',
  tags: ['web'],
  attrs: { image: 'ubuntu-24-04-x64', public_ipv4: '203.0.113.7', created_at: at(0) },
};

/** Numbers each stream's events from 0, as the store does. */
function log(events: readonly (ResourceEvent | SpecEvent)[], actor = 'system:sync'): DomainEvent[] {
  const next = new Map<string, bigint>();
  return events.map((event) => {
    const stream = event.type.startsWith('Resource') ? toResourceStream(event.data.resourceId) : toSpecStream(event.data.resourceId);
    const revision = next.get(stream) ?? 0n;
    next.set(stream, revision + 1n);
    return { ...event, metadata: { correlationId: 'corr-1', causationId: null, actor, schemaVersion: 1 }, stream, revision };
  });
}

function fold<Row extends object>(projection: Projection<Row>, events: readonly DomainEvent[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const event of events) {
    const key = projection.keyOf(event);
    const row = projection.evolve(rows.get(key) ?? null, event);
    if (row) rows.set(key, row);
    else rows.delete(key);
  }
  return rows;
}

const observed = (minute: number, s: ResourceState = state, sagaId: string | null = null): ResourceEvent => ({
  type: 'ResourceObserved',
  data: { resourceId: ID, state: s, source: sagaId ? 'saga' : 'sync', sagaId, at: at(minute) },
});
const changed = (minute: number, changes: { field: string; before: unknown; after: unknown }[]): ResourceEvent => ({
  type: 'ResourceChanged',
  data: { resourceId: ID, changes, source: 'sync', sagaId: null, at: at(minute) },
});
const deleted = (minute: number): ResourceEvent => ({ type: 'ResourceDeleted', data: { resourceId: ID, source: 'sync', sagaId: null, at: at(minute) } });

describe('the cloud-resources projection', () => {
  it('records a first observation with its columns, unmanaged without the managed tag', () => {
    // given a droplet nobody here created / when it is observed
    const row = fold(cloudResourcesProjection, log([observed(0)])).get(ID);

    // then its row holds the state, unmanaged, seen at that time, at revision 0
    expect(row).toEqual({
      resourceId: ID,
      provider: 'digitalocean',
      kind: 'droplet',
      providerId: '101',
      name: 'web-1',
      region: 'nyc3',
      sizeSlug: 's-1vcpu-1gb',
      status: 'active',
      tags: ['web'],
      attrs: state.attrs,
      managed: false,
      firstSeenAt: new Date(at(0)),
      lastSeenAt: new Date(at(0)),
      deletedAt: null,
      streamRevision: '0',
    });
  });

  it('applies changes to columns and attrs, and flips managed as the managed tag comes and goes', () => {
    // given an observed droplet
    const events = [
      observed(0),
      // when the managed tag is added, and the size and an attribute change
      changed(15, [
        { field: 'size_slug', before: 's-1vcpu-1gb', after: 's-2vcpu-2gb' },
        { field: 'tags', before: ['web'], after: [MANAGED_TAG, 'web'] },
        { field: 'public_ipv4', before: '203.0.113.7', after: '203.0.113.9' },
      ]),
    ];
    const managed = fold(cloudResourcesProjection, log(events)).get(ID)!;

    // then the row is managed, with the new size and attribute, last seen then
    expect(managed).toMatchObject({
      sizeSlug: 's-2vcpu-2gb',
      tags: [MANAGED_TAG, 'web'],
      managed: true,
      attrs: { ...state.attrs, public_ipv4: '203.0.113.9' },
      firstSeenAt: new Date(at(0)),
      lastSeenAt: new Date(at(15)),
      streamRevision: '1',
    });

    // and when the managed tag is removed again, it is unmanaged
    const unmanaged = fold(cloudResourcesProjection, log([...events, changed(30, [{ field: 'tags', before: [MANAGED_TAG, 'web'], after: ['web'] }])])).get(ID)!;
    expect(unmanaged).toMatchObject({ tags: ['web'], managed: false, streamRevision: '2' });
  });

  it('keeps a deleted resource as deleted, and brings it back when it is observed again', () => {
    // given an observed droplet / when it is deleted
    const gone = fold(cloudResourcesProjection, log([observed(0), deleted(15)])).get(ID)!;

    // then its row stays, deleted then, with its last known state
    expect(gone).toMatchObject({ status: 'deleted', deletedAt: new Date(at(15)), lastSeenAt: new Date(at(15)), sizeSlug: 's-1vcpu-1gb', streamRevision: '1' });

    // and a later change does not revive it; a new observation does, first sighting kept
    const changedAfter = fold(cloudResourcesProjection, log([observed(0), deleted(15), changed(20, [{ field: 'name', before: 'web-1', after: 'web-9' }])])).get(ID)!;
    expect(changedAfter).toMatchObject({ status: 'deleted', name: 'web-9' });
    const back = fold(cloudResourcesProjection, log([observed(0), deleted(15), observed(30, { ...state, status: 'new' })])).get(ID)!;
    expect(back).toMatchObject({ status: 'new', deletedAt: null, firstSeenAt: new Date(at(0)), lastSeenAt: new Date(at(30)) });
  });

  it('ignores a change to a resource it never saw, and an event it already applied', () => {
    expect(fold(cloudResourcesProjection, log([changed(0, [{ field: 'name', before: 'a', after: 'b' }])])).get(ID)).toBeUndefined();

    // given a row at revision 1 / when revision 1 comes again / then nothing changes
    const events = log([observed(0), changed(15, [{ field: 'name', before: 'web-1', after: 'web-2' }])]);
    const row = fold(cloudResourcesProjection, events).get(ID)!;
    expect(cloudResourcesProjection.evolve(row, events[1]!)).toBe(row);
    expect(cloudResourcesProjection.evolve(row, events[0]!)).toBe(row);
  });
});
