import { type ChildProcess, spawn } from 'node:child_process';
import { PostgresEventStore } from '../src/adapters/event-store/postgres/postgres.event-store.js';
import { createSagaEngine } from '../src/adapters/saga/saga-engine.js';
import { benchDatabase, progress, report, sagaRound } from './bench-support.js';

const BENCH = 'sagas';
/**
 * Sagas in each of two rounds on the same worker processes: the first (reported as `cold_…`) on
 * fresh processes, which spend much of it compiling — V8's Maglev and TurboFan were ~9% of the CPU
 * in a perf profile of that round — and filling caches and pools; the second is the figure, the
 * engine as a service that has been up for a while runs.
 */
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

  const inputs = { steps: Array.from({ length: STEPS }, () => ({ op: 'noop' })) };
  /** The round of SAGAS sagas from the `from`th: its span, and its steps' latencies. */
  const round = async (from: number): Promise<{ seconds: number; p50: number; p99: number; steps: number }> => {
    const { after, seconds } = await sagaRound(db, {
      from,
      count: SAGAS,
      starters: STARTERS,
      ends: ['SagaCompleted'],
      start: () => service.start({ kind: 'bench', definition: 'script', inputs }, { actor: 'bench', correlationId: 'bench', causationId: null }),
    });
    // a step's latency: from one step's outcome recorded to the next step's, in the same saga — the
    // next step's start recorded, it run (a no-op) and its outcome recorded. (The runner appends a
    // step's outcome with the next step's start, so the time between those two is no figure.)
    const { rows: latency } = await db.pool.query<{ p50: number; p99: number; n: string }>(
      `with outcomes as (
         select recorded_at, lag(recorded_at) over (partition by stream order by revision) as previous_at
         from events where stream like 'saga-%' and type = 'StepSucceeded' and global_position > $1)
       select percentile_cont(0.5) within group (order by extract(epoch from recorded_at - previous_at) * 1000) as p50,
              percentile_cont(0.99) within group (order by extract(epoch from recorded_at - previous_at) * 1000) as p99,
              count(*) as n
       from outcomes where previous_at is not null`,
      [after],
    );
    return { seconds, p50: latency[0]!.p50, p99: latency[0]!.p99, steps: Number(latency[0]!.n) };
  };
  const shape = { sagas: SAGAS, steps: STEPS, processes: PROCESSES, workers_per_process: WORKERS_PER_PROCESS };

  progress(`warming up: ${SAGAS} sagas of ${STEPS} no-op steps on fresh processes, ${PROCESSES} worker processes × ${WORKERS_PER_PROCESS} workers...`);
  const cold = await round(0);
  report(BENCH, 'cold_sagas_per_s', SAGAS / cold.seconds, 'sagas/s', { ...shape, seconds: cold.seconds });
  report(BENCH, 'cold_step_latency_p99_ms', cold.p99, 'ms', { steps: cold.steps });

  progress(`starting ${SAGAS} more on the same processes, measured...`);
  const began = performance.now();
  const warm = await round(SAGAS);
  const wall = (performance.now() - began) / 1000;
  report(BENCH, 'sagas_per_s', SAGAS / warm.seconds, 'sagas/s', { ...shape, seconds: warm.seconds, wall_seconds: wall });
  report(BENCH, 'step_latency_p50_ms', warm.p50, 'ms', { steps: warm.steps });
  report(BENCH, 'step_latency_p99_ms', warm.p99, 'ms', { steps: warm.steps });
} finally {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 10_000))])));
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await store.close();
  await db.drop();
}
