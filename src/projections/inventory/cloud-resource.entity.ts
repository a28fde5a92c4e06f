import { BigIntType, EntitySchema } from '@mikro-orm/core';

/**
 * `cloud_resources`: the inventory, one row per resource the provider has or had. A deleted
 * resource keeps its row (status `deleted`, `deleted_at` set) so its history stays reachable.
 */
export interface CloudResourceRow {
  resourceId: string;
  provider: string;
  kind: string;
  providerId: string;
  name: string;
  region: string;
  sizeSlug: string;
  /** The provider's status, or `deleted` once the resource is gone. */
  status: string;
  tags: string[];
  attrs: Record<string, unknown>;
  /** The tags carry MANAGED_TAG: this control plane created it. */
  managed: boolean;
  firstSeenAt: Date;
  /** The time of the last event about it (observation, change or deletion). */
  lastSeenAt: Date;
  deletedAt: Date | null;
  /** The resource stream's revision of the last event applied, as a decimal string (bigint column). */
  streamRevision: string;
}

export const CloudResourceEntity = new EntitySchema<CloudResourceRow>({
  name: 'CloudResource',
  tableName: 'cloud_resources',
  properties: {
    resourceId: { type: 'string', primary: true, fieldName: 'resource_id' },
    provider: { type: 'string' },
    kind: { type: 'string' },
    providerId: { type: 'string', fieldName: 'provider_id' },
    name: { type: 'string' },
    region: { type: 'string' },
    sizeSlug: { type: 'string', fieldName: 'size_slug' },
    status: { type: 'string' },
    tags: { type: 'json' },
    attrs: { type: 'json' },
    managed: { type: 'boolean' },
    firstSeenAt: { type: 'datetime', fieldName: 'first_seen_at' },
    lastSeenAt: { type: 'datetime', fieldName: 'last_seen_at' },
    deletedAt: { type: 'datetime', nullable: true, fieldName: 'deleted_at' },
    // string mode: rows read back (and toPOJO'd by the runner) and rows evolve writes have one type
    streamRevision: { type: new BigIntType('string'), fieldName: 'stream_revision' },
  },
});
