import { z } from 'zod';
import type { EventOf } from '../decider.js';
import { defineEvent } from '../events/event-registry.js';
import { iacLockSchema } from './iac-lock.js';
import { iacStateRecordSchema, resourceIdSchema } from './iac-state.js';

/**
 * The events of an `iac-<resourceId>` stream: the record's saves and deletion, and its lock's life.
 * Each carries its own time, so projections and audits need no recordedAt; the actor is in the
 * metadata.
 */

const instant = z.iso.datetime({ offset: true });
const lockId = z.string().min(1).max(128);

export const StateSaved = defineEvent({
  type: 'StateSaved',
  schemaVersion: 1,
  schema: z.object({
    resourceId: resourceIdSchema,
    /** The whole record as stored (it replaces the previous one). */
    record: iacStateRecordSchema,
    /** The lock the writer held, or null when the record was not locked. */
    lockId: lockId.nullable(),
    savedAt: instant,
  }),
});

export const StateDeleted = defineEvent({
  type: 'StateDeleted',
  schemaVersion: 1,
  schema: z.object({ resourceId: resourceIdSchema, lockId: lockId.nullable(), deletedAt: instant }),
});

/** The whole lock as taken. */
export const LockAcquired = defineEvent({
  type: 'LockAcquired',
  schemaVersion: 1,
  schema: iacLockSchema,
});

export const LockRenewed = defineEvent({
  type: 'LockRenewed',
  schemaVersion: 1,
  schema: z.object({
    resourceId: resourceIdSchema,
    lockId,
    renewedAt: instant,
    expiresAt: instant,
    ttlSeconds: iacLockSchema.shape.ttlSeconds,
  }),
});

export const LockReleased = defineEvent({
  type: 'LockReleased',
  schemaVersion: 1,
  schema: z.object({ resourceId: resourceIdSchema, lockId, releasedAt: instant }),
});

/** An operator removed someone's lock (the operator is the event's actor; `owner` held it). */
export const LockForceReleased = defineEvent({
  type: 'LockForceReleased',
  schemaVersion: 1,
  schema: z.object({ resourceId: resourceIdSchema, lockId, owner: z.string().min(1), releasedAt: instant }),
});

/**
 * A lock outlived its expiry and a later command noticed: written just before the takeover (or the
 * unlocked write) that noticed it, in the same append.
 */
export const LockExpired = defineEvent({
  type: 'LockExpired',
  schemaVersion: 1,
  schema: z.object({ resourceId: resourceIdSchema, lockId, owner: z.string().min(1), expiresAt: instant, noticedAt: instant }),
});

export const iacEvents = [StateSaved, StateDeleted, LockAcquired, LockRenewed, LockReleased, LockForceReleased, LockExpired] as const;

export type IacEvent = EventOf<typeof iacEvents>;
export type IacEventType = IacEvent['type'];
type Of<T extends IacEventType> = Extract<IacEvent, { type: T }>;

export type StateSavedEvent = Of<'StateSaved'>;
export type StateDeletedEvent = Of<'StateDeleted'>;
export type LockAcquiredEvent = Of<'LockAcquired'>;
export type LockRenewedEvent = Of<'LockRenewed'>;
export type LockReleasedEvent = Of<'LockReleased'>;
export type LockForceReleasedEvent = Of<'LockForceReleased'>;
export type LockExpiredEvent = Of<'LockExpired'>;
