import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import type { SagaDefinitions, StartCaller } from '../../domain/saga/saga-definitions.js';
import { SagaAlreadyExists, type SagaCommand, sagaDecider, SagaNotFound } from '../../domain/saga/saga.decider.js';
import type { SagaState, StepState } from '../../domain/saga/saga.state.js';
import { toSagaStream } from '../../domain/streams.js';
import { handleCommand } from '../command-handler.js';
import { type Metadata, readStreamPage, type StreamEventView, streamAggregate } from '../event-stream.js';
import { withSpan } from '../tracing.js';
import { uuidV5 } from './event-ids.js';
import { loadSaga } from './saga-stream.js';
import { NO_METRICS, type SagaMetricsSink } from './saga.ports.js';

export interface SagaCommandContext {
  readonly actor: string;
  /** The actor's id (an API token's id), recorded beside its name. */
  readonly actorId?: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  /**
   * Set when the command runs under an Idempotency-Key: the saga id is derived from it, so a retry
   * after a crash finds the saga the first run started instead of starting another.
   */
  readonly idempotencySeed?: string;
}

/** One step as the API shows it: its folded state, every attempt with its error, without the engine's bookkeeping. */
export type SagaStepView = Omit<StepState, 'compensationAttempts' | 'needsCompensation' | 'history' | 'compensations'> & {
  readonly index: number;
  readonly compensated: boolean;
  readonly attemptHistory: StepState['history'];
  readonly compensationHistory: StepState['compensations'];
};

export interface SagaView {
  readonly id: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  /** `stuck` while no worker can go on with it (see `stuckReason`). */
  readonly status: Exclude<SagaState['status'], 'new'> | 'stuck';
  readonly stuckReason: string | null;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly cancelRequestedBy: string | null;
  readonly cancelReason: string | null;
  readonly currentStep: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly revision: string;
  readonly steps: SagaStepView[];
}

const metadataOf = ({ actor, actorId, correlationId, causationId }: SagaCommandContext): Metadata => ({ actor, ...(actorId ? { actorId } : {}), correlationId, causationId });

/** The saga commands (start, cancel, retry compensation) and the always-current view of one saga, read from its stream. */
export class SagaService {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: SagaDefinitions,
    private readonly options: { readonly now?: () => Date; readonly metrics?: SagaMetricsSink; readonly onChanged?: () => void } = {},
  ) {}

  /**
   * Validates before anything is written: an unknown definition or bad inputs is InvalidInput. With
   * a caller (the generic route), the definition must be startable by the caller's role.
   */
  async start(request: unknown, ctx: SagaCommandContext, caller?: StartCaller): Promise<{ sagaId: string }> {
    const start = this.definitions.resolveStart(request, caller);
    const sagaId = ctx.idempotencySeed ? uuidV5(`saga/${ctx.idempotencySeed}`) : randomUUID();
    // the span SagaStarted records as its writer: every step attempt's span links back to it
    const attributes = { 'saga.id': sagaId, 'saga.definition': start.definition.name, 'saga.definition_version': start.definition.version };
    return withSpan(`saga.start ${start.definition.name}`, attributes, async (span) => {
      try {
        await this.handle(sagaId, { type: 'StartSaga', data: { sagaId, start, triggeredBy: ctx.actor } }, ctx);
      } catch (error) {
        // the same idempotent request ran before and started it: that saga is the answer
        if (ctx.idempotencySeed !== undefined && error instanceof SagaAlreadyExists) {
          span.setAttribute('saga.replayed', true);
          return { sagaId };
        }
        throw error;
      }
      (this.options.metrics ?? NO_METRICS).sagaStarted(start.definition.name);
      return { sagaId };
    });
  }

  /** Asks a running saga to stop: completed steps are compensated and it ends cancelled. */
  async cancel(sagaId: string, ctx: SagaCommandContext, reason?: string): Promise<SagaView> {
    await this.handle(sagaId, { type: 'CancelSaga', data: { sagaId, by: ctx.actor, ...(reason === undefined ? {} : { reason }) } }, ctx);
    return this.get(sagaId);
  }

  /** A saga whose compensation failed for good tries it again: it is compensating again, each exhausted step with fresh attempts. */
  async retryCompensation(sagaId: string, ctx: SagaCommandContext): Promise<SagaView> {
    await this.handle(sagaId, { type: 'RetryCompensation', data: { sagaId, by: ctx.actor } }, ctx);
    return this.get(sagaId);
  }

  /** The saga's own events, in order, a page at a time; SagaNotFound when it has none. */
  async events(sagaId: string, fromRevision: bigint, limit: number): Promise<{ items: StreamEventView[]; next: bigint | null }> {
    const page = await readStreamPage(this.store, toSagaStream(sagaId), fromRevision, limit);
    if (page.items.length === 0 && fromRevision === 0n) throw new SagaNotFound(`no saga ${sagaId}`);
    return page;
  }

  async get(sagaId: string): Promise<SagaView> {
    const { state, revision } = await loadSaga(this.store, sagaId);
    if (state.status === 'new') throw new SagaNotFound(`no saga ${sagaId}`);
    const finished = 'finishedAt' in state ? state.finishedAt : null;
    const reason = 'reason' in state ? state.reason : null;
    const failedStep = state.steps.find((s) => s.status === 'failed');
    const current = [...state.steps].reverse().find((s) => s.status !== 'pending');
    return {
      id: state.sagaId,
      kind: state.kind,
      definition: state.definition,
      version: state.version,
      status: state.stuck !== null ? 'stuck' : state.status,
      stuckReason: state.stuck,
      inputs: state.inputs,
      deploymentId: state.deploymentId,
      triggeredBy: state.triggeredBy,
      cancelRequestedBy: state.cancelRequestedBy,
      cancelReason: state.cancelReason,
      currentStep: current?.name ?? null,
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
      finishedAt: finished,
      error: state.status === 'completed' || state.status === 'cancelled' ? null : (state.stuck ?? reason ?? failedStep?.error ?? null),
      revision: String(revision),
      steps: state.steps.map(({ compensationAttempts: _attempts, needsCompensation: _needs, history, compensations, ...step }, index) => ({
        index,
        ...step,
        compensated: step.status === 'compensated',
        attemptHistory: history,
        compensationHistory: compensations,
      })),
    };
  }

  /** Through the one command handler. */
  private async handle(sagaId: string, command: SagaCommand, ctx: SagaCommandContext) {
    // a start names a new saga (a fresh id, or one derived from a request seen once as a rule): no read first
    const aggregate = streamAggregate(this.store, toSagaStream(sagaId), sagaDecider, metadataOf(ctx), { expectNew: command.type === 'StartSaga' });
    const handled = await handleCommand(sagaDecider, aggregate, command, {
      now: () => this.options.now?.() ?? new Date(),
    });
    if (handled.events.length > 0) this.options.onChanged?.();
    return handled;
  }
}
