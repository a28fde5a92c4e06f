import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { forEachConcurrently } from '../../application/concurrency.js';
import type { IgnoreTerms } from '../../application/drift/drift-policy.service.js';
import type { DetectReport } from '../../application/drift/drift.service.js';
import { uuidV5 } from '../../application/saga/event-ids.js';
import { withSpan } from '../../application/tracing.js';
import { type DriftPolicyRequest, policyExpiryProblem } from '../../domain/drift/drift-policy.js';
import { DriftPolicyNotFound } from '../../domain/drift/drift-policy.decider.js';
import { DriftNotFound } from '../../domain/drift/spec.decider.js';
import { ExpectedError, InvalidInput } from '../../domain/errors.js';
import type { Application } from '../app/application.js';
import type { DriftFilter, DriftGroupView, DriftWithResourceView } from '../inventory/drift-inbox.js';
import type { DriftPolicyView } from '../inventory/drift-policies.js';
import type { Page } from '../inventory/read-model-sql.js';
import { Metrics } from '../metrics/metrics.js';
import { APPLICATION } from './application-token.js';
import { AppCommand, AppQuery, type HandlerContext } from './dispatch-context.js';

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

/** One open drift out of the inbox under a policy made for its resource and field alone (a group's `ignore`, item by item). */
export class IgnoreDrift extends AppCommand<{ resourceId: string; policyId: string; ignoredUntil: string }> {
  constructor(
    readonly driftId: string,
    readonly terms: IgnoreTerms,
  ) {
    super();
  }
}

/** Drift newest first: the open inbox by default, or any status (`all`), on one resource or field. */
export class ListDrift extends AppQuery<Page<DriftWithResourceView>> {
  constructor(readonly filter: DriftFilter) {
    super();
  }
}

/** One drift, whatever its status, with its resource; DriftNotFound otherwise. */
export class GetDrift extends AppQuery<DriftWithResourceView> {
  constructor(readonly driftId: string) {
    super();
  }
}

/** Open drift grouped by cause (field, spec value, live value), the largest groups first. */
export class ListDriftGroups extends AppQuery<Page<DriftGroupView>> {
  constructor(readonly page: { readonly limit: number; readonly cursor?: string }) {
    super();
  }
}

/** A group action touches at most this many drifts, the oldest first; `more` says the group had others. */
export const GROUP_ACTION_LIMIT = 500;
const GROUP_ACTION_CONCURRENCY = 8;

export type GroupAction = 'accept' | 'revert' | 'ignore';

export interface GroupItemOutcome {
  readonly driftId: string;
  readonly resourceId: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly error?: { readonly code: string; readonly message: string };
  readonly result?: unknown;
}

export type GroupResolution =
  | { readonly groupId: string; readonly action: GroupAction; readonly dryRun: true; readonly items: { driftId: string; resourceId: string }[]; readonly limit: number; readonly more: boolean }
  | {
      readonly groupId: string;
      readonly action: GroupAction;
      readonly dryRun: false;
      readonly items: GroupItemOutcome[];
      readonly succeeded: number;
      readonly failed: number;
      readonly limit: number;
      readonly more: boolean;
    };

/**
 * Accept, revert or ignore every open drift of a group, each as its own command (AcceptDrift,
 * RevertDrift, IgnoreDrift: the single routes' path, audited as they are); one item's refusal does
 * not stop the others, and the answer says which succeeded. A dry run answers the list it would
 * touch and touches nothing.
 */
export class ResolveDriftGroup extends AppCommand<GroupResolution> {
  constructor(
    readonly groupId: string,
    readonly action: GroupAction,
    readonly dryRun: boolean,
    /** For `ignore`: who owns the exception, why, until when. */
    readonly terms: IgnoreTerms | null = null,
    /** The frozen list a dry run answered: act on exactly these (those no longer open in the group fail), never on more. */
    readonly driftIds: readonly string[] | null = null,
  ) {
    super();
  }
}

/** Records an ignore policy and applies it at once; answers the policy. */
export class CreateDriftPolicy extends AppCommand<DriftPolicyView> {
  constructor(readonly request: DriftPolicyRequest) {
    super();
  }
}

/** Ends a policy before its time; the drift it ignored opens again at once. */
export class EndDriftPolicy extends AppCommand<{ policyId: string }> {
  constructor(readonly policyId: string) {
    super();
  }
}

/** Every policy, newest first, live, expired or ended, with how much drift each ignores and has matched. */
export class ListDriftPolicies extends AppQuery<Page<DriftPolicyView>> {
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

@CommandHandler(IgnoreDrift)
export class IgnoreDriftHandler implements ICommandHandler<IgnoreDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(command: IgnoreDrift): Promise<{ resourceId: string; policyId: string; ignoredUntil: string }> {
    return this.app.driftPolicyCommands.ignore(command.driftId, command.terms, command.context);
  }
}

@QueryHandler(ListDrift)
export class ListDriftHandler implements IQueryHandler<ListDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListDrift): Promise<Page<DriftWithResourceView>> {
    return this.app.driftInbox.listDrift(query.filter);
  }
}

@QueryHandler(GetDrift)
export class GetDriftHandler implements IQueryHandler<GetDrift> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(query: GetDrift): Promise<DriftWithResourceView> {
    const drift = await this.app.driftInbox.getDriftWithResource(query.driftId);
    if (!drift) throw new DriftNotFound(`no drift ${query.driftId}`);
    return drift;
  }
}

@QueryHandler(ListDriftGroups)
export class ListDriftGroupsHandler implements IQueryHandler<ListDriftGroups> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListDriftGroups): Promise<Page<DriftGroupView>> {
    return this.app.driftInbox.listGroups(query.page);
  }
}

