import { expiryAfter, holdsLock, type IacLock, isLockLive, type LockCaller } from './iac-lock.js';
import { type IacStateRecord, type IacStateRecordInput, stampRecord } from './iac-state.js';
import { LockHeld, LockIdMismatch, LockNotFound, StateNotFound } from './iac-state-store.port.js';
import type { Decider } from '../decider.js';
import { type IacEvent, iacEvents, type LockExpiredEvent } from './iac.events.js';

/**
 * One IaC record and its lock, as a decider: `decide(command, state, now)` → events or a typed
 * error, `evolve(state, event)` → state. Both backends use it: the event-sourced one appends the
 * events, the S3 one turns them into (conditional) object writes. Time and lock ids come in as
 * arguments.
 */

export type IacRecordState =
  | { readonly status: 'absent'; readonly lock: IacLock | null }
  | { readonly status: 'present'; readonly record: IacStateRecord; readonly lock: IacLock | null }
  | { readonly status: 'deleted'; readonly lock: IacLock | null };

/**
 * Commands that act under a lock name their caller: a lock belongs to the actor that took it, so
 * the right lock id from anyone else is refused as LockHeld.
 */
export type IacCommand =
  | { readonly type: 'SaveState'; readonly data: { readonly record: IacStateRecordInput; readonly lockId: string | null; readonly caller: LockCaller } }
  | { readonly type: 'DeleteState'; readonly data: { readonly resourceId: string; readonly lockId: string | null; readonly caller: LockCaller } }
  | {
      readonly type: 'AcquireLock';
      readonly data: {
        readonly resourceId: string;
        readonly lockId: string;
        readonly owner: string;
        readonly operation: string;
        readonly info: string;
        readonly caller: LockCaller;
        readonly ttlSeconds: number;
      };
    }
  | {
      readonly type: 'RenewLock';
      readonly data: { readonly resourceId: string; readonly lockId: string; readonly ttlSeconds: number | null; readonly caller: LockCaller };
    }
  | { readonly type: 'ReleaseLock'; readonly data: { readonly resourceId: string; readonly lockId: string; readonly caller: LockCaller } }
  | { readonly type: 'ForceReleaseLock'; readonly data: { readonly resourceId: string; readonly lockId: string } };

function decide(command: IacCommand, state: IacRecordState, now: Date): IacEvent[] {
  const at = now.toISOString();
  switch (command.type) {
    case 'SaveState': {
      const { record: input, lockId, caller } = command.data;
      const resourceId = input.resource_id;
      const expired = mayWrite(state, resourceId, lockId, caller, now);
      const record = stampRecord(input, state.status === 'present' ? state.record : null, now);
      return [...expired, { type: 'StateSaved', data: { resourceId, record, lockId, savedAt: at } }];
    }
    case 'DeleteState': {
      const { resourceId, lockId, caller } = command.data;
      const expired = mayWrite(state, resourceId, lockId, caller, now);
      if (state.status !== 'present') throw new StateNotFound(resourceId);
      return [...expired, { type: 'StateDeleted', data: { resourceId, lockId, deletedAt: at } }];
    }
    case 'AcquireLock': {
      const { ttlSeconds, caller, ...lock } = command.data;
      if (isLockLive(state.lock, now)) {
        // a retried request (the caller's own lock id, same owner, same principal) finds its lock: nothing to do
        if (state.lock.lockId === lock.lockId && state.lock.owner === lock.owner && holdsLock(state.lock, caller)) return [];
        throw new LockHeld(state.lock);
      }
      const expired = state.lock ? [lockExpired(state.lock, at)] : [];
      const holder = { who: caller.who, ...(caller.whoId === null ? {} : { whoId: caller.whoId }) };
      return [...expired, { type: 'LockAcquired', data: { ...lock, ...holder, acquiredAt: at, expiresAt: expiryAfter(now, ttlSeconds), ttlSeconds } }];
    }
    case 'RenewLock': {
      const { resourceId, lockId, caller } = command.data;
      const lock = heldBy(state, resourceId, lockId, caller, now);
      const ttlSeconds = command.data.ttlSeconds ?? lock.ttlSeconds;
      return [{ type: 'LockRenewed', data: { resourceId, lockId, renewedAt: at, expiresAt: expiryAfter(now, ttlSeconds), ttlSeconds } }];
    }
    case 'ReleaseLock': {
      const { resourceId, lockId, caller } = command.data;
      heldBy(state, resourceId, lockId, caller, now);
      return [{ type: 'LockReleased', data: { resourceId, lockId, releasedAt: at } }];
    }
    case 'ForceReleaseLock': {
      // live or expired: an operator may clear either, but only the lock they looked at
      const { resourceId, lockId } = command.data;
      const lock = state.lock;
      if (!lock) throw new LockNotFound(resourceId, lockId);
      if (lock.lockId !== lockId) throw new LockIdMismatch(resourceId, lockId, lock.lockId);
      return [{ type: 'LockForceReleased', data: { resourceId, lockId, owner: lock.owner, releasedAt: at } }];
    }
    default: {
      const _: never = command;
      throw new Error(`unknown command ${JSON.stringify(_)}`);
    }
  }
}

