import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { EventSourcedIacStateStore } from '../../src/adapters/state/event-sourced/event-sourced.iac-state-store.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import { hasHistory } from '../../src/domain/iac/iac-state-store.port.js';
import { toIacStream } from '../../src/domain/streams.js';
import { iacLocksProjection } from '../../src/projections/iac/iac-locks.projection.js';
import { iacStatesProjection } from '../../src/projections/iac/iac-states.projection.js';
import type { AnyProjection } from '../../src/projections/projection.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { collect } from '../support/events.js';
import { TestClock } from '../support/test-clock.js';

const projections: AnyProjection[] = [iacStatesProjection, iacLocksProjection];
const record = (status: string) => ({
  resource_id: 'do:droplet:7',
  resource_type: 'droplet',
  provider: 'digitalocean',
  status,
  outputs: {},
  config: { size: 's-1vcpu-1gb' },
});

describe('the event-sourced IaC state store', () => {
  let db: TestDatabase;
  let events: PostgresEventStore;
  let clock: TestClock;
  let store: EventSourcedIacStateStore;
  let runner: ProjectionRunner;

  async function settle(): Promise<void> {
    if (!(await runner.waitForCatchUp(projections, 30_000))) throw new Error('the IaC projections did not catch up');
  }

  beforeEach(async () => {
    db = await createTestDatabase('cl_iac_es');
    events = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
    clock = new TestClock();
    store = new EventSourcedIacStateStore(events, db.orm, { now: clock.now });
    runner = new ProjectionRunner(db.orm, events, eventCatalogue, db.url, { idleRetryMs: 50 });
  });
  afterEach(async () => {
    await events.close();
    await db.drop();
  });

  it('keeps the full history of a record: who saved, locked and took over what, when', async () => {
    // given a life of one record across three actors
    await store.save(record('planned'), {}, { actor: 'token:ci', correlationId: 'req-1' });
    const lock = await store.lock('do:droplet:7', { owner: 'pipeline-42', operation: 'apply', ttlSeconds: 60 }, { actor: 'token:ci' });
    await store.save(record('active'), { lockId: lock.lockId }, { actor: 'token:ci' });
    clock.advance(61);
    const taken = await store.lock('do:droplet:7', { owner: 'laptop-7', operation: 'plan' }, { actor: 'token:ops', correlationId: 'req-9' });
    await store.forceUnlock('do:droplet:7', taken.lockId, { actor: 'token:admin' });
    await store.delete('do:droplet:7', {}, { actor: 'token:admin' });

    // when its history is read
    const history = await store.history('do:droplet:7');

    // then every event is there, in order, with its actor
    expect(history.map((e) => [e.revision, e.type, e.actor])).toEqual([
      [0, 'StateSaved', 'token:ci'],
      [1, 'LockAcquired', 'token:ci'],
      [2, 'StateSaved', 'token:ci'],
      [3, 'LockExpired', 'token:ops'],
      [4, 'LockAcquired', 'token:ops'],
      [5, 'LockForceReleased', 'token:admin'],
      [6, 'StateDeleted', 'token:admin'],
    ]);
    expect(history[0]).toMatchObject({ correlationId: 'req-1', data: { record: { status: 'planned' } } });
    expect(history[2]).toMatchObject({ data: { lockId: lock.lockId, record: { status: 'active' } } });
    expect(history[5]).toMatchObject({ data: { lockId: taken.lockId, owner: 'laptop-7' } });
    expect(history.every((e) => e.recordedAt instanceof Date)).toBe(true);
    expect(await store.history('do:droplet:never')).toEqual([]);
    expect(hasHistory(store)).toBe(true);

    // and the takeover was one append: LockExpired and LockAcquired share a transaction
    const stored = await collect(events.readStream(toIacStream('do:droplet:7')));
    expect(stored[3]!.position.commit).toBe(stored[4]!.position.commit);
    expect(history[3]!.correlationId).toBe('req-9');
    expect(history[4]!.correlationId).toBe('req-9');
  });

  it('serves list and listLocks from iac_states and iac_locks, which a rebuild reproduces from the log', async () => {
    // given records and locks, projected
    const stop = new AbortController();
    const running = projections.map((p) => runner.run(p, stop.signal));
    for (let i = 0; i < 12; i++) {
      await store.save({ ...record(i % 3 === 0 ? 'error' : 'active'), resource_id: `r-${String(i).padStart(2, '0')}` }, {}, { actor: 'token:ci' });
    }
    await store.delete('r-00', {}, { actor: 'token:ci' });
    const lock = await store.lock('r-01', { owner: 'pipeline-42', operation: 'apply' }, { actor: 'token:ci' });
    const released = await store.lock('r-02', { owner: 'pipeline-43', operation: 'apply' }, { actor: 'token:ci' });
    await store.unlock('r-02', released.lockId, { actor: 'token:ci' });
    await settle();

    const errors = await store.list({ status: 'error' });
    expect(errors.map((r) => r.resource_id)).toEqual(['r-03', 'r-06', 'r-09']);
    expect(await store.listLocks()).toEqual([lock]);
    const { rows } = await db.pool.query<{ resource_id: string; saved_by: string }>(`select resource_id, saved_by from iac_states where resource_id = 'r-03'`);
    expect(rows).toEqual([{ resource_id: 'r-03', saved_by: 'token:ci' }]);

    // when both read models are rebuilt from the log
    const before = await store.list();
    await db.pool.query('delete from iac_states');
    for (const projection of projections) await runner.rebuild(projection);
    stop.abort();
    await Promise.all(running);

    // then they hold the same rows
    expect(await store.list()).toEqual(before);
    expect(before).toHaveLength(11);
    expect(await store.listLocks()).toEqual([lock]);
  });
});
