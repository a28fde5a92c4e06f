import pg from 'pg';
import type { SagaClaim, SagaRelease, SagaWorkerSession, SagaWorkQueue } from '../../application/saga/saga.ports.js';

/** Advisory-lock namespace of per-saga worker locks (1: event store streams, 2: projection leases). */
const SAGA_LOCK_NAMESPACE = 3;
/** Leases of sagas whose work row is gone (finished, by a worker that died before deleting its lease) are pruned this often. */
const PRUNE_EVERY_MS = 5 * 60_000;

/**
 * Gives a claim back: the lease ($4, if still owner $1's) with when to look again ($2) and the
 * revision it was left at ($3), and, when the claim took it ($5), the saga's lock. The first
 * parameters of RELEASE and of CLAIM, which gives the worker's last claim back as it claims.
 */
const GIVE_BACK = `released as (
           update saga_leases set owner = null, lease_until = null, not_before = $2, revision_released = $3 where saga_id = $4 and owner = $1
         ), unlocked as (
           select case when $5::boolean then pg_advisory_unlock(${SAGA_LOCK_NAMESPACE}, hashtext($4)) end as unlocked
         )`;

/**
 * A claim for lease length $6: due, not leased (or its lease ran out), and not given back until later
 * unless the saga moved on since; interrupted when the lease before this one was never given back and
 * the saga did not move since it was taken (its claimer died, or lost its lease, mid-action). The
 * claimed saga's lock is tried in the same statement, for the one row claimed. The worker's last
 * claim ($4, or null) is given back in the same statement and is not claimed again by it (the
 * statement sees its lease as before; two changes to one lease row in a statement would clash).
 */
const CLAIM: pg.QueryConfig = {
  name: 'cloudledger_saga_claim',
  text: `with ${GIVE_BACK}, due as (
           select w.saga_id, w.revision_seen, coalesce(l.owner is not null and l.revision_claimed = w.revision_seen, false) as interrupted
             from saga_work w left join saga_leases l on l.saga_id = w.saga_id
            where w.due_at <= now()
              and (l.saga_id is null or l.lease_until is null or l.lease_until < now())
              and (l.not_before is null or l.not_before <= now() or w.revision_seen > coalesce(l.revision_released, -1))
              and w.saga_id is distinct from $4
            order by w.due_at
            limit 1
            for update of w skip locked
         ), leased as (
           insert into saga_leases as l (saga_id, owner, lease_until, revision_claimed)
           select saga_id, $1, now() + ($6 * interval '1 millisecond'), revision_seen from due
           on conflict (saga_id) do update
             set owner = excluded.owner, lease_until = excluded.lease_until, revision_claimed = excluded.revision_claimed, not_before = null, revision_released = null
             where l.lease_until is null or l.lease_until < now()
           returning l.saga_id
         )
         select due.saga_id, due.revision_seen, due.interrupted,
                case when due.saga_id is not null then pg_try_advisory_lock(${SAGA_LOCK_NAMESPACE}, hashtext(due.saga_id)) end as locked
           from unlocked left join (due join leased using (saga_id)) on true`,
};

/** Gives a claim back on its own (a worker that stops). */
const RELEASE: pg.QueryConfig = {
  name: 'cloudledger_saga_release',
  text: `with ${GIVE_BACK} select unlocked from unlocked`,
};

const EXTEND: pg.QueryConfig = {
  name: 'cloudledger_saga_extend',
  text: `update saga_leases set lease_until = now() + ($1 * interval '1 millisecond') where saga_id = $2 and owner = $3 returning saga_id`,
};

/** Given-back or dead leases of sagas with no work left: what a worker that died after finishing left. */
const PRUNE: pg.QueryConfig = {
  name: 'cloudledger_saga_prune',
  text: `delete from saga_leases l where (l.owner is null or l.lease_until < now()) and not exists (select 1 from saga_work w where w.saga_id = l.saga_id)`,
};

/**
 * GIVE_BACK's parameters after the owner: not before, revision released, saga, and whether to let go of its lock.
 * A finished saga's row is given back for good: its work row stays due until the projection has
 * folded the end in and deleted it (or, for a failed saga, until an operator's retry moves it on),
 * and without this every worker would claim it in that time only to find nothing to do. The lease
 * row goes with the prune, once the work row has.
 */
function giveBackValues(claim: SagaClaim, { dueAt, revision, finished }: SagaRelease): [Date | 'infinity', number, string, boolean] {
  return [finished ? 'infinity' : dueAt, revision, claim.sagaId, claim.locked];
}

/**
 * The workers' queue: due rows of `saga_work` (the projection's table, which workers only read and
 * row-lock while claiming) leased in `saga_leases` (the workers' own table) with FOR UPDATE SKIP
 * LOCKED. Each worker's session is a connection of its own: a claim takes the saga's lock (a session
 * advisory lock) in the same round trip, a release lets it go in the same round trip, and the lock
 * dies with a crashed worker's connection at once, while its lease runs out in its own time.
 */
export class PgSagaWorkQueue implements SagaWorkQueue {
  private prunedAt = 0;

  constructor(private readonly databaseUrl: string) {}

  async openSession(owner: string): Promise<SagaWorkerSession> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    let broken = false;
    client.on('error', () => {
      broken = true;
    });
    await client.connect();
    const query = async <Row extends pg.QueryResultRow>(config: pg.QueryConfig, values: unknown[]): Promise<Row[]> => {
      if (broken) throw new Error('saga work queue connection lost');
      return (await client.query<Row>({ ...config, values })).rows;
    };
    return {
      claim: async (leaseMs, giveBack) => {
        const back = giveBack ? giveBackValues(giveBack.claim, giveBack.release) : [null, null, null, false];
        const [row] = await query<{ saga_id: string | null; revision_seen: string; interrupted: boolean; locked: boolean }>(CLAIM, [owner, ...back, leaseMs]);
        if (!row?.saga_id) {
          await this.pruneNowAndThen(query);
          return null;
        }
        return { sagaId: row.saga_id, revisionSeen: Number(row.revision_seen), interrupted: row.interrupted, locked: row.locked };
      },
      extend: async (sagaId, leaseMs) => (await query(EXTEND, [leaseMs, sagaId, owner])).length > 0,
      release: async (claim, release) => {
        await query(RELEASE, [owner, ...giveBackValues(claim, release)]);
      },
      close: async () => {
        await client.end().catch(() => undefined);
      },
    };
  }

  /** Prunes leases left behind, at most every PRUNE_EVERY_MS. */
  private async pruneNowAndThen(query: (config: pg.QueryConfig, values: unknown[]) => Promise<unknown>): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    await query(PRUNE, []);
  }
}
