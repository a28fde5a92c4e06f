import { type ChildProcess, spawn } from 'node:child_process';
import { PostgresEventStore } from '../src/adapters/event-store/postgres/postgres.event-store.js';
import { createSagaEngine } from '../src/adapters/saga/saga-engine.js';
import { benchDatabase, progress, report } from './bench-support.js';

const BENCH = 'sagas';
const SAGAS = 1000;
const STEPS = 5;
const PROCESSES = 2;
const WORKERS_PER_PROCESS = 4;
const STARTERS = 8;

function startWorker(url: string): { child: ChildProcess; started: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', '@swc-node/register/esm-register', 'test/support/saga-worker.ts'], {
    env: { ...process.env, DATABASE_URL: url, WORKERS: String(WORKERS_PER_PROCESS), EFFECTS: 'off' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('STARTED') && resolve());
    child.on('exit', (code) => reject(new Error(`saga worker exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, started, exited };
}

const db = await benchDatabase('sagas');
const store = new PostgresEventStore(db.pool, db.url);
const workers: ReturnType<typeof startWorker>[] = [];
try {
  // commands only in this process: the two worker processes run the projections and the steps
  const { service } = createSagaEngine({ orm: db.orm, eventStore: store, databaseUrl: db.url, demoDefinitions: true });
  for (let i = 0; i < PROCESSES; i++) workers.push(startWorker(db.url));
  await Promise.all(workers.map((w) => w.started));

  progress(`starting ${SAGAS} sagas of ${STEPS} no-op steps, ${PROCESSES} worker processes × ${WORKERS_PER_PROCESS} workers...`);
  const inputs = { steps: Array.from({ length: STEPS }, () => ({ op: 'noop' })) };
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: STARTERS }, async () => {
      while (next < SAGAS) {
        next++;
        await service.start({ kind: 'bench', definition: 'script', inputs }, { actor: 'bench', correlationId: 'bench', causationId: null });
      }
    }),
  );
  for (;;) {
    const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events where type = 'SagaCompleted'`);
    const done = Number(rows[0]!.n);
    if (done >= SAGAS) break;
    progress(`${done}/${SAGAS} sagas completed`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const { rows: span } = await db.pool.query<{ seconds: number }>(
    `select extract(epoch from max(recorded_at) filter (where type = 'SagaCompleted') - min(recorded_at) filter (where type = 'SagaStarted'))::float8 as seconds from events`,
  );
  const seconds = span[0]!.seconds;
  const wall = (performance.now() - began) / 1000;
  report(BENCH, 'sagas_per_s', SAGAS / seconds, 'sagas/s', { sagas: SAGAS, steps: STEPS, processes: PROCESSES, workers_per_process: WORKERS_PER_PROCESS, seconds, wall_seconds: wall });

  // a step's latency: from one step's outcome recorded to the next step's, in the same saga — the
  // next step's start recorded, it run (a no-op) and its outcome recorded. (The runner appends a
  // step's outcome with the next step's start, so the time between those two is no figure.)
  const { rows: latency } = await db.pool.query<{ p50: number; p99: number; n: string }>(
    `with outcomes as (
       select recorded_at, lag(recorded_at) over (partition by stream order by revision) as previous_at
       from events where stream like 'saga-%' and type = 'StepSucceeded')
     select percentile_cont(0.5) within group (order by extract(epoch from recorded_at - previous_at) * 1000) as p50,
            percentile_cont(0.99) within group (order by extract(epoch from recorded_at - previous_at) * 1000) as p99,
            count(*) as n
     from outcomes where previous_at is not null`,
  );
  const steps = Number(latency[0]!.n);
  report(BENCH, 'step_latency_p50_ms', latency[0]!.p50, 'ms', { steps });
  report(BENCH, 'step_latency_p99_ms', latency[0]!.p99, 'ms', { steps });
} finally {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 10_000))])));
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await store.close();
  await db.drop();
}
