import { PgSagaWorkQueue } from '../../src/adapters/saga/pg-saga-work-queue.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('the saga work queue on PostgreSQL', () => {
  let db: TestDatabase;
  let queue: PgSagaWorkQueue;

  beforeAll(async () => {
    db = await createTestDatabase('cl_work_queue');
    queue = new PgSagaWorkQueue(db.orm, db.url);
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
  const finish = async (sagaId: string, owner: string, revision: number) => {
    await db.pool.query('delete from saga_work where saga_id = $1', [sagaId]);
    await queue.release(sagaId, owner, back(revision, new Date(), true));
  };

  it('says a claim was interrupted when the one before it never gave the work back', async () => {
    // given due work
    await due('s-1');

    // when a worker claims it and dies (no release) / then the next claim after the lease says so
    expect(await queue.claim('worker-a', 50)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: false });
    expect(await queue.claim('worker-b', 50)).toBeNull(); // leased
    await pause(80);
    expect(await queue.claim('worker-b', 5_000)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: true });

    // when that worker gives it back / then the next claim is a clean one
    await queue.release('s-1', 'worker-b', back(3));
    expect(await queue.claim('worker-c', 5_000)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: false });
    await finish('s-1', 'worker-c', 3);
  });

  it('does not call a claim interrupted when the saga moved on since the lease was taken: its claimer recorded something', async () => {
    await due('s-2');
    expect(await queue.claim('worker-a', 50)).toMatchObject({ sagaId: 's-2', interrupted: false });
    // the worker appended an outcome and died before giving the saga back; the projection wrote the row afresh
    await due('s-2', 4);
    await pause(80);
    expect(await queue.claim('worker-b', 5_000)).toEqual({ sagaId: 's-2', revisionSeen: 4, interrupted: false });
    await finish('s-2', 'worker-b', 4);
  });

  it('keeps a saga given back until later out of reach until then, unless someone else moved it', async () => {
    await due('s-3', 7);
    expect(await queue.claim('worker-a', 5_000)).toMatchObject({ sagaId: 's-3' });
    await queue.release('s-3', 'worker-a', back(7, new Date(Date.now() + 60_000)));
    expect(await queue.claim('worker-b', 5_000)).toBeNull();
    // a cancel request arrives: the saga is at a later revision than it was given back at
    await due('s-3', 8);
    expect(await queue.claim('worker-b', 5_000)).toEqual({ sagaId: 's-3', revisionSeen: 8, interrupted: false });
    await finish('s-3', 'worker-b', 8);
  });

  it('keeps a lease when the work table is rebuilt under it: leases are the workers’ own table', async () => {
    await due('s-4');
    expect(await queue.claim('worker-a', 60_000)).toMatchObject({ sagaId: 's-4' });
    // a rebuild swaps saga_work: the row comes back as the projection writes it
    await db.pool.query(`delete from saga_work where saga_id = 's-4'`);
    await due('s-4');
    expect(await queue.claim('worker-b', 5_000)).toBeNull();
    expect(await queue.extend('s-4', 'worker-a', 60_000)).toBe(true);
    expect(await queue.extend('s-4', 'worker-b', 60_000)).toBe(false);
  });

  it('hands a finished saga to no one while its row waits for the projection, unless it moves on; then prunes its lease', async () => {
    await due('s-5');
    expect(await queue.claim('worker-a', 5_000)).toMatchObject({ sagaId: 's-5' });
    // the worker appended the saga's end and gives it back; the projection has not folded the end in yet
    await queue.release('s-5', 'worker-a', back(3, new Date(), true));
    expect(await queue.claim('worker-b', 5_000)).toBeNull();
    // a failed saga's compensation retried by an operator: the row moves past what was given back
    await due('s-5', 4);
    expect(await queue.claim('worker-b', 5_000)).toEqual({ sagaId: 's-5', revisionSeen: 4, interrupted: false });
    await queue.release('s-5', 'worker-b', back(4, new Date(), true));
    // the projection deletes the finished saga's row: the next idle claim (of a queue that has not pruned yet) prunes the lease
    await db.pool.query(`delete from saga_work where saga_id = 's-5'`);
    expect(await new PgSagaWorkQueue(db.orm, db.url).claim('worker-c', 5_000)).toBeNull();
    const { rows } = await db.pool.query(`select * from saga_leases where saga_id = 's-5'`);
    expect(rows).toEqual([]);
  });
});
