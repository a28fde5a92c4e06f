import { PgSagaWorkQueue } from '../../src/adapters/saga/pg-saga-work-queue.js';
import type { SagaClaim, SagaWorkerSession } from '../../src/application/saga/saga.ports.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('the saga work queue on PostgreSQL', () => {
  let db: TestDatabase;
  let queue: PgSagaWorkQueue;
  const sessions = new Map<string, SagaWorkerSession>();
  /** The named worker's session, opened on first use. */
  const worker = async (owner: string): Promise<SagaWorkerSession> => {
    if (!sessions.has(owner)) sessions.set(owner, await queue.openSession(owner));
    return sessions.get(owner)!;
  };
  /** The worker dies: its connection, and the locks on it, go; its leases stay until they run out. */
  const die = async (owner: string) => {
    await sessions.get(owner)?.close();
    sessions.delete(owner);
  };
  const claim = async (owner: string, leaseMs: number) => (await worker(owner)).claim(leaseMs);
  const release = async (owner: string, claimed: SagaClaim, release: ReturnType<typeof back>) => (await worker(owner)).release(claimed, release);

  beforeAll(async () => {
    db = await createTestDatabase('cl_work_queue');
    queue = new PgSagaWorkQueue(db.url);
  });
  afterEach(async () => {
    for (const owner of [...sessions.keys()]) await die(owner);
  });
  afterAll(async () => {
    await db.drop();
  });

  /** What the saga-work projection writes: a due row at a revision. */
  const due = (sagaId: string, revision = 3) =>
    db.pool.query(
      `insert into saga_work (saga_id, revision_seen, action, step, due_at, attempts, state) values ($1, $2, 'execute', 0, now(), 1, '{}')
       on conflict (saga_id) do update set revision_seen = excluded.revision_seen, due_at = excluded.due_at`,
      [sagaId, revision],
    );
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const back = (revision: number, dueAt = new Date(Date.now() - 1_000), finished = false) => ({ dueAt, revision, finished });
  /** The saga ended: the projection deletes its row, the worker gives it back finished. */
  const finish = async (owner: string, claimed: SagaClaim) => {
    await db.pool.query('delete from saga_work where saga_id = $1', [claimed.sagaId]);
    await release(owner, claimed, back(claimed.revisionSeen, new Date(), true));
  };

  it('says a claim was interrupted when the one before it never gave the work back', async () => {
    // given due work
    await due('s-1');

    // when a worker claims it and dies (no release) / then the next claim after the lease says so
    // (the second worker connected first: a new connection on a busy machine can outlast a short lease)
    await worker('worker-b');
    expect(await claim('worker-a', 300)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: false, locked: true });
    expect(await claim('worker-b', 50)).toBeNull(); // leased
    await die('worker-a');
    await pause(350);
    const resumed = await claim('worker-b', 5_000);
    expect(resumed).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: true, locked: true });

    // when that worker gives it back / then the next claim is a clean one
    await release('worker-b', resumed!, back(3));
    const clean = await claim('worker-c', 5_000);
    expect(clean).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: false, locked: true });
    await finish('worker-c', clean!);
  });

  it('takes the saga’s lock with the claim: a worker whose lease ran out mid-action still holds it, so the next claim is not locked', async () => {
    await due('s-6');
    const slow = await claim('worker-a', 50);
    expect(slow).toMatchObject({ sagaId: 's-6', locked: true });
    // worker-a is still on it (a long step) when its lease runs out
    await pause(80);
    const early = await claim('worker-b', 5_000);
    expect(early).toEqual({ sagaId: 's-6', revisionSeen: 3, interrupted: true, locked: false });
    // worker-b gives it back without touching the lock; worker-a's release lets its lock go
    await release('worker-b', early!, back(3));
    await release('worker-a', slow!, back(3));
    const next = await claim('worker-b', 5_000);
    expect(next).toEqual({ sagaId: 's-6', revisionSeen: 3, interrupted: false, locked: true });
    await finish('worker-b', next!);
    // and worker-b's release let go of its lock: another session takes it
    const { rows } = await db.pool.query<{ ok: boolean }>(`select pg_try_advisory_lock(3, hashtext('s-6')) as ok`);
    expect(rows[0]!.ok).toBe(true);
    await db.pool.query(`select pg_advisory_unlock_all()`);
  });

  it('gives the last claim back with the next claim, in one round trip, and never hands that claim straight back', async () => {
    await due('s-7');
    const first = await claim('worker-a', 5_000);
    expect(first).toMatchObject({ sagaId: 's-7', locked: true });
    // due again at once, and the only due saga: the claim that gives it back does not take it again
    expect(await (await worker('worker-a')).claim(5_000, { claim: first!, release: back(3) })).toBeNull();
    const { rows: leases } = await db.pool.query(`select owner, revision_released from saga_leases where saga_id = 's-7'`);
    expect(leases).toEqual([{ owner: null, revision_released: 3 }]);
    // given back with its lock: another worker claims it, lock and all
    const next = await claim('worker-b', 5_000);
    expect(next).toEqual({ sagaId: 's-7', revisionSeen: 3, interrupted: false, locked: true });
    // and the claim that gives one back takes the next due one
    await due('s-8');
    const other = await (await worker('worker-b')).claim(5_000, { claim: next!, release: back(3, new Date(Date.now() + 60_000)) });
    expect(other).toEqual({ sagaId: 's-8', revisionSeen: 3, interrupted: false, locked: true });
    expect(await claim('worker-a', 5_000)).toBeNull(); // s-7 given back until later, s-8 leased
    await finish('worker-b', other!);
    await db.pool.query(`delete from saga_work where saga_id = 's-7'`);
  });

  it('does not call a claim interrupted when the saga moved on since the lease was taken: its claimer recorded something', async () => {
    await due('s-2');
    expect(await claim('worker-a', 50)).toMatchObject({ sagaId: 's-2', interrupted: false });
    // the worker appended an outcome and died before giving the saga back; the projection wrote the row afresh
    await die('worker-a');
    await due('s-2', 4);
    await pause(80);
    const next = await claim('worker-b', 5_000);
    expect(next).toEqual({ sagaId: 's-2', revisionSeen: 4, interrupted: false, locked: true });
    await finish('worker-b', next!);
  });

  it('keeps a saga given back until later out of reach until then, unless someone else moved it', async () => {
    await due('s-3', 7);
    const first = await claim('worker-a', 5_000);
    expect(first).toMatchObject({ sagaId: 's-3' });
    await release('worker-a', first!, back(7, new Date(Date.now() + 60_000)));
    expect(await claim('worker-b', 5_000)).toBeNull();
    // a cancel request arrives: the saga is at a later revision than it was given back at
    await due('s-3', 8);
    const moved = await claim('worker-b', 5_000);
    expect(moved).toEqual({ sagaId: 's-3', revisionSeen: 8, interrupted: false, locked: true });
    await finish('worker-b', moved!);
  });

  it('keeps a lease when the work table is rebuilt under it: leases are the workers’ own table', async () => {
    await due('s-4');
    expect(await claim('worker-a', 60_000)).toMatchObject({ sagaId: 's-4' });
    // a rebuild swaps saga_work: the row comes back as the projection writes it
    await db.pool.query(`delete from saga_work where saga_id = 's-4'`);
    await due('s-4');
    expect(await claim('worker-b', 5_000)).toBeNull();
    expect(await (await worker('worker-a')).extend('s-4', 60_000)).toBe(true);
    expect(await (await worker('worker-b')).extend('s-4', 60_000)).toBe(false);
  });

  it('hands a finished saga to no one while its row waits for the projection, unless it moves on; then prunes its lease', async () => {
    await due('s-5');
    const first = await claim('worker-a', 5_000);
    expect(first).toMatchObject({ sagaId: 's-5' });
    // the worker appended the saga's end and gives it back; the projection has not folded the end in yet
    await release('worker-a', first!, back(3, new Date(), true));
    expect(await claim('worker-b', 5_000)).toBeNull();
    // a failed saga's compensation retried by an operator: the row moves past what was given back
    await due('s-5', 4);
    const retried = await claim('worker-b', 5_000);
    expect(retried).toEqual({ sagaId: 's-5', revisionSeen: 4, interrupted: false, locked: true });
    await release('worker-b', retried!, back(4, new Date(), true));
    // the projection deletes the finished saga's row: the next idle claim (of a queue that has not pruned yet) prunes the lease
    await db.pool.query(`delete from saga_work where saga_id = 's-5'`);
    const fresh = await new PgSagaWorkQueue(db.url).openSession('worker-c');
    try {
      expect(await fresh.claim(5_000)).toBeNull();
    } finally {
      await fresh.close();
    }
    const { rows } = await db.pool.query(`select * from saga_leases where saga_id = 's-5'`);
    expect(rows).toEqual([]);
  });
});
