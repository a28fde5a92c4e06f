import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { DriftLookup } from '../../application/drift/drift.ports.js';
import { type DriftStatus } from '../../projections/drift/cloud-drift.entity.js';
import { cursorText, cursorTimestamp, keysetCursor, keysetTimestamp } from '../persistence/keyset-cursor.js';
import { NotFound } from '../../domain/errors.js';
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
  /** The policy it is, or was last, ignored under. */
  readonly policyId: string | null;
  /** While ignored: when its policy ends. */
  readonly ignoredUntil: string | null;
}

/** A drift with the resource it is on (null when the inventory has no row for it). */
export interface DriftWithResourceView extends DriftView {
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
  policy_id: string | null;
  ignored_until: Timestamp | null;
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
    policyId: r.policy_id,
    ignoredUntil: isoOrNull(r.ignored_until),
  };
}

/** Which drift a list holds: a status (`all` for every one) and optionally one resource or field. */
export interface DriftFilter {
  readonly status: DriftStatus | 'all';
  readonly resourceId?: string;
  readonly field?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** Open drift with one cause: the same field, spec value and live value, on as many resources. */
export interface DriftGroupView {
  readonly groupId: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly count: number;
  readonly oldestDetectedAt: string;
  readonly newestDetectedAt: string;
}

export class DriftGroupNotFound extends NotFound {
  override readonly name = 'DriftGroupNotFound';
  override readonly code = 'drift_group_not_found';
}

/**
 * A group's id: the first 20 hex digits of the sha256 of `[field, expected, actual]` as jsonb
 * prints it — keys sorted and spaced one way, so the same cause has the same id from any page,
 * any process, any day, as long as it is open.
 */
const GROUP_ID = `left(encode(sha256(convert_to(jsonb_build_array(d.field, d.expected, d.actual)::text, 'UTF8')), 'hex'), 20)`;
export const GROUP_ID_PATTERN = /^[0-9a-f]{20}$/;

const driftCursor = keysetCursor(cursorTimestamp, cursorText);
const groupCursor = keysetCursor(z.string().regex(/^\d{1,12}$/), z.string().regex(GROUP_ID_PATTERN));

type Joined = DriftRow & Record<string, unknown>;

/** The resource's columns come prefixed `r_`, all null when the inventory has no row for it. */
const JOINED_SELECT = `select d.*, ${keysetTimestamp('d.detected_at')} as cursor_at, ${RESOURCE_COLUMNS.map((c) => `r.${c} as r_${c}`).join(', ')}
       from cloud_drift d left join cloud_resources r on r.resource_id = d.resource_id`;

function withResource(row: Joined): DriftWithResourceView {
  const resource = Object.fromEntries(RESOURCE_COLUMNS.map((c) => [c, row[`r_${c}`]])) as unknown as ResourceRow;
  return { ...toDrift(row), resource: row.r_resource_id === null ? null : toResource(resource) };
}

/** Drift as operators see it (`cloud_drift`): the inbox and every closed drift, one drift, drift grouped by cause. */
export class PgDriftInbox implements DriftLookup {
  constructor(private readonly orm: MikroORM) {}

  /** The open-drift inbox, newest first, each drift with its resource. */
  listOpenDrift(page: { readonly limit: number; readonly cursor?: string }): Promise<Page<DriftWithResourceView>> {
    return this.listDrift({ ...page, status: 'open' });
  }

