import { BigIntType, EntitySchema } from '@mikro-orm/core';

/**
 * `cloud_resource_events`: the per-resource audit log, one row per event of the resource's
 * `resource-` and `spec-` streams, keyed `<stream>@<revision>` so a replay writes the same row.
 */
export interface CloudResourceEventRow {
  id: string;
  resourceId: string;
  /** The event type in snake case: observed, changed, deleted, spec_recorded, spec_removed, drift_detected, … */
  event: string;
  before: unknown;
  after: unknown;
  /** Who saw or did it: sync | saga | drift_detection | operator | api. */
  source: string;
  actor: string;
  sagaId: string | null;
  driftId: string | null;
  correlationId: string;
  causationId: string | null;
  stream: string;
  /** Decimal string of the event's stream revision (bigint column). */
  revision: string;
  occurredAt: Date;
}

export const CloudResourceEventEntity = new EntitySchema<CloudResourceEventRow>({
  name: 'CloudResourceEvent',
  tableName: 'cloud_resource_events',
  properties: {
    id: { type: 'string', primary: true },
    resourceId: { type: 'string', fieldName: 'resource_id' },
    event: { type: 'string' },
    before: { type: 'json', nullable: true },
    after: { type: 'json', nullable: true },
    source: { type: 'string' },
    actor: { type: 'string' },
    sagaId: { type: 'string', nullable: true, fieldName: 'saga_id' },
    driftId: { type: 'string', nullable: true, fieldName: 'drift_id' },
    correlationId: { type: 'string', fieldName: 'correlation_id' },
    causationId: { type: 'string', nullable: true, fieldName: 'causation_id' },
    stream: { type: 'string' },
    revision: { type: new BigIntType('string') },
    occurredAt: { type: 'datetime', fieldName: 'occurred_at' },
  },
});
