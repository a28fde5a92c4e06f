import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { IdempotentCommands } from '../../src/application/idempotency/idempotent-commands.js';
import { SagaService } from '../../src/application/saga/saga.service.js';
import { noopStep } from '../../src/application/saga/builtin-steps/builtin.steps.js';
import { NO_EFFECTS } from '../../src/application/saga/saga.ports.js';
import { IdempotencyKeyReused, IdempotentRequestInProgress, STALE_CLAIM_MS } from '../../src/domain/idempotency/idempotency.decider.js';
import { SagaDefinitions } from '../../src/domain/saga/saga-definitions.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { z } from 'zod';

const ctx = { actor: 'tester', actorId: 'tok-1', correlationId: 'corr-1', causationId: null };

describe('idempotent commands on the event store', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let now: number;
  let sagas: SagaService;
  let commands: IdempotentCommands;

  beforeAll(async () => {
    db = await createTestDatabase('cl_idem');
    store = new PostgresEventStore(db.pool, db.url);
    sagas = new SagaService(store, new SagaDefinitions([{ name: 'one', version: 1, inputs: z.object({}).loose(), steps: [noopStep(NO_EFFECTS)], startableBy: 'operator' }]));
  });
  beforeEach(() => {
    now = Date.parse('2026-12-02T10:00:00.000Z');
    commands = new IdempotentCommands(store, { now: () => new Date(now), waitMs: 200 });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const request = (key: string, body: unknown = { kind: 'k', definition: 'one' }) => ({ principalId: 'tok-1', key, operation: 'StartSaga', payload: body });
  const start = (body: unknown) => (seed: string) => sagas.start(body, { ...ctx, idempotencySeed: seed });
  const sagaStreams = async (): Promise<number> => Number((await db.pool.query<{ n: string }>(`select count(*) as n from streams where stream like 'saga-%'`)).rows[0]!.n);

  it('runs the first request, replays it to a retry, and refuses another request under the key', async () => {
    const key = randomUUID();
    const body = { kind: 'k', definition: 'one' };
    const first = await commands.run(request(key, body), ctx, start(body));
    const again = await commands.run(request(key, body), ctx, start(body));
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ result: first.result, replayed: true });
    await expect(commands.run(request(key, { ...body, kind: 'other' }), ctx, start(body))).rejects.toBeInstanceOf(IdempotencyKeyReused);
  });

  it('after a request died mid-way, a retry finds the saga it started instead of starting another', async () => {
    // given a request that claimed its key and started its saga, then died before answering
    const key = randomUUID();
    const body = { kind: 'k', definition: 'one' };
    const before = await sagaStreams();
    let startedBy: string | undefined;
    const dying = commands.run(request(key, body), ctx, async (seed) => {
      startedBy = (await sagas.start(body, { ...ctx, idempotencySeed: seed })).sagaId;
      return new Promise<never>(() => undefined); // never answers: the process is gone
    });
    void dying;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(startedBy).toBeDefined();

    // when it is retried at once, the claim is still fresh: told to retry later
    await expect(commands.run(request(key, body), ctx, start(body))).rejects.toBeInstanceOf(IdempotentRequestInProgress);

    // when it is retried after the claim went stale, it runs again under the same seed
    now += STALE_CLAIM_MS;
    const retried = await commands.run(request(key, body), ctx, start(body));

    // then it answers with the saga the dead request started, and only that one exists
    expect(retried.result).toEqual({ sagaId: startedBy });
    expect(await sagaStreams()).toBe(before + 1);
  });

  it('lets a request that failed run again, and answers what the second run did', async () => {
    const key = randomUUID();
    const body = { kind: 'k', definition: 'one' };
    await expect(commands.run(request(key, body), ctx, async () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
    const second = await commands.run(request(key, body), ctx, start(body));
    expect(second.replayed).toBe(false);
    expect(second.result).toEqual({ sagaId: expect.any(String) });
  });

  it('starts a saga without reading its stream first; a start under a seed already used reads it and answers the saga it finds', async () => {
    // a store that counts the stream reads the service makes
    let reads = 0;
    const counting = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'readStream'
          ? (...args: Parameters<PostgresEventStore['readStream']>) => {
              reads++;
              return target.readStream(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const counted = new SagaService(counting, new SagaDefinitions([{ name: 'one', version: 1, inputs: z.object({}).loose(), steps: [noopStep(NO_EFFECTS)], startableBy: 'operator' }]));
    const seed = randomUUID();
    const first = await counted.start({ kind: 'k', definition: 'one' }, { ...ctx, idempotencySeed: seed });
    expect(reads).toBe(0);
    const again = await counted.start({ kind: 'k', definition: 'one' }, { ...ctx, idempotencySeed: seed });
    expect(again).toEqual(first);
    expect(reads).toBe(1);
    const { rows } = await db.pool.query<{ n: string }>(`select count(*) as n from events where stream = $1`, [`saga-${first.sagaId}`]);
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
