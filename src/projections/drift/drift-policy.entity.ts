import { EntitySchema } from '@mikro-orm/core';

/** `drift_policies`: every ignore policy, live, expired or ended, with who made and ended it. */
export interface DriftPolicyRow {
  policyId: string;
  /** Glob over resource ids or names. */
  resource: string;
  /** Glob over field paths, or `tags:<glob>`. */
  field: string;
  owner: string;
  reason: string;
  expiresAt: Date;
  createdAt: Date;
  createdBy: string;
  endedAt: Date | null;
  endedBy: string | null;
}

export const DriftPolicyEntity = new EntitySchema<DriftPolicyRow>({
  name: 'DriftPolicy',
  tableName: 'drift_policies',
  properties: {
    policyId: { type: 'string', primary: true, fieldName: 'policy_id' },
    resource: { type: 'string' },
    field: { type: 'string' },
    owner: { type: 'string' },
    reason: { type: 'text' },
    expiresAt: { type: 'datetime', fieldName: 'expires_at' },
    createdAt: { type: 'datetime', fieldName: 'created_at' },
    createdBy: { type: 'string', fieldName: 'created_by' },
    endedAt: { type: 'datetime', nullable: true, fieldName: 'ended_at' },
    endedBy: { type: 'string', nullable: true, fieldName: 'ended_by' },
  },
});
