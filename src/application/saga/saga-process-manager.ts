import { randomUUID } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
import { DEFAULT_COMPENSATION_POLICY, DEFAULT_RETRY_POLICY } from '../../domain/saga/retry-policy.js';
import { SagaDefinitionNotFound, type SagaDefinitions } from '../../domain/saga/saga-definitions.js';
import { type SagaCommand, sagaDecider, type StepPolicy, type StepResult } from '../../domain/saga/saga.decider.js';
import type { SagaEvent } from '../../domain/saga/saga.events.js';
import type { AnySagaStep } from '../../domain/saga/saga-step.js';
import { isTerminal, type SagaState, type StartedSaga } from '../../domain/saga/saga.state.js';
import { next, type SagaAction } from '../../domain/saga/saga.workflow.js';
import { toSagaStream } from '../../domain/streams.js';
import { currentTraceparent } from '../tracing.js';
import { sagaEventId } from './event-ids.js';
import { encodeSagaEvent, loadSaga, type LoadedSaga, RUNNER_ACTOR } from './saga-stream.js';
import { SagaSpans } from './saga-tracing.js';
import { NO_METRICS, type SagaGiveBack, type SagaMetricsSink, type SagaWorkerSession, type SagaWorkQueue } from './saga.ports.js';
import { type BaseContext, runCompensation, runStep } from './step-runner.js';

export interface SagaProcessManagerOptions {
  /** Workers in this process. */
  readonly workers?: number;
  /** How long a claim is held before another worker may take the row over. */
  readonly leaseMs?: number;
  /** How often an idle worker looks for due work. */
  readonly pollMs?: number;
  /** Where a processed row is put back, in case its projection write never comes. */
  readonly recheckMs?: number;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly metrics?: SagaMetricsSink;
  readonly onError?: (error: unknown, sagaId?: string) => void;
  /** What an operator should see in the log that no event says as plainly (a no-op compensation). */
  readonly onNotice?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
  /** A name for this process's workers (lease owners are `<name>/<n>`). */
  readonly name?: string;
}

/** What one claim of a saga knows about its own work. */
interface ClaimMemory {
  /** Attempts this claim recorded as started (step/attempt). */
  readonly startedHere: Set<string>;
  /** The claim before it was cut short; true until this claim has run a step. */
  interrupted: boolean;
}

/** An event decided by an action, and the span of that action (its `traceparent`, when traced). */
interface PendingEvent {
  readonly event: SagaEvent;
  readonly traceparent: string | undefined;
}

/** The span that decided the last of these events, else the last one recorded in the stream. */
const lastTraceOf = (pending: readonly PendingEvent[], loaded: LoadedSaga): string | undefined => pending.findLast((p) => p.traceparent)?.traceparent ?? loaded.lastRunTrace;

/** Whether the action does I/O (runs a step or a compensation) rather than only recording. */
const hasIo = (action: SagaAction): boolean => (action.type === 'run' && !action.start) || action.type === 'compensate';

/** Actions in one claim before the worker gives the saga back (fairness between sagas). */
const MAX_ACTIONS_PER_CLAIM = 100;
/** A stuck saga is looked at again after this, in case a worker that knows its definition came up. */
const STUCK_RECHECK_MS = 60_000;

/**
 * The process manager's workers: I/O only. Each claims a due saga from the work table with the
 * saga's lock, re-reads its stream, asks the pure workflow what comes next (`next`), does it (runs
 * a step or a compensation), and hands what happened to the saga decider, whose events it appends
 * with the revision it read; it goes on with the same saga while there is work due now, then gives
 * the row back. Nothing lives only in memory: a worker killed at any point leaves a row that is
 * claimed again once its lease runs out, and a stream that says what happened.
 */
