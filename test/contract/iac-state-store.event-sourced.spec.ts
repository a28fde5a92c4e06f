import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { ProjectionRunner } from '../../src/adapters/projections/projection-runner.js';
import { EventSourcedIacStateStore } from '../../src/adapters/state/event-sourced/event-sourced.iac-state-store.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import type { AnyProjection } from '../../src/projections/projection.js';
import { iacLocksProjection } from '../../src/projections/iac/iac-locks.projection.js';
import { iacStatesProjection } from '../../src/projections/iac/iac-states.projection.js';
import { createTestDatabase } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';
import { describeIacStateStoreContract } from './iac-state-store.contract.js';

const projections: AnyProjection[] = [iacStatesProjection, iacLocksProjection];

describeIacStateStoreContract('event-sourced (PostgreSQL event store)', async () => {
  const db = await createTestDatabase('cl_iac_contract', [], 30);
  const events = new PostgresEventStore(db.pool, db.url, { pollIntervalMs: 20 });
  const clock = new TestClock();
  const store = new EventSourcedIacStateStore(events, db.orm, { now: clock.now });
  const runner = new ProjectionRunner(db.orm, events, eventCatalogue, db.url, { idleRetryMs: 50 });
  const stop = new AbortController();
  const running = projections.map((p) => runner.run(p, stop.signal));
  return {
    store,
    clock,
    // list and listLocks read projections: wait until both have applied every event written, not a fixed sleep
    settle: async () => {
      if (!(await runner.waitForCatchUp(projections, 30_000))) throw new Error('the IaC projections did not catch up');
    },
    async teardown() {
      stop.abort();
      await Promise.all(running);
      await events.close();
      await db.drop();
    },
  };
});