@CommandHandler(ResolveDriftGroup)
export class ResolveDriftGroupHandler implements ICommandHandler<ResolveDriftGroup> {
  constructor(
    @Inject(APPLICATION) private readonly app: Application,
    private readonly commandBus: CommandBus,
    private readonly metrics: Metrics,
  ) {}

  async execute(command: ResolveDriftGroup): Promise<GroupResolution> {
    const { groupId, action, terms } = command;
    if (action === 'ignore') {
      if (terms === null) throw new InvalidInput([{ path: 'body', message: 'ignore needs {owner, reason, expiresAt}' }]);
      const problem = policyExpiryProblem(terms.expiresAt, new Date());
      if (problem) throw new InvalidInput([{ path: 'body.expiresAt', message: problem }]);
    }
    if (command.driftIds !== null && !command.dryRun) return this.resolve(command, await this.app.driftInbox.groupItemsAmong(groupId, command.driftIds), false);
    const { items, more } = await this.app.driftInbox.groupItems(groupId, GROUP_ACTION_LIMIT);
    if (command.dryRun) return { groupId, action, dryRun: true, items, limit: GROUP_ACTION_LIMIT, more };
    return this.resolve(command, items, more);
  }

  private async resolve(command: ResolveDriftGroup, items: readonly { driftId: string; resourceId: string }[], more: boolean): Promise<GroupResolution> {
    const { groupId, action } = command;
    const outcomes = new Map<string, GroupItemOutcome>();
    await forEachConcurrently(
      items,
      async (item) => {
        outcomes.set(item.driftId, await this.resolveOne(command, item));
      },
      GROUP_ACTION_CONCURRENCY,
    );
    const answered = items.map((item) => outcomes.get(item.driftId)!);
    // a frozen list's drifts that are no longer open in the group: named, not acted on
    const found = new Set(items.map((item) => item.driftId));
    for (const driftId of command.driftIds ?? []) {
      if (!found.has(driftId)) {
        answered.push({ driftId, resourceId: '', outcome: 'failed', error: { code: 'drift_not_in_group', message: `drift ${driftId} is not open in group ${groupId} any more` } });
      }
    }
    const succeeded = answered.filter((o) => o.outcome === 'succeeded').length;
    return { groupId, action, dryRun: false, items: answered, succeeded, failed: answered.length - succeeded, limit: GROUP_ACTION_LIMIT, more };
  }

  /** One item as its own command, under a seed of its own when the group runs under an idempotency key (a retry finds the saga it started). */
  private async resolveOne(group: ResolveDriftGroup, item: { driftId: string; resourceId: string }): Promise<GroupItemOutcome> {
    const { idempotencySeed, ...sender } = group.context;
    const context: HandlerContext = idempotencySeed === undefined ? sender : { ...sender, idempotencySeed: uuidV5(`${idempotencySeed}/${item.driftId}`) };
    const command =
      group.action === 'accept' ? new AcceptDrift(item.driftId) : group.action === 'revert' ? new RevertDrift(item.driftId) : new IgnoreDrift(item.driftId, group.terms!);
    const name = command.constructor.name;
    const attributes = { 'cloudledger.dispatch': 'command', 'cloudledger.name': name, 'cloudledger.actor': context.actor, 'cloudledger.correlation_id': context.correlationId, 'cloudledger.drift_id': item.driftId };
    try {
      // counted and traced as the Dispatcher does a command of its own, under the group's span
      const result: unknown = await withSpan(`command ${name}`, attributes, () => this.commandBus.execute(command.withContext(context)));
      this.metrics.dispatches.inc({ kind: 'command', name, outcome: 'ok' });
      return { ...item, outcome: 'succeeded', result };
    } catch (error) {
      const expected = error instanceof ExpectedError;
      this.metrics.dispatches.inc({ kind: 'command', name, outcome: expected ? 'refused' : 'failed' });
      // as at the edge: an unexpected error's detail stays inside
      const detail = expected ? { code: error.code, message: error.message } : { code: 'internal_error', message: 'this item failed unexpectedly' };
      return { ...item, outcome: 'failed', error: detail };
    }
  }
}

@CommandHandler(CreateDriftPolicy)
export class CreateDriftPolicyHandler implements ICommandHandler<CreateDriftPolicy> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: CreateDriftPolicy): Promise<DriftPolicyView> {
    const { policyId } = await this.app.driftPolicyCommands.create(command.request, command.context);
    const view = await this.app.driftPolicies.get(policyId);
    if (!view) throw new DriftPolicyNotFound(`drift policy ${policyId} is not in the read model yet`);
    return view;
  }
}

@CommandHandler(EndDriftPolicy)
export class EndDriftPolicyHandler implements ICommandHandler<EndDriftPolicy> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  async execute(command: EndDriftPolicy): Promise<{ policyId: string }> {
    const { policyId } = await this.app.driftPolicyCommands.end(command.policyId, command.context);
    return { policyId };
  }
}

@QueryHandler(ListDriftPolicies)
export class ListDriftPoliciesHandler implements IQueryHandler<ListDriftPolicies> {
  constructor(@Inject(APPLICATION) private readonly app: Application) {}
  execute(query: ListDriftPolicies): Promise<Page<DriftPolicyView>> {
    return this.app.driftPolicies.list(query.page);
  }
}

export const driftHandlers = [
  DetectDriftHandler,
  AcceptDriftHandler,
  RevertDriftHandler,
  IgnoreDriftHandler,
  ListDriftHandler,
  GetDriftHandler,
  ListDriftGroupsHandler,
  ResolveDriftGroupHandler,
  CreateDriftPolicyHandler,
  EndDriftPolicyHandler,
  ListDriftPoliciesHandler,
];
