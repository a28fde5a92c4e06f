import type { SpecEvent } from '../../domain/drift/spec.decider.js';
import type { DomainEvent } from '../../domain/events/event-envelope.js';
import { toSpecStream } from '../../domain/streams.js';
import type { Projection } from '../projection.js';
import { cloudDriftProjection } from './cloud-drift.projection.js';
import { cloudProvisionedProjection } from './cloud-provisioned.projection.js';
import { driftPoliciesProjection } from './drift-policies.projection.js';

const ID = 'do:droplet:202';
const at = (minute: number): string => new Date(Date.parse('2026-11-22T10:00:00.000Z') + minute * 60_000).toISOString();
const spec = { size_slug: 's-1vcpu-1gb', region: 'nyc3', tags: ['web'] };

/** Each event with the actor who caused it, numbered in the spec stream from 0. */
function log(events: readonly (readonly [SpecEvent, string])[]): DomainEvent[] {
  return events.map(([event, actor], i) => ({
    ...event,
    metadata: { correlationId: 'corr-1', causationId: null, actor, schemaVersion: 1 },
    stream: toSpecStream(ID),
    revision: BigInt(i),
  }));
}

function fold<Row extends object>(projection: Projection<Row>, events: readonly DomainEvent[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const event of events) {
    if (!projection.eventTypes.includes(event.type)) continue;
    const key = projection.keyOf(event);
    const row = projection.evolve(rows.get(key) ?? null, event);
    if (row) rows.set(key, row);
    else rows.delete(key);
  }
  return rows;
}

