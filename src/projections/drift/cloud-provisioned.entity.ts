import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { OpenDrift } from '../../domain/drift/spec.decider.js';

/**
 * `cloud_provisioned`: the current desired state (spec) of each resource and its version. A removed
 * spec (its resource destroyed) keeps its row, with `removed_at` set, so the stream revision stays.
 */
export interface CloudProvisionedRow {
  resourceId: string;
  spec: Record<string, unknown>;
  specVersion: number;
  /**
   * The spec stream's revision of its last event of any type, as a decimal string (bigint column):
   * writers that decide from this row append with it as the expected revision.
   */
  streamRevision: string;
  recordedAt: Date;
  /** The actor of the last SpecRecorded. */
  recordedBy: string;
  /** The time of the last spec-stream event. */
  updatedAt: Date;
  /** When the spec was removed (SpecRemoved); null while it is the resource's desired state. */
  removedAt: Date | null;
  /**
   * The drift open at `streamRevision`. Detection reads it with the revision from this one row:
   * taken from `cloud_drift` (another projection, another checkpoint) it could lag the revision,
   * and a second run would open a drift the first had just opened.
   */
  openDrift: OpenDrift[];
}

export const CloudProvisionedEntity = new EntitySchema<CloudProvisionedRow>({
  name: 'CloudProvisioned',
  tableName: 'cloud_provisioned',
  properties: {
    resourceId: { type: 'string', primary: true, fieldName: 'resource_id' },
    spec: { type: 'json' },
    specVersion: { type: 'integer', fieldName: 'spec_version' },
    streamRevision: { type: new BigIntType('string'), fieldName: 'stream_revision' },
    recordedAt: { type: 'datetime', fieldName: 'recorded_at' },
    recordedBy: { type: 'string', fieldName: 'recorded_by' },
    updatedAt: { type: 'datetime', fieldName: 'updated_at' },
    removedAt: { type: 'datetime', nullable: true, fieldName: 'removed_at' },
    openDrift: { type: 'json', fieldName: 'open_drift' },
  },
});
