import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { eventCatalogue } from '../../src/domain/events/event-catalogue.js';
import type { SagaDefinition } from '../../src/domain/saga/saga-definitions.js';
import { ignoreErrors, StepError, type StepFailure } from '../../src/domain/saga/saga-step.js';
import { toSagaStream } from '../../src/domain/streams.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type SagaRuntime, startSagaRuntime } from '../support/saga-runtime.js';
import { waitFor } from '../support/wait.js';

const ctx = { actor: 'tester', correlationId: 'contract', causationId: null };
const quick = { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20, multiplier: 2 };
const object = z.object({}).loose();

/** What the contract steps saw, by saga: the tests read it back. */
const seen = new Map<string, { failure?: StepFailure | null; memory?: unknown; undoTries?: number }>();
let undoBroken = true;

const definitions: SagaDefinition[] = [
  {
    name: 'contract_hooks',
    version: 1,
    inputs: object,
    steps: [
      {
        name: 'greet',
        input: z.object({ who: z.string() }),
        output: z.object({ greeting: z.string(), signed: z.boolean().optional() }),
        preHooks: [(input) => ({ who: input.who.toUpperCase() })],
        postHooks: [(output) => ({ ...output, signed: true })],
        async execute(c) {
          return { status: 'done', output: { greeting: `hello ${c.params.who}` } };
        },
      },
    ],
  },
  {
    name: 'contract_invalid_input',
    version: 1,
    inputs: object,
    steps: [{ name: 'needs_n', input: z.object({ n: z.number() }), output: z.unknown(), execute: async () => ({ status: 'done', output: null }) }],
  },
  {
    name: 'contract_invalid_output',
    version: 1,
    inputs: object,
    steps: [{ name: 'says_a_number', input: z.unknown(), output: z.object({ n: z.number() }), execute: async () => ({ status: 'done', output: { n: 'seven' } }) }],
  },
  {
    name: 'contract_timeout',
    version: 1,
    inputs: object,
    steps: [
      {
        name: 'slow',
        input: z.unknown(),
        output: z.unknown(),
        timeoutMs: 50,
        retry: quick,
        execute: (c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve({ status: 'done', output: null }))),
      },
    ],
  },
  {
    name: 'contract_on_error',
    version: 1,
    inputs: object,
    steps: [
      {
        name: 'optional',
        input: z.unknown(),
        output: z.object({ ok: z.boolean() }),
        onError: ignoreErrors({ ok: false }, ['not_there']),
        async execute() {
          throw new StepError('not_there', 'the optional thing is not there', false);
        },
      },
      { name: 'after', input: z.unknown(), output: z.unknown(), execute: async () => ({ status: 'done', output: { ran: true } }) },
    ],
  },
  {
    name: 'contract_compensation',
    version: 1,
    inputs: object,
    steps: [
      {
        name: 'make',
        input: z.unknown(),
        output: z.object({ made: z.string() }),
        memory: z.object({ made: z.string() }),
        async execute(c) {
          // the first look makes the thing and remembers it; the second finds it done
          if (c.memory) return { status: 'done', output: c.memory };
          return { status: 'waiting', retryAfterMs: 0, note: 'made it, confirming', memory: { made: `thing-${c.sagaId.slice(0, 4)}` } };
        },
        async compensate(c) {
          seen.set(c.sagaId, { ...seen.get(c.sagaId), failure: c.failure, memory: c.memory });
        },
      },
      {
        name: 'explode',
        input: z.unknown(),
        output: z.unknown(),
        async execute() {
          throw new StepError('boom', 'it went off', false);
        },
      },
    ],
  },
  {
    name: 'contract_fragile_undo',
    version: 1,
    inputs: object,
    steps: [
      {
        name: 'make',
        input: z.unknown(),
        output: z.unknown(),
        compensationRetry: quick,
        execute: async () => ({ status: 'done', output: null }),
        async compensate(c) {
          const state = seen.get(c.sagaId) ?? {};
          seen.set(c.sagaId, { ...state, undoTries: (state.undoTries ?? 0) + 1 });
          if (undoBroken) throw new StepError('undo_broken', 'cannot undo yet', true);
        },
      },
      {
        name: 'explode',
        input: z.unknown(),
        output: z.unknown(),
        async execute() {
          throw new StepError('boom', 'it went off', false);
        },
      },
    ],
  },
];

