import { z } from 'zod';
import { resourceIdSchema } from './iac-state.js';

/** Default lifetime of a lock; its holder renews it before then, or it can be taken over. */
export const DEFAULT_LOCK_TTL_SECONDS = 15 * 60;
export const MAX_LOCK_TTL_SECONDS = 24 * 60 * 60;

/**
 * An advisory lock on one record. Our own document (the origin has no lock body), so camelCase like
 * every other TypeScript type here; the S3 backend stores exactly this as JSON.
 */
export const iacLockSchema = z.object({
  lockId: z.string().min(1).max(128),
  resourceId: resourceIdSchema,
  /** Who holds it in the caller's terms: a pipeline run, a workstation, a Terraform lock owner. */
  owner: z.string().min(1).max(256),
  /** What the holder is doing: plan, apply, destroy, … */
  operation: z.string().min(1).max(256),
  /** Free text for operators, as Terraform's lock `Info`. */
  info: z.string().max(4096),
  /** The authenticated actor (API token name) that took the lock. */
  who: z.string().min(1),
  /**
   * The id of that actor (the API token's id): the lock belongs to it, so only it may renew,
   * release or write under the lock. Absent on locks taken before ids were recorded: then the
   * name decides.
   */
  whoId: z.string().min(1).max(128).optional(),
  acquiredAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
  /** The lifetime a renewal extends by when it names none. */
  ttlSeconds: z.number().int().positive().max(MAX_LOCK_TTL_SECONDS),
});

export type IacLock = z.output<typeof iacLockSchema>;

/** What a caller asks for when it locks a record. */
export const iacLockRequestSchema = z.strictObject({
  owner: z.string({ error: 'owner is required' }).min(1, 'owner is required').max(256),
  operation: z.string({ error: 'operation is required' }).min(1, 'operation is required').max(256),
  info: z.string().max(4096).default(''),
  ttlSeconds: z.number().int().min(1).max(MAX_LOCK_TTL_SECONDS).default(DEFAULT_LOCK_TTL_SECONDS),
  /** The caller's own lock id (Terraform sends one); a uuid is generated when absent. */
  lockId: z.string().min(1).max(128).optional(),
});

export type IacLockRequest = z.input<typeof iacLockRequestSchema>;

export const lockTtlSchema = z.number().int().min(1).max(MAX_LOCK_TTL_SECONDS).optional();

export const lockIdSchema = z.string({ error: 'lock id is required' }).min(1, 'lock id is required').max(128);

/** A lock counts as held until its expiry; at `expiresAt <= now` it is free to take over. */
export function isLockLive(lock: IacLock | null, now: Date): lock is IacLock {
  return lock !== null && Date.parse(lock.expiresAt) > now.getTime();
}

/** Who is asking: the authenticated actor's name and, when known, its id. */
export interface LockCaller {
  readonly who: string;
  readonly whoId: string | null;
}

/** Whether the caller is the principal that took the lock (by id; by name for locks without one). */
export function holdsLock(lock: IacLock, caller: LockCaller): boolean {
  return lock.whoId !== undefined ? lock.whoId === caller.whoId : lock.who === caller.who;
}

/** A lock as anyone but its holder (and platform_admin) may see it: everything but its id. */
export type LockView = Omit<IacLock, 'lockId'>;

export function withoutLockId({ lockId: _, ...view }: IacLock): LockView {
  return view;
}

export function expiryAfter(now: Date, ttlSeconds: number): string {
  return new Date(now.getTime() + ttlSeconds * 1000).toISOString();
}
