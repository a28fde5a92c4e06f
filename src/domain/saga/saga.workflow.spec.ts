import { backoffDelayMs, shouldRetry } from './retry-policy.js';
import { deciderSpecification } from '../../../test/support/decider-specification.js';
import { SagaAlreadyFinished, sagaDecider } from './saga.decider.js';
import type { SagaEvent } from './saga.events.js';
import { evolve, initialState, type SagaState } from './saga.state.js';
import { next } from './saga.workflow.js';

const sagaId = 's1';
const T0 = '2026-11-22T00:00:00.000Z';
const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();
const now = (s: number): Date => new Date(Date.parse(T0) + s * 1000);
const STEPS = ['a', 'b', 'c'];

const started = (steps = STEPS): SagaEvent => ({
  type: 'SagaStarted',
  data: { sagaId, kind: 'test', definition: 'script', version: 1, steps, inputs: {}, deploymentId: null, triggeredBy: 'tester', at: T0 },
});
const stepStarted = (step: number, attempt = 1): SagaEvent => ({ type: 'StepStarted', data: { sagaId, step, name: STEPS[step]!, attempt, at: at(step) } });
const succeeded = (step: number, attempt = 1): SagaEvent => ({
  type: 'StepSucceeded',
  data: { sagaId, step, name: STEPS[step]!, attempt, output: { n: step }, ignoredError: null, at: at(step) },
});
const failed = (step: number, willRetry: boolean, attempt = 1, dueAt: string | null = null): SagaEvent => ({
  type: 'StepFailed',
  data: { sagaId, step, name: STEPS[step]!, attempt, error: 'boom', code: 'x', willRetry, dueAt, memory: null, at: at(step) },
});
const done = (step: number): SagaEvent[] => [stepStarted(step), succeeded(step)];
const compensated = (step: number, attempt = 1): SagaEvent => ({ type: 'StepCompensated', data: { sagaId, step, name: STEPS[step]!, attempt, noop: false, at: at(9) } });
const cancelRequested: SagaEvent = { type: 'SagaCancelRequested', data: { sagaId, by: 'ops', at: at(5) } };

const spec = deciderSpecification(sagaDecider);
const given = (...events: SagaEvent[]): SagaState => spec.given(events).state;

