import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { DeclaredSpec } from '../../application/desired-state/declared-spec.js';
import type { DesiredStateService, SpecAnswer } from '../../application/desired-state/desired-state.service.js';
import type { Application } from '../app/application.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery } from './dispatch-context.js';

/** The desired state of a resource, its version and its plan; SpecNotFound when none was recorded. */
export class GetSpec extends AppQuery<SpecAnswer> {
  constructor(readonly resourceId: string) {
    super();
  }
}

/** Records a resource's desired spec (version + 1), under the version the caller read when it gives one. */
export class DeclareSpec extends AppCommand<SpecAnswer> {
  constructor(
    readonly resourceId: string,
    readonly spec: DeclaredSpec,
    readonly expectedVersion: number | undefined,
  ) {
    super();
  }
}

/** Starts the saga that converges the droplet on its spec (resize, retag). */
export class ApplySpec extends AppCommand<Awaited<ReturnType<DesiredStateService['apply']>>> {
  constructor(readonly resourceId: string) {
    super();
  }
}

@QueryHandler(GetSpec)
export class GetSpecHandler implements IQueryHandler<GetSpec> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: GetSpec): Promise<SpecAnswer> {
    return this.app.desiredState.current(query.resourceId);
  }
}

@CommandHandler(DeclareSpec)
export class DeclareSpecHandler implements ICommandHandler<DeclareSpec> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: DeclareSpec): Promise<SpecAnswer> {
    return this.app.desiredState.declare(command.resourceId, command.spec, command.expectedVersion, command.context);
  }
}

@CommandHandler(ApplySpec)
export class ApplySpecHandler implements ICommandHandler<ApplySpec> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: ApplySpec): ReturnType<DesiredStateService['apply']> {
    return this.app.desiredState.apply(command.resourceId, command.context);
  }
}

export const specHandlers = [GetSpecHandler, DeclareSpecHandler, ApplySpecHandler];
