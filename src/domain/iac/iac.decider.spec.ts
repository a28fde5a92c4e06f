import { deciderSpecification } from '../../../test/support/decider-specification.js';
import { type IacLock, type LockCaller, withoutLockId } from './iac-lock.js';
import type { IacStateRecord, IacStateRecordInput } from './iac-state.js';
import { LockHeld, LockIdMismatch, LockNotFound, StateNotFound } from './iac-state-store.port.js';
import { type IacCommand, iacDecider, recordOf } from './iac.decider.js';
import type { IacEvent } from './iac.events.js';

const ID = 'do:droplet:572017320';
const T0 = new Date('2026-11-22T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();

const input = (overrides: Partial<IacStateRecordInput> = {}): IacStateRecordInput => ({
  resource_id: ID,
  resource_type: 'droplet',
  provider: 'digitalocean',
  status: 'active',
  outputs: { ipv4: '203.0.113.10' },
  config: { size: 's-1vcpu-1gb' },
  ...overrides,
});

const stored = (overrides: Partial<IacStateRecord> = {}): IacStateRecord => ({
  ...input(),
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
  ...overrides,
});

/** A lock taken at T0 for 60 s by pipeline-42. */
const lock = (overrides: Partial<IacLock> = {}): IacLock => ({
  lockId: 'lock-1',
  resourceId: ID,
  owner: 'pipeline-42',
  operation: 'apply',
  info: '',
  who: 'token:ci',
  acquiredAt: iso(0),
  expiresAt: iso(60),
  ttlSeconds: 60,
  ...overrides,
});

/** The events of a record saved on 2026-11-01, of a lock taken, of a deletion. */
const saved = (): IacEvent => ({ type: 'StateSaved', data: { resourceId: ID, record: stored(), lockId: null, savedAt: stored().updated_at } });
const locked = (l: IacLock = lock()): IacEvent => ({ type: 'LockAcquired', data: l });
const deleted = (): IacEvent => ({ type: 'StateDeleted', data: { resourceId: ID, lockId: null, deletedAt: iso(0) } });
/** A saved record, or none, and the lock given on it. */
const present = (l: IacLock | null = null): IacEvent[] => [saved(), ...(l ? [locked(l)] : [])];
const absent = (l: IacLock | null = null): IacEvent[] => (l ? [locked(l)] : []);

/** The principal that took lock() (by name: the lock records no id), and another one. */
const CI: LockCaller = { who: 'token:ci', whoId: null };
const OPS: LockCaller = { who: 'token:ops', whoId: null };

const save = (lockId: string | null = null, record = input(), caller = CI): IacCommand => ({ type: 'SaveState', data: { record, lockId, caller } });
const del = (lockId: string | null = null, caller = CI): IacCommand => ({ type: 'DeleteState', data: { resourceId: ID, lockId, caller } });
const acquire = (lockId = 'lock-2', ttlSeconds = 60, caller = OPS): IacCommand => ({
  type: 'AcquireLock',
  data: { resourceId: ID, lockId, owner: 'laptop-7', operation: 'plan', info: 'terraform 1.9', caller, ttlSeconds },
});
const renew = (lockId: string, ttlSeconds: number | null = null, caller = CI): IacCommand => ({ type: 'RenewLock', data: { resourceId: ID, lockId, ttlSeconds, caller } });
const release = (lockId: string, caller = CI): IacCommand => ({ type: 'ReleaseLock', data: { resourceId: ID, lockId, caller } });
const force = (lockId: string): IacCommand => ({ type: 'ForceReleaseLock', data: { resourceId: ID, lockId } });

const spec = deciderSpecification(iacDecider);
const types = (events: readonly IacEvent[]): string[] => events.map((e) => e.type);

describe('the IaC record decider', () => {
  describe('SaveState', () => {
    it('saves a new record, stamping both timestamps with now', () => {
      // given no record
      // when one is saved without timestamps
      // then StateSaved carries the record with created_at = updated_at = now
      spec
        .given()
        .when(save(), at(5))
        .then([{ type: 'StateSaved', data: { resourceId: ID, record: { ...input(), created_at: iso(5), updated_at: iso(5) }, lockId: null, savedAt: iso(5) } }]);
    });

    it('replaces a record, keeping its created_at and moving updated_at', () => {
      // given a saved record
      // when it is saved again with a new status and no timestamps
      // then created_at survives and updated_at is now
      spec
        .given(present())
        .when(save(null, input({ status: 'destroying' })), at(5))
        .thenMatches([{ type: 'StateSaved', data: { record: { status: 'destroying', created_at: '2026-11-01T00:00:00.000Z', updated_at: iso(5) } } }]);
    });

    it('keeps timestamps the client sent, so a record round-trips', () => {
      // given a record from a tool that sets its own timestamps
      const sent = input({ created_at: '2026-01-02T03:04:05Z', updated_at: '2026-01-03T03:04:05+02:00' });

      // when it is saved
      // then they are stored as sent
      spec
        .given(present())
        .when(save(null, sent), at(5))
        .thenMatches([{ data: { record: { created_at: '2026-01-02T03:04:05Z', updated_at: '2026-01-03T03:04:05+02:00' } } }]);
    });

    it('saves under the live lock when given its id', () => {
      // given a record locked with lock-1
      // when the holder saves with lock-1
      // then the save is recorded with the lock id
      spec
        .given(present(lock()))
        .when(save('lock-1'), at(10))
        .then([expect.objectContaining({ type: 'StateSaved', data: expect.objectContaining({ lockId: 'lock-1' }) })]);
    });

    it('refuses a save without a lock id while someone holds the lock: LockHeld with the lock', () => {
      // given a record locked by pipeline-42
      // when someone saves without a lock id
      // then LockHeld tells whose lock it is and until when, but not its id
      const error = spec
        .given(present(lock()))
        .when(save(), at(10))
        .thenThrows(LockHeld, { owner: 'pipeline-42', operation: 'apply', who: 'token:ci', expiresAt: iso(60) });
      expect(error).not.toHaveProperty('lockId');
      expect(error.details.lock).not.toHaveProperty('lockId');
      expect(error.message).not.toContain('lock-1');
    });

    it('refuses a save under the right lock id from another principal: LockHeld', () => {
      // given a record locked by token:ci with lock-1
      // when token:ops saves naming lock-1
      // then the lock is someone else's, whatever id was named
      spec.given(present(lock())).when(save('lock-1', input(), OPS), at(10)).thenThrows(LockHeld);
    });

    it("refuses a save under someone else's lock id: LockIdMismatch", () => {
      // given a record locked with lock-1
      // when someone saves claiming lock-x
      // then the mismatch is named
      spec.given(present(lock())).when(save('lock-x'), at(10)).thenThrows(LockIdMismatch, { resourceId: ID, lockId: 'lock-x', heldLockId: 'lock-1' });
    });

    it('refuses a save naming a lock when none is held: LockNotFound', () => {
      // given an unlocked record
      // when someone saves claiming lock-1
      // then the lock is not found
      spec.given(present()).when(save('lock-1'), at(10)).thenThrows(LockNotFound);
    });

    it('refuses a save under the holder’s own lock once it has expired', () => {
      // given lock-1 expired at +60 s
      // when its former holder saves with it at +60 s (expiry is inclusive)
      // then the lock is gone
      spec.given(present(lock())).when(save('lock-1'), at(60)).thenThrows(LockNotFound);
    });

    it('lets an unlocked save through an expired lock, recording the expiry in the same append', () => {
      // given lock-1 expired at +60 s
      // when someone saves without a lock id at +61 s
      // then LockExpired comes first, then StateSaved
      spec
        .given(present(lock()))
        .when(save(), at(61))
        .then((events) => {
          expect(types(events)).toEqual(['LockExpired', 'StateSaved']);
          expect(events[0]).toEqual({
            type: 'LockExpired',
            data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', expiresAt: iso(60), noticedAt: iso(61) },
          });
        });
    });
  });

  describe('DeleteState', () => {
    it('deletes a saved record', () => {
      // given a saved record
      // when it is deleted
      // then StateDeleted is recorded
      spec
        .given(present())
        .when(del(), at(1))
        .then([{ type: 'StateDeleted', data: { resourceId: ID, lockId: null, deletedAt: iso(1) } }]);
    });

    it.each([
      ['never saved', absent()],
      ['already deleted', [saved(), deleted()]],
    ])('refuses to delete a record %s: StateNotFound', (_label, events) => {
      // given no current record
      // when it is deleted
      // then it is not found
      spec.given(events).when(del(), at(1)).thenThrows(StateNotFound);
    });

    it('deletes under the live lock with its id, and refuses without it or with another', () => {
      // given a record locked with lock-1
      const given = spec.given(present(lock()));

      // when the holder, a stranger and an impostor delete it
      // then only the holder succeeds
      given.when(del('lock-1'), at(1)).then([expect.objectContaining({ type: 'StateDeleted' })]);
      given.when(del(), at(1)).thenThrows(LockHeld);
      given.when(del('lock-x'), at(1)).thenThrows(LockIdMismatch);
    });

    it('checks the lock before the record: a locked, missing record is LockHeld to a stranger', () => {
      // given a lock on a record never saved
      // when a stranger deletes it
      // then the lock answers first
      spec.given(absent(lock())).when(del(), at(1)).thenThrows(LockHeld);
    });
  });

  describe('AcquireLock', () => {
    it('locks a free record, even one never saved, with an expiry of now + ttl', () => {
      // given no record and no lock
      // when laptop-7 locks it for 60 s
      // then LockAcquired carries the whole lock
      spec
        .given()
        .when(acquire('lock-2', 60), at(3))
        .then([
          {
            type: 'LockAcquired',
            data: {
              lockId: 'lock-2',
              resourceId: ID,
              owner: 'laptop-7',
              operation: 'plan',
              info: 'terraform 1.9',
              who: 'token:ops',
              acquiredAt: iso(3),
              expiresAt: iso(63),
              ttlSeconds: 60,
            },
          },
        ]);
    });

    it('refuses while a live lock is held: LockHeld', () => {
      // given lock-1, live until +60 s
      // when laptop-7 asks at +59 s
      // then pipeline-42 still holds it
      const error = spec.given(present(lock())).when(acquire(), at(59)).thenThrows(LockHeld);
      expect(error.details.lock).toEqual(withoutLockId(lock()));
    });

    it('treats a retried acquire of the caller’s own live lock (same id and owner) as done', () => {
      // given lock-2 held by laptop-7
      const given = spec.givenCommands([save(), at(0)], [acquire('lock-2'), at(0)]);

      // when laptop-7 sends the same request again, and pipeline-42 tries the same lock id
      // then the retry decides nothing, and the other owner and the other principal are refused
      given.when(acquire('lock-2'), at(1)).thenNothing();
      given.when({ ...acquire('lock-2'), data: { ...acquire('lock-2').data, owner: 'pipeline-42' } } as IacCommand, at(1)).thenThrows(LockHeld);
      given.when(acquire('lock-2', 60, CI), at(1)).thenThrows(LockHeld);
    });

    it('takes over an expired lock: LockExpired then LockAcquired, in one decision', () => {
      // given lock-1, expired at +60 s
      // when laptop-7 asks at +60 s
      // then the old lock expires and the new one is taken
      const after = spec
        .given(present(lock()))
        .when(acquire('lock-2'), at(60))
        .then((events) =>
          expect(events.map((e) => [e.type, (e.data as { lockId: string }).lockId])).toEqual([
            ['LockExpired', 'lock-1'],
            ['LockAcquired', 'lock-2'],
          ]),
        );
      expect(after.state.lock).toMatchObject({ lockId: 'lock-2', owner: 'laptop-7', expiresAt: iso(120) });
    });
  });

  describe('RenewLock', () => {
    it('extends the holder’s lock from now, by its own ttl when none is given', () => {
      // given lock-1 (ttl 60 s)
      // when the holder renews at +50 s
      // then it now expires at +110 s
      const after = spec
        .given(present(lock()))
        .when(renew('lock-1'), at(50))
        .then([{ type: 'LockRenewed', data: { resourceId: ID, lockId: 'lock-1', renewedAt: iso(50), expiresAt: iso(110), ttlSeconds: 60 } }]);
      expect(after.state.lock).toMatchObject({ lockId: 'lock-1', expiresAt: iso(110), acquiredAt: iso(0) });
    });

    it('renews by a new ttl, which later renewals keep', () => {
      // given lock-1 renewed for 300 s at +10 s
      const given = spec.given(present(lock())).when(renew('lock-1', 300), at(10)).thenMatches([{ type: 'LockRenewed', data: { ttlSeconds: 300 } }]);

      // when it is renewed again without a ttl at +20 s
      // then the 300 s lifetime holds
      given.when(renew('lock-1'), at(20)).thenMatches([{ data: { expiresAt: iso(320), ttlSeconds: 300 } }]);
    });

    it('renews for the holder only: another id is LockIdMismatch', () => {
      // given lock-1
      // when lock-x renews it
      // then it is refused
      spec.given(present(lock())).when(renew('lock-x'), at(10)).thenThrows(LockIdMismatch);
    });

    it.each([
      ['no lock', present()],
      ['an expired lock', present(lock({ expiresAt: iso(5) }))],
    ])('refuses to renew %s: LockNotFound', (_label, events) => {
      // given no live lock
      // when lock-1 is renewed at +10 s
      // then there is nothing to renew
      spec.given(events).when(renew('lock-1'), at(10)).thenThrows(LockNotFound);
    });
  });

  describe('ReleaseLock', () => {
    it('releases the holder’s live lock', () => {
      // given lock-1
      // when the holder releases it
      // then the record is unlocked
      const after = spec
        .given(present(lock()))
        .when(release('lock-1'), at(10))
        .then([{ type: 'LockReleased', data: { resourceId: ID, lockId: 'lock-1', releasedAt: iso(10) } }]);
      expect(after.state.lock).toBeNull();
    });

    it('belongs to the principal that took it: its id from anyone else is LockHeld, for renew, release and delete', () => {
      // given lock-1, taken by token:ci
      const given = spec.given(present(lock()));

      // when token:ops, who learnt the id, renews, releases or deletes under it
      // then each is refused as held by someone else
      given.when(release('lock-1', OPS), at(10)).thenThrows(LockHeld);
      given.when(renew('lock-1', null, OPS), at(10)).thenThrows(LockHeld);
      given.when(del('lock-1', OPS), at(10)).thenThrows(LockHeld);
    });

    it('goes by the principal id when the lock records one: a reused name is not the holder, a renamed token is', () => {
      // given lock-1 taken by token id tok-1 named token:ci
      const given = spec.givenCommands([save(), at(0)], [acquire('lock-1', 60, { who: 'token:ci', whoId: 'tok-1' }), at(0)]);
      expect(given.state.lock).toMatchObject({ who: 'token:ci', whoId: 'tok-1' });

      // when a newer token that reuses the name releases it, and then the holder does
      // then the impostor is refused and the holder is not
      given.when(release('lock-1', { who: 'token:ci', whoId: 'tok-2' }), at(10)).thenThrows(LockHeld);
      given.when(release('lock-1', { who: 'token:ci', whoId: 'tok-1' }), at(10)).then((events) => expect(events).toHaveLength(1));
    });

    it('refuses another id (LockIdMismatch), no lock and an expired lock (LockNotFound)', () => {
      // given lock-1 live until +60 s
      // when released with a wrong id, with no lock held, and after expiry
      // then each is refused with its reason
      spec.given(present(lock())).when(release('lock-x'), at(10)).thenThrows(LockIdMismatch);
      spec.given(present()).when(release('lock-1'), at(10)).thenThrows(LockNotFound);
      spec.given(present(lock())).when(release('lock-1'), at(61)).thenThrows(LockNotFound);
    });
  });

  describe('ForceReleaseLock', () => {
    it.each([
      ['live', 10],
      ['expired', 100],
    ])('removes a %s lock named by its id, recording whose it was', (_label, seconds) => {
      // given lock-1 held by pipeline-42
      // when an operator force-releases lock-1
      // then the lock is gone and the event names its owner
      const after = spec
        .given(present(lock()))
        .when(force('lock-1'), at(seconds))
        .then([{ type: 'LockForceReleased', data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', releasedAt: iso(seconds) } }]);
      expect(after.state.lock).toBeNull();
    });

    it('refuses a lock id other than the one held (the operator looked at an older lock)', () => {
      // given lock-1
      // when an operator force-releases lock-0
      // then it is refused
      spec.given(present(lock())).when(force('lock-0'), at(10)).thenThrows(LockIdMismatch);
    });

    it('refuses when there is no lock: LockNotFound', () => {
      // given no lock
      // when an operator force-releases lock-1
      // then there is nothing to release
      spec.given(present()).when(force('lock-1'), at(10)).thenThrows(LockNotFound);
    });
  });

  describe('evolve', () => {
    it('folds a whole life: save, lock, renew, save under the lock, release, delete, save again', () => {
      // given a history of decisions, each on the state the ones before it left
      const given = spec.givenCommands(
        [save(), at(0)],
        [acquire('lock-2', 60, OPS), at(1)],
        [renew('lock-2', null, OPS), at(30)],
        [save('lock-2', input({ status: 'destroying' }), OPS), at(40)],
        [release('lock-2', OPS), at(50)],
        [del(), at(60)],
      );

      // when the record is saved again
      const after = given.when(save(null, input({ status: 'planned' })), at(70)).then((events) => expect(types(events)).toEqual(['StateSaved']));

      // then the log tells the story and the state is the last save, created afresh after the delete
      expect(types(after.events)).toEqual(['StateSaved', 'LockAcquired', 'LockRenewed', 'StateSaved', 'LockReleased', 'StateDeleted', 'StateSaved']);
      expect(after.state.lock).toBeNull();
      expect(recordOf(after.state)).toMatchObject({ status: 'planned', created_at: iso(70), updated_at: iso(70) });
      // and folding the decision onto the state so far is folding the whole log
      expect(given.when(save(null, input({ status: 'planned' })), at(70)).thenState()).toEqual(after.state);
    });

    it('reads a deleted record as absent but keeps its lock', () => {
      // given a locked record
      // when it is deleted by the holder
      const { state } = spec.given([...present(lock()), { type: 'StateDeleted', data: { resourceId: ID, lockId: 'lock-1', deletedAt: iso(1) } }]);

      // then there is no record and the lock stands
      expect(recordOf(state)).toBeNull();
      expect(state).toEqual({ status: 'deleted', lock: lock() });
    });
  });
});
