import type { MikroORM } from '@mikro-orm/postgresql';
import type { EventStore } from '../../../domain/event-store/event-store.port.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import { ReadinessProbe } from './readiness.probe.js';

describe('the readiness probe', () => {
  /** Dependencies that count how often they are asked, answering when released. */
  function dependencies() {
    const calls = { store: 0, database: 0, projections: 0 };
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const hold = () => {
      gate = new Promise<void>((resolve) => (release = resolve));
    };
    const store = {
      async *readAll() {
        calls.store++;
        await gate;
        yield* [];
      },
    } as unknown as EventStore;
    const orm = { em: { getConnection: () => ({ execute: async () => void calls.database++ }) } } as unknown as MikroORM;
    const runner = { status: async () => (calls.projections++, []) } as unknown as ProjectionRunner;
    return { calls, store, orm, runner, hold, release: () => release() };
  }

  it('checks at most once per window, however many ask, with one check in flight', async () => {
    // given a probe with a 2 s window and a clock we move
    const deps = dependencies();
    let now = 0;
    const probe = new ReadinessProbe(deps.store, deps.orm, deps.runner, [], 30, 2000, 2000, () => now);

    // when 100 probes ask while the first check is still running
    deps.hold();
    const answers = Array.from({ length: 100 }, () => probe.check());
    now = 5000; // past the window, but the check has not settled: still the same one
    answers.push(probe.check());
    deps.release();
    const settled = await Promise.all(answers);

    // then one check answered all of them
    expect(deps.calls).toEqual({ store: 1, database: 1, projections: 1 });
    expect(new Set(settled).size).toBe(1);
    expect(settled[0]!.status).toBe('ready');

    // and, once it settled, a check starts again; within 2 s of its start its answer is reused
    now = 6000;
    await probe.check();
    expect(deps.calls.store).toBe(2);
    now = 7999;
    await probe.check();
    expect(deps.calls.store).toBe(2);
    now = 8000;
    await probe.check();
    expect(deps.calls.store).toBe(3);
  });
});
