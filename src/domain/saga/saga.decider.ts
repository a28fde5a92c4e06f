import type { Decider } from '../decider.js';
import { Conflict, NotFound } from '../errors.js';
import { backoffDelayMs, type RetryPolicy, shouldRetry } from './retry-policy.js';
import type { ResolvedStart } from './saga-definitions.js';
import type { StepErrorHandler } from './saga-step.js';
import { type SagaEvent, sagaEvents } from './saga.events.js';
import { evolve, isTerminal, type SagaState, type StartedSaga } from './saga.state.js';

export class SagaNotFound extends NotFound {
  override readonly name = 'SagaNotFound';
  override readonly code = 'saga_not_found';
}

export class SagaAlreadyExists extends Conflict {
  override readonly name = 'SagaAlreadyExists';
  override readonly code = 'saga_exists';
}

export class SagaAlreadyFinished extends Conflict {
  override readonly name = 'SagaAlreadyFinished';
  override readonly code = 'saga_already_finished';
}

export class NothingToRetry extends Conflict {
  override readonly name = 'NothingToRetry';
  override readonly code = 'nothing_to_retry';
}

/** What running a step came to (the runner's I/O, as data). */
export type StepResult =
  | { readonly kind: 'done'; readonly output: unknown }
  | { readonly kind: 'waiting'; readonly retryAfterMs: number; readonly note: string; readonly memory: unknown }
  | { readonly kind: 'failed'; readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean }; readonly memory: unknown };

/** What running a step's compensation came to. */
export type CompensationResult = { readonly kind: 'compensated' } | { readonly kind: 'noop' } | { readonly kind: 'failed'; readonly error: { readonly code: string; readonly message: string } };

/** How the step's definition wants its failures treated: the data (and pure handler) the decisions need. */
export interface StepPolicy {
  readonly retry: RetryPolicy;
  readonly compensationRetry: RetryPolicy;
  readonly onError?: StepErrorHandler<unknown>;
}

export type SagaCommand =
  /** People's commands. */
  | { readonly type: 'StartSaga'; readonly data: { readonly sagaId: string; readonly start: ResolvedStart; readonly triggeredBy: string } }
  | { readonly type: 'CancelSaga'; readonly data: { readonly sagaId: string; readonly by: string; readonly reason?: string } }
  | { readonly type: 'RetryCompensation'; readonly data: { readonly sagaId: string; readonly by: string } }
  /** The runner's: what it did for the workflow's next action (saga.workflow.ts), and what came of it. */
  | { readonly type: 'BeginAttempt'; readonly data: { readonly step: number; readonly attempt: number } }
  | { readonly type: 'RecordStepResult'; readonly data: { readonly step: number; readonly attempt: number; readonly result: StepResult; readonly policy: StepPolicy; readonly jitter: number } }
  | {
      readonly type: 'RecordCompensation';
      readonly data: { readonly step: number; readonly attempt: number; readonly begin: string | null; readonly result: CompensationResult; readonly policy: StepPolicy; readonly jitter: number };
    }
  | { readonly type: 'FinishSaga'; readonly data: { readonly ending: 'complete' | 'roll-back' | 'cancel-done' | 'fail'; readonly reason: string } }
  | { readonly type: 'MarkStuck'; readonly data: { readonly reason: string } };

const due = (now: Date, ms: number): string => new Date(now.getTime() + Math.max(0, ms)).toISOString();

function started(state: SagaState, sagaId: string): StartedSaga {
  if (state.status === 'new') throw new SagaNotFound(`no saga ${sagaId}`);
  return state;
}

/** The runner's commands on a saga that already ended record nothing: only the workflow's next action is acted on. */
const RUNNER_COMMANDS: readonly SagaCommand['type'][] = ['BeginAttempt', 'RecordStepResult', 'RecordCompensation', 'FinishSaga', 'MarkStuck'];

/** A step's outcome as events: retry with backoff while the policy allows, then the error handler's choice, then failure. */
function stepResult(state: StartedSaga, { step, attempt, result, policy, jitter }: Extract<SagaCommand, { type: 'RecordStepResult' }>['data'], now: Date): SagaEvent[] {
  const base = { sagaId: state.sagaId, step, name: state.steps[step]!.name, attempt, at: now.toISOString() };
  switch (result.kind) {
    case 'done':
      return [{ type: 'StepSucceeded', data: { ...base, output: result.output ?? null, ignoredError: null } }];
    case 'waiting':
      return [{ type: 'StepWaiting', data: { ...base, dueAt: due(now, result.retryAfterMs), note: result.note, memory: result.memory ?? null } }];
    case 'failed': {
      const { error, memory } = result;
      if (shouldRetry(policy.retry, error, attempt)) {
        return [{ type: 'StepFailed', data: { ...base, error: error.message, code: error.code, willRetry: true, dueAt: due(now, backoffDelayMs(policy.retry, attempt, jitter)), memory: memory ?? null } }];
      }
      const handled = policy.onError?.(error);
      if (handled?.action === 'ignore') return [{ type: 'StepSucceeded', data: { ...base, output: handled.output ?? null, ignoredError: error.message } }];
      return [{ type: 'StepFailed', data: { ...base, error: error.message, code: error.code, willRetry: false, dueAt: null, memory: memory ?? null } }];
    }
    default: {
      const _: never = result;
      throw new Error(`unknown step result ${JSON.stringify(_)}`);
    }
  }
}