export class SagaProcessManager {
  private readonly options: Required<Omit<SagaProcessManagerOptions, 'onError' | 'onNotice'>> & Pick<SagaProcessManagerOptions, 'onError' | 'onNotice'>;
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];
  private wakers = new Set<() => void>();
  /** Sagas a worker of this process is on (the advisory lock is per session; PGlite has one). */
  private readonly busy = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly queue: SagaWorkQueue,
    private readonly definitions: SagaDefinitions,
    options: SagaProcessManagerOptions = {},
  ) {
    this.options = {
      workers: options.workers ?? 4,
      leaseMs: options.leaseMs ?? 30_000,
      pollMs: options.pollMs ?? 250,
      recheckMs: options.recheckMs ?? 5_000,
      now: options.now ?? (() => new Date()),
      random: options.random ?? Math.random,
      metrics: options.metrics ?? NO_METRICS,
      name: options.name ?? `pm-${randomUUID().slice(0, 8)}`,
      onError: options.onError,
      onNotice: options.onNotice,
    };
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.loops = Array.from({ length: this.options.workers }, (_, i) => this.workerLoop(`${this.options.name}/${i}`));
  }

  /** Wakes idle workers now (e.g. after a saga was started in this process). */
  wake(): void {
    for (const wake of this.wakers) wake();
  }

  /** Graceful: workers finish the action under way, give their rows back, and end. */
  async close(): Promise<void> {
    this.stop.abort();
    this.wake();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async workerLoop(owner: string): Promise<void> {
    let session: SagaWorkerSession | undefined;
    /** The last claim, given back with the next claim (one round trip for both). */
    let giveBack: SagaGiveBack | undefined;
    while (!this.stop.signal.aborted) {
      try {
        session ??= await this.queue.openSession(owner);
        const claim = await session.claim(this.options.leaseMs, giveBack);
        giveBack = undefined;
        if (!claim) {
          await this.idle();
          continue;
        }
        if (!claim.locked || this.busy.has(claim.sagaId)) {
          // another worker is on this saga right now: let it finish
          giveBack = { claim, release: { dueAt: new Date(this.options.now().getTime() + 200), revision: claim.revisionSeen, finished: false } };
          continue;
        }
        this.busy.add(claim.sagaId);
        try {
          const { dueAt, loaded } = await this.process(claim.sagaId, session, claim.interrupted);
          const release = { dueAt, revision: loaded.revision === 'no_stream' ? -1 : Number(loaded.revision), finished: loaded.state.status !== 'new' && isTerminal(loaded.state) };
          giveBack = { claim, release };
        } finally {
          // the lease, still this worker's until given back, keeps every other claim off it
          this.busy.delete(claim.sagaId);
        }
      } catch (error) {
        this.options.onError?.(error);
        // the session's locks go with it: a saga left mid-claim is claimed again once its lease runs out
        await session?.close().catch(() => undefined);
        session = undefined;
        giveBack = undefined;
        await this.idle();
      }
    }
    if (giveBack) await session?.release(giveBack.claim, giveBack.release).catch((error: unknown) => this.options.onError?.(error, giveBack!.claim.sagaId));
    await session?.close().catch(() => undefined);
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs);
      this.wakers.add(done);
    });
  }

  /** Works the saga while something is due now; returns when it should be looked at again, and the saga as left. */
  private async process(sagaId: string, session: SagaWorkerSession, interrupted: boolean): Promise<{ dueAt: Date; loaded: LoadedSaga }> {
    const spans = new SagaSpans();
    try {
      const worked = await this.work(sagaId, session, interrupted, spans);
      spans.close();
      return worked;
    } catch (error) {
      spans.close(error);
      throw error;
    }
  }

  /**
   * `process` without its spans' ends: each action runs in the span `spans` gives it. What an action
   * decides is appended together with what follows it up to the next action with I/O (a step run or
   * a compensation) or the claim's end — a step's outcome with the next step's start, the last
   * outcome with the saga's end — in one append: a step attempt is still recorded as started before
   * it runs, and a crash before the append loses only what was decided since the last I/O, which
   * the saga redoes as it would after a crash before a single append.
   */
  private async work(sagaId: string, session: SagaWorkerSession, interrupted: boolean, spans: SagaSpans): Promise<{ dueAt: Date; loaded: LoadedSaga }> {
    const results = new Map<string, StepResult>();
    const claim: ClaimMemory = { startedHere: new Set(), interrupted };
    let loaded = await loadSaga(this.store, sagaId);
    /** Decided, not yet appended, each with the span that decided it. */
    let pending: PendingEvent[] = [];
    /** The saga with what is pending folded in: what the next action is decided from. */
    let ahead = loaded.state;
    /** Appends what is pending; false when someone else moved the saga (it is read again, and what was pending dropped). */
    const flush = async (): Promise<boolean> => {
      if (pending.length === 0) return true;
      const appending = pending;
      pending = [];
      try {
        loaded = await this.append(sagaId, loaded, appending, ahead);
        // recorded: an outcome is kept only for the append that failed, never to be recorded twice
        results.clear();
        return true;
      } catch (error) {
        // someone moved the saga (a cancel request): drop these decisions and read again; an outcome
        // already computed for the same attempt is appended then instead of running the step twice
        if (!(error instanceof WrongExpectedRevision)) throw error;
        loaded = await loadSaga(this.store, sagaId);
        return false;
      } finally {
        ahead = loaded.state;
      }
    };
    const leaving = async (dueAt: Date): Promise<{ dueAt: Date; loaded: LoadedSaga }> => {
      // given back now when the saga moved under what was pending: the next claim reads it afresh
      return (await flush()) ? { dueAt, loaded } : { dueAt: this.options.now(), loaded };
    };
    let extendedAt = performance.now();
    for (let i = 0; i < MAX_ACTIONS_PER_CLAIM; i++) {
      const now = this.options.now();
      const recheck = new Date(now.getTime() + this.options.recheckMs);
      if (ahead.status === 'new') return leaving(recheck);
      const action = next(ahead, now);
      if (action.type === 'nothing') return leaving(recheck);
      if (action.type === 'wait') return leaving(new Date(action.until));
      if (this.stop.signal.aborted) return leaving(now);
      // an action with I/O runs on what is recorded: its start, and the outcomes before it
      if (hasIo(action) && pending.length > 0) {
        if (!(await flush())) continue;
      }
      const state = ahead as StartedSaga;
      const steps = this.stepsOf(state);
      // a stuck saga runs nothing: no span
      // linked to the span before it, whose events may still be pending
      const traced = typeof steps === 'string' ? null : spans.enter(action, state, { ...loaded, lastRunTrace: lastTraceOf(pending, loaded) });
      const inSpan = <T>(work: () => Promise<T>): Promise<T> => (traced ? context.with(traced, work) : work());
      const command = typeof steps === 'string' ? ({ type: 'MarkStuck', data: { reason: steps } } as const) : await inSpan(() => this.perform(state, steps, action, now, results, claim));
      const events = sagaDecider.decide(command, state, now);
      const traceparent = traced ? context.with(traced, currentTraceparent) : undefined;
      pending.push(...events.map((event) => ({ event, traceparent })));
      ahead = events.reduce(sagaDecider.evolve, ahead);
      if (typeof steps !== 'string') spans.leave(action, command);
      // no worker here can go on with it: look again later, in case one that can takes it
      if (command.type === 'MarkStuck') {
        if (events.length > 0) this.options.onNotice?.('saga is stuck: no definition for it in this deployment', { sagaId, reason: command.data.reason });
        return leaving(new Date(now.getTime() + STUCK_RECHECK_MS));
      }
      if (performance.now() - extendedAt > this.options.leaseMs / 3) {
        await session.extend(sagaId, this.options.leaseMs);
        extendedAt = performance.now();
      }
    }
    return leaving(this.options.now());
  }

  /** Appends what is pending to the saga as `loaded` holds it; `state` is the saga with it folded in, as the runner decided on it. */
  private async append(sagaId: string, loaded: LoadedSaga, pending: readonly PendingEvent[], state: SagaState): Promise<LoadedSaga> {
    let revision = loaded.revision;
    let lastEventId = loaded.lastEventId;
    const encoded = pending.map(({ event, traceparent }) => {
      const data = event.data as { step?: number; attempt?: number };
      const id = sagaEventId(sagaId, event.type, data.step ?? null, data.attempt ?? 0, revision);
      revision = revision === 'no_stream' ? 0n : revision + 1n;
      // each event names the span of the action that decided it (not the one appending the batch)
      const out = encodeSagaEvent(event, id, { correlationId: loaded.correlationId, causationId: lastEventId, actor: RUNNER_ACTOR, ...(traceparent ? { traceparent } : {}) });
      lastEventId = id;
      return out;
    });
    const result = await this.store.appendToStream(toSagaStream(sagaId), encoded, { expectedRevision: loaded.revision });
    const { definition } = state as StartedSaga;
    for (const { event } of pending) {
      if (event.type === 'SagaCompleted') this.options.metrics.sagaFinished(definition, 'completed');
      if (event.type === 'SagaRolledBack') this.options.metrics.sagaFinished(definition, 'rolled_back');
      if (event.type === 'SagaCancelled') this.options.metrics.sagaFinished(definition, 'cancelled');
      if (event.type === 'SagaFailed') this.options.metrics.sagaFinished(definition, 'failed');
      if (event.type === 'StepFailed' && event.data.willRetry) this.options.metrics.stepRetried(definition, event.data.name);
    }
    return {
      ...loaded,
      state,
      revision: result.nextExpectedRevision,
      lastEventId,
      lastRunTrace: lastTraceOf(pending, loaded),
    };
  }

  /** What a step's run (or, `undo`, its compensation) sees of the saga. */
  private baseContext(state: StartedSaga, step: AnySagaStep, index: number, attempt: number, now: Date, undo = false): BaseContext {
    const outputs = new Map(state.steps.filter((s) => s.status === 'succeeded' || s.status === 'compensation_failed').map((s) => [s.name, s.output]));
    const current = state.steps[index]!;
    const resumed = current.status === 'waiting' && current.dueAt !== null;
    return {
      sagaId: state.sagaId,
      kind: state.kind,
      deploymentId: state.deploymentId,
      step: step.name,
      attempt,
      now,
      inputs: state.inputs,
      resumedFrom: resumed ? { dueAt: current.dueAt!, note: current.note ?? '' } : null,
      // a fresh attempt starts without memory; a resumed one, and an undo, have the step's last
      storedMemory: resumed || undo ? current.memory : null,
      recovering: false,
      triggeredBy: state.triggeredBy,
      input: (name) => state.inputs[name],
      output: (name) => outputs.get(name),
    };
  }

  /** The saga's steps as its definition resolves them here, or why they cannot be had (the saga is stuck). */
  private stepsOf(state: StartedSaga): readonly AnySagaStep[] | string {
    let steps: readonly AnySagaStep[];
    try {
      steps = this.definitions.stepsOf(state.definition, state.version, { ...state.inputs });
    } catch (error) {
      if (error instanceof SagaDefinitionNotFound) return `definition ${state.definition}@${state.version} is not registered in this deployment`;
      throw error;
    }
    const mismatch = state.steps.findIndex((s, i) => steps[i]?.name !== s.name);
    if (mismatch >= 0 || steps.length !== state.steps.length) {
      return `definition ${state.definition}@${state.version} here does not have the steps the saga started with (${state.steps.map((s) => s.name).join(', ')})`;
    }
    return steps;
  }

  /** Performs the action's I/O (a step, a compensation) and says what happened, as the decider's command. */
  private async perform(
    state: StartedSaga,
    steps: readonly AnySagaStep[],
    action: Exclude<SagaAction, { type: 'nothing' | 'wait' }>,
    now: Date,
    results: Map<string, StepResult>,
    claim: ClaimMemory,
  ): Promise<SagaCommand> {
    const jitter = this.options.random();
    switch (action.type) {
      case 'run': {
        const key = `${action.step}/${action.attempt}`;
        // the attempt is recorded before it runs, so a crash mid-step resumes it as the same attempt
        if (action.start) {
          claim.startedHere.add(key);
          return { type: 'BeginAttempt', data: { step: action.step, attempt: action.attempt } };
        }
        const step = steps[action.step]!;
        let result = results.get(key);
        if (!result) {
          const started = performance.now();
          // running, but not started by this claim, or resumed from a wait by a claim that was cut
          // short: an earlier worker may have run it partly
          const recovering = (state.steps[action.step]!.status === 'running' && !claim.startedHere.has(key)) || claim.interrupted;
          claim.interrupted = false;
          trace.getActiveSpan()?.setAttribute('saga.recovering', recovering);
          result = await runStep(step, { ...this.baseContext(state, step, action.step, action.attempt, now), recovering }, this.stop.signal);
          this.options.metrics.stepFinished(state.definition, step.name, result.kind, (performance.now() - started) / 1000);
          results.set(key, result);
        }
        return { type: 'RecordStepResult', data: { step: action.step, attempt: action.attempt, result, policy: policyOf(step), jitter } };
      }
      case 'compensate': {
        const step = steps[action.step]!;
        const failedStep = state.steps.find((s) => s.status === 'failed');
        const failure = failedStep ? { step: failedStep.name, code: failedStep.history.at(-1)?.code ?? 'unknown', error: failedStep.error ?? 'unknown error' } : null;
        const result = await runCompensation(step, this.baseContext(state, step, action.step, action.attempt, now, true), failure, this.stop.signal);
        if (result.kind === 'noop') this.options.onNotice?.('step has nothing to undo: its compensation is a no-op', { sagaId: state.sagaId, step: step.name, reason: action.begin ?? 'rolling back' });
        return { type: 'RecordCompensation', data: { step: action.step, attempt: action.attempt, begin: action.begin, result, policy: policyOf(step), jitter } };
      }
      case 'complete':
        return { type: 'FinishSaga', data: { ending: 'complete', reason: '' } };
      case 'roll-back':
      case 'fail':
        return { type: 'FinishSaga', data: { ending: action.type, reason: action.reason } };
      case 'cancel-done':
        return { type: 'FinishSaga', data: { ending: 'cancel-done', reason: 'cancelled' } };
      default: {
        const _: never = action;
        throw new Error(`unknown saga action ${JSON.stringify(_)}`);
      }
    }
  }
}

/** What the saga decider needs of a step's definition to judge its outcomes. */
function policyOf(step: AnySagaStep): StepPolicy {
  return { retry: step.retry ?? DEFAULT_RETRY_POLICY, compensationRetry: step.compensationRetry ?? DEFAULT_COMPENSATION_POLICY, ...(step.onError ? { onError: step.onError } : {}) };
}
