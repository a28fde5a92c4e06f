import { startBlackBox } from '../test/support/black-box.js';
import { percentile, progress, report } from './bench-support.js';

/**
 * The operator's test of the issue: SAGAS sagas of five no-op steps queued through the API against
 * one `serve` process (its default 4 workers) as fast as 16 clients can post them, then drained.
 * Every second it counts the sagas completed, as the saga list shows them (saga_runs, by its status
 * index: counting SagaCompleted in the log was a scan of it each second, a sixth of the database's
 * time) and asks /health/ready, so the drain rate and readiness are seen over time, not only at the end.
 */
const BENCH = 'sustained';
const SAGAS = Number(process.env.SUSTAINED_SAGAS ?? 30_000);
const STEPS = 5;
const POSTERS = 16;
const SAMPLE_MS = 1_000;

interface Sample {
  readonly t: number;
  readonly posted: number;
  readonly completed: number;
  readonly ready: number;
  readonly readyMs: number;
}

// an automation's token, allowed the rate the bench posts at (the default 600 a minute is a person's)
const box = await startBlackBox({ SAGA_DEMO_DEFINITIONS: 'true', RATE_LIMIT_PER_MINUTE: '1000000' });
const samples: Sample[] = [];
let posted = 0;
let taken = 0;
let refused = 0;
let sampling = true;
try {
  const completedSoFar = async (): Promise<number> => Number((await box.db.pool.query<{ n: string }>(`select count(*) as n from saga_runs where status = 'completed'`)).rows[0]!.n);
  const began = performance.now();
  const elapsed = () => (performance.now() - began) / 1000;

  // SUSTAINED_PROFILE=1: where the database's active time goes, sampled from pg_stat_activity every 50 ms
  const activity = new Map<string, number>();
  const profiler = (async () => {
    if (process.env.SUSTAINED_PROFILE !== '1') return;
    while (sampling) {
      const { rows } = await box.db.pool.query<{ query: string }>(
        `select regexp_replace(left(query, 90), '\\s+', ' ', 'g') as query from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`,
      );
      for (const { query } of rows) activity.set(query, (activity.get(query) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const sampler = (async () => {
    while (sampling) {
      const asked = performance.now();
      const ready = await fetch(`${box.url}/health/ready`).then((r) => r.status, () => 0);
      const readyMs = performance.now() - asked;
      const sample = { t: elapsed(), posted, completed: await completedSoFar(), ready, readyMs };
      samples.push(sample);
      if (samples.length % 10 === 1) progress(`  t=${sample.t.toFixed(0)} s: posted ${sample.posted}, completed ${sample.completed}, /health/ready ${ready} in ${readyMs.toFixed(0)} ms`);
      await new Promise((r) => setTimeout(r, Math.max(0, SAMPLE_MS - (performance.now() - asked))));
    }
  })();

  progress(`queueing ${SAGAS} sagas of ${STEPS} no-op steps against one serve (${POSTERS} clients)...`);
  const inputs = { steps: Array.from({ length: STEPS }, () => ({ op: 'noop' })) };
  await Promise.all(
    Array.from({ length: POSTERS }, async () => {
      while (taken < SAGAS) {
        taken++;
        const answer = await box.request('POST', '/api/v1/sagas', { token: box.tokens.operator, body: { kind: 'bench', definition: 'script', inputs } });
        if (answer.status === 202) posted++;
        else if (++refused > 100) throw new Error(`POST /api/v1/sagas answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    }),
  );
  const postedIn = elapsed();
  const completedAtPosted = await completedSoFar();
  progress(`posted ${posted} in ${postedIn.toFixed(1)} s (${refused} refused); ${completedAtPosted} already completed; draining...`);
  while ((await completedSoFar()) < posted) await new Promise((r) => setTimeout(r, 500));
  const drainedIn = elapsed();
  sampling = false;
  await Promise.all([sampler, profiler]);
  if (activity.size) {
    const total = [...activity.values()].reduce((a, b) => a + b, 0);
    progress(`active database time by statement (${total} samples of active backends):`);
    for (const [query, n] of [...activity.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) progress(`  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${query}`);
  }

  const { rows } = await box.db.pool.query<{ seconds: number }>(
    `select extract(epoch from max(recorded_at) filter (where type = 'SagaCompleted') - min(recorded_at) filter (where type = 'SagaStarted'))::float8 as seconds from events`,
  );
  const notReady = samples.filter((s) => s.ready !== 200);
  report(BENCH, 'accepted_sagas_per_s', posted / postedIn, 'sagas/s', { sagas: posted, seconds: postedIn, refused });
  report(BENCH, 'drain_sagas_per_s', (posted - completedAtPosted) / (drainedIn - postedIn), 'sagas/s', {
    sagas_left_when_posting_ended: posted - completedAtPosted,
    seconds: drainedIn - postedIn,
  });
  report(BENCH, 'sustained_sagas_per_s', posted / rows[0]!.seconds, 'sagas/s', { sagas: posted, steps: STEPS, processes: 1, seconds: rows[0]!.seconds });
  report(BENCH, 'ready_200_share', (samples.length - notReady.length) / samples.length, 'ratio', {
    samples: samples.length,
    not_ready: notReady.length,
    ready_p99_ms: Math.round(percentile(samples.map((s) => s.readyMs), 99)),
    ready_max_ms: Math.round(Math.max(...samples.map((s) => s.readyMs))),
  });
  // the projections no saga event is for: their checkpoints moved past the sagas' events, not left at the start
  const { rows: checkpoints } = await box.db.pool.query<{ name: string; position: string }>(`select name, position from projection_checkpoints where name not like '%:rebuild' order by name`);
  const atStart = checkpoints.filter((c) => c.position === '-1/-1').map((c) => c.name);
  report(BENCH, 'projections_at_start', atStart.length, 'projections', { names: atStart, checkpoints: Object.fromEntries(checkpoints.map((c) => [c.name, c.position])) });
  // the curve, for the report: sagas posted and completed so far, every ten seconds
  const curve = samples.filter((_, i) => i % 10 === 0).map((s) => ({ t: Math.round(s.t), posted: s.posted, completed: s.completed, ready: s.ready }));
  report(BENCH, 'timeline', curve.length, 'samples', { every_s: 10, curve });
} finally {
  sampling = false;
  await box.close();
}
