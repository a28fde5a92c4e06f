import { startSimulator, type RunningSimulator } from '../../src/adapters/cloud/digitalocean/simulator/simulator.js';
import { failStep } from '../../src/application/saga/builtin-steps/builtin.steps.js';
import { NO_EFFECTS } from '../../src/application/saga/saga.ports.js';
import {
  createDropletInput,
  createDropletSnapshotStep,
  createDropletStep,
  registerDropletStep,
  snapshotName,
  waitDropletActiveStep,
} from '../../src/application/provisioning/steps/droplet.steps.js';
import { dropletResourceId, MANAGED_TAG, sagaTag } from '../../src/domain/inventory/resource.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { snapshotInputs } from '../../src/application/provisioning/droplet.definitions.js';
import { extend, StepError } from '../../src/domain/saga/saga-step.js';
import { toResourceStream, toSpecStream } from '../../src/domain/streams.js';
import { handleOnStream } from '../../src/application/event-stream.js';
import { specDecider } from '../../src/domain/drift/spec.decider.js';
import { observeDroplet } from '../../src/domain/inventory/resource.js';
import type { EventStore } from '../../src/domain/event-store/event-store.port.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { dropletDeps, testDropletDefinitions } from '../support/droplet-sagas.js';
import { type SagaRuntime, startSagaRuntime } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

