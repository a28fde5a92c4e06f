import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { KurrentDbEventStore } from '../../src/adapters/event-store/kurrentdb/kurrentdb.event-store.js';
import { startKurrentDbDouble } from '../support/kurrentdb-double/kurrentdb-double.js';
import { describeEventStoreContract } from './event-store.contract.js';

const KURRENTDB_IMAGE = process.env.KURRENTDB_IMAGE ?? 'docker.kurrent.io/kurrent-latest/kurrentdb:25.1';

/**
 * Where KurrentDB can be had: KURRENTDB_URL, else a container when an engine answers, else nowhere
 * — and then the run says so plainly instead of passing in silence.
 */
async function kurrentAvailability(): Promise<{ url: string } | { container: true } | { skip: string }> {
  if (process.env.KURRENTDB_URL) return { url: process.env.KURRENTDB_URL };
  try {
    await getContainerRuntimeClient();
    return { container: true };
  } catch (error) {
    return { skip: `KURRENTDB_URL is not set and no container engine answered (${(error as Error).message.split('\n')[0]})` };
  }
}

const availability = await kurrentAvailability();

// Every run: the adapter and the client against the protocol-level double (test/support/kurrentdb-double).
describeEventStoreContract('kurrentdb (double)', async () => {
  const double = await startKurrentDbDouble();
  const store = KurrentDbEventStore.fromConnectionString(double.url);
  return {
    store,
    async teardown() {
      await store.close();
      await double.close();
    },
  };
}, { idsUniqueAcrossStreams: false });

if ('skip' in availability) {
  process.stdout.write(`\nSKIPPED the real-KurrentDB row of the event store contract: ${availability.skip}. The double's row runs.\n\n`);
  describe('event store contract: kurrentdb (real server)', () => {
    it.skip(`skipped: ${availability.skip}`, () => undefined);
  });
} else {
  describeEventStoreContract('kurrentdb (real server)', async () => {
    let container: StartedTestContainer | undefined;
    let url = 'url' in availability ? availability.url : '';
    if ('container' in availability) {
      container = await new GenericContainer(KURRENTDB_IMAGE)
        .withEnvironment({ KURRENTDB_INSECURE: 'true', KURRENTDB_RUN_PROJECTIONS: 'None', KURRENTDB_MEM_DB: 'true' })
        .withExposedPorts(2113)
        .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
        .withStartupTimeout(120_000)
        .start();
      url = `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    }
    const store = KurrentDbEventStore.fromConnectionString(url);
    return {
      store,
      async teardown() {
        await store.close();
        await container?.stop();
      },
    };
  }, { idsUniqueAcrossStreams: false });
}
