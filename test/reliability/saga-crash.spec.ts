import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { createSagaEngine, type SagaEngine } from '../../src/adapters/saga/saga-engine.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import type { SagaEvent } from '../../src/domain/saga/saga.events.js';
import { toSagaStream } from '../../src/domain/streams.js';
import { startTestProcess, type TestProcess } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createEffectsTable } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

type Worker = TestProcess;

function startWorker(url: string): Worker {
  return startTestProcess('test/support/saga-worker.ts', { DATABASE_URL: url, WORKERS: '3', LEASE_MS: '1500' });
}

/** Stops a worker; one that does not finish a graceful SIGTERM within 15 s is killed and reported. */
async function stopWorker(worker: Worker, signal: NodeJS.Signals): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const hung = await Promise.race([
    worker.exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 15_000))),
  ]);
  clearTimeout(timer);
  if (!hung) return;
  worker.child.kill('SIGKILL');
  await worker.exited;
  throw new Error(`worker ${worker.child.pid} did not exit within 15 s of ${signal}:\n${worker.output().slice(-3000)}`);
}

const progress = (what: string): void => void process.stderr.write(`[saga-crash ${new Date().toISOString()}] ${what}\n`);

type Plan = { steps: Record<string, unknown>[]; expected: 'completed' | 'rolled_back' };
const PLANS: Plan[] = [
  { steps: [{ op: 'noop' }, { op: 'noop' }, { op: 'noop' }], expected: 'completed' },
  { steps: [{ op: 'noop' }, { op: 'sleep', ms: 700 }, { op: 'noop' }], expected: 'completed' },
  { steps: [{ op: 'noop' }, { op: 'flaky', failures: 2 }, { op: 'noop' }], expected: 'completed' },
  { steps: [{ op: 'noop' }, { op: 'noop' }, { op: 'fail' }], expected: 'rolled_back' },
  { steps: [{ op: 'sleep', ms: 300 }, { op: 'flaky', failures: 1 }, { op: 'noop' }, { op: 'fail' }], expected: 'rolled_back' },
];

