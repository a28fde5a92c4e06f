import type { SagaEvent } from './saga.events.js';

export type StepStatus =
  | 'pending'
  /** Started, no outcome recorded yet (running now, or its worker died). */
  | 'running'
  | 'waiting'
  /** Failed, another attempt is due at `dueAt`. */
  | 'retrying'
  | 'succeeded'
  /** Failed for good. */
  | 'failed'
  | 'compensated'
  /** Compensation failed; tried again at `dueAt`, or exhausted when `dueAt` is null. */
  | 'compensation_failed';

export interface StepState {
  readonly name: string;
  readonly status: StepStatus;
  /** Attempts started so far (the attempt number of the latest). */
  readonly attempts: number;
  readonly compensationAttempts: number;
  /** Set while it is compensation_failed: the step had succeeded (or was waiting) before. */
  readonly output: unknown;
  readonly error: string | null;
  readonly dueAt: string | null;
  readonly note: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly compensatedAt: string | null;
  /** It succeeded or had started waiting: something may exist that compensation must undo. */
  readonly needsCompensation: boolean;
}

interface SagaCommon {
  readonly sagaId: string;
  readonly kind: string;
  readonly definition: string;
  readonly version: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly deploymentId: string | null;
  readonly triggeredBy: string;
  readonly steps: readonly StepState[];
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Who asked to cancel, once someone did. */
  readonly cancelRequestedBy: string | null;
}

export type SagaState =
  | { readonly status: 'new' }
  | (SagaCommon & { readonly status: 'running' })
  | (SagaCommon & { readonly status: 'compensating'; readonly reason: string })
  | (SagaCommon & { readonly status: 'completed'; readonly finishedAt: string })
  | (SagaCommon & { readonly status: 'rolled_back' | 'cancelled' | 'failed'; readonly reason: string; readonly finishedAt: string });

export type SagaStatus = SagaState['status'];
export type StartedSaga = Exclude<SagaState, { status: 'new' }>;

export const TERMINAL_STATUSES = ['completed', 'rolled_back', 'cancelled', 'failed'] as const satisfies SagaStatus[];

export function isTerminal(state: SagaState): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(state.status);
}

export const initialState = (): SagaState => ({ status: 'new' });

function withStep(state: StartedSaga, index: number, at: string, change: (step: StepState) => StepState): SagaState {
  const steps = state.steps.map((s, i) => (i === index ? change(s) : s));
  return { ...state, steps, updatedAt: at };
}

/**
 * Folds one event. Every field is set from the event's absolute values (attempt numbers, not
 * increments), so applying the same event twice leaves the state as once; events after a terminal
 * one, and a second SagaStarted, change nothing.
 */
export function evolve(state: SagaState, event: SagaEvent): SagaState {
  if (event.type === 'SagaStarted') {
    if (state.status !== 'new') return state;
    const d = event.data;
    return {
      status: 'running',
      sagaId: d.sagaId,
      kind: d.kind,
      definition: d.definition,
      version: d.version,
      inputs: d.inputs,
      deploymentId: d.deploymentId,
      triggeredBy: d.triggeredBy,
      steps: d.steps.map((name) => ({
        name,
        status: 'pending',
        attempts: 0,
        compensationAttempts: 0,
        output: null,
        error: null,
        dueAt: null,
        note: null,
        startedAt: null,
        finishedAt: null,
        compensatedAt: null,
        needsCompensation: false,
      })),
      startedAt: d.at,
      updatedAt: d.at,
      cancelRequestedBy: null,
    };
  }
  if (state.status === 'new' || isTerminal(state)) return state;
  const at = event.data.at;
  switch (event.type) {
    case 'StepStarted':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'running',
        attempts: event.data.attempt,
        dueAt: null,
        startedAt: s.startedAt ?? at,
      }));
    case 'StepSucceeded':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'succeeded',
        attempts: Math.max(s.attempts, event.data.attempt),
        output: event.data.output,
        error: event.data.ignoredError,
        dueAt: null,
        finishedAt: at,
        needsCompensation: true,
      }));
    case 'StepWaiting':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'waiting',
        attempts: Math.max(s.attempts, event.data.attempt),
        dueAt: event.data.dueAt,
        note: event.data.note,
        needsCompensation: true,
      }));
    case 'StepFailed':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: event.data.willRetry ? 'retrying' : 'failed',
        attempts: Math.max(s.attempts, event.data.attempt),
        error: event.data.error,
        dueAt: event.data.willRetry ? event.data.dueAt : null,
        finishedAt: event.data.willRetry ? null : at,
      }));
    case 'CompensationStarted':
      if (state.status === 'compensating') return state;
      return { ...state, status: 'compensating', reason: event.data.reason, updatedAt: at };
    case 'StepCompensated':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'compensated',
        compensationAttempts: Math.max(s.compensationAttempts, event.data.attempt),
        dueAt: null,
        compensatedAt: at,
        needsCompensation: false,
      }));
    case 'StepCompensationFailed':
      return withStep(state, event.data.step, at, (s) => ({
        ...s,
        status: 'compensation_failed',
        compensationAttempts: Math.max(s.compensationAttempts, event.data.attempt),
        error: event.data.error,
        dueAt: event.data.dueAt,
      }));
    case 'SagaCancelRequested':
      return { ...state, cancelRequestedBy: state.cancelRequestedBy ?? event.data.by, updatedAt: at };
    case 'SagaCompleted':
      return { ...state, status: 'completed', finishedAt: at, updatedAt: at };
    case 'SagaRolledBack':
      return { ...state, status: 'rolled_back', reason: event.data.reason, finishedAt: at, updatedAt: at };
    case 'SagaCancelled':
      return { ...state, status: 'cancelled', reason: 'cancelled', finishedAt: at, updatedAt: at };
    case 'SagaFailed':
      return { ...state, status: 'failed', reason: event.data.reason, finishedAt: at, updatedAt: at };
    default: {
      const _: never = event;
      throw new Error(`saga state does not handle ${JSON.stringify(_)}`);
    }
  }
}

export const foldSaga = (events: Iterable<SagaEvent>): SagaState => {
  let state = initialState();
  for (const event of events) state = evolve(state, event);
  return state;
};
