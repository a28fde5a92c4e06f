import type { MikroORM } from '@mikro-orm/postgresql';
import type { DetectionInput, DriftReadModel } from '../../application/drift/drift.ports.js';
import type { InventoryEntry, InventorySnapshot } from '../../application/inventory/inventory.ports.js';
import type { OpenDrift } from '../../domain/drift/spec.decider.js';
import { InvalidInput } from '../../domain/errors.js';
import { RESOURCE_FIELDS } from '../../domain/inventory/resource.js';
import type { DriftStatus } from '../../projections/drift/cloud-drift.entity.js';
import { cursorText, cursorTimestamp, keysetCursor, keysetTimestamp } from '../persistence/keyset-cursor.js';

/**
 * True when a spec (p) provably matches its live row (r) and has no drift open: every spec value is
 * a string, or for `tags` a list of strings (spec_plain, a generated column), and each equals the
 * live value exactly — a column for the resource's fields, `attrs` for the rest, `tags` as the same
 * list or by containment both ways. Exact equality of strings, and of lists of strings as sets, is
 * the loose equality too, so a row this proves unchanged has no mismatch under the domain's
 * comparison; anything it cannot prove (numbers, nulls, objects, a missing value) it leaves to the
 * domain. Built from RESOURCE_FIELDS (without `tags` there, `field !== 'tags'` stops compiling);
 * jsonb_exists is the `?` operator, which would read as a parameter. Checked against the domain
 * comparison on generated specs in test/integration/detection-prefilter.spec.ts.
 */
const PROVEN_UNCHANGED = [
  'p.spec_plain',
  "p.open_drift = '[]'",
  ...RESOURCE_FIELDS.filter((field) => field !== 'tags').map((field) => `coalesce(p.spec ->> '${field}' = r.${field}, not jsonb_exists(p.spec, '${field}'))`),
  "(not jsonb_exists(p.spec, 'tags') or p.spec -> 'tags' = r.tags or (p.spec -> 'tags' @> r.tags and r.tags @> (p.spec -> 'tags')))",
  `r.attrs @> (p.spec - '{${RESOURCE_FIELDS.join(',')}}'::text[])`,
].join(' and ');

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

export interface SpecView {
  readonly resourceId: string;
  readonly spec: Record<string, unknown>;
  readonly specVersion: number;
  readonly recordedAt: string;
  readonly recordedBy: string;
  /** Set once the resource is gone and its spec removed. */
  readonly removedAt: string | null;
}

export interface DriftView {
  readonly id: string;
  readonly resourceId: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly status: DriftStatus;
  readonly specVersion: number;
  readonly detectedAt: string;
  readonly detectedBy: string;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly revertSagaId: string | null;
  readonly revertError: string | null;
}

/** An open drift with the resource it is on (null when the inventory has no row for it). */
export interface OpenDriftView extends DriftView {
  readonly resource: ResourceView | null;
}

