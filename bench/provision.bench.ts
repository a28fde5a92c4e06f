import { startSimulator } from '../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { testDropletDefinitions } from '../test/support/droplet-sagas.js';
import { startSagaRuntime } from '../test/support/saga-runtime.js';
import { benchDatabase, progress, report } from './bench-support.js';

const BENCH = 'provision';
/** As many as bench:sagas starts: 200 (the first size) measured mostly the ramp-up, 69–93 sagas/s where 1,000 reach 127. */
const SAGAS = Number(process.env.PROVISION_SAGAS ?? 1_000);
const WORKERS = 8;
const STARTERS = 8;

const db = await benchDatabase('provision');
const sim = await startSimulator({ delays: { dropletActiveMs: 0, actionMs: 0, snapshotAppearMs: 0, snapshotLingerMs: 0, tagListLagMs: 0 } });
const runtime = await startSagaRuntime(db.url, { workers: WORKERS, pollMs: 10 }, { recordEffects: false, definitions: (store) => testDropletDefinitions(sim.url, store) });
try {
  progress(`starting ${SAGAS} provision sagas against the in-process simulator (no simulated delay), ${WORKERS} workers...`);
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: STARTERS }, async () => {
      while (next < SAGAS) {
        const i = next++;
        const inputs = { name: `bench-${i}`, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' };
        await runtime.engine.service.start({ kind: 'provision', definition: 'provision_droplet', inputs }, { actor: 'bench', correlationId: 'bench', causationId: null });
      }
    }),
  );
  for (;;) {
    const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events where type in ('SagaCompleted', 'SagaRolledBack', 'SagaFailed')`);
    const done = Number(rows[0]!.n);
    if (done >= SAGAS) break;
    progress(`${done}/${SAGAS} sagas finished`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - began) / 1000;
  const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events where type = 'SagaCompleted'`);
  const completed = Number(rows[0]!.n);
  if (completed !== SAGAS) throw new Error(`${SAGAS - completed} sagas did not complete`);

  const calls = new Map<string, number>();
  for (const r of sim.state.requests) {
    const key = `${r.method} ${r.path.replace(/\/\d+/g, '/{id}')}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
  }
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  report(BENCH, 'sagas_per_s', SAGAS / seconds, 'sagas/s', { sagas: SAGAS, workers: WORKERS, seconds });
  report(BENCH, 'api_calls_per_saga', total / SAGAS, 'calls/saga', {
    calls: Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => [k, n / SAGAS])),
  });
} finally {
  await runtime.close();
  await sim.close();
  await db.drop();
}
