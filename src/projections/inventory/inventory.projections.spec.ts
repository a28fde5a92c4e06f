import type { SpecEvent } from '../../domain/drift/spec.decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { ResourceEvent } from '../../domain/inventory/resource.decider.js';
import { MANAGED_TAG, type ResourceState } from '../../domain/inventory/resource.js';
import { toResourceStream, toSpecStream } from '../../domain/streams.js';
import type { Projection } from '../projection.js';
import { cloudResourceEventsProjection } from './cloud-resource-events.projection.js';
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

describe('the cloud-resource-events projection', () => {
  const sagaId = 'saga-1';
  const history = (): DomainEvent[] => [
    ...log([observed(0, { ...state, tags: [MANAGED_TAG] }, sagaId)], 'token:ci'),
    ...log(
      [
        {
          type: 'SpecRecorded',
          data: { resourceId: ID, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3' }, version: 1, reason: 'provisioned', sagaId, driftId: null, at: at(1) },
        },
      ],
      'token:ci',
    ),
  ];

  it('writes one row per event, keyed by stream and revision, with source, actor and saga', () => {
    // given a saga that created a droplet and recorded its spec / when folded
    const events = history();
    const rows = fold(cloudResourceEventsProjection, events);

    // then each event has its own row in the resource's log
    expect([...rows.keys()]).toEqual([`resource-${ID}@0`, `spec-${ID}@0`]);
    expect(rows.get(`resource-${ID}@0`)).toEqual({
      id: `resource-${ID}@0`,
      resourceId: ID,
      event: 'observed',
      before: null,
      after: { ...state, tags: [MANAGED_TAG] },
      source: 'saga',
      actor: 'token:ci',
      sagaId,
      driftId: null,
      correlationId: 'corr-1',
      causationId: null,
      stream: `resource-${ID}`,
      revision: '0',
      occurredAt: new Date(at(0)),
    });
    expect(rows.get(`spec-${ID}@0`)).toMatchObject({
      event: 'spec_recorded',
      after: { spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3' }, version: 1, reason: 'provisioned' },
      source: 'saga',
      sagaId,
    });
  });

  it('records a change as before/after maps of the changed fields, and a deletion', () => {
    const events = log([
      observed(0),
      changed(15, [
        { field: 'size_slug', before: 's-1vcpu-1gb', after: 's-2vcpu-2gb' },
        { field: 'tags', before: ['web'], after: [] },
      ]),
      deleted(30),
    ]);
    const rows = fold(cloudResourceEventsProjection, events);

    expect(rows.get(`resource-${ID}@1`)).toMatchObject({
      event: 'changed',
      before: { size_slug: 's-1vcpu-1gb', tags: ['web'] },
      after: { size_slug: 's-2vcpu-2gb', tags: [] },
      source: 'sync',
      actor: 'system:sync',
    });
    expect(rows.get(`resource-${ID}@2`)).toMatchObject({ event: 'deleted', before: null, after: null, occurredAt: new Date(at(30)) });
  });

  it('records drift with the expected value before and the actual after, and who resolved it', () => {
    const spec = { size_slug: 's-1vcpu-1gb' };
    const driftEvents: SpecEvent[] = [
      { type: 'SpecRecorded', data: { resourceId: ID, spec, version: 1, reason: 'recorded', sagaId: null, driftId: null, at: at(0) } },
      { type: 'DriftDetected', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', specVersion: 1, at: at(20) } },
      { type: 'SpecRecorded', data: { resourceId: ID, spec: { size_slug: 's-2vcpu-2gb' }, version: 2, reason: 'drift_accepted', sagaId: null, driftId: 'd1', at: at(25) } },
      { type: 'DriftAccepted', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', value: 's-2vcpu-2gb', specVersion: 2, at: at(25) } },
      { type: 'DriftDetected', data: { resourceId: ID, driftId: 'd2', field: 'tags', expected: ['a'], actual: [], specVersion: 2, at: at(80) } },
      { type: 'DriftRevertRequested', data: { resourceId: ID, driftId: 'd2', field: 'tags', sagaId: 's9', at: at(81) } },
      { type: 'DriftRevertFailed', data: { resourceId: ID, driftId: 'd2', field: 'tags', sagaId: 's9', reason: 'boom', at: at(82) } },
      { type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'd2', field: 'tags', actual: ['a'], reason: 'matches_again', at: at(140) } },
      { type: 'SpecRemoved', data: { resourceId: ID, reason: 'destroyed', sagaId: 's10', at: at(150) } },
    ];
    const rows = [...fold(cloudResourceEventsProjection, log(driftEvents, 'token:ops')).values()];

    expect(rows.map((r) => [r.event, r.source, r.driftId])).toEqual([
      ['spec_recorded', 'api', null],
      ['drift_detected', 'drift_detection', 'd1'],
      ['spec_recorded', 'operator', 'd1'],
      ['drift_accepted', 'operator', 'd1'],
      ['drift_detected', 'drift_detection', 'd2'],
      ['drift_revert_requested', 'operator', 'd2'],
      ['drift_revert_failed', 'saga', 'd2'],
      ['drift_closed_stale', 'drift_detection', 'd2'],
      ['spec_removed', 'saga', null],
    ]);
    expect(rows[1]).toMatchObject({ before: { field: 'size_slug', expected: 's-1vcpu-1gb' }, after: { field: 'size_slug', actual: 's-2vcpu-2gb' }, actor: 'token:ops' });
    expect(rows[3]).toMatchObject({ after: { field: 'size_slug', value: 's-2vcpu-2gb', specVersion: 2 } });
    expect(rows[6]).toMatchObject({ after: { field: 'tags', reason: 'boom' }, sagaId: 's9' });
  });

  it('writes an event it already holds only once', () => {
    const [event] = history();
    const row = cloudResourceEventsProjection.evolve(null, event!)!;
    expect(cloudResourceEventsProjection.evolve(row, event!)).toBe(row);
  });
});
