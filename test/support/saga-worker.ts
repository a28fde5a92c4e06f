/**
 * A saga engine process for the crash and scale-out tests and the benchmark: the saga projections
 * (each single-writer under its lease) and WORKERS workers, until killed or sent SIGTERM.
 */
import { startSagaRuntime } from './saga-runtime.js';

const url = process.env.DATABASE_URL!;
const workers = Number(process.env.WORKERS ?? 3);
const leaseMs = Number(process.env.LEASE_MS ?? 2_000);

const runtime = await startSagaRuntime(url, { workers, leaseMs, name: `proc-${process.pid}` }, { recordEffects: process.env.EFFECTS !== 'off' });
process.stdout.write('STARTED\n');
process.on('SIGTERM', () => {
  process.stdout.write('SIGTERM: closing\n');
  runtime.close((step) => process.stdout.write(`SIGTERM: ${step}\n`)).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
