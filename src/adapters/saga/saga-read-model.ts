import type { MikroORM } from '@mikro-orm/postgresql';
import type { SagaListFilter, SagaReadModel, SagaRunSummary } from '../../application/saga/saga.ports.js';
import { InvalidInput } from '../../domain/errors.js';

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

const encodeCursor = (row: Row): string => Buffer.from(JSON.stringify([row.started_at.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return [value[0], value[1]];
    }
  } catch {
    // reported below
  }
  throw new InvalidInput([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
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
      const [startedAt, id] = decodeCursor(filter.cursor);
      where.push('(started_at, id) < (?::timestamptz, ?)');
      params.push(startedAt, id);
    }
    const rows = await this.orm.em.getConnection().execute<Row[]>(
      `select * from saga_runs ${where.length ? `where ${where.join(' and ')}` : ''} order by started_at desc, id desc limit ?`,
      [...params, filter.limit + 1],
      'all',
    );
    const page = rows.slice(0, filter.limit);
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
      nextCursor: rows.length > filter.limit ? encodeCursor(page[page.length - 1]!) : null,
    };
  }
}
