import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { SagaClaim, SagaLock, SagaWorkQueue } from '../../application/saga/saga.ports.js';

/** Advisory-lock namespace of per-saga worker locks (1: event store streams, 2: projection leases). */
const SAGA_LOCK_NAMESPACE = 3;

/**
 * The `saga_work` table as the workers' queue: claims with FOR UPDATE SKIP LOCKED and a lease; the
 * per-saga lock is a session advisory lock on a connection of the worker's own, so it dies with a
 * crashed worker at once while its lease runs out in its own time.
 */
export class PgSagaWorkQueue implements SagaWorkQueue {
  constructor(
    private readonly orm: MikroORM,
    private readonly databaseUrl: string,
  ) {}

  async claim(owner: string, leaseMs: number): Promise<SagaClaim | null> {
    // a lease owner still set on an expired row: its claimer never released it (a release, or a new
    // event through the projection, clears the owner), so it was interrupted mid-action
    const rows = await this.orm.em.getConnection().execute<{ saga_id: string; revision_seen: number; interrupted: boolean }[]>(
      `update saga_work w set lease_owner = ?, lease_until = now() + (? * interval '1 millisecond')
       from (
         select saga_id, lease_owner is not null as interrupted from saga_work
         where due_at <= now() and (lease_until is null or lease_until < now())
         order by due_at limit 1 for update skip locked) due
       where w.saga_id = due.saga_id
       returning w.saga_id, w.revision_seen, due.interrupted`,
      [owner, leaseMs],
      'all',
    );
    const row = rows[0];
    return row ? { sagaId: row.saga_id, revisionSeen: Number(row.revision_seen), interrupted: row.interrupted } : null;
  }

  async extend(sagaId: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.orm.em.getConnection().execute<{ saga_id: string }[]>(
      `update saga_work set lease_until = now() + (? * interval '1 millisecond') where saga_id = ? and lease_owner = ? returning saga_id`,
      [leaseMs, sagaId, owner],
      'all',
    );
    return rows.length > 0;
  }

  async release(sagaId: string, owner: string, dueAt: Date): Promise<void> {
    await this.orm.em.getConnection().execute(
      'update saga_work set lease_owner = null, lease_until = null, due_at = ? where saga_id = ? and lease_owner = ?',
      [dueAt, sagaId, owner],
      'run',
    );
  }

  async openLock(): Promise<SagaLock> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    let broken = false;
    client.on('error', () => {
      broken = true;
    });
    await client.connect();
    return {
      async tryLock(sagaId) {
        if (broken) throw new Error('saga lock connection lost');
        const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [SAGA_LOCK_NAMESPACE, sagaId]);
        return rows[0]?.ok === true;
      },
      async unlock(sagaId) {
        if (broken) return;
        await client.query('select pg_advisory_unlock($1, hashtext($2))', [SAGA_LOCK_NAMESPACE, sagaId]);
      },
      async close() {
        await client.end().catch(() => undefined);
      },
    };
  }
}