describe('the saga step contract, run by the engine against PostgreSQL', () => {
  let db: TestDatabase;
  let runtime: SagaRuntime;

  beforeAll(async () => {
    db = await createTestDatabase('cl_contract_steps');
    runtime = await startSagaRuntime(db.url, { pollMs: 20 }, { recordEffects: false, definitions: () => definitions });
  });
  afterAll(async () => {
    await runtime?.close();
    await db.drop();
  });

  const start = async (definition: string, inputs: Record<string, unknown> = {}) => (await runtime.engine.service.start({ kind: 'contract', definition, inputs }, ctx)).sagaId;
  const view = (sagaId: string) => runtime.engine.service.get(sagaId);
  const settled = (sagaId: string, statuses = ['completed', 'rolled_back', 'failed', 'cancelled']) =>
    waitFor(async () => {
      const v = await view(sagaId);
      return statuses.includes(v.status) ? v : undefined;
    }, `saga ${sagaId} to settle`);

  it('runs the pre-hooks on the input and the post-hooks on the output', async () => {
    const saga = await settled(await start('contract_hooks', { who: 'ada' }));
    expect(saga.status).toBe('completed');
    expect(saga.steps[0]!.output).toEqual({ greeting: 'hello ADA', signed: true });
  });

  it('fails a step whose input does not fit its schema, without retrying it', async () => {
    const saga = await settled(await start('contract_invalid_input', { n: 'seven' }));
    expect(saga.status).toBe('rolled_back');
    expect(saga.steps[0]!.attemptHistory).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', code: 'invalid_input', error: expect.stringContaining('step input: n') })]);
  });

  it('fails a step whose output does not fit its schema', async () => {
    const saga = await settled(await start('contract_invalid_output'));
    expect(saga.status).toBe('rolled_back');
    expect(saga.steps[0]!.attemptHistory).toEqual([expect.objectContaining({ outcome: 'failed', code: 'invalid_output', error: expect.stringContaining('step output: n') })]);
  });

  it('times a step out, retries it by its policy, and shows every attempt with its error', async () => {
    const saga = await settled(await start('contract_timeout'));
    expect(saga.status).toBe('rolled_back');
    expect(saga.steps[0]!.attemptHistory.map((a) => [a.attempt, a.outcome, a.code])).toEqual([
      [1, 'retrying', 'timeout'],
      [2, 'failed', 'timeout'],
    ]);
    expect(saga.steps[0]!.attemptHistory[0]!.error).toBe('timed out after 50 ms');
  });

  it('lets an error handler ignore an error it names: the step succeeds with the handler’s output and keeps the error', async () => {
    const saga = await settled(await start('contract_on_error'));
    expect(saga.status).toBe('completed');
    expect(saga.steps[0]).toMatchObject({ status: 'succeeded', output: { ok: false }, error: 'the optional thing is not there' });
    expect(saga.steps[1]).toMatchObject({ status: 'succeeded', output: { ran: true } });
  });

  it('hands a compensation the failure it undoes and the memory its step kept', async () => {
    const sagaId = await start('contract_compensation');
    const saga = await settled(sagaId);
    expect(saga.status).toBe('rolled_back');
    expect(seen.get(sagaId)).toEqual({ failure: { step: 'explode', code: 'boom', error: 'it went off' }, memory: { made: `thing-${sagaId.slice(0, 4)}` } });
  });

  it('ends a failed compensation as a failed saga, and an operator retries it to a rollback', async () => {
    undoBroken = true;
    const sagaId = await start('contract_fragile_undo');
    const failed = await settled(sagaId);
    expect(failed.status).toBe('failed');
    expect(failed.steps[0]!.compensationHistory.map((c) => c.outcome)).toEqual(['failed', 'failed']);

    // the cause is fixed, and an operator asks for the compensation again
    undoBroken = false;
    const retrying = await runtime.engine.service.retryCompensation(sagaId, ctx);
    expect(retrying.status).toBe('compensating');
    const rolledBack = await settled(sagaId, ['rolled_back']);
    expect(rolledBack.steps[0]!.compensationHistory.map((c) => c.outcome)).toEqual(['failed', 'failed', 'compensated']);
    expect(seen.get(sagaId)?.undoTries).toBe(3);
    await expect(runtime.engine.service.retryCompensation(sagaId, ctx)).rejects.toMatchObject({ code: 'nothing_to_retry' });
  });

  it('marks a saga whose definition this deployment does not have as stuck, once, instead of retrying it in silence', async () => {
    // given a saga of a definition no worker here knows (started by a newer deployment, say)
    const sagaId = randomUUID();
    const started = { sagaId, kind: 'contract', definition: 'ghost', version: 3, steps: ['haunt'], inputs: {}, deploymentId: null, triggeredBy: 'tester', at: new Date().toISOString() };
    await runtime.store.appendToStream(toSagaStream(sagaId), [eventCatalogue.encode('SagaStarted', randomUUID(), started, ctx)], { expectedRevision: 'no_stream' });

    // then it shows as stuck, with the reason, and is not marked again and again
    const stuck = await settled(sagaId, ['stuck']);
    expect(stuck.stuckReason).toBe('definition ghost@3 is not registered in this deployment');
    await new Promise((resolve) => setTimeout(resolve, 500));
    let marks = 0;
    for await (const event of runtime.store.readStream(toSagaStream(sagaId))) if (event.type === 'SagaStuck') marks++;
    expect(marks).toBe(1);
    const { rows } = await db.pool.query<{ status: string }>('select status from saga_runs where id = $1', [sagaId]);
    expect(rows[0]?.status).toBe('stuck');
  });
});
