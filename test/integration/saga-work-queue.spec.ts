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

  const due = (sagaId: string) =>
    db.pool.query(`insert into saga_work (saga_id, revision_seen, action, step, due_at, attempts, state) values ($1, 3, 'execute', 0, now(), 1, '{}')`, [sagaId]);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('says a claim was interrupted when the one before it never gave the work back', async () => {
    // given due work
    await due('s-1');

    // when a worker claims it and dies (no release) / then the next claim after the lease says so
    expect(await queue.claim('worker-a', 50)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: false });
    expect(await queue.claim('worker-b', 50)).toBeNull(); // leased
    await pause(80);
    expect(await queue.claim('worker-b', 5_000)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: true });

    // when that worker gives it back / then the next claim is a clean one
    await queue.release('s-1', 'worker-b', new Date(Date.now() - 1_000));
    expect(await queue.claim('worker-c', 5_000)).toEqual({ sagaId: 's-1', revisionSeen: 3, interrupted: false });
  });

  it('clears the flag with new work: the projection writes the row afresh, without an owner', async () => {
    await due('s-2');
    expect(await queue.claim('worker-a', 50)).toMatchObject({ sagaId: 's-2', interrupted: false });
    // the saga moved on (what saga-work does on every event)
    await db.pool.query(`update saga_work set revision_seen = 4, lease_owner = null, lease_until = null where saga_id = 's-2'`);
    expect(await queue.claim('worker-b', 5_000)).toEqual({ sagaId: 's-2', revisionSeen: 4, interrupted: false });
  });
});
