import type { MikroORM } from '@mikro-orm/postgresql';
import type { SagaListFilter, SagaReadModel, SagaRunSummary } from '../../application/saga/saga.ports.js';
import { cursorText, cursorTimestamp, keysetCursor, keysetTimestamp } from '../persistence/keyset-cursor.js';

interface Row {
  id: string;
  kind: string;
  definition: string;
  version: number;
  status: string;
  current_step: string | null;
  deployment_id: string | null;
  triggered_by: string;
  cancel_requested_by: string | null;
  cancel_reason: string | null;
  resource_id: string | null;
  started_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
  error: string | null;
  /** The sort key's timestamp, to the microsecond, for the cursor. */
  cursor_at: string;
}

const cursor = keysetCursor(cursorTimestamp, cursorText);

/** `saga_runs`, newest first, keyset-paginated by (started_at, id). */
export class PgSagaReadModel implements SagaReadModel {
  constructor(private readonly orm: MikroORM) {}

  async list(filter: SagaListFilter): Promise<{ items: SagaRunSummary[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const equals = { status: filter.status, kind: filter.kind, deployment_id: filter.deploymentId, definition: filter.definition, resource_id: filter.resourceId };
    for (const [column, value] of Object.entries(equals)) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.startedAfter !== undefined) {
      where.push('started_at >= ?::timestamptz');
      params.push(filter.startedAfter);
    }
    if (filter.startedBefore !== undefined) {
      where.push('started_at < ?::timestamptz');
      params.push(filter.startedBefore);
    }
    if (filter.cursor) {
      const [startedAt, id] = cursor.decode(filter.cursor);
      where.push('(started_at, id) < (?::timestamptz, ?)');
      params.push(startedAt, id);
    }
    const rows = await this.orm.em.getConnection().execute<Row[]>(
      `select *, ${keysetTimestamp('started_at')} as cursor_at from saga_runs ${where.length ? `where ${where.join(' and ')}` : ''} order by started_at desc, id desc limit ?`,
      [...params, filter.limit + 1],
      'all',
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        id: r.id,
        kind: r.kind,
        definition: r.definition,
        version: r.version,
        status: r.status,
        currentStep: r.current_step,
        deploymentId: r.deployment_id,
        triggeredBy: r.triggered_by,
        cancelRequestedBy: r.cancel_requested_by,
        cancelReason: r.cancel_reason,
        resourceId: r.resource_id,
        startedAt: new Date(r.started_at).toISOString(),
        updatedAt: new Date(r.updated_at).toISOString(),
        finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
        error: r.error,
      })),
      nextCursor: rows.length > filter.limit && last ? cursor.encode([last.cursor_at, last.id]) : null,
    };
  }
}