const ctx = { actor: 'alice', correlationId: 'it-droplets', causationId: null };
const request = { name: 'web-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['team:web'] };

/** Test-only templates: a provision whose register step fails, and a snapshot followed by a failing step. */
function faultyDefinitions(url: string, store: EventStore) {
  const deps = dropletDeps(url, store);
  const brokenRegister = extend(registerDropletStep(deps), {
    preHooks: [
      () => {
        throw new StepError('injected', 'register fails on purpose', false);
      },
    ],
  });
  return [
    { name: 'provision_failing_register', version: 1, inputs: createDropletInput, steps: [createDropletStep(deps), waitDropletActiveStep(deps), brokenRegister] },
    { name: 'snapshot_then_fail', version: 1, inputs: snapshotInputs, steps: [createDropletSnapshotStep(deps), failStep(NO_EFFECTS, 'fail')] },
  ];
}

describe('droplet sagas against the DigitalOcean simulator', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let runtime: SagaRuntime;

  beforeAll(async () => {
    db = await createTestDatabase('cl_droplets');
    sim = await startSimulator({ delays: { dropletActiveMs: 300, actionMs: 200, snapshotAppearMs: 600, snapshotLingerMs: 300, tagListLagMs: 400 } });
    runtime = await startSagaRuntime(db.url, {}, { recordEffects: false, definitions: (store) => [...testDropletDefinitions(sim.url, store), ...faultyDefinitions(sim.url, store)] });
  });
  afterAll(async () => {
    await runtime?.close();
    await sim?.close();
    await db?.drop();
  });
  // no reset between tests: droplet ids must not repeat while the event store keeps their streams
  afterEach(() => void sim.state.setFaults({ burst5xxAfterEffect: 0 }));

  const start = async (definition: string, inputs: Record<string, unknown>, kind = 'provision'): Promise<string> =>
    (await runtime.engine.service.start({ kind, definition, inputs }, ctx)).sagaId;

  const finished = (sagaId: string) =>
    waitFor(
      async () => {
        const view = await runtime.engine.service.get(sagaId);
        return ['completed', 'rolled_back', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      `saga ${sagaId} to finish`,
      60_000,
    );

  const dropletsTagged = (tag: string) => [...sim.state.droplets.values()].filter((d) => d.tags.includes(tag));

  async function types(stream: string): Promise<{ type: string; data: Record<string, unknown>; actor: string }[]> {
    const out = [];
    for await (const recorded of runtime.store.readStream(stream)) {
      const event = eventCatalogue.decode(recorded);
      out.push({ type: event.type, data: event.data as Record<string, unknown>, actor: event.metadata.actor });
    }
    return out;
  }

  it('provisions: creates the tagged droplet, waits until active, registers it with its spec', async () => {
    const sagaId = await start('provision_droplet', request);
    const view = await finished(sagaId);
    expect(view.status).toBe('completed');

    const [droplet, ...others] = dropletsTagged(sagaTag(sagaId));
    expect(others).toEqual([]);
    expect(droplet!.tags).toEqual(expect.arrayContaining([MANAGED_TAG, 'team:web']));
    expect(droplet!.status).toBe('active');
    const wait = view.steps.find((s) => s.name === 'wait_droplet_active')!;
    expect(wait.output).toMatchObject({ dropletId: droplet!.id, publicIpv4: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });

    const resourceId = dropletResourceId(droplet!.id);
    const inventory = await types(toResourceStream(resourceId));
    expect(inventory.map((e) => e.type)).toEqual(['ResourceObserved']);
    expect(inventory[0]).toMatchObject({ actor: 'alice', data: { source: 'saga', sagaId, state: { size_slug: 's-1vcpu-1gb', region: 'nyc3', status: 'active' } } });
    const spec = await types(toSpecStream(resourceId));
    expect(spec).toEqual([
      expect.objectContaining({ type: 'SpecRecorded', data: expect.objectContaining({ version: 1, spec: { size_slug: 's-1vcpu-1gb', region: 'nyc3', image: 'ubuntu-24-04-x64' } }) }),
    ]);
  });

  it('register_droplet appends to a new droplet’s streams without reading them first, and reads them when they stand already (the step run again)', async () => {
    const reads: string[] = [];
    const store = runtime.store;
    const counting: EventStore = { ...store, readStream: (stream, options) => (reads.push(stream), store.readStream(stream, options)), appendToStream: store.appendToStream.bind(store) } as EventStore;
    const deps = dropletDeps(sim.url, counting);
    const step = registerDropletStep(deps);
    const droplet = (await deps.cloud.getDroplet(sim.state.createDroplet({ ...request, tags: [MANAGED_TAG] }).droplet.id))!;
    const resourceId = dropletResourceId(droplet.id);
    const ctx = (sagaId: string) => ({
      sagaId,
      kind: 'provision',
      deploymentId: null,
      step: step.name,
      attempt: 1,
      params: { dropletId: droplet.id, publicIpv4: null, state: observeDroplet({ ...droplet, status: 'active' }) },
      now: new Date(),
      resumedFrom: null,
      memory: undefined,
      recovering: false,
      triggeredBy: 'alice',
      input: () => undefined,
      output: () => undefined,
      signal: new AbortController().signal,
    });

    // a droplet nothing has seen: both streams are new, and neither is read
    const first = await step.execute(ctx('c0ffee00-0000-4000-8000-00000000000a'));
    expect(first).toMatchObject({ status: 'done', output: { resourceId, specVersion: 1 } });
    expect(reads).toEqual([]);

    // run again (as after a crash before its outcome was recorded): the appends expecting new streams
    // fail their revision, the streams are read, and nothing is recorded twice
    const again = await step.execute(ctx('c0ffee00-0000-4000-8000-00000000000a'));
    expect(again).toMatchObject({ status: 'done', output: { resourceId, specVersion: 1 } });
    expect(reads).toEqual([toResourceStream(resourceId), toSpecStream(resourceId)]);
    expect((await types(toResourceStream(resourceId))).map((e) => e.type)).toEqual(['ResourceObserved']);
    expect((await types(toSpecStream(resourceId))).map((e) => e.type)).toEqual(['SpecRecorded']);
  });

  it('create_droplet resumed by a claim that was cut short waits out the tag-listing lag again instead of creating', async () => {
    // given a saga whose create step waited long past its grace, and a droplet with its tag that a
    // cut-short run had just created (tag listings do not show it yet)
    const sagaId = 'c0ffee00-0000-4000-8000-000000000001';
    sim.state.createDroplet({ ...request, tags: [sagaTag(sagaId), MANAGED_TAG] });
    const step = createDropletStep(dropletDeps(sim.url, runtime.store));
    const now = new Date();
    const longAgo = new Date(now.getTime() - 60_000).toISOString();
    const ctx = (recovering: boolean) => ({
      sagaId,
      kind: 'provision',
      deploymentId: null,
      step: step.name,
      attempt: 1,
      params: createDropletInput.parse(request),
      now,
      resumedFrom: { dueAt: longAgo, note: `looking for a droplet tagged ${sagaTag(sagaId)} since ${longAgo} (creates: 1)` },
      memory: { phase: 'searching' as const, since: longAgo, creates: 1 },
      recovering,
      triggeredBy: 'alice',
      input: () => undefined,
      output: () => undefined,
      signal: new AbortController().signal,
    });
    const posts = () => sim.state.requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets').length;
    const before = posts();

    // when it runs recovering / then it waits for the listing instead of creating a second droplet
    const outcome = await step.execute(ctx(true));
    expect(outcome).toMatchObject({ status: 'waiting', note: expect.stringContaining(`since ${now.toISOString()}`) });
    expect(posts()).toBe(before);
    expect(dropletsTagged(sagaTag(sagaId))).toHaveLength(1);

    // and once the listing shows it, it adopts it
    await new Promise((r) => setTimeout(r, 500));
    expect(
      await step.execute({ ...ctx(false), resumedFrom: { dueAt: now.toISOString(), note: (outcome as { note: string }).note }, memory: (outcome as { memory: { phase: 'searching'; since: string; creates: number } }).memory }),
    ).toMatchObject({ status: 'done', output: { adopted: true } });
    expect(posts()).toBe(before);
  });

  it('adopts the droplet a create made although its answer was a 500: one droplet per saga tag', async () => {
    const seen = sim.state.requests.length;
    sim.state.setFaults({ burst5xxAfterEffect: 1 });
    const sagaId = await start('provision_droplet', request);
    const view = await finished(sagaId);

    expect(view.status).toBe('completed');
    expect(dropletsTagged(sagaTag(sagaId))).toHaveLength(1);
    expect(view.steps[0]!.output).toMatchObject({ adopted: true });
    const creates = sim.state.requests.slice(seen).filter((r) => r.method === 'POST' && r.path === '/v2/droplets');
    expect(creates.map((r) => r.status)).toEqual([500]);
  });

  it('rolls back a provision whose register step fails: the droplet is destroyed', async () => {
    const sagaId = await start('provision_failing_register', request);
    const view = await finished(sagaId);

    expect(view.status).toBe('rolled_back');
    expect(view.steps.map((s) => [s.name, s.status])).toEqual([
      ['create_droplet', 'compensated'],
      ['wait_droplet_active', 'compensated'],
      ['register_droplet', 'failed'],
    ]);
    expect(dropletsTagged(sagaTag(sagaId))).toEqual([]);
  });

  it('destroys a droplet and records its deletion; destroying it again is fine', async () => {
    const provisioned = await finished(await start('provision_droplet', request));
    const dropletId = (provisioned.steps[0]!.output as { dropletId: number }).dropletId;

    const first = await finished(await start('destroy_droplet', { dropletId }, 'destroy'));
    const again = await finished(await start('destroy_droplet', { dropletId }, 'destroy'));

    expect([first.status, again.status]).toEqual(['completed', 'completed']);
    expect(sim.state.droplets.has(dropletId)).toBe(false);
    // shut down gracefully first; the second time, the droplet is gone: the error handler lets the destroy go on
    expect(first.steps.map((s) => [s.name, s.status, s.output])).toEqual([
      ['shutdown_droplet', 'succeeded', { shutDown: true }],
      ['destroy_droplet', 'succeeded', { dropletId, resourceId: dropletResourceId(dropletId) }],
    ]);
    expect(again.steps[0]).toMatchObject({ name: 'shutdown_droplet', status: 'succeeded', output: { shutDown: false }, error: expect.stringContaining('no longer exists') });
    expect(again.steps[1]).toMatchObject({ name: 'destroy_droplet', status: 'succeeded' });
    const resourceId = dropletResourceId(dropletId);
    expect((await types(toResourceStream(resourceId))).map((e) => e.type)).toEqual(['ResourceObserved', 'ResourceDeleted']);
    expect((await types(toSpecStream(resourceId))).map((e) => e.type)).toEqual(['SpecRecorded', 'SpecRemoved']);
  });

  it('snapshots a droplet although the snapshot shows in listings only a while after its action completes', async () => {
    const droplet = sim.state.createDroplet({ name: 'db-1', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }).droplet;
    const sagaId = await start('snapshot_droplet', { dropletId: droplet.id, label: 'before upgrade' }, 'snapshot');
    const view = await finished(sagaId);

    expect([view.status, view.error]).toEqual(['completed', null]);
    const name = snapshotName(droplet.id, sagaId);
    expect(view.steps[0]!.output).toMatchObject({ snapshotName: name, label: 'before upgrade', dropletId: droplet.id });
    const snapshots = [...sim.state.snapshots.values()].filter((s) => s.name === name);
    expect(snapshots).toHaveLength(1);
    expect(String(snapshots[0]!.id)).toBe((view.steps[0]!.output as { snapshotId: string }).snapshotId);
    // the lag was real: the step looked at least once before the snapshot was listed
    const listings = sim.state.requests.filter((r) => r.method === 'GET' && r.path === `/v2/droplets/${droplet.id}/snapshots`);
    expect(listings.length).toBeGreaterThanOrEqual(2);
  });

  it('does not post a snapshot again when the first post took effect but was answered 500', async () => {
    // active at once (not busy with its create), so the first snapshot post is accepted
    const droplet = sim.state.createDroplet({ name: 'db-3', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }, { unmanaged: true }).droplet;
    // the snapshot action starts, and its answer is lost; it runs longer than the step's retry backoff
    sim.state.setFaults({ burst5xxAfterEffect: 1 });
    const delays = sim.state.delays;
    sim.state.delays = { ...delays, actionMs: 3_000 };
    const sagaId = await start('snapshot_droplet', { dropletId: droplet.id }, 'snapshot');
    const view = await finished(sagaId).finally(() => (sim.state.delays = delays));

    expect([view.status, view.error]).toEqual(['completed', null]);
    const posts = sim.state.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${droplet.id}/actions`);
    expect(posts.map((r) => [r.status, r.fault])).toEqual([[500, 'after_effect']]);
    const snapshots = [...sim.state.snapshots.values()].filter((s) => s.name === snapshotName(droplet.id, sagaId));
    expect(snapshots.map((s) => String(s.id))).toEqual([(view.steps[0]!.output as { snapshotId: string }).snapshotId]);
  });

  it('cancelled while its snapshot is being made, deletes the snapshot once it shows', async () => {
    const droplet = sim.state.createDroplet({ name: 'db-4', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }, { unmanaged: true }).droplet;
    const delays = sim.state.delays;
    sim.state.delays = { ...delays, actionMs: 1_500 };
    try {
      // given a snapshot saga waiting on its action
      const sagaId = await start('snapshot_droplet', { dropletId: droplet.id }, 'snapshot');
      await waitFor(async () => ((await runtime.engine.service.get(sagaId)).steps[0]!.note?.includes('action') ? true : undefined), 'the snapshot action to be polled');

      // when it is cancelled before the snapshot exists
      await runtime.engine.service.cancel(sagaId, ctx);
      const view = await finished(sagaId);

      // then the snapshot its action made is deleted all the same
      expect(view.status).toBe('cancelled');
      const snapshots = [...sim.state.snapshots.values()].filter((x) => x.name === snapshotName(droplet.id, sagaId));
      expect(snapshots).toHaveLength(1);
      expect(snapshots[0]!.deletedAt).not.toBeNull();
    } finally {
      sim.state.delays = delays;
    }
  });

  it('deletes the snapshot when a later step fails', async () => {
    const droplet = sim.state.createDroplet({ name: 'db-2', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64' }).droplet;
    const sagaId = await start('snapshot_then_fail', { dropletId: droplet.id }, 'snapshot');
    const view = await finished(sagaId);

    expect(view.status).toBe('rolled_back');
    const snapshots = [...sim.state.snapshots.values()].filter((s) => s.name === snapshotName(droplet.id, sagaId));
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]!.deletedAt).not.toBeNull();
  });

  it('reverts a tags drift to the spec value, never a caller one: the droplet gets the spec tags back (keeping the control plane own), the drift closes reverted', async () => {
    const provisioned = await finished(await start('provision_droplet', request));
    const dropletId = (provisioned.steps[0]!.output as { dropletId: number }).dropletId;
    const resourceId = dropletResourceId(dropletId);
    const own = [MANAGED_TAG, sagaTag(provisioned.id)];
    // the spec wants team:web (a value without the control plane's own tags, which must not strip
    // them); someone swapped it for rogue behind the control plane's back
    await handleOnStream(runtime.store, toSpecStream(resourceId), specDecider, { type: 'RecordSpec', data: { resourceId, spec: { tags: ['team:web'] }, reason: 'recorded', sagaId: null } }, ctx);
    sim.state.setTags(dropletId, [...own, 'rogue']);
    const live = observeDroplet((await dropletDeps(sim.url, runtime.store).cloud.getDroplet(dropletId))!);
    await handleOnStream(runtime.store, toSpecStream(resourceId), specDecider, { type: 'DetectDrift', data: { resourceId, live, policies: [], newDriftId: () => 'drift-tags-1' } }, ctx);

    // a value and a droplet in the inputs are not the saga's to take: it reads them from the spec
    const sagaId = await start('revert_drift', { resourceId, driftId: 'drift-tags-1', field: 'tags', dropletId: 1, value: ['evil'] }, 'drift_revert');
    const view = await finished(sagaId);

    expect(view.status).toBe('completed');
    expect(view.steps.map((s) => s.name)).toEqual(['begin_revert', 'retag_droplet', 'complete_revert']);
    expect(view.inputs).toEqual({ resourceId, driftId: 'drift-tags-1', field: 'tags' });
    expect(view.steps[0]!.output).toEqual({ driftId: 'drift-tags-1', dropletId, field: 'tags', value: ['team:web'] });
    expect([...sim.state.droplet(dropletId).tags].sort()).toEqual([...own, 'team:web'].sort());
    const specEvents = (await types(toSpecStream(resourceId))).map((e) => e.type);
    expect(specEvents.slice(-3)).toEqual(['DriftDetected', 'DriftRevertRequested', 'DriftReverted']);
  });
});