/** A compensation's outcome as events: done (or a no-op), or failed and tried again with backoff until the policy gives up. */
function compensation(state: StartedSaga, { step, attempt, begin, result, policy, jitter }: Extract<SagaCommand, { type: 'RecordCompensation' }>['data'], now: Date): SagaEvent[] {
  const at = now.toISOString();
  const base = { sagaId: state.sagaId, step, name: state.steps[step]!.name, attempt, at };
  const opening: SagaEvent[] = begin !== null ? [{ type: 'CompensationStarted', data: { sagaId: state.sagaId, reason: begin, at } }] : [];
  if (result.kind !== 'failed') return [...opening, { type: 'StepCompensated', data: { ...base, noop: result.kind === 'noop' } }];
  const dueAt = attempt < policy.compensationRetry.maxAttempts ? due(now, backoffDelayMs(policy.compensationRetry, attempt, jitter)) : null;
  return [...opening, { type: 'StepCompensationFailed', data: { ...base, error: result.error.message, dueAt } }];
}

function decide(command: SagaCommand, state: SagaState, now: Date): SagaEvent[] {
  const at = now.toISOString();
  if (RUNNER_COMMANDS.includes(command.type) && isTerminal(state)) return [];
  switch (command.type) {
    case 'StartSaga': {
      const { start, sagaId, triggeredBy } = command.data;
      if (state.status !== 'new') throw new SagaAlreadyExists(`saga ${sagaId} already exists`);
      const steps = start.steps.map((s) => s.name);
      const { kind, inputs, deploymentId } = start;
      return [{ type: 'SagaStarted', data: { sagaId, kind, definition: start.definition.name, version: start.definition.version, steps, inputs, deploymentId, triggeredBy, at } }];
    }
    case 'CancelSaga': {
      const { sagaId, by, reason } = command.data;
      const saga = started(state, sagaId);
      if (isTerminal(saga)) throw new SagaAlreadyFinished(`saga ${sagaId} already finished (${saga.status})`);
      if (saga.status === 'compensating') throw new SagaAlreadyFinished(`saga ${sagaId} is already being rolled back`);
      // asking twice is the same request: nothing new to record
      return saga.cancelRequestedBy !== null ? [] : [{ type: 'SagaCancelRequested', data: { sagaId, by, ...(reason === undefined ? {} : { reason }), at } }];
    }
    case 'RetryCompensation': {
      const { sagaId, by } = command.data;
      const saga = started(state, sagaId);
      if (saga.status !== 'failed') throw new NothingToRetry(`saga ${sagaId} is ${saga.status}: only a saga whose compensation failed can retry it`);
      return [{ type: 'CompensationRetryRequested', data: { sagaId, by, at } }];
    }
    case 'BeginAttempt': {
      const saga = started(state, '(runner)');
      const { step, attempt } = command.data;
      return [{ type: 'StepStarted', data: { sagaId: saga.sagaId, step, name: saga.steps[step]!.name, attempt, at } }];
    }
    case 'RecordStepResult':
      return stepResult(started(state, '(runner)'), command.data, now);
    case 'RecordCompensation':
      return compensation(started(state, '(runner)'), command.data, now);
    case 'FinishSaga': {
      const { sagaId } = started(state, '(runner)');
      const { ending, reason } = command.data;
      if (ending === 'complete') return [{ type: 'SagaCompleted', data: { sagaId, at } }];
      if (ending === 'roll-back') return [{ type: 'SagaRolledBack', data: { sagaId, reason, at } }];
      if (ending === 'cancel-done') return [{ type: 'SagaCancelled', data: { sagaId, at } }];
      return [{ type: 'SagaFailed', data: { sagaId, reason, at } }];
    }
    case 'MarkStuck': {
      const saga = started(state, '(runner)');
      // said once: a worker that meets the same gap again has nothing new to record
      return saga.stuck === command.data.reason ? [] : [{ type: 'SagaStuck', data: { sagaId: saga.sagaId, reason: command.data.reason, at } }];
    }
    default: {
      const _: never = command;
      throw new Error(`unknown saga command ${JSON.stringify(_)}`);
    }
  }
}

/**
 * One saga as a decider. People start, cancel and retry compensation; the runner records what it
 * did for the workflow's next action — and every decision about an outcome (retry and when, the
 * error handler, compensation backoff, when to give up) is made here, so it is tested without a worker.
 */
export const sagaDecider: Decider<SagaState, SagaCommand, SagaEvent> = {
  events: sagaEvents,
  initialState: () => ({ status: 'new' }),
  decide,
  evolve,
};