describe('saga workers killed at random moments', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let engine: SagaEngine;
  const workers: Worker[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cl_saga_crash');
    await createEffectsTable(db.pool);
    store = new PostgresEventStore(db.pool, db.url);
    // commands and reads only: the workers run in child processes
    engine = createSagaEngine({ orm: db.orm, eventStore: store, databaseUrl: db.url, demoDefinitions: true });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await store.close();
    await db.drop();
  });

  const spawnWorker = (): Worker => {
    const worker = startWorker(db.url);
    workers.push(worker);
    return worker;
  };

  async function startSagas(count: number, kind: string): Promise<Map<string, Plan>> {
    const sagas = new Map<string, Plan>();
    for (let i = 0; i < count; i++) {
      const plan = PLANS[i % PLANS.length]!;
      const { sagaId } = await engine.service.start({ kind, definition: 'script', inputs: { steps: plan.steps } }, { actor: 'tester', correlationId: `c${i}`, causationId: null });
      sagas.set(sagaId, plan);
    }
    return sagas;
  }

  const finishedCount = async (kind: string): Promise<number> =>
    Number((await db.pool.query<{ n: string }>('select count(*) as n from saga_runs where kind = $1 and finished_at is not null', [kind])).rows[0]!.n);

  async function streamOf(sagaId: string): Promise<SagaEvent[]> {
    const events: SagaEvent[] = [];
    for await (const recorded of store.readStream(toSagaStream(sagaId))) events.push(eventCatalogue.decode(recorded) as unknown as SagaEvent);
    return events;
  }

  async function checkOutcomes(sagas: Map<string, Plan>, kind: string): Promise<{ executeRows: number; pids: Set<number> }> {
    const { rows: runs } = await db.pool.query<{ id: string; status: string }>('select id, status from saga_runs where kind = $1', [kind]);
    expect(runs).toHaveLength(sagas.size);
    for (const run of runs) expect([run.id, run.status]).toEqual([run.id, sagas.get(run.id)!.expected]);
    const { rows: effects } = await db.pool.query<{ saga_id: string; step: string; effect: string; pid: number }>('select saga_id, step, effect, pid from saga_test_effects');
    const count = (sagaId: string, step: string, effect: string): number => effects.filter((e) => e.saga_id === sagaId && e.step === step && e.effect === effect).length;
    for (const [sagaId, plan] of sagas) {
      const names = plan.steps.map((s, i) => `${i + 1}-${String(s.op)}`);
      const events = await streamOf(sagaId);
      // each recorded outcome exactly once: the expected revision and deterministic ids allow no duplicate
      const succeeded = events.filter((e) => e.type === 'StepSucceeded').map((e) => (e.data as { name: string }).name);
      expect(new Set(succeeded).size).toBe(succeeded.length);
      if (plan.expected === 'completed') {
        expect(succeeded).toEqual(names);
        for (const name of names) expect([sagaId, name, count(sagaId, name, 'execute') >= 1]).toEqual([sagaId, name, true]);
      } else {
        const failAt = names.length - 1;
        const undone = events.filter((e) => e.type === 'StepCompensated').map((e) => (e.data as { name: string }).name);
        // every completed step undone once, last first
        expect([sagaId, undone]).toEqual([sagaId, names.slice(0, failAt).reverse()]);
        for (const name of names.slice(0, failAt)) expect([sagaId, name, count(sagaId, name, 'compensate') >= 1]).toEqual([sagaId, name, true]);
        expect(count(sagaId, names[failAt]!, 'compensate')).toBe(0);
      }
    }
    // none stuck: a finished saga leaves no work behind
    const { rows: left } = await db.pool.query("select saga_id from saga_work where action <> 'none'");
    expect(left).toEqual([]);
    return { executeRows: effects.filter((e) => sagas.has(e.saga_id) && e.effect === 'execute').length, pids: new Set(effects.filter((e) => sagas.has(e.saga_id)).map((e) => e.pid)) };
  }

  it('brings 100 sagas to their terminal states across three SIGKILLs and restarts', async () => {
    const kind = 'crash';
    const sagas = await startSagas(100, kind);

    for (let kill = 0; kill < 3; kill++) {
      const worker = spawnWorker();
      const before = Number((await db.pool.query<{ n: string }>('select count(*) as n from saga_test_effects')).rows[0]!.n);
      // let it make some progress, then kill it at a random moment
      await waitFor(
        async () => (Number((await db.pool.query<{ n: string }>('select count(*) as n from saga_test_effects')).rows[0]!.n) > before ? true : undefined),
        `worker ${kill + 1} to make progress`,
        60_000,
      );
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      await stopWorker(worker, 'SIGKILL');
    }

    const last = spawnWorker();
    await waitFor(async () => ((await finishedCount(kind)) === 100 ? true : undefined), 'every saga to finish', 120_000, 200).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${last.output().slice(-2000)}`);
    });
    await waitFor(async () => ((await db.pool.query("select 1 from saga_work where action <> 'none'")).rows.length === 0 ? true : undefined), 'the work table to drain', 30_000);
    await checkOutcomes(sagas, kind);
    await stopWorker(last, 'SIGTERM');
  });

  it('shares the work between two worker processes, never running a step twice at once', async () => {
    const kind = 'shared';
    await db.pool.query('delete from saga_test_effects');
    const a = spawnWorker();
    const b = spawnWorker();
    progress('two workers spawned');
    await waitFor(async () => (a.output().includes('STARTED') && b.output().includes('STARTED') ? true : undefined), 'both workers to start', 30_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\nA: ${a.output().slice(-2000)}\nB: ${b.output().slice(-2000)}`);
      },
    );
    progress('both started');
    const sagas = await startSagas(60, kind);
    progress('60 sagas started');

    await waitFor(async () => ((await finishedCount(kind)) === 60 ? true : undefined), 'every saga to finish', 60_000, 200).catch(
      async (error: Error) => {
        const { rows } = await db.pool.query('select w.saga_id, w.action, w.step, w.due_at, l.owner, l.lease_until from saga_work w left join saga_leases l using (saga_id) limit 5');
        throw new Error(`${error.message}; finished ${await finishedCount(kind)}/60; work ${JSON.stringify(rows)}\nA: ${a.output().slice(-2000)}\nB: ${b.output().slice(-2000)}`);
      },
    );
    await waitFor(async () => ((await db.pool.query("select 1 from saga_work where action <> 'none'")).rows.length === 0 ? true : undefined), 'the work table to drain', 30_000);
    progress('all finished, work drained');
    const { pids } = await checkOutcomes(sagas, kind);
    // without crashes, exactly once: two workers on the same saga at once would run a step twice
    const { rows: dupes } = await db.pool.query(`select saga_id, step, effect, count(*) from saga_test_effects group by 1, 2, 3 having count(*) > 1`);
    const flakyRetries = dupes.filter((d: { step: string }) => d.step.endsWith('-flaky'));
    expect(dupes.filter((d: { step: string }) => !d.step.endsWith('-flaky'))).toEqual([]);
    expect(flakyRetries.length).toBeGreaterThan(0);
    expect(pids.size).toBe(2);
    progress('checked; stopping both');
    await Promise.all([stopWorker(a, 'SIGTERM'), stopWorker(b, 'SIGTERM')]);
    progress('both stopped');
  });
});
