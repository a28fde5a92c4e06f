import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type INestApplicationContext, Inject } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus, CommandHandler, CqrsModule, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Application } from '../../src/adapters/app/application.js';
import { APPLICATION } from '../../src/adapters/dispatch/application-token.js';
import { AppCommand, AppQuery, type DispatchContext, type HandlerContext } from '../../src/adapters/dispatch/dispatch-context.js';
import { Dispatcher } from '../../src/adapters/dispatch/dispatcher.js';
import { PostgresEventStore } from '../../src/adapters/event-store/postgres/postgres.event-store.js';
import { Metrics } from '../../src/adapters/metrics/metrics.js';
import { IdempotentCommands } from '../../src/application/idempotency/idempotent-commands.js';
import { Conflict } from '../../src/domain/errors.js';
import { IdempotencyKeyReused } from '../../src/domain/idempotency/idempotency.decider.js';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry, stopTelemetry } from '../../src/adapters/telemetry/telemetry.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** What the handlers saw, in order. */
const seen: { name: string; context: HandlerContext }[] = [];
const RAN = Symbol('ran');

class Reserve extends AppCommand<{ reservation: string; seed: string | null }> {
  constructor(readonly item: string) {
    super();
  }
}
class Fail extends AppCommand<void> {
  constructor(readonly how: 'expected' | 'unexpected') {
    super();
  }
}
class WhoAmI extends AppQuery<{ actor: string; role: string }> {}

@CommandHandler(Reserve)
class ReserveHandler implements ICommandHandler<Reserve> {
  constructor(@Inject(RAN) private readonly ran: { count: number }) {}
  async execute(command: Reserve): Promise<{ reservation: string; seed: string | null }> {
    this.ran.count++;
    seen.push({ name: 'Reserve', context: command.context });
    return { reservation: `${command.item}-${randomUUID()}`, seed: command.context.idempotencySeed ?? null };
  }
}

@CommandHandler(Fail)
class FailHandler implements ICommandHandler<Fail> {
  async execute(command: Fail): Promise<void> {
    if (command.how === 'expected') throw new Conflict('taken');
    throw new Error('disk on fire');
  }
}

@QueryHandler(WhoAmI)
class WhoAmIHandler implements IQueryHandler<WhoAmI> {
  async execute(query: WhoAmI): Promise<{ actor: string; role: string }> {
    return { actor: query.context.actor, role: query.context.role };
  }
}

const operator = (idempotency?: DispatchContext['idempotency']): DispatchContext => ({
  actor: 'deploy-bot',
  actorId: 'tok-7',
  role: 'operator',
  correlationId: 'corr-1',
  causationId: 'req-1',
  ...(idempotency ? { idempotency } : {}),
});

