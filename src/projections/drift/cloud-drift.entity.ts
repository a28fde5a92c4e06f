import { EntitySchema } from '@mikro-orm/core';

/** Open (in the inbox) or ignored under a policy until it ends; the rest are final. */
export type DriftStatus = 'open' | 'ignored' | 'accepted' | 'reverted' | 'stale' | 'resource_deleted';
export const UNRESOLVED_DRIFT: readonly DriftStatus[] = ['open', 'ignored'];

/**
 * `cloud_drift`: every drift ever detected, keyed by its drift id. At most one is unresolved (open
 * or ignored) per (resource, field): a partial unique index holds the projection to the decider's rule.
 */
export interface CloudDriftRow {
  id: string;
  resourceId: string;
  field: string;
  /** The spec's value when the drift was detected (any JSON value). */
  expected: unknown;
  /** The live value when the drift was detected (any JSON value). */
  actual: unknown;
  status: DriftStatus;
  specVersion: number;
  detectedAt: Date;
  detectedBy: string;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  /** The saga reverting it while one runs; cleared when that saga fails. */
  revertSagaId: string | null;
  /** Why the last revert failed. */
  revertError: string | null;
  /** The policy it is, or was last, ignored under. */
  policyId: string | null;
  /** While ignored: when its policy ends. */
  ignoredUntil: Date | null;
}

export const CloudDriftEntity = new EntitySchema<CloudDriftRow>({
  name: 'CloudDrift',
  tableName: 'cloud_drift',
  properties: {
    id: { type: 'string', primary: true },
    resourceId: { type: 'string', fieldName: 'resource_id' },
    field: { type: 'string' },
    expected: { type: 'json', nullable: true },
    actual: { type: 'json', nullable: true },
    status: { type: 'string' },
    specVersion: { type: 'integer', fieldName: 'spec_version' },
    detectedAt: { type: 'datetime', fieldName: 'detected_at' },
    detectedBy: { type: 'string', fieldName: 'detected_by' },
    resolvedAt: { type: 'datetime', nullable: true, fieldName: 'resolved_at' },
    resolvedBy: { type: 'string', nullable: true, fieldName: 'resolved_by' },
    revertSagaId: { type: 'string', nullable: true, fieldName: 'revert_saga_id' },
    revertError: { type: 'text', nullable: true, fieldName: 'revert_error' },
    policyId: { type: 'string', nullable: true, fieldName: 'policy_id' },
    ignoredUntil: { type: 'datetime', nullable: true, fieldName: 'ignored_until' },
  },
});
