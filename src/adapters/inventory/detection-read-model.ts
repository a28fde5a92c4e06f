import type { MikroORM } from '@mikro-orm/postgresql';
import type { DetectionInput, DetectionReadModel, SpecOf } from '../../application/drift/drift.ports.js';
import type { OpenDrift } from '../../domain/drift/spec.decider.js';
import { RESOURCE_FIELDS } from '../../domain/inventory/resource.js';
import { queryRows } from './read-model-sql.js';
import type { ResourceRow } from './resource-row.js';

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

/** A spec row as detection reads it. */
type SpecRowSql = {
  resource_id: string;
  spec: Record<string, unknown>;
  spec_version: number;
  stream_revision: string;
  open: OpenDrift[];
};

/** By resource id (code-unit order): a run appends, and reports, its drift in the same order every time. */
const byResourceId = (a: { resourceId: string }, b: { resourceId: string }): number => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0);

const toSpecOf = (r: SpecRowSql): SpecOf => ({ resourceId: r.resource_id, spec: r.spec, specVersion: r.spec_version, streamRevision: r.stream_revision, open: r.open });

/** What drift detection reads (`cloud_provisioned` joined with `cloud_resources`), prefiltered in SQL. */
export class PgDetectionReadModel implements DetectionReadModel {
  constructor(private readonly orm: MikroORM) {}

  /**
   * What a drift-detection run needs, in one set-based statement: how many specs it covers, and
   * every spec that may differ from its live row or has drift unresolved (a deleted resource's
   * too, so its drift closes), with the live row, the drift and the spec stream's revision. The
   * rest are left out by an exact comparison (see PROVEN_UNCHANGED), so the run reads a few rows,
   * not all of them; the loose comparison itself stays in the domain, which decides for every row
   * returned. The statement leaves the order out, so PostgreSQL may join the two tables in parallel
   * (an ordered merge join over their keys was a fifth slower at 1M); the few rows it returns are
   * sorted here.
   */
  async detectionInput(): Promise<DetectionInput> {
    const rows = await queryRows<Pick<ResourceRow, 'name' | 'region' | 'size_slug' | 'status' | 'tags' | 'attrs'> & { checked: string } & (SpecRowSql | { [K in keyof SpecRowSql]: null })>(
      this.orm,
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
            where p.removed_at is null
              and (r.status <> 'deleted' or p.open_drift <> '[]')
              and not coalesce(${PROVEN_UNCHANGED}, false)
         ) c on true`,
      [],
    );
    return {
      checked: Number(rows[0]?.checked ?? 0),
      rows: rows
        .flatMap((r) =>
          r.resource_id === null
            ? []
            : [{ ...toSpecOf(r), live: { name: r.name, region: r.region, size_slug: r.size_slug, status: r.status, tags: r.tags, attrs: r.attrs } }],
        )
        .sort(byResourceId),
    };
  }

  /** The current specs of these resources (none for a resource without one, or whose spec was removed). */
  async specsOf(resourceIds: readonly string[]): Promise<SpecOf[]> {
    if (resourceIds.length === 0) return [];
    const rows = await queryRows<SpecRowSql>(
      this.orm,
      `select resource_id, spec, spec_version, stream_revision::text as stream_revision, open_drift as open
         from cloud_provisioned
        where resource_id in (select jsonb_array_elements_text(?::jsonb)) and removed_at is null`,
      [JSON.stringify(resourceIds)],
    );
    return rows.map(toSpecOf);
  }
}
