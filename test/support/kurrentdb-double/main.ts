import { parseArgs } from 'node:util';
import { startKurrentDbDouble } from './kurrentdb-double.js';

/**
 * The KurrentDB double on its own, for running the service against it by hand or from a test:
 *
 *   npm run kurrentdb:double -- --port 2113
 *   EVENT_STORE=kurrentdb KURRENTDB_URL='kurrentdb://127.0.0.1:2113?tls=false' npm start
 *
 * Prints its connection string as the first line on stdout; stops on SIGINT or SIGTERM. In memory:
 * everything is gone when it stops.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'stats-period-ms': { type: 'string', default: '30000' },
  },
});

const double = await startKurrentDbDouble({ port: Number(values.port), host: values.host, statsPeriodMs: Number(values['stats-period-ms']) });
process.stdout.write(`${double.url}\n`);

const stop = async (): Promise<void> => {
  await double.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