export interface ResourceFilter {
  readonly managed?: boolean;
  readonly status?: string;
  readonly tag?: string;
  readonly region?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

type Timestamp = Date | string;

interface ResourceRow {
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

interface DriftRow {
  id: string;
  resource_id: string;
  field: string;
  expected: unknown;
  actual: unknown;
  status: DriftStatus;
  spec_version: number;
  detected_at: Timestamp;
  detected_by: string;
  resolved_at: Timestamp | null;
  resolved_by: string | null;
  revert_saga_id: string | null;
  revert_error: string | null;
}

const RESOURCE_COLUMNS = [
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

const resourceCursor = keysetCursor(cursorText);
const driftCursor = keysetCursor(cursorTimestamp, cursorText);

const iso = (value: Timestamp): string => new Date(value).toISOString();
const isoOrNull = (value: Timestamp | null): string | null => (value === null ? null : iso(value));

function toResource(r: ResourceRow): ResourceView {
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

function toDrift(r: DriftRow): DriftView {
  return {
    id: r.id,
    resourceId: r.resource_id,
    field: r.field,
    expected: r.expected,
    actual: r.actual,
    status: r.status,
    specVersion: r.spec_version,
    detectedAt: iso(r.detected_at),
    detectedBy: r.detected_by,
    resolvedAt: isoOrNull(r.resolved_at),
    resolvedBy: r.resolved_by,
    revertSagaId: r.revert_saga_id,
    revertError: r.revert_error,
  };
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidInput([{ path: 'query.limit', message: 'must be a whole number of at least 1' }]);
}

/**
 * The inventory, spec and drift read models (`cloud_resources`, `cloud_provisioned`, `cloud_drift`)
 * as plain JSON-ready objects. Lists are keyset-paginated.
 */
export class PgInventoryReadModel implements InventorySnapshot, DriftReadModel {
  constructor(private readonly orm: MikroORM) {}

  /** Resources in `resource_id` order; `tag` matches one element of the tags array. */
  async listResources(filter: ResourceFilter): Promise<Page<ResourceView>> {
    checkLimit(filter.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const equals = { managed: filter.managed, status: filter.status, region: filter.region };
    for (const [column, value] of Object.entries(equals)) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.tag !== undefined) {
      where.push('tags @> ?::jsonb');
      params.push(JSON.stringify([filter.tag]));
    }
    if (filter.cursor !== undefined) {
      const [after] = resourceCursor.decode(filter.cursor);
      where.push('resource_id > ?');
      params.push(after);
    }
    const rows = await this.query<ResourceRow>(
      `select ${RESOURCE_COLUMNS.join(', ')} from cloud_resources ${where.length ? `where ${where.join(' and ')}` : ''}
       order by resource_id limit ?`,
      [...params, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    return {
      items: page.map(toResource),
      nextCursor: rows.length > filter.limit ? resourceCursor.encode([page[page.length - 1]!.resource_id]) : null,
    };
  }

  async getResource(resourceId: string): Promise<ResourceView | null> {
    const [row] = await this.query<ResourceRow>(`select ${RESOURCE_COLUMNS.join(', ')} from cloud_resources where resource_id = ?`, [resourceId]);
    return row ? toResource(row) : null;
  }

  async getSpec(resourceId: string): Promise<SpecView | null> {
    const [row] = await this.query<{
      resource_id: string;
      spec: Record<string, unknown>;
      spec_version: number;
      recorded_at: Timestamp;
      recorded_by: string;
      removed_at: Timestamp | null;
    }>('select resource_id, spec, spec_version, recorded_at, recorded_by, removed_at from cloud_provisioned where resource_id = ?', [resourceId]);
    if (!row) return null;
    return {
      resourceId: row.resource_id,
      spec: row.spec,
      specVersion: row.spec_version,
      recordedAt: iso(row.recorded_at),
      recordedBy: row.recorded_by,
      removedAt: isoOrNull(row.removed_at),
    };
  }

  /** The open-drift inbox, newest first, each drift with its resource (one query). */
  async listOpenDrift(filter: { readonly limit: number; readonly cursor?: string }): Promise<Page<OpenDriftView>> {
    checkLimit(filter.limit);
    const where = [`d.status = 'open'`];
    const params: unknown[] = [];
    if (filter.cursor !== undefined) {
      const [detectedAt, id] = driftCursor.decode(filter.cursor);
      where.push('(d.detected_at, d.id) < (?::timestamptz, ?)');
      params.push(detectedAt, id);
    }
    // the resource's columns come prefixed `r_`, all null when the inventory has no row for it
    const rows = await this.query<DriftRow & Record<string, unknown>>(
      `select d.*, ${keysetTimestamp('d.detected_at')} as cursor_at, ${RESOURCE_COLUMNS.map((c) => `r.${c} as r_${c}`).join(', ')}
       from cloud_drift d left join cloud_resources r on r.resource_id = d.resource_id
       where ${where.join(' and ')}
       order by d.detected_at desc, d.id desc limit ?`,
      [...params, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => {
        const resource = Object.fromEntries(RESOURCE_COLUMNS.map((c) => [c, row[`r_${c}`]])) as unknown as ResourceRow;
        return { ...toDrift(row), resource: row.r_resource_id === null ? null : toResource(resource) };
      }),
      nextCursor: rows.length > filter.limit && last ? driftCursor.encode([String(last.cursor_at), last.id]) : null,
    };
  }

  /** Every resource the inventory holds (deleted ones too), for a sync to compare a listing with: one query. */
  async allResources(): Promise<InventoryEntry[]> {
    const rows = await this.query<ResourceRow>(`select ${RESOURCE_COLUMNS.join(', ')} from cloud_resources`, []);
    return rows.map((r) => ({
      resourceId: r.resource_id,
      state: {
        provider: 'digitalocean',
        kind: 'droplet',
        providerId: r.provider_id,
        name: r.name,
        region: r.region,
        size_slug: r.size_slug,
        status: r.status,
        tags: r.tags,
        attrs: r.attrs,
      },
      deleted: r.deleted_at !== null,
      streamRevision: BigInt(r.stream_revision),
      lastSeenAt: new Date(r.last_seen_at),
    }));
  }

  async driftResource(driftId: string): Promise<string | null> {
    const [row] = await this.query<{ resource_id: string }>('select resource_id from cloud_drift where id = ?', [driftId]);
    return row?.resource_id ?? null;
  }

  async getDrift(id: string): Promise<DriftView | null> {
    const [row] = await this.query<DriftRow>('select * from cloud_drift where id = ?', [id]);
    return row ? toDrift(row) : null;
  }

  /**
   * What a drift-detection run needs, in one set-based statement: how many specs it covers, and
   * every spec that may differ from its live row or has drift open, with the live row, the open
   * drift and the spec stream's revision. The rest are left out by an exact comparison (see
   * PROVEN_UNCHANGED), so the run reads a few rows, not all of them; the loose comparison itself
   * stays in the domain, which decides for every row returned.
   */
  async detectionInput(): Promise<DetectionInput> {
    const rows = await this.query<
      Pick<ResourceRow, 'name' | 'region' | 'size_slug' | 'status' | 'tags' | 'attrs'> & {
        checked: string;
        resource_id: string | null;
        spec: Record<string, unknown>;
        spec_version: number;
        stream_revision: string;
        open: OpenDrift[];
      }
    >(
      `with covered as (
         select count(*) as checked from cloud_provisioned p
          where p.removed_at is null
            and not exists (select 1 from cloud_resources r where r.resource_id = p.resource_id and r.status = 'deleted')
       )
       select covered.checked::text as checked, c.*
         from covered
         left join lateral (
           select p.resource_id, p.spec, p.spec_version, p.stream_revision::text as stream_revision, p.open_drift as open,
                  r.name, r.region, r.size_slug, r.status, r.tags, r.attrs
             from cloud_provisioned p
             join cloud_resources r on r.resource_id = p.resource_id
            where p.removed_at is null and r.status <> 'deleted' and not coalesce(${PROVEN_UNCHANGED}, false)
            order by p.resource_id
         ) c on true`,
      [],
    );
    return {
      checked: Number(rows[0]?.checked ?? 0),
      rows: rows.flatMap((r) =>
        r.resource_id === null
          ? []
          : [
              {
                resourceId: r.resource_id,
                spec: r.spec,
                specVersion: r.spec_version,
                streamRevision: r.stream_revision,
                live: { name: r.name, region: r.region, size_slug: r.size_slug, status: r.status, tags: r.tags, attrs: r.attrs },
                open: r.open,
              },
            ],
      ),
    };
  }

  private query<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.orm.em.getConnection().execute<T[]>(sql, [...params], 'all');
  }
}
