import type { DomainEvent } from '../../domain/events/event-envelope.js';
import type { IacEvent } from '../../domain/iac/iac.events.js';
import { iacLocksProjection } from './iac-locks.projection.js';
import { iacStatesProjection } from './iac-states.projection.js';

const ID = 'do:droplet:1';
const record = {
  resource_id: ID,
  resource_type: 'droplet',
  provider: 'digitalocean',
  status: 'active' as const,
  outputs: {},
  config: { size: 's-1vcpu-1gb' },
  created_at: '2026-11-22T10:00:00.000Z',
  updated_at: '2026-11-22T10:00:00.000Z',
};
const lock = {
  lockId: 'lock-1',
  resourceId: ID,
  owner: 'pipeline-42',
  operation: 'apply',
  info: '',
  who: 'token:ci',
  acquiredAt: '2026-11-22T10:00:00.000Z',
  expiresAt: '2026-11-22T10:15:00.000Z',
  ttlSeconds: 900,
};

let revision = 0n;
const domainEvent = (event: IacEvent, actor = 'token:ci'): DomainEvent => ({
  ...event,
  metadata: { correlationId: 'req-1', causationId: null, actor, schemaVersion: 1 },
  stream: `iac-${ID}`,
  revision: revision++,
});

function fold<Row>(projection: { evolve(row: Row | null, e: DomainEvent): Row | null }, events: DomainEvent[]): Row | null {
  return events.reduce<Row | null>((row, event) => projection.evolve(row, event), null);
}

describe('the iac-states projection', () => {
  it('keeps the last saved record with its filter columns and who saved it', () => {
    // given two saves by different actors
    const events = [
      domainEvent({ type: 'StateSaved', data: { resourceId: ID, record, lockId: null, savedAt: record.updated_at } }),
      domainEvent(
        { type: 'StateSaved', data: { resourceId: ID, record: { ...record, status: 'error' }, lockId: 'lock-1', savedAt: '2026-11-22T11:00:00.000Z' } },
        'token:ops',
      ),
    ];

    // when they are folded
    const row = fold(iacStatesProjection, events);

    // then the row is the second record
    expect(iacStatesProjection.keyOf(events[0]!)).toBe(ID);
    expect(row).toEqual({
      resourceId: ID,
      resourceType: 'droplet',
      provider: 'digitalocean',
      status: 'error',
      record: { ...record, status: 'error' },
      savedAt: new Date('2026-11-22T11:00:00.000Z'),
      savedBy: 'token:ops',
    });
  });

  it('removes the row when the record is deleted', () => {
    // given a saved record
    const saved = fold(iacStatesProjection, [domainEvent({ type: 'StateSaved', data: { resourceId: ID, record, lockId: null, savedAt: record.updated_at } })]);

    // when it is deleted
    const row = iacStatesProjection.evolve(saved, domainEvent({ type: 'StateDeleted', data: { resourceId: ID, lockId: null, deletedAt: record.updated_at } }));

    // then the row goes
    expect(row).toBeNull();
  });
});

describe('the iac-locks projection', () => {
  it('records a lock, moves its expiry on renewal', () => {
    // given a lock taken and renewed
    const events = [
      domainEvent({ type: 'LockAcquired', data: lock }),
      domainEvent({
        type: 'LockRenewed',
        data: { resourceId: ID, lockId: 'lock-1', renewedAt: '2026-11-22T10:10:00.000Z', expiresAt: '2026-11-22T11:10:00.000Z', ttlSeconds: 3600 },
      }),
    ];

    // when they are folded
    const row = fold(iacLocksProjection, events);

    // then the row holds the lock with the renewed expiry
    expect(row).toEqual({
      ...lock,
      whoId: null,
      acquiredAt: new Date(lock.acquiredAt),
      expiresAt: new Date('2026-11-22T11:10:00.000Z'),
      ttlSeconds: 3600,
    });
  });

  it('keeps the id of the principal that took the lock', () => {
    // given a lock taken by token id tok-1
    // when it is folded
    const row = fold(iacLocksProjection, [domainEvent({ type: 'LockAcquired', data: { ...lock, whoId: 'tok-1' } })]);

    // then the row names the principal by id, beside its name
    expect(row).toMatchObject({ who: lock.who, whoId: 'tok-1' });
  });

  it.each([
    ['released', { type: 'LockReleased', data: { resourceId: ID, lockId: 'lock-1', releasedAt: lock.expiresAt } }],
    ['force-released', { type: 'LockForceReleased', data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', releasedAt: lock.expiresAt } }],
    ['expired', { type: 'LockExpired', data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', expiresAt: lock.expiresAt, noticedAt: lock.expiresAt } }],
  ] as [string, IacEvent][])('removes the row when the lock is %s', (_label, ending) => {
    // given a held lock
    const held = fold(iacLocksProjection, [domainEvent({ type: 'LockAcquired', data: lock })]);

    // when it ends
    // then the row goes
    expect(iacLocksProjection.evolve(held, domainEvent(ending))).toBeNull();
  });

  it('replaces an expired lock with the one that took it over', () => {
    // given lock-1, then a takeover: LockExpired and LockAcquired in one append
    const events = [
      domainEvent({ type: 'LockAcquired', data: lock }),
      domainEvent({ type: 'LockExpired', data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', expiresAt: lock.expiresAt, noticedAt: lock.expiresAt } }),
      domainEvent({ type: 'LockAcquired', data: { ...lock, lockId: 'lock-2', owner: 'laptop-7' } }),
    ];

    // when they are folded
    // then lock-2 stands
    expect(fold(iacLocksProjection, events)).toMatchObject({ lockId: 'lock-2', owner: 'laptop-7' });
  });
});
