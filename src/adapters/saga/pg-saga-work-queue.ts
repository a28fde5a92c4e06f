import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { SagaClaim, SagaLock, SagaRelease, SagaWorkQueue } from '../../application/saga/saga.ports.js';

/** Advisory-lock namespace of per-saga worker locks (1: event store streams, 2: projection leases). */
const SAGA_LOCK_NAMESPACE = 3;
/** Leases of sagas whose work row is gone (finished, by a worker that died before deleting its lease) are pruned this often. */
const PRUNE_EVERY_MS = 5 * 60_000;

/**
 * The workers' queue: due rows of `saga_work` (the projection's table, which workers only read and
 * row-lock while claiming) leased in `saga_leases` (the workers' own table) with FOR UPDATE SKIP
 * LOCKED. The per-saga lock is a session advisory lock on a connection of the worker's own, so it
 * dies with a crashed worker at once, while its lease runs out in its own time.
 */
export class PgSagaWorkQueue implements SagaWorkQueue {
  private prunedAt = 0;

  constructor(
    private readonly orm: MikroORM,
    private readonly databaseUrl: string,
  ) {}

  async claim(owner: string, leaseMs: number): Promise<SagaClaim | null> {
    // due, not leased (or its lease ran out), and not given back until later unless the saga moved on
    // since; interrupted: the lease before this one was never given back and the saga did not move
    // since it was taken (its claimer died, or lost its lease, mid-action)
    const rows = await this.execute<{ saga_id: string; revision_seen: number; interrupted: boolean }>(
      `with due as (
         select w.saga_id, w.revision_seen, coalesce(l.owner is not null and l.revision_claimed = w.revision_seen, false) as interrupted
           from saga_work w left join saga_leases l on l.saga_id = w.saga_id
          where w.due_at <= now()
            and (l.saga_id is null or l.lease_until is null or l.lease_until < now())
            and (l.not_before is null or l.not_before <= now() or w.revision_seen > coalesce(l.revision_released, -1))
          order by w.due_at
          limit 1
          for update of w skip locked
       ), leased as (
         insert into saga_leases as l (saga_id, owner, lease_until, revision_claimed)
         select saga_id, ?, now() + (? * interval '1 millisecond'), revision_seen from due
         on conflict (saga_id) do update
           set owner = excluded.owner, lease_until = excluded.lease_until, revision_claimed = excluded.revision_claimed, not_before = null, revision_released = null
           where l.lease_until is null or l.lease_until < now()
         returning l.saga_id
       )
       select due.saga_id, due.revision_seen, due.interrupted from due join leased using (saga_id)`,
      [owner, leaseMs],
    );
    const row = rows[0];
    if (!row) {
      await this.pruneNowAndThen();
      return null;
    }
    return { sagaId: row.saga_id, revisionSeen: Number(row.revision_seen), interrupted: row.interrupted };
  }

  async extend(sagaId: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.execute<{ saga_id: string }>(
      `update saga_leases set lease_until = now() + (? * interval '1 millisecond') where saga_id = ? and owner = ? returning saga_id`,
      [leaseMs, sagaId, owner],
    );
    return rows.length > 0;
  }

  /**
   * Gives the row back, not due before `dueAt` unless the saga moves past `revision`. A finished
   * saga's is given back for good: its work row stays due until the projection has folded the end
   * in and deleted it (or, for a failed saga, until an operator's retry moves it on), and without
   * this every worker would claim it in that time only to find nothing to do. The lease row goes
   * with the prune, once the work row has.
   */
  async release(sagaId: string, owner: string, { dueAt, revision, finished }: SagaRelease): Promise<void> {
    await this.execute('update saga_leases set owner = null, lease_until = null, not_before = ?, revision_released = ? where saga_id = ? and owner = ?', [
      finished ? 'infinity' : dueAt,
      revision,
      sagaId,
      owner,
    ]);
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

  /** Given-back or dead leases of sagas with no work left: what a worker that died after finishing left. */
  private async pruneNowAndThen(): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    await this.execute(
      `delete from saga_leases l where (l.owner is null or l.lease_until < now()) and not exists (select 1 from saga_work w where w.saga_id = l.saga_id)`,
      [],
    );
  }

  private execute<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.orm.em.getConnection().execute<Row[]>(sql, [...params], 'all');
  }
}