function evolve(state: IacRecordState, event: IacEvent): IacRecordState {
  switch (event.type) {
    case 'StateSaved':
      return { status: 'present', record: event.data.record, lock: state.lock };
    case 'StateDeleted':
      return { status: 'deleted', lock: state.lock };
    case 'LockAcquired':
      return { ...state, lock: event.data };
    case 'LockRenewed':
      return state.lock ? { ...state, lock: { ...state.lock, expiresAt: event.data.expiresAt, ttlSeconds: event.data.ttlSeconds } } : state;
    case 'LockReleased':
    case 'LockForceReleased':
    case 'LockExpired':
      return { ...state, lock: null };
    default: {
      const _: never = event;
      throw new Error(`unknown event ${JSON.stringify(_)}`);
    }
  }
}

export const iacDecider: Decider<IacRecordState, IacCommand, IacEvent> = {
  events: iacEvents,
  initialState: () => ({ status: 'absent', lock: null }),
  decide,
  evolve,
};

/** The record as `get` returns it: null unless saved and not deleted since. */
export const recordOf = (state: IacRecordState): IacStateRecord | null => (state.status === 'present' ? state.record : null);

/**
 * A write to the record is allowed: by the live lock's holder with its id when one is held, with no
 * lock id when none is. A lapsed lock is recorded as expired by the same append.
 */
function mayWrite(state: IacRecordState, resourceId: string, lockId: string | null, caller: LockCaller, now: Date): LockExpiredEvent[] {
  const lock = state.lock;
  if (isLockLive(lock, now)) {
    if (lockId === null || !holdsLock(lock, caller)) throw new LockHeld(lock);
    if (lockId !== lock.lockId) throw new LockIdMismatch(resourceId, lockId, lock.lockId);
    return [];
  }
  if (lockId !== null) throw new LockNotFound(resourceId, lockId);
  return lock ? [lockExpired(lock, now.toISOString())] : [];
}

/** The live lock, held by the caller under `lockId`; anyone else is told whose lock it is (not its id). */
function heldBy(state: IacRecordState, resourceId: string, lockId: string, caller: LockCaller, now: Date): IacLock {
  if (!isLockLive(state.lock, now)) throw new LockNotFound(resourceId, lockId);
  if (!holdsLock(state.lock, caller)) throw new LockHeld(state.lock);
  if (state.lock.lockId !== lockId) throw new LockIdMismatch(resourceId, lockId, state.lock.lockId);
  return state.lock;
}

function lockExpired(lock: IacLock, at: string): LockExpiredEvent {
  return {
    type: 'LockExpired',
    data: { resourceId: lock.resourceId, lockId: lock.lockId, owner: lock.owner, expiresAt: lock.expiresAt, noticedAt: at },
  };
}
