import { type SagaState, type StartedSaga, type StepState, isTerminal } from './saga.state.js';

/**
 * What the process manager does next for a saga, as data (STYLE.md 4). The runner performs it and
 * appends the outcome with the revision it read.
 */
export type SagaAction =
  /** Run step `step` as attempt `attempt`; `start`: append StepStarted first (a new attempt). */
  | { readonly type: 'run'; readonly step: number; readonly name: string; readonly attempt: number; readonly start: boolean }
  /** Nothing to do before `until` (a waiting step, a retry or compensation backoff). */
  | { readonly type: 'wait'; readonly until: string }
  /** Undo step `step`; `begin`: append CompensationStarted with this reason first. */
  | { readonly type: 'compensate'; readonly step: number; readonly name: string; readonly attempt: number; readonly begin: string | null }
  | { readonly type: 'complete' }
  | { readonly type: 'roll-back'; readonly reason: string }
  | { readonly type: 'cancel-done' }
  | { readonly type: 'fail'; readonly reason: string }
  /** Terminal, or not started. */
  | { readonly type: 'nothing' };

export type SagaActionType = SagaAction['type'];

const NOTHING: SagaAction = { type: 'nothing' };

const due = (dueAt: string | null, now: Date): boolean => dueAt === null || Date.parse(dueAt) <= now.getTime();

/** The pure workflow: the next action from the folded state and the time. */
export function next(state: SagaState, now: Date): SagaAction {
  if (state.status === 'new' || isTerminal(state)) return NOTHING;
  if (state.status === 'compensating') return compensateNext(state, state.reason, null, now);
  if (state.status !== 'running') return NOTHING;

  const failed = state.steps.find((s) => s.status === 'failed');
  if (failed) return compensateNext(state, `step ${failed.name} failed: ${failed.error ?? 'unknown error'}`, 'begin', now);

  const index = state.steps.findIndex((s) => s.status !== 'succeeded');
  const current = index >= 0 ? state.steps[index]! : undefined;
  if (state.cancelRequestedBy !== null) {
    // a started attempt is finished first (steps are idempotent), then undone with the others
    if (current?.status === 'running') return run(index, current, current.attempts, false);
    return compensateNext(state, `cancelled by ${state.cancelRequestedBy}`, 'begin', now);
  }
  if (!current) return { type: 'complete' };
  switch (current.status) {
    case 'pending':
      return run(index, current, 1, true);
    case 'running':
      return run(index, current, current.attempts, false);
    case 'waiting':
      return due(current.dueAt, now) ? run(index, current, current.attempts, false) : { type: 'wait', until: current.dueAt! };
    case 'retrying':
      return due(current.dueAt, now) ? run(index, current, current.attempts + 1, true) : { type: 'wait', until: current.dueAt! };
    case 'succeeded':
    case 'failed':
    case 'compensated':
    case 'compensation_failed':
      // not reachable: succeeded is skipped above, failed handled above, compensation only in that phase
      return NOTHING;
    default: {
      const _: never = current.status;
      throw new Error(`unknown step status ${String(_)}`);
    }
  }
}

function run(step: number, state: StepState, attempt: number, start: boolean): SagaAction {
  return { type: 'run', step, name: state.name, attempt, start };
}

/** Undo what may have had an effect, last first; then end the saga. */
function compensateNext(state: StartedSaga, reason: string, begin: 'begin' | null, now: Date): SagaAction {
  for (let index = state.steps.length - 1; index >= 0; index--) {
    const step = state.steps[index]!;
    if (!step.needsCompensation) continue;
    const beginReason = begin ? reason : null;
    if (step.status === 'compensation_failed') {
      if (step.dueAt === null) return { type: 'fail', reason: `compensation of step ${step.name} failed: ${step.error ?? 'unknown error'} (after: ${reason})` };
      if (!due(step.dueAt, now)) return { type: 'wait', until: step.dueAt };
    }
    return { type: 'compensate', step: index, name: step.name, attempt: step.compensationAttempts + 1, begin: beginReason };
  }
  const failedStep = state.steps.some((s) => s.status === 'failed');
  if (!failedStep && state.cancelRequestedBy !== null) return { type: 'cancel-done' };
  return { type: 'roll-back', reason };
}
