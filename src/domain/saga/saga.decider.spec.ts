import { z } from 'zod';
import { DEFAULT_NOW, deciderSpecification, type TimedCommand } from '../../../test/support/decider-specification.js';
import { backoffDelayMs, type RetryPolicy } from './retry-policy.js';
import type { ResolvedStart, SagaDefinition } from './saga-definitions.js';
import { type AnySagaStep, ignoreErrors } from './saga-step.js';
import {
  type CompensationResult,
  NothingToRetry,
  SagaAlreadyExists,
  SagaAlreadyFinished,
  type SagaCommand,
  sagaDecider,
  SagaNotFound,
  type StepPolicy,
  type StepResult,
} from './saga.decider.js';
import type { SagaState, StartedSaga, StepState } from './saga.state.js';
import { next } from './saga.workflow.js';

const sagaId = 'saga-1';
const at = (seconds: number): Date => new Date(DEFAULT_NOW.getTime() + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();
const later = (seconds: number, ms: number): string => new Date(at(seconds).getTime() + ms).toISOString();

const STEPS = ['create', 'wait', 'register'];
const step = (name: string): AnySagaStep => ({ name, input: z.unknown(), output: z.unknown(), execute: () => Promise.resolve({ status: 'done', output: null }) });
const definition: SagaDefinition = { name: 'provision', version: 2, inputs: z.record(z.string(), z.unknown()), steps: STEPS.map(step) };
const resolved: ResolvedStart = { kind: 'droplet', definition, inputs: { name: 'web-1' }, steps: STEPS.map(step), deploymentId: 'dep-1' };

const RETRY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000, multiplier: 2 };
const COMPENSATION_RETRY: RetryPolicy = { maxAttempts: 2, initialDelayMs: 500, maxDelayMs: 5_000, multiplier: 2 };
const POLICY: StepPolicy = { retry: RETRY, compensationRetry: COMPENSATION_RETRY };

const start = (): SagaCommand => ({ type: 'StartSaga', data: { sagaId, start: resolved, triggeredBy: 'token:ci' } });
const cancel = (by = 'ops'): SagaCommand => ({ type: 'CancelSaga', data: { sagaId, by } });
const retryCompensation = (by = 'ops'): SagaCommand => ({ type: 'RetryCompensation', data: { sagaId, by } });
const begin = (index: number, attempt = 1): SagaCommand => ({ type: 'BeginAttempt', data: { step: index, attempt } });
const record = (index: number, attempt: number, result: StepResult, policy = POLICY, jitter = 0): SagaCommand => ({
  type: 'RecordStepResult',
  data: { step: index, attempt, result, policy, jitter },
});
const compensation = (index: number, attempt: number, result: CompensationResult, beginWith: string | null = null, jitter = 0): SagaCommand => ({
  type: 'RecordCompensation',
  data: { step: index, attempt, begin: beginWith, result, policy: POLICY, jitter },
});
const finish = (ending: 'complete' | 'roll-back' | 'cancel-done' | 'fail', reason = ''): SagaCommand => ({ type: 'FinishSaga', data: { ending, reason } });
const markStuck = (reason: string): SagaCommand => ({ type: 'MarkStuck', data: { reason } });

const done = (output: unknown = { dropletId: 7 }): StepResult => ({ kind: 'done', output });
const waiting = (retryAfterMs: number, memory: unknown = { polls: 1 }, note = 'poll 1: new'): StepResult => ({ kind: 'waiting', retryAfterMs, note, memory });
const failure = (code: string, retryable: boolean, memory: unknown = null): StepResult => ({ kind: 'failed', error: { code, message: `${code} from the provider`, retryable }, memory });
const undoFailed = (message = 'destroy refused'): CompensationResult => ({ kind: 'failed', error: { code: 'refused', message } });

const spec = deciderSpecification(sagaDecider);

const startedSaga = (state: SagaState): StartedSaga => {
  if (state.status === 'new') throw new Error('expected a started saga');
  return state;
};
const stepOf = (state: SagaState, index: number): StepState => startedSaga(state).steps[index]!;

