import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { SagaListFilter, SagaRunSummary } from '../../application/saga/saga.ports.js';
import type { SagaView } from '../../application/saga/saga.service.js';
import type { StreamEventView } from '../../application/event-stream.js';
import type { Application } from '../app/application.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery } from './dispatch-context.js';

/** Starts a saga of a definition the sender's role may start ({kind, definition, inputs, ...}, validated by the definitions). */
export class StartSaga extends AppCommand<{ sagaId: string }> {
  constructor(readonly request: unknown) {
    super();
  }
}

export class CancelSaga extends AppCommand<SagaView> {
  constructor(
    readonly sagaId: string,
    readonly reason?: string,
  ) {
    super();
  }
}

export class RetrySagaCompensation extends AppCommand<SagaView> {
  constructor(readonly sagaId: string) {
    super();
  }
}

export class ListSagas extends AppQuery<{ items: SagaRunSummary[]; nextCursor: string | null }> {
  constructor(readonly filter: SagaListFilter) {
    super();
  }
}

/** One saga with every attempt of every step, read from its stream. */
export class GetSaga extends AppQuery<SagaView> {
  constructor(readonly sagaId: string) {
    super();
  }
}

/** A saga's own events, in order, a page at a time (`cursor`: the revision the page starts at). */
export class ListSagaEvents extends AppQuery<{ items: StreamEventView[]; nextCursor: string | null }> {
  constructor(
    readonly sagaId: string,
    readonly page: { readonly limit: number; readonly cursor?: string },
  ) {
    super();
  }
}

@CommandHandler(StartSaga)
export class StartSagaHandler implements ICommandHandler<StartSaga> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: StartSaga): Promise<{ sagaId: string }> {
    return this.app.sagas.start(command.request, command.context, command.context);
  }
}

@CommandHandler(CancelSaga)
export class CancelSagaHandler implements ICommandHandler<CancelSaga> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: CancelSaga): Promise<SagaView> {
    return this.app.sagas.cancel(command.sagaId, command.context, command.reason);
  }
}

@CommandHandler(RetrySagaCompensation)
export class RetrySagaCompensationHandler implements ICommandHandler<RetrySagaCompensation> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: RetrySagaCompensation): Promise<SagaView> {
    return this.app.sagas.retryCompensation(command.sagaId, command.context);
  }
}

@QueryHandler(ListSagas)
export class ListSagasHandler implements IQueryHandler<ListSagas> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListSagas): Promise<{ items: SagaRunSummary[]; nextCursor: string | null }> {
    return this.app.sagaList.list(query.filter);
  }
}

@QueryHandler(GetSaga)
export class GetSagaHandler implements IQueryHandler<GetSaga> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: GetSaga): Promise<SagaView> {
    return this.app.sagas.get(query.sagaId);
  }
}

@QueryHandler(ListSagaEvents)
export class ListSagaEventsHandler implements IQueryHandler<ListSagaEvents> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: ListSagaEvents): Promise<{ items: StreamEventView[]; nextCursor: string | null }> {
    const { items, next } = await this.app.sagas.events(query.sagaId, BigInt(query.page.cursor ?? '0'), query.page.limit);
    return { items, nextCursor: next === null ? null : String(next) };
  }
}

export const sagaHandlers = [StartSagaHandler, CancelSagaHandler, RetrySagaCompensationHandler, ListSagasHandler, GetSagaHandler, ListSagaEventsHandler];
