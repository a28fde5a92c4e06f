import type { MikroORM } from '@mikro-orm/postgresql';
import type { DriftLookup } from '../../application/drift/drift.ports.js';
import type { DriftStatus } from '../../projections/drift/cloud-drift.entity.js';
import { cursorText, cursorTimestamp, keysetCursor, keysetTimestamp } from '../persistence/keyset-cursor.js';
import { checkLimit, iso, isoOrNull, type Page, queryRows, type Timestamp } from './read-model-sql.js';
import { RESOURCE_COLUMNS, type ResourceRow, type ResourceView, toResource } from './resource-row.js';

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

const driftCursor = keysetCursor(cursorTimestamp, cursorText);

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

/** Drift as operators see it (`cloud_drift`): the open-drift inbox, one drift, and the resource a drift is on. */
export class PgDriftInbox implements DriftLookup {
  constructor(private readonly orm: MikroORM) {}

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
    const rows = await queryRows<DriftRow & Record<string, unknown>>(
      this.orm,
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

  async getDrift(id: string): Promise<DriftView | null> {
    const [row] = await queryRows<DriftRow>(this.orm, 'select * from cloud_drift where id = ?', [id]);
    return row ? toDrift(row) : null;
  }

  async driftResource(driftId: string): Promise<string | null> {
    const [row] = await queryRows<{ resource_id: string }>(this.orm, 'select resource_id from cloud_drift where id = ?', [driftId]);
    return row?.resource_id ?? null;
  }
}
