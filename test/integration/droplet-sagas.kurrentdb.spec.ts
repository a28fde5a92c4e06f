import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { KurrentDbEventStore } from '../../src/adapters/event-store/kurrentdb/kurrentdb.event-store.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { dropletResourceId, MANAGED_TAG, sagaTag } from '../../src/domain/inventory/resource.js';
import { toResourceStream, toSagaStream, toSpecStream } from '../../src/domain/streams.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testDropletDefinitions } from '../support/droplet-sagas.js';
import { startKurrentDbDouble, type KurrentDbDouble } from '../support/kurrentdb-double/kurrentdb-double.js';
import { type SagaRuntime, startSagaRuntime } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

/**
 * A provisioning saga end to end with EVENT_STORE=kurrentdb: the saga stream, the process
 * manager's subscription, the workers' reads and appends, the inventory and spec streams, all
 * through the KurrentDB adapter and client against the protocol-level double.
 */
describe('a droplet provisioning saga on KurrentDB (the double)', () => {
  let db: TestDatabase;
  let double: KurrentDbDouble;
  let sim: RunningSimulator;
  let runtime: SagaRuntime;

  beforeAll(async () => {
    db = await createTestDatabase('cl_kdb_droplets');
    double = await startKurrentDbDouble();
    sim = await startSimulator({ delays: { dropletActiveMs: 300, actionMs: 200, snapshotAppearMs: 600, snapshotLingerMs: 300, tagListLagMs: 400 } });
    runtime = await startSagaRuntime(db.url, {}, {
      recordEffects: false,
      definitions: (store) => testDropletDefinitions(sim.url, store),
      eventStore: () => KurrentDbEventStore.fromConnectionString(double.url),
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await sim?.close();
    await double?.close();
    await db?.drop();
  });

  async function types(stream: string): Promise<string[]> {
    const out: string[] = [];
    for await (const recorded of runtime.store.readStream(stream)) out.push(eventCatalogue.decode(recorded).type);
    return out;
  }

  it('provisions: creates the tagged droplet, waits until active, registers it with its spec', async () => {
    const ctx = { actor: 'alice', correlationId: 'it-kdb-droplets', causationId: null };
    const request = { name: 'web-kdb', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['team:web'] };
    const { sagaId } = await runtime.engine.service.start({ kind: 'provision', definition: 'provision_droplet', inputs: request }, ctx);

    const view = await waitFor(
      async () => {
        const saga = await runtime.engine.service.get(sagaId);
        return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(saga.status) ? saga : undefined;
      },
      `saga ${sagaId} to finish`,
      60_000,
    );

    expect(view.status).toBe('completed');
    const droplets = [...sim.state.droplets.values()].filter((d) => d.tags.includes(sagaTag(sagaId)));
    expect(droplets).toHaveLength(1);
    expect(droplets[0]!.tags).toEqual(expect.arrayContaining([MANAGED_TAG, 'team:web']));
    const resourceId = dropletResourceId(droplets[0]!.id);
    expect(await types(toResourceStream(resourceId))).toEqual(['ResourceObserved']);
    expect(await types(toSpecStream(resourceId))).toEqual(['SpecRecorded']);
    expect((await types(toSagaStream(sagaId))).at(-1)).toBe('SagaCompleted');
    // the saga's events reached the store through the protocol: appended, then read back and followed
    const stored = double.log.streamEvents(toSagaStream(sagaId))!;
    expect(stored.map((e) => e.type).at(-1)).toBe('SagaCompleted');
    expect(double.reads.some((r) => r.kind === 'subscription')).toBe(true);
  });
});
