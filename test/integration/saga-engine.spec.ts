import { z } from 'zod';
import { InvalidInput } from '../../src/domain/errors.js';
import type { SagaDefinition } from '../../src/domain/saga/saga-definitions.js';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import type { SagaEvent } from '../../src/domain/saga/saga.events.js';
import { toSagaStream } from '../../src/domain/streams.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createEffectsTable, type SagaRuntime, startSagaRuntime } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

const ctx = { actor: 'tester', correlationId: 'it-1', causationId: null };

/** A step that is not ready on its first three looks, each asking to be looked at again at once; it counts its looks in its memory. */
let pollThriceRuns = 0;
const pollThrice: SagaDefinition = {
  name: 'poll_thrice',
  version: 1,
  inputs: z.object({}),
  steps: [
    {
      name: 'poll',
      input: z.unknown(),
      output: z.object({ looks: z.number() }),
      memory: z.object({ looks: z.number() }),
      async execute(c) {
        pollThriceRuns++;
        const looks = ((c.memory as { looks: number } | undefined)?.looks ?? 0) + 1;
        return looks > 3 ? { status: 'done', output: { looks } } : { status: 'waiting', retryAfterMs: 0, note: `look ${looks}`, memory: { looks } };
      },
    },
  ],
};

describe('the saga engine against PostgreSQL', () => {
  let db: TestDatabase;
  let runtime: SagaRuntime;

  beforeAll(async () => {
    db = await createTestDatabase('cl_saga');
    await createEffectsTable(db.pool);
    runtime = await startSagaRuntime(db.url, {}, { definitions: () => [pollThrice] });
  });
  afterAll(async () => {
    await runtime?.close();
    await db.drop();
  });

  const start = (steps: unknown[], extra: Record<string, unknown> = {}): Promise<{ sagaId: string }> =>
    runtime.engine.service.start({ kind: 'test', definition: 'script', inputs: { steps }, ...extra }, ctx);

  const finished = (sagaId: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const { rows } = await db.pool.query<{ status: string }>('select status from saga_runs where id = $1 and finished_at is not null', [sagaId]);
        return rows[0]?.status;
      },
      `saga ${sagaId} to finish`,
      timeoutMs,
    );

  async function events(sagaId: string): Promise<(SagaEvent & { recordedAt: Date })[]> {
    const out: (SagaEvent & { recordedAt: Date })[] = [];
    for await (const recorded of runtime.store.readStream(toSagaStream(sagaId))) {
      out.push({ ...(eventCatalogue.decode(recorded) as unknown as SagaEvent), recordedAt: recorded.recordedAt });
    }
    return out;
  }

  async function effects(sagaId: string): Promise<{ step: string; effect: string }[]> {
    const { rows } = await db.pool.query<{ step: string; effect: string }>('select step, effect from saga_test_effects where saga_id = $1 order by id', [sagaId]);
    return rows;
  }

  it('runs a 5-step saga to completion, each step once, in order', async () => {
    // given a saga of five no-op steps
    const { sagaId } = await start([{ op: 'noop' }, { op: 'noop' }, { op: 'noop' }, { op: 'noop' }, { op: 'noop' }], { deploymentId: 'dep-1' });

    // when the engine runs it
    // then it completes, each step ran exactly once, in order
    expect(await finished(sagaId)).toBe('completed');
    expect(await effects(sagaId)).toEqual(['1-noop', '2-noop', '3-noop', '4-noop', '5-noop'].map((step) => ({ step, effect: 'execute' })));
    const view = await runtime.engine.service.get(sagaId);
    expect(view).toMatchObject({ status: 'completed', deploymentId: 'dep-1', triggeredBy: 'tester' });
    expect(view.steps.map((s) => [s.status, s.attempts])).toEqual(Array.from({ length: 5 }, () => ['succeeded', 1]));
    const types = (await events(sagaId)).map((e) => e.type);
    expect(types[0]).toBe('SagaStarted');
    expect(types.at(-1)).toBe('SagaCompleted');
    const listed = await waitFor(async () => {
      const page = await runtime.engine.readModel.list({ deploymentId: 'dep-1', limit: 10 });
      return page.items[0]?.status === 'completed' ? page : undefined;
    }, 'the list to show it');
    expect(listed.items.map((i) => i.id)).toEqual([sagaId]);
  });

  it('rolls back [step, step, fail], compensating in reverse order, each exactly once', async () => {
    const { sagaId } = await start([{ op: 'noop' }, { op: 'noop' }, { op: 'fail' }]);

    expect(await finished(sagaId)).toBe('rolled_back');
    expect(await effects(sagaId)).toEqual([
      { step: '1-noop', effect: 'execute' },
      { step: '2-noop', effect: 'execute' },
      { step: '3-fail', effect: 'execute' },
      { step: '2-noop', effect: 'compensate' },
      { step: '1-noop', effect: 'compensate' },
    ]);
    const log = await events(sagaId);
    expect(log.filter((e) => e.type === 'StepCompensated').map((e) => (e.data as { name: string }).name)).toEqual(['2-noop', '1-noop']);
    expect(log.filter((e) => e.type === 'CompensationStarted')).toHaveLength(1);
    const rolledBack = log.find((e) => e.type === 'SagaRolledBack');
    expect(rolledBack?.data).toMatchObject({ reason: expect.stringContaining('3-fail') });
    const view = await runtime.engine.service.get(sagaId);
    expect(view.steps.map((s) => s.status)).toEqual(['compensated', 'compensated', 'failed']);
  });

  it('retries flaky(2) with backoff and succeeds on the third attempt', async () => {
    const { sagaId } = await start([{ op: 'flaky', failures: 2 }]);

    expect(await finished(sagaId)).toBe('completed');
    const log = await events(sagaId);
    const failures = log.filter((e) => e.type === 'StepFailed').map((e) => e.data as { attempt: number; willRetry: boolean; dueAt: string; at: string });
    expect(failures.map((f) => [f.attempt, f.willRetry])).toEqual([[1, true], [2, true]]);
    // each retry waited for its backoff: attempt n+1 started no earlier than the failure's dueAt
    const starts = log.filter((e) => e.type === 'StepStarted').map((e) => e.data as { attempt: number; at: string });
    expect(starts.map((s) => s.attempt)).toEqual([1, 2, 3]);
    for (const [i, failure] of failures.entries()) {
      expect(Date.parse(failure.dueAt) - Date.parse(failure.at)).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(Date.parse(starts[i + 1]!.at)).toBeGreaterThanOrEqual(Date.parse(failure.dueAt));
    }
    expect((await effects(sagaId)).length).toBe(3);
    expect((await runtime.engine.service.get(sagaId)).steps[0]).toMatchObject({ status: 'succeeded', attempts: 3, output: { attempts: 3 } });
  });

  it('cancels a running saga: what completed is compensated, it ends cancelled, and a second cancel is a 409', async () => {
    const { sagaId } = await start([{ op: 'noop' }, { op: 'sleep', ms: 600_000 }, { op: 'noop' }]);
    await waitFor(async () => ((await runtime.engine.service.get(sagaId)).steps[1]!.status === 'waiting' ? true : undefined), 'the sleep to start');

    await runtime.engine.service.cancel(sagaId, { ...ctx, actor: 'ops' });

    expect(await finished(sagaId)).toBe('cancelled');
    expect(await effects(sagaId)).toEqual([
      { step: '1-noop', effect: 'execute' },
      { step: '2-sleep', effect: 'compensate' },
      { step: '1-noop', effect: 'compensate' },
    ]);
    await expect(runtime.engine.service.cancel(sagaId, ctx)).rejects.toMatchObject({ code: 'saga_already_finished' });
  });

  it('refuses an unknown definition or bad inputs with field issues, writing nothing', async () => {
    const before = await db.pool.query('select count(*)::int as n from events');
    await expect(runtime.engine.service.start({ kind: 'test', definition: 'nope', inputs: {} }, ctx)).rejects.toBeInstanceOf(InvalidInput);
    const bad = await runtime.engine.service.start({ kind: 'test', definition: 'script', inputs: { steps: [{ op: 'flaky', failures: 'x' }] } }, ctx).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidInput);
    expect((bad as InvalidInput).issues[0]!.path).toMatch(/^inputs\.steps\.0/);
    const after = await db.pool.query('select count(*)::int as n from events');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('looks again at a waiting step each time it is due, never recording one look twice', async () => {
    // given a step that is due again at once after each of its first three looks
    const { sagaId } = await runtime.engine.service.start({ kind: 'test', definition: 'poll_thrice', inputs: {} }, ctx);
    // when it runs / then each wait recorded is a look the step really took
    expect(await finished(sagaId)).toBe('completed');
    const waits = (await events(sagaId)).filter((e) => e.type === 'StepWaiting').map((e) => (e.data as { note: string }).note);
    expect(waits).toEqual(['look 1', 'look 2', 'look 3']);
    expect(pollThriceRuns).toBe(4);
  });

  it('keeps a sleeping saga across a restart and fires it once', async () => {
    // given a saga sleeping 1.5 s
    const { sagaId } = await start([{ op: 'sleep', ms: 1500 }, { op: 'noop' }]);
    const waiting = await waitFor(async () => {
      const step = (await runtime.engine.service.get(sagaId)).steps[0]!;
      return step.status === 'waiting' ? step : undefined;
    }, 'the sleep to be recorded');

    // when the whole engine stops and a new one starts
    await runtime.close();
    runtime = await startSagaRuntime(db.url);

    // then the sleep fires once, not before it was due, and the saga completes
    expect(await finished(sagaId)).toBe('completed');
    expect((await effects(sagaId)).filter((e) => e.step === '1-sleep')).toEqual([{ step: '1-sleep', effect: 'execute' }]);
    const succeeded = (await events(sagaId)).find((e) => e.type === 'StepSucceeded' && (e.data as { step: number }).step === 0)!;
    expect(Date.parse((succeeded.data as { at: string }).at)).toBeGreaterThanOrEqual(Date.parse(waiting.dueAt!));
  });
});
