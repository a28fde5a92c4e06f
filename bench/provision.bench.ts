import { startSimulator } from '../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { testDropletDefinitions } from '../test/support/droplet-sagas.js';
import { startSagaRuntime } from '../test/support/saga-runtime.js';
import { benchDatabase, progress, report, sagaRound } from './bench-support.js';

const BENCH = 'provision';
/**
 * Sagas in each of two rounds on the same process, as in bench:sagas: the first (`cold_sagas_per_s`)
 * on a fresh process, which spends much of it compiling and filling caches; the second is the figure.
 * (200 in one round measured mostly the ramp-up, 69–93 sagas/s where 1,000 reached 127.)
 */
const SAGAS = Number(process.env.PROVISION_SAGAS ?? 1_000);
const WORKERS = 8;
const STARTERS = 8;

const db = await benchDatabase('provision');
const sim = await startSimulator({ delays: { dropletActiveMs: 0, actionMs: 0, snapshotAppearMs: 0, snapshotLingerMs: 0, tagListLagMs: 0 } });
const runtime = await startSagaRuntime(db.url, { workers: WORKERS, pollMs: 10 }, { recordEffects: false, definitions: (store) => testDropletDefinitions(sim.url, store) });
try {
  /** The round of SAGAS provisions from the `from`th: where the log stood before it, and its span. */
  const round = (from: number) =>
    sagaRound(db, {
      from,
      count: SAGAS,
      starters: STARTERS,
      ends: ['SagaCompleted', 'SagaRolledBack', 'SagaFailed'],
      start: (i) =>
        runtime.engine.service.start(
          { kind: 'provision', definition: 'provision_droplet', inputs: { name: `bench-${i}`, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' } },
          { actor: 'bench', correlationId: 'bench', causationId: null },
        ),
    });

  progress(`warming up: ${SAGAS} provision sagas against the in-process simulator (no simulated delay), ${WORKERS} workers, on a fresh process...`);
  const cold = await round(0);
  report(BENCH, 'cold_sagas_per_s', SAGAS / cold.seconds, 'sagas/s', { sagas: SAGAS, workers: WORKERS, seconds: cold.seconds });
  const requestsBefore = sim.state.requests.length;
  progress(`starting ${SAGAS} more on the same process, measured...`);
  const warm = await round(SAGAS);
  const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events where type = 'SagaCompleted'`);
  const completed = Number(rows[0]!.n);
  if (completed !== 2 * SAGAS) throw new Error(`${2 * SAGAS - completed} sagas did not complete`);

  const calls = new Map<string, number>();
  for (const r of sim.state.requests.slice(requestsBefore)) {
    const key = `${r.method} ${r.path.replace(/\/\d+/g, '/{id}')}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
  }
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  report(BENCH, 'sagas_per_s', SAGAS / warm.seconds, 'sagas/s', { sagas: SAGAS, workers: WORKERS, seconds: warm.seconds });
  report(BENCH, 'api_calls_per_saga', total / SAGAS, 'calls/saga', {
    calls: Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => [k, n / SAGAS])),
  });
} finally {
  await runtime.close();
  await sim.close();
  await db.drop();
}