  /** Drift of a status (or all), on a resource or a field, newest first, each with its resource (one query). */
  async listDrift(filter: DriftFilter): Promise<Page<DriftWithResourceView>> {
    checkLimit(filter.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== 'all') {
      where.push('d.status = ?');
      params.push(filter.status);
    }
    if (filter.resourceId !== undefined) {
      where.push('d.resource_id = ?');
      params.push(filter.resourceId);
    }
    if (filter.field !== undefined) {
      where.push('d.field = ?');
      params.push(filter.field);
    }
    if (filter.cursor !== undefined) {
      const [detectedAt, id] = driftCursor.decode(filter.cursor);
      where.push('(d.detected_at, d.id) < (?::timestamptz, ?)');
      params.push(detectedAt, id);
    }
    const rows = await queryRows<Joined>(
      this.orm,
      `${JOINED_SELECT} ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
       order by d.detected_at desc, d.id desc limit ?`,
      [...params, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(withResource),
      nextCursor: rows.length > filter.limit && last ? driftCursor.encode([String(last.cursor_at), last.id]) : null,
    };
  }

  async getDrift(id: string): Promise<DriftView | null> {
    const [row] = await queryRows<DriftRow>(this.orm, 'select * from cloud_drift where id = ?', [id]);
    return row ? toDrift(row) : null;
  }

  /** One drift, whatever its status, with its resource. */
  async getDriftWithResource(id: string): Promise<DriftWithResourceView | null> {
    const [row] = await queryRows<Joined>(this.orm, `${JOINED_SELECT} where d.id = ?`, [id]);
    return row ? withResource(row) : null;
  }

  async driftResource(driftId: string): Promise<string | null> {
    const [row] = await queryRows<{ resource_id: string }>(this.orm, 'select resource_id from cloud_drift where id = ?', [driftId]);
    return row?.resource_id ?? null;
  }

  /** Open drift grouped by cause, the largest groups first. */
  async listGroups(page: { readonly limit: number; readonly cursor?: string }): Promise<Page<DriftGroupView>> {
    checkLimit(page.limit);
    const params: unknown[] = [];
    let after = '';
    if (page.cursor !== undefined) {
      const [count, groupId] = groupCursor.decode(page.cursor);
      after = 'where (-g.count, g.group_id) > (-?::bigint, ?)';
      params.push(count, groupId);
    }
    const rows = await queryRows<{ group_id: string; field: string; expected: unknown; actual: unknown; count: string; oldest: Timestamp; newest: Timestamp }>(
      this.orm,
      `select * from (
         select ${GROUP_ID} as group_id, d.field, d.expected, d.actual, count(*) as count, min(d.detected_at) as oldest, max(d.detected_at) as newest
           from cloud_drift d where d.status = 'open'
          group by 1, 2, 3, 4) g
        ${after}
        order by g.count desc, g.group_id asc limit ?`,
      [...params, page.limit + 1],
    );
    const items = rows.slice(0, page.limit).map((r) => ({
      groupId: r.group_id,
      field: r.field,
      expected: r.expected,
      actual: r.actual,
      count: Number(r.count),
      oldestDetectedAt: iso(r.oldest),
      newestDetectedAt: iso(r.newest),
    }));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > page.limit && last ? groupCursor.encode([String(last.count), last.groupId]) : null };
  }

  /**
   * The open drift of a group, oldest first, at most `limit` of them: what a group action touches,
   * the same list for its dry run and its real run. DriftGroupNotFound when none is open.
   */
  /** Of `driftIds`, those still open in the group (the frozen list a confirmed bulk action acts on). */
  async groupItemsAmong(groupId: string, driftIds: readonly string[]): Promise<{ driftId: string; resourceId: string }[]> {
    const rows = await queryRows<{ id: string; resource_id: string }>(
      this.orm,
      `select d.id, d.resource_id from cloud_drift d where d.status = 'open' and ${GROUP_ID} = ? and d.id in (select jsonb_array_elements_text(?::jsonb)) order by d.detected_at asc, d.id asc`,
      [groupId, JSON.stringify(driftIds)],
    );
    return rows.map((r) => ({ driftId: r.id, resourceId: r.resource_id }));
  }

  async groupItems(groupId: string, limit: number): Promise<{ items: { driftId: string; resourceId: string }[]; more: boolean }> {
    checkLimit(limit);
    const rows = await queryRows<{ id: string; resource_id: string }>(
      this.orm,
      `select d.id, d.resource_id from cloud_drift d where d.status = 'open' and ${GROUP_ID} = ? order by d.detected_at asc, d.id asc limit ?`,
      [groupId, limit + 1],
    );
    if (rows.length === 0) throw new DriftGroupNotFound(`no open drift in group ${groupId}`);
    return { items: rows.slice(0, limit).map((r) => ({ driftId: r.id, resourceId: r.resource_id })), more: rows.length > limit };
  }
}
