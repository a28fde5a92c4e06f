import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { withSpan } from '../../application/tracing.js';
import { ExpectedError } from '../../domain/errors.js';
import type { Application } from '../app/application.js';
import { Metrics } from '../metrics/metrics.js';
import { APPLICATION } from './application-token.js';
import { type AppCommand, type AppQuery, type DispatchContext, type HandlerContext } from './dispatch-context.js';

/**
 * The one way in: HTTP controllers, the CLI and the scheduler send typed commands and queries
 * here, with who sends them (DispatchContext). Around the CommandBus and QueryBus, in one place:
 * the context joined to the message, the idempotency key honoured, each dispatch counted and timed
 * (`dispatches_total`, `dispatch_duration_seconds`) and traced (a span `command <Name>` or
 * `query <Name>`, under the request's span when there is one).
 */
@Injectable()
export class Dispatcher {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(APPLICATION) private readonly application: Application,
    private readonly metrics: Metrics,
  ) {}

  /** Runs a command; under `context.idempotency`, at most once per key (a retry gets the first result). */
  command<Result>(command: AppCommand<Result>, context: DispatchContext): Promise<Result> {
    const name = command.constructor.name;
    const { idempotency, ...sender } = context;
    return this.measured('command', name, context, async () => {
      if (!idempotency) return { result: await this.commandBus.execute<AppCommand<Result>, Result>(command.withContext(sender)), replayed: false };
      const outcome = await this.application.idempotency.run<Result>(
        { principalId: idempotency.principalId, key: idempotency.key, operation: name, payload: { ...command } },
        sender,
        (seed) => this.commandBus.execute<AppCommand<Result>, Result>(command.withContext({ ...sender, idempotencySeed: seed } satisfies HandlerContext)),
      );
      if (outcome.replayed) idempotency.onReplayed?.();
      return outcome;
    });
  }

  /** Runs a query. */
  query<Result>(query: AppQuery<Result>, context: DispatchContext): Promise<Result> {
    const { idempotency: _, ...sender } = context;
    return this.measured('query', query.constructor.name, context, async () => ({
      result: await this.queryBus.execute<AppQuery<Result>, Result>(query.withContext(sender)),
      replayed: false,
    }));
  }

  private measured<Result>(kind: 'command' | 'query', name: string, context: DispatchContext, run: () => Promise<{ result: Result; replayed: boolean }>): Promise<Result> {
    const attributes = { 'cloudledger.dispatch': kind, 'cloudledger.name': name, 'cloudledger.actor': context.actor, 'cloudledger.correlation_id': context.correlationId };
    return withSpan(`${kind} ${name}`, attributes, async (span) => {
      const stop = this.metrics.dispatchDuration.startTimer({ kind, name });
      try {
        const { result, replayed } = await run();
        this.metrics.dispatches.inc({ kind, name, outcome: replayed ? 'replayed' : 'ok' });
        if (replayed) span.setAttribute('cloudledger.idempotent_replayed', true);
        return result;
      } catch (error) {
        this.metrics.dispatches.inc({ kind, name, outcome: error instanceof ExpectedError ? 'refused' : 'failed' });
        throw error;
      } finally {
        stop();
      }
    });
  }
}
