import type { MikroORM } from '@mikro-orm/postgresql';
import type { SagaListFilter, SagaReadModel, SagaRunSummary } from '../../application/saga/saga.ports.js';
import { decodeCursor, encodeCursor } from '../persistence/keyset-cursor.js';

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
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  error: string | null;
}

/** `saga_runs`, newest first, keyset-paginated by (started_at, id). */
export class PgSagaReadModel implements SagaReadModel {
  constructor(private readonly orm: MikroORM) {}

  async list(filter: SagaListFilter): Promise<{ items: SagaRunSummary[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const equals = { status: filter.status, kind: filter.kind, deployment_id: filter.deploymentId };
    for (const [column, value] of Object.entries(equals)) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.cursor) {
      const [startedAt, id] = decodeCursor(filter.cursor, 2, ([at]) => !Number.isNaN(Date.parse(at!)));
      where.push('(started_at, id) < (?::timestamptz, ?)');
      params.push(startedAt, id);
    }
    const rows = await this.orm.em.getConnection().execute<Row[]>(
      `select * from saga_runs ${where.length ? `where ${where.join(' and ')}` : ''} order by started_at desc, id desc limit ?`,
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
        startedAt: new Date(r.started_at).toISOString(),
        updatedAt: new Date(r.updated_at).toISOString(),
        finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
        error: r.error,
      })),
      nextCursor: rows.length > filter.limit && last ? encodeCursor([last.started_at.toISOString(), last.id]) : null,
    };
  }
}
