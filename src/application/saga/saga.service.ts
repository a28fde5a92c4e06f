import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
import { Conflict } from '../../domain/errors.js';
import type { SagaDefinitions, StartCaller } from '../../domain/saga/saga-definitions.js';
import { decide, SagaNotFound } from '../../domain/saga/saga.decider.js';
import type { SagaState, StepState } from '../../domain/saga/saga.state.js';
import { toSagaStream } from '../../domain/streams.js';
import { uuidV5 } from './event-ids.js';
import { encodeSagaEvent, loadSaga } from './saga-stream.js';
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

/** One step as the API shows it: its folded state without the engine's bookkeeping. */
export type SagaStepView = Omit<StepState, 'compensationAttempts' | 'needsCompensation'> & {
  readonly index: number;
  readonly compensated: boolean;
};

export interface SagaView {
  readonly id: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  readonly status: Exclude<SagaState['status'], 'new'>;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly cancelRequestedBy: string | null;
  readonly currentStep: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly revision: string;
  readonly steps: SagaStepView[];
}

const MAX_CONFLICT_RETRIES = 10;

const metadataOf = ({ actor, actorId, correlationId, causationId }: SagaCommandContext) => ({ actor, ...(actorId ? { actorId } : {}), correlationId, causationId });

/** The saga commands (start, cancel) and the always-current view of one saga, read from its stream. */
export class SagaService {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: SagaDefinitions,
    private readonly options: { readonly now?: () => Date; readonly metrics?: SagaMetricsSink; readonly onChanged?: () => void } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * Validates before anything is written: an unknown definition or bad inputs is InvalidInput. With
   * a caller (the generic route), the definition must be startable by the caller's role.
   */
  async start(request: unknown, ctx: SagaCommandContext, caller?: StartCaller): Promise<{ sagaId: string }> {
    const start = this.definitions.resolveStart(request, caller);
    const sagaId = ctx.idempotencySeed ? uuidV5(`saga/${ctx.idempotencySeed}`) : randomUUID();
    const events = decide({ type: 'StartSaga', data: { sagaId, start, triggeredBy: ctx.actor, now: this.now() } }, { status: 'new' });
    try {
      await this.store.appendToStream(
        toSagaStream(sagaId),
        events.map((event) => encodeSagaEvent(event, randomUUID(), metadataOf(ctx))),
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      // the same idempotent request ran before and started it: that saga is the answer
      if (ctx.idempotencySeed && error instanceof WrongExpectedRevision) return { sagaId };
      throw error;
    }
    (this.options.metrics ?? NO_METRICS).sagaStarted(start.definition.name);
    this.options.onChanged?.();
    return { sagaId };
  }

  /** Asks a running saga to stop: completed steps are compensated and it ends cancelled. */
  async cancel(sagaId: string, ctx: SagaCommandContext): Promise<SagaView> {
    for (let attempt = 0; ; attempt++) {
      const loaded = await loadSaga(this.store, sagaId);
      const events = decide({ type: 'CancelSaga', data: { sagaId, by: ctx.actor, now: this.now() } }, loaded.state);
      if (events.length === 0) return this.get(sagaId);
      try {
        await this.store.appendToStream(
          toSagaStream(sagaId),
          events.map((event) => encodeSagaEvent(event, randomUUID(), { ...metadataOf(ctx), correlationId: loaded.correlationId })),
          { expectedRevision: loaded.revision },
        );
        this.options.onChanged?.();
        return this.get(sagaId);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision)) throw error;
        if (attempt >= MAX_CONFLICT_RETRIES) throw new Conflict(`saga ${sagaId} keeps changing; try again`);
      }
    }
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
      status: state.status,
      inputs: state.inputs,
      deploymentId: state.deploymentId,
      triggeredBy: state.triggeredBy,
      cancelRequestedBy: state.cancelRequestedBy,
      currentStep: current?.name ?? null,
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
      finishedAt: finished,
      error: state.status === 'completed' || state.status === 'cancelled' ? null : (reason ?? failedStep?.error ?? null),
      revision: String(revision),
      steps: state.steps.map(({ compensationAttempts: _attempts, needsCompensation: _needs, ...step }, index) => ({
        index,
        ...step,
        compensated: step.status === 'compensated',
      })),
    };
  }
}
