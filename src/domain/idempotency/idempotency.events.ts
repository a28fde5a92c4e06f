import { z } from 'zod';
import type { EventOf } from '../decider.js';
import { defineEvent } from '../events/event-registry.js';

/**
 * The events of an `idempotency-<hash>` stream: one stream per principal and Idempotency-Key (the
 * hash of both), holding the request that claimed the key and the answer it got. The first claim
 * is appended expecting no stream, so of any number of concurrent duplicates one wins by
 * construction.
 */

const instant = z.iso.datetime({ offset: true });
const fingerprint = z.string().regex(/^[0-9a-f]{64}$/);

/** A request took the key: its fingerprint (method, path and body), until when the key holds it. */
export const IdempotencyKeyClaimed = defineEvent({
  type: 'IdempotencyKeyClaimed',
  schemaVersion: 1,
  schema: z.object({
    principalId: z.string().min(1).max(128),
    method: z.string().min(1).max(16),
    path: z.string().min(1).max(2048),
    fingerprint,
    /** Which use of the key this is: 1, then 2 once the first window expired. Ids derived from a claim include it. */
    generation: z.number().int().min(1),
    claimedAt: instant,
    expiresAt: instant,
  }),
});

/** The answer the claiming request got, replayed to every retry until the key expires. */
export const IdempotentResponseRecorded = defineEvent({
  type: 'IdempotentResponseRecorded',
  schemaVersion: 1,
  schema: z.object({ fingerprint, status: z.number().int().min(100).max(599), body: z.unknown(), recordedAt: instant }),
});

/** The claiming request failed without an answer worth keeping: a retry may run it again. */
export const IdempotencyClaimReleased = defineEvent({
  type: 'IdempotencyClaimReleased',
  schemaVersion: 1,
  schema: z.object({ fingerprint, reason: z.string().max(1024), releasedAt: instant }),
});

export const idempotencyEvents = [IdempotencyKeyClaimed, IdempotentResponseRecorded, IdempotencyClaimReleased] as const;

export type IdempotencyEvent = EventOf<typeof idempotencyEvents>;