describe('the Dispatcher: one way in to the CommandBus and QueryBus', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let nest: INestApplicationContext;
  let dispatcher: Dispatcher;
  let metrics: Metrics;
  const ran = { count: 0 };

  beforeAll(async () => {
    db = await createTestDatabase('cl_dispatch');
    store = new PostgresEventStore(db.pool, db.url);
    metrics = new Metrics();
    const application = { idempotency: new IdempotentCommands(store) } as Partial<Application>;
    nest = await NestFactory.createApplicationContext(
      {
        module: class DispatchTestModule {},
        imports: [CqrsModule.forRoot()],
        providers: [
          { provide: APPLICATION, useValue: application },
          { provide: Metrics, useValue: metrics },
          { provide: RAN, useValue: ran },
          Dispatcher,
          ReserveHandler,
          FailHandler,
          WhoAmIHandler,
        ],
      },
      { logger: false },
    );
    dispatcher = nest.get(Dispatcher);
  });
  afterAll(async () => {
    await stopTelemetry();
    await nest.close();
    await store.close();
    await db.drop();
  });
  beforeEach(() => {
    seen.length = 0;
    ran.count = 0;
  });

  const counted = async (name: string, outcome: string): Promise<number> =>
    (await metrics.dispatches.get()).values.find((v) => v.labels.name === name && v.labels.outcome === outcome)?.value ?? 0;

  it('hands the handler the command with the sender joined, and the result back', async () => {
    // given an operator's context / when a command is dispatched
    const result = await dispatcher.command(new Reserve('disk'), operator());

    // then the handler ran once and saw who sent it and why
    expect(result.reservation).toMatch(/^disk-/);
    expect(result.seed).toBeNull();
    expect(seen).toEqual([{ name: 'Reserve', context: { actor: 'deploy-bot', actorId: 'tok-7', role: 'operator', correlationId: 'corr-1', causationId: 'req-1' } }]);
    expect(await counted('Reserve', 'ok')).toBeGreaterThanOrEqual(1);
  });

  it('passes the sender to queries too', async () => {
    await expect(dispatcher.query(new WhoAmI(), operator())).resolves.toEqual({ actor: 'deploy-bot', role: 'operator' });
  });

  it('runs a command under an idempotency key once: a retry gets the first result and is told it was replayed', async () => {
    // given a key
    const key = randomUUID();
    let replays = 0;
    const withKey = operator({ principalId: 'tok-7', key, onReplayed: () => replays++ });

    // when the same command is sent twice under it
    const first = await dispatcher.command(new Reserve('disk'), withKey);
    const again = await dispatcher.command(new Reserve('disk'), withKey);

    // then the handler ran once, with a seed, and the retry got the same result back
    expect(ran.count).toBe(1);
    expect(first.seed).toMatch(/^[0-9a-f-]{36}$/);
    expect(again).toEqual(first);
    expect(replays).toBe(1);
    expect(await counted('Reserve', 'replayed')).toBeGreaterThanOrEqual(1);

    // and another request under the same key is refused, without running
    await expect(dispatcher.command(new Reserve('cpu'), withKey)).rejects.toBeInstanceOf(IdempotencyKeyReused);
    expect(ran.count).toBe(1);
  });

  it('keys belong to their principal: the same key from another principal is another request', async () => {
    const key = randomUUID();
    const mine = await dispatcher.command(new Reserve('disk'), operator({ principalId: 'tok-7', key }));
    const theirs = await dispatcher.command(new Reserve('disk'), operator({ principalId: 'tok-8', key }));
    expect(theirs.reservation).not.toBe(mine.reservation);
    expect(ran.count).toBe(2);
  });

  it('counts refusals (expected errors) apart from failures', async () => {
    await expect(dispatcher.command(new Fail('expected'), operator())).rejects.toBeInstanceOf(Conflict);
    await expect(dispatcher.command(new Fail('unexpected'), operator())).rejects.toThrow('disk on fire');
    expect(await counted('Fail', 'refused')).toBe(1);
    expect(await counted('Fail', 'failed')).toBe(1);
  });

  it('a command sent around the Dispatcher has no sender, and its handler says so', async () => {
    // given the bare CommandBus / when a command is executed on it
    // then the handler cannot read a context: nothing runs without one
    await expect(nest.get(CommandBus).execute(new Reserve('disk'))).rejects.toThrow('Reserve reached its handler without a context: dispatch it through the Dispatcher');
  });

  it('dispatches a command object once', async () => {
    const command = new Reserve('disk');
    await dispatcher.command(command, operator());
    await expect(dispatcher.command(command, operator())).rejects.toThrow('Reserve was dispatched twice');
  });

  it('traces each dispatch as a span named for the message, with the sender, once tracing is on', async () => {
    // given tracing on, into memory
    const exporter = new InMemorySpanExporter();
    const telemetry = await startTelemetry({ env: { OTEL_TRACES_EXPORTER: 'otlp' }, spanProcessors: [new SimpleSpanProcessor({ exporter })] });

    // when a command, a replayed one and a refused one are dispatched
    const key = randomUUID();
    await dispatcher.command(new Reserve('disk'), operator({ principalId: 'tok-7', key }));
    await dispatcher.command(new Reserve('disk'), operator({ principalId: 'tok-7', key }));
    await dispatcher.command(new Fail('expected'), operator()).catch(() => undefined);

    // then each has its span, with who sent it, whether it was replayed, and the refusal as an error
    // (exported once the SDK's resource detection has settled: a span waits for it, so the test does too)
    await telemetry.flush();
    const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('command '));
    expect(spans.map((s) => [s.name, s.attributes['cloudledger.actor'], s.attributes['cloudledger.idempotent_replayed'] ?? false, s.status.code])).toEqual([
      ['command Reserve', 'deploy-bot', false, 0],
      ['command Reserve', 'deploy-bot', true, 0],
      ['command Fail', 'deploy-bot', false, 2],
    ]);
    expect(spans[0]!.attributes['cloudledger.correlation_id']).toBe('corr-1');
  });
});
