import { AdvisoryLease } from '../../src/adapters/projections/advisory-lease.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';

describe('a projection’s advisory lease', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cl_advisory_lease');
  });
  afterAll(async () => {
    await db.drop();
  });

  /** Every lease a test makes, let go after it. */
  const leases: AdvisoryLease[] = [];
  const lease = (name: string): AdvisoryLease => {
    const made = new AdvisoryLease(db.url, name);
    leases.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release()));
  });

  /** The server processes of the connections whose last statement tried a lease's lock, but for `not`. */
  const leaseBackends = async (not: readonly number[] = []): Promise<number[]> => {
    const { rows } = await db.pool.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and query like 'select pg_try_advisory_lock%' and pid <> all($1::int[])`,
      [not],
    );
    return rows.map((r) => r.pid);
  };

  /** The server processes holding a lease's lock (advisory, namespace 2). */
  const holders = async (): Promise<number[]> => {
    const { rows } = await db.pool.query<{ pid: number }>(`select pid from pg_locks where locktype = 'advisory' and classid = 2 and granted and database = (select oid from pg_database where datname = current_database())`);
    return rows.map((r) => r.pid);
  };

  /** Two leases on `name`: the first takes it, the second, a standby, is refused. */
  const leaderAndStandby = async (name: string): Promise<{ leader: AdvisoryLease; standby: AdvisoryLease; leaderPid: number }> => {
    const leader = lease(name);
    const standby = lease(name);
    expect(await leader.tryAcquire()).toBe(true);
    const [leaderPid] = await leaseBackends();
    expect(await standby.tryAcquire()).toBe(false);
    return { leader, standby, leaderPid: leaderPid! };
  };

  it('lets one holder have it; a standby tries again on the connection it kept, and takes over once it is free', async () => {
    const { leader, standby, leaderPid } = await leaderAndStandby('inventory');
    // one server process for all its tries: the connection it kept, not one opened (and ended) per try
    const standbyPids = new Set<number>();
    for (let i = 0; i < 5; i++) {
      expect(await standby.tryAcquire()).toBe(false);
      for (const pid of await leaseBackends([leaderPid])) standbyPids.add(pid);
    }
    expect(standbyPids.size).toBe(1);

    await leader.release();
    expect(await standby.tryAcquire()).toBe(true);
    expect(await holders()).toEqual([...standbyPids]);
  });

  it('a standby whose connection the server ended connects again on its next try', async () => {
    const { leader, standby, leaderPid } = await leaderAndStandby('drift');
    const [standbyPid] = await leaseBackends([leaderPid]);
    await db.pool.query('select pg_terminate_backend($1)', [standbyPid]);
    // ended under it: the next try fails on the dead connection or finds it gone, and says no
    expect(await standby.tryAcquire()).toBe(false);
    await leader.release();
    expect(await standby.tryAcquire()).toBe(true);
    const now = await holders();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(standbyPid);
  });

  it('a one-off try that finds the lock taken (a job, a rebuild) leaves no connection behind', async () => {
    const holder = await AdvisoryLease.tryOnce(db.url, 'job:inventory-sync');
    if (holder) leases.push(holder);
    expect(holder).not.toBeNull();
    const [holderPid] = await holders();
    expect(await AdvisoryLease.tryOnce(db.url, 'job:inventory-sync')).toBeNull();
    // the second try's connection ended (its server process goes a moment after the client closes)
    const gone = waitFor(async () => ((await leaseBackends([holderPid!])).length === 0 ? true : undefined), 'the refused try’s connection to end', 2_000);
    await expect(gone).resolves.toBe(true);
  });
});
