import { randomUUID } from 'node:crypto';
import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { snapshotName } from '../../src/application/provisioning/steps/droplet.steps.js';
import type { EventToAppend } from '../../src/domain/event-store/event-store.port.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { toSagaStream } from '../../src/domain/streams.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { dropletDeps, testDropletDefinitions } from '../support/droplet-sagas.js';
import { type SagaRuntime, startSagaRuntime } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

/**
 * Sagas that were waiting when the version that kept step state in notes was replaced: their last
 * StepWaiting is a version 1 event whose note the step used to parse. Written here exactly as that
 * version wrote them, they are upcast to memory and finished by the current steps.
 */
describe('sagas waiting under the notes of the first version, finished by this one', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let runtime: SagaRuntime;
  const request = { name: 'old-web', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: [], sshKeys: [] };

  beforeAll(async () => {
    db = await createTestDatabase('cl_upgrade');
    sim = await startSimulator({ delays: { dropletActiveMs: 1_500, actionMs: 300, snapshotAppearMs: 300, tagListLagMs: 0 } });
    runtime = await startSagaRuntime(db.url, {}, { recordEffects: false, definitions: (store) => testDropletDefinitions(sim.url, store) });
  });
  afterAll(async () => {
    await runtime?.close();
    await sim?.close();
    await db?.drop();
  });

  /** Events as the first version stored them: its schema versions (StepWaiting 1, with a note and no memory). */
  async function storeV1(sagaId: string, events: { type: string; data: Record<string, unknown> }[]): Promise<void> {
    const metadata = { correlationId: sagaId, causationId: null, actor: 'system:saga', schemaVersion: 1 };
    const stored: EventToAppend[] = events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data, metadata }));
    await runtime.store.appendToStream(toSagaStream(sagaId), stored, { expectedRevision: 'no_stream' });
  }
  const at = () => new Date().toISOString();
  const finished = (sagaId: string) =>
    waitFor(async () => {
      const view = await runtime.engine.service.get(sagaId);
      return ['completed', 'rolled_back', 'failed'].includes(view.status) ? view : undefined;
    }, `saga ${sagaId} to finish`);
  async function waits(sagaId: string): Promise<{ memory: unknown; note: string }[]> {
    const out: { memory: unknown; note: string }[] = [];
    for await (const recorded of runtime.store.readStream(toSagaStream(sagaId))) {
      if (recorded.type !== 'StepWaiting') continue;
      const { data } = eventCatalogue.decode(recorded) as { data: { memory: unknown; note: string } };
      out.push({ memory: data.memory, note: data.note });
    }
    return out;
  }

  it('goes on counting the polls of wait_droplet_active from its note, then registers the droplet', async () => {
    // given a provision saga waiting at its seventh look for its droplet to be active, as version 1 left it
    const droplet = sim.state.createDroplet({ name: request.name, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }).droplet;
    const sagaId = randomUUID();
    await storeV1(sagaId, [
      {
        type: 'SagaStarted',
        data: { sagaId, kind: 'provision', definition: 'provision_droplet', version: 1, steps: ['create_droplet', 'wait_droplet_active', 'register_droplet'], inputs: request, deploymentId: null, triggeredBy: 'alice', at: at() },
      },
      { type: 'StepStarted', data: { sagaId, step: 0, name: 'create_droplet', attempt: 1, at: at() } },
      { type: 'StepSucceeded', data: { sagaId, step: 0, name: 'create_droplet', attempt: 1, output: { dropletId: droplet.id, name: request.name, adopted: false }, ignoredError: null, at: at() } },
      { type: 'StepStarted', data: { sagaId, step: 1, name: 'wait_droplet_active', attempt: 1, at: at() } },
      { type: 'StepWaiting', data: { sagaId, step: 1, name: 'wait_droplet_active', attempt: 1, dueAt: at(), note: `poll 7: droplet ${droplet.id} is new`, at: at() } },
    ]);

    // when this version's workers take it up
    const view = await finished(sagaId);

    // then it finished, and its next looks were 8, 9, …: the note's count became the step's memory
    expect(view.status).toBe('completed');
    const looks = await waits(sagaId);
    expect(looks[0]).toEqual({ memory: { polls: 7 }, note: `poll 7: droplet ${droplet.id} is new` });
    expect(looks.length).toBeGreaterThan(1);
    expect(looks.slice(1).map((w) => (w.memory as { polls: number }).polls)).toEqual(looks.slice(1).map((_, i) => 8 + i));
    expect(view.steps[2]).toMatchObject({ status: 'succeeded', output: { resourceId: `do:droplet:${droplet.id}` } });
  });

  it('goes on polling the snapshot action its note names, instead of posting a second snapshot', async () => {
    // given a snapshot saga that posted its action and was polling it, as version 1 left it
    const droplet = sim.state.createDroplet({ name: 'old-db', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }, { unmanaged: true }).droplet;
    const sagaId = randomUUID();
    const name = snapshotName(droplet.id, sagaId);
    const action = await dropletDeps(sim.url, runtime.store).cloud.dropletAction(droplet.id, { type: 'snapshot', name });
    await storeV1(sagaId, [
      {
        type: 'SagaStarted',
        data: { sagaId, kind: 'snapshot', definition: 'snapshot_droplet', version: 1, steps: ['create_droplet_snapshot'], inputs: { dropletId: droplet.id }, deploymentId: null, triggeredBy: 'alice', at: at() },
      },
      { type: 'StepStarted', data: { sagaId, step: 0, name: 'create_droplet_snapshot', attempt: 1, at: at() } },
      { type: 'StepWaiting', data: { sagaId, step: 0, name: 'create_droplet_snapshot', attempt: 1, dueAt: at(), note: `snapshot ${name}: action ${action.id} (poll 2)`, at: at() } },
    ]);

    // when this version's workers take it up
    const view = await finished(sagaId);

    // then the action from the note was polled to its snapshot: one snapshot, one action posted
    expect(view.status).toBe('completed');
    expect((await waits(sagaId))[0]!.memory).toEqual({ phase: 'action', actionId: action.id, polls: 2 });
    expect([...sim.state.snapshots.values()].filter((s) => s.name === name)).toHaveLength(1);
    expect([...sim.state.actions.values()].filter((a) => a.dropletId === droplet.id && a.type === 'snapshot')).toHaveLength(1);
    expect(view.steps[0]!.output).toMatchObject({ snapshotName: name });
  });
});
