import { z } from 'zod';
import { defineEvent } from '../events/event-registry.js';

/**
 * The events of a `spec-<resourceId>` stream: the desired state, its versions, and its drift.
 * Drift lives with the spec it deviates from, so accepting one (spec changes, drift closes) is a
 * single atomic append. The actor is in the metadata.
 */

const instant = z.iso.datetime({ offset: true });
const resourceId = z.string().min(1).max(256);
const driftId = z.string().min(1).max(128);
const field = z.string().min(1).max(128);
export const specSchema = z.record(z.string().min(1).max(128), z.unknown());
/** Why a spec version was recorded: by the provisioning saga, accepted drift, declared by someone (PUT), or adoption. */
export const specReason = z.enum(['provisioned', 'recorded', 'drift_accepted', 'declared', 'adopted']);

export const SpecRecorded = defineEvent({
  type: 'SpecRecorded',
  schemaVersion: 1,
  schema: z.object({
    resourceId,
    /** The whole desired state (it replaces the previous version). */
    spec: specSchema,
    version: z.number().int().min(1),
    reason: specReason,
    sagaId: z.string().min(1).nullable(),
    driftId: driftId.nullable(),
    at: instant,
  }),
});

export const DriftDetected = defineEvent({
  type: 'DriftDetected',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, expected: z.unknown(), actual: z.unknown(), specVersion: z.number().int().min(1), at: instant }),
});

/** The live value became the spec (the SpecRecorded of the same append carries the new version). */
export const DriftAccepted = defineEvent({
  type: 'DriftAccepted',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, value: z.unknown(), specVersion: z.number().int().min(1), at: instant }),
});

export const DriftRevertRequested = defineEvent({
  type: 'DriftRevertRequested',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, sagaId: z.string().min(1), at: instant }),
});

export const DriftReverted = defineEvent({
  type: 'DriftReverted',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, sagaId: z.string().min(1), at: instant }),
});

/** The revert saga did not finish; the drift stays open for another decision. */
export const DriftRevertFailed = defineEvent({
  type: 'DriftRevertFailed',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, sagaId: z.string().min(1), reason: z.string(), at: instant }),
});

/**
 * A live ignore policy covers the drift: it is recorded, out of the inbox, until the policy ends.
 * `until` is the policy's end as it was when this was written.
 */
export const DriftIgnored = defineEvent({
  type: 'DriftIgnored',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, policyId: z.string().min(1).max(128), until: instant, at: instant }),
});

/** The policy that covered the drift ended or expired, and none other covers it: open again. */
export const DriftReopened = defineEvent({
  type: 'DriftReopened',
  schemaVersion: 1,
  schema: z.object({ resourceId, driftId, field, policyId: z.string().min(1).max(128), reason: z.enum(['policy_expired', 'policy_ended']), at: instant }),
});

/**
 * The drift closes without anyone's decision: the field matches the spec again (fixed elsewhere),
 * the resource is gone with its spec (destroyed by a saga), or it was deleted outside cloudledger.
 */
export const DriftClosedStale = defineEvent({
  type: 'DriftClosedStale',
  schemaVersion: 1,
  schema: z.object({
    resourceId,
    driftId,
    field,
    actual: z.unknown(),
    reason: z.enum(['matches_again', 'resource_gone', 'resource_deleted']).default('matches_again'),
    at: instant,
  }),
});

/** The resource is gone (destroyed, or its provisioning rolled back): no desired state any more. */
export const SpecRemoved = defineEvent({
  type: 'SpecRemoved',
  schemaVersion: 1,
  schema: z.object({ resourceId, reason: z.enum(['destroyed', 'provision_rolled_back']), sagaId: z.string().min(1).nullable(), at: instant }),
});

export const specEvents = [
  SpecRecorded,
  SpecRemoved,
  DriftDetected,
  DriftIgnored,
  DriftReopened,
  DriftAccepted,
  DriftRevertRequested,
  DriftReverted,
  DriftRevertFailed,
  DriftClosedStale,
] as const;
