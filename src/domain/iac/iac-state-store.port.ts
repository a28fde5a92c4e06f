import { type IacLock, type IacLockRequest, type LockView, withoutLockId } from './iac-lock.js';
import { Conflict, type FieldIssue, InvalidInput, NotAllowed, NotFound } from '../errors.js';
import type { IacStateFilter, IacStateRecord } from './iac-state.js';

/** Who is calling, for the audit trail: the HTTP layer passes the API token name as `actor`. */
export interface IacCallContext {
  readonly actor: string;
  /** The actor's id (the API token's id): a lock belongs to the actor that took it. */
  readonly actorId?: string;
  /** The request id; one is generated when absent. */
  readonly correlationId?: string;
  readonly causationId?: string | null;
}

/** Proof of holding the record's lock, for writes to a locked record. */
export interface IacWriteOptions {
  readonly lockId?: string;
}

/**
 * A page of a list: at most `limit` items whose resource id sorts after `after` (by code point, as
 * every list is ordered). A full page may have more after it; ask again from its last id.
 */
export interface IacPage {
  readonly limit: number;
  readonly after?: string;
}

export interface IacRenewOptions {
  /** Default: the lifetime the lock was taken with. */
  readonly ttlSeconds?: number;
}

/**
 * Where IaC state records and their locks live. Two backends, one contract suite
 * (test/contract/iac-state-store.contract.ts): event-sourced (the default) and S3-compatible.
 *
 * Rules every backend keeps:
 * - a lock whose `expiresAt <= now` counts as free: anyone may take it over, and its former holder
 *   can neither renew it, release it, nor write under it (LockNotFound);
 * - save and delete on a record with a live lock need that lock's id: none → LockHeld, another →
 *   LockIdMismatch; naming a lock id when no live lock exists → LockNotFound;
 * - input is validated before anything is written: InvalidStateRecord / InvalidIacRequest.
 * Every error thrown for an expected outcome extends one of the domain's error kinds (../errors.ts).
 */
export interface IacStateStore {
  /** The record, or null when it was never saved or has been deleted. */
  get(resourceId: string): Promise<IacStateRecord | null>;

  /**
   * Inserts or replaces the record named by its `resource_id`. `record` is validated here (it may
   * come straight from a request body). Missing `created_at`/`updated_at` are filled in; given ones
   * are kept. Returns the record as stored.
   */
  save(record: unknown, options: IacWriteOptions, context: IacCallContext): Promise<IacStateRecord>;

  /**
   * Records matching every given key; an empty or missing filter (or empty values) means all.
   * Ordered by resource id; with `page`, only that page. The event-sourced backend serves this from
   * a read model, so a write is visible here once its projection has caught up (usually
   * milliseconds); `get` is always current.
   */
  list(filter?: IacStateFilter, page?: IacPage): Promise<IacStateRecord[]>;

  /** Removes the record; StateNotFound when there is none. Its lock, if any, stays. */
  delete(resourceId: string, options: IacWriteOptions, context: IacCallContext): Promise<void>;

  /**
   * Takes the record's lock (the record need not exist yet). LockHeld when someone holds a live
   * lock; an expired lock is taken over. Exactly one of any number of concurrent callers wins.
   * A retry that brings the lock id and owner of the live lock gets that lock back (idempotent).
   */
  lock(resourceId: string, request: IacLockRequest, context: IacCallContext): Promise<IacLock>;

  /** Extends the holder's live lock from now. LockIdMismatch for another id, LockNotFound if none is live. */
  renewLock(resourceId: string, lockId: string, options: IacRenewOptions, context: IacCallContext): Promise<IacLock>;

  /** Releases the holder's live lock. LockIdMismatch for another id, LockNotFound if none is live. */
  unlock(resourceId: string, lockId: string, context: IacCallContext): Promise<void>;

  /**
   * For operators (platform_admin): removes the lock with this id, live or expired, whoever holds
   * it. Naming the id guards against removing a lock taken after the operator looked. Returns it.
   */
  forceUnlock(resourceId: string, lockId: string, context: IacCallContext): Promise<IacLock>;

  /** The live lock on the record, or null. */
  getLock(resourceId: string): Promise<IacLock | null>;

  /** Every live lock, ordered by resource id; with `page`, only that page. */
  listLocks(page?: IacPage): Promise<IacLock[]>;
}

