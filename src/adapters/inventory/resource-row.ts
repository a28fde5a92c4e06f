import { iso, isoOrNull, type Timestamp } from './read-model-sql.js';

/** A resource as the inventory has it; dates are ISO strings, the revision a decimal string. */
export interface ResourceView {
  readonly resourceId: string;
  readonly provider: string;
  readonly kind: string;
  readonly providerId: string;
  readonly name: string;
  readonly region: string;
  readonly sizeSlug: string;
  readonly status: string;
  readonly tags: string[];
  readonly attrs: Record<string, unknown>;
  readonly managed: boolean;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly deletedAt: string | null;
  readonly streamRevision: string;
}

/** A `cloud_resources` row; the drift inbox joins it too. */
export interface ResourceRow {
  resource_id: string;
  provider: string;
  kind: string;
  provider_id: string;
  name: string;
  region: string;
  size_slug: string;
  status: string;
  tags: string[];
  attrs: Record<string, unknown>;
  managed: boolean;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  deleted_at: Timestamp | null;
  stream_revision: string | number;
}

export const RESOURCE_COLUMNS = [
  'resource_id',
  'provider',
  'kind',
  'provider_id',
  'name',
  'region',
  'size_slug',
  'status',
  'tags',
  'attrs',
  'managed',
  'first_seen_at',
  'last_seen_at',
  'deleted_at',
  'stream_revision',
] as const satisfies readonly (keyof ResourceRow)[];

export function toResource(r: ResourceRow): ResourceView {
  return {
    resourceId: r.resource_id,
    provider: r.provider,
    kind: r.kind,
    providerId: r.provider_id,
    name: r.name,
    region: r.region,
    sizeSlug: r.size_slug,
    status: r.status,
    tags: r.tags,
    attrs: r.attrs,
    managed: r.managed,
    firstSeenAt: iso(r.first_seen_at),
    lastSeenAt: iso(r.last_seen_at),
    deletedAt: isoOrNull(r.deleted_at),
    streamRevision: String(r.stream_revision),
  };
}
