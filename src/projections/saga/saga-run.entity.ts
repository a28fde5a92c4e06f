import { EntitySchema } from '@mikro-orm/core';

/** `saga_runs`: one row per saga, for operators' lists (filter by status, kind, deployment). */
export interface SagaRunRow {
  id: string;
  kind: string;
  definition: string;
  version: number;
  status: string;
  steps: string[];
  currentStep: string | null;
  deploymentId: string | null;
  triggeredBy: string;
  cancelRequestedBy: string | null;
  cancelReason: string | null;
  /** The resource the saga acts on (`do:droplet:<id>`), once known: from its inputs, or the droplet a provision created. */
  resourceId: string | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

export const SagaRunEntity = new EntitySchema<SagaRunRow>({
  name: 'SagaRun',
  tableName: 'saga_runs',
  properties: {
    id: { type: 'string', primary: true },
    kind: { type: 'string' },
    definition: { type: 'string' },
    version: { type: 'integer' },
    status: { type: 'string' },
    steps: { type: 'json' },
    currentStep: { type: 'string', nullable: true, fieldName: 'current_step' },
    deploymentId: { type: 'string', nullable: true, fieldName: 'deployment_id' },
    triggeredBy: { type: 'string', fieldName: 'triggered_by' },
    cancelRequestedBy: { type: 'string', nullable: true, fieldName: 'cancel_requested_by' },
    cancelReason: { type: 'text', nullable: true, fieldName: 'cancel_reason' },
    resourceId: { type: 'string', nullable: true, fieldName: 'resource_id' },
    startedAt: { type: 'datetime', fieldName: 'started_at' },
    updatedAt: { type: 'datetime', fieldName: 'updated_at' },
    finishedAt: { type: 'datetime', nullable: true, fieldName: 'finished_at' },
    error: { type: 'text', nullable: true },
  },
});
