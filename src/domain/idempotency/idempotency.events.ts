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

/**
 * A request took the key: the operation it ran (a command's name), its fingerprint (operation and
 * payload), until when the key holds it. Version 1 was written at the HTTP edge and named the
 * operation by method and path.
 */
export const IdempotencyKeyClaimed = defineEvent({
  type: 'IdempotencyKeyClaimed',
  schemaVersion: 2,
  schema: z.object({
    principalId: z.string().min(1).max(128),
    operation: z.string().min(1).max(2048),
    fingerprint,
    /** Which use of the key this is: 1, then 2 once the first window expired. Ids derived from a claim include it. */
    generation: z.number().int().min(1),
    claimedAt: instant,
    expiresAt: instant,
  }),
  upcasters: {
    1: (data) => {
      const { method, path, ...rest } = data as { method: string; path: string };
      return { ...rest, operation: `${method} ${path}` };
    },
  },
});

/**
 * What the claiming request's operation returned, replayed to every retry until the key expires.
 * Version 1 kept the HTTP status beside the body; the status is the route's, so only the body stays.
 */
export const IdempotentResponseRecorded = defineEvent({
  type: 'IdempotentResponseRecorded',
  schemaVersion: 2,
  schema: z.object({ fingerprint, result: z.unknown(), recordedAt: instant }),
  upcasters: {
    1: (data) => {
      const { status: _status, body, ...rest } = data as { status: number; body: unknown };
      return { ...rest, result: body };
    },
  },
});

/** The claiming request failed without an answer worth keeping: a retry may run it again. */
export const IdempotencyClaimReleased = defineEvent({
  type: 'IdempotencyClaimReleased',
  schemaVersion: 1,
  schema: z.object({ fingerprint, reason: z.string().max(1024), releasedAt: instant }),
});

export const idempotencyEvents = [IdempotencyKeyClaimed, IdempotentResponseRecorded, IdempotencyClaimReleased] as const;

export type IdempotencyEvent = EventOf<typeof idempotencyEvents>;