describe('the saga workflow', () => {
  describe('forward progress', () => {
    it('does nothing for a saga that was never started', () => {
      expect(next(initialState(), now(0))).toEqual({ type: 'nothing' });
    });

    it('starts the first step as attempt 1', () => {
      // given a started saga / when asked / then run step 0, appending StepStarted
      expect(next(given(started()), now(0))).toEqual({ type: 'run', step: 0, name: 'a', attempt: 1, start: true });
    });

    it('resumes a step whose attempt started but recorded no outcome (a crashed worker), without a new attempt', () => {
      expect(next(given(started(), stepStarted(0)), now(1))).toEqual({ type: 'run', step: 0, name: 'a', attempt: 1, start: false });
    });

    it('runs the next step once one succeeded', () => {
      expect(next(given(started(), ...done(0)), now(1))).toMatchObject({ type: 'run', step: 1, attempt: 1, start: true });
    });

    it('completes when every step succeeded', () => {
      expect(next(given(started(), ...done(0), ...done(1), ...done(2)), now(3))).toEqual({ type: 'complete' });
    });

    it('waits until a waiting step is due, then runs it again in the same attempt', () => {
      // given a step that asked to wait until t=60
      const state = given(started(), stepStarted(0), { type: 'StepWaiting', data: { sagaId, step: 0, name: 'a', attempt: 1, dueAt: at(60), note: 'sleeping', memory: null, at: at(1) } });
      // then before then it waits, and after it runs again
      expect(next(state, now(30))).toEqual({ type: 'wait', until: at(60) });
      expect(next(state, now(60))).toEqual({ type: 'run', step: 0, name: 'a', attempt: 1, start: false });
    });

    it('retries a retryable failure as a new attempt once its backoff is due', () => {
      const state = given(started(), stepStarted(0), failed(0, true, 1, at(10)));
      expect(next(state, now(5))).toEqual({ type: 'wait', until: at(10) });
      expect(next(state, now(10))).toEqual({ type: 'run', step: 0, name: 'a', attempt: 2, start: true });
    });
  });

  describe('compensation', () => {
    it('rolls back at once when the first step fails for good: nothing to undo', () => {
      expect(next(given(started(), stepStarted(0), failed(0, false)), now(1))).toEqual({ type: 'roll-back', reason: 'step a failed: boom' });
    });

    it('compensates completed steps in reverse order, beginning with CompensationStarted', () => {
      // given a, b succeeded and c failed
      const failedState = given(started(), ...done(0), ...done(1), stepStarted(2), failed(2, false));
      // then b is compensated first, announcing the compensation
      expect(next(failedState, now(3))).toEqual({ type: 'compensate', step: 1, name: 'b', attempt: 1, begin: 'step c failed: boom' });
      // and after CompensationStarted and b's compensation, a follows
      const afterB = [failedState].map((s) => evolve(evolve(s, { type: 'CompensationStarted', data: { sagaId, reason: 'step c failed: boom', at: at(4) } }), compensated(1)))[0]!;
      expect(next(afterB, now(5))).toEqual({ type: 'compensate', step: 0, name: 'a', attempt: 1, begin: null });
      // then the saga is rolled back with the original error
      expect(next(evolve(afterB, compensated(0)), now(6))).toEqual({ type: 'roll-back', reason: 'step c failed: boom' });
    });

    it('retries a failed compensation when due, and fails the saga once compensation is exhausted', () => {
      const base = [started(), ...done(0), stepStarted(1), failed(1, false), { type: 'CompensationStarted', data: { sagaId, reason: 'r', at: at(2) } } as SagaEvent];
      const retrying = given(...base, { type: 'StepCompensationFailed', data: { sagaId, step: 0, name: 'a', attempt: 1, error: 'nope', dueAt: at(20), at: at(3) } });
      expect(next(retrying, now(10))).toEqual({ type: 'wait', until: at(20) });
      expect(next(retrying, now(20))).toEqual({ type: 'compensate', step: 0, name: 'a', attempt: 2, begin: null });
      const exhausted = given(...base, { type: 'StepCompensationFailed', data: { sagaId, step: 0, name: 'a', attempt: 5, error: 'nope', dueAt: null, at: at(3) } });
      expect(next(exhausted, now(30))).toEqual({ type: 'fail', reason: 'compensation of step a failed: nope (after: r)' });
    });
  });

  describe('cancellation', () => {
    it('compensates what completed, then ends cancelled', () => {
      const state = given(started(), ...done(0), cancelRequested);
      expect(next(state, now(6))).toEqual({ type: 'compensate', step: 0, name: 'a', attempt: 1, begin: 'cancelled by ops' });
      const undone = given(started(), ...done(0), cancelRequested, { type: 'CompensationStarted', data: { sagaId, reason: 'cancelled by ops', at: at(6) } }, compensated(0));
      expect(next(undone, now(7))).toEqual({ type: 'cancel-done' });
    });

    it('lets a started attempt finish first, so what it created is compensated too', () => {
      const state = given(started(), stepStarted(0), cancelRequested);
      expect(next(state, now(6))).toEqual({ type: 'run', step: 0, name: 'a', attempt: 1, start: false });
    });

    it('ends cancelled at once when nothing had completed', () => {
      expect(next(given(started(), cancelRequested), now(6))).toEqual({ type: 'cancel-done' });
    });

    it('refuses to cancel a finished saga, and records a second request as nothing new', () => {
      // given a completed saga / when it is cancelled / then it is refused
      spec
        .given([started(['a']), stepStarted(0), succeeded(0), { type: 'SagaCompleted', data: { sagaId, at: at(2) } }])
        .when({ type: 'CancelSaga', data: { sagaId, by: 'ops' } }, now(3))
        .thenThrows(SagaAlreadyFinished);
      // given a cancel already requested / when it is asked again / then nothing new
      spec.given([started(), cancelRequested]).when({ type: 'CancelSaga', data: { sagaId, by: 'ops' } }, now(3)).thenNothing();
    });
  });

  describe('duplicates and finished sagas', () => {
    it('applies an event twice as once', () => {
      const once = given(started(), stepStarted(0), succeeded(0));
      const twice = given(started(), stepStarted(0), stepStarted(0), succeeded(0), succeeded(0));
      expect(twice).toEqual(once);
      expect(next(twice, now(1))).toEqual(next(once, now(1)));
    });

    it('ignores a second SagaStarted', () => {
      expect(given(started(), ...done(0), started())).toEqual(given(started(), ...done(0)));
    });

    it('does nothing for a finished saga, whatever arrives after the end', () => {
      const finished = given(started(['a']), stepStarted(0), succeeded(0), { type: 'SagaCompleted', data: { sagaId, at: at(2) } });
      expect(next(finished, now(9))).toEqual({ type: 'nothing' });
      expect(evolve(finished, stepStarted(0))).toBe(finished);
      const rolledBack = given(started(), stepStarted(0), failed(0, false), { type: 'SagaRolledBack', data: { sagaId, reason: 'x', at: at(1) } });
      expect(next(rolledBack, now(9))).toEqual({ type: 'nothing' });
    });
  });

  describe('retry policy', () => {
    const policy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 };

    it('backs off exponentially with the jitter given, capped', () => {
      expect(backoffDelayMs(policy, 1, 0)).toBe(50);
      expect(backoffDelayMs(policy, 1, 1)).toBe(100);
      expect(backoffDelayMs(policy, 3, 0.5)).toBe(300);
      expect(backoffDelayMs(policy, 10, 1)).toBe(1000);
    });

    it('retries retryable errors until the attempts run out, and only listed codes when listed', () => {
      expect(shouldRetry(policy, { code: 'x', retryable: true }, 3)).toBe(true);
      expect(shouldRetry(policy, { code: 'x', retryable: true }, 4)).toBe(false);
      expect(shouldRetry(policy, { code: 'x', retryable: false }, 1)).toBe(false);
      expect(shouldRetry({ ...policy, retryableCodes: ['y'] }, { code: 'x', retryable: true }, 1)).toBe(false);
    });
  });
});