/** One event of a record's history: who did what, when. Only the event-sourced backend keeps one. */
export interface IacHistoryEntry {
  readonly revision: number;
  readonly type: string;
  readonly data: unknown;
  readonly actor: string;
  readonly correlationId: string;
  readonly recordedAt: Date;
}

export interface IacStateHistory {
  /** Every event of the record's stream, oldest first; [] for a record never written. */
  history(resourceId: string): Promise<IacHistoryEntry[]>;
}

/** Whether this backend keeps history (the event-sourced one does; S3 keeps only the current objects). */
export function hasHistory(store: IacStateStore): store is IacStateStore & IacStateHistory {
  return typeof (store as Partial<IacStateHistory>).history === 'function';
}

export const IAC_STATE_STORE = Symbol('IacStateStore');

/*
 * Expected failures extend the domain's error kinds (../errors.ts), which the HTTP edge maps in one
 * place: invalid input 400, not found 404, conflict 409, not allowed 422.
 */

export class InvalidStateRecord extends InvalidInput {
  override readonly name = 'InvalidStateRecord';
  override readonly code = 'invalid_state_record';
  constructor(issues: readonly FieldIssue[]) {
    super(issues, `invalid state record: ${describeIssues(issues)}`);
  }
}

/** A bad argument other than the record: a resource id, a lock request, a filter, the actor. */
export class InvalidIacRequest extends InvalidInput {
  override readonly name = 'InvalidIacRequest';
  constructor(issues: readonly FieldIssue[]) {
    super(issues, `invalid request: ${describeIssues(issues)}`);
  }
}

export class StateNotFound extends NotFound {
  override readonly name = 'StateNotFound';
  override readonly code = 'state_not_found';
  constructor(readonly resourceId: string) {
    super(`no state record for ${resourceId}`);
  }
}

/**
 * Someone else holds a live lock on the record. Carries whose it is and until when — never its id,
 * which only the holder (and platform_admin, to force-unlock) may know.
 */
export class LockHeld extends Conflict {
  override readonly name = 'LockHeld';
  override readonly code = 'lock_held';
  override readonly details: { readonly lock: LockView };
  readonly resourceId: string;
  readonly owner: string;
  readonly operation: string;
  readonly who: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  constructor(lock: IacLock) {
    super(`${lock.resourceId} is locked by ${lock.owner} (${lock.operation}, taken by ${lock.who}) until ${lock.expiresAt}`);
    this.details = { lock: withoutLockId(lock) };
    ({ resourceId: this.resourceId, owner: this.owner, operation: this.operation, who: this.who, acquiredAt: this.acquiredAt, expiresAt: this.expiresAt } = lock);
  }
}

/** The caller named a lock id, but the record's live (or, for force-unlock, recorded) lock has another. */
export class LockIdMismatch extends Conflict {
  override readonly name = 'LockIdMismatch';
  override readonly code = 'lock_id_mismatch';
  constructor(
    readonly resourceId: string,
    readonly lockId: string,
    readonly heldLockId: string,
  ) {
    super(`${resourceId} is locked under another lock id than ${lockId}`);
  }
}

/** The caller named a lock id, but no such lock is live on the record (never taken, released or expired). */
export class LockNotFound extends Conflict {
  override readonly name = 'LockNotFound';
  override readonly code = 'lock_not_found';
  constructor(
    readonly resourceId: string,
    readonly lockId: string,
  ) {
    super(`${resourceId} holds no live lock ${lockId}: it was released, expired or never taken`);
  }
}

/** Concurrent writers kept moving the record until the retries ran out; the caller may try again. */
export class IacConcurrencyConflict extends Conflict {
  override readonly name = 'IacConcurrencyConflict';
  override readonly code = 'concurrent_change';
  constructor(
    readonly resourceId: string,
    readonly attempts: number,
  ) {
    super(`${resourceId} changed concurrently ${attempts} times in a row; try again`);
  }
}

/** The backend runs without locks (S3 with `locking: false`): lock calls are refused, never faked. */
export class LockingDisabled extends NotAllowed {
  override readonly name = 'LockingDisabled';
  override readonly code = 'locking_disabled';
  constructor(readonly resourceId: string) {
    super(`locking is disabled for this state backend; ${resourceId} cannot be locked or unlocked`);
  }
}

function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}
