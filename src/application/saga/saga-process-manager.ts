import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../domain/event-store/event-store.port.js';
import { WrongExpectedRevision } from '../../domain/event-store/event-store.errors.js';
import { DEFAULT_COMPENSATION_POLICY, DEFAULT_RETRY_POLICY, backoffDelayMs, shouldRetry } from '../../domain/saga/retry-policy.js';
import type { SagaDefinitions } from '../../domain/saga/saga-definitions.js';
import type { SagaEvent } from '../../domain/saga/saga.events.js';
import type { AnySagaStep } from '../../domain/saga/saga-step.js';
import { evolve, type StartedSaga } from '../../domain/saga/saga.state.js';
import { next, type SagaAction } from '../../domain/saga/saga.workflow.js';
import { toSagaStream } from '../../domain/streams.js';
import { sagaEventId } from './event-ids.js';
import { encodeSagaEvent, loadSaga, type LoadedSaga } from './saga-stream.js';
import { NO_METRICS, type SagaLock, type SagaMetricsSink, type SagaWorkQueue } from './saga.ports.js';
import { type BaseContext, runCompensation, runStep, type StepRunResult } from './step-runner.js';

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

const ACTOR = 'system:saga';
/** What one claim of a saga knows about its own work. */
interface ClaimMemory {
  /** Attempts this claim recorded as started (step/attempt). */
  readonly startedHere: Set<string>;
  /** The claim before it was cut short; true until this claim has run a step. */
  interrupted: boolean;
}

/** Actions in one claim before the worker gives the saga back (fairness between sagas). */
const MAX_ACTIONS_PER_CLAIM = 100;

