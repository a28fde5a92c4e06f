import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { DetectReport } from '../../application/drift/drift.service.js';
import type { Application } from '../app/application.js';
import type { OpenDriftView } from '../inventory/drift-inbox.js';
import type { Page } from '../inventory/read-model-sql.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery } from './dispatch-context.js';

/** Compares every spec with what was last seen, opens drift where they differ and closes what no longer differs. */
export class DetectDrift extends AppCommand<DetectReport> {}

/** The live value becomes the spec (version + 1) and the drift closes as accepted. */
export class AcceptDrift extends AppCommand<{ resourceId: string; specVersion: number }> {
  constructor(readonly driftId: string) {
    super();
  }
}

/** A saga changes the droplet back to its spec and closes the drift as reverted. */
export class RevertDrift extends AppCommand<{ sagaId: string; resourceId: string }> {
  constructor(readonly driftId: string) {
    super();
  }
}

/** The open-drift inbox, newest first. */
export class ListOpenDrift extends AppQuery<Page<OpenDriftView>> {
  constructor(readonly page: { readonly limit: number; readonly cursor?: string }) {
    super();
  }
}

@CommandHandler(DetectDrift)
export class DetectDriftHandler implements ICommandHandler<DetectDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: DetectDrift): Promise<DetectReport> {
    return this.app.drift.detect(command.context);
  }
}

@CommandHandler(AcceptDrift)
export class AcceptDriftHandler implements ICommandHandler<AcceptDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: AcceptDrift): Promise<{ resourceId: string; specVersion: number }> {
    return this.app.drift.accept(command.driftId, command.context);
  }
}

@CommandHandler(RevertDrift)
export class RevertDriftHandler implements ICommandHandler<RevertDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: RevertDrift): Promise<{ sagaId: string; resourceId: string }> {
    return this.app.drift.revert(command.driftId, command.context);
  }
}

@QueryHandler(ListOpenDrift)
export class ListOpenDriftHandler implements IQueryHandler<ListOpenDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListOpenDrift): Promise<Page<OpenDriftView>> {
    return this.app.driftInbox.listOpenDrift(query.page);
  }
}

export const driftHandlers = [DetectDriftHandler, AcceptDriftHandler, RevertDriftHandler, ListOpenDriftHandler];
