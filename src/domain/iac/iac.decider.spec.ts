import { type IacLock, type LockCaller, withoutLockId } from './iac-lock.js';
import type { IacStateRecord, IacStateRecordInput } from './iac-state.js';
import { LockHeld, LockIdMismatch, LockNotFound, StateNotFound } from './iac-state-store.port.js';
import { fold as foldWith } from '../decider.js';
import { type IacCommand, iacDecider, type IacRecordState, recordOf } from './iac.decider.js';

const decide = iacDecider.decide;
const evolve = iacDecider.evolve;
const initialState = iacDecider.initialState;
const fold = (events: Iterable<IacEvent>, from?: IacRecordState): IacRecordState => foldWith(iacDecider, events, from);
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

const present = (l: IacLock | null = null): IacRecordState => ({ status: 'present', record: stored(), lock: l });
const absent = (l: IacLock | null = null): IacRecordState => ({ status: 'absent', lock: l });

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

function refusal(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected decide to refuse');
}

describe('the IaC record decider', () => {
  describe('SaveState', () => {
    it('saves a new record, stamping both timestamps with now', () => {
      // given no record
      // when one is saved without timestamps
      const events = decide(save(), initialState(), at(5));

      // then StateSaved carries the record with created_at = updated_at = now
      expect(events).toEqual([
        { type: 'StateSaved', data: { resourceId: ID, record: { ...input(), created_at: iso(5), updated_at: iso(5) }, lockId: null, savedAt: iso(5) } },
      ]);
    });

    it('replaces a record, keeping its created_at and moving updated_at', () => {
      // given a saved record
      // when it is saved again with a new status and no timestamps
      const [event] = decide(save(null, input({ status: 'destroying' })), present(), at(5));

      // then created_at survives and updated_at is now
      expect(event).toMatchObject({
        type: 'StateSaved',
        data: { record: { status: 'destroying', created_at: '2026-11-01T00:00:00.000Z', updated_at: iso(5) } },
      });
    });

    it('keeps timestamps the client sent, so a record round-trips', () => {
      // given a record from a tool that sets its own timestamps
      const sent = input({ created_at: '2026-01-02T03:04:05Z', updated_at: '2026-01-03T03:04:05+02:00' });

      // when it is saved
      const [event] = decide(save(null, sent), present(), at(5));

      // then they are stored as sent
      expect(event).toMatchObject({ data: { record: { created_at: '2026-01-02T03:04:05Z', updated_at: '2026-01-03T03:04:05+02:00' } } });
    });

    it('saves under the live lock when given its id', () => {
      // given a record locked with lock-1
      // when the holder saves with lock-1
      const events = decide(save('lock-1'), present(lock()), at(10));

      // then the save is recorded with the lock id
      expect(events).toEqual([expect.objectContaining({ type: 'StateSaved', data: expect.objectContaining({ lockId: 'lock-1' }) })]);
    });

    it('refuses a save without a lock id while someone holds the lock: LockHeld with the lock', () => {
      // given a record locked by pipeline-42
      // when someone saves without a lock id
      const error = refusal(() => decide(save(), present(lock()), at(10)));

      // then LockHeld tells whose lock it is and until when, but not its id
      expect(error).toBeInstanceOf(LockHeld);
      expect(error).toMatchObject({ owner: 'pipeline-42', operation: 'apply', who: 'token:ci', expiresAt: iso(60) });
      expect(error).not.toHaveProperty('lockId');
      expect((error as LockHeld).details.lock).not.toHaveProperty('lockId');
      expect((error as LockHeld).message).not.toContain('lock-1');
    });

    it('refuses a save under the right lock id from another principal: LockHeld', () => {
      // given a record locked by token:ci with lock-1
      // when token:ops saves naming lock-1
      const error = refusal(() => decide(save('lock-1', input(), OPS), present(lock()), at(10)));

      // then the lock is someone else's, whatever id was named
      expect(error).toBeInstanceOf(LockHeld);
    });

    it("refuses a save under someone else's lock id: LockIdMismatch", () => {
      // given a record locked with lock-1
      // when someone saves claiming lock-x
      const error = refusal(() => decide(save('lock-x'), present(lock()), at(10)));

      // then the mismatch is named
      expect(error).toBeInstanceOf(LockIdMismatch);
      expect(error).toMatchObject({ resourceId: ID, lockId: 'lock-x', heldLockId: 'lock-1' });
    });

    it('refuses a save naming a lock when none is held: LockNotFound', () => {
      // given an unlocked record
      // when someone saves claiming lock-1
      // then the lock is not found
      expect(refusal(() => decide(save('lock-1'), present(), at(10)))).toBeInstanceOf(LockNotFound);
    });

    it('refuses a save under the holder’s own lock once it has expired', () => {
      // given lock-1 expired at +60 s
      // when its former holder saves with it at +60 s (expiry is inclusive)
      // then the lock is gone
      expect(refusal(() => decide(save('lock-1'), present(lock()), at(60)))).toBeInstanceOf(LockNotFound);
    });

    it('lets an unlocked save through an expired lock, recording the expiry in the same append', () => {
      // given lock-1 expired at +60 s
      // when someone saves without a lock id at +61 s
      const events = decide(save(), present(lock()), at(61));

      // then LockExpired comes first, then StateSaved
      expect(events.map((e) => e.type)).toEqual(['LockExpired', 'StateSaved']);
      expect(events[0]).toEqual({
        type: 'LockExpired',
        data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', expiresAt: iso(60), noticedAt: iso(61) },
      });
    });
  });

  describe('DeleteState', () => {
    it('deletes a saved record', () => {
      // given a saved record
      // when it is deleted
      // then StateDeleted is recorded
      expect(decide(del(), present(), at(1))).toEqual([{ type: 'StateDeleted', data: { resourceId: ID, lockId: null, deletedAt: iso(1) } }]);
    });

    it.each([
      ['never saved', absent()],
      ['already deleted', { status: 'deleted', lock: null } as IacRecordState],
    ])('refuses to delete a record %s: StateNotFound', (_label, state) => {
      // given no current record
      // when it is deleted
      // then it is not found
      expect(refusal(() => decide(del(), state, at(1)))).toBeInstanceOf(StateNotFound);
    });

    it('deletes under the live lock with its id, and refuses without it or with another', () => {
      // given a record locked with lock-1
      const state = present(lock());

      // when the holder, a stranger and an impostor delete it
      // then only the holder succeeds
      expect(decide(del('lock-1'), state, at(1))).toEqual([expect.objectContaining({ type: 'StateDeleted' })]);
      expect(refusal(() => decide(del(), state, at(1)))).toBeInstanceOf(LockHeld);
      expect(refusal(() => decide(del('lock-x'), state, at(1)))).toBeInstanceOf(LockIdMismatch);
    });

    it('checks the lock before the record: a locked, missing record is LockHeld to a stranger', () => {
      // given a lock on a record never saved
      // when a stranger deletes it
      // then the lock answers first
      expect(refusal(() => decide(del(), absent(lock()), at(1)))).toBeInstanceOf(LockHeld);
    });
  });

  describe('AcquireLock', () => {
    it('locks a free record, even one never saved, with an expiry of now + ttl', () => {
      // given no record and no lock
      // when laptop-7 locks it for 60 s
      const events = decide(acquire('lock-2', 60), initialState(), at(3));

      // then LockAcquired carries the whole lock
      expect(events).toEqual([
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
      const error = refusal(() => decide(acquire(), present(lock()), at(59)));

      // then pipeline-42 still holds it
      expect(error).toBeInstanceOf(LockHeld);
      expect((error as LockHeld).details.lock).toEqual(withoutLockId(lock()));
    });

    it('treats a retried acquire of the caller’s own live lock (same id and owner) as done', () => {
      // given lock-2 held by laptop-7
      const state = fold(decide(acquire('lock-2'), present(), at(0)), present());

      // when laptop-7 sends the same request again, and pipeline-42 tries the same lock id
      const again = decide(acquire('lock-2'), state, at(1));
      const impostor = refusal(() => decide({ ...acquire('lock-2'), data: { ...acquire('lock-2').data, owner: 'pipeline-42' } } as IacCommand, state, at(1)));
      const otherPrincipal = refusal(() => decide(acquire('lock-2', 60, CI), state, at(1)));

      // then the retry decides nothing, and the other owner and the other principal are refused
      expect(again).toEqual([]);
      expect(impostor).toBeInstanceOf(LockHeld);
      expect(otherPrincipal).toBeInstanceOf(LockHeld);
    });

    it('takes over an expired lock: LockExpired then LockAcquired, in one decision', () => {
      // given lock-1, expired at +60 s
      // when laptop-7 asks at +60 s
      const events = decide(acquire('lock-2'), present(lock()), at(60));

      // then the old lock expires and the new one is taken
      expect(events.map((e) => [e.type, (e.data as { lockId: string }).lockId])).toEqual([
        ['LockExpired', 'lock-1'],
        ['LockAcquired', 'lock-2'],
      ]);
      const state = fold(events, present(lock()));
      expect(state.lock).toMatchObject({ lockId: 'lock-2', owner: 'laptop-7', expiresAt: iso(120) });
    });
  });

  describe('RenewLock', () => {
    it('extends the holder’s lock from now, by its own ttl when none is given', () => {
      // given lock-1 (ttl 60 s)
      // when the holder renews at +50 s
      const events = decide(renew('lock-1'), present(lock()), at(50));

      // then it now expires at +110 s
      expect(events).toEqual([
        { type: 'LockRenewed', data: { resourceId: ID, lockId: 'lock-1', renewedAt: iso(50), expiresAt: iso(110), ttlSeconds: 60 } },
      ]);
      expect(fold(events, present(lock())).lock).toMatchObject({ lockId: 'lock-1', expiresAt: iso(110), acquiredAt: iso(0) });
    });

    it('renews by a new ttl, which later renewals keep', () => {
      // given lock-1 renewed for 300 s at +10 s
      const state = fold(decide(renew('lock-1', 300), present(lock()), at(10)), present(lock()));

      // when it is renewed again without a ttl at +20 s
      const [event] = decide(renew('lock-1'), state, at(20));

      // then the 300 s lifetime holds
      expect(event).toMatchObject({ data: { expiresAt: iso(320), ttlSeconds: 300 } });
    });

    it('renews for the holder only: another id is LockIdMismatch', () => {
      // given lock-1
      // when lock-x renews it
      // then it is refused
      expect(refusal(() => decide(renew('lock-x'), present(lock()), at(10)))).toBeInstanceOf(LockIdMismatch);
    });

    it.each([
      ['no lock', present()],
      ['an expired lock', present(lock({ expiresAt: iso(5) }))],
    ])('refuses to renew %s: LockNotFound', (_label, state) => {
      // given no live lock
      // when lock-1 is renewed at +10 s
      // then there is nothing to renew
      expect(refusal(() => decide(renew('lock-1'), state, at(10)))).toBeInstanceOf(LockNotFound);
    });
  });

  describe('ReleaseLock', () => {
    it('releases the holder’s live lock', () => {
      // given lock-1
      // when the holder releases it
      const events = decide(release('lock-1'), present(lock()), at(10));

      // then the record is unlocked
      expect(events).toEqual([{ type: 'LockReleased', data: { resourceId: ID, lockId: 'lock-1', releasedAt: iso(10) } }]);
      expect(fold(events, present(lock())).lock).toBeNull();
    });

    it('belongs to the principal that took it: its id from anyone else is LockHeld, for renew, release and delete', () => {
      // given lock-1, taken by token:ci
      // when token:ops, who learnt the id, renews, releases or deletes under it
      // then each is refused as held by someone else
      expect(refusal(() => decide(release('lock-1', OPS), present(lock()), at(10)))).toBeInstanceOf(LockHeld);
      expect(refusal(() => decide(renew('lock-1', null, OPS), present(lock()), at(10)))).toBeInstanceOf(LockHeld);
      expect(refusal(() => decide(del('lock-1', OPS), present(lock()), at(10)))).toBeInstanceOf(LockHeld);
    });

    it('goes by the principal id when the lock records one: a reused name is not the holder, a renamed token is', () => {
      // given lock-1 taken by token id tok-1 named token:ci
      const state = fold(decide(acquire('lock-1', 60, { who: 'token:ci', whoId: 'tok-1' }), present(), at(0)), present());
      expect(state.lock).toMatchObject({ who: 'token:ci', whoId: 'tok-1' });

      // when a newer token that reuses the name releases it, and then the holder does
      // then the impostor is refused and the holder is not
      expect(refusal(() => decide(release('lock-1', { who: 'token:ci', whoId: 'tok-2' }), state, at(10)))).toBeInstanceOf(LockHeld);
      expect(decide(release('lock-1', { who: 'token:ci', whoId: 'tok-1' }), state, at(10))).toHaveLength(1);
    });

    it('refuses another id (LockIdMismatch), no lock and an expired lock (LockNotFound)', () => {
      // given lock-1 live until +60 s
      // when released with a wrong id, with no lock held, and after expiry
      // then each is refused with its reason
      expect(refusal(() => decide(release('lock-x'), present(lock()), at(10)))).toBeInstanceOf(LockIdMismatch);
      expect(refusal(() => decide(release('lock-1'), present(), at(10)))).toBeInstanceOf(LockNotFound);
      expect(refusal(() => decide(release('lock-1'), present(lock()), at(61)))).toBeInstanceOf(LockNotFound);
    });
  });

  describe('ForceReleaseLock', () => {
    it.each([
      ['live', 10],
      ['expired', 100],
    ])('removes a %s lock named by its id, recording whose it was', (_label, seconds) => {
      // given lock-1 held by pipeline-42
      // when an operator force-releases lock-1
      const events = decide(force('lock-1'), present(lock()), at(seconds));

      // then the lock is gone and the event names its owner
      expect(events).toEqual([
        { type: 'LockForceReleased', data: { resourceId: ID, lockId: 'lock-1', owner: 'pipeline-42', releasedAt: iso(seconds) } },
      ]);
      expect(fold(events, present(lock())).lock).toBeNull();
    });

    it('refuses a lock id other than the one held (the operator looked at an older lock)', () => {
      // given lock-1
      // when an operator force-releases lock-0
      // then it is refused
      expect(refusal(() => decide(force('lock-0'), present(lock()), at(10)))).toBeInstanceOf(LockIdMismatch);
    });

    it('refuses when there is no lock: LockNotFound', () => {
      // given no lock
      // when an operator force-releases lock-1
      // then there is nothing to release
      expect(refusal(() => decide(force('lock-1'), present(), at(10)))).toBeInstanceOf(LockNotFound);
    });
  });

  describe('evolve', () => {
    it('folds a whole life: save, lock, renew, save under the lock, release, delete, save again', () => {
      // given a history of decisions, each applied to the state before it
      const steps: [IacCommand, number][] = [
        [save(), 0],
        [acquire('lock-2', 60, OPS), 1],
        [renew('lock-2', null, OPS), 30],
        [save('lock-2', input({ status: 'destroying' }), OPS), 40],
        [release('lock-2', OPS), 50],
        [del(), 60],
        [save(null, input({ status: 'planned' })), 70],
      ];
      let state = initialState();
      const log: IacEvent[] = [];

      // when each is decided and evolved
      for (const [command, seconds] of steps) {
        const events = decide(command, state, at(seconds));
        log.push(...events);
        state = fold(events, state);
      }

      // then the log tells the story and the state is the last save, created afresh after the delete
      expect(log.map((e) => e.type)).toEqual([
        'StateSaved',
        'LockAcquired',
        'LockRenewed',
        'StateSaved',
        'LockReleased',
        'StateDeleted',
        'StateSaved',
      ]);
      expect(state.lock).toBeNull();
      expect(recordOf(state)).toMatchObject({ status: 'planned', created_at: iso(70), updated_at: iso(70) });
      expect(fold(log)).toEqual(state);
    });

    it('reads a deleted record as absent but keeps its lock', () => {
      // given a locked record
      // when it is deleted by the holder
      const state = evolve(present(lock()), { type: 'StateDeleted', data: { resourceId: ID, lockId: 'lock-1', deletedAt: iso(1) } });

      // then there is no record and the lock stands
      expect(recordOf(state)).toBeNull();
      expect(state).toEqual({ status: 'deleted', lock: lock() });
    });
  });
});
