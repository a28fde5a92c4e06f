import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { createSagaEngine, type SagaEngine } from '../../src/adapters/saga/saga-engine.js';
import { loadStream } from '../../src/application/event-stream.js';
import { resourceDecider } from '../../src/domain/inventory/resource.decider.js';
import { dropletResourceId, MANAGED_TAG, sagaTag } from '../../src/domain/inventory/resource.js';
import { toResourceStream } from '../../src/domain/streams.js';
import { startTestProcess, type TestProcess } from '../support/child-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testDropletDefinitions } from '../support/droplet-sagas.js';
import { waitFor } from '../support/wait.js';

type Worker = TestProcess;

/** A saga worker process running the droplet sagas against the simulator of this test. */
function startWorker(url: string, doUrl: string): Worker {
  return startTestProcess('test/support/saga-worker.ts', { DATABASE_URL: url, DO_URL: doUrl, WORKERS: '4', LEASE_MS: '1500', EFFECTS: 'off' });
}

const started = (worker: Worker) => waitFor(async () => (worker.output().includes('STARTED') ? true : undefined), 'the worker to start', 60_000);
const TERMINAL = ['completed', 'rolled_back', 'failed', 'cancelled'];
const request = (i: number) => ({ name: `chaos-${i}`, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' });
const progress = (what: string): void => void process.stderr.write(`[provision-chaos ${new Date().toISOString()}] ${what}\n`);

describe('provisioning against a faulty DigitalOcean, with workers killed', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let store: PostgresEventStore;
  let engine: SagaEngine;
  const workers: Worker[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cl_provision_chaos');
    sim = await startSimulator({ delays: { dropletActiveMs: 400, tagListLagMs: 500 }, seed: 7 });
    store = new PostgresEventStore(db.pool, db.url);
    // commands and reads only: the workers run in child processes
    engine = createSagaEngine({ orm: db.orm, eventStore: store, databaseUrl: db.url, definitions: testDropletDefinitions(sim.url, store) });
  });
  afterAll(async () => {
    for (const worker of workers) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await store.close();
    await sim.close();
    await db.drop();
  });

  const spawnWorker = (): Worker => {
    const worker = startWorker(db.url, sim.url);
    workers.push(worker);
    return worker;
  };
  const kill = async (worker: Worker): Promise<void> => {
    worker.child.kill('SIGKILL');
    await worker.exited;
  };
  const provision = async (i: number): Promise<string> =>
    (await engine.service.start({ kind: 'provision', definition: 'provision_droplet', inputs: request(i) }, { actor: 'chaos', correlationId: `c${i}`, causationId: null })).sagaId;
  const statusOf = async (sagaId: string): Promise<string> => (await engine.service.get(sagaId)).status;
  const tagged = (tag: string) => [...sim.state.droplets.values()].filter((d) => d.tags.includes(tag));

  it('adopts the droplet when the worker dies right after DigitalOcean accepted the create', async () => {
    const first = spawnWorker();
    await started(first);
    // the simulator kills the worker the moment it has created the droplet, before the worker hears back
    const create = sim.state.createDroplet.bind(sim.state);
    let armed = true;
    sim.state.createDroplet = (input, options) => {
      const made = create(input, options);
      if (armed) {
        armed = false;
        first.child.kill('SIGKILL');
      }
      return made;
    };
    const sagaId = await provision(0);
    await first.exited;
    sim.state.createDroplet = create;
    expect(tagged(sagaTag(sagaId))).toHaveLength(1);
    expect(await statusOf(sagaId)).toBe('running');

    const second = spawnWorker();
    await waitFor(async () => ((await statusOf(sagaId)) === 'completed' ? true : undefined), `saga ${sagaId} to complete after the restart`, 60_000);
    await kill(second);

    const droplets = tagged(sagaTag(sagaId));
    expect(droplets).toHaveLength(1);
    const view = await engine.service.get(sagaId);
    expect(view.steps[0]!.output).toMatchObject({ dropletId: droplets[0]!.id, adopted: true });
    expect(sim.state.requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets')).toHaveLength(1);
  });

  it('brings 50 provisions to terminal states through 5xx, 429 bursts, latency and two SIGKILLs, leaking nothing', async () => {
    sim.state.setFaults({ errorRate: 0.1, latencyMs: 15, burst429: 3, retryAfterSeconds: 1 });
    const sagaIds: string[] = [];
    for (let i = 1; i <= 50; i++) sagaIds.push(await provision(i));
    const finished = async (): Promise<number> => (await Promise.all(sagaIds.map(statusOf))).filter((s) => TERMINAL.includes(s)).length;

    for (const [round, atLeast] of [[1, 10], [2, 25]] as const) {
      const worker = spawnWorker();
      await waitFor(async () => ((await finished()) >= atLeast ? true : undefined), `${atLeast} sagas to finish (worker ${round})`, 180_000, 200);
      sim.state.setFaults({ burst429: 3 });
      // a moment later, mid-work
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      await kill(worker);
      progress(`worker ${round} killed with ${await finished()} of 50 finished`);
    }
    const last = spawnWorker();
    await waitFor(async () => ((await finished()) === 50 ? true : undefined), 'all 50 sagas to finish', 300_000, 250);
    await kill(last);
    sim.state.setFaults({ errorRate: 0, latencyMs: 0, burst429: 0 });

    const statuses = new Map(await Promise.all(sagaIds.map(async (id) => [id, await statusOf(id)] as const)));
    const afterEffect = sim.state.requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets' && r.fault === 'after_effect').length;
    const adopted = (await Promise.all(sagaIds.map(async (id) => (await engine.service.get(id)).steps[0]!.output as { adopted?: boolean } | null))).filter((o) => o?.adopted).length;
    progress(`creates answered 500 after taking effect: ${afterEffect}; droplets adopted: ${adopted}`);
    progress(`outcomes: ${JSON.stringify([...statuses.values()].reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}))}`);
    expect([...statuses.values()].every((s) => s === 'completed' || s === 'rolled_back')).toBe(true);

    const managed = [...sim.state.droplets.values()].filter((d) => d.tags.includes(MANAGED_TAG));
    const bySaga = new Map(sagaIds.map((id) => [sagaTag(id), id]));
    for (const droplet of managed) {
      const tag = droplet.tags.find((t) => bySaga.has(t));
      if (tag === undefined) continue; // the first test's droplet
      const sagaId = bySaga.get(tag)!;
      // it belongs to a completed saga, and the inventory has it
      expect([droplet.id, statuses.get(sagaId)]).toEqual([droplet.id, 'completed']);
      const inventory = await loadStream(store, toResourceStream(dropletResourceId(droplet.id)), resourceDecider);
      expect([droplet.id, inventory.state.status]).toEqual([droplet.id, 'present']);
    }
    // no saga tag on two droplets, and every completed saga has its droplet
    for (const sagaId of sagaIds) {
      const count = tagged(sagaTag(sagaId)).length;
      expect([sagaId, count]).toEqual([sagaId, statuses.get(sagaId) === 'completed' ? 1 : 0]);
    }
  });
});
