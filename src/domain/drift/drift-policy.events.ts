import { z } from 'zod';
import type { EventOf } from '../decider.js';
import { defineEvent } from '../events/event-registry.js';
import { driftPolicyRequestSchema } from './drift-policy.js';

/** The events of a `policy-<policyId>` stream: a drift ignore policy, and its end. The actor is in the metadata. */

const instant = z.iso.datetime({ offset: true });
const policyId = z.string().min(1).max(128);

export const DriftPolicyCreated = defineEvent({
  type: 'DriftPolicyCreated',
  schemaVersion: 1,
  schema: driftPolicyRequestSchema.extend({ policyId, at: instant }),
});

/** Ended before its time by someone (DELETE); a policy that reaches `expiresAt` ends by itself, with no event. */
export const DriftPolicyEnded = defineEvent({
  type: 'DriftPolicyEnded',
  schemaVersion: 1,
  schema: z.object({ policyId, at: instant }),
});

export const driftPolicyEvents = [DriftPolicyCreated, DriftPolicyEnded] as const;
export type DriftPolicyEvent = EventOf<typeof driftPolicyEvents>;
