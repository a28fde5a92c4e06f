/**
 * A saga engine process for the crash and scale-out tests and the benchmark: the saga projections
 * (each single-writer under its lease) and WORKERS workers, until killed or sent SIGTERM. With DO_URL
 * set, it also runs the droplet sagas against the DigitalOcean simulator at that URL.
 */
import { startSagaRuntime } from './saga-runtime.js';
import { testDropletDefinitions } from './droplet-sagas.js';

const url = process.env.DATABASE_URL!;
const workers = Number(process.env.WORKERS ?? 3);
const leaseMs = Number(process.env.LEASE_MS ?? 2_000);

const runtime = await startSagaRuntime(url, { workers, leaseMs, name: `proc-${process.pid}` }, {
  recordEffects: process.env.EFFECTS !== 'off',
  // DO_URL: the droplet sagas too, against the simulator the test runs
  definitions: (store) => (process.env.DO_URL ? testDropletDefinitions(process.env.DO_URL, store) : []),
});
process.stdout.write('STARTED\n');
process.on('SIGTERM', () => {
  process.stdout.write('SIGTERM: closing\n');
  runtime.close((step) => process.stdout.write(`SIGTERM: ${step}\n`)).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