/** create and wait succeeded, register failed for good; undoing wait failed twice (all its attempts), so the saga failed. */
const FAILED_REASON = 'step register failed: invalid from the provider';
const EXHAUSTED_REASON = `compensation of step wait failed: destroy refused (after: ${FAILED_REASON})`;
const failedSaga: TimedCommand<SagaCommand>[] = [
  [start(), at(0)],
  [begin(0), at(1)],
  [record(0, 1, done()), at(2)],
  [begin(1), at(3)],
  [record(1, 1, done({ active: true })), at(4)],
  [begin(2), at(5)],
  [record(2, 1, failure('invalid', false)), at(6)],
  [compensation(1, 1, undoFailed(), FAILED_REASON), at(7)],
  [compensation(1, 2, undoFailed()), at(8)],
  [finish('fail', EXHAUSTED_REASON), at(9)],
];

describe('the saga decider', () => {
  describe('StartSaga', () => {
    it('starts the saga with its definition, its resolved steps, inputs and who triggered it', () => {
      // given no saga
      // when it is started
      // then SagaStarted carries the definition and the steps it resolved to, and every step is pending
      const after = spec
        .given()
        .when(start(), at(0))
        .then([
          {
            type: 'SagaStarted',
            data: { sagaId, kind: 'droplet', definition: 'provision', version: 2, steps: STEPS, inputs: { name: 'web-1' }, deploymentId: 'dep-1', triggeredBy: 'token:ci', at: iso(0) },
          },
        ]);
      expect(after.state).toMatchObject({ status: 'running', sagaId, startedAt: iso(0), cancelRequestedBy: null, stuck: null });
      expect(startedSaga(after.state).steps.map((s) => [s.name, s.status])).toEqual(STEPS.map((name) => [name, 'pending']));
    });

    it('refuses a second start: SagaAlreadyExists', () => {
      // given a started saga, and a finished one
      // when it is started again
      // then it exists already (409)
      spec.givenCommands(start()).when(start(), at(5)).thenThrows(SagaAlreadyExists, { code: 'saga_exists' });
      spec.givenCommands(start(), finish('complete')).when(start(), at(5)).thenThrows(SagaAlreadyExists);
    });
  });

  describe('CancelSaga', () => {
    it('records the request on a running saga', () => {
      // given a running saga
      // when ops cancel it
      // then the request is recorded, with who asked
      const after = spec.givenCommands(start()).when(cancel('ops'), at(5)).then([{ type: 'SagaCancelRequested', data: { sagaId, by: 'ops', at: iso(5) } }]);
      expect(after.state).toMatchObject({ status: 'running', cancelRequestedBy: 'ops' });
    });

    it('records nothing when asked twice, whoever asks the second time', () => {
      // given a cancel requested by ops
      const given = spec.givenCommands(start(), cancel('ops'));
      // when ops, or someone else, asks again
      // then nothing new: it is the same request, still the first asker's
      given.when(cancel('ops'), at(6)).thenNothing();
      given.when(cancel('alice'), at(6)).thenNothing();
      expect(given.state).toMatchObject({ cancelRequestedBy: 'ops' });
    });

    it.each([
      ['completed', [start(), finish('complete')]],
      ['rolled_back', [start(), finish('roll-back', 'step create failed: boom')]],
      ['cancelled', [start(), cancel(), finish('cancel-done')]],
      ['failed', [start(), finish('fail', 'compensation of step create failed: boom')]],
    ])('refuses to cancel a %s saga: SagaAlreadyFinished', (status, commands) => {
      // given a finished saga
      const given = spec.givenCommands(...commands);
      expect(given.state.status).toBe(status);
      // when it is cancelled
      // then it is finished already (409), saying how
      const error = given.when(cancel(), at(10)).thenThrows(SagaAlreadyFinished, { code: 'saga_already_finished' });
      expect(error.message).toContain(status);
    });

    it('refuses to cancel a saga being rolled back: SagaAlreadyFinished', () => {
      // given a saga whose last step failed, compensating its first
      const given = spec.givenCommands(start(), begin(0), record(0, 1, done()), begin(1), record(1, 1, failure('invalid', false)), compensation(0, 1, undoFailed(), 'step wait failed'));
      expect(given.state.status).toBe('compensating');
      // when it is cancelled / then it is already being rolled back (409)
      const error = given.when(cancel(), at(10)).thenThrows(SagaAlreadyFinished);
      expect(error.message).toMatch(/rolled back/);
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      // given no saga / when it is cancelled / then 404
      spec.given().when(cancel(), at(0)).thenThrows(SagaNotFound, { code: 'saga_not_found' });
    });
  });

  describe('RetryCompensation', () => {
    it('records the request on a failed saga', () => {
      // given a saga whose compensation exhausted its attempts
      // when ops ask to retry it
      // then the request is recorded
      spec.givenCommands(...failedSaga).when(retryCompensation('ops'), at(20)).then([{ type: 'CompensationRetryRequested', data: { sagaId, by: 'ops', at: iso(20) } }]);
    });

    it.each([
      ['running', [start()]],
      ['compensating', [start(), begin(0), record(0, 1, done()), begin(1), record(1, 1, failure('invalid', false)), compensation(0, 1, undoFailed(), 'step wait failed')]],
      ['completed', [start(), finish('complete')]],
      ['rolled_back', [start(), finish('roll-back', 'step create failed: boom')]],
      ['cancelled', [start(), cancel(), finish('cancel-done')]],
    ])('refuses a %s saga: NothingToRetry', (status, commands) => {
      // given a saga that is not failed
      const given = spec.givenCommands(...commands);
      expect(given.state.status).toBe(status);
      // when a retry of its compensation is asked / then there is nothing to retry (409)
      const error = given.when(retryCompensation(), at(20)).thenThrows(NothingToRetry, { code: 'nothing_to_retry' });
      expect(error.message).toContain(status);
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      spec.given().when(retryCompensation(), at(0)).thenThrows(SagaNotFound);
    });

    it('makes the saga compensate again: the exhausted compensation is due now with a fresh set of attempts', () => {
      // given a failed saga
      const given = spec.givenCommands(...failedSaga);
      expect(stepOf(given.state, 1)).toMatchObject({ status: 'compensation_failed', compensationAttempts: 2, dueAt: null });

      // when its compensation is retried
      const { state: after } = given.when(retryCompensation(), at(20)).thenMatches([{ type: 'CompensationRetryRequested' }]);

      // then it is compensating again, not finished, and the step's compensation is due at once from attempt 1
      expect(after).toMatchObject({ status: 'compensating', updatedAt: iso(20) });
      expect(after).not.toHaveProperty('finishedAt');
      expect(stepOf(after, 1)).toMatchObject({ status: 'compensation_failed', compensationAttempts: 0, dueAt: iso(20), needsCompensation: true });
      // and the steps that were not being undone are as they were
      expect(stepOf(after, 0)).toEqual(stepOf(given.state, 0));
      expect(stepOf(after, 2)).toEqual(stepOf(given.state, 2));
    });

    it('is followed by the workflow: compensate the step again as attempt 1, then the steps before it', () => {
      // given a failed saga whose compensation was retried
      const retried = spec.givenCommands(...failedSaga, [retryCompensation(), at(20)]);

      // when the saga-work asks what comes next
      // then wait's compensation runs again, as attempt 1, with no CompensationStarted
      expect(next(retried.state, at(20))).toEqual({ type: 'compensate', step: 1, name: 'wait', attempt: 1, begin: null });

      // and once it is undone, create is next
      const undone = retried.when(compensation(1, 1, { kind: 'compensated' }), at(21)).thenMatches([{ type: 'StepCompensated', data: { step: 1, attempt: 1, noop: false } }]);
      expect(next(undone.state, at(21))).toEqual({ type: 'compensate', step: 0, name: 'create', attempt: 1, begin: null });
    });

    // not the reason it failed for (that its compensation gave up), which a retry that fails again would nest
    it('rolls back with the failure it was compensating for once the retried compensation succeeds', () => {
      // given a failed saga whose compensation was retried and then undid every step
      const { state } = spec.givenCommands(
        ...failedSaga,
        [retryCompensation(), at(20)],
        [compensation(1, 1, { kind: 'compensated' }), at(21)],
        [compensation(0, 1, { kind: 'compensated' }), at(22)],
      );

      // when the saga-work asks what comes next
      // then it rolls back for the step that failed
      expect(next(state, at(23))).toEqual({ type: 'roll-back', reason: FAILED_REASON });
    });
  });

  describe('the runner on a finished saga', () => {
    it('records nothing for a runner command that arrives after the end', () => {
      // given a completed saga
      const done = spec.givenCommands(start(), begin(0), record(0, 1, { kind: 'done', output: null }), { type: 'FinishSaga', data: { ending: 'complete', reason: '' } });
      expect(done.state.status).toBe('completed');
      // when a late worker records something for it / then nothing is decided
      done.when(record(0, 1, { kind: 'done', output: null })).thenNothing();
      done.when({ type: 'FinishSaga', data: { ending: 'fail', reason: 'late' } }).thenNothing();
      done.when({ type: 'MarkStuck', data: { reason: 'gone' } }).thenNothing();
    });
  });

  describe('BeginAttempt', () => {
    it('records the attempt as started, before it runs', () => {
      // given a started saga
      // when the runner begins attempt 1 of create
      // then StepStarted, and the step is running with the attempt in its history
      const after = spec.givenCommands(start()).when(begin(0, 1), at(1)).then([{ type: 'StepStarted', data: { sagaId, step: 0, name: 'create', attempt: 1, at: iso(1) } }]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'running', attempts: 1, startedAt: iso(1), dueAt: null });
      expect(stepOf(after.state, 0).history).toEqual([{ attempt: 1, startedAt: iso(1), endedAt: null, outcome: 'running', error: null, code: null, waits: 0 }]);
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      spec.given().when(begin(0), at(1)).thenThrows(SagaNotFound);
    });
  });

  describe('RecordStepResult', () => {
    const running = () => spec.givenCommands(start(), begin(0));

    it('records done as StepSucceeded with its output', () => {
      // given create running
      // when it is done
      // then it succeeded with its output, no error ignored
      const after = running()
        .when(record(0, 1, done({ dropletId: 7 })), at(2))
        .then([{ type: 'StepSucceeded', data: { sagaId, step: 0, name: 'create', attempt: 1, output: { dropletId: 7 }, ignoredError: null, at: iso(2) } }]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'succeeded', output: { dropletId: 7 }, error: null, finishedAt: iso(2), needsCompensation: true });
    });

    it('records an output of undefined as null', () => {
      // given create running / when it is done with no output / then the output is null
      running().when(record(0, 1, { kind: 'done', output: undefined }), at(2)).thenMatches([{ type: 'StepSucceeded', data: { output: null } }]);
    });

    it('records waiting as StepWaiting due after retryAfterMs, with its note and memory', () => {
      // given create running
      // when it asks to look again in 3 s, remembering its search
      // then StepWaiting is due at now + 3 s, with the memory
      const memory = { phase: 'searching', since: iso(2), creates: 1 };
      const after = running()
        .when(record(0, 1, waiting(3_000, memory, 'looking for it')), at(2))
        .then([{ type: 'StepWaiting', data: { sagaId, step: 0, name: 'create', attempt: 1, dueAt: later(2, 3_000), note: 'looking for it', memory, at: iso(2) } }]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'waiting', dueAt: later(2, 3_000), note: 'looking for it', memory, needsCompensation: true });
    });

    it('records a wait without memory with memory null, and a negative delay as due now', () => {
      // given create running / when it waits with no memory and a delay below zero / then null memory, due at once
      running()
        .when(record(0, 1, { kind: 'waiting', retryAfterMs: -5, note: 'again', memory: undefined }), at(2))
        .thenMatches([{ type: 'StepWaiting', data: { dueAt: iso(2), memory: null } }]);
    });

    it('retries a retryable failure within the policy: StepFailed willRetry, due after the backoff, with the memory', () => {
      // given attempt 2 of create running (of 3)
      const given = spec.givenCommands(start(), begin(0, 1), record(0, 1, failure('rate_limited', true)), begin(0, 2));

      // when it fails retryably, with a jitter of 0.5
      // then it will retry after backoffDelayMs(policy, 2, 0.5), keeping what it knew
      const delay = backoffDelayMs(RETRY, 2, 0.5);
      expect(delay).toBe(1_500);
      const after = given
        .when(record(0, 2, failure('rate_limited', true, { polls: 4 }), POLICY, 0.5), at(10))
        .then([
          {
            type: 'StepFailed',
            data: { sagaId, step: 0, name: 'create', attempt: 2, error: 'rate_limited from the provider', code: 'rate_limited', willRetry: true, dueAt: later(10, delay), memory: { polls: 4 }, at: iso(10) },
          },
        ]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'retrying', dueAt: later(10, delay), finishedAt: null, memory: { polls: 4 } });
    });

    it('fails a step for good on an error that is not retryable: StepFailed, no retry, with the memory', () => {
      // given create running / when it fails with a permanent error / then it failed, due never
      const after = running()
        .when(record(0, 1, failure('invalid', false, { polls: 1 })), at(2))
        .then([
          {
            type: 'StepFailed',
            data: { sagaId, step: 0, name: 'create', attempt: 1, error: 'invalid from the provider', code: 'invalid', willRetry: false, dueAt: null, memory: { polls: 1 }, at: iso(2) },
          },
        ]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'failed', dueAt: null, finishedAt: iso(2) });
    });

    it('fails a step for good once its attempts are exhausted', () => {
      // given attempt 3 of 3 running
      const given = spec.givenCommands(start(), begin(0, 1), record(0, 1, failure('rate_limited', true)), begin(0, 2), record(0, 2, failure('rate_limited', true)), begin(0, 3));
      // when it fails retryably again / then there is no fourth attempt
      given.when(record(0, 3, failure('rate_limited', true)), at(30)).thenMatches([{ type: 'StepFailed', data: { attempt: 3, willRetry: false, dueAt: null } }]);
    });

    it("lets the policy's error handler ignore a failure for good: StepSucceeded with the handler's output and the error ignored", () => {
      // given a step whose handler goes on with { shutDown: false }
      const policy: StepPolicy = { ...POLICY, onError: ignoreErrors({ shutDown: false }) };

      // when it fails with a permanent error, or exhausts its attempts
      // then it succeeded with that output, and the error it ignored is kept
      const after = running()
        .when(record(0, 1, failure('droplet_gone', false), policy), at(2))
        .then([{ type: 'StepSucceeded', data: { sagaId, step: 0, name: 'create', attempt: 1, output: { shutDown: false }, ignoredError: 'droplet_gone from the provider', at: iso(2) } }]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'succeeded', output: { shutDown: false }, error: 'droplet_gone from the provider' });
      spec
        .givenCommands(start(), begin(0, 3))
        .when(record(0, 3, failure('rate_limited', true), policy), at(2))
        .thenMatches([{ type: 'StepSucceeded', data: { output: { shutDown: false }, ignoredError: 'rate_limited from the provider' } }]);
    });

    it('asks the error handler only once no retry is left', () => {
      // given a step whose handler would ignore any error, at attempt 1 of 3
      const policy: StepPolicy = { ...POLICY, onError: ignoreErrors({ shutDown: false }) };
      // when it fails retryably / then it is retried, not ignored
      running().when(record(0, 1, failure('rate_limited', true), policy), at(2)).thenMatches([{ type: 'StepFailed', data: { willRetry: true } }]);
    });

    it('fails the step when the error handler chooses to fail, and records a handler output of undefined as null', () => {
      // given a handler that ignores only droplet_gone, with no output
      const policy: StepPolicy = { ...POLICY, onError: ignoreErrors(undefined, ['droplet_gone']) };
      // when another permanent error comes / then the step fails
      running().when(record(0, 1, failure('invalid', false), policy), at(2)).thenMatches([{ type: 'StepFailed', data: { code: 'invalid', willRetry: false, dueAt: null } }]);
      // and when droplet_gone comes / then it succeeds with output null
      running().when(record(0, 1, failure('droplet_gone', false), policy), at(2)).thenMatches([{ type: 'StepSucceeded', data: { output: null, ignoredError: 'droplet_gone from the provider' } }]);
    });

    it('retries only the listed codes when the policy lists retryableCodes', () => {
      // given a policy retrying rate_limited only
      const policy: StepPolicy = { ...POLICY, retry: { ...RETRY, retryableCodes: ['rate_limited'] } };
      // when rate_limited comes / then it is retried
      running().when(record(0, 1, failure('rate_limited', true), policy), at(2)).thenMatches([{ type: 'StepFailed', data: { willRetry: true } }]);
      // and when another retryable error comes / then the step fails for good
      running().when(record(0, 1, failure('server_error', true), policy), at(2)).thenMatches([{ type: 'StepFailed', data: { code: 'server_error', willRetry: false, dueAt: null } }]);
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      spec.given().when(record(0, 1, done()), at(1)).thenThrows(SagaNotFound);
    });
  });

  describe('RecordCompensation', () => {
    /** create succeeded, wait failed for good: create is to be undone. */
    const toUndo = () => spec.givenCommands(start(), begin(0), record(0, 1, done()), begin(1), record(1, 1, failure('invalid', false)));

    it('begins the compensation with CompensationStarted, then records the step compensated', () => {
      // given create to undo
      // when its compensation ran, beginning the compensation
      // then CompensationStarted with the reason comes first, then StepCompensated
      const after = toUndo()
        .when(compensation(0, 1, { kind: 'compensated' }, 'step wait failed: invalid from the provider'), at(7))
        .then([
          { type: 'CompensationStarted', data: { sagaId, reason: 'step wait failed: invalid from the provider', at: iso(7) } },
          { type: 'StepCompensated', data: { sagaId, step: 0, name: 'create', attempt: 1, noop: false, at: iso(7) } },
        ]);
      expect(after.state).toMatchObject({ status: 'compensating', reason: 'step wait failed: invalid from the provider' });
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'compensated', compensatedAt: iso(7), needsCompensation: false, compensationAttempts: 1 });
    });

    it('records a step with nothing to undo as a no-op, and no CompensationStarted without a begin', () => {
      // given a compensation under way
      const given = toUndo().when(compensation(0, 1, undoFailed(), 'r'), at(7)).thenMatches([{ type: 'CompensationStarted' }, { type: 'StepCompensationFailed' }]);
      // when the next compensation is a no-op / then StepCompensated noop, alone
      given.when(compensation(0, 2, { kind: 'noop' }), at(8)).then([{ type: 'StepCompensated', data: { sagaId, step: 0, name: 'create', attempt: 2, noop: true, at: iso(8) } }]);
    });

    it('records a failed compensation due again after its backoff while attempts remain', () => {
      // given create to undo (2 compensation attempts)
      // when attempt 1 fails, with a jitter of 1
      // then it is tried again after backoffDelayMs(compensationRetry, 1, 1)
      const delay = backoffDelayMs(COMPENSATION_RETRY, 1, 1);
      const after = toUndo()
        .when(compensation(0, 1, undoFailed('destroy refused'), null, 1), at(7))
        .then([{ type: 'StepCompensationFailed', data: { sagaId, step: 0, name: 'create', attempt: 1, error: 'destroy refused', dueAt: later(7, delay), at: iso(7) } }]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'compensation_failed', error: 'destroy refused', dueAt: later(7, delay), compensationAttempts: 1 });
    });

    it('records a failed compensation with no due time once its attempts are exhausted', () => {
      // given create's compensation failed once (of 2)
      const given = toUndo().when(compensation(0, 1, undoFailed(), 'r'), at(7)).thenMatches([{ type: 'CompensationStarted' }, { type: 'StepCompensationFailed', data: { attempt: 1 } }]);
      // when attempt 2 fails / then it is not tried again
      const after = given.when(compensation(0, 2, undoFailed()), at(8)).then([{ type: 'StepCompensationFailed', data: { sagaId, step: 0, name: 'create', attempt: 2, error: 'destroy refused', dueAt: null, at: iso(8) } }]);
      expect(stepOf(after.state, 0)).toMatchObject({ status: 'compensation_failed', dueAt: null, compensationAttempts: 2 });
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      spec.given().when(compensation(0, 1, { kind: 'compensated' }), at(1)).thenThrows(SagaNotFound);
    });
  });

  describe('FinishSaga', () => {
    it.each([
      ['complete', 'completed', { type: 'SagaCompleted', data: { sagaId, at: iso(9) } }],
      ['roll-back', 'rolled_back', { type: 'SagaRolledBack', data: { sagaId, reason: 'step create failed: boom', at: iso(9) } }],
      ['cancel-done', 'cancelled', { type: 'SagaCancelled', data: { sagaId, at: iso(9) } }],
      ['fail', 'failed', { type: 'SagaFailed', data: { sagaId, reason: 'step create failed: boom', at: iso(9) } }],
    ] as const)('ends the saga for %s: %s', (ending, status, event) => {
      // given a running saga
      // when the runner finishes it
      // then the ending's event, and the saga is finished
      const after = spec.givenCommands(start()).when(finish(ending, 'step create failed: boom'), at(9)).then([event]);
      expect(after.state).toMatchObject({ status, finishedAt: iso(9) });
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      spec.given().when(finish('complete'), at(1)).thenThrows(SagaNotFound);
    });
  });

  describe('MarkStuck', () => {
    const reason = 'definition provision@2 is not registered in this deployment';

    it('marks a saga no worker can go on with as stuck, with the reason', () => {
      // given a running saga
      // when a worker finds no definition for it
      // then SagaStuck, and the saga shows it
      const after = spec.givenCommands(start()).when(markStuck(reason), at(5)).then([{ type: 'SagaStuck', data: { sagaId, reason, at: iso(5) } }]);
      expect(after.state).toMatchObject({ status: 'running', stuck: reason });
    });

    it('says it once: nothing when already stuck for the same reason, again for another', () => {
      // given a stuck saga
      const given = spec.givenCommands(start(), markStuck(reason));
      // when a worker meets the same gap / then nothing new
      given.when(markStuck(reason), at(6)).thenNothing();
      // when another reason comes / then it is recorded
      given.when(markStuck('definition provision@2 here does not have the steps the saga started with'), at(6)).thenMatches([{ type: 'SagaStuck' }]);
    });

    it('is cleared by the next step event, and said again if the gap comes back', () => {
      // given a stuck saga, then a worker that knows it began a step
      const given = spec.givenCommands(start(), markStuck(reason), begin(0));
      expect(given.state).toMatchObject({ stuck: null });
      // when the gap comes back / then it is stuck again
      given.when(markStuck(reason), at(7)).thenMatches([{ type: 'SagaStuck', data: { reason } }]);
    });

    it('records nothing for a finished saga', () => {
      // given a completed saga / when a worker cannot find its definition / then nothing
      spec.givenCommands(start(), finish('complete')).when(markStuck(reason), at(5)).thenNothing();
    });

    it('refuses a saga that does not exist: SagaNotFound', () => {
      spec.given().when(markStuck(reason), at(1)).thenThrows(SagaNotFound);
    });
  });

  describe('evolve', () => {
    /** create: attempt 1 failed retryably, attempt 2 waited twice and succeeded; wait: failed for good. */
    const history = (): TimedCommand<SagaCommand>[] => [
      [start(), at(0)],
      [begin(0, 1), at(1)],
      [record(0, 1, failure('rate_limited', true)), at(2)],
      [begin(0, 2), at(5)],
      [record(0, 2, waiting(1_000, { polls: 1 })), at(6)],
      [record(0, 2, waiting(1_000, { polls: 2 })), at(8)],
      [record(0, 2, done()), at(10)],
      [begin(1, 1), at(11)],
      [record(1, 1, failure('invalid', false)), at(12)],
    ];

    it('keeps every attempt of a step: its outcome, error, code and how often it waited', () => {
      // given the events of create's two attempts and wait's one
      const { state } = spec.givenCommands(...history());

      // then each attempt is in its step's history
      expect(stepOf(state, 0).history).toEqual([
        { attempt: 1, startedAt: iso(1), endedAt: iso(2), outcome: 'retrying', error: 'rate_limited from the provider', code: 'rate_limited', waits: 0 },
        { attempt: 2, startedAt: iso(5), endedAt: iso(10), outcome: 'succeeded', error: null, code: null, waits: 2 },
      ]);
      expect(stepOf(state, 1).history).toEqual([{ attempt: 1, startedAt: iso(11), endedAt: iso(12), outcome: 'failed', error: 'invalid from the provider', code: 'invalid', waits: 0 }]);
      expect(stepOf(state, 0)).toMatchObject({ attempts: 2, status: 'succeeded' });
    });

    it('keeps an ignored error on the attempt that succeeded', () => {
      // given a failure the error handler ignored
      const policy: StepPolicy = { ...POLICY, onError: ignoreErrors(null) };
      const { state } = spec.givenCommands(start(), [begin(0), at(1)], [record(0, 1, failure('droplet_gone', false), policy), at(2)]);
      // then the attempt succeeded, with the error it ignored
      expect(stepOf(state, 0).history).toEqual([{ attempt: 1, startedAt: iso(1), endedAt: iso(2), outcome: 'succeeded', error: 'droplet_gone from the provider', code: null, waits: 0 }]);
    });

    it('applies the same event twice as once: the attempt, its waits, the step', () => {
      // given create waiting once
      const { events, state } = spec.givenCommands(start(), [begin(0), at(1)], [record(0, 1, waiting(1_000)), at(2)]);
      expect(stepOf(state, 0).history).toMatchObject([{ outcome: 'waiting', waits: 1 }]);

      // when its StepStarted and StepWaiting are read twice
      // then the state is as once
      const [, stepStarted, stepWaiting] = events;
      expect(spec.given([...events, stepWaiting!]).state).toEqual(state);
      expect(spec.given([events[0]!, stepStarted!, stepStarted!, stepWaiting!]).state).toEqual(state);
    });

    // a look made exactly when the last wait was due that asks to wait 0 ms has the same dueAt: its own `at` tells it apart
    it('counts a new wait that ends at the same instant as the one before it', () => {
      // given create waiting until +3 s
      // when it looks again at +3 s and asks to look again at once
      const { state } = spec.givenCommands(start(), [begin(0), at(1)], [record(0, 1, waiting(2_000)), at(1)], [record(0, 1, waiting(0)), at(3)]);
      // then it waited twice
      expect(stepOf(state, 0).history).toMatchObject([{ waits: 2 }]);
    });

    it("keeps every try at undoing a step, the same event once, and a retry's fresh attempts after them", () => {
      // given wait's compensation failed twice, was retried, and then succeeded
      const retried = spec.givenCommands(...failedSaga, [retryCompensation(), at(20)], [compensation(1, 1, { kind: 'compensated' }), at(21)]);

      // then its compensations are all there, in order
      expect(stepOf(retried.state, 1).compensations).toEqual([
        { attempt: 1, at: iso(7), outcome: 'failed', error: 'destroy refused' },
        { attempt: 2, at: iso(8), outcome: 'failed', error: 'destroy refused' },
        { attempt: 1, at: iso(21), outcome: 'compensated', error: null },
      ]);
      // and reading the last one twice changes nothing
      expect(spec.given([...retried.events, retried.events.at(-1)!]).state).toEqual(retried.state);
    });

    it('keeps the memory of the last StepWaiting or StepFailed that had one', () => {
      // given create waiting, then waiting again with more to remember
      const waited = spec.givenCommands(start(), begin(0), record(0, 1, waiting(1_000, { polls: 1 })), record(0, 1, waiting(1_000, { polls: 2 })));
      expect(stepOf(waited.state, 0).memory).toEqual({ polls: 2 });

      // when it fails knowing something / then that is its memory
      expect(stepOf(waited.when(record(0, 1, failure('rate_limited', true, { polls: 3, actionId: 9 })), at(5)).thenState(), 0).memory).toEqual({ polls: 3, actionId: 9 });
      // when it fails knowing nothing / then the last wait's memory stays (its compensation reads it)
      expect(stepOf(waited.when(record(0, 1, failure('invalid', false, null)), at(5)).thenState(), 0).memory).toEqual({ polls: 2 });
    });
  });
});
