import type { MikroORM } from '@mikro-orm/postgresql';
import type { InventoryEntry, InventorySnapshot } from '../../application/inventory/inventory.ports.js';
import { cursorText, keysetCursor } from '../persistence/keyset-cursor.js';
import { checkLimit, type Page, queryRows } from './read-model-sql.js';
import { RESOURCE_COLUMNS, type ResourceRow, type ResourceView, toResource } from './resource-row.js';

export interface ResourceFilter {
  readonly managed?: boolean;
  readonly status?: string;
  readonly tag?: string;
  readonly region?: string;
  readonly limit: number;
  readonly cursor?: string;
}

const resourceCursor = keysetCursor(cursorText);

/** The inventory (`cloud_resources`): what the API lists and shows, and what a sync compares a listing with. */
export class PgResourceReadModel implements InventorySnapshot {
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
    const rows = await queryRows<ResourceRow>(
      this.orm,
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
    const [row] = await queryRows<ResourceRow>(this.orm, `select ${RESOURCE_COLUMNS.join(', ')} from cloud_resources where resource_id = ?`, [resourceId]);
    return row ? toResource(row) : null;
  }

  /** How much of the fleet cloudledger manages, and how much drift is open: one query over the read models. */
  async fleetCounts(): Promise<{ resources: number; managed: number; openDrift: number }> {
    const [row] = await queryRows<{ resources: string; managed: string; open_drift: string }>(
      this.orm,
      `select count(*)::text as resources, count(*) filter (where managed)::text as managed,
              (select count(*) from cloud_drift where status = 'open')::text as open_drift
         from cloud_resources where deleted_at is null`,
      [],
    );
    return { resources: Number(row?.resources ?? 0), managed: Number(row?.managed ?? 0), openDrift: Number(row?.open_drift ?? 0) };
  }

  /** Every resource the inventory holds (deleted ones too), for a sync to compare a listing with: one query. */
  async allResources(): Promise<InventoryEntry[]> {
    const rows = await queryRows<ResourceRow>(this.orm, `select ${RESOURCE_COLUMNS.join(', ')} from cloud_resources`, []);
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
}