/**
 * The process manager's workers. Each claims a due saga from the work table, takes the saga's lock,
 * re-reads its stream, asks the pure workflow what comes next and does it, appending the outcome
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
    let lock: SagaLock | undefined;
    while (!this.stop.signal.aborted) {
      try {
        lock ??= await this.queue.openLock();
        const claim = await this.queue.claim(owner, this.options.leaseMs);
        if (!claim) {
          await this.idle();
          continue;
        }
        if (this.busy.has(claim.sagaId) || !(await lock.tryLock(claim.sagaId))) {
          // another worker is on this saga right now: let it finish
          await this.queue.release(claim.sagaId, owner, new Date(this.options.now().getTime() + 200));
          continue;
        }
        this.busy.add(claim.sagaId);
        try {
          const dueAt = await this.process(claim.sagaId, owner, claim.interrupted);
          await this.queue.release(claim.sagaId, owner, dueAt);
        } finally {
          this.busy.delete(claim.sagaId);
          await lock.unlock(claim.sagaId);
        }
      } catch (error) {
        this.options.onError?.(error);
        await lock?.close().catch(() => undefined);
        lock = undefined;
        await this.idle();
      }
    }
    await lock?.close().catch(() => undefined);
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

  /** Works the saga while something is due now; returns when its row should be looked at again. */
  private async process(sagaId: string, owner: string, interrupted: boolean): Promise<Date> {
    const results = new Map<string, StepRunResult>();
    const claim: ClaimMemory = { startedHere: new Set(), interrupted };
    let loaded = await loadSaga(this.store, sagaId);
    let extendedAt = performance.now();
    for (let i = 0; i < MAX_ACTIONS_PER_CLAIM; i++) {
      const now = this.options.now();
      const recheck = new Date(now.getTime() + this.options.recheckMs);
      if (loaded.state.status === 'new') return recheck;
      const action = next(loaded.state, now);
      if (action.type === 'nothing') return recheck;
      if (action.type === 'wait') return new Date(action.until);
      if (this.stop.signal.aborted) return now;
      const events = await this.perform(loaded.state as StartedSaga, action, now, results, claim);
      try {
        // what this worker appended is folded in place: the stream is re-read only when someone else moved it
        loaded = await this.append(sagaId, loaded, events);
        // recorded: an outcome is kept only for the append that failed, never to be recorded twice
        results.clear();
      } catch (error) {
        // someone moved the saga (a cancel request): drop this decision and read again; an outcome
        // already computed for the same attempt is appended then instead of running the step twice
        if (!(error instanceof WrongExpectedRevision)) throw error;
        loaded = await loadSaga(this.store, sagaId);
      }
      if (performance.now() - extendedAt > this.options.leaseMs / 3) {
        await this.queue.extend(sagaId, owner, this.options.leaseMs);
        extendedAt = performance.now();
      }
    }
    return this.options.now();
  }

  private async append(sagaId: string, loaded: LoadedSaga, events: readonly SagaEvent[]): Promise<LoadedSaga> {
    let revision = loaded.revision;
    let lastEventId = loaded.lastEventId;
    const encoded = events.map((event) => {
      const data = event.data as { step?: number; attempt?: number };
      const id = sagaEventId(sagaId, event.type, data.step ?? null, data.attempt ?? 0, revision);
      revision = revision === 'no_stream' ? 0n : revision + 1n;
      const out = encodeSagaEvent(event, id, { correlationId: loaded.correlationId, causationId: lastEventId, actor: ACTOR });
      lastEventId = id;
      return out;
    });
    const result = await this.store.appendToStream(toSagaStream(sagaId), encoded, { expectedRevision: loaded.revision });
    const definition = (loaded.state as StartedSaga).definition;
    for (const event of events) {
      if (event.type === 'SagaCompleted') this.options.metrics.sagaFinished(definition, 'completed');
      if (event.type === 'SagaRolledBack') this.options.metrics.sagaFinished(definition, 'rolled_back');
      if (event.type === 'SagaCancelled') this.options.metrics.sagaFinished(definition, 'cancelled');
      if (event.type === 'SagaFailed') this.options.metrics.sagaFinished(definition, 'failed');
    }
    return { ...loaded, state: events.reduce(evolve, loaded.state), revision: result.nextExpectedRevision, lastEventId };
  }

  private baseContext(state: StartedSaga, step: AnySagaStep, index: number, attempt: number, now: Date): BaseContext {
    const outputs = new Map(state.steps.filter((s) => s.status === 'succeeded' || s.status === 'compensation_failed').map((s) => [s.name, s.output]));
    const current = state.steps[index]!;
    return {
      sagaId: state.sagaId,
      kind: state.kind,
      deploymentId: state.deploymentId,
      step: step.name,
      attempt,
      now,
      inputs: state.inputs,
      resumedFrom: current.status === 'waiting' && current.dueAt ? { dueAt: current.dueAt, note: current.note ?? '' } : null,
      recovering: false,
      triggeredBy: state.triggeredBy,
      input: (name) => state.inputs[name],
      output: (name) => outputs.get(name),
    };
  }

  private stepAt(state: StartedSaga, index: number): AnySagaStep {
    const steps = this.definitions.stepsOf(state.definition, state.version, { ...state.inputs });
    const step = steps[index];
    if (!step || step.name !== state.steps[index]?.name) {
      throw new Error(`saga ${state.sagaId}: definition ${state.definition}@${state.version} has no step ${state.steps[index]?.name} at ${index}`);
    }
    return step;
  }

  /** Performs an action; returns the events that record its outcome. */
  private async perform(state: StartedSaga, action: Exclude<SagaAction, { type: 'nothing' | 'wait' }>, now: Date, results: Map<string, StepRunResult>, claim: ClaimMemory): Promise<SagaEvent[]> {
    const sagaId = state.sagaId;
    const at = now.toISOString();
    switch (action.type) {
      case 'run': {
        const step = this.stepAt(state, action.step);
        const key = `${action.step}/${action.attempt}`;
        if (action.start) {
          // the attempt is recorded before it runs, so a crash mid-step resumes it as the same attempt
          claim.startedHere.add(key);
          return [{ type: 'StepStarted', data: { sagaId, step: action.step, name: action.name, attempt: action.attempt, at } }];
        }
        let result = results.get(key);
        if (!result) {
          const started = performance.now();
          // running, but not started by this claim, or resumed from a wait by a claim that was cut
          // short: an earlier worker may have run it partly
          const recovering = (state.steps[action.step]!.status === 'running' && !claim.startedHere.has(key)) || claim.interrupted;
          claim.interrupted = false;
          result = await runStep(step, { ...this.baseContext(state, step, action.step, action.attempt, now), recovering }, this.stop.signal);
          this.options.metrics.stepFinished(state.definition, step.name, result.kind, (performance.now() - started) / 1000);
          results.set(key, result);
        }
        const base = { sagaId, step: action.step, name: action.name, attempt: action.attempt, at };
        if (result.kind === 'done') return [{ type: 'StepSucceeded', data: { ...base, output: result.output, ignoredError: null } }];
        if (result.kind === 'waiting') {
          const dueAt = new Date(now.getTime() + Math.max(0, result.retryAfterMs)).toISOString();
          return [{ type: 'StepWaiting', data: { ...base, dueAt, note: result.note } }];
        }
        const policy = step.retry ?? DEFAULT_RETRY_POLICY;
        if (shouldRetry(policy, result.error, action.attempt)) {
          this.options.metrics.stepRetried(state.definition, step.name);
          const dueAt = new Date(now.getTime() + backoffDelayMs(policy, action.attempt, this.options.random())).toISOString();
          return [{ type: 'StepFailed', data: { ...base, error: result.error.message, code: result.error.code, willRetry: true, dueAt } }];
        }
        const handled = step.onError?.(result.error, { ...this.baseContext(state, step, action.step, action.attempt, now), params: undefined, signal: this.stop.signal });
        if (handled?.action === 'ignore') return [{ type: 'StepSucceeded', data: { ...base, output: handled.output ?? null, ignoredError: result.error.message } }];
        return [{ type: 'StepFailed', data: { ...base, error: result.error.message, code: result.error.code, willRetry: false, dueAt: null } }];
      }
      case 'compensate': {
        const step = this.stepAt(state, action.step);
        const events: SagaEvent[] = action.begin !== null ? [{ type: 'CompensationStarted', data: { sagaId, reason: action.begin, at } }] : [];
        const base = { sagaId, step: action.step, name: action.name, attempt: action.attempt, at };
        if (!step.compensate) {
          this.options.onNotice?.('step has nothing to undo: its compensation is a no-op', { sagaId, step: step.name, reason: action.begin ?? 'rolling back' });
          return [...events, { type: 'StepCompensated', data: { ...base, noop: true } }];
        }
        const error = await runCompensation(step, this.baseContext(state, step, action.step, action.attempt, now), this.stop.signal);
        if (!error) return [...events, { type: 'StepCompensated', data: { ...base, noop: false } }];
        const policy = step.compensationRetry ?? DEFAULT_COMPENSATION_POLICY;
        const dueAt = action.attempt < policy.maxAttempts ? new Date(now.getTime() + backoffDelayMs(policy, action.attempt, this.options.random())).toISOString() : null;
        return [...events, { type: 'StepCompensationFailed', data: { ...base, error: error.message, dueAt } }];
      }
      case 'complete':
        return [{ type: 'SagaCompleted', data: { sagaId, at } }];
      case 'roll-back':
        return [{ type: 'SagaRolledBack', data: { sagaId, reason: action.reason, at } }];
      case 'cancel-done':
        return [{ type: 'SagaCancelled', data: { sagaId, at } }];
      case 'fail':
        return [{ type: 'SagaFailed', data: { sagaId, reason: action.reason, at } }];
      default: {
        const _: never = action;
        throw new Error(`unknown saga action ${JSON.stringify(_)}`);
      }
    }
  }
}