const recorded = (minute: number, version = 1, s: Record<string, unknown> = spec, driftId: string | null = null): readonly [SpecEvent, string] => [
  { type: 'SpecRecorded', data: { resourceId: ID, spec: s, version, reason: driftId ? 'drift_accepted' : 'provisioned', sagaId: null, driftId, at: at(minute) } },
  driftId ? 'token:ops' : 'token:ci',
];
const detected = (minute: number, driftId = 'd1', field = 'size_slug', expected: unknown = 's-1vcpu-1gb', actual: unknown = 's-2vcpu-2gb'): readonly [SpecEvent, string] => [
  { type: 'DriftDetected', data: { resourceId: ID, driftId, field, expected, actual, specVersion: 1, at: at(minute) } },
  'system:drift',
];
const revertRequested = (minute: number, sagaId = 'rs-1'): readonly [SpecEvent, string] => [
  { type: 'DriftRevertRequested', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', sagaId, at: at(minute) } },
  'token:ops',
];

describe('the cloud-provisioned projection', () => {
  it('holds the recorded spec, its version and who recorded it', () => {
    // given a spec recorded by provisioning / when folded / then the row holds it at revision 0
    expect(fold(cloudProvisionedProjection, log([recorded(0)])).get(ID)).toEqual({
      resourceId: ID,
      spec,
      specVersion: 1,
      streamRevision: '0',
      recordedAt: new Date(at(0)),
      recordedBy: 'token:ci',
      updatedAt: new Date(at(0)),
      removedAt: null,
      openDrift: [],
    });
  });

  it('moves the stream revision on every spec-stream event, the spec only on SpecRecorded', () => {
    // given a spec, a drift on it and a revert request
    const events = log([recorded(0), detected(20), revertRequested(21)]);

    // when folded / then the spec is unchanged but the revision is the revert request's
    expect(fold(cloudProvisionedProjection, events).get(ID)).toMatchObject({
      spec,
      specVersion: 1,
      streamRevision: '2',
      recordedBy: 'token:ci',
      recordedAt: new Date(at(0)),
      updatedAt: new Date(at(21)),
    });
  });

  it('holds the drift open at its revision, as the spec decider folds it, so detection reads both from one row', () => {
    // given a spec, a drift on size_slug under revert, and a second drift on region
    const open = log([recorded(0), detected(20), revertRequested(21), detected(22, 'd2', 'region', 'nyc3', 'ams3')]);
    // when folded / then both are open, the first with its revert saga
    expect(fold(cloudProvisionedProjection, open).get(ID)).toMatchObject({
      streamRevision: '3',
      openDrift: [
        { driftId: 'd1', field: 'size_slug', expected: 's-1vcpu-1gb', actual: 's-2vcpu-2gb', revertSagaId: 'rs-1' },
        { driftId: 'd2', field: 'region', expected: 'nyc3', actual: 'ams3', revertSagaId: null },
      ],
    });

    // and when the first is reverted and the second closes stale, none is left open
    const closed = log([
      ...open.map((e) => [{ type: e.type, data: e.data } as SpecEvent, e.metadata.actor] as const),
      [{ type: 'DriftReverted', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', sagaId: 'rs-1', at: at(30) } }, 'token:ops'],
      [{ type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'd2', field: 'region', actual: 'nyc3', reason: 'matches_again', at: at(31) } }, 'system:drift'],
    ]);
    expect(fold(cloudProvisionedProjection, closed).get(ID)).toMatchObject({ streamRevision: '5', openDrift: [] });
  });

  it('takes the accepted value as the new version, recorded by the operator', () => {
    const accepted = { ...spec, size_slug: 's-2vcpu-2gb' };
    const events = log([
      recorded(0),
      detected(20),
      recorded(30, 2, accepted, 'd1'),
      [{ type: 'DriftAccepted', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', value: 's-2vcpu-2gb', specVersion: 2, at: at(30) } }, 'token:ops'],
    ]);
    expect(fold(cloudProvisionedProjection, events).get(ID)).toMatchObject({ spec: accepted, specVersion: 2, streamRevision: '3', recordedBy: 'token:ops' });
  });

  it('keeps a removed spec, marked removed, at the removal revision; a replayed event changes nothing', () => {
    const events = log([recorded(0), [{ type: 'SpecRemoved', data: { resourceId: ID, reason: 'destroyed', sagaId: 's2', at: at(60) } }, 'token:ci']]);
    const row = fold(cloudProvisionedProjection, events).get(ID)!;
    expect(row).toMatchObject({ spec, removedAt: new Date(at(60)), streamRevision: '1' });
    expect(cloudProvisionedProjection.evolve(row, events[0]!)).toBe(row);
  });
});

describe('the cloud-drift projection', () => {
  it('opens a drift with the expected and actual values and who detected it', () => {
    // given a spec / when drift is detected on size_slug
    const row = fold(cloudDriftProjection, log([recorded(0), detected(20)])).get('d1');

    // then the drift is open, keyed by its id
    expect(row).toEqual({
      id: 'd1',
      resourceId: ID,
      field: 'size_slug',
      expected: 's-1vcpu-1gb',
      actual: 's-2vcpu-2gb',
      status: 'open',
      specVersion: 1,
      detectedAt: new Date(at(20)),
      detectedBy: 'system:drift',
      resolvedAt: null,
      resolvedBy: null,
      revertSagaId: null,
      revertError: null,
      policyId: null,
      ignoredUntil: null,
    });
  });

  it('detected → revert requested → reverted: open with its saga, then reverted by the saga’s actor', () => {
    const requested = fold(cloudDriftProjection, log([detected(20), revertRequested(21)])).get('d1');
    expect(requested).toMatchObject({ status: 'open', revertSagaId: 'rs-1', resolvedAt: null });

    const reverted = fold(
      cloudDriftProjection,
      log([detected(20), revertRequested(21), [{ type: 'DriftReverted', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', sagaId: 'rs-1', at: at(25) } }, 'token:ops']]),
    ).get('d1');
    expect(reverted).toMatchObject({ status: 'reverted', revertSagaId: 'rs-1', resolvedAt: new Date(at(25)), resolvedBy: 'token:ops' });
  });

  it('detected → accepted', () => {
    const row = fold(
      cloudDriftProjection,
      log([detected(20), [{ type: 'DriftAccepted', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', value: 's-2vcpu-2gb', specVersion: 2, at: at(30) } }, 'token:ops']]),
    ).get('d1');
    expect(row).toMatchObject({ status: 'accepted', resolvedAt: new Date(at(30)), resolvedBy: 'token:ops', actual: 's-2vcpu-2gb' });
  });

  it('detected → ignored under a policy → open again when it ends; the policy stays named', () => {
    const ignored: readonly [SpecEvent, string] = [{ type: 'DriftIgnored', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', policyId: 'pol-1', until: at(60), at: at(21) } }, 'system:drift'];
    const reopened: readonly [SpecEvent, string] = [
      { type: 'DriftReopened', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', policyId: 'pol-1', reason: 'policy_expired', at: at(61) } },
      'system:drift',
    ];
    expect(fold(cloudDriftProjection, log([detected(20), ignored])).get('d1')).toMatchObject({ status: 'ignored', policyId: 'pol-1', ignoredUntil: new Date(at(60)), resolvedAt: null });
    expect(fold(cloudDriftProjection, log([detected(20), ignored, reopened])).get('d1')).toMatchObject({ status: 'open', policyId: 'pol-1', ignoredUntil: null });
  });

  it('detected → closed because the resource was deleted (outside, or destroyed with its spec): resource_deleted', () => {
    for (const reason of ['resource_deleted', 'resource_gone'] as const) {
      const row = fold(
        cloudDriftProjection,
        log([detected(20), [{ type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', actual: null, reason, at: at(80) } }, 'system:sync']]),
      ).get('d1');
      expect(row).toMatchObject({ status: 'resource_deleted', resolvedAt: new Date(at(80)), resolvedBy: 'system:sync' });
    }
  });

  it('detected → stale, closed by detection', () => {
    const row = fold(
      cloudDriftProjection,
      log([detected(20), [{ type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', actual: 's-1vcpu-1gb', reason: 'matches_again', at: at(80) } }, 'system:drift']]),
    ).get('d1');
    expect(row).toMatchObject({ status: 'stale', resolvedAt: new Date(at(80)), resolvedBy: 'system:drift' });
  });

  it('a failed revert keeps the drift open, without a saga and with the reason; a later revert can close it', () => {
    const failed: readonly [SpecEvent, string] = [
      { type: 'DriftRevertFailed', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', sagaId: 'rs-1', reason: 'resize refused', at: at(23) } },
      'token:ops',
    ];
    const afterFailure = fold(cloudDriftProjection, log([detected(20), revertRequested(21), failed])).get('d1');
    expect(afterFailure).toMatchObject({ status: 'open', revertSagaId: null, revertError: 'resize refused', resolvedAt: null });

    const retried = fold(cloudDriftProjection, log([detected(20), revertRequested(21), failed, revertRequested(40, 'rs-2')])).get('d1');
    expect(retried).toMatchObject({ status: 'open', revertSagaId: 'rs-2', revertError: null });
  });

  it('a closed drift stays closed: a late event for it changes nothing', () => {
    const events = log([
      detected(20),
      [{ type: 'DriftClosedStale', data: { resourceId: ID, driftId: 'd1', field: 'size_slug', actual: 's-1vcpu-1gb', reason: 'matches_again', at: at(80) } }, 'system:drift'],
      revertRequested(81),
    ]);
    expect(fold(cloudDriftProjection, events).get('d1')).toMatchObject({ status: 'stale', revertSagaId: null });
  });

  it('keeps scalars, lists and objects as the detector saw them, and a missing value as null', () => {
    const rows = fold(
      cloudDriftProjection,
      log([detected(20, 'd-list', 'tags', ['web', 'db'], ['web']), detected(20, 'd-obj', 'meta', { a: 1 }, null), detected(20, 'd-num', 'vcpus', 2, '2 ')]),
    );
    expect([...rows.values()].map((r) => [r.expected, r.actual])).toEqual([
      [['web', 'db'], ['web']],
      [{ a: 1 }, null],
      [2, '2 '],
    ]);
  });
});

describe('the drift-policies projection', () => {
  const created: DomainEvent = {
    type: 'DriftPolicyCreated',
    data: { policyId: 'pol-1', resource: 'web-*', field: 'tags:pool-*', owner: 'platform', reason: 'autoscaler', expiresAt: at(600), at: at(0) },
    metadata: { correlationId: 'c', causationId: null, actor: 'alice', schemaVersion: 1 },
    stream: 'policy-pol-1',
    revision: 0n,
  };
  const ended: DomainEvent = { ...created, type: 'DriftPolicyEnded', data: { policyId: 'pol-1', at: at(30) }, metadata: { ...created.metadata, actor: 'bob' }, revision: 1n };

  it('holds each policy with who made it, and who ended it', () => {
    expect(fold(driftPoliciesProjection, [created]).get('pol-1')).toEqual({
      policyId: 'pol-1',
      resource: 'web-*',
      field: 'tags:pool-*',
      owner: 'platform',
      reason: 'autoscaler',
      expiresAt: new Date(at(600)),
      createdAt: new Date(at(0)),
      createdBy: 'alice',
      endedAt: null,
      endedBy: null,
    });
    expect(fold(driftPoliciesProjection, [created, ended, { ...ended, revision: 2n, metadata: { ...ended.metadata, actor: 'carol' } }]).get('pol-1')).toMatchObject({ endedAt: new Date(at(30)), endedBy: 'bob' });
  });
});
